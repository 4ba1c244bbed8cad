import Foundation
import SQLiteDB
import SensorTestSupport
import Testing

/// Devin CLI, from the Agent Trajectory Interchange Format its transcripts follow and the
/// `sessions` table its readers document: a transcript rewritten whole as the session goes on
/// gives each step once, the system prompt is not a message, tokens follow ATIF (prompt tokens
/// count the cached ones) and Devin's older `metadata.metrics`, each step priced under its own
/// model, and the sessions row names the folder and title; on both stores.
@Suite struct DevinEndToEndTests {
    static let session = "devin-5f6a7b8c9d0e"

    static let steps = [
        #"{"step_id":1,"source":"system","message":"PLANTED-SYSTEM-PROMPT you are Devin"}"#,
        #"{"step_id":2,"source":"user","timestamp":"2026-12-03T15:00:00Z","message":"Add a health check endpoint","metadata":{"is_user_input":true}}"#,
        #"{"step_id":3,"source":"agent","timestamp":"2026-12-03T15:00:20Z","message":"I'll add it to the router.","reasoning_content":"Check the router first.","tool_calls":[{"tool_call_id":"tc1","function_name":"edit_file","arguments":{"path":"app.py"}}],"observation":{"results":[{"source_call_id":"tc1","content":"edited app.py"}]},"metrics":{"prompt_tokens":12000,"completion_tokens":300,"cached_tokens":9000},"metadata":{"generation_model":"claude-opus-4-1","committed_acu_cost":0.4}}"#,
        #"{"step_id":4,"source":"agent","timestamp":"2026-12-03T15:01:00Z","model_name":"gpt-5","message":[{"type":"text","text":"Done: GET /health answers 200."}],"metadata":{"metrics":{"input_tokens":2000,"output_tokens":40,"cache_read_tokens":1500}}}"#,
    ]

    static func transcript(_ steps: [String]) -> String {
        #"{"schema_version":"ATIF-v1.7","session_id":"\#(session)","agent":{"name":"devin","version":"3000.3.22","model_name":"claude-sonnet-4-5"},"steps":[\#(steps.joined(separator: ","))]}"#
    }

    @Test(arguments: SensorIntoIngestTests.databases)
    func rewrittenTranscriptsGiveEachStepOnceWithTokensPerModel(_ kind: String) async throws {
        let scratch = ScratchHome("devin")
        defer { scratch.remove() }
        let home = scratch.home, work = scratch.work
        let cli = try scratch.folder(".local/share/devin/cli")
        let file = try scratch.folder(".local/share/devin/cli/transcripts").appendingPathComponent("\(Self.session).json")
        try Self.transcript(Self.steps).write(to: file, atomically: true, encoding: .utf8)
        let database = try Database(path: cli.appendingPathComponent("sessions.db").path, mode: .readWriteCreate)
        try database.execute("""
            CREATE TABLE sessions (id TEXT PRIMARY KEY, working_directory TEXT, model TEXT, title TEXT, created_at INTEGER,
              last_activity_at INTEGER, hidden INTEGER NOT NULL DEFAULT 0, backend TEXT)
            """)
        try database.execute("INSERT INTO sessions VALUES ('\(Self.session)', '/home/me/api', 'claude-sonnet-4-5', 'Health check', 1796310000, 1796310060, 0, 'cloud')")

        #expect(try await DocumentedToolRun.matchedFiles(source: "devin.transcripts", home: home) == 1)
        #expect(try await DocumentedToolRun.matchedFiles(source: "devin.sessions", home: home) == 1)
        let server = try await scratch.server(kind)
        defer { server.stop() }
        #expect(try await DocumentedToolRun.scanTwice(home: home, work: work, into: server, source: "devin.transcripts") == 1)
        // The session goes on: the whole document is written again with one more step.
        let thanks = #"{"step_id":5,"source":"user","timestamp":"2026-12-03T15:02:00Z","message":"thanks"}"#
        try Self.transcript(Self.steps + [thanks]).write(to: file, atomically: true, encoding: .utf8)
        try database.execute("UPDATE sessions SET last_activity_at = 1796310120 WHERE id = '\(Self.session)'")
        #expect(try await DocumentedToolRun.scanTwice(home: home, work: work, into: server, source: "devin.transcripts") == 2)

        let listed = try await NormalizationEndToEndTests.allSessions(server).filter { $0["tool"] as? String == "devin" }
        let session = try #require(listed.first, "\(listed)")
        #expect(listed.count == 1 && session["native_id"] as? String == Self.session)
        #expect(session["title"] as? String == "Health check" && session["project"] as? String == "/home/me/api", "\(session)")
        #expect(session["messages"] as? Int == 4, "each step once over two versions, the system prompt none: \(session)")
        #expect(session["tool_calls"] as? Int == 1)
        let tokens = try #require(session["tokens"] as? [String: Any])
        #expect(tokens["input"] as? Int == (12000 - 9000) + (2000 - 1500) && tokens["output"] as? Int == 340, "\(tokens)")
        #expect(tokens["cache_read"] as? Int == 10500, "\(tokens)")
        #expect(Set(session["models"] as? [String] ?? []).isSuperset(of: ["claude-opus-4-1", "gpt-5"]), "\(session)")

        let detail = try #require(try await NormalizationEndToEndTests.get(server, "/api/v1/sessions/\(session["id"] as! String)") as? [String: Any])
        let messages = try #require(detail["messages"] as? [[String: Any]])
        #expect(messages.map { $0["text"] as? String ?? "" }
                == ["Add a health check endpoint", "I'll add it to the router.", "Done: GET /health answers 200.", "thanks"], "\(messages)")
        #expect(messages.map { $0["role"] as? String ?? "" } == ["user", "assistant", "assistant", "user"])
        let calls = try #require(detail["tool_calls"] as? [[String: Any]])
        #expect(calls.first?["name"] as? String == "edit_file" && calls.first?["result"] as? String == "edited app.py", "\(calls)")
        let usage = try #require(detail["usage"] as? [[String: Any]])
        #expect(usage.map { $0["model"] as? String } == ["claude-opus-4-1", "gpt-5"], "\(usage)")
        #expect(!String(describing: detail).contains("PLANTED-SYSTEM-PROMPT"))
    }
}
