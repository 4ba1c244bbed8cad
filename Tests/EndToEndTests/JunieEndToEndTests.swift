import Foundation
import SensorTestSupport
import Testing

/// Junie CLI, from the event log and session index its public readers parse (each event with
/// its time in `timestampMs`; a prompt written again under its request id; the agent's blocks
/// updated in place under their step id; each model request's usage with the cost Junie
/// recorded). The real sensor sends each line once; the built-in mapping gives the prompt as it
/// was shown, one answer per step with its final text, a terminal block as one call with its
/// newest output, the usage of every request, and the index's newest title, on both stores.
@Suite struct JunieEndToEndTests {
    static let session = "session-261205-110000-ab12"
    static let base: Int64 = 1_796_468_400_000  // 2026-12-05T11:00:00Z

    static func at(_ second: Int) -> Int64 { base + Int64(second) * 1000 }

    static func block(_ kind: String, step: String, state: String = "IN_PROGRESS", at second: Int, _ fields: String) -> String {
        #"{"kind":"SessionA2uxEvent","timestampMs":\#(at(second)),"event":{"state":"\#(state)","agentEvent":{"kind":"\#(kind)","stepId":"\#(step)",\#(fields)}}}"#
    }

    static let first = [
        #"{"kind":"TaskStartedEvent","taskId":"task-261205-110000-x1","timestampMs":\#(at(0))}"#,
        #"{"kind":"UserPromptEvent","requestId":"req-1","prompt":"<context>files</context> Fix the flaky test","timestampMs":\#(at(1))}"#,
        #"{"kind":"UserPromptEvent","requestId":"req-1","prompt":"<context>files</context> Fix the flaky test","presentablePrompt":"Fix the flaky test","delivery":"Delivered","timestampMs":\#(at(2))}"#,
        block("AgentCurrentStatusUpdatedEvent", step: "s0", at: 3, #""status":"Sending LLM request""#),
        block("MarkdownBlockUpdatedEvent", step: "step-1", at: 4, #""text":"Looking at the test's timing.""#),
        block("TerminalBlockUpdatedEvent", step: "step-2", at: 5, #""command":"swift test --filter Clock","output":"Building""#),
        block("TerminalBlockUpdatedEvent", step: "step-2", state: "COMPLETED", at: 6,
              #""command":"swift test --filter Clock","output":"Test run with 3 tests passed""#),
        #"{"kind":"SessionA2uxEvent","timestampMs":\#(at(7)),"event":{"state":"IN_PROGRESS","agentEvent":{"kind":"LlmResponseMetadataEvent","modelUsage":[{"model":"claude-sonnet-4-5","cost":0.0125,"inputTokens":2100,"cacheInputTokens":9000,"cacheCreateTokens":400,"outputTokens":150,"time":900},{"model":"gpt-5-mini","cost":0.001,"inputTokens":300,"cacheInputTokens":0,"cacheCreateTokens":0,"outputTokens":20,"time":200}]}}}"#,
        block("ResultBlockUpdatedEvent", step: "step-3", at: 8, #""cancelled":false,"result":"draft","changes":[]"#),
        block("ResultBlockUpdatedEvent", step: "step-3", state: "COMPLETED", at: 9,
              #""cancelled":false,"result":"<!-- ANSWER -->The clock is injected now; the test passes.","changes":[]"#),
    ]

    static let index = [
        #"{"sessionId":"\#(session)","createdAt":\#(at(0)),"updatedAt":\#(at(9)),"projectDir":"/home/me/clock","taskName":"Flaky test","status":null}"#,
    ]

    @Test(arguments: SensorIntoIngestTests.databases)
    func eventsAndIndexGiveEachMessageCallAndRequestOnce(_ kind: String) async throws {
        let scratch = ScratchHome("junie")
        defer { scratch.remove() }
        let home = scratch.home, work = scratch.work
        let events = try scratch.writeLines(Self.first, to: ".junie/sessions/\(Self.session)/events.jsonl")
        let index = try scratch.writeLines(Self.index, to: ".junie/sessions/index.jsonl")
        _ = try scratch.writeLines([#"{"agent":"state"}"#], to: ".junie/sessions/\(Self.session)/task-261205-110000-x1/.matterhorn/state.jsonl")

        #expect(try await DocumentedToolRun.matchedFiles(source: "junie.events", home: home) == 1)
        #expect(try await DocumentedToolRun.matchedFiles(source: "junie.index", home: home) == 1)
        let server = try await scratch.server(kind)
        defer { server.stop() }
        #expect(try await DocumentedToolRun.scanTwice(home: home, work: work, into: server, source: "junie.events") == Self.first.count)
        // The session goes on: a second prompt and answer, and the index's newer line with the title Junie settled on.
        let more = [
            #"{"kind":"UserPromptEvent","requestId":"req-2","prompt":"And the other one?","presentablePrompt":"And the other one?","timestampMs":\#(Self.at(20))}"#,
            Self.block("ResultBlockUpdatedEvent", step: "step-4", state: "COMPLETED", at: 21, #""cancelled":false,"result":"Same cause, same fix.","changes":[]"#),
            #"{"kind":"SystemMessageEvent","text":"Rate limited","details":"retrying in 5 s","level":"WARNING","timestampMs":\#(Self.at(22))}"#,
        ]
        try DocumentedToolRun.appendLines(more, to: events)
        try DocumentedToolRun.appendLines([#"{"sessionId":"\#(Self.session)","createdAt":\#(Self.at(0)),"updatedAt":\#(Self.at(22)),"projectDir":"/home/me/clock","taskName":"Fix the flaky clock test","status":"completed"}"#], to: index)
        #expect(try await DocumentedToolRun.scanTwice(home: home, work: work, into: server, source: "junie.events") == Self.first.count + more.count)
        #expect(try await DocumentedToolRun.stored(source: "junie.index", in: server) == 2)

        let listed = try await NormalizationEndToEndTests.allSessions(server).filter { $0["tool"] as? String == "junie" }
        let session = try #require(listed.first, "\(listed)")
        #expect(listed.count == 1 && session["native_id"] as? String == Self.session, "\(listed)")
        #expect(session["title"] as? String == "Fix the flaky clock test" && session["project"] as? String == "/home/me/clock", "\(session)")
        let tokens = try #require(session["tokens"] as? [String: Any])
        #expect(tokens["input"] as? Int == 2100 + 300 && tokens["output"] as? Int == 150 + 20, "\(tokens)")
        #expect(tokens["cache_read"] as? Int == 9000 && tokens["cache_write"] as? Int == 400, "\(tokens)")
        #expect(abs((tokens["cost"] as? Double ?? 0) - 0.0135) < 1e-9, "the cost Junie recorded: \(tokens)")
        #expect(Set(session["models"] as? [String] ?? []) == ["claude-sonnet-4-5", "gpt-5-mini"], "\(session)")

        let detail = try #require(try await NormalizationEndToEndTests.get(server, "/api/v1/sessions/\(session["id"] as! String)") as? [String: Any])
        let messages = try #require(detail["messages"] as? [[String: Any]])
        #expect(messages.map { $0["text"] as? String ?? "" } == [
            "Fix the flaky test", "Looking at the test's timing.", "The clock is injected now; the test passes.",
            "And the other one?", "Same cause, same fix.", "Rate limited\n\nretrying in 5 s",
        ], "the prompt as shown, each step once with its final text: \(messages)")
        #expect(messages.map { $0["role"] as? String ?? "" } == ["user", "assistant", "assistant", "user", "assistant", "system"])
        let calls = try #require(detail["tool_calls"] as? [[String: Any]])
        #expect(calls.count == 1, "\(calls)")
        #expect(calls.first?["name"] as? String == "terminal" && calls.first?["input"] as? String == "swift test --filter Clock"
                && calls.first?["result"] as? String == "Test run with 3 tests passed", "the newest output: \(calls)")
    }
}
