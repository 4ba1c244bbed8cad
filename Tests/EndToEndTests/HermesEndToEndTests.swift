import Foundation
import SQLiteDB
import SensorTestSupport
import Testing

/// Hermes Agent, built from its documented database (hermes_state_common.py's schema, a
/// representative part of its columns; hermes_state_usage.py's running totals): the real sensor
/// reads `state.db` while it is written, the built-in mapping gives sessions with their project,
/// branch, title and model, the messages with reasoning, the calls joined to their results, the
/// continuation of a compressed session as a link, and the token totals as they grow, on both
/// stores. What the declaration denies (the system prompt) never leaves.
@Suite struct HermesEndToEndTests {
    static let schema = [
        """
        CREATE TABLE sessions (id TEXT PRIMARY KEY, source TEXT NOT NULL, user_id TEXT, model TEXT, model_config TEXT, system_prompt TEXT,
          parent_session_id TEXT, started_at REAL NOT NULL, ended_at REAL, end_reason TEXT, message_count INTEGER DEFAULT 0,
          tool_call_count INTEGER DEFAULT 0, input_tokens INTEGER DEFAULT 0, output_tokens INTEGER DEFAULT 0, cache_read_tokens INTEGER DEFAULT 0,
          cache_write_tokens INTEGER DEFAULT 0, reasoning_tokens INTEGER DEFAULT 0, cwd TEXT, git_branch TEXT, billing_provider TEXT,
          estimated_cost_usd REAL, actual_cost_usd REAL, cost_status TEXT, title TEXT, last_activity_at REAL, api_call_count INTEGER DEFAULT 0,
          origin_json TEXT, FOREIGN KEY (parent_session_id) REFERENCES sessions(id))
        """,
        """
        CREATE TABLE messages (id INTEGER PRIMARY KEY AUTOINCREMENT, session_id TEXT NOT NULL REFERENCES sessions(id), role TEXT NOT NULL,
          content TEXT, tool_call_id TEXT, tool_calls TEXT, tool_name TEXT, timestamp REAL NOT NULL, token_count INTEGER, finish_reason TEXT,
          reasoning TEXT, reasoning_content TEXT, active INTEGER NOT NULL DEFAULT 1, api_content TEXT, display_identity BLOB, display_order INTEGER)
        """,
        """
        INSERT INTO sessions (id, source, model, system_prompt, started_at, cwd, git_branch, title, input_tokens, output_tokens, cache_read_tokens,
          cache_write_tokens, reasoning_tokens, estimated_cost_usd, last_activity_at, api_call_count)
        VALUES ('20261204_093500_a1b2c3', 'cli', 'anthropic/claude-sonnet-4', 'You are Hermes, the system prompt kept with every session',
          1796376900.0, '/home/me/shop', 'fix/flaky-login', 'Fix the flaky login test', 1200, 300, 5000, 100, 40, 0.05, 1796376930.0, 2)
        """,
        """
        INSERT INTO messages (session_id, role, content, tool_call_id, tool_calls, tool_name, timestamp, reasoning, api_content, display_identity) VALUES
          ('20261204_093500_a1b2c3', 'user', 'Why does the login test fail on CI?', NULL, NULL, NULL, 1796376901.5, NULL, 'an api copy', X'0102'),
          ('20261204_093500_a1b2c3', 'assistant', 'Let me read it.', NULL,
           '[{"id": "call_1", "type": "function", "function": {"name": "read_file", "arguments": "{\\"path\\": \\"tests/test_login.py\\"}"}}]',
           NULL, 1796376905.0, 'Read the test first.', NULL, NULL),
          ('20261204_093500_a1b2c3', 'tool', 'def test_login(): sleep(2)', 'call_1', NULL, 'read_file', 1796376906.0, NULL, NULL, NULL),
          ('20261204_093500_a1b2c3', 'assistant', 'It sleeps two seconds; wait for the page instead.', NULL, NULL, NULL, 1796376930.0, NULL, NULL, NULL)
        """,
    ]

    @Test(arguments: SensorIntoIngestTests.databases)
    func hermesSessionsArriveWithMessagesCallsLinksAndGrowingTotals(_ kind: String) async throws {
        let scratch = ScratchHome("hermes")
        defer { scratch.remove() }
        let home = scratch.home
        let database = try scratch.database(".hermes/state.db")
        try database.execute("PRAGMA journal_mode=WAL")
        for statement in Self.schema { try database.execute(statement) }

        let work = scratch.work
        let server = try await scratch.server(kind)
        defer { server.stop() }
        #expect(try await DocumentedToolRun.matchedFiles(source: "hermes.sessions", home: home) == 1)
        #expect(try await DocumentedToolRun.scanTwice(home: home, work: work, into: server, source: "hermes.messages") == 4)

        // The session compressed: a continuation carries on (a link), and the first one's totals grow.
        try database.execute("""
            UPDATE sessions SET input_tokens = 2000, output_tokens = 500, cache_read_tokens = 9000, api_call_count = 3, ended_at = 1796376960.0,
              end_reason = 'compression', last_activity_at = 1796376960.0 WHERE id = '20261204_093500_a1b2c3'
            """)
        try database.execute("""
            INSERT INTO sessions (id, source, model, parent_session_id, started_at, cwd, title, input_tokens, output_tokens)
            VALUES ('20261204_093600_d4e5f6', 'cli', 'anthropic/claude-sonnet-4', '20261204_093500_a1b2c3', 1796376961.0, '/home/me/shop',
              'Fix the flaky login test', 100, 20)
            """)
        try database.execute("""
            INSERT INTO messages (session_id, role, content, timestamp) VALUES ('20261204_093600_d4e5f6', 'user', 'Now fix it.', 1796376962.0)
            """)
        #expect(try await DocumentedToolRun.scanTwice(home: home, work: work, into: server, source: "hermes.sessions") == 3,
                "each version of a session row once: the first, its growth, the continuation")

        let listed = try await NormalizationEndToEndTests.allSessions(server).filter { $0["tool"] as? String == "hermes" }
        #expect(listed.count == 2, "\(listed)")
        let first = try #require(listed.first { $0["native_id"] as? String == "20261204_093500_a1b2c3" }, "\(listed)")
        #expect(first["project"] as? String == "/home/me/shop")
        #expect(first["git_branch"] as? String == "fix/flaky-login")
        #expect(first["title"] as? String == "Fix the flaky login test")
        #expect(first["model"] as? String == "anthropic/claude-sonnet-4")
        #expect(first["messages"] as? Int == 5, "four rows, the reasoning of one a message of its own")
        #expect(first["tool_calls"] as? Int == 1)
        let tokens = try #require(first["tokens"] as? [String: Any])
        #expect(tokens["input"] as? Int == 2000, "the last running totals: \(tokens)")
        #expect(tokens["output"] as? Int == 500)
        #expect(tokens["cache_read"] as? Int == 9000)
        #expect(tokens["cache_write"] as? Int == 100)

        let continuation = try #require(listed.first { $0["native_id"] as? String == "20261204_093600_d4e5f6" }, "\(listed)")
        #expect(continuation["parent_id"] as? String == first["id"] as? String, "the continuation links to the compressed session")
        #expect(continuation["messages"] as? Int == 1)

        let detail = try #require(try await NormalizationEndToEndTests.get(server, "/api/v1/sessions/\(first["id"] as! String)") as? [String: Any])
        let messages = detail["messages"] as? [[String: Any]] ?? []
        #expect(messages.map { $0["role"] as? String ?? "" } == ["user", "assistant", "assistant", "tool", "assistant"], "\(messages)")
        #expect(messages.map { $0["kind"] as? String ?? "" } == ["text", "text", "thinking", "tool_result", "text"])
        #expect(messages.dropFirst(2).first?["text"] as? String == "Read the test first.")
        let call = try #require((detail["tool_calls"] as? [[String: Any]])?.first)
        #expect(call["name"] as? String == "read_file")
        #expect(call["result"] as? String == "def test_login(): sleep(2)")

        // What the declaration denies stays on the laptop: a dry run prints every envelope a scan would send.
        let dryRun = try await ProcessRunner.run(ProcessRunner.sensor, ["scan", "--dry-run", "--home", home.path,
                                                                        "--state-dir", scratch.root.appendingPathComponent("dry-state").path])
        #expect(dryRun.status == 0, "\(dryRun.stderr)")
        #expect(dryRun.text.contains("Why does the login test fail on CI?"))
        #expect(!dryRun.text.contains("You are Hermes") && !dryRun.text.contains("an api copy") && !dryRun.text.contains("display_identity"))

        let drift = try #require(try await NormalizationEndToEndTests.get(server, "/api/v1/drift") as? [String: Any])
        #expect((drift["drift"] as? [[String: Any]] ?? []).filter { $0["tool"] as? String == "hermes" }.isEmpty)
    }
}
