import Foundation
import SensorTestSupport
import Testing

/// OpenHands CLI, built from the software-agent SDK's event and metrics models: a conversation
/// folder of one JSON file per event and a base_state.json rewritten as it runs. The real sensor
/// delivers every event once and of the state only the token counts (never the agent's settings
/// or its secrets); the built-in mapping gives the prompt, the answers, the calls with their
/// results and errors, and the running totals as tokens and cost, on both stores.
@Suite struct OpenHandsEndToEndTests {
    static let conversation = "6a7b8c9d0e1f4a2b8c3d4e5f60718293"

    static func event(_ kind: String, id: Int, at second: Int, _ body: String) -> String {
        #"{"id":"00000000-0000-4000-8000-\#(String(format: "%012d", id))","timestamp":"2026-12-03T09:00:\#(String(format: "%02d", second)).123456",\#(body),"kind":"\#(kind)"}"#
    }

    static let events = [
        event("SystemPromptEvent", id: 1, at: 0, #""source":"agent","system_prompt":{"type":"text","text":"You are OpenHands agent."},"tools":[]"#),
        event("MessageEvent", id: 2, at: 1, #""source":"user","llm_message":{"role":"user","content":[{"cache_prompt":false,"type":"text","text":"Why does the CLI crash on start?"}],"tool_calls":null},"llm_response_id":null,"activated_skills":[],"extended_content":[],"sender":null"#),
        event("ActionEvent", id: 3, at: 2, #""source":"agent","thought":[{"type":"text","text":"Let me run it."}],"reasoning_content":"Run it first, then read the trace.","thinking_blocks":[],"action":{"command":"openhands --help","kind":"TerminalAction"},"tool_name":"terminal","tool_call_id":"call_1","tool_call":{"id":"call_1","name":"terminal","arguments":"{\"command\": \"openhands --help\"}","origin":"completion"},"llm_response_id":"resp_1","security_risk":"LOW","summary":null"#),
        event("ObservationEvent", id: 4, at: 3, #""source":"environment","tool_name":"terminal","tool_call_id":"call_1","observation":{"content":[{"type":"text","text":"KeyError: 'HOME'"}],"is_error":false,"kind":"TerminalObservation"},"action_id":"00000000-0000-4000-8000-000000000003""#),
        event("ActionEvent", id: 5, at: 4, #""source":"agent","thought":[],"reasoning_content":null,"thinking_blocks":[],"action":{"command":"view","path":"/etc/openhands.env","kind":"FileEditorAction"},"tool_name":"file_editor","tool_call_id":"call_2","tool_call":{"id":"call_2","name":"file_editor","arguments":"{\"command\": \"view\", \"path\": \"/etc/openhands.env\"}","origin":"completion"},"llm_response_id":"resp_2","security_risk":"LOW","summary":null"#),
        event("AgentErrorEvent", id: 6, at: 5, #""source":"agent","tool_name":"file_editor","tool_call_id":"call_2","error":"File not found: /etc/openhands.env""#),
        event("MessageEvent", id: 7, at: 6, #""source":"agent","llm_message":{"role":"assistant","content":[{"cache_prompt":false,"type":"text","text":"HOME is unset in the service's environment."}],"tool_calls":null},"llm_response_id":"resp_3","activated_skills":[],"extended_content":[],"sender":null"#),
        event("ConversationStateUpdateEvent", id: 8, at: 7, #""source":"environment","key":"execution_status","value":"finished""#),
    ]

    /// The state as the SDK writes it, with the running totals of each LLM it used.
    static func baseState(agent: (prompt: Int, completion: Int, cacheRead: Int, cacheWrite: Int, reasoning: Int, cost: Double)) -> String {
        #"""
        {"id":"\#(conversation)","agent":{"llm":{"model":"anthropic/claude-sonnet-4-5-20250929","api_key":"sk-ant-api03-PLANTED-KEY-0000000000000000000000"},"kind":"Agent"},
         "workspace":{"working_dir":"/home/me/cli","kind":"LocalWorkspace"},"persistence_dir":"/home/me/.openhands/conversations/\#(conversation)",
         "max_iterations":500,"execution_status":"finished",
         "secret_registry":{"secret_sources":{"DEPLOY_PASSWORD":{"kind":"StaticSecret","value":"PLANTED-SECRET-VALUE"}}},
         "stats":{"usage_to_metrics":{
           "agent":{"model_name":"anthropic/claude-sonnet-4-5-20250929","accumulated_cost":\#(agent.cost),"max_budget_per_task":null,
             "accumulated_token_usage":{"model":"anthropic/claude-sonnet-4-5-20250929","prompt_tokens":\#(agent.prompt),"completion_tokens":\#(agent.completion),
               "cache_read_tokens":\#(agent.cacheRead),"cache_write_tokens":\#(agent.cacheWrite),"reasoning_tokens":\#(agent.reasoning),"context_window":200000,"per_turn_token":900,"response_id":""}},
           "condenser":{"model_name":"openai/gpt-5-mini","accumulated_cost":0.009,"max_budget_per_task":null,
             "accumulated_token_usage":{"model":"openai/gpt-5-mini","prompt_tokens":2000,"completion_tokens":200,"cache_read_tokens":0,
               "cache_write_tokens":0,"reasoning_tokens":0,"context_window":400000,"per_turn_token":2200,"response_id":""}}}}}
        """#
    }

    @Test(arguments: SensorIntoIngestTests.databases)
    func conversationsArriveWithTheirCallsErrorsAndRunningTotals(_ kind: String) async throws {
        let scratch = ScratchHome("openhands")
        defer { scratch.remove() }
        let home = scratch.home
        let folder = home.appendingPathComponent(".openhands/conversations/\(Self.conversation)")
        let eventsFolder = folder.appendingPathComponent("events")
        try FileManager.default.createDirectory(at: eventsFolder, withIntermediateDirectories: true)
        for (index, event) in Self.events.enumerated() {
            try event.write(to: eventsFolder.appendingPathComponent(String(format: "event-%05d-%08x.json", index, index * 7919)), atomically: true, encoding: .utf8)
        }
        let state = folder.appendingPathComponent("base_state.json")
        try Self.baseState(agent: (12000, 800, 9000, 500, 100, 0.0421)).write(to: state, atomically: true, encoding: .utf8)
        let work = scratch.work

        #expect(try await DocumentedToolRun.matchedFiles(source: "openhands.events", home: home) == Self.events.count)
        #expect(try await DocumentedToolRun.matchedFiles(source: "openhands.state", home: home) == 1)
        // Of the state, only what the declaration names leaves: never the key, never a secret.
        let dryRun = try await ProcessRunner.run(ProcessRunner.sensor, ["scan", "--dry-run", "--home", home.path,
                                                                        "--state-dir", scratch.root.appendingPathComponent("dry-state").path])
        #expect(dryRun.status == 0 && dryRun.text.contains("Why does the CLI crash on start?"))
        #expect(!dryRun.text.contains("PLANTED"), "the agent's key and the secret registry stay home")

        let server = try await scratch.server(kind)
        defer { server.stop() }
        #expect(try await DocumentedToolRun.scanTwice(home: home, work: work, into: server, source: "openhands.events") == Self.events.count)
        // The conversation goes on: the state is rewritten with larger totals and read again.
        try Self.baseState(agent: (15000, 1000, 11000, 600, 150, 0.05)).write(to: state, atomically: true, encoding: .utf8)
        #expect(try await DocumentedToolRun.scanTwice(home: home, work: work, into: server, source: "openhands.state") == 2)

        let listed = try await NormalizationEndToEndTests.allSessions(server).filter { $0["tool"] as? String == "openhands" }
        #expect(listed.count == 1, "\(listed)")
        let session = try #require(listed.first)
        #expect(session["native_id"] as? String == Self.conversation)
        #expect(session["project"] as? String == "/home/me/cli")
        #expect(session["tool_calls"] as? Int == 2)
        // Each call belongs to the agent's turn that made it (the second one said nothing first).
        #expect(session["messages"] as? Int == 6, "the prompt, two turns with their calls, a result, the error, the answer: \(session)")
        #expect((session["models"] as? [String])?.sorted() == ["anthropic/claude-sonnet-4-5-20250929", "openai/gpt-5-mini"], "\(session)")
        let tokens = try #require(session["tokens"] as? [String: Any])
        #expect(tokens["input"] as? Int == (15000 - 11000) + 2000, "prompt tokens count the cache reads: \(tokens)")
        #expect(tokens["output"] as? Int == 1200)
        #expect(tokens["cache_read"] as? Int == 11000)
        #expect(tokens["cache_write"] as? Int == 600)
        #expect(tokens["reasoning"] as? Int == 150)
        let cost = try #require(tokens["cost"] as? Double)
        #expect(abs(cost - 0.059) < 1e-9, "the latest running totals, counted once: \(tokens)")

        let detail = try #require(try await NormalizationEndToEndTests.get(server, "/api/v1/sessions/\(session["id"] as! String)") as? [String: Any])
        let messages = detail["messages"] as? [[String: Any]] ?? []
        #expect(messages.map { $0["role"] as? String ?? "" } == ["user", "assistant", "tool", "assistant", "tool", "assistant"], "\(messages)")
        #expect(messages[1]["text"] as? String == "Let me run it.", "\(messages[1])")
        #expect(messages.first?["text"] as? String == "Why does the CLI crash on start?")
        let calls = try #require(detail["tool_calls"] as? [[String: Any]])
        let terminal = try #require(calls.first { $0["name"] as? String == "terminal" })
        #expect(terminal["result"] as? String == "KeyError: 'HOME'" && terminal["is_error"] as? Bool == false)
        #expect((terminal["input"] as? String)?.contains("openhands --help") == true, "\(terminal)")
        let editor = try #require(calls.first { $0["name"] as? String == "file_editor" })
        #expect(editor["is_error"] as? Bool == true && editor["result"] as? String == "File not found: /etc/openhands.env", "\(editor)")

        let drift = try #require(try await NormalizationEndToEndTests.get(server, "/api/v1/drift") as? [String: Any])
        let openHandsDrift = (drift["drift"] as? [[String: Any]] ?? []).filter { $0["tool"] as? String == "openhands" }
        #expect(openHandsDrift.isEmpty, "\(openHandsDrift)")
    }
}
