import Foundation
import SensorTestSupport
import Testing

/// Kimi Code CLI, built from its documented session files (kimi-cli's wire/file.py writes
/// wire.jsonl: a metadata line, then {timestamp, message: {type, payload}} records as wire/types.py
/// and kosong's message and tooling types define them; session_state.py writes state.json). The
/// real sensor delivers every line once; the built-in mapping gives the person's prompts, the
/// thinking and answers, the calls with their results, each step's tokens, the title, and a
/// sub-agent as a session linked to the one it ran in, on both stores.
@Suite struct KimiEndToEndTests {
    static let session = "6f1d2c3b-4a59-4e87-9d10-2b3c4d5e6f70"
    static let workDirHash = "0f4c3b9d2e1a8f7c6b5a4d3e2f1a0b9c"  // md5 of the working directory, as metadata.py names the folder

    /// One wire record: `payload` is the message's JSON payload.
    static func record(_ type: String, _ payload: String, at seconds: Double) -> String {
        #"{"timestamp": \#(seconds), "message": {"type": "\#(type)", "payload": \#(payload)}}"#
    }

    static let mainLines = [
        #"{"type": "metadata", "protocol_version": "1.10"}"#,
        record("TurnBegin", #"{"user_input": "Why is the build red?"}"#, at: 1_764_840_900.25),
        record("StepBegin", #"{"n": 1}"#, at: 1_764_840_900.5),
        record("ContentPart", #"{"type": "think", "think": "Read the CI log first.", "encrypted": null}"#, at: 1_764_840_902.0),
        record("ContentPart", #"{"type": "text", "text": "Let me look at the log."}"#, at: 1_764_840_903.0),
        record("ToolCall", #"{"type": "function", "id": "tool_Shell_1", "function": {"name": "Shell", "arguments": "{\"command\": \"cat ci.log\"}"}, "extras": null}"#,
               at: 1_764_840_903.5),
        record("StatusUpdate", #"""
            {"context_usage": 0.02, "context_tokens": 4200, "max_context_tokens": 262144, "token_usage": {"input_other": 1200, "output": 80, "input_cache_read": 3000, "input_cache_creation": 0}, "message_id": "chatcmpl-a1", "plan_mode": false, "mcp_status": null}
            """#, at: 1_764_840_903.6),
        record("ToolResult", #"{"tool_call_id": "tool_Shell_1", "return_value": {"is_error": false, "output": "main.c:3: error: expected ';'", "message": "Command executed successfully.", "display": [], "extras": null}}"#,
               at: 1_764_840_904.0),
        record("StepBegin", #"{"n": 2}"#, at: 1_764_840_904.1),
        record("ContentPart", #"{"type": "text", "text": "A semicolon is missing in main.c, line 3."}"#, at: 1_764_840_906.0),
        record("StatusUpdate", #"""
            {"context_usage": 0.03, "context_tokens": 4500, "max_context_tokens": 262144, "token_usage": {"input_other": 300, "output": 40, "input_cache_read": 4200, "input_cache_creation": 16}, "message_id": "chatcmpl-a2", "plan_mode": false, "mcp_status": null}
            """#, at: 1_764_840_906.1),
        record("TurnEnd", "{}", at: 1_764_840_906.2),
        record("StatusUpdate", #"{"context_usage": null, "context_tokens": null, "max_context_tokens": null, "token_usage": null, "message_id": null, "plan_mode": true, "mcp_status": null}"#,
               at: 1_764_840_910.0),
    ]

    static let subagentLines = [
        #"{"type": "metadata", "protocol_version": "1.10"}"#,
        record("TurnBegin", #"{"user_input": [{"type": "text", "text": "Find the test that covers main.c."}]}"#, at: 1_764_840_905.0),
        record("ContentPart", #"{"type": "text", "text": "tests/test_main.py"}"#, at: 1_764_840_905.5),
        record("StatusUpdate", #"{"token_usage": {"input_other": 100, "output": 10, "input_cache_read": 0, "input_cache_creation": 0}, "message_id": "chatcmpl-s1"}"#,
               at: 1_764_840_905.6),
    ]

    @Test(arguments: SensorIntoIngestTests.databases)
    func kimiSessionsArriveWithPromptsAnswersCallsTokensAndSubagents(_ kind: String) async throws {
        let scratch = ScratchHome("kimi")
        defer { scratch.remove() }
        let home = scratch.home
        let folder = home.appendingPathComponent(".kimi/sessions/\(Self.workDirHash)/\(Self.session)")
        let subagent = folder.appendingPathComponent("subagents/agent-7f3e")
        try FileManager.default.createDirectory(at: subagent, withIntermediateDirectories: true)
        try (Self.mainLines.joined(separator: "\n") + "\n").write(to: folder.appendingPathComponent("wire.jsonl"), atomically: true, encoding: .utf8)
        try (Self.subagentLines.joined(separator: "\n") + "\n").write(to: subagent.appendingPathComponent("wire.jsonl"), atomically: true, encoding: .utf8)
        try #"{"version": 1, "approval": {"yolo": false, "afk": false, "auto_approve_actions": []}, "custom_title": "Red build", "title_generated": false, "archived": false, "todos": []}"#
            .write(to: folder.appendingPathComponent("state.json"), atomically: true, encoding: .utf8)

        let work = scratch.work
        let server = try await scratch.server(kind)
        defer { server.stop() }
        #expect(try await DocumentedToolRun.matchedFiles(source: "kimi.wire", home: home) == 2)
        #expect(try await DocumentedToolRun.matchedFiles(source: "kimi.state", home: home) == 1)
        let stored = try await DocumentedToolRun.scanTwice(home: home, work: work, into: server, source: "kimi.wire")
        #expect(stored == Self.mainLines.count + Self.subagentLines.count, "every line of both files, once")

        let listed = try await NormalizationEndToEndTests.allSessions(server).filter { $0["tool"] as? String == "kimi" }
        #expect(listed.count == 2, "\(listed)")
        let main = try #require(listed.first { $0["native_id"] as? String == Self.session }, "\(listed)")
        #expect(main["title"] as? String == "Red build")
        #expect(main["messages"] as? Int == 5, "the prompt, the thinking, two answers and the tool's result")
        #expect(main["tool_calls"] as? Int == 1)
        #expect(main["started_at"] as? String == "2025-12-04T09:35:00.250Z")
        let tokens = try #require(main["tokens"] as? [String: Any])
        #expect(tokens["input"] as? Int == 1500)
        #expect(tokens["output"] as? Int == 120)
        #expect(tokens["cache_read"] as? Int == 7200)
        #expect(tokens["cache_write"] as? Int == 16)
        #expect(tokens["responses"] as? Int == 2, "one per model step; a status without usage counts nothing")

        let detail = try #require(try await NormalizationEndToEndTests.get(server, "/api/v1/sessions/\(main["id"] as! String)") as? [String: Any])
        let messages = detail["messages"] as? [[String: Any]] ?? []
        #expect(messages.map { $0["role"] as? String ?? "" } == ["user", "assistant", "assistant", "tool", "assistant"])
        #expect(messages.first?["text"] as? String == "Why is the build red?")
        #expect(messages.map { $0["kind"] as? String ?? "" }.contains("thinking"))
        let call = try #require((detail["tool_calls"] as? [[String: Any]])?.first)
        #expect(call["name"] as? String == "Shell")
        #expect(call["result"] as? String == "main.c:3: error: expected ';'")
        #expect((call["input"] as? String)?.contains("cat ci.log") == true, "\(call)")

        let sub = try #require(listed.first { $0["native_id"] as? String == "agent-7f3e" }, "\(listed)")
        #expect(sub["parent_id"] as? String == main["id"] as? String, "the sub-agent's session links to the one it ran in: \(sub)")
        #expect(sub["messages"] as? Int == 2)
        #expect((sub["tokens"] as? [String: Any])?["input"] as? Int == 100)

        let drift = try #require(try await NormalizationEndToEndTests.get(server, "/api/v1/drift") as? [String: Any])
        #expect((drift["drift"] as? [[String: Any]] ?? []).filter { $0["tool"] as? String == "kimi" }.isEmpty)
    }
}
