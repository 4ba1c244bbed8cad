import Foundation
import SensorTestSupport
import Testing

/// Codebuff, from the chat messages its CLI's types describe (`cli/src/types/chat.ts`): a chat a
/// folder whose chat-messages.json holds every message, rewritten whole as the chat goes. The
/// real sensor sends each version once; the built-in mapping gives each message once with its
/// reasoning and tool calls (their output as result), in its project, and leaves the credits
/// Codebuff counts out of cost, on both stores.
@Suite struct CodebuffEndToEndTests {
    static let chat = "2026-12-05T08-00-00.000Z"
    static let folder = ".config/manicode/projects/ledger/chats/\(chat)"

    static let prompt = #"{"id":"m-1","variant":"user","content":"Why does the ledger test fail?","timestamp":"2026-12-05T08:00:01.000Z"}"#
    static let answer = #"""
        {"id":"m-2","variant":"ai","content":"","timestamp":"2026-12-05T08:00:09.000Z","credits":3,"isComplete":true,"blocks":[
          {"type":"text","content":"Check the rounding first.","textType":"reasoning","status":"complete"},
          {"type":"tool","toolCallId":"tc-1","toolName":"run_terminal_command","input":{"command":"bun test ledger"},"output":"1 fail: expected 10.00, got 9.99"},
          {"type":"text","content":"The total is rounded per line; it should be rounded once.","textType":"text"}]}
        """#.replacingOccurrences(of: "\n", with: "")

    static func document(_ messages: [String]) -> String { "[" + messages.joined(separator: ",") + "]" }

    @Test(arguments: SensorIntoIngestTests.databases)
    func eachMessageOnceWithItsReasoningAndToolCalls(_ kind: String) async throws {
        let scratch = ScratchHome("codebuff")
        defer { scratch.remove() }
        let home = scratch.home, work = scratch.work
        let file = try scratch.writeLines([Self.document([Self.prompt, Self.answer])], to: "\(Self.folder)/chat-messages.json")
        _ = try scratch.writeLines([#"{"sessionState":{}}"#], to: "\(Self.folder)/run-state.json")

        #expect(try await DocumentedToolRun.matchedFiles(source: "codebuff.chats", home: home) == 1)
        let server = try await scratch.server(kind)
        defer { server.stop() }
        #expect(try await DocumentedToolRun.scanTwice(home: home, work: work, into: server, source: "codebuff.chats") == 1)
        // The chat goes on: the whole document written again with two messages more.
        let more = [#"{"id":"m-3","variant":"user","content":"Fix it","timestamp":"2026-12-05T08:01:00.000Z"}"#,
                    #"{"id":"m-4","variant":"ai","content":"Rounded once, after the sum.","timestamp":"2026-12-05T08:01:30.000Z","credits":1}"#]
        try Data(Self.document([Self.prompt, Self.answer] + more).utf8).write(to: file)
        #expect(try await DocumentedToolRun.scanTwice(home: home, work: work, into: server, source: "codebuff.chats") == 2)

        let listed = try await NormalizationEndToEndTests.allSessions(server).filter { $0["tool"] as? String == "codebuff" }
        let session = try #require(listed.first, "\(listed)")
        #expect(listed.count == 1 && session["native_id"] as? String == Self.chat && session["project"] as? String == "ledger", "\(session)")
        #expect(((session["tokens"] as? [String: Any])?["cost"] as? Double ?? 0) == 0, "credits are not dollars: \(session)")
        let detail = try #require(try await NormalizationEndToEndTests.get(server, "/api/v1/sessions/\(session["id"] as! String)") as? [String: Any])
        let messages = try #require(detail["messages"] as? [[String: Any]])
        let texts = messages.filter { $0["kind"] as? String == "text" }.map { $0["text"] as? String ?? "" }
        #expect(texts == ["Why does the ledger test fail?", "The total is rounded per line; it should be rounded once.", "Fix it",
                          "Rounded once, after the sum."], "each message once over two versions: \(messages)")
        #expect(messages.contains { $0["kind"] as? String == "thinking" && $0["text"] as? String == "Check the rounding first." }, "\(messages)")
        let calls = try #require(detail["tool_calls"] as? [[String: Any]])
        #expect(calls.count == 1 && calls.first?["name"] as? String == "run_terminal_command"
                && calls.first?["result"] as? String == "1 fail: expected 10.00, got 9.99", "\(calls)")
        #expect((calls.first?["input"] as? String)?.contains("bun test ledger") == true, "\(calls)")
    }
}
