import ArgumentParser
import Foundation
import IngestCore
import IngestStore
import Logging

/// `sensor-ingest otlp`: the sessions, as OpenTelemetry traces, to an observability stack.
struct TelemetryCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "otlp", abstract: "Send sessions to an OpenTelemetry collector as GenAI traces.", subcommands: [Export.self])

    struct Export: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Push sessions that went quiet, as traces (invoke_agent, chat, execute_tool spans), to an OTLP/HTTP endpoint.",
            discussion: "No words leave: token counts, models, tools and times; --people adds each person's email and teams. docs/telemetry.md.")

        @OptionGroup var store: StoreOptions

        @Option(help: ArgumentHelp("The OTLP/HTTP base address; traces go to <it>/v1/traces.", valueName: "url"))
        var endpoint: String

        @Option(name: .customLong("header"), help: ArgumentHelp("A header for the collector, NAME=VALUE (repeatable).", valueName: "header"))
        var headers: [String] = []

        @Option(help: ArgumentHelp("The tenant whose sessions go.", valueName: "name"))
        var tenant = "default"

        @Option(help: ArgumentHelp("Minutes a session must be quiet before it goes.", valueName: "minutes"))
        var quiet = 30.0

        @Flag(help: "Name each session's person (email) and teams on its trace.")
        var people = false

        @Option(help: ArgumentHelp("Seconds between pushes.", valueName: "seconds"))
        var every = 300.0

        @Flag(help: "Push once and exit.")
        var once = false

        @Flag(help: "Each push's outcome as a JSON line.")
        var json = false

        func validate() throws {
            guard let url = URL(string: endpoint), url.host != nil, ["http", "https"].contains(url.scheme ?? "") else {
                throw ValidationError("--endpoint: not an http(s) URL: \(endpoint)")
            }
            for header in headers where !header.contains("=") { throw ValidationError("--header: NAME=VALUE, not \(header)") }
            guard quiet >= 0, every >= 1 else { throw ValidationError("--quiet at least 0, --every at least 1") }
        }

        func run() async throws {
            let (endpoint, headers, tenantName, quiet, people, every, once, json) = (endpoint, headers, tenant, quiet, people, every, once, json)
            var logger = Logger(label: "sensor-ingest.otlp") { StreamLogHandler.standardError(label: $0) }
            logger.logLevel = .notice
            try await store.withStore { store in
                var settings = TraceExporter.Settings(endpoint: endpoint, tenant: try await TokenCommand.tenant(named: tenantName, in: store).id)
                settings.headers = headers.map { header in
                    let parts = header.split(separator: "=", maxSplits: 1)
                    return (String(parts[0]), parts.count > 1 ? String(parts[1]) : "")
                }
                settings.quiet = quiet * 60
                settings.people = people
                let exporter = TraceExporter(store: store, settings: settings, logger: logger)
                while true {
                    do {
                        let outcome = try await exporter.export()
                        if json {
                            try JSONOutput.line(outcome)
                        } else {
                            print("sent \(outcome.sessions) session(s), \(outcome.spans) span(s) in \(outcome.requests) request(s); newest activity \(outcome.latest ?? "—")")
                        }
                    } catch let failure as TraceExporter.Failure {
                        if once { throw ValidationError(failure.description) }
                        logger.error("push failed; trying again at the next one", metadata: ["error": "\(failure.description)"])
                    }
                    if once { return }
                    try await Task.sleep(for: .seconds(every))
                }
            }
        }
    }
}
