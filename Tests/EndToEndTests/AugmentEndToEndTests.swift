import Foundation
import SensorTestSupport
import Testing

/// Auggie, Augment's CLI, from the session document its public readers parse: one JSON file a
/// session, rewritten whole as exchanges are added. The real sensor sends each version once;
/// the built-in mapping gives each exchange's prompt and answer once, at the time the exchange
/// finished, with the document's title, model and times and the workspace the prompts carried,
/// on both stores.
@Suite struct AugmentEndToEndTests {
    static let session = "4f7c2a10-9b1e-4d2a-8c3f-5e6d7a8b9c0d"

    static func exchange(_ id: String, _ prompt: String, _ answer: String, at second: Int, workspace: Bool = false) -> String {
        let nodes = workspace
            ? #"[{"id":1,"type":4,"ide_state_node":{"workspace_folders":[{"repository_root":"/home/me/billing","folder_root":"/home/me/billing/api"}]}}]"#
            : "[]"
        return #"{"exchange":{"request_id":"\#(id)","request_message":"\#(prompt)","response_text":"\#(answer)","request_nodes":\#(nodes),"response_nodes":[]},"finishedAt":"2026-12-05T10:\#(String(format: "%02d:%02d", second / 60, second % 60)).000Z"}"#
    }

    static func document(_ exchanges: [String]) -> String {
        #"{"sessionId":"\#(session)","created":"2026-12-05T10:00:00.000Z","modified":"2026-12-05T10:05:00.000Z","customTitle":"Invoice rounding","agentState":{"modelId":"claude-sonnet-4-5"},"chatHistory":[\#(exchanges.joined(separator: ","))]}"#
    }

    static let first = [
        exchange("r-1", "Why are invoices off by a cent?", "The tax is rounded per line, then summed.", at: 10, workspace: true),
        exchange("r-2", "Round once at the end", "Done: one rounding after the sum.", at: 40),
    ]

    @Test(arguments: SensorIntoIngestTests.databases)
    func eachExchangeGivesItsPromptAndAnswerOnce(_ kind: String) async throws {
        let scratch = ScratchHome("augment")
        defer { scratch.remove() }
        let home = scratch.home, work = scratch.work
        let file = try scratch.writeLines([Self.document(Self.first)], to: ".augment/sessions/\(Self.session).json")
        _ = try scratch.writeLines([#"{"theme":"dark"}"#], to: ".augment/settings.json")

        #expect(try await DocumentedToolRun.matchedFiles(source: "augment.sessions", home: home) == 1)
        let server = try await scratch.server(kind)
        defer { server.stop() }
        #expect(try await DocumentedToolRun.scanTwice(home: home, work: work, into: server, source: "augment.sessions") == 1)
        // The session goes on: the whole document is written again with one more exchange.
        try Data(Self.document(Self.first + [Self.exchange("r-3", "Add a test", "Added invoice_rounding_test.", at: 70)]).utf8).write(to: file)
        #expect(try await DocumentedToolRun.scanTwice(home: home, work: work, into: server, source: "augment.sessions") == 2)

        let listed = try await NormalizationEndToEndTests.allSessions(server).filter { $0["tool"] as? String == "augment" }
        let session = try #require(listed.first, "\(listed)")
        #expect(listed.count == 1 && session["native_id"] as? String == Self.session, "\(listed)")
        #expect(session["title"] as? String == "Invoice rounding" && session["project"] as? String == "/home/me/billing", "\(session)")
        #expect(session["messages"] as? Int == 6, "each exchange's two messages once over two versions: \(session)")
        let detail = try #require(try await NormalizationEndToEndTests.get(server, "/api/v1/sessions/\(session["id"] as! String)") as? [String: Any])
        let messages = try #require(detail["messages"] as? [[String: Any]])
        #expect(messages.map { $0["text"] as? String ?? "" } == [
            "Why are invoices off by a cent?", "The tax is rounded per line, then summed.", "Round once at the end",
            "Done: one rounding after the sum.", "Add a test", "Added invoice_rounding_test.",
        ], "\(messages)")
        #expect(messages.map { $0["role"] as? String ?? "" } == ["user", "assistant", "user", "assistant", "user", "assistant"])
        #expect((messages.last?["created_at"] as? String)?.hasPrefix("2026-12-05T10:01:10") == true, "the exchange's finishing time: \(messages)")
    }
}
