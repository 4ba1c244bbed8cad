import AsyncHTTPClient
import Foundation
import Logging
import NIOCore
import NIOConcurrencyHelpers
import NIOSSL
import SensorModel

/// How the ingest server answered one batch.
public enum UploadOutcome: Sendable, Equatable {
    /// 200/202 with the documented acknowledgement, accounting for every envelope of the batch.
    /// `rejected`: ids the server refused individually, with its reasons; `duplicates`: how
    /// many it already had.
    case accepted(rejected: [Rejection], duplicates: Int)
    /// 413: the batch must be split.
    case tooLarge
    /// 401 / 403: the token is refused; uploads pause.
    case unauthorized(status: Int)
    /// Worth retrying: connection errors, timeouts, 408, 425, 429, 5xx.
    case retry(after: Double?, reason: String)
    /// Not an acknowledgement, and not a known transient failure: a redirect (never followed), a
    /// 404 or other 4xx, a 2xx whose body is not the ack or does not add up. The batch is kept
    /// and retried later; nothing is committed.
    case unexpected(status: Int, reason: String)

    public struct Rejection: Sendable, Equatable, Codable {
        public var id: String
        public var reason: String
    }
}

/// Where and how to reach the ingest server.
public struct IngestEndpoint: Sendable {
    public var base: URL
    public var token: String
    public var caFile: String?
    /// A device credential (from enrollment): requests then carry short-lived ingest tokens it
    /// gets from `POST /api/v1/token`, not `token`.
    public var credential: String?

    public init(base: URL, token: String, caFile: String? = nil) throws {
        guard let scheme = base.scheme?.lowercased(), ["http", "https"].contains(scheme), let host = base.host else {
            throw EndpointError("endpoint must be an http(s) URL: \(base.absoluteString)")
        }
        if scheme == "http" && !IngestEndpoint.isLoopback(host) {
            throw EndpointError("plain http is allowed only to loopback; use https for \(host)")
        }
        self.base = base
        self.token = token
        self.caFile = caFile
    }

    public static func isLoopback(_ host: String) -> Bool {
        let host = host.trimmingCharacters(in: CharacterSet(charactersIn: "[]"))
        if host == "localhost" || host == "::1" { return true }
        // An address in 127.0.0.0/8, not any name that starts with "127." (127.evil.example).
        var address = in_addr()
        guard inet_pton(AF_INET, host, &address) == 1 else { return false }
        return UInt32(bigEndian: address.s_addr) >> 24 == 127
    }

    var ingestURL: String { base.appendingPathComponent("api/v1/ingest/local-sessions").absoluteString }
    var tokenURL: String { base.appendingPathComponent("api/v1/token").absoluteString }
    var enrollURL: String { base.appendingPathComponent("api/v1/enroll").absoluteString }
    var openURL: String { base.appendingPathComponent("api/v1/open").absoluteString }
    var configURL: String { base.appendingPathComponent("api/v1/sensor-config").absoluteString }

    /// Reads the bearer token: `--token-file` (refused when group or others can read it) or
    /// `SENSOR_TOKEN`. The token never comes from argv and is never logged.
    public static func token(file: String?, environment: [String: String]) throws -> String {
        if let file {
            guard let attributes = try? FileManager.default.attributesOfItem(atPath: file),
                  let permissions = attributes[.posixPermissions] as? Int else {
                throw EndpointError("cannot read token file \(file)")
            }
            guard permissions & 0o077 == 0 else {
                throw EndpointError("token file \(file) is readable by others (mode \(String(permissions, radix: 8))); chmod 600 it")
            }
            let text = (try? String(contentsOfFile: file, encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines) ?? ""
            guard !text.isEmpty else { throw EndpointError("token file \(file) is empty") }
            return text
        }
        if let token = environment["SENSOR_TOKEN"], !token.isEmpty { return token }
        throw EndpointError("no token: give --token-file FILE (mode 600) or set SENSOR_TOKEN")
    }
}

public struct EndpointError: Error, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}

/// Talks to the ingest API over AsyncHTTPClient. Certificate verification is never switched
/// off; a private CA is added with `--ca-file`.
public final class IngestClient: Sendable {
    public let endpoint: IngestEndpoint
    let client: HTTPClient
    let identity: SensorIdentity
    /// Set from the last sensor-config answer: batches then go as zstd.
    private let serverTakesZstd = NIOLockedValueBox(false)

    public var acceptsZstd: Bool { serverTakesZstd.withLockedValue { $0 } }
    private let serverTakesRuleNames = NIOLockedValueBox(false)
    /// Whether the server said (its sensor-config answer's `Accept-Envelope-Flags`) that it
    /// takes `flags.redacted_by`.
    public var acceptsRuleNames: Bool { serverTakesRuleNames.withLockedValue { $0 } }
    /// The sensor-config answer's header that lists the envelope flags a server takes beyond
    /// the first version's.
    public static let envelopeFlagsHeader = "Accept-Envelope-Flags"

    public init(endpoint: IngestEndpoint, identity: SensorIdentity) throws {
        self.endpoint = endpoint
        self.identity = identity
        var configuration = HTTPClient.Configuration()
        var tls = TLSConfiguration.makeClientConfiguration()
        if let caFile = endpoint.caFile {
            tls.additionalTrustRoots = [.file(caFile)]
        }
        configuration.tlsConfiguration = tls
        configuration.timeout = .init(connect: .seconds(10), read: .seconds(120))
        configuration.decompression = .disabled
        // A redirect is never an acknowledgement (an identity-aware proxy's login page, a
        // misrouted path): it is reported, and the batch stays.
        configuration.redirectConfiguration = .disallow
        client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
    }

    /// The current short-lived token of a device credential, and when it expires.
    private let access = NIOLockedValueBox<(token: String, expires: Date)?>(nil)

    /// What requests carry: the fixed token, or a device credential's current access token
    /// (fetched again a minute before it expires, or after a refusal).
    func bearer() async -> String {
        guard let credential = endpoint.credential else { return endpoint.token }
        if let current = access.withLockedValue({ $0 }), current.expires.timeIntervalSinceNow > 60 { return current.token }
        var request = HTTPClientRequest(url: endpoint.tokenURL)
        request.method = .POST
        request.headers.add(name: "Authorization", value: "Bearer \(credential)")
        request.headers.add(name: "User-Agent", value: "session-sensor/\(SensorIdentity.version)")
        guard let response = try? await client.execute(request, timeout: .seconds(10)), response.status.code == 200,
              let body = try? await response.body.collect(upTo: 64 << 10),
              let answer = try? JSONSerialization.jsonObject(with: Data(body.readableBytesView)) as? [String: Any],
              let token = answer["token"] as? String, let lifetime = answer["expires_in"] as? Int else {
            // Refused (a revoked device) or unreachable: the request goes with the credential,
            // which the server refuses for ingest, and the shipper reports it as it reports any refusal.
            return credential
        }
        access.withLockedValue { $0 = (token, Date().addingTimeInterval(Double(lifetime))) }
        return token
    }

    /// A one-time link that signs a browser in as this device's person (`sensor open`): the
    /// device credential (or the device's ingest token) vouches; the server's refusal is the error.
    public func signInLink() async throws -> (url: String, person: String) {
        var request = HTTPClientRequest(url: endpoint.openURL)
        request.method = .POST
        request.headers.add(name: "Authorization", value: "Bearer \(endpoint.credential ?? endpoint.token)")
        request.headers.add(name: "User-Agent", value: "session-sensor/\(SensorIdentity.version)")
        let response = try await client.execute(request, timeout: .seconds(30))
        let body = Data((try await response.body.collect(upTo: 64 << 10)).readableBytesView)
        let answer = (try? JSONSerialization.jsonObject(with: body)) as? [String: Any]
        guard response.status.code == 200, let path = answer?["url"] as? String, path.hasPrefix("/") else {
            throw EndpointError("\(endpoint.base.absoluteString) gave no sign-in link: \(answer?["error"] as? String ?? "HTTP \(response.status.code)")")
        }
        var base = endpoint.base.absoluteString
        while base.hasSuffix("/") { base.removeLast() }
        return (base + path, answer?["person"] as? String ?? "")
    }

    /// Forgets the access token after a refusal: the next request gets a new one.
    func forgetAccessToken() {
        access.withLockedValue { $0 = nil }
    }

    public func shutdown() async {
        try? await client.shutdown()
    }

    /// Posts one compressed batch (from memory, or streamed from its file).
    /// - Parameter envelopes: how many envelopes the batch holds, which the answer must account for.
    public func upload(_ body: CompressedBatch, batchID: String, envelopes: Int) async -> UploadOutcome {
        let outcome = await post(body, batchID: batchID, envelopes: envelopes)
        // An access token revoked or expired under way: once more with a new one.
        if case .unauthorized = outcome, endpoint.credential != nil {
            forgetAccessToken()
            return await post(body, batchID: batchID, envelopes: envelopes)
        }
        return outcome
    }

    private func post(_ body: CompressedBatch, batchID: String, envelopes: Int) async -> UploadOutcome {
        var request = HTTPClientRequest(url: endpoint.ingestURL)
        request.method = .POST
        request.headers.add(name: "Authorization", value: "Bearer \(await bearer())")
        request.headers.add(name: "Content-Type", value: "application/json")
        request.headers.add(name: "Content-Encoding", value: body.encoding.rawValue)
        request.headers.add(name: "User-Agent", value: "session-sensor/\(SensorIdentity.version)")
        request.headers.add(name: "X-Batch-Id", value: batchID)
        switch body {
        case .memory(let buffer, _):
            request.body = .bytes(buffer)
        case .file(let path, let length):
            request.body = .stream(FileWindows(path: path), length: .known(Int64(length)))
        }
        do {
            let response = try await client.execute(request, timeout: .seconds(120))
            let status = Int(response.status.code)
            let payload = try await response.body.collect(upTo: 4 << 20)
            let text = String(buffer: payload)
            return Self.outcome(status: status, body: text, location: response.headers.first(name: "Location"),
                                retryAfter: response.headers.first(name: "Retry-After"), envelopes: envelopes)
        } catch {
            return .retry(after: nil, reason: "\(error)")
        }
    }

    /// The server's sensor-config: nil body when unchanged (304).
    public func fetchConfig(etag: String?) async throws -> (status: Int, body: Data?, etag: String?, signature: String?) {
        var request = HTTPClientRequest(url: endpoint.configURL)
        request.headers.add(name: "Authorization", value: "Bearer \(await bearer())")
        request.headers.add(name: "Accept", value: "application/json")
        if let etag { request.headers.add(name: "If-None-Match", value: etag) }
        let response = try await client.execute(request, timeout: .seconds(10))
        let payload = try await response.body.collect(upTo: ParseLimits.server.maxBytes)
        let status = Int(response.status.code)
        let newTag = response.headers.first(name: "ETag")
        // RFC 7694: the encodings this server takes in request bodies.
        let accepted = response.headers[canonicalForm: "Accept-Encoding"].map { $0.lowercased() }
        serverTakesZstd.withLockedValue { $0 = accepted.contains { $0.hasPrefix("zstd") } }
        let flags = response.headers[canonicalForm: Self.envelopeFlagsHeader].map { $0.lowercased() }
        serverTakesRuleNames.withLockedValue { $0 = flags.contains("redacted_by") }
        return (status, status == 200 ? Data(payload.readableBytesView) : nil, newTag,
                response.headers.first(name: ServerConfigSignature.header))
    }

    /// What an answer to a batch of `envelopes` means.
    static func outcome(status: Int, body: String, location: String?, retryAfter: String?, envelopes: Int) -> UploadOutcome {
        switch status {
        case 200, 202:
            switch Acknowledgement.parse(body, envelopes: envelopes) {
            case .success(let ack): return .accepted(rejected: ack.rejected, duplicates: ack.duplicates)
            case .failure(let problem): return .unexpected(status: status, reason: "HTTP \(status) is not an acknowledgement: \(problem.description)")
            }
        case 300..<400:
            return .unexpected(status: status, reason: "HTTP \(status) redirect to \(location.map { String($0.prefix(200)) } ?? "nowhere"); redirects are never followed")
        case 413:
            return .tooLarge
        case 401, 403:
            return .unauthorized(status: status)
        case 408, 425, 429, 500...599:
            return .retry(after: RetryAfter.seconds(retryAfter), reason: "HTTP \(status)")
        default:
            let detail = body.isEmpty ? "" : ": " + String(body.prefix(300))
            return .unexpected(status: status, reason: "HTTP \(status)\(detail)")
        }
    }
}

/// The ingest API's answer to a batch: `{"accepted":N,"duplicates":N,"rejected":[{"id","reason"}]}`.
/// Only a body of this shape whose counts add up to the batch's envelopes acknowledges it;
/// `accepted` is required, `duplicates` and `rejected` may be left out when there are none.
struct Acknowledgement: Decodable {
    var accepted: Int
    var duplicates: Int
    var rejected: [UploadOutcome.Rejection]

    enum CodingKeys: String, CodingKey { case accepted, duplicates, rejected }

    init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        accepted = try container.decode(Int.self, forKey: .accepted)
        duplicates = try container.decodeIfPresent(Int.self, forKey: .duplicates) ?? 0
        rejected = try container.decodeIfPresent([UploadOutcome.Rejection].self, forKey: .rejected) ?? []
    }

    struct Problem: Error, CustomStringConvertible {
        var description: String
    }

    static func parse(_ text: String, envelopes: Int) -> Result<Acknowledgement, Problem> {
        guard let ack = try? JSONDecoder().decode(Acknowledgement.self, from: Data(text.utf8)) else {
            let shown = text.isEmpty ? "an empty body" : "\"" + String(text.prefix(120)) + "\""
            return .failure(Problem(description: "expected {\"accepted\":N,\"duplicates\":N,\"rejected\":[…]}, got \(shown)"))
        }
        // Each count is checked against what was sent before any is added: a server's numbers
        // never make this arithmetic overflow.
        let counts = 0...envelopes
        guard counts.contains(ack.accepted), counts.contains(ack.duplicates), counts.contains(ack.rejected.count),
              ack.accepted + ack.duplicates + ack.rejected.count == envelopes else {
            return .failure(Problem(description: "accepted \(ack.accepted) + duplicates \(ack.duplicates) + rejected \(ack.rejected.count) != \(envelopes) envelopes sent"))
        }
        return .success(ack)
    }
}
