import ArgumentParser
import Foundation
import IngestCore
import IngestStore
import Normalization

/// `sensor-ingest stats`: what was collected, per source and kind.
struct StatsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "stats", abstract: "Show the envelopes stored, per source and kind.")

    @OptionGroup var store: StoreOptions

    @Flag(help: "JSON output: [{source, kind, envelopes, bytes, storedBytes}].")
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
        func row(_ source: String, _ kind: String, _ envelopes: String, _ megabytes: String, _ stored: String) -> String {
            source.padding(toLength: sourceWidth, withPad: " ", startingAt: 0) + "  "
                + kind.padding(toLength: kindWidth, withPad: " ", startingAt: 0) + "  "
                + String(repeating: " ", count: max(0, 10 - envelopes.count)) + envelopes + "  "
                + String(repeating: " ", count: max(0, 9 - megabytes.count)) + megabytes + "  "
                + String(repeating: " ", count: max(0, 9 - stored.count)) + stored
        }
        func megabytes(_ bytes: Int64) -> String { String(format: "%.2f", Double(bytes) / 1e6) }
        // MB as received; stored MB is what they take at rest, compressed.
        print(row("source", "kind", "envelopes", "MB", "stored MB"))
        for count in counts {
            print(row(count.source, count.kind, String(count.envelopes), megabytes(count.bytes), megabytes(count.storedBytes)))
        }
        let total = counts.reduce(0) { $0 + $1.envelopes }
        print(row("total", "", String(total), megabytes(counts.reduce(0) { $0 + $1.bytes }),
                  megabytes(counts.reduce(0) { $0 + $1.storedBytes })))
    }
}
