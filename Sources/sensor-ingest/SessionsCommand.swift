import ArgumentParser
import Foundation
import IngestCore
import IngestStore
import Normalization

/// `sensor-ingest sessions`: what the normalised tables hold, per tool.
struct SessionsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sessions",
        abstract: "Show the sessions collected per tool: sessions, messages, tool calls and tokens (normalising what is pending first).")

    @OptionGroup var store: StoreOptions

    @Flag(help: "JSON output: the sessions, as GET /api/v1/sessions answers.")
    var json = false

    @Flag(name: .customLong("include-empty"), help: "Count sessions without any message too (empty composers, tombstones).")
    var includeEmpty = false

    @OptionGroup var prices: PriceOptions

    @OptionGroup var normalizers: NormalizerOptions

    func run() async throws {
        let includeEmpty = includeEmpty
        let table = try prices.table()
        let registry = try normalizers.registry()
        let sessions = try await store.withStore { store in
            try await Normalizer(store: store, registry: registry, prices: table).catchUp()
            let reader = NormalizedReader(store: store)
            var all: [NormalizedReader.Session] = []
            var offset: Int? = 0
            while let next = offset {
                let page = try await reader.sessions(.init(includeEmpty: includeEmpty), limit: 1000, offset: next)
                all += page.sessions
                offset = page.nextOffset
            }
            return all
        }
        if json {
            print(String(decoding: try NormalizedReader.encoder(pretty: true).encode(sessions), as: UTF8.self))
            return
        }
        struct Totals { var sessions = 0, deleted = 0, messages: Int64 = 0, toolCalls: Int64 = 0, tokens: Int64 = 0 }
        var byTool: [String: Totals] = [:]
        for session in sessions {
            byTool[session.tool, default: Totals()].sessions += 1
            if session.status == "deleted" { byTool[session.tool, default: Totals()].deleted += 1 }
            byTool[session.tool, default: Totals()].messages += session.messages
            byTool[session.tool, default: Totals()].toolCalls += session.toolCalls
            byTool[session.tool, default: Totals()].tokens += session.tokens.total
        }
        func row(_ columns: [String]) -> String {
            columns[0].padding(toLength: 14, withPad: " ", startingAt: 0)
                + columns.dropFirst().map { String(repeating: " ", count: max(0, 12 - $0.count)) + $0 }.joined()
        }
        print(row(["tool", "sessions", "deleted", "messages", "tool calls", "tokens"]))
        for tool in byTool.keys.sorted() {
            let totals = byTool[tool]!
            print(row([tool, "\(totals.sessions)", "\(totals.deleted)", "\(totals.messages)", "\(totals.toolCalls)", "\(totals.tokens)"]))
        }
        if !includeEmpty { print("(sessions without any message are left out; --include-empty counts them)") }
    }
}
