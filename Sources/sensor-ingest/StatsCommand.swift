import ArgumentParser
import Foundation
import IngestCore

/// `sensor-ingest stats`: what was collected, per source and kind.
struct StatsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "stats", abstract: "Show the envelopes stored, per source and kind.")

    @OptionGroup var store: StoreOptions

    @Flag(help: "JSON output: [{source, kind, envelopes, bytes}].")
    var json = false

    func run() async throws {
        let counts = try await store.withStore { try await $0.counts() }
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            print(String(decoding: try encoder.encode(counts), as: UTF8.self))
            return
        }
        let sourceWidth = max(6, counts.map(\.source.count).max() ?? 0)
        let kindWidth = max(4, counts.map(\.kind.count).max() ?? 0)
        func row(_ source: String, _ kind: String, _ envelopes: String, _ megabytes: String) -> String {
            source.padding(toLength: sourceWidth, withPad: " ", startingAt: 0) + "  "
                + kind.padding(toLength: kindWidth, withPad: " ", startingAt: 0) + "  "
                + String(repeating: " ", count: max(0, 10 - envelopes.count)) + envelopes + "  "
                + String(repeating: " ", count: max(0, 9 - megabytes.count)) + megabytes
        }
        print(row("source", "kind", "envelopes", "MB"))
        for count in counts {
            print(row(count.source, count.kind, String(count.envelopes), String(format: "%.2f", Double(count.bytes) / 1e6)))
        }
        let total = counts.reduce(0) { $0 + $1.envelopes }
        let bytes = counts.reduce(Int64(0)) { $0 + $1.bytes }
        print(row("total", "", String(total), String(format: "%.2f", Double(bytes) / 1e6)))
    }
}
