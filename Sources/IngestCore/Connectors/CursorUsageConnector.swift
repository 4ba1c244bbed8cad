import AsyncHTTPClient
import Crypto
import Foundation
import IngestStore
import Logging
import NIOCore
import SensorModel

/// Pulls a Cursor team's usage events from its Admin API (`POST /teams/filtered-usage-events`,
/// Basic auth with the Admin API key) and keeps each one raw, as an envelope of kind
/// `cursor-admin.usage-event` (normalised by `normalizers.d/cursor-admin.yaml`: tokens, model,
/// charged cents, the user's email). Since early 2026 Cursor's own chat databases record no
/// token counts; its team API does.
///
/// Windows of at most 30 days from a watermark kept in the store (a restart resumes; the last
/// two hours are asked again, as the API aggregates hourly, and the envelopes' ids, derived from
/// the events, keep repeats out), every page of each, 429 answered by waiting `Retry-After`,
/// 5xx and lost connections by backing off.
public struct CursorUsageConnector: Sendable {
    public struct Settings: Sendable {
        public var apiKey: String
        public var tenant: Int64
        public var baseURL = "https://api.cursor.com"
        /// How far back the first pull reaches.
        public var lookBack: TimeInterval = 30 * 86_400
        public var pageSize = 100
        /// Tries of one request before a pull gives up (429s wait as told and count too).
        public var maxTries = 12
        /// The first backoff after a 5xx or a lost connection; doubling.
        public var firstBackoff: TimeInterval = 1

        public init(apiKey: String, tenant: Int64) {
            self.apiKey = apiKey
            self.tenant = tenant
        }
    }

    /// What one pull did.
    public struct Outcome: Codable, Sendable, Equatable {
        public var events = 0
        public var stored = 0
        public var repeats = 0
        public var pages = 0
        public var rateLimited = 0
        public var retried = 0
        public var watermark: String?
    }

    public struct Failure: Error, CustomStringConvertible {
        public var description: String
    }

    static let name = "cursor-admin"
    static let maxWindow: TimeInterval = 30 * 86_400
    static let overlap: TimeInterval = 2 * 3600

    let store: any IngestStore
    let settings: Settings
    let http: HTTPClient
    let logger: Logger

    public init(store: any IngestStore, settings: Settings, http: HTTPClient = .shared, logger: Logger) {
        self.store = store
        self.settings = settings
        self.http = http
        self.logger = logger
    }

    /// Pulls every event from the watermark (or `lookBack` ago) to `now`.
    public func pull(now: Date = Date()) async throws -> Outcome {
        var outcome = Outcome()
        let end = Self.milliseconds(now)
        var from = try await ConnectorWatermarks.get(Self.name, tenant: settings.tenant, in: store).map { $0 - Int64(Self.overlap * 1000) }
            ?? Self.milliseconds(now.addingTimeInterval(-settings.lookBack))
        while from < end {
            let windowEnd = min(end, from + Int64(Self.maxWindow * 1000))
            var page = 1
            while true {
                let answer = try await fetch(from: from, to: windowEnd, page: page, outcome: &outcome)
                outcome.pages += 1
                outcome.events += answer.events.count
                let envelopes = try answer.events.map(envelope)
                if !envelopes.isEmpty {
                    let inserted = try await store.insert(envelopes, from: BatchOrigin(tokenID: 0, tenantID: settings.tenant,
                                                                                      batchID: "\(Self.name)-\(windowEnd)-\(page)"))
                    outcome.stored += inserted.accepted
                    outcome.repeats += inserted.duplicates
                }
                guard answer.hasNextPage else { break }
                page += 1
            }
            try await ConnectorWatermarks.set(Self.name, tenant: settings.tenant, to: windowEnd, in: store)
            outcome.watermark = DeviceDirectory.timestamp(Date(timeIntervalSince1970: Double(windowEnd) / 1000))
            from = windowEnd
        }
        return outcome
    }

    static func milliseconds(_ date: Date) -> Int64 { Int64(date.timeIntervalSince1970 * 1000) }

    struct Page {
        var events: [[String: Any]]
        var hasNextPage: Bool
    }

    /// One page, tried until it answers (within `maxTries`).
    private func fetch(from: Int64, to: Int64, page: Int, outcome: inout Outcome) async throws -> Page {
        let url = settings.baseURL + "/teams/filtered-usage-events"
        let body = #"{"startDate":\#(from),"endDate":\#(to),"page":\#(page),"pageSize":\#(settings.pageSize)}"#
        var backoff = settings.firstBackoff
        for attempt in 1...settings.maxTries {
            var request = HTTPClientRequest(url: url)
            request.method = .POST
            request.headers.add(name: "Authorization", value: "Basic " + Data((settings.apiKey + ":").utf8).base64EncodedString())
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(string: body))
            let status: Int
            let bytes: ByteBuffer
            let retryAfter: String?
            do {
                let response = try await http.execute(request, timeout: .seconds(60))
                status = Int(response.status.code)
                retryAfter = response.headers.first(name: "Retry-After")
                bytes = try await response.body.collect(upTo: 64 << 20)
            } catch {
                guard attempt < settings.maxTries else { throw Failure(description: "\(url): no answer after \(attempt) tries: \(error)") }
                logger.warning("Cursor Admin API: no answer; trying again", metadata: ["error": "\(error)", "in": "\(backoff) s"])
                outcome.retried += 1
                try await Task.sleep(for: .seconds(backoff))
                backoff = min(backoff * 2, 300)
                continue
            }
            switch status {
            case 200:
                guard let document = try? JSONSerialization.jsonObject(with: Data(buffer: bytes)) as? [String: Any],
                      let events = document["usageEvents"] as? [[String: Any]] else {
                    throw Failure(description: "\(url) page \(page): not the documented answer (no usageEvents list): \(String(buffer: bytes).prefix(300))")
                }
                let pagination = document["pagination"] as? [String: Any]
                let next = (pagination?["hasNextPage"] as? Bool)
                    ?? ((pagination?["numPages"] as? Int).map { page < $0 } ?? false)
                return Page(events: events, hasNextPage: next && !events.isEmpty)
            case 429:
                outcome.rateLimited += 1
                let wait = RetryAfter.seconds(retryAfter) ?? 60
                logger.notice("Cursor Admin API: rate limited", metadata: ["retry_after": "\(wait) s"])
                try await Task.sleep(for: .seconds(wait))
            case 401, 403:
                throw Failure(description: "\(url): HTTP \(status): Cursor refused the key; is it an Admin API key of the team (cursor.com/dashboard, Settings)?")
            case 500...599:
                guard attempt < settings.maxTries else { throw Failure(description: "\(url): HTTP \(status) after \(attempt) tries") }
                outcome.retried += 1
                try await Task.sleep(for: .seconds(backoff))
                backoff = min(backoff * 2, 300)
            default:
                throw Failure(description: "\(url): HTTP \(status): \(String(buffer: bytes).prefix(300))")
            }
        }
        throw Failure(description: "\(url): still rate limited after \(settings.maxTries) tries")
    }

    /// An event as an envelope: the event itself its record, its id derived from the event (the
    /// same event pulled again is the same envelope), its device one per user email (linked to
    /// the person by that email).
    func envelope(_ event: [String: Any]) throws -> ValidEnvelope {
        let record = try JSONSerialization.data(withJSONObject: event, options: [.sortedKeys, .withoutEscapingSlashes])
        let email = ((event["userEmail"] as? String) ?? "").lowercased()
        let device = "cursor-api-" + Hex.lowercase(SHA256.hash(data: Data("\(settings.tenant)|\(email)".utf8)).prefix(8))
        let offset = (event["timestamp"] as? String).flatMap { Int64($0) } ?? (event["timestamp"] as? NSNumber)?.int64Value ?? 0
        return ValidEnvelope(made: record, identity: record, source: Self.name, kind: "\(Self.name).usage-event", device: device,
                             path: "api.cursor.com/teams/filtered-usage-events", offset: offset)
    }
}
