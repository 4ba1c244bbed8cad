import Foundation
import SensorTestSupport
import Testing

/// Grok Build, from its published storage code (xai-org/grok-build): a session folder holding
/// `updates.jsonl`, the Agent Client Protocol updates it streamed (a message over many chunk
/// lines, no message ids), and `summary.json` beside it. The real sensor sends each line once;
/// the built-in mapping joins a message's chunks even when they arrive in two scans, keeps an
/// update it ignores from splitting a message, and takes each turn's tokens per model (input
/// less the cache's reads and writes, cost from ticks of 1e-10 dollars) once, on both stores.
@Suite struct GrokBuildEndToEndTests {
    static let session = "019f6000-0000-7000-8000-00000000a001"
    static let fork = "019f6000-0000-7000-8000-00000000a002"
    static let folder = ".grok/sessions/%2Fhome%2Fme%2Fapi"

    static func update(_ second: Int, _ update: String, session: String = session, extensionUpdate: Bool = false) -> String {
        let method = extensionUpdate ? "_x.ai/session/update" : "session/update"
        return #"{"timestamp":\#(1_796_400_000 + second),"method":"\#(method)","params":{"sessionId":"\#(session)","update":{\#(update)}}}"#
    }

    static func chunk(_ second: Int, _ side: String, _ text: String, meta: String = "") -> String {
        update(second, #""sessionUpdate":"\#(side)_chunk","content":{"type":"text","text":"\#(text)"}\#(meta)"#)
    }

    static let firstScan = [
        chunk(1, "user_message", "Why do "),
        chunk(2, "user_message", "logins fail?"),
        chunk(3, "agent_thought", "Check the "),
        chunk(4, "agent_thought", "token check."),
        chunk(5, "agent_message", "Looking at "),
        update(5, #""sessionUpdate":"plan","entries":[{"content":"read auth.rs","priority":"high","status":"pending"}]"#),
        chunk(6, "agent_message", "the auth code."),
        update(7, #""sessionUpdate":"tool_call","toolCallId":"tc1","title":"read_file","kind":"read","status":"pending","rawInput":{"path":"auth.rs"}"#),
        update(8, #""sessionUpdate":"tool_call_update","toolCallId":"tc1","status":"in_progress""#),
        update(9, #""sessionUpdate":"tool_call_update","toolCallId":"tc1","status":"completed","content":[{"type":"content","content":{"type":"text","text":"fn check() {"}},{"type":"content","content":{"type":"text","text":" expired }"}}]"#),
        chunk(10, "agent_message", "The token "),
    ]

    static let secondScan = [
        chunk(11, "agent_message", "expires early."),
        update(12, #""sessionUpdate":"tool_call","toolCallId":"tc2","title":"run_tests","kind":"execute","status":"pending","rawInput":{"cmd":"cargo test"}"#),
        update(13, #""sessionUpdate":"tool_call_update","toolCallId":"tc2","status":"failed","rawOutput":{"exit":101}"#),
        update(14, #""sessionUpdate":"turn_completed","prompt_id":"p1","stop_reason":"end_turn","usage":{"inputTokens":1500,"outputTokens":120,"totalTokens":1620,"cachedReadTokens":1000,"cacheCreationTokens":200,"reasoningTokens":30,"modelCalls":3,"apiDurationMs":900,"costUsdTicks":25000000,"modelUsage":{"grok-4.5":{"inputTokens":1200,"outputTokens":100,"totalTokens":1300,"cachedReadTokens":800,"cacheCreationTokens":200,"reasoningTokens":30,"modelCalls":2,"apiDurationMs":700,"costUsdTicks":20000000},"grok-code-fast":{"inputTokens":300,"outputTokens":20,"totalTokens":320,"cachedReadTokens":200,"cacheCreationTokens":0,"reasoningTokens":0,"modelCalls":1,"apiDurationMs":200,"costUsdTicks":5000000}},"numTurns":3}"#,
               extensionUpdate: true),
        chunk(15, "user_message", "thanks"),
        chunk(15, "user_message", "", meta: #","_meta":{"hostTurn":true}"#),
        chunk(16, "user_message", "and the refresh path?"),
        update(16, #""sessionUpdate":"auto_compact_started","percentage":80"#, extensionUpdate: true),
        update(17, #""sessionUpdate":"turn_completed","prompt_id":"p2","stop_reason":"end_turn","usage":{"inputTokens":50,"outputTokens":5,"totalTokens":55,"cachedReadTokens":0,"cacheCreationTokens":0,"reasoningTokens":0,"modelCalls":1,"apiDurationMs":80,"costUsdTicks":1000000,"numTurns":1}"#,
               extensionUpdate: true),
    ]

    @Test(arguments: SensorIntoIngestTests.databases)
    func chunksJoinedAcrossScansCallsAndEachTurnsTokensPerModel(_ kind: String) async throws {
        let scratch = ScratchHome("grok-build")
        defer { scratch.remove() }
        let home = scratch.home, work = scratch.work
        let updates = try scratch.writeLines(Self.firstScan, to: "\(Self.folder)/\(Self.session)/updates.jsonl")
        try scratch.writeLines([#"{"info":{"id":"\#(Self.session)","cwd":"/home/me/api"},"session_summary":"Login failures","created_at":"2026-12-05T10:00:00Z","updated_at":"2026-12-05T10:05:00Z","current_model_id":"grok-4.5","head_branch":"main","generated_title":"Fix login expiry","chat_format_version":1}"#],
                               to: "\(Self.folder)/\(Self.session)/summary.json")
        try scratch.writeLines(["[]"], to: "\(Self.folder)/\(Self.session)/chat_history.jsonl")
        try scratch.writeLines([Self.chunk(20, "user_message", "try the other fix").replacingOccurrences(of: Self.session, with: Self.fork)],
                               to: "\(Self.folder)/\(Self.fork)/updates.jsonl")
        try scratch.writeLines([#"{"info":{"id":"\#(Self.fork)","cwd":"/home/me/api"},"created_at":"2026-12-05T11:00:00Z","parent_session_id":"\#(Self.session)"}"#],
                               to: "\(Self.folder)/\(Self.fork)/summary.json")

        #expect(try await DocumentedToolRun.matchedFiles(source: "grok-build.updates", home: home) == 2, "not chat_history.jsonl")
        #expect(try await DocumentedToolRun.matchedFiles(source: "grok-build.summary", home: home) == 2)
        let server = try await scratch.server(kind)
        defer { server.stop() }
        #expect(try await DocumentedToolRun.scanTwice(home: home, work: work, into: server, source: "grok-build.updates") == 12)
        try DocumentedToolRun.appendLines(Self.secondScan, to: updates)
        #expect(try await DocumentedToolRun.scanTwice(home: home, work: work, into: server, source: "grok-build.updates") == 21)

        let listed = try await NormalizationEndToEndTests.allSessions(server).filter { $0["tool"] as? String == "grok-build" }
        #expect(listed.count == 2, "\(listed)")
        let session = try #require(listed.first { $0["native_id"] as? String == Self.session }, "\(listed)")
        #expect(session["title"] as? String == "Fix login expiry" && session["project"] as? String == "/home/me/api", "\(session)")
        #expect(session["git_branch"] as? String == "main" && session["tool_calls"] as? Int == 2, "\(session)")
        let tokens = try #require(session["tokens"] as? [String: Any])
        #expect(tokens["input"] as? Int == 200 + 100 + 50 && tokens["output"] as? Int == 125, "input less the cache's reads and writes: \(tokens)")
        #expect(tokens["cache_read"] as? Int == 1000 && tokens["cache_write"] as? Int == 200, "\(tokens)")
        #expect(abs((tokens["cost"] as? Double ?? 0) - 0.0026) < 1e-9, "ticks of 1e-10 dollars: \(tokens)")

        let detail = try #require(try await NormalizationEndToEndTests.get(server, "/api/v1/sessions/\(session["id"] as! String)") as? [String: Any])
        let messages = (detail["messages"] as? [[String: Any]] ?? []).map {
            "\($0["role"] as? String ?? ""):\($0["kind"] as? String ?? ""):\($0["text"] as? String ?? "")"
        }
        #expect(messages == ["user:text:Why do logins fail?", "assistant:thinking:Check the token check.", "assistant:text:Looking at the auth code.",
                             "assistant:text:The token expires early.", "user:text:thanks", "user:text:and the refresh path?"],
                "a host turn's boundary ends a message: \(messages)")
        let usage = try #require(detail["usage"] as? [[String: Any]])
        #expect(Set(usage.compactMap { $0["model"] as? String }) == ["grok-4.5", "grok-code-fast"] && usage.count == 3, "\(usage)")
        let calls = try #require(detail["tool_calls"] as? [[String: Any]])
        let read = try #require(calls.first { $0["call_id"] as? String == "tc1" })
        let tests = try #require(calls.first { $0["call_id"] as? String == "tc2" })
        #expect(read["name"] as? String == "read_file" && read["result"] as? String == "fn check() { expired }" && read["is_error"] as? Bool != true,
                "\(read)")
        #expect((read["input"] as? String)?.contains("auth.rs") == true, "\(read)")
        #expect(tests["name"] as? String == "run_tests" && tests["is_error"] as? Bool == true, "\(tests)")
        #expect((tests["result"] as? String)?.contains("101") == true, "\(tests)")
        let children = try #require(detail["children"] as? [[String: Any]])
        let forked = try #require(listed.first { $0["native_id"] as? String == Self.fork })
        #expect(children.map { $0["id"] as? String } == [forked["id"] as? String], "the fork linked to the session it came from")
    }
}
