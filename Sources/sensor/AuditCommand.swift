import ArgumentParser
import Foundation
import SensorCore

/// `sensor audit`: what left this machine, batch by batch, as the server acknowledged it.
struct AuditCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "audit",
        abstract: "Show every acknowledged upload: when, how many records and bytes, from which sources and files."
    )

    @OptionGroup var common: CommonOptions

    @Option(help: ArgumentHelp("Only uploads since then: a date or time (2026-12-01, 2026-12-01T09:00:00Z) or an age (90m, 24h, 7d).",
                               valueName: "when"))
    var since: String?

    @Flag(help: "List the files of each upload.")
    var files = false

    @Flag(help: "Print the entries as JSON lines.")
    var json = false

    func run() throws {
        let log = AuditLog(stateDirectory: common.stateDirectoryURL)
        let entries = try log.entries(since: try since.map(Self.timestamp))
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
            for entry in entries { print(String(decoding: try encoder.encode(entry), as: UTF8.self)) }
            return
        }
        guard !entries.isEmpty else {
            print("no acknowledged uploads\(since.map { " since \($0)" } ?? "") in \(log.url.path)")
            return
        }
        for entry in entries {
            let sources = entry.sources.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")
            print("\(entry.at)  \(entry.envelopes) record(s)  \(ByteCount.text(entry.bytes))  " +
                  "accepted \(entry.answer.accepted), duplicates \(entry.answer.duplicates), rejected \(entry.answer.rejected)  " +
                  "[\(sources)]  \(entry.files.count) file(s)  → \(entry.endpoint)")
            if files { for file in entry.files { print("    \(file)") } }
        }
        let records = entries.reduce(0) { $0 + $1.envelopes }
        let bytes = entries.reduce(0) { $0 + $1.bytes }
        print("\(entries.count) upload(s), \(records) record(s), \(ByteCount.text(bytes)) on the wire")
    }

    /// `--since` as an ISO 8601 timestamp comparable with the entries'.
    static func timestamp(_ value: String) throws -> String {
        let units: [Character: Double] = ["s": 1, "m": 60, "h": 3600, "d": 86400]
        if let unit = value.last.flatMap({ units[$0] }), let amount = Double(value.dropLast()) {
            return SourceScanner.timestamp(Date().addingTimeInterval(-amount * unit))
        }
        let formatter = ISO8601DateFormatter()
        if let date = formatter.date(from: value) { return SourceScanner.timestamp(date) }
        formatter.formatOptions = [.withFullDate]
        if let date = formatter.date(from: value) { return SourceScanner.timestamp(date) }
        throw ValidationError("--since \(value): expected a date (2026-12-01), a time (2026-12-01T09:00:00Z) or an age (24h, 7d)")
    }
}
