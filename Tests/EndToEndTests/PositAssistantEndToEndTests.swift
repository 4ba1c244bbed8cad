import Foundation
import SensorTestSupport
import Testing

/// Posit Assistant, from the shapes agentsview's reader and its tests find in its files (no
/// schema is published): a folder a conversation with `lm-messages.jsonl` (one Vercel AI SDK
/// model message a line, keyed by its `id`) and `conversation.json` (rewritten: title, branch,
/// the message tree), a sub-agent's run in `subagents/<id>/`. The real sensor sends each line
/// once and the conversation again when rewritten; the built-in mapping gives prompts, answers
/// without the assistant's bookkeeping tags, reasoning, calls with results and failures, tokens
/// (input leaving the cache out), the title and the sub-agent's link, on both stores.
@Suite struct PositAssistantEndToEndTests {
    static let conversation = "5c0f8a2e-3b1d-4e6f-9a70-1c2d3e4f5a6b"
    static let subagent = "7d1e2f30-4a5b-4c6d-8e9f-0a1b2c3d4e5f"
    static let folder = ".posit/assistant/workspaces/9f8e7d6c/\(conversation)"

    static func line(_ id: Int, _ role: String, _ content: String, positai: String = "") -> String {
        let metadata = positai.isEmpty ? "" : #","providerOptions":{"providerMetadata":{"positai":{\#(positai)}}}"#
        return #"{"id":\#(id),"message":{"role":"\#(role)","content":\#(content)\#(metadata)}}"#
    }

    static let firstScan = [
        line(0, "user", #""Why is the quarterly total off?""#, positai: #""timestamp":1796400000000"#),
        line(1, "assistant", #"[{"type":"reasoning","text":"Check the join."},{"type":"text","text":"Reading the script.\n<MESSAGESUMMARY>Asked about the total</MESSAGESUMMARY>"},{"type":"tool-call","toolCallId":"toolu_1","toolName":"read","input":{"file_path":"report.R"}},{"type":"tool-call","toolCallId":"toolu_2","toolName":"run","input":{"code":"source('report.R')"}}]"#,
             positai: #""timestamp":1796400010000,"modelId":"claude-sonnet-4-6","usage":{"inputTokens":12,"outputTokens":34,"totalTokens":246,"cacheReadTokens":100,"cacheWriteTokens":100}"#),
        line(2, "tool", #"[{"type":"tool-result","toolCallId":"toolu_1","toolName":"read","output":{"type":"text","value":"sales <- merge(a, b)"}},{"type":"tool-result","toolCallId":"toolu_2","toolName":"run","output":{"type":"error-text","value":"object 'b' not found"}}]"#),
    ]

    static let secondScan = [
        line(3, "assistant", #"[{"type":"text","text":"The merge drops unmatched rows."}]"#,
             positai: #""timestamp":1796400020000,"modelId":"claude-sonnet-4-6","usage":{"inputTokens":50,"outputTokens":20,"totalTokens":70,"cacheReadTokens":0,"cacheWriteTokens":0}"#),
    ]

    @Test(arguments: SensorIntoIngestTests.databases)
    func messagesCallsTokensAndTheSubagentsLink(_ kind: String) async throws {
        let scratch = ScratchHome("posit-assistant")
        defer { scratch.remove() }
        let home = scratch.home, work = scratch.work
        let messages = try scratch.writeLines(Self.firstScan, to: "\(Self.folder)/lm-messages.jsonl")
        let tree = try scratch.writeLines([#"{"schemaVersion":"3","root":{"id":"\#(Self.conversation)","title":null,"summary":"Quarterly total","timestamp":1796400000000,"metadata":{"kind":"main","gitBranch":"fix/totals","model":{"id":"claude-sonnet-4-6"}}},"messages":[]}"#],
                                          to: "\(Self.folder)/conversation.json")
        try scratch.writeLines([Self.line(0, "user", #"[{"type":"text","text":"List the data files."}]"#, positai: #""timestamp":1796400012000"#),
                                Self.line(1, "assistant", #""data/q3.csv""#,
                                          positai: #""timestamp":1796400013000,"modelId":"claude-haiku-4-5","usage":{"inputTokens":7,"outputTokens":3}"#)],
                               to: "\(Self.folder)/subagents/\(Self.subagent)/lm-messages.jsonl")
        try scratch.writeLines([#"{"schemaVersion":"3","root":{"id":"\#(Self.subagent)","title":null,"summary":"List the data files","timestamp":1796400012000,"metadata":{"kind":"subagent","parentTreeId":"\#(Self.conversation)","task":"List the data files"}},"messages":[]}"#],
                               to: "\(Self.folder)/subagents/\(Self.subagent)/conversation.json")
        try scratch.writeLines(["{}"], to: "\(Self.folder)/ui-messages.jsonl")
        try scratch.writeLines([#"{"path":"/home/me/reports"}"#], to: ".posit/assistant/workspaces/9f8e7d6c/workspace.json")

        #expect(try await DocumentedToolRun.matchedFiles(source: "posit-assistant.messages", home: home) == 2, "not ui-messages.jsonl")
        #expect(try await DocumentedToolRun.matchedFiles(source: "posit-assistant.conversations", home: home) == 2)
        let server = try await scratch.server(kind)
        defer { server.stop() }
        #expect(try await DocumentedToolRun.scanTwice(home: home, work: work, into: server, source: "posit-assistant.messages") == 5)
        try DocumentedToolRun.appendLines(Self.secondScan, to: messages)
        try Data(#"{"schemaVersion":"3","root":{"id":"\#(Self.conversation)","title":"Quarterly total is off","summary":"Quarterly total","timestamp":1796400000000,"metadata":{"kind":"main","gitBranch":"fix/totals"}},"messages":[]}"#.utf8)
            .write(to: tree)
        #expect(try await DocumentedToolRun.scanTwice(home: home, work: work, into: server, source: "posit-assistant.messages") == 6)
        #expect(try await DocumentedToolRun.stored(source: "posit-assistant.conversations", in: server) == 3)

        let listed = try await NormalizationEndToEndTests.allSessions(server).filter { $0["tool"] as? String == "posit-assistant" }
        #expect(listed.count == 2, "\(listed)")
        let session = try #require(listed.first { $0["native_id"] as? String == Self.conversation }, "\(listed)")
        let child = try #require(listed.first { $0["native_id"] as? String == Self.subagent }, "\(listed)")
        #expect(session["title"] as? String == "Quarterly total is off" && session["git_branch"] as? String == "fix/totals", "\(session)")
        #expect(session["tool_calls"] as? Int == 2, "\(session)")
        let tokens = try #require(session["tokens"] as? [String: Any])
        #expect(tokens["input"] as? Int == 62 && tokens["output"] as? Int == 54, "\(tokens)")
        #expect(tokens["cache_read"] as? Int == 100 && tokens["cache_write"] as? Int == 100, "\(tokens)")
        #expect((child["tokens"] as? [String: Any])?["input"] as? Int == 7, "\(child)")

        let detail = try #require(try await NormalizationEndToEndTests.get(server, "/api/v1/sessions/\(session["id"] as! String)") as? [String: Any])
        let texts = (detail["messages"] as? [[String: Any]] ?? []).filter { $0["kind"] as? String != "tool_result" }
            .map { "\($0["kind"] as? String ?? ""):\($0["text"] as? String ?? "")" }
        #expect(texts == ["text:Why is the quarterly total off?", "thinking:Check the join.", "text:Reading the script.",
                          "text:The merge drops unmatched rows."], "the bookkeeping tag taken out: \(texts)")
        let calls = try #require(detail["tool_calls"] as? [[String: Any]])
        let read = try #require(calls.first { $0["call_id"] as? String == "toolu_1" })
        let run = try #require(calls.first { $0["call_id"] as? String == "toolu_2" })
        #expect(read["name"] as? String == "read" && read["result"] as? String == "sales <- merge(a, b)" && read["is_error"] as? Bool != true, "\(read)")
        #expect(run["result"] as? String == "object 'b' not found" && run["is_error"] as? Bool == true, "\(run)")
        let children = try #require(detail["children"] as? [[String: Any]])
        #expect(children.map { $0["id"] as? String } == [child["id"] as? String], "the sub-agent linked")
    }
}
