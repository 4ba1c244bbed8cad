import Foundation
import SQLiteDB
import SensorTestSupport
import Testing

/// Z Code, from the tables its readers document: sessions and a row per model request, written
/// when the request starts and completed in place. The real sensor sends a row again only when
/// it changed; the mapping keeps the completed version, takes the cache out of the input, and
/// prices each request under its own model, on both stores.
@Suite struct ZCodeEndToEndTests {
    @Test(arguments: SensorIntoIngestTests.databases)
    func requestsCompletedInPlaceCountOnceUnderTheirModel(_ kind: String) async throws {
        let scratch = ScratchHome("zcode")
        defer { scratch.remove() }
        let home = scratch.home, work = scratch.work
        let database = try scratch.database(".zcode/cli/db/db.sqlite")
        for statement in [
            "CREATE TABLE session (id TEXT PRIMARY KEY NOT NULL, project_id TEXT, workspace_id TEXT, directory TEXT, title TEXT, time_created INTEGER, time_updated INTEGER)",
            """
            CREATE TABLE model_usage (id TEXT PRIMARY KEY, session_id TEXT NOT NULL, turn_id TEXT, provider_id TEXT, model_id TEXT NOT NULL,
              status TEXT, input_tokens INTEGER NOT NULL DEFAULT 0, output_tokens INTEGER NOT NULL DEFAULT 0,
              reasoning_tokens INTEGER NOT NULL DEFAULT 0, cache_creation_input_tokens INTEGER NOT NULL DEFAULT 0,
              cache_read_input_tokens INTEGER NOT NULL DEFAULT 0, computed_total_tokens INTEGER, started_at INTEGER NOT NULL,
              completed_at INTEGER, duration_ms INTEGER, tool_call_count INTEGER, provider_metadata_json TEXT)
            """,
            "CREATE TABLE message (id TEXT PRIMARY KEY NOT NULL, session_id TEXT NOT NULL, time_created TEXT, data TEXT)",
            "INSERT INTO session VALUES ('ses_z1', 'p1', 'w1', '/home/me/ledger', 'Reconcile the ledger', 1796400000000, 1796400090000)",
            """
            INSERT INTO model_usage (id, session_id, turn_id, model_id, status, input_tokens, output_tokens, reasoning_tokens,
              cache_creation_input_tokens, cache_read_input_tokens, started_at, completed_at) VALUES
              ('mu_1', 'ses_z1', 't1', 'GLM-5.1', 'completed', 100, 40, 10, 0, 64, 1796400001000, 1796400004000),
              ('mu_2', 'ses_z1', 't2', 'GLM-4.6', 'running', 500, 0, 0, 0, 0, 1796400050000, NULL)
            """,
        ] { try database.execute(statement) }

        #expect(try await DocumentedToolRun.matchedFiles(source: "zcode.usage", home: home) == 1)
        let server = try await scratch.server(kind)
        defer { server.stop() }
        #expect(try await DocumentedToolRun.scanTwice(home: home, work: work, into: server, source: "zcode.usage") == 2)
        // The running request completes in place: its row is sent again, once.
        try database.execute("""
            UPDATE model_usage SET status = 'completed', input_tokens = 2500, output_tokens = 300, cache_read_input_tokens = 1800,
              cache_creation_input_tokens = 200, completed_at = 1796400060000 WHERE id = 'mu_2'
            """)
        #expect(try await DocumentedToolRun.scanTwice(home: home, work: work, into: server, source: "zcode.usage") == 3)

        let listed = try await NormalizationEndToEndTests.allSessions(server).filter { $0["tool"] as? String == "zcode" }
        let session = try #require(listed.first, "\(listed)")
        #expect(listed.count == 1 && session["native_id"] as? String == "ses_z1")
        #expect(session["title"] as? String == "Reconcile the ledger" && session["project"] as? String == "/home/me/ledger", "\(session)")
        let tokens = try #require(session["tokens"] as? [String: Any])
        #expect(tokens["input"] as? Int == (100 - 64) + (2500 - 1800 - 200), "the cache out of the input: \(tokens)")
        #expect(tokens["output"] as? Int == 340 && tokens["cache_read"] as? Int == 1864 && tokens["cache_write"] as? Int == 200, "\(tokens)")
        #expect(tokens["reasoning"] as? Int == 10, "\(tokens)")
        let detail = try #require(try await NormalizationEndToEndTests.get(server, "/api/v1/sessions/\(session["id"] as! String)") as? [String: Any])
        let usage = try #require(detail["usage"] as? [[String: Any]])
        #expect(usage.count == 2 && Set(usage.compactMap { $0["model"] as? String }) == ["GLM-5.1", "GLM-4.6"], "\(usage)")
    }
}
