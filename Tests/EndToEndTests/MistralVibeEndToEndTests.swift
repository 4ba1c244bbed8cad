import Foundation
import SensorTestSupport
import Testing

/// Mistral Vibe, built from its documented session files (vibe/core/session/session_logger.py
/// writes them, vibe/core/types.py says what a message and the stats hold): messages.jsonl
/// appended turn by turn and meta.json rewritten whole with the running token totals. The real
/// sensor delivers every line and every version of meta.json once; the built-in mapping gives the
/// messages, tool calls and the last totals, on both stores.
@Suite struct MistralVibeEndToEndTests {
    static let folder = "session_20261204_091500_3f2a9c1b"

    static func meta(prompt: Int, completion: Int, end: String) -> String {
        #"""
        {"session_id": "3f2a9c1b-5d6e-4f70-8a9b-0c1d2e3f4a5b", "parent_session_id": null, "start_time": "2026-12-04T09:15:00.120000+00:00",
         "end_time": "\#(end)", "git_commit": "9f1c2d3", "git_branch": "fix/flaky-login", "environment": {"working_directory": "/home/me/shop"},
         "username": "me", "title": "Why does the login test fail on CI?", "title_source": "auto",
         "stats": {"steps": 2, "session_prompt_tokens": \#(prompt), "session_completion_tokens": \#(completion), "tool_calls_agreed": 1,
                   "tool_calls_rejected": 0, "tool_calls_failed": 0, "tool_calls_succeeded": 1, "context_tokens": 5000,
                   "last_turn_prompt_tokens": 100, "last_turn_completion_tokens": 10, "last_turn_duration": 1.5, "tokens_per_second": 40.0,
                   "input_price_per_million": 0.4, "output_price_per_million": 2.0, "session_total_llm_tokens": \#(prompt + completion),
                   "last_turn_total_tokens": 110, "session_cost": 0.01},
         "total_messages": 4, "config": {"active_model": "devstral-2"}, "agent_profile": {"name": "default", "overrides": {}}}
        """#
    }

    @Test(arguments: SensorIntoIngestTests.databases)
    func vibeSessionsArriveWithTheirMessagesCallsAndLastTotals(_ kind: String) async throws {
        let scratch = ScratchHome("vibe")
        defer { scratch.remove() }
        let home = scratch.home
        let session = try scratch.folder(".vibe/logs/session/\(Self.folder)")
        let messages = [
            #"{"role": "user", "content": "Why does the login test fail on CI?", "injected": false, "message_id": "m-1"}"#,
            #"{"role": "assistant", "content": "Let me read it.", "injected": false, "reasoning_content": "Read the test first.", "tool_calls": [{"id": "call_1", "index": 0, "function": {"name": "read_file", "arguments": "{\"path\": \"tests/test_login.py\"}"}, "type": "function"}], "message_id": "m-2"}"#,
            #"{"role": "tool", "content": "def test_login(): sleep(2)", "injected": false, "name": "read_file", "tool_call_id": "call_1"}"#,
            #"{"role": "assistant", "content": "It sleeps for a fixed two seconds; wait for the page instead.", "injected": false, "message_id": "m-4"}"#,
        ]
        try (messages.joined(separator: "\n") + "\n").write(to: session.appendingPathComponent("messages.jsonl"), atomically: true, encoding: .utf8)

        let work = scratch.work
        let server = try await scratch.server(kind)
        defer { server.stop() }
        // The metadata as after the first turn, then rewritten whole after the second.
        try Self.meta(prompt: 4200, completion: 150, end: "2026-12-04T09:15:20.000000+00:00")
            .write(to: session.appendingPathComponent("meta.json"), atomically: true, encoding: .utf8)
        #expect(try await DocumentedToolRun.matchedFiles(source: "mistral-vibe.messages", home: home) == 1)
        #expect(try await DocumentedToolRun.matchedFiles(source: "mistral-vibe.meta", home: home) == 1)
        #expect(try await DocumentedToolRun.scanTwice(home: home, work: work, into: server, source: "mistral-vibe.messages") == messages.count)
        try Self.meta(prompt: 9800, completion: 410, end: "2026-12-04T09:16:05.000000+00:00")
            .write(to: session.appendingPathComponent("meta.json"), atomically: true, encoding: .utf8)
        #expect(try await DocumentedToolRun.scanTwice(home: home, work: work, into: server, source: "mistral-vibe.meta") == 2,
                "each version of meta.json once")

        let listed = try await NormalizationEndToEndTests.allSessions(server).filter { $0["tool"] as? String == "mistral-vibe" }
        let found = try #require(listed.first, "\(listed)")
        #expect(listed.count == 1)
        #expect(found["native_id"] as? String == Self.folder)
        #expect(found["project"] as? String == "/home/me/shop")
        #expect(found["git_branch"] as? String == "fix/flaky-login")
        #expect(found["title"] as? String == "Why does the login test fail on CI?")
        #expect(found["messages"] as? Int == 4)
        #expect(found["tool_calls"] as? Int == 1)
        let tokens = try #require(found["tokens"] as? [String: Any])
        #expect(tokens["input"] as? Int == 9800, "the last running totals")
        #expect(tokens["output"] as? Int == 410)
        #expect(tokens["responses"] as? Int == 2, "two versions of the totals: the first, then what the second added")

        let detail = try #require(try await NormalizationEndToEndTests.get(server, "/api/v1/sessions/\(found["id"] as! String)") as? [String: Any])
        let roles = (detail["messages"] as? [[String: Any]] ?? []).map { $0["role"] as? String ?? "" }
        #expect(roles == ["user", "assistant", "tool", "assistant"])
        let call = try #require((detail["tool_calls"] as? [[String: Any]])?.first)
        #expect(call["name"] as? String == "read_file")
        #expect(call["result"] as? String == "def test_login(): sleep(2)")
        let drift = try #require(try await NormalizationEndToEndTests.get(server, "/api/v1/drift") as? [String: Any])
        #expect((drift["drift"] as? [[String: Any]] ?? []).filter { $0["tool"] as? String == "mistral-vibe" }.isEmpty)
    }
}
