import Foundation
import SQLiteDB
import SensorTestSupport
import Testing

/// Warp's agent mode, from the tables of its public client (warpdotdev/warp's persistence
/// crate): a prompt a row of `ai_queries` (its input a JSON list of queries with the context
/// Warp attached), a conversation a row of `agent_conversations`, rewritten as it goes. The
/// real sensor sends only the prompts' texts and the conversation's figures (never the attached
/// context or the server's conversation token), each row again only when it changed; the
/// mapping gives a session a conversation with its prompts, folder and model, the sub-agent's
/// conversation linked to its parent, and the running cost Warp recorded counted once.
@Suite struct WarpEndToEndTests {
    static let schema = [
        "CREATE TABLE agent_conversations (id INTEGER PRIMARY KEY NOT NULL, conversation_id TEXT NOT NULL, conversation_data TEXT NOT NULL, last_modified_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP, summary TEXT)",
        "CREATE UNIQUE INDEX ux_agent_conversations_conversation_id ON agent_conversations(conversation_id)",
        """
        CREATE TABLE ai_queries (id INTEGER PRIMARY KEY NOT NULL, exchange_id TEXT NOT NULL, conversation_id TEXT NOT NULL, start_ts DATETIME NOT NULL,
          input TEXT NOT NULL, working_directory TEXT, output_status TEXT NOT NULL, model_id TEXT NOT NULL DEFAULT '',
          planning_model_id TEXT NOT NULL DEFAULT '', coding_model_id TEXT NOT NULL DEFAULT '')
        """,
        "CREATE TABLE agent_tasks (id INTEGER PRIMARY KEY NOT NULL, conversation_id TEXT NOT NULL, task_id TEXT NOT NULL, task BLOB NOT NULL, last_modified_at TIMESTAMP NOT NULL)",
    ]

    static func query(_ text: String, context: String = "[]") -> String {
        #"[{"Query":{"text":"\#(text)","context":\#(context),"referenced_attachments":{}}}]"#
    }

    static func conversation(cents: Double, tokens: Int, parent: String? = nil, agent: String? = nil) -> String {
        let child = (parent.map { #","parent_conversation_id":"\#($0)""# } ?? "") + (agent.map { #","agent_name":"\#($0)""# } ?? "")
        return #"{"server_conversation_token":"srv-token-must-stay-home","conversation_usage_metadata":{"was_summarized":false,"context_window_usage":0.2,"credits_spent":3.0,"total_provider_cost_in_cents":\#(cents),"token_usage":[{"model_id":"claude-4-sonnet","warp_tokens":\#(tokens),"byok_tokens":0}],"tool_usage_metadata":{"run_command_stats":{"count":2}}}\#(child)}"#
    }

    @Test(arguments: SensorIntoIngestTests.databases)
    func promptsAndRunningCostOfEachConversation(_ kind: String) async throws {
        let scratch = ScratchHome("warp")
        defer { scratch.remove() }
        let home = scratch.home, work = scratch.work
        let database = try scratch.database(".local/state/warp-terminal/warp.sqlite")
        let attached = #"[{"Block":{"output":"AWS_PROFILE=prod attached-terminal-output"}}]"#
        for statement in Self.schema + [
            "INSERT INTO agent_conversations (conversation_id, conversation_data, last_modified_at) VALUES ('conv-1', '\(Self.conversation(cents: 12.5, tokens: 4000))', '2026-12-05 10:02:00.000')",
            "INSERT INTO agent_conversations (conversation_id, conversation_data, last_modified_at) VALUES ('conv-2', '\(Self.conversation(cents: 4, tokens: 900, parent: "conv-1", agent: "test-runner"))', '2026-12-05 10:03:00.000')",
            """
            INSERT INTO ai_queries (exchange_id, conversation_id, start_ts, input, working_directory, output_status, model_id) VALUES
              ('ex-1', 'conv-1', '2026-12-05 10:00:00.000', '\(Self.query("Why is the deploy failing?", context: attached))', '/home/me/infra', '"Completed"', 'auto'),
              ('ex-2', 'conv-1', '2026-12-05 10:01:00.000', '[]', '/home/me/infra', '"Completed"', 'auto'),
              ('ex-3', 'conv-2', '2026-12-05 10:02:30.000', '\(Self.query("Run the tests"))', '/home/me/infra', '"Completed"', 'claude-4-sonnet')
            """,
        ] { try database.execute(statement) }

        #expect(try await DocumentedToolRun.matchedFiles(source: "warp.queries", home: home) == 1)
        let server = try await scratch.server(kind)
        defer { server.stop() }
        #expect(try await DocumentedToolRun.scanTwice(home: home, work: work, into: server, source: "warp.queries") == 3)
        #expect(try await DocumentedToolRun.stored(source: "warp.conversations", in: server) == 2)
        // The conversation goes on: a prompt more, its row rewritten with the new running cost.
        try database.execute("INSERT INTO ai_queries (exchange_id, conversation_id, start_ts, input, working_directory, output_status, model_id) VALUES ('ex-4', 'conv-1', '2026-12-05 10:05:00.000', '\(Self.query("Roll it back"))', '/home/me/infra', '\"Completed\"', 'auto')")
        try database.execute("UPDATE agent_conversations SET conversation_data = '\(Self.conversation(cents: 20, tokens: 7000))', last_modified_at = '2026-12-05 10:06:00.000' WHERE conversation_id = 'conv-1'")
        #expect(try await DocumentedToolRun.scanTwice(home: home, work: work, into: server, source: "warp.queries") == 4)
        #expect(try await DocumentedToolRun.stored(source: "warp.conversations", in: server) == 3, "the rewritten row once more")

        let listed = try await NormalizationEndToEndTests.allSessions(server).filter { $0["tool"] as? String == "warp" }
        #expect(listed.count == 2, "\(listed)")
        let first = try #require(listed.first { $0["native_id"] as? String == "conv-1" })
        let child = try #require(listed.first { $0["native_id"] as? String == "conv-2" })
        #expect(first["project"] as? String == "/home/me/infra" && first["messages"] as? Int == 2, "a row without a query is no message: \(first)")
        let cost = try #require((first["tokens"] as? [String: Any])?["cost"] as? Double, "\(first)")
        #expect(abs(cost - 0.20) < 1e-9, "the running cost once, in dollars: \(cost)")
        #expect((first["tokens"] as? [String: Any])?["input"] as? Int == 0, "a total with no split is not counted")
        #expect(child["title"] as? String == "test-runner" && abs(((child["tokens"] as? [String: Any])?["cost"] as? Double ?? 0) - 0.04) < 1e-9, "\(child)")

        let detail = try #require(try await NormalizationEndToEndTests.get(server, "/api/v1/sessions/\(first["id"] as! String)") as? [String: Any])
        let children = try #require(detail["children"] as? [[String: Any]], "\(detail.keys)")
        #expect(children.map { $0["id"] as? String } == [child["id"] as? String], "the sub-agent's conversation linked")
        let messages = try #require(detail["messages"] as? [[String: Any]])
        #expect(messages.map { $0["text"] as? String } == ["Why is the deploy failing?", "Roll it back"], "\(messages)")
        #expect(messages.allSatisfy { $0["role"] as? String == "user" && $0["model"] as? String == "auto" })

        // What Warp attached and its server's token stay on the laptop.
        let dryRun = try await ProcessRunner.run(ProcessRunner.sensor, ["scan", "--dry-run", "--home", home.path,
                                                                        "--state-dir", scratch.root.appendingPathComponent("dry-state").path])
        #expect(dryRun.status == 0, "\(dryRun.stderr)")
        #expect(dryRun.text.contains("Why is the deploy failing?"))
        #expect(!dryRun.text.contains("attached-terminal-output") && !dryRun.text.contains("srv-token-must-stay-home"))
    }
}
