import Foundation
import SensorTestSupport
import Testing

/// DeepSeek TUI (CodeWhale), built from its session manager's SavedSession and its models'
/// messages: one JSON document a session, written whole as it runs, in the folder of either
/// name. The real sensor sends each version once and never the crash checkpoint; the built-in
/// mapping gives the messages, thinking, calls with results and errors, the recorded cost, and
/// a forked session linked to its source, on both stores.
@Suite struct DeepSeekTUIEndToEndTests {
    static let session = "4d5e6f70-8192-4a3b-9c4d-5e6f70819203"
    static let fork = "8a9b0c1d-2e3f-4a5b-8c6d-7e8f90a1b2c3"

    static func document(id: String, parent: String? = nil, messages: [String], cost: Double, subagents: Double = 0) -> String {
        let forked = parent.map { #","parent_session_id":"\#($0)","forked_from_message_count":2"# } ?? ""
        return #"""
        {
          "schema_version": 1,
          "metadata": {"id": "\#(id)", "title": "Speed up the importer", "created_at": "2026-12-02T14:00:00Z",
            "updated_at": "2026-12-02T14:06:00Z", "message_count": \#(messages.count), "total_tokens": 48211,
            "model": "deepseek-v4-pro", "workspace": "/home/me/importer", "mode": "agent",
            "cost": {"session_cost_usd": \#(cost), "session_cost_cny": 0.9, "subagent_cost_usd": \#(subagents), "subagent_cost_cny": 0,
              "displayed_cost_high_water_usd": \#(cost + subagents), "displayed_cost_high_water_cny": 0.9}\#(forked)},
          "messages": [\#(messages.joined(separator: ",\n    "))],
          "system_prompt": "You are DeepSeek TUI."
        }
        """#
    }

    static let prompt = #"{"role": "user", "content": [{"type": "text", "text": "Why is the importer slow?"}]}"#
    static let firstTurn = #"{"role": "assistant", "content": [{"type": "thinking", "thinking": "Profile first."}, {"type": "text", "text": "Profiling it."}, {"type": "tool_use", "id": "call_00", "name": "exec_shell", "input": {"command": "py-spy top"}}]}"#
    static let results = #"{"role": "user", "content": [{"type": "tool_result", "tool_use_id": "call_00", "content": "csv.reader: 81%"}]}"#
    static let answer = #"{"role": "assistant", "content": [{"type": "text", "text": "The CSV parsing dominates; switch to pyarrow."}, {"type": "tool_use", "id": "call_01", "name": "read_file", "input": {"path": "missing.py"}}]}"#
    static let failed = #"{"role": "user", "content": [{"type": "tool_result", "tool_use_id": "call_01", "content": "No such file", "is_error": true}]}"#

    @Test(arguments: SensorIntoIngestTests.databases)
    func savedSessionsArriveWithCallsCostAndForks(_ kind: String) async throws {
        let scratch = ScratchHome("deepseek")
        defer { scratch.remove() }
        let home = scratch.home
        let sessions = home.appendingPathComponent(".deepseek/sessions")
        let renamed = home.appendingPathComponent(".codewhale/sessions")
        for folder in [sessions.appendingPathComponent("checkpoints"), renamed] {
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        }
        let file = sessions.appendingPathComponent("\(Self.session).json")
        try Self.document(id: Self.session, messages: [Self.prompt, Self.firstTurn, Self.results], cost: 0.012)
            .write(to: file, atomically: true, encoding: .utf8)
        try Self.document(id: "PLANTED-CHECKPOINT", messages: [Self.prompt], cost: 0)
            .write(to: sessions.appendingPathComponent("checkpoints/latest.json"), atomically: true, encoding: .utf8)
        try Self.document(id: Self.fork, parent: Self.session, messages: [Self.prompt, Self.firstTurn], cost: 0.004)
            .write(to: renamed.appendingPathComponent("\(Self.fork).json"), atomically: true, encoding: .utf8)
        let work = scratch.work

        #expect(try await DocumentedToolRun.matchedFiles(source: "deepseek-tui.sessions", home: home) == 2, "two sessions, not the checkpoint")
        let server = try await scratch.server(kind)
        defer { server.stop() }
        #expect(try await DocumentedToolRun.scanTwice(home: home, work: work, into: server, source: "deepseek-tui.sessions") == 2)
        // The session goes on: written whole again, two more messages, a larger running cost.
        try Self.document(id: Self.session, messages: [Self.prompt, Self.firstTurn, Self.results, Self.answer, Self.failed], cost: 0.02, subagents: 0.003)
            .write(to: file, atomically: true, encoding: .utf8)
        #expect(try await DocumentedToolRun.scanTwice(home: home, work: work, into: server, source: "deepseek-tui.sessions") == 3)

        let listed = try await NormalizationEndToEndTests.allSessions(server).filter { $0["tool"] as? String == "deepseek-tui" }
        #expect(listed.count == 2, "\(listed)")
        let main = try #require(listed.first { $0["native_id"] as? String == Self.session })
        #expect(main["title"] as? String == "Speed up the importer" && main["project"] as? String == "/home/me/importer")
        #expect(main["messages"] as? Int == 5, "each message once, however often the document is written: \(main)")
        #expect(main["tool_calls"] as? Int == 2)
        #expect(main["models"] as? [String] == ["deepseek-v4-pro"], "\(main)")
        let tokens = try #require(main["tokens"] as? [String: Any])
        #expect(abs((tokens["cost"] as? Double ?? 0) - 0.023) < 1e-9, "the latest recorded cost, session and sub-agents: \(tokens)")
        #expect(tokens["input"] as? Int == 0 && tokens["output"] as? Int == 0, "only a total is kept: no split is made up")

        let detail = try #require(try await NormalizationEndToEndTests.get(server, "/api/v1/sessions/\(main["id"] as! String)") as? [String: Any])
        let roles = (detail["messages"] as? [[String: Any]] ?? []).map { $0["role"] as? String ?? "" }
        #expect(roles == ["user", "assistant", "tool", "assistant", "tool"], "\(roles)")
        let calls = try #require(detail["tool_calls"] as? [[String: Any]])
        #expect(calls.first { $0["name"] as? String == "exec_shell" }?["result"] as? String == "csv.reader: 81%")
        #expect(calls.first { $0["name"] as? String == "read_file" }?["is_error"] as? Bool == true, "\(calls)")

        let forked = try #require(listed.first { $0["native_id"] as? String == Self.fork })
        #expect(forked["parent_id"] as? String == main["id"] as? String, "a fork links to the session it came from")
        let drift = try #require(try await NormalizationEndToEndTests.get(server, "/api/v1/drift") as? [String: Any])
        #expect((drift["drift"] as? [[String: Any]] ?? []).filter { $0["tool"] as? String == "deepseek-tui" }.isEmpty)
        let everything = try await ProcessRunner.run(ProcessRunner.sensor, ["scan", "--dry-run", "--home", home.path,
                                                                            "--state-dir", scratch.root.appendingPathComponent("dry").path])
        #expect(!everything.text.contains("PLANTED-CHECKPOINT"), "the crash checkpoint is not a session")
    }
}
