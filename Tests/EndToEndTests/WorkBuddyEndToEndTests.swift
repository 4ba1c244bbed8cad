import Foundation
import SensorTestSupport
import Testing

/// WorkBuddy, from the item lines its readers find in real files (no schema is published): a
/// session a file under its project's folder, a sub-agent's beside it in `subagents/`. The real
/// sensor sends each line once; the built-in mapping gives the prompts and answers, the calls
/// joined to their results, and each request's tokens from either usage shape (the camelCase
/// one, and the provider's raw one whose prompt counts the cache), on both stores.
@Suite struct WorkBuddyEndToEndTests {
    static let session = "11111111-1111-4111-8111-111111111111"
    static let folder = ".workbuddy/projects/billing"

    static func line(_ id: String, _ second: Int, _ body: String) -> String {
        #"{"id":"\#(id)","timestamp":\#(1_796_400_000_000 + second * 1000),\#(body),"sessionId":"\#(session)","cwd":"/home/me/billing"}"#
    }

    static let first = [
        line("u1", 1, #""type":"message","role":"user","content":[{"type":"input_text","text":"Why do refunds fail?"}]"#),
        line("a1", 2, #""type":"message","role":"assistant","content":[{"type":"output_text","text":"Let me look."}],"providerData":{"model":"gpt-5.5","usage":{"inputTokens":20,"outputTokens":4,"cacheReadInputTokens":5}}"#),
        line("fc1", 3, #""type":"function_call","name":"Bash","callId":"call_1","arguments":"{\"command\":\"grep -r refund\"}","providerData":{"model":"gpt-5.5","usage":{"inputTokens":10,"outputTokens":3,"cacheReadInputTokens":2}}"#),
        line("fr1", 4, #""type":"function_call_result","name":"Bash","callId":"call_1","output":{"type":"text","text":"refund.py: raise"}"#),
    ]

    static let more = [
        line("a2", 5, #""type":"message","role":"assistant","content":[{"type":"output_text","text":"The amount is negative."}],"providerData":{"model":"gpt-5.5","rawUsage":{"prompt_tokens":20,"completion_tokens":4,"prompt_tokens_details":{"cached_tokens":5}}}"#),
    ]

    @Test(arguments: SensorIntoIngestTests.databases)
    func itemsGiveMessagesCallsAndTokensOfBothUsageShapes(_ kind: String) async throws {
        let scratch = ScratchHome("workbuddy")
        defer { scratch.remove() }
        let home = scratch.home, work = scratch.work
        let file = try scratch.writeLines(Self.first, to: "\(Self.folder)/\(Self.session).jsonl")
        try scratch.writeLines([
            #"{"timestamp":1796400003500,"type":"message","role":"user","content":[{"text":"find refund callers"}],"cwd":"/home/me/billing"}"#,
            #"{"timestamp":1796400003900,"type":"message","role":"assistant","content":[{"text":"two callers"}],"providerData":{"model":"gpt-5.5-mini","usage":{"inputTokens":7,"outputTokens":2}}}"#,
        ], to: "\(Self.folder)/\(Self.session)/subagents/explorer.jsonl")

        #expect(try await DocumentedToolRun.matchedFiles(source: "workbuddy.sessions", home: home) == 1)
        #expect(try await DocumentedToolRun.matchedFiles(source: "workbuddy.subagents", home: home) == 1)
        let server = try await scratch.server(kind)
        defer { server.stop() }
        #expect(try await DocumentedToolRun.scanTwice(home: home, work: work, into: server, source: "workbuddy.sessions") == 4)
        try DocumentedToolRun.appendLines(Self.more, to: file)
        #expect(try await DocumentedToolRun.scanTwice(home: home, work: work, into: server, source: "workbuddy.sessions") == 5)

        let listed = try await NormalizationEndToEndTests.allSessions(server).filter { $0["tool"] as? String == "workbuddy" }
        #expect(listed.count == 2, "\(listed)")
        let session = try #require(listed.first { $0["native_id"] as? String == Self.session }, "\(listed)")
        let agent = try #require(listed.first { $0["native_id"] as? String == "\(Self.session):subagent:explorer" }, "\(listed)")
        #expect(session["project"] as? String == "/home/me/billing" && session["tool_calls"] as? Int == 1, "\(session)")
        let tokens = try #require(session["tokens"] as? [String: Any])
        #expect(tokens["input"] as? Int == 20 + 10 + 15 && tokens["output"] as? Int == 11, "the raw prompt less its cache: \(tokens)")
        #expect(tokens["cache_read"] as? Int == 12, "\(tokens)")
        #expect((agent["tokens"] as? [String: Any])?["input"] as? Int == 7, "\(agent)")

        let detail = try #require(try await NormalizationEndToEndTests.get(server, "/api/v1/sessions/\(session["id"] as! String)") as? [String: Any])
        let texts = (detail["messages"] as? [[String: Any]] ?? []).compactMap { $0["text"] as? String }
        #expect(texts == ["Why do refunds fail?", "Let me look.", "The amount is negative."], "\(texts)")
        let call = try #require((detail["tool_calls"] as? [[String: Any]])?.first)
        #expect(call["name"] as? String == "Bash" && call["result"] as? String == "refund.py: raise", "\(call)")
        #expect((call["input"] as? String)?.contains("grep -r refund") == true, "\(call)")
        let children = try #require(detail["children"] as? [[String: Any]])
        #expect(children.map { $0["id"] as? String } == [agent["id"] as? String], "the sub-agent linked")
    }
}
