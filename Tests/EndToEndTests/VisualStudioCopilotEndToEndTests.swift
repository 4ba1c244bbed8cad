import Foundation
import SensorTestSupport
import Testing

/// GitHub Copilot in Visual Studio, from the OpenTelemetry trace exports its readers document (a
/// line an export; spans with key/value attribute lists): one conversation over two files, a
/// chat span per model request carrying the whole history again, tool spans with results. The
/// real sensor sends each line once (the Windows folder moved under the test's home with
/// `--set`); the built-in mapping gives each user turn's prompt once, each answer with its
/// model and tokens, and each call with its result, on both stores.
@Suite struct VisualStudioCopilotEndToEndTests {
    static let folder = "AppData/Local/Temp/VSGitHubCopilotLogs/traces"
    static let conversation = "4a8f63f6-7626-4416-a874-fc7bd2c3f005"
    static var options: [String] { ["--set", #"visualstudio-copilot.traces:roots.default=["~/\#(folder)"]"#] }

    static func attribute(_ key: String, _ value: String) -> String {
        let escaped = value.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
        return #"{"key":"\#(key)","value":{"stringValue":"\#(escaped)"}}"#
    }

    static func export(_ name: String, span: String, second: Int, _ attributes: [(String, String)]) -> String {
        let start = (1_796_500_000 + second) * 1_000_000_000
        let list = ([("gen_ai.conversation.id", conversation)] + attributes).map { attribute($0.0, $0.1) }.joined(separator: ",")
        return #"{"resourceSpans":[{"resource":{"attributes":[\#(attribute("service.name", "vs-copilot")),\#(attribute("service.version", "18.6.11822.322"))]},"scopeSpans":[{"scope":{},"spans":[{"traceId":"t1","spanId":"\#(span)","name":"\#(name)","kind":1,"startTimeUnixNano":"\#(start)","endTimeUnixNano":"\#(start + 500_000_000)","attributes":[\#(list)]}]}]}]}"#
    }

    static func chat(span: String, second: Int, turn: String, history: String, output: String, input: Int, outputTokens: Int) -> String {
        export("chat gpt-5.5", span: span, second: second, [
            ("gen_ai.operation.name", "chat"), ("gen_ai.request.model", "gpt-5.5"), ("gen_ai.response.model", "gpt-5.5"),
            ("gen_ai.response.id", "resp-\(span)"), ("copilot_chat.root_request_id", turn),
            ("gen_ai.usage.input_tokens", String(input)), ("gen_ai.usage.output_tokens", String(outputTokens)),
            ("gen_ai.input.messages", history), ("gen_ai.output.messages", output)])
    }

    static func tool(span: String, second: Int, id: String, name: String, arguments: String, result: String) -> String {
        export("execute_tool \(name)", span: span, second: second, [
            ("gen_ai.operation.name", "execute_tool"), ("gen_ai.tool.name", name), ("gen_ai.tool.call.id", id),
            ("gen_ai.tool.call.arguments", arguments), ("gen_ai.tool.call.result", result)])
    }

    @Test(arguments: SensorIntoIngestTests.databases)
    func eachTurnsPromptOnceEachAnswerWithItsTokensEachCallWithItsResult(_ kind: String) async throws {
        let scratch = ScratchHome("vs-copilot")
        defer { scratch.remove() }
        let home = scratch.home, work = scratch.work
        let prompt = #"[{"role":"user","parts":[{"type":"text","content":"Fix the build"}]}]"#
        let withCall = #"[{"role":"user","parts":[{"type":"text","content":"Fix the build"}]},{"role":"assistant","parts":[{"type":"tool_call","id":"call_1","name":"run_build","arguments":"{}"}]},{"role":"tool","parts":[{"type":"tool_call_response","id":"call_1","response":"1 error"}]}]"#
        try scratch.writeLines([
            Self.export("invoke_agent GitHub Copilot", span: "a1", second: 0, [("gen_ai.operation.name", "invoke_agent"), ("gen_ai.request.model", "gpt-5.5"),
                                                                             ("copilot_chat.root_request_id", "turn-1")]),
            Self.chat(span: "c1", second: 1, turn: "turn-1", history: prompt,
                      output: #"[{"role":"assistant","parts":[{"type":"tool_call","id":"call_1","name":"run_build","arguments":"{}"}]}]"#, input: 9000, outputTokens: 40),
            Self.tool(span: "t1", second: 2, id: "call_1", name: "run_build", arguments: #"{"configuration":"Debug"}"#, result: "1 error: CS0103"),
        ], to: "\(Self.folder)/20261205T090000_b45c44b2_VSGitHubCopilot_traces.jsonl")
        // The same conversation goes on in the next file: the turn's second request repeats its history.
        try scratch.writeLines([
            Self.chat(span: "c2", second: 3, turn: "turn-1", history: withCall,
                      output: #"[{"role":"assistant","parts":[{"type":"text","content":"Declared the missing variable."}]}]"#, input: 9500, outputTokens: 60),
            // The next turn: its history holds both prompts, the newest last.
            Self.chat(span: "c3", second: 4, turn: "turn-2",
                      history: String(withCall.dropLast()) + #",{"role":"assistant","parts":[{"type":"text","content":"Declared the missing variable."}]},{"role":"user","parts":[{"type":"text","content":"And the tests?"}]}]"#,
                      output: #"[{"role":"assistant","parts":[{"type":"text","content":"Tests pass."}]}]"#, input: 10_000, outputTokens: 20),
        ], to: "\(Self.folder)/20261205T090005_b45c44b2_VSGitHubCopilot_traces.jsonl")

        #expect(try await DocumentedToolRun.matchedFiles(source: "visualstudio-copilot.traces", home: home, options: Self.options) == 2)
        let server = try await scratch.server(kind)
        defer { server.stop() }
        #expect(try await DocumentedToolRun.scanTwice(home: home, work: work, into: server, source: "visualstudio-copilot.traces", options: Self.options) == 5)

        let listed = try await NormalizationEndToEndTests.allSessions(server).filter { $0["tool"] as? String == "visualstudio-copilot" }
        let session = try #require(listed.first, "\(listed)")
        #expect(listed.count == 1 && session["native_id"] as? String == Self.conversation, "one conversation over two files: \(listed)")
        let tokens = try #require(session["tokens"] as? [String: Any])
        #expect(tokens["input"] as? Int == 28_500 && tokens["output"] as? Int == 120, "\(tokens)")
        let detail = try #require(try await NormalizationEndToEndTests.get(server, "/api/v1/sessions/\(session["id"] as! String)") as? [String: Any])
        let texts = (detail["messages"] as? [[String: Any]] ?? []).compactMap { message -> String? in
            guard let text = message["text"] as? String else { return nil }
            return "\(message["role"] as? String ?? ""):\(text)"
        }
        #expect(texts == ["user:Fix the build", "assistant:Declared the missing variable.", "user:And the tests?", "assistant:Tests pass."],
                "each turn's newest prompt once, in time order across the files: \(texts)")
        let call = try #require((detail["tool_calls"] as? [[String: Any]])?.first)
        #expect(call["name"] as? String == "run_build" && call["result"] as? String == "1 error: CS0103", "\(call)")
        #expect((call["input"] as? String)?.contains("Debug") == true, "\(call)")
        let usage = try #require(detail["usage"] as? [[String: Any]])
        #expect(usage.count == 3 && usage.allSatisfy { $0["model"] as? String == "gpt-5.5" }, "\(usage)")
    }
}
