import Foundation
import SensorTestSupport
import Testing

/// Reasonix, from its session writer and the layouts its readers find: a transcript of
/// OpenAI-shaped lines (no times, no tokens) with a `.jsonl.meta` sidecar, in a project's
/// sessions folder and in the global one. The real sensor sends each line once; the mapping
/// gives messages, reasoning, calls with results, and the sidecar's title, workspace, model and
/// times joined by the file name, on both stores.
@Suite struct ReasonixEndToEndTests {
    static let lines = [
        #"{"role":"system","content":"PLANTED-SYSTEM-PROMPT"}"#,
        #"{"role":"user","content":"Why is the cache cold after deploy?"}"#,
        #"{"role":"assistant","content":"","reasoning_content":"The warmup job may not run.","tool_calls":[{"id":"call_1","name":"read_file","arguments":"{\"path\":\"deploy.sh\"}"}]}"#,
        #"{"role":"tool","tool_call_id":"call_1","content":"set -e\nkubectl rollout restart"}"#,
        #"{"role":"assistant","content":"The deploy restarts pods without the warmup hook."}"#,
    ]

    @Test(arguments: SensorIntoIngestTests.databases)
    func transcriptsAndSidecarsBecomeSessions(_ kind: String) async throws {
        let scratch = ScratchHome("reasonix")
        defer { scratch.remove() }
        let work = scratch.work
        let project = try scratch.folder(".reasonix/projects/cache-service/sessions")
        try scratch.writeLines(Self.lines, to: ".reasonix/projects/cache-service/sessions/s-proj.jsonl")
        try #"{"id":"s-proj","created_at":"2026-12-05T09:00:00Z","updated_at":"2026-12-05T09:04:00Z","scope":"project","workspace_root":"/home/me/cache-service","topic_title":"Cold cache after deploy","model":"deepseek-v4"}"#
            .write(to: project.appendingPathComponent("s-proj.jsonl.meta"), atomically: true, encoding: .utf8)
        try scratch.writeLines([#"{"role":"user","content":"hello"}"#], to: ".reasonix/sessions/s-global/s-global.jsonl")

        #expect(try await DocumentedToolRun.matchedFiles(source: "reasonix.sessions", home: scratch.home) == 2)
        #expect(try await DocumentedToolRun.matchedFiles(source: "reasonix.meta", home: scratch.home) == 1)
        let server = try await scratch.server(kind)
        defer { server.stop() }
        #expect(try await DocumentedToolRun.scanTwice(home: scratch.home, work: work, into: server, source: "reasonix.sessions") == 6)

        let listed = try await NormalizationEndToEndTests.allSessions(server).filter { $0["tool"] as? String == "reasonix" }
        #expect(Set(listed.compactMap { $0["native_id"] as? String }) == ["s-proj", "s-global"], "\(listed)")
        let session = try #require(listed.first { $0["native_id"] as? String == "s-proj" })
        #expect(session["title"] as? String == "Cold cache after deploy" && session["project"] as? String == "/home/me/cache-service", "\(session)")
        #expect(session["started_at"] as? String == "2026-12-05T09:00:00Z" || (session["started_at"] as? String)?.hasPrefix("2026-12-05T09:00:00") == true, "\(session)")
        #expect(session["messages"] as? Int == 4 && session["tool_calls"] as? Int == 1, "the system prompt is not a message: \(session)")

        let detail = try #require(try await NormalizationEndToEndTests.get(server, "/api/v1/sessions/\(session["id"] as! String)") as? [String: Any])
        let messages = try #require(detail["messages"] as? [[String: Any]])
        #expect(messages.map { $0["kind"] as? String ?? "" } == ["text", "thinking", "tool_result", "text"], "\(messages)")
        let calls = try #require(detail["tool_calls"] as? [[String: Any]])
        #expect(calls.first?["name"] as? String == "read_file" && (calls.first?["result"] as? String)?.contains("rollout restart") == true, "\(calls)")
        #expect(!String(describing: detail).contains("PLANTED-SYSTEM-PROMPT"))
    }
}
