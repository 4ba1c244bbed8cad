import Access
import Explorer
import IngestStore
import Normalization
import Hummingbird
import HummingbirdCore
import HummingbirdTLS
import Logging
import NIOCore
import NIOSSL
import ServiceLifecycle

/// The reference ingest API the sensor talks to (see `docs/ingest-server.md`).
///
/// - `POST /api/v1/ingest/local-sessions`: a batch of envelopes, stored idempotently.
/// - `GET /api/v1/sensor-config`: the server layer of config, with an ETag.
/// - `GET /healthz`, `GET /metrics` (Prometheus text).
public struct IngestServer: Sendable {
    /// The endpoints.
    public enum Paths {
        public static let ingest = "/api/v1/ingest/local-sessions"
        public static let sensorConfig = "/api/v1/sensor-config"
        public static let health = "/healthz"
        public static let metrics = "/metrics"
        public static let sessions = "/api/v1/sessions"
        public static let usage = "/api/v1/usage"
        public static let drift = "/api/v1/drift"
        public static let search = "/api/v1/search"
        public static let redactions = "/api/v1/redactions"
        public static let devices = "/api/v1/devices"
        public static let enroll = "/api/v1/enroll"
        public static let token = "/api/v1/token"
        public static let open = "/api/v1/open"
        public static let people = "/api/v1/people"
        public static let teams = "/api/v1/teams"
        public static let accounts = "/api/v1/accounts"
        public static let budgets = "/api/v1/budgets"
        public static let exportSessions = "/api/v1/export/sessions"
        public static let exportUsage = "/api/v1/export/usage"
        public static let otlpLogs = "/v1/logs"
        public static let otlpMetrics = "/v1/metrics"
    }

    /// What one request may cost.
    public struct Limits: Sendable {
        /// Largest request body, as sent (compressed) on the wire: room for a batch holding one
        /// record of the sensor's default maximum (64 MiB) that does not compress.
        public var maxBodyBytes = 64 << 20
        /// Largest batch once inflated (a gzip bomb is stopped here): that record as base64, in
        /// its envelope.
        public var maxInflatedBytes = 96 << 20
        /// Ingest requests worked on at once; past it, 503 with `Retry-After`.
        public var maxConcurrentIngests = 8
        /// Of those, how many one token may hold: one laptop cannot starve the fleet.
        public var maxConcurrentIngestsPerToken = 2
        /// Of those, how many one tenant's tokens may hold together (nil: half of them): one
        /// tenant cannot starve the others.
        public var maxConcurrentIngestsPerTenant: Int?
        /// Envelopes in one batch at most (the sensor sends 2,000): what a batch costs beyond
        /// its bytes is bounded too.
        public var maxEnvelopesPerBatch = 20_000
        /// A body must be complete within this long of its request being admitted, however
        /// fast it trickles.
        public var bodyDeadline: Duration = .seconds(120)
        /// A request head must arrive within this long of a connection opening (or of the last
        /// response ending).
        public var headerTimeout: TimeAmount = .seconds(30)
        /// A connection that reads nothing for this long is closed: a keep-alive connection
        /// between requests, or one whose body stopped arriving.
        public var idleTimeout: TimeAmount = .seconds(30)
        /// A body must arrive at this average rate once `bodyGrace` has passed (slow uploads
        /// give their ingest slot back).
        public var minimumBodyBytesPerSecond = 16 << 10
        public var bodyGrace: Duration = .seconds(30)
        /// Past this many failed authentications from one address within `failedAuthWindow`
        /// seconds, that address is answered 429 until the window ends.
        public var failedAuthLimit = 20
        public var failedAuthWindow: Double = 60

        public init() {}
    }

    public let store: any IngestStore
    public let config: ServerConfigProvider
    public let metrics = IngestMetrics()
    public let limits: Limits
    /// Failed authentication, per client address.
    let limiter: FailedAuthLimiter
    /// Keeps the normalised tables caught up; woken after every stored batch.
    public let normalizer: Normalizer
    let logger: Logger

    /// With one, `GET /metrics` needs `Authorization: Bearer <it>` (kept as its hash).
    let metricsTokenHash: String?

    /// `prices`: the table estimated costs are computed with (the built-in one, or it overlaid
    /// with an operator's `--prices` file); `normalizers`: the Swift normalisers and the
    /// mappings (built-in, or with an operator's `--normalizers` directory).
    public init(store: any IngestStore, config: ServerConfigProvider, limits: Limits = Limits(), metricsToken: String? = nil,
                prices: PriceTable = .builtIn, normalizers: NormalizerRegistry = .builtIn, logger: Logger) {
        self.store = store
        self.config = config
        self.limits = limits
        self.logger = logger
        limiter = FailedAuthLimiter(limit: limits.failedAuthLimit, window: limits.failedAuthWindow)
        metricsTokenHash = metricsToken.map(TokenSecret.hash)
        normalizer = Normalizer(store: store, registry: normalizers, metrics: metrics, prices: prices, logger: logger)
    }

    /// The routes (for an application, or for HummingbirdTesting): the API and the explorer's
    /// pages. `secureCookies` marks the explorer's cookie `Secure` (set when serving TLS).
    public func router(secureCookies: Bool = false) -> Router<IngestRequestContext> {
        let authenticator = BearerAuthenticator(tokens: store, limiter: limiter)
        let ingest = IngestHandler(
            store: store, authenticator: authenticator,
            gate: AdmissionGate(limit: limits.maxConcurrentIngests, perKey: limits.maxConcurrentIngestsPerToken,
                                perGroup: limits.maxConcurrentIngestsPerTenant ?? max(1, limits.maxConcurrentIngests / 2)),
            bodyReader: RequestBodyReader(maxWireBytes: limits.maxBodyBytes, maxInflatedBytes: limits.maxInflatedBytes,
                                          minimumBytesPerSecond: limits.minimumBodyBytesPerSecond, grace: limits.bodyGrace,
                                          deadline: limits.bodyDeadline),
            maxEnvelopes: limits.maxEnvelopesPerBatch,
            metrics: metrics, normalizer: normalizer, logger: logger)
        let sensorConfig = SensorConfigHandler(provider: config, authenticator: authenticator, tenants: store)
        let metrics = self.metrics

        let router = Router(context: IngestRequestContext.self)
        router.add(middleware: RequestMetricsMiddleware(metrics: metrics))
        router.post(RouterPath(Paths.ingest)) { request, context in try await ingest.handle(request, context: context) }
        let enrollment = EnrollmentHandler(store: store, authenticator: authenticator)
        router.post(RouterPath(Paths.enroll)) { request, context in try await enrollment.enroll(request, context: context) }
        router.post(RouterPath(Paths.token)) { request, context in try await enrollment.token(request, context: context) }
        router.post(RouterPath(Paths.open)) { request, context in try await enrollment.open(request, context: context) }
        router.get(RouterPath(Paths.sensorConfig)) { request, context in try await sensorConfig.handle(request, context: context) }
        let read = ReadAPIHandler(store: store, reader: NormalizedReader(store: store, registry: normalizer.registry), authenticator: authenticator)
        router.get(RouterPath(Paths.sessions)) { request, context in try await read.sessions(request, context: context) }
        router.get(RouterPath(Paths.sessions + "/:id")) { request, context in
            try await read.session(request, context: context, id: context.parameters.get("id") ?? "")
        }
        router.get(RouterPath(Paths.usage)) { request, context in try await read.usage(request, context: context) }
        router.get(RouterPath(Paths.drift)) { request, context in try await read.drift(request, context: context) }
        router.get(RouterPath(Paths.search)) { request, context in try await read.search(request, context: context) }
        router.get(RouterPath(Paths.redactions)) { request, context in try await read.redactions(request, context: context) }
        router.get(RouterPath(Paths.devices)) { request, context in try await read.devices(request, context: context) }
        router.get(RouterPath(Paths.people)) { request, context in try await read.people(request, context: context) }
        router.get(RouterPath(Paths.teams)) { request, context in try await read.teams(request, context: context) }
        router.get(RouterPath(Paths.accounts)) { request, context in try await read.accounts(request, context: context) }
        let promises = PromisesAPIHandler(store: store, authenticator: authenticator)
        router.get(RouterPath(Paths.budgets)) { request, context in try await promises.budgets(request, context: context) }
        router.put(RouterPath(Paths.budgets)) { request, context in try await promises.setBudget(request, context: context) }
        router.delete(RouterPath(Paths.budgets + "/:id")) { request, context in try await promises.removeBudget(request, context: context) }
        router.get(RouterPath(Paths.exportSessions)) { request, context in try await promises.exportSessions(request, context: context) }
        router.get(RouterPath(Paths.exportUsage)) { request, context in try await promises.exportUsage(request, context: context) }
        let telemetry = TelemetryIntake(store: store, authenticator: authenticator, normalizer: normalizer, maxBytes: limits.maxInflatedBytes,
                                        maxRecords: limits.maxEnvelopesPerBatch)
        router.post(RouterPath(Paths.otlpLogs)) { request, context in try await telemetry.logs(request, context: context) }
        router.post(RouterPath(Paths.otlpMetrics)) { request, context in try await telemetry.metrics(request, context: context) }
        let mcp = MCPEndpoint(tools: SessionTools(store: store, explorer: nil), authenticator: authenticator)
        router.post(RouterPath(MCPEndpoint.path)) { request, context in try await mcp.handle(request, context: context) }
        SCIMHandler(store: store, authenticator: authenticator, tls: secureCookies).register(on: router)
        ExplorerHandler(store: store, limiter: limiter, secureCookies: secureCookies, normalizers: normalizer.registry).register(on: router)
        router.get(RouterPath(Paths.health)) { _, _ in "ok\n" }
        let metricsTokenHash = self.metricsTokenHash
        router.get(RouterPath(Paths.metrics)) { request, context in
            // Without a metrics token, only this machine may read them (a scraper beside the
            // server, or through a local proxy); with one, whoever holds it.
            if metricsTokenHash == nil, !context.isLoopback {
                return JSONAnswer.error(.forbidden, "GET /metrics answers loopback clients only unless the server has --metrics-token-file")
            }
            if let metricsTokenHash {
                let header = request.headers[.authorization] ?? ""
                let secret = header.lowercased().hasPrefix("bearer ") ? String(header.dropFirst(7)).trimmingCharacters(in: .whitespaces) : ""
                guard TokenSecret.hash(secret) == metricsTokenHash else {
                    return JSONAnswer.error(.unauthorized, "GET /metrics needs the metrics token", headers: [.wwwAuthenticate: "Bearer"])
                }
            }
            return Response(status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                     body: .init(byteBuffer: ByteBuffer(string: metrics.render())))
        }
        return router
    }

    /// The whole server on `host:port` (port 0: one the system picks), plain HTTP or, with
    /// `tls`, HTTPS. Migrates the store before it listens, then calls `onListening` with its URL
    /// (`http://127.0.0.1:8080`). `services` run in the same service group and stop after the
    /// server stops (give it the store when nothing else runs it); the config files are
    /// re-read every `configPollInterval`.
    public func application(
        host: String, port: Int, tls: TLSConfiguration? = nil, services: [any Service] = [],
        configPollInterval: Duration = .seconds(1),
        onListening: @escaping @Sendable (String) async -> Void = { _ in }
    ) throws -> Application<RouterResponder<IngestRequestContext>> {
        // Connections that read nothing for the idle timeout are closed, and so are those whose
        // request head does not come within the header timeout.
        let headerTimeout = limits.headerTimeout
        let http1 = HTTPServerBuilder.http1(configuration: .init(
            additionalChannelHandlers: [RequestHeadDeadline(timeout: headerTimeout)], idleTimeout: limits.idleTimeout))
        let server: HTTPServerBuilder = try tls.map { try .tls(http1, tlsConfiguration: $0) } ?? http1
        let scheme = tls == nil ? "http" : "https"
        let hostInURL = host.contains(":") ? "[\(host)]" : host
        var app = Application(
            router: router(secureCookies: tls != nil),
            server: server,
            configuration: ApplicationConfiguration(address: .hostname(host, port: port), serverName: "sensor-ingest"),
            services: services + [ConfigWatcher(provider: config, interval: configPollInterval), normalizer],
            onServerRunning: { channel in
                await onListening("\(scheme)://\(hostInURL):\(channel.localAddress?.port ?? port)")
            },
            logger: logger)
        let store = self.store
        app.beforeServerStarts { try await store.migrate() }
        return app
    }
}
