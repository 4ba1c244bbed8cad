import Foundation
import SQLiteDB
import SensorTestSupport
import Testing

/// Trae, from the ItemTable document its readers find in real `state.vscdb` files: a list of
/// sessions, each with its messages, rewritten as they grow. The real sensor sends the document
/// again when it changes; the built-in mapping reads each session's messages within it (a
/// split in groups) and gives each message once, an agent's answer from its task content when it
/// has no text, on both stores.
@Suite struct TraeEndToEndTests {
    static func message(_ role: String, _ content: String, at millis: Int, task: String? = nil) -> String {
        let agent = task.map { #","agentTaskContent":\#($0)"# } ?? ""
        return #"{"role":"\#(role)","content":"\#(content)","timestamp":\#(millis),"turnIndex":0\#(agent)}"#
    }

    static func document(_ sessions: [(id: String, messages: [String])]) -> String {
        let list = sessions.map { #"{"sessionId":"\#($0.id)","createdAt":1796450000000,"updatedAt":1796450600000,"model":"doubao-seed-code","messages":[\#($0.messages.joined(separator: ","))]}"# }
        return #"{"list":[\#(list.joined(separator: ","))]}"#
    }

    @Test(arguments: SensorIntoIngestTests.databases)
    func eachSessionsMessagesOnceFromTheRewrittenDocument(_ kind: String) async throws {
        let scratch = ScratchHome("trae")
        defer { scratch.remove() }
        let home = scratch.home, work = scratch.work
        let database = try scratch.database(".config/Trae/User/globalStorage/state.vscdb")
        try database.execute("CREATE TABLE ItemTable (key TEXT UNIQUE ON CONFLICT REPLACE, value BLOB)")
        func store(_ text: String) throws {
            try database.execute("INSERT INTO ItemTable (key, value) VALUES ('memento/icube-ai-agent-storage', '\(text.replacingOccurrences(of: "'", with: "''"))')")
        }
        let first = [Self.message("user", "Add a dark theme", at: 1_796_450_001_000),
                     Self.message("assistant", "", at: 1_796_450_002_000, task: #"{"proposal":"Add CSS variables for both themes."}"#)]
        let other = [Self.message("user", "Rename the module", at: 1_796_450_100_000), Self.message("assistant", "Renamed.", at: 1_796_450_101_000)]
        try store(Self.document([("s-1", first), ("s-2", other)]))
        try database.execute("INSERT INTO ItemTable (key, value) VALUES ('workbench.panel.markers', '{}')")

        #expect(try await DocumentedToolRun.matchedFiles(source: "trae.agent-storage", home: home) == 1)
        let server = try await scratch.server(kind)
        defer { server.stop() }
        #expect(try await DocumentedToolRun.scanTwice(home: home, work: work, into: server, source: "trae.agent-storage") == 1)
        // The first session goes on: the document is written again with two messages more.
        try store(Self.document([("s-1", first + [Self.message("User", "Use the system setting", at: 1_796_450_003_000),
                                                  Self.message("Assistant", "Done: it follows prefers-color-scheme.", at: 1_796_450_004_000)]),
                                 ("s-2", other)]))
        #expect(try await DocumentedToolRun.scanTwice(home: home, work: work, into: server, source: "trae.agent-storage") == 2)

        let listed = try await NormalizationEndToEndTests.allSessions(server).filter { $0["tool"] as? String == "trae" }
        #expect(Set(listed.compactMap { $0["native_id"] as? String }) == ["s-1", "s-2"], "\(listed)")
        let session = try #require(listed.first { $0["native_id"] as? String == "s-1" })
        let detail = try #require(try await NormalizationEndToEndTests.get(server, "/api/v1/sessions/\(session["id"] as! String)") as? [String: Any])
        let messages = (detail["messages"] as? [[String: Any]] ?? []).map { "\($0["role"] as? String ?? ""):\($0["text"] as? String ?? "")" }
        #expect(messages == ["user:Add a dark theme", "assistant:Add CSS variables for both themes.", "user:Use the system setting",
                             "assistant:Done: it follows prefers-color-scheme."], "each once, in order: \(messages)")
        #expect((detail["messages"] as? [[String: Any]])?.last?["model"] as? String == "doubao-seed-code")
        let second = try #require(listed.first { $0["native_id"] as? String == "s-2" })
        #expect(second["messages"] as? Int == 2, "\(second)")
    }
}
