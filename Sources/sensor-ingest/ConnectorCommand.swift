import ArgumentParser
import Foundation
import IngestCore
import IngestStore
import Logging

/// `sensor-ingest connector`: usage that a tool's vendor reports, pulled into the store.
struct ConnectorCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "connector", abstract: "Pull usage a vendor's API reports into the store.", subcommands: [Cursor.self])

    struct Cursor: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Pull a Cursor team's usage events (tokens, model, charged cents, user email) from its Admin API.",
            discussion: "Every --every seconds (once with --once), from where the last pull ended. The events are kept raw and normalised by normalizers.d/cursor-admin.yaml; docs/connectors.md.")

        @OptionGroup var store: StoreOptions

        @Option(name: .customLong("api-key-file"), help: ArgumentHelp("A file (mode 600) holding the team's Admin API key.", valueName: "file"))
        var apiKeyFile: String

        @Option(help: ArgumentHelp("The tenant the events are stored for.", valueName: "name"))
        var tenant = "default"

        @Option(name: .customLong("base-url"), help: "The API's address.")
        var baseURL = "https://api.cursor.com"

        @Option(help: ArgumentHelp("How far back the first pull reaches.", valueName: "days"))
        var since: Days = Days(argument: "30d")!

        @Option(help: ArgumentHelp("Seconds between pulls (the API aggregates hourly).", valueName: "seconds"))
        var every = 3600.0

        @Flag(help: "Pull once and exit.")
        var once = false

        @Flag(help: "Each pull's outcome as a JSON line.")
        var json = false

        func validate() throws {
            guard let url = URL(string: baseURL), let host = url.host else { throw ValidationError("--base-url: not a URL: \(baseURL)") }
            guard url.scheme == "https" || url.scheme == "http" && ["127.0.0.1", "::1", "localhost"].contains(host) else {
                throw ValidationError("--base-url: the key goes over https only (http only to a loopback address)")
            }
            guard every >= 1 else { throw ValidationError("--every: at least 1 second") }
        }

        func run() async throws {
            let permissions = (try FileManager.default.attributesOfItem(atPath: apiKeyFile)[.posixPermissions] as? Int) ?? 0
            guard permissions & 0o077 == 0 else { throw ValidationError("\(apiKeyFile) is readable by others; chmod 600 it") }
            let key = try String(contentsOfFile: apiKeyFile, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
            guard !key.isEmpty else { throw ValidationError("\(apiKeyFile) is empty") }
            let (tenantName, baseURL, lookBack, every, once, json) = (tenant, baseURL, Double(since.days ?? 30) * 86_400, every, once, json)
            var logger = Logger(label: "sensor-ingest.connector") { StreamLogHandler.standardError(label: $0) }
            logger.logLevel = .notice
            try await store.withStore { store in
                var settings = CursorUsageConnector.Settings(apiKey: key, tenant: try await TokenCommand.tenant(named: tenantName, in: store).id)
                settings.baseURL = baseURL
                settings.lookBack = lookBack
                let connector = CursorUsageConnector(store: store, settings: settings, logger: logger)
                while true {
                    do {
                        let outcome = try await connector.pull()
                        if json {
                            try JSONOutput.line(outcome)
                        } else {
                            print("pulled \(outcome.events) event(s) in \(outcome.pages) page(s): \(outcome.stored) new, \(outcome.repeats) seen before; up to \(outcome.watermark ?? "—")")
                        }
                    } catch let failure as CursorUsageConnector.Failure {
                        if once { throw ValidationError(failure.description) }
                        logger.error("pull failed; trying again at the next one", metadata: ["error": "\(failure.description)"])
                    }
                    if once { return }
                    try await Task.sleep(for: .seconds(every))
                }
            }
        }
    }
}
