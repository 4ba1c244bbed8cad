import ArgumentParser
import Foundation
import IngestCore
import Logging
import NIOSSL

/// `sensor-ingest`: the reference ingest server for Session Sensor.
@main
struct IngestCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sensor-ingest",
        abstract: "Receives, authenticates and stores the sensor's raw envelopes; serves its config.",
        version: "0.1.0",
        subcommands: [Serve.self, Token.self, Stats.self, Dump.self]
    )
}

/// `--database`: where envelopes and tokens live.
struct StoreOptions: ParsableArguments {
    @Option(help: ArgumentHelp("SQLite file (path or sqlite:///path) or postgres://user:pass@host:port/db.", valueName: "url"))
    var database: String = "sensor-ingest.db"

    func open() async throws -> any IngestStore {
        try await StoreLocation.open(database)
    }
}

struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Serve the ingest API.")

    @OptionGroup var store: StoreOptions

    @Option(help: "Address to listen on.")
    var host = "127.0.0.1"

    @Option(help: "Port (0 picks a free one; the address is printed as `listening on …`).")
    var port = 8080

    @Option(help: ArgumentHelp("File or directory of the sensor-config the server serves (YAML or JSON).", valueName: "path"))
    var config: String?

    @Option(name: .customLong("tls-cert"), help: ArgumentHelp("PEM certificate chain: serve HTTPS.", valueName: "file"))
    var tlsCertificate: String?

    @Option(name: .customLong("tls-key"), help: ArgumentHelp("PEM private key for --tls-cert.", valueName: "file"))
    var tlsKey: String?

    @Option(name: .customLong("max-body-mb"), help: "Largest request body accepted, in MB.")
    var maxBodyMegabytes = 64

    @Option(name: .customLong("max-concurrent"), help: "Ingest requests worked on at once.")
    var maxConcurrent = 8

    @Option(name: .customLong("log-level"))
    var logLevel = "info"

    func run() async throws {
        let level = Logger.Level(rawValue: logLevel) ?? .info
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
        let logger = Logger(label: "sensor-ingest")
        let store = try await store.open()
        let provider = ServerConfigProvider(location: config.map { URL(fileURLWithPath: $0) }, logger: logger)
        let problems = await provider.reload()
        if !problems.isEmpty {
            throw ValidationError("sensor-config is invalid:\n" + problems.joined(separator: "\n"))
        }
        var tls: TLSConfiguration?
        if let tlsCertificate, let tlsKey {
            tls = TLSConfiguration.makeServerConfiguration(
                certificateChain: try NIOSSLCertificate.fromPEMFile(tlsCertificate).map { .certificate($0) },
                privateKey: .privateKey(try NIOSSLPrivateKey(file: tlsKey, format: .pem)))
        } else if tlsCertificate != nil || tlsKey != nil {
            throw ValidationError("--tls-cert and --tls-key go together")
        }
        var limits = IngestServer.Limits()
        limits.maxBodyBytes = maxBodyMegabytes << 20
        limits.maxConcurrentIngests = maxConcurrent
        let server = IngestServer(store: store, config: provider, limits: limits, logger: logger)
        let scheme = tls == nil ? "http" : "https"
        let host = self.host
        let app = try server.application(host: host, port: port, tls: tls) { port in
            FileHandle.standardOutput.write(Data("listening on \(scheme)://\(host):\(port)\n".utf8))
        }
        try await app.runService()
        await store.close()
    }
}

struct Token: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Create, list or revoke tokens.",
                                                    subcommands: [Create.self, List.self, Revoke.self])

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Create a token and print it once (only its hash is kept).")
        @OptionGroup var store: StoreOptions
        @Option(help: "A name for the token (a device, a person, a tenant).")
        var name = "default"

        func run() async throws {
            let store = try await store.open()
            let secret = TokenSecret.generate()
            _ = try await store.createToken(name: name, hash: TokenSecret.hash(secret))
            await store.close()
            print(secret)
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List tokens (never their secrets).")
        @OptionGroup var store: StoreOptions

        func run() async throws {
            let store = try await store.open()
            for token in try await store.listTokens() {
                print("\(token.id)\t\(token.name)\tcreated \(token.createdAt)\t\(token.revokedAt.map { "revoked \($0)" } ?? "active")")
            }
            await store.close()
        }
    }

    struct Revoke: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Revoke a token by name or id.")
        @OptionGroup var store: StoreOptions
        @Argument(help: "Token name or id.")
        var token: String

        func run() async throws {
            let store = try await store.open()
            let count = try await store.revokeToken(token)
            await store.close()
            guard count > 0 else { throw ValidationError("no active token named \(token)") }
            print("revoked \(count) token(s)")
        }
    }
}

struct Stats: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Show what was collected, per source and kind.")
    @OptionGroup var store: StoreOptions
    @Flag(help: "JSON output.")
    var json = false

    func run() async throws {
        let store = try await store.open()
        let counts = try await store.counts()
        await store.close()
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            print(String(decoding: try encoder.encode(counts), as: UTF8.self))
            return
        }
        let width = max(6, counts.map(\.source.count).max() ?? 0)
        print("source".padding(toLength: width, withPad: " ", startingAt: 0) + "  envelopes  MB      kind")
        for count in counts {
            let megabytes = String(format: "%7.2f", Double(count.bytes) / 1_000_000)
            print(count.source.padding(toLength: width, withPad: " ", startingAt: 0) + "  "
                  + String(count.envelopes).leftPadded(9) + "  \(megabytes)  \(count.kind)")
        }
        let total = counts.reduce(0) { $0 + $1.envelopes }
        print("total: \(total) envelopes from \(counts.count) source/kind pair(s)")
    }
}

struct Dump: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Print every stored raw envelope, one JSON line each, as received.")
    @OptionGroup var store: StoreOptions

    func run() async throws {
        let store = try await store.open()
        let envelopes = try await store.envelopes()
        await store.close()
        var output = Data()
        for envelope in envelopes {
            output.append(contentsOf: envelope)
            output.append(0x0A)
        }
        FileHandle.standardOutput.write(output)
    }
}

extension String {
    func leftPadded(_ width: Int) -> String {
        count >= width ? self : String(repeating: " ", count: width - count) + self
    }
}
