import Foundation
import SQLiteDB
import SensorTestSupport
import Testing

/// Piebald, from the tables its own usage analyzer reads (Piebald-AI/splitrail) and the parts
/// agentsview's reader finds: chats, messages updated in place while they stream, their words
/// in text nodes of text parts (some thinking), tool-call parts. The real sensor joins a
/// message's nodes into its text and thinking and sends a row again only when it changed; the
/// mapping gives each message once with its last text, the calls with results and errors, and
/// the tokens under each model's semantics (an OpenAI model's input counts the cache reads and
/// its output leaves the reasoning out), on both stores.
@Suite struct PiebaldEndToEndTests {
    static let schema = [
        "CREATE TABLE projects (id INTEGER PRIMARY KEY, name TEXT, directory TEXT)",
        """
        CREATE TABLE chats (id INTEGER PRIMARY KEY, title TEXT, model TEXT, project_id INTEGER, created_at TEXT, updated_at TEXT,
          message_count INTEGER, current_directory TEXT, worktree_path TEXT, branch_name TEXT)
        """,
        """
        CREATE TABLE messages (id INTEGER PRIMARY KEY, parent_chat_id INTEGER, parent_message_id INTEGER, enabled INTEGER, role TEXT, model TEXT,
          created_at TEXT, updated_at TEXT, input_tokens INTEGER, output_tokens INTEGER, reasoning_tokens INTEGER, cache_read_tokens INTEGER,
          cache_write_tokens INTEGER, status TEXT, finish_reason TEXT, error TEXT)
        """,
        "CREATE TABLE message_parts (id INTEGER PRIMARY KEY, parent_chat_message_id INTEGER, part_type TEXT, part_index INTEGER)",
        "CREATE TABLE message_part_text (message_part_id INTEGER PRIMARY KEY, is_thinking INTEGER)",
        "CREATE TABLE message_content_nodes (id INTEGER PRIMARY KEY, parent_text_part_id INTEGER, node_type TEXT, node_index INTEGER)",
        "CREATE TABLE message_node_text (node_id INTEGER PRIMARY KEY, content TEXT)",
        """
        CREATE TABLE message_part_tool_call (message_part_id INTEGER PRIMARY KEY, provider_tool_use_id TEXT, tool_name TEXT, tool_input TEXT,
          tool_result TEXT, tool_error TEXT, tool_state TEXT, sub_agent_chat_id INTEGER)
        """,
    ]

    /// Statements writing a text part of `message` made of `nodes`.
    static func textPart(_ part: Int, of message: Int, index: Int, thinking: Bool = false, nodes: [String]) -> [String] {
        ["INSERT INTO message_parts VALUES (\(part), \(message), 'text', \(index))",
         "INSERT INTO message_part_text VALUES (\(part), \(thinking ? 1 : 0))"]
        + nodes.enumerated().flatMap { offset, text in
            let node = part * 100 + offset
            return ["INSERT INTO message_content_nodes VALUES (\(node), \(part), 'text', \(offset))",
                    "INSERT INTO message_node_text VALUES (\(node), '\(text)')"]
        }
    }

    static func message(_ id: Int, _ role: String, model: String?, second: Int, enabled: Bool = true, tokens: String = "NULL, NULL, NULL, NULL, NULL") -> String {
        let at = "'2026-12-05T10:00:\(String(format: "%02d", second)).123456789Z'"
        return "INSERT INTO messages VALUES (\(id), 1, NULL, \(enabled ? 1 : 0), '\(role)', \(model.map { "'\($0)'" } ?? "NULL"), \(at), \(at), \(tokens), 'done', 'stop', NULL)"
    }

    @Test(arguments: SensorIntoIngestTests.databases)
    func messagesFromTheirPartsWithTokensUnderEachModelsSemantics(_ kind: String) async throws {
        let scratch = ScratchHome("piebald")
        defer { scratch.remove() }
        let home = scratch.home, work = scratch.work
        let database = try scratch.database(".local/share/piebald/app.db")
        for statement in Self.schema + [
            "INSERT INTO projects VALUES (1, 'app', '/home/me/app')",
            "INSERT INTO chats VALUES (1, 'Fix login', 'claude-sonnet-4-5', 1, '2026-12-05T10:00:00Z', '2026-12-05T10:05:00Z', 4, '/home/me/app', NULL, 'fix-login')",
            Self.message(1, "user", model: nil, second: 1),
            Self.message(2, "assistant", model: "claude-sonnet-4-5", second: 2, tokens: "100, 50, 20, 1000, 200"),
            Self.message(3, "assistant", model: "gpt-5", second: 3),
            Self.message(4, "user", model: nil, second: 4, enabled: false),
            "INSERT INTO message_parts VALUES (24, 2, 'tool_call', 3)",
            #"INSERT INTO message_part_tool_call VALUES (24, 'call-1', 'read', '{"path":"auth.ts"}', 'export const ttl = 60', NULL, 'completed', NULL)"#,
            "INSERT INTO message_parts VALUES (25, 2, 'tool_call', 4)",
            #"INSERT INTO message_part_tool_call VALUES (25, 'call-2', 'bash', '{"command":"npm test"}', NULL, 'exit 1', 'error', NULL)"#,
        ] + Self.textPart(11, of: 1, index: 0, nodes: ["Why does ", "login fail?"])
          + Self.textPart(21, of: 2, index: 0, thinking: true, nodes: ["Check the session cookie."])
          + Self.textPart(22, of: 2, index: 1, nodes: ["The cookie ", "expires early."])
          + Self.textPart(23, of: 2, index: 2, nodes: ["Shorten it?"])
          + Self.textPart(31, of: 3, index: 0, nodes: ["Shorten"])
          + Self.textPart(41, of: 4, index: 0, nodes: ["an edited-away prompt"]) {
            try database.execute(statement)
        }

        #expect(try await DocumentedToolRun.matchedFiles(source: "piebald.messages", home: home) == 1)
        let server = try await scratch.server(kind)
        defer { server.stop() }
        #expect(try await DocumentedToolRun.scanTwice(home: home, work: work, into: server, source: "piebald.messages") == 4)
        // The GPT answer finishes streaming: a node more and its tokens, written in place.
        try database.execute("INSERT INTO message_content_nodes VALUES (3101, 31, 'text', 1)")
        try database.execute("INSERT INTO message_node_text VALUES (3101, ' the TTL.')")
        try database.execute("UPDATE messages SET input_tokens = 1500, output_tokens = 40, reasoning_tokens = 10, cache_read_tokens = 1000, cache_write_tokens = 0 WHERE id = 3")
        #expect(try await DocumentedToolRun.scanTwice(home: home, work: work, into: server, source: "piebald.messages") == 5, "the finished row once more")

        let listed = try await NormalizationEndToEndTests.allSessions(server).filter { $0["tool"] as? String == "piebald" }
        let session = try #require(listed.first, "\(listed)")
        #expect(listed.count == 1 && session["title"] as? String == "Fix login" && session["project"] as? String == "/home/me/app", "\(session)")
        #expect(session["git_branch"] as? String == "fix-login" && session["tool_calls"] as? Int == 2, "\(session)")
        let tokens = try #require(session["tokens"] as? [String: Any])
        #expect(tokens["input"] as? Int == 100 + 500 && tokens["output"] as? Int == 50 + 50, "GPT's cache out of its input, its reasoning into its output: \(tokens)")
        #expect(tokens["cache_read"] as? Int == 2000 && tokens["cache_write"] as? Int == 200 && tokens["reasoning"] as? Int == 30, "\(tokens)")

        let detail = try #require(try await NormalizationEndToEndTests.get(server, "/api/v1/sessions/\(session["id"] as! String)") as? [String: Any])
        let messages = (detail["messages"] as? [[String: Any]] ?? []).map { "\($0["kind"] as? String ?? ""):\($0["text"] as? String ?? "")" }
        #expect(messages == ["text:Why does login fail?", "text:The cookie expires early.\nShorten it?", "thinking:Check the session cookie.",
                             "text:Shorten the TTL."], "nodes joined, parts by a line, the last version, no disabled message: \(messages)")
        let calls = try #require(detail["tool_calls"] as? [[String: Any]])
        let read = try #require(calls.first { $0["call_id"] as? String == "call-1" }, "\(calls)")
        let bash = try #require(calls.first { $0["call_id"] as? String == "call-2" }, "\(calls)")
        #expect(read["name"] as? String == "read" && read["result"] as? String == "export const ttl = 60" && read["is_error"] as? Bool != true, "\(read)")
        #expect(bash["result"] as? String == "exit 1" && bash["is_error"] as? Bool == true, "\(bash)")
    }
}
