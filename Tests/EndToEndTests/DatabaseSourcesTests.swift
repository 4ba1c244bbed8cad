import Foundation
import SQLiteDB
import SensorTestSupport
import Testing

/// The newer tools that keep SQLite databases, each built here with the schema its format
/// documents (formats-more.md; Forge's and MiMo Code's from their sources): every declared query prepares against it, opened read-only, and
/// the rows reach a real server as sessions, messages and tokens.
@Suite struct DatabaseSourcesTests {
    /// Database path under the home → its statements.
    static let databases: [(String, [String])] = [
        (".local/share/goose/sessions/sessions.db", [
            """
            CREATE TABLE sessions (id TEXT PRIMARY KEY, name TEXT NOT NULL DEFAULT '', description TEXT NOT NULL DEFAULT '',
              user_set_name BOOLEAN DEFAULT FALSE, session_type TEXT NOT NULL DEFAULT 'user', working_dir TEXT NOT NULL,
              created_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP, updated_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP, extension_data TEXT DEFAULT '{}',
              total_tokens INTEGER, input_tokens INTEGER, output_tokens INTEGER, accumulated_total_tokens INTEGER,
              accumulated_input_tokens INTEGER, accumulated_output_tokens INTEGER, schedule_id TEXT, recipe_json TEXT,
              user_recipe_values_json TEXT)
            """,
            """
            CREATE TABLE messages (id INTEGER PRIMARY KEY AUTOINCREMENT, session_id TEXT NOT NULL REFERENCES sessions(id), role TEXT NOT NULL,
              content_json TEXT NOT NULL, created_timestamp INTEGER NOT NULL, timestamp TIMESTAMP DEFAULT CURRENT_TIMESTAMP,
              tokens INTEGER, metadata_json TEXT)
            """,
            """
            INSERT INTO sessions (id, name, working_dir, created_at, updated_at, accumulated_total_tokens, accumulated_input_tokens,
              accumulated_output_tokens) VALUES ('20261201_1', 'release notes', '/home/me/app', '2026-12-01 09:00:00', '2026-12-01 09:05:00', 1900, 1500, 400)
            """,
            """
            INSERT INTO messages (session_id, role, content_json, created_timestamp) VALUES
              ('20261201_1', 'user', '[{"type":"text","text":"write the release notes"}]', 1795942800),
              ('20261201_1', 'assistant', '[{"type":"text","text":"Here they are."}]', 1795942805)
            """,
        ]),
        (".local/share/zed/threads/threads.db", [
            "CREATE TABLE threads (id TEXT PRIMARY KEY, summary TEXT NOT NULL, updated_at TEXT NOT NULL, data_type TEXT NOT NULL, data BLOB NOT NULL, parent_id TEXT, folder_paths TEXT, created_at TEXT)",
            """
            INSERT INTO threads VALUES ('th-1', 'Fix flaky test', '2026-12-01T10:00:00Z', 'json', CAST('{"title":"Fix flaky test","version":"0.3.0","model":{"provider":"zed.dev","model":"claude-sonnet-4"},"cumulative_token_usage":{"input_tokens":1200,"output_tokens":300,"cache_creation_input_tokens":0,"cache_read_input_tokens":0},"messages":[{"User":{"id":"u1","content":[{"Text":"why is it flaky?"}]}},{"Agent":{"content":[{"Text":"A race."}],"tool_results":{}}}]}' AS BLOB), NULL, '/home/me/app', '2026-12-01T09:59:00Z')
            """,
        ]),
        (".local/share/opencode/opencode.db", [
            """
            CREATE TABLE session (id TEXT PRIMARY KEY, project_id TEXT NOT NULL, parent_id TEXT, slug TEXT, directory TEXT NOT NULL,
              title TEXT NOT NULL, version TEXT NOT NULL, share_url TEXT, summary_additions INTEGER, summary_deletions INTEGER,
              summary_files INTEGER, summary_diffs TEXT, revert TEXT, permission TEXT, time_created INTEGER NOT NULL,
              time_updated INTEGER NOT NULL, time_compacting INTEGER, time_archived INTEGER)
            """,
            "CREATE TABLE message (id TEXT PRIMARY KEY, session_id TEXT NOT NULL, time_created INTEGER NOT NULL, time_updated INTEGER NOT NULL, data TEXT NOT NULL)",
            "CREATE TABLE part (id TEXT PRIMARY KEY, message_id TEXT NOT NULL, session_id TEXT NOT NULL, time_created INTEGER NOT NULL, time_updated INTEGER NOT NULL, data TEXT NOT NULL)",
            "INSERT INTO session (id, project_id, directory, title, version, time_created, time_updated) VALUES ('ses_1', 'p1', '/home/me/api', 'Pagination', '1.3.2', 1795942800000, 1795942890000)",
            """
            INSERT INTO message VALUES ('msg_1', 'ses_1', 1795942801000, 1795942801000, '{"role":"user","time":{"created":1795942801000}}'),
              ('msg_2', 'ses_1', 1795942802000, 1795942809000, '{"role":"assistant","modelID":"claude-sonnet-4.6","providerID":"anthropic","cost":0.02,"time":{"created":1795942802000},"tokens":{"input":300,"output":40,"reasoning":10,"cache":{"read":5000,"write":100}}}')
            """,
            """
            INSERT INTO part VALUES ('prt_1', 'msg_1', 'ses_1', 1795942801000, 1795942801000, '{"type":"text","text":"paginate /users"}'),
              ('prt_2', 'msg_2', 'ses_1', 1795942803000, 1795942808000, '{"type":"text","text":"Added cursor pagination."}'),
              ('prt_3', 'msg_2', 'ses_1', 1795942804000, 1795942807000, '{"type":"tool","callID":"call_1","tool":"bash","state":{"status":"completed","input":{"command":"go test"},"output":"ok"}}')
            """,
        ]),
        (".copilot/session-store.db", [
            """
            CREATE TABLE assistant_usage_events (id INTEGER PRIMARY KEY AUTOINCREMENT, session_id TEXT NOT NULL, turn_index INTEGER,
              model TEXT, copilot_usage_model TEXT, input_tokens INTEGER, output_tokens INTEGER, cache_read_tokens INTEGER,
              cache_write_tokens INTEGER, reasoning_tokens INTEGER, total_nano_aiu INTEGER, duration_ms INTEGER, created_at TEXT)
            """,
            "INSERT INTO assistant_usage_events (session_id, turn_index, model, input_tokens, output_tokens, created_at) VALUES ('s', 0, 'gpt-5', 21343, 120, '2026-12-01T09:00:00Z')",
        ]),
        (".continue/dev_data/devdata.sqlite", [
            "CREATE TABLE tokens_generated (id INTEGER PRIMARY KEY AUTOINCREMENT, model TEXT NOT NULL, provider TEXT NOT NULL, tokens_generated INTEGER NOT NULL, tokens_prompt INTEGER NOT NULL DEFAULT 0, timestamp DATETIME DEFAULT CURRENT_TIMESTAMP)",
            "INSERT INTO tokens_generated (model, provider, tokens_generated, tokens_prompt) VALUES ('gpt-4o', 'openai', 50, 900)",
        ]),
        (".local/share/kiro-cli/data.sqlite3", [
            "CREATE TABLE conversations_v2 (key TEXT NOT NULL, conversation_id TEXT NOT NULL, value TEXT NOT NULL, created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL, PRIMARY KEY (key, conversation_id))",
            #"INSERT INTO conversations_v2 VALUES ('/home/me/app', 'c1', '{"history":[]}', 1795942800000, 1795942800000)"#,
        ]),
        // Forge: forge_repo's conversations table, the context as its conversation_record.rs writes it.
        (".forge/.forge.db", [
            """
            CREATE TABLE conversations (conversation_id TEXT PRIMARY KEY NOT NULL, title TEXT, workspace_id BIGINT NOT NULL, context TEXT,
              created_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP, updated_at TIMESTAMP, metrics TEXT)
            """,
            #"""
            INSERT INTO conversations VALUES ('0f1e2d3c-4b5a-4697-8877-665544332211', 'Rename the config loader', 7, '{"conversation_id":"0f1e2d3c-4b5a-4697-8877-665544332211","messages":[
              {"message":{"text":{"role":"System","content":"You are Forge."}}},
              {"message":{"text":{"role":"User","content":"Rename the config loader.","model":"claude-sonnet-4-5"}}},
              {"message":{"text":{"role":"Assistant","content":"Reading it first.","tool_calls":[{"name":"read","call_id":"call_1","arguments":{"path":"src/config.rs"}}],"model":"claude-sonnet-4-5","reasoning_details":[{"text":"Find the loader.","type_of":"reasoning.text"}]}},
               "usage":{"prompt_tokens":{"actual":5200},"completion_tokens":{"actual":90},"total_tokens":{"actual":5290},"cached_tokens":{"actual":4000},"cost":0.0051}},
              {"message":{"tool":{"name":"read","call_id":"call_1","output":{"is_error":false,"values":[{"text":"pub fn load() {}"}]}}}},
              {"message":{"text":{"role":"Assistant","content":"Renamed load to load_config.","model":"claude-sonnet-4-5"}},
               "usage":{"prompt_tokens":{"actual":5400},"completion_tokens":{"approx":60},"total_tokens":{"actual":5460},"cached_tokens":{"actual":5100},"cost":0.0032}}],
              "tools":[{"name":"read","description":"Read a file","input_schema":{}}]}', '2026-12-01 09:00:00', '2026-12-01 09:04:00', '{"started_at":"2026-12-01T09:00:00Z","files_changed":{}}')
            """#,
        ]),
        (".config/Windsurf/User/workspaceStorage/ab12/state.vscdb", [
            "CREATE TABLE ItemTable (key TEXT UNIQUE ON CONFLICT REPLACE, value BLOB)",
            #"INSERT INTO ItemTable VALUES ('aiChat.chatdata', '{"tabs":[]}'), ('secret/auth', 'not to be read')"#,
        ]),
    ]

    /// MiMoCode keeps OpenCode's tables in a database of its own name.
    /// The forks that keep OpenCode's tables under their own name get OpenCode's database.
    static let withForks = databases + [".local/share/mimocode/mimocode.db", ".local/share/icodemate/icodemate.db"].map {
        ($0, databases.first { $0.0.hasSuffix("opencode.db") }!.1)
    }

    /// Source id → rows it reads from the databases above.
    static let rows: [String: Int] = [
        "goose.sessions": 1, "goose.messages": 2, "zed.threads": 1, "opencode.sessions": 1, "opencode.messages": 2,
        "opencode.parts": 3, "copilot-cli.usage": 1, "continue.token-log": 1, "kiro.conversations": 1, "windsurf.legacy-chat": 1,
        "mimocode.sessions": 1, "mimocode.messages": 2, "mimocode.parts": 3, "forge.conversations": 1,
        "icodemate.sessions": 1, "icodemate.messages": 2, "icodemate.parts": 3,
    ]

    static func makeHome(_ root: URL) throws {
        for (path, statements) in withForks {
            let url = root.appendingPathComponent(path)
            try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            let database = try Database(path: url.path, mode: .readWriteCreate)
            for statement in statements { try database.execute(statement) }
        }
    }

    @Test func everyQueryPreparesAndEveryRowIsSentOnce() async throws {
        let scratch = ScratchHome("databases")
        defer { scratch.remove() }
        try Self.makeHome(scratch.root)
        let state = scratch.root.appendingPathComponent(".state").path
        let report = try await ProcessRunner.run(ProcessRunner.sensor, ["scan", "--validate-config", "--json", "--home", scratch.root.path, "--state-dir", state])
        #expect(report.status == 0, "\(report.stderr)")
        let sources = try #require((try JSONSerialization.jsonObject(with: report.stdout) as? [String: Any])?["sources"] as? [[String: Any]])
        for id in Self.rows.keys {
            let source = try #require(sources.first { $0["id"] as? String == id }, "\(id)")
            #expect(source["files"] as? Int == 1, "\(id)")
            for database in source["databases"] as? [[String: Any]] ?? [] {
                #expect(database["result"] as? String == "prepares", "\(id): \(database)")
            }
        }
        let dryRun = try await ProcessRunner.run(ProcessRunner.sensor, ["scan", "--dry-run", "--home", scratch.root.path, "--state-dir", state])
        #expect(dryRun.status == 0, "\(dryRun.stderr)")
        var bySource: [String: Int] = [:]
        for line in dryRun.lines {
            let envelope = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
            bySource[envelope["source"] as! String, default: 0] += 1
        }
        #expect(bySource == Self.rows)
        // Only the two chat keys of Windsurf's ItemTable are selected.
        #expect(!dryRun.text.contains("not to be read"))
    }

    @Test(arguments: SensorIntoIngestTests.databases)
    func theirRowsBecomeSessions(_ kind: String) async throws {
        let scratch = ScratchHome("databases")
        defer { scratch.remove() }
        let home = scratch.home
        try Self.makeHome(home)
        let work = scratch.work
        let server = try await scratch.server(kind)
        defer { server.stop() }
        let scan = try await ProcessRunner.run(ProcessRunner.sensor, [
            "scan", "--home", home.path, "--state-dir", work.appendingPathComponent("state").path, "--endpoint", server.endpoint,
            "--token-file", server.tokenFile.path, "--quiet"])
        #expect(scan.status == 0, "\(scan.stderr)")
        try await NormalizationEndToEndTests.waitForNormalizing(server)
        let sessions = try await NormalizationEndToEndTests.allSessions(server)
        func session(_ tool: String) throws -> [String: Any] {
            try #require(sessions.first { $0["tool"] as? String == tool }, "\(tool)")
        }
        func total(_ session: [String: Any]) -> Int? { (session["tokens"] as? [String: Any])?["total"] as? Int }
        let goose = try session("goose")
        #expect(goose["messages"] as? Int == 2 && total(goose) == 1900 && goose["project"] as? String == "/home/me/app")
        let zed = try session("zed")
        #expect(zed["messages"] as? Int == 2 && total(zed) == 1500 && zed["title"] as? String == "Fix flaky test")
        let opencode = try session("opencode")
        #expect(opencode["messages"] as? Int == 2 && opencode["tool_calls"] as? Int == 1 && total(opencode) == 300 + 50 + 5000 + 100)
        #expect(opencode["first_prompt"] as? String == "paginate /users")
        let forge = try session("forge")
        #expect(forge["messages"] as? Int == 4 && forge["tool_calls"] as? Int == 1 && forge["title"] as? String == "Rename the config loader",
                "the system prompt is not the conversation: \(forge)")
        let forgeTokens = try #require(forge["tokens"] as? [String: Any])
        #expect(forgeTokens["input"] as? Int == (5200 - 4000) + (5400 - 5100) && forgeTokens["cache_read"] as? Int == 9100, "\(forgeTokens)")
        #expect(forgeTokens["output"] as? Int == 150 && abs((forgeTokens["cost"] as? Double ?? 0) - 0.0083) < 1e-9, "\(forgeTokens)")
        // MiMoCode's rows are OpenCode's, under its own name.
        let mimocode = try session("mimocode")
        #expect(mimocode["messages"] as? Int == 2 && mimocode["tool_calls"] as? Int == 1 && total(mimocode) == total(opencode))
        #expect(mimocode["first_prompt"] as? String == "paginate /users" && mimocode["title"] as? String == "Pagination")
        let icodemate = try session("icodemate")
        #expect(icodemate["messages"] as? Int == 2 && icodemate["tool_calls"] as? Int == 1 && total(icodemate) == total(opencode))
        #expect(icodemate["title"] as? String == "Pagination")
        #expect(sessions.filter { $0["tool"] as? String == "opencode" }.count == 1, "the forks' sessions are not OpenCode's")
    }
}
