import AsyncHTTPClient
import Crypto
import Foundation
import IngestStore
import NIOCore
import SensorModel

/// Sends due notifications to their webhooks, signed: `X-Sensor-Signature: t=<unix seconds>,
/// v1=<hex HMAC-SHA256 of "<t>.<body>" with the webhook's secret>` (the receiver recomputes it
/// and refuses old timestamps), `X-Sensor-Delivery: <the notification's key>` (the same on every
/// try, for a receiver that deduplicates). A 2xx answer delivers; anything else, or no answer,
/// is tried again after a backoff that doubles from `firstRetry` up to an hour.
struct WebhookSender: Sendable {
    let store: any IngestStore
    let http: HTTPClient
    let firstRetry: TimeInterval

    /// The signature header's value for `body` at `time`.
    static func signature(body: String, secret: String, time: Int64) -> String {
        let mac = HMAC<SHA256>.authenticationCode(for: Data("\(time).\(body)".utf8), using: SymmetricKey(data: Data(secret.utf8)))
        return "t=\(time),v1=" + Hex.lowercase(mac)
    }

    /// Sends what is due; returns how many were delivered.
    func sendDue(now: Date = Date()) async throws -> Int {
        var delivered = 0
        for notification in try await AlertOutbox.claimDue(now: now, in: store) {
            let body = AlertNotice.body(notification.body, format: notification.format)
            var request = HTTPClientRequest(url: notification.url)
            request.method = .POST
            request.headers.add(name: "Content-Type", value: "application/json")
            request.headers.add(name: "User-Agent", value: "sensor-ingest")
            request.headers.add(name: "X-Sensor-Signature",
                                value: Self.signature(body: body, secret: notification.secret, time: Int64(Date().timeIntervalSince1970)))
            request.headers.add(name: "X-Sensor-Delivery", value: notification.key)
            request.body = .bytes(ByteBuffer(string: body))
            let failure: String
            do {
                let response = try await http.execute(request, timeout: .seconds(10))
                _ = try? await response.body.collect(upTo: 64 << 10)
                if (200..<300).contains(response.status.code) {
                    try await AlertOutbox.delivered(notification.key, in: store)
                    delivered += 1
                    continue
                }
                failure = "HTTP \(response.status.code)"
            } catch {
                failure = "\(error)"
            }
            let backoff = min(3600, firstRetry * pow(2, Double(min(notification.attempts, 20))))
            try await AlertOutbox.failed(notification.key, error: failure, retryAfter: backoff, in: store)
        }
        return delivered
    }
}
