import ArgumentParser
import Foundation
import IngestCore
import IngestStore
import Normalization

/// `sensor-ingest dump`: every stored envelope, byte for byte as received, one a line, in the
/// order of the store's key (PostgreSQL: tenant, id; SQLite: id, tenant).
struct DumpCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dump", abstract: "Print every stored raw envelope as received, one a line, in the order of its store's key (tenant and id).")

    @OptionGroup var store: StoreOptions

    func run() async throws {
        try await store.withStore { store in
            var after: StoredEnvelope?
            while true {
                let page = try await store.envelopes(after: after, limit: 1000)
                guard let last = page.last else { return }
                var output = Data()
                for envelope in page {
                    output.append(contentsOf: envelope.json.utf8)
                    output.append(0x0A)
                }
                FileHandle.standardOutput.write(output)
                after = last
            }
        }
    }
}
