import Foundation
import SQLiteDB
import SensorTestSupport
import Testing

/// Shelley, from the tables its readers find in real databases: conversations updated in
/// place, messages appended with number-tagged content blocks and a usage blob. The real sensor
/// sends each message once; the mapping gives the prompt, reasoning, answers, the call with its
/// result, the usage of agent turns (never the zero blobs of user and tool rows) with the cost
/// the gateway charged, and a sub-agent's conversation linked to its parent, on both stores.
@Suite struct ShelleyEndToEndTests {
    static func message(_ sequence: Int, _ conversation: String, _ type: String, _ llm: String, usage: String = #"{"input_tokens":0,"output_tokens":0}"#) -> String {
        let quoted = { (text: String) in "'" + text.replacingOccurrences(of: "'", with: "''") + "'" }
        return "('m\(conversation)\(sequence)', '\(conversation)', \(sequence), '\(type)', \(quoted(llm)), NULL, \(quoted(usage)), '2026-12-05T10:00:\(String(format: "%02d", sequence))Z', 1, 0, '{}')"
    }

    @Test(arguments: SensorIntoIngestTests.databases)
    func conversationsMessagesCallsAndUsage(_ kind: String) async throws {
        let scratch = ScratchHome("shelley")
        defer { scratch.remove() }
        let home = scratch.home, work = scratch.work
        let database = try scratch.database(".config/shelley/shelley.db")
        let usage = #"{"input_tokens":12,"cache_creation_input_tokens":300,"cache_read_input_tokens":4000,"output_tokens":80,"model":"claude-sonnet-4-5","cost_usd":0.0031}"#
        let later = #"{"input_tokens":20,"cache_creation_input_tokens":0,"cache_read_input_tokens":4300,"output_tokens":40,"model":"claude-sonnet-4-5","cost_usd":0.0019}"#
        for statement in [
            """
            CREATE TABLE conversations (conversation_id TEXT PRIMARY KEY, slug TEXT, user_initiated BOOLEAN NOT NULL DEFAULT TRUE,
              created_at DATETIME NOT NULL, updated_at DATETIME NOT NULL, cwd TEXT, archived BOOLEAN NOT NULL DEFAULT FALSE,
              parent_conversation_id TEXT, model TEXT, current_generation INTEGER NOT NULL DEFAULT 1)
            """,
            """
            CREATE TABLE messages (message_id TEXT PRIMARY KEY, conversation_id TEXT NOT NULL, sequence_id INTEGER NOT NULL, type TEXT NOT NULL,
              llm_data TEXT, user_data TEXT, usage_data TEXT, created_at DATETIME NOT NULL, generation INTEGER NOT NULL DEFAULT 1,
              excluded_from_context BOOLEAN NOT NULL DEFAULT FALSE, display_data TEXT)
            """,
            """
            INSERT INTO conversations (conversation_id, slug, user_initiated, created_at, updated_at, cwd, parent_conversation_id, model) VALUES
              ('c1', 'fix-flaky-login-test', 1, '2026-12-05T10:00:00Z', '2026-12-05T10:05:00Z', '/home/me/web', NULL, 'claude-sonnet-4-5'),
              ('c2', 'subagent-grep-logs', 0, '2026-12-05T10:01:00Z', '2026-12-05T10:02:00Z', '/home/me/web', 'c1', 'claude-sonnet-4-5')
            """,
            "INSERT INTO messages VALUES " + [
                Self.message(0, "c1", "system", #"{"Role":0,"Content":[{"Type":2,"Text":"PLANTED-SYSTEM-PROMPT"}]}"#),
                Self.message(1, "c1", "user", #"{"Role":0,"Content":[{"Type":2,"Text":"The login test flakes on CI"}]}"#),
                Self.message(2, "c1", "agent", #"{"Role":1,"Content":[{"Type":3,"Thinking":"Probably a race on the session cookie."},{"Type":2,"Text":"Let me run it."},{"Type":5,"ID":"toolu_1","ToolName":"bash","ToolInput":{"command":"go test ./auth"}}]}"#, usage: usage),
                Self.message(3, "c1", "tool", #"{"Role":0,"Content":[{"Type":6,"ToolUseID":"toolu_1","ToolError":true,"ToolResult":[{"Type":2,"Text":"FAIL: TestLogin (timeout)"}]}]}"#),
                Self.message(4, "c1", "agent", #"{"Role":1,"Content":[{"Type":2,"Text":"It times out waiting for the cookie; I added a wait."}]}"#, usage: later),
                Self.message(1, "c2", "user", #"{"Role":0,"Content":[{"Type":2,"Text":"grep the CI logs"}]}"#),
            ].joined(separator: ", "),
        ] { try database.execute(statement) }

        #expect(try await DocumentedToolRun.matchedFiles(source: "shelley.messages", home: home) == 1)
        let server = try await scratch.server(kind)
        defer { server.stop() }
        #expect(try await DocumentedToolRun.scanTwice(home: home, work: work, into: server, source: "shelley.messages") == 6)

        let listed = try await NormalizationEndToEndTests.allSessions(server).filter { $0["tool"] as? String == "shelley" }
        let main = try #require(listed.first { $0["native_id"] as? String == "c1" }, "\(listed)")
        #expect(main["title"] as? String == "fix-flaky-login-test" && main["project"] as? String == "/home/me/web", "\(main)")
        #expect(main["messages"] as? Int == 4 && main["tool_calls"] as? Int == 1, "the system prompt is not a message: \(main)")
        let tokens = try #require(main["tokens"] as? [String: Any])
        #expect(tokens["input"] as? Int == 32 && tokens["output"] as? Int == 120, "\(tokens)")
        #expect(tokens["cache_read"] as? Int == 8300 && tokens["cache_write"] as? Int == 300, "\(tokens)")
        #expect(abs((tokens["cost"] as? Double ?? 0) - 0.005) < 1e-9, "the gateway's charge: \(tokens)")

        let detail = try #require(try await NormalizationEndToEndTests.get(server, "/api/v1/sessions/\(main["id"] as! String)") as? [String: Any])
        let messages = try #require(detail["messages"] as? [[String: Any]])
        #expect(messages.map { $0["role"] as? String ?? "" } == ["user", "assistant", "tool", "assistant"], "\(messages)")
        #expect(messages[1]["text"] as? String == "Let me run it.")
        let calls = try #require(detail["tool_calls"] as? [[String: Any]])
        #expect(calls.first?["name"] as? String == "bash" && calls.first?["result"] as? String == "FAIL: TestLogin (timeout)", "\(calls)")
        #expect(calls.first?["is_error"] as? Bool == true)
        #expect((detail["usage"] as? [[String: Any]])?.count == 2, "agent turns only")
        let child = try #require(listed.first { $0["native_id"] as? String == "c2" })
        let children = try #require(detail["children"] as? [[String: Any]])
        #expect(children.map { $0["id"] as? String } == [child["id"] as? String])
        #expect(!String(describing: detail).contains("PLANTED-SYSTEM-PROMPT"))
    }
}
