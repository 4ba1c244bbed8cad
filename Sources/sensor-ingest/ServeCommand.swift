import ArgumentParser
import Foundation
import Hummingbird
import IngestCore
import IngestStore
import Normalization
import Logging
import NIOSSL
import SensorModel
import ServiceLifecycle

/// `sensor-ingest serve`: the API, until SIGTERM or SIGINT (in-flight requests finish first).
struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Serve the ingest API.",
        discussion: "Prints `listening on http(s)://HOST:PORT` on standard output once it accepts connections.")

    @OptionGroup var store: StoreOptions

    @Option(help: "Address to listen on.")
    var host = "127.0.0.1"

    @Option(help: "Port; 0 picks a free one (see the `listening on` line).")
    var port = 8080

    @Option(help: ArgumentHelp("The sensor-config served: a YAML/JSON file or a directory of them, re-read when edited.",
                               valueName: "path"))
    var config: String?

    @Option(name: .customLong("metrics-token-file"),
            help: ArgumentHelp("Require this bearer token (a file, mode 600) for GET /metrics.", valueName: "file"))
    var metricsTokenFile: String?

    @Option(name: .customLong("config-signing-key"),
            help: ArgumentHelp("Sign every served sensor-config with this Ed25519 key (see `config keygen`).", valueName: "file"))
    var configSigningKey: String?

    @Option(name: .customLong("tls-cert"), help: ArgumentHelp("PEM certificate chain: serve HTTPS.", valueName: "file"))
    var tlsCertificate: String?

    @Option(name: .customLong("tls-key"), help: ArgumentHelp("PEM private key of --tls-cert.", valueName: "file"))
    var tlsKey: String?

    @Option(name: .customLong("max-body-mb"), help: "Largest request body on the wire, in MiB.")
    var maxBodyMegabytes = IngestServer.Limits().maxBodyBytes >> 20

    @Option(name: .customLong("max-inflated-mb"), help: "Largest batch once inflated, in MiB (gzip bombs stop here).")
    var maxInflatedMegabytes = IngestServer.Limits().maxInflatedBytes >> 20

    @Option(name: .customLong("max-concurrent"), help: "Ingest requests worked on at once; beyond, 503 with Retry-After.")
    var maxConcurrent = IngestServer.Limits().maxConcurrentIngests

    @Option(name: .customLong("header-timeout"),
            help: "Seconds a connection may take to send a request head (from opening, or from the last response).")
    var headerTimeout = 30

    @Option(name: .customLong("idle-timeout"),
            help: "Seconds a connection may read nothing (a keep-alive connection between requests, or a body that stopped arriving).")
    var idleTimeout = 30

    @Option(name: .customLong("body-grace"),
            help: "Seconds a body may arrive at any rate; after them it must average 16 KiB/s.")
    var bodyGrace = 30

    @Option(name: .customLong("body-deadline"), help: "Seconds within which an admitted body must be complete, however fast it arrives.")
    var bodyDeadline = 120

    @Option(name: .customLong("alerts-every"), help: ArgumentHelp("Seconds between looks for budget and alert crossings (and sends of what is due).", valueName: "seconds"))
    var alertsEvery = 60.0

    @Option(name: .customLong("retention-every"), help: ArgumentHelp("Seconds between retention passes.", valueName: "seconds"))
    var retentionEvery = 3600.0

    @Option(name: .customLong("alert-first-retry"), help: ArgumentHelp("Seconds before a failed notification is tried again (doubling each time).", visibility: .hidden))
    var alertFirstRetry = 30.0

    @OptionGroup var prices: PriceOptions

    @OptionGroup var normalizers: NormalizerOptions

    @OptionGroup var logging: LogOptions

    func validate() throws {
        guard (0...65535).contains(port) else { throw ValidationError("--port must be 0…65535") }
        guard (tlsCertificate == nil) == (tlsKey == nil) else { throw ValidationError("--tls-cert and --tls-key go together") }
        let positive = [("--max-body-mb", maxBodyMegabytes), ("--max-inflated-mb", maxInflatedMegabytes), ("--max-concurrent", maxConcurrent),
                        ("--header-timeout", headerTimeout), ("--idle-timeout", idleTimeout), ("--body-grace", bodyGrace),
                        ("--body-deadline", bodyDeadline)]
        if let (flag, _) = positive.first(where: { $0.1 <= 0 }) { throw ValidationError("\(flag) must be positive") }
    }

    func run() async throws {
        logging.bootstrap()
        let logger = Logger(label: "sensor-ingest")
        let location = try store.location()
        let store = try location.makeStore(logger: logger)

        let signingKey = try configSigningKey.map(ConfigCommand.privateKey(at:))
        let provider = ServerConfigProvider(location: config.map { URL(fileURLWithPath: $0) }, logger: logger,
                                            signingKey: signingKey) { data, origin in
            ConfigLoader.validateServerDocument(data, origin: origin)
        }
        let problems = await provider.reload()
        guard problems.isEmpty else {
            throw ValidationError("--config is not valid:\n" + problems.joined(separator: "\n"))
        }

        var limits = IngestServer.Limits()
        limits.maxBodyBytes = maxBodyMegabytes << 20
        limits.maxInflatedBytes = maxInflatedMegabytes << 20
        limits.maxConcurrentIngests = maxConcurrent
        limits.headerTimeout = .seconds(Int64(headerTimeout))
        limits.idleTimeout = .seconds(Int64(idleTimeout))
        limits.bodyGrace = .seconds(bodyGrace)
        limits.bodyDeadline = .seconds(bodyDeadline)
        let metricsToken = try metricsTokenFile.map { path -> String in
            guard let attributes = try? FileManager.default.attributesOfItem(atPath: path),
                  let permissions = attributes[.posixPermissions] as? Int,
                  let text = try? String(contentsOfFile: path, encoding: .utf8),
                  case let token = text.trimmingCharacters(in: .whitespacesAndNewlines), !token.isEmpty else {
                throw ValidationError("cannot read --metrics-token-file \(path)")
            }
            guard permissions & 0o077 == 0 else { throw ValidationError("\(path) is readable by others; chmod 600 it") }
            return token
        }
        // The operator's mappings: --normalizers, else the config directory's normalizers.d/.
        let mappings = normalizers.directory ?? ServerConfigProvider.mappingDirectory(in: config.map { URL(fileURLWithPath: $0) })
        let registry = try NormalizerOptions(directoryPath: mappings?.path).registry()
        if let mappings { logger.info("mappings", metadata: ["directory": "\(mappings.path)"]) }
        let prices = try self.prices.table()
        logger.info("prices", metadata: ["table": "\(prices.origin)"])
        let server = IngestServer(store: store, config: provider, limits: limits, metricsToken: metricsToken, prices: prices,
                                  normalizers: registry,
                                  logger: logger)
        // An operator's mappings are re-read when edited: new records use them at once.
        let watchers: [any Service] = mappings.map {
            [MappingWatcher(directory: $0, normalizer: server.normalizer, logger: logger)]
        } ?? []
        var schedule = PromiseKeeper.Schedule()
        schedule.alertsEvery = .milliseconds(Int64(alertsEvery * 1000))
        schedule.retentionEvery = .milliseconds(Int64(retentionEvery * 1000))
        schedule.firstRetry = alertFirstRetry
        let keeper = PromiseKeeper(store: store, schedule: schedule, logger: logger)
        let app = try server.application(host: host, port: port, tls: try tlsConfiguration(), services: [store, keeper] + watchers) { url in
            FileHandle.standardOutput.write(Data("listening on \(url)\n".utf8))
            logger.info("listening", metadata: ["url": "\(url)", "database": "\(location)"])
        }
        try await app.runService(gracefulShutdownSignals: [.sigterm, .sigint])
        logger.info("stopped")
    }

    func tlsConfiguration() throws -> TLSConfiguration? {
        guard let tlsCertificate, let tlsKey else { return nil }
        do {
            return TLSConfiguration.makeServerConfiguration(
                certificateChain: try NIOSSLCertificate.fromPEMFile(tlsCertificate).map { .certificate($0) },
                privateKey: .privateKey(try NIOSSLPrivateKey(file: tlsKey, format: .pem)))
        } catch {
            throw ValidationError("--tls-cert/--tls-key: \(error)")
        }
    }
}
