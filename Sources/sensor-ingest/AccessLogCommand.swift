import ArgumentParser
import Foundation
import IngestCore
import IngestStore

/// `sensor-ingest access-log`: who read whose conversations, for an admin to export.
struct AccessLogCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "access-log", abstract: "Export the access log: every read of a conversation, newest first.")

    @OptionGroup var store: StoreOptions

    @Option(help: ArgumentHelp("Only this tenant's; default: every tenant's.", valueName: "name"))
    var tenant: String?

    @Option(help: "At most this many entries.")
    var limit = 100_000

    @Flag(help: "JSON output (one array).")
    var json = false

    func run() async throws {
        let (tenantName, limit) = (tenant, limit)
        let entries = try await store.withStore { store in
            var tenant: Int64?
            if let tenantName { tenant = try await TokenCommand.tenant(named: tenantName, in: store).id }
            return try await AccessLog.entries(tenant: tenant, limit: limit, in: store)
        }
        if json {
            try JSONOutput.print(entries)
            return
        }
        print("at\treader\trole\towner\tsession\twhat\tfrom")
        for entry in entries {
            print([entry.at, entry.reader, entry.role, entry.owner ?? "—", entry.session, entry.what, entry.from].joined(separator: "\t"))
        }
    }
}
