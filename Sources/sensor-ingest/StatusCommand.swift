import ArgumentParser
import Foundation
import IngestStore

/// `sensor-ingest status`: how far normalising is, lane by lane, and which server holds each lane.
struct StatusCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "Show each normalising lane: its watermark, the envelopes waiting and the server holding it.",
        discussion: """
            Raw envelopes are divided into lanes by device (16 on PostgreSQL, one on SQLite); every \
            server normalises one lane at a time, so several servers share the work. A holder is \
            `host:pid:id`; a lane without one is free, or its holder stopped and its lease expired.
            """)

    @OptionGroup var store: StoreOptions

    @Flag(help: "JSON output: [{lane, watermark, pending, holder, expiresIn}].")
    var json = false

    func run() async throws {
        let lanes = try await store.withStore { try await LaneStatus.all(in: $0) }
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            print(String(decoding: try encoder.encode(lanes), as: UTF8.self))
            return
        }
        func right(_ value: some CustomStringConvertible, _ width: Int) -> String {
            let text = value.description
            return String(repeating: " ", count: max(0, width - text.count)) + text
        }
        print("lane   watermark     pending  holder")
        for lane in lanes {
            let holder = lane.holder.map { "\($0), \((lane.expiresIn ?? 0) / 1000) s left" } ?? "-"
            print("\(right(lane.lane, 4))  \(right(lane.watermark, 10))  \(right(lane.pending, 10))  \(holder)")
        }
        print("pending in all: \(lanes.reduce(0) { $0 + $1.pending })")
    }
}
