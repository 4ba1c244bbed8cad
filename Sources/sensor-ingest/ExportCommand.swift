import ArgumentParser
import Foundation
import IngestStore

/// `sensor-ingest export`: sessions or usage as NDJSON or CSV on stdout, a page at a time.
struct ExportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export", abstract: "Export session summaries or usage (no words) as NDJSON or CSV, streamed to stdout.",
        discussion: "The fields are documented in docs/exports.md; the same exports are served at /api/v1/export/sessions and /api/v1/export/usage.")

    enum What: String, ExpressibleByArgument, CaseIterable { case sessions, usage }

    @OptionGroup var store: StoreOptions
    @OptionGroup var target: PromiseTarget

    @Argument(help: "sessions or usage.")
    var what: What

    @Option(help: "ndjson or csv.")
    var format = "ndjson"

    @Option(help: ArgumentHelp("From this day (UTC), inclusive.", valueName: "YYYY-MM-DD"))
    var since: String?

    @Option(help: ArgumentHelp("To this day (UTC), inclusive.", valueName: "YYYY-MM-DD"))
    var until: String?

    func validate() throws {
        guard format == "ndjson" || format == "csv" else { throw ValidationError("--format: ndjson or csv") }
        for (name, value) in [("--since", since), ("--until", until)] {
            if let value, value.range(of: #"^\d{4}-\d{2}-\d{2}$"#, options: .regularExpression) == nil {
                throw ValidationError("\(name): give a day, YYYY-MM-DD")
            }
        }
    }

    func run() async throws {
        let (target, what, csv, since, until) = (target, what, format == "csv", since, until)
        try await store.withStore { store in
            let (tenant, kind, id) = try await target.resolve(in: store)
            let owner = OwnerFilter(person: kind == "person" ? id : nil, team: kind == "team" ? id : nil)
            let scope = ExportScope(tenant: tenant, since: since, until: until, owner: owner)
            switch what {
            case .sessions: try await Self.write(SessionSummary.self, csv: csv) { try await Exports.sessions(scope, in: store, page: $0) }
            case .usage: try await Self.write(UsageSummary.self, csv: csv) { try await Exports.usage(scope, in: store, page: $0) }
            }
        }
    }

    /// Writes each page to stdout as it comes.
    static func write<Row: ExportRow>(_ row: Row.Type, csv: Bool, _ export: (([Row]) async throws -> Void) async throws -> Void) async throws {
        let out = FileHandle.standardOutput
        if csv { out.write(Data(Exports.csvLine(Row.csvHeader).utf8)) }
        try await export { page in out.write(Data(try page.exported(csv: csv).utf8)) }
    }
}
