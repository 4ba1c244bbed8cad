import Foundation
import Hummingbird
import HummingbirdCore
import HummingbirdTLS
import Logging
import NIOCore
import NIOSSL
import ServiceLifecycle

/// The reference ingest API the sensor talks to.
///
/// - `POST /api/v1/ingest/local-sessions`: Bearer token, gzip or identity body within size
///   limits, each envelope checked, idempotent insert by id; answers
///   `{"accepted":N,"duplicates":N,"rejected":[{"id","reason"}]}`.
/// - `GET /api/v1/sensor-config`: the server's config layer, with ETag.
/// - `GET /healthz`, `GET /metrics`.
public struct IngestServer: Sendable {
    public struct Limits: Sendable {
        /// Largest request body accepted (compressed bytes on the wire).
        public var maxBodyBytes = 64 << 20
        /// Largest inflated batch; a gzip bomb stops here.
        public var maxInflatedBytes = 256 << 20
        /// Ingest requests worked on at once; beyond, 503 with Retry-After.
        public var maxConcurrentIngests = 8

        public init() {}
    }

    public let store: any IngestStore
    public let config: ServerConfigProvider
    public let metrics: IngestMetrics
    public let limits: Limits
    let gate: AdmissionGate
    let logger: Logger

    public init(store: any IngestStore, config: ServerConfigProvider, limits: Limits = Limits(), logger: Logger) {
        self.store = store
        self.config = config
        self.limits = limits
        self.metrics = IngestMetrics()
        self.gate = AdmissionGate(limit: limits.maxConcurrentIngests)
        self.logger = logger
    }

    /// The routes, for an Application or for HummingbirdTesting.
    public func router() -> Router<BasicRequestContext> {
        let router = Router()
        router.get("/healthz") { _, _ in "ok\n" }
        router.get("/metrics") { _, _ in
            Response(status: .ok, headers: [.contentType: "text/plain; version=0.0.4"],
                     body: .init(byteBuffer: ByteBuffer(string: metrics.render())))
        }
        router.get("/api/v1/sensor-config") { request, _ in
            try await self.sensorConfig(request)
        }
        router.post("/api/v1/ingest/local-sessions") { request, _ in
            try await self.ingest(request)
        }
        return router
    }

    /// The application, plain HTTP or HTTPS (`tls` given), on `host:port` (port 0 picks one).
    public func application(host: String, port: Int, tls: TLSConfiguration? = nil,
                            onRunning: @escaping @Sendable (Int) async -> Void = { _ in })
        throws -> some ApplicationProtocol {
        let server: HTTPServerBuilder = try tls.map { try .tls(.http1(), tlsConfiguration: $0) } ?? .http1()
        return Application(
            router: router(),
            server: server,
            configuration: .init(address: .hostname(host, port: port), serverName: "sensor-ingest"),
            services: [ConfigWatcher(config: config)],
            onServerRunning: { channel in await onRunning(channel.localAddress?.port ?? port) },
            logger: logger)
    }

    // MARK: - Handlers

    func authorize(_ request: Request) async throws -> Int64? {
        guard let header = request.headers[.authorization], header.hasPrefix("Bearer ") else { return nil }
        let token = String(header.dropFirst("Bearer ".count)).trimmingCharacters(in: .whitespaces)
        guard !token.isEmpty else { return nil }
        return try await store.tokenID(forHash: TokenSecret.hash(token))
    }

    func ingest(_ request: Request) async throws -> Response {
        let started = ContinuousClock.now
        var bodySize = 0
        var response: Response
        do {
            (response, bodySize) = try await ingestAdmitted(request)
        } catch {
            logger.error("ingest failed", metadata: ["error": "\(error)"])
            response = Self.json(.serviceUnavailable, ["error": "storage unavailable, retry later"], retryAfter: 5)
        }
        let elapsed = ContinuousClock.now - started
        metrics.request(route: "ingest", status: Int(response.status.code), bytes: bodySize,
                        seconds: Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18)
        return response
    }

    private func ingestAdmitted(_ request: Request) async throws -> (Response, Int) {
        guard let tokenID = try await authorize(request) else {
            return (Self.json(.unauthorized, ["error": "missing, unknown or revoked token"]), 0)
        }
        guard gate.enter() else {
            return (Self.json(.serviceUnavailable, ["error": "busy"], retryAfter: 1), 0)
        }
        defer { gate.leave() }
        var request = request
        let body: ByteBuffer
        do {
            body = try await request.collectBody(upTo: limits.maxBodyBytes)
        } catch {
            return (Self.json(.contentTooLarge, ["error": "body exceeds \(limits.maxBodyBytes) bytes"]), 0)
        }
        let encoding = request.headers[.contentEncoding]?.lowercased() ?? "identity"
        guard ["gzip", "identity"].contains(encoding) else {
            return (Self.json(.unsupportedMediaType, ["error": "Content-Encoding must be gzip or identity"]), body.readableBytes)
        }
        let batch: DecodedBatch
        do {
            batch = try BatchDecoder.decode(body: Array(body.readableBytesView), gzip: encoding == "gzip",
                                            inflatedLimit: limits.maxInflatedBytes)
        } catch .tooLarge(let limit) {
            return (Self.json(.contentTooLarge, ["error": "inflated body exceeds \(limit) bytes"]), body.readableBytes)
        } catch {
            return (Self.json(.badRequest, ["error": error.description]), body.readableBytes)
        }
        var valid: [ReceivedEnvelope] = []
        var rejected: [[String: String]] = []
        for record in batch.records {
            switch EnvelopeValidator.validate(record) {
            case .success(let envelope): valid.append(envelope)
            case .failure(let rejection): rejected.append(["id": rejection.id ?? "", "reason": rejection.reason])
            }
        }
        let (accepted, duplicates) = try await store.insert(valid, tokenID: tokenID, batchID: batch.batchID)
        metrics.envelopes(accepted: accepted, duplicates: duplicates, rejected: rejected.count)
        let answer: [String: Any] = ["accepted": accepted, "duplicates": duplicates, "rejected": rejected]
        return (Self.json(.ok, answer), body.readableBytes)
    }

    func sensorConfig(_ request: Request) async throws -> Response {
        guard try await authorize(request) != nil else {
            return Self.json(.unauthorized, ["error": "missing, unknown or revoked token"])
        }
        let document = await config.document()
        var headers: HTTPFields = [.eTag: document.etag, .contentType: "application/json"]
        if request.headers[.ifNoneMatch] == document.etag {
            headers[.contentType] = nil
            return Response(status: .notModified, headers: headers)
        }
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: document.json)))
    }

    static func json(_ status: HTTPResponse.Status, _ object: [String: Any], retryAfter: Int? = nil) -> Response {
        let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) ?? Data("{}".utf8)
        var headers: HTTPFields = [.contentType: "application/json"]
        if let retryAfter { headers[.retryAfter] = String(retryAfter) }
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }
}

/// Re-reads the operator's config files every second while the server runs.
struct ConfigWatcher: Service {
    let config: ServerConfigProvider

    func run() async throws {
        await config.reload()
        while !Task.isCancelled && !Task.isShuttingDownGracefully {
            try? await Task.sleep(nanoseconds: 1_000_000_000)
            await config.reload()
        }
    }
}
