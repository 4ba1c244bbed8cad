import Foundation
import SensorTestSupport
import Testing

/// Poolside Agent CLI, from the trajectory events its readers find in real files: a session a
/// file, an event a line. The real sensor sends each line once, the built-in mapping gives the
/// prompt, the reasoning, the answer, the calls with their results and errors, and a usage row
/// per request priced under the model its start event named, on both stores; a trajectory
/// that goes on is read from where it stopped.
@Suite struct PoolsideEndToEndTests {
    static let file = "trajectory-agent_3e4f5a6b-7c8d-4e9f-a0b1-c2d3e4f5a6b7"

    static func event(_ id: String, _ type: String, _ second: Int, step: String? = nil, _ body: String) -> String {
        let stepField = step.map { #""step_id":"\#($0)","# } ?? ""
        let key = type.replacingOccurrences(of: ".", with: "_")
        return #"{"id":"\#(id)",\#(stepField)"timestamp":"2026-12-04T07:20:\#(String(format: "%02d", second)).000000-04:00","type":"\#(type)","\#(key)":\#(body)}"#
    }

    static let first = [
        event("e1", "session.start", 1, #"{"workspace":"","working_directories":["/home/me/billing"],"prompt":""}"#),
        event("e2", "session.input", 2, #"{"id":"","prompt":"Why do invoices round down?","estimated_prompt_token_usage":12,"mode":"build"}"#),
        event("e3", "tool_call.inference.start", 3, step: "s1", #"{"chat_completion_request":{"model":"poolside/laguna-m.1"}}"#),
        event("e4", "assistant_message.start", 3, step: "s1", "{}"),
        event("e5", "thought.start", 3, step: "s1", "{}"),
        event("e6", "thought.end", 4, step: "s1", #"{"thought":"Look at the rounding helper first."}"#),
        event("e7", "tool_call.parsed", 5, step: "s1", #"{"id":"call-a","name":"read","args":{"path":"money.py"}}"#),
        event("e8", "tool_call.result", 6, step: "s1", #"{"id":"call-a","tool_name":"read","execution_latency":12,"observation":"def round_down(x): ..."}"#),
        event("e9", "tool_call.parsed", 7, step: "s1", #"{"id":"call-b","name":"read","args":{"path":"missing.py"}}"#),
        event("e10", "tool_call.result", 8, step: "s1", #"{"id":"call-b","tool_name":"read","observation":"no such file","is_error":true,"execution_error_kind":"tool_error"}"#),
        event("e11", "assistant_message.end", 9, step: "s1", #"{"assistant_message":"round_down truncates; use Decimal.quantize."}"#),
        event("e12", "tool_call.inference.end", 9, step: "s1", #"{"input_tokens":1000,"output_tokens":50,"cache_read_input_tokens":500,"cache_write_input_tokens":20}"#),
    ]

    static let more = [
        event("e13", "session.input", 20, #"{"id":"","prompt":"Do it","mode":"build"}"#),
        event("e14", "tool_call.inference.start", 21, step: "s2", #"{"chat_completion_request":{"model":"poolside/malibu-2"}}"#),
        event("e15", "assistant_message.start", 21, step: "s2", "{}"),
        event("e16", "assistant_message.end", 22, step: "s2", #"{"assistant_message":"Done."}"#),
        event("e17", "tool_call.inference.end", 22, step: "s2", #"{"input_tokens":300,"output_tokens":10,"cache_read_input_tokens":1400,"cache_write_input_tokens":0}"#),
        event("e18", "session.exit", 23, #"{"reason":"user_exit"}"#),
    ]

    @Test(arguments: SensorIntoIngestTests.databases)
    func trajectoriesGiveMessagesCallsAndUsagePerModel(_ kind: String) async throws {
        let scratch = ScratchHome("poolside")
        defer { scratch.remove() }
        let home = scratch.home, work = scratch.work
        let folder = ".local/state/poolside/trajectories"
        let file = try scratch.writeLines(Self.first, to: "\(folder)/\(Self.file).ndjson")
        try scratch.writeLines(["not a trajectory"], to: "\(folder)/notes.ndjson")

        #expect(try await DocumentedToolRun.matchedFiles(source: "poolside.trajectories", home: home) == 1)
        let server = try await scratch.server(kind)
        defer { server.stop() }
        #expect(try await DocumentedToolRun.scanTwice(home: home, work: work, into: server, source: "poolside.trajectories") == 12)
        try DocumentedToolRun.appendLines(Self.more, to: file)
        #expect(try await DocumentedToolRun.scanTwice(home: home, work: work, into: server, source: "poolside.trajectories") == 18,
                "the appended events, each once")

        let listed = try await NormalizationEndToEndTests.allSessions(server).filter { $0["tool"] as? String == "poolside" }
        let session = try #require(listed.first, "\(listed)")
        #expect(listed.count == 1 && session["native_id"] as? String == Self.file)
        #expect(session["project"] as? String == "/home/me/billing", "\(session)")
        #expect(session["tool_calls"] as? Int == 2)
        #expect(Set(session["models"] as? [String] ?? []) == ["poolside/laguna-m.1", "poolside/malibu-2"], "\(session)")
        let tokens = try #require(session["tokens"] as? [String: Any])
        #expect(tokens["input"] as? Int == 1300 && tokens["output"] as? Int == 60, "\(tokens)")
        #expect(tokens["cache_read"] as? Int == 1900 && tokens["cache_write"] as? Int == 20, "\(tokens)")

        let detail = try #require(try await NormalizationEndToEndTests.get(server, "/api/v1/sessions/\(session["id"] as! String)") as? [String: Any])
        let messages = try #require(detail["messages"] as? [[String: Any]])
        let shown = messages.map { "\($0["role"] as? String ?? ""):\($0["kind"] as? String ?? "")" }
        #expect(shown == ["user:text", "assistant:thinking", "assistant:tool_use", "assistant:tool_use", "assistant:text", "user:text", "assistant:text"],
                "\(shown)")
        #expect(messages.first?["text"] as? String == "Why do invoices round down?")
        #expect(messages[4]["model"] as? String == "poolside/laguna-m.1" && messages[6]["model"] as? String == "poolside/malibu-2")
        let calls = try #require(detail["tool_calls"] as? [[String: Any]])
        #expect(calls.first { $0["call_id"] as? String == "call-a" }?["result"] as? String == "def round_down(x): ...")
        #expect(calls.first { $0["call_id"] as? String == "call-b" }?["is_error"] as? Bool == true, "\(calls)")
        let usage = try #require(detail["usage"] as? [[String: Any]])
        #expect(usage.map { $0["model"] as? String } == ["poolside/laguna-m.1", "poolside/malibu-2"], "\(usage)")
    }
}
