import Foundation
import SensorTestSupport
import Testing

/// Positron keeps VS Code's chat sessions in its own user folder: a patch log and a legacy
/// document, planted there, become Positron's sessions through Copilot Chat's normalisers
/// (one `read_as` line), with their prompts, answers, calls, titles and tokens, and none of them
/// is counted as VS Code's; on both stores.
@Suite struct PositronEndToEndTests {
    static let log = [
        #"{"kind":0,"v":{"version":3,"sessionId":"p-log","creationDate":1763727100000,"requests":[]}}"#,
        #"{"kind":2,"k":["requests"],"v":[{"requestId":"request_1","message":{"text":"plot the residuals"},"modelId":"copilot/gpt-4.1","timestamp":1763727200000,"response":[]}]}"#,
        #"{"kind":2,"k":["requests",0,"response"],"v":[{"value":"Here is a residual "},{"value":"plot."},{"kind":"toolInvocationSerialized","toolId":"positron_runCode","toolCallId":"tc1","invocationMessage":{"value":"Running plot(fit)"}}]}"#,
        #"{"kind":1,"k":["requests",0,"result"],"v":{"metadata":{"promptTokens":1500,"outputTokens":60,"resolvedModel":"gpt-4.1-2025-04-14"}}}"#,
        #"{"kind":1,"k":["customTitle"],"v":"Residuals"}"#,
    ]
    static let document = #"{"version":3,"sessionId":"p-doc","creationDate":1763727100000,"lastMessageDate":1763727400000,"requests":[{"requestId":"request_a","message":{"text":"explain lm()"},"modelId":"copilot/claude-sonnet-4","timestamp":1763727200000,"response":[{"value":"It fits a linear model."}],"result":{"metadata":{"promptTokens":800,"outputTokens":25,"resolvedModel":"claude-sonnet-4"}}}]}"#

    @Test(arguments: SensorIntoIngestTests.databases)
    func vsCodeChatSessionsInPositronsFolderArePositrons(_ kind: String) async throws {
        let scratch = ScratchHome("positron")
        defer { scratch.remove() }
        let sessions = try scratch.folder(".config/Positron/User/workspaceStorage/a1b2/chatSessions")
        try scratch.writeLines(Self.log, to: ".config/Positron/User/workspaceStorage/a1b2/chatSessions/p-log.jsonl")
        try Self.document.write(to: sessions.appendingPathComponent("p-doc.json"), atomically: true, encoding: .utf8)

        #expect(try await DocumentedToolRun.matchedFiles(source: "positron.session-logs", home: scratch.home) == 1)
        #expect(try await DocumentedToolRun.matchedFiles(source: "positron.session-documents", home: scratch.home) == 1)
        let server = try await scratch.server(kind)
        defer { server.stop() }
        #expect(try await DocumentedToolRun.scanTwice(home: scratch.home, work: scratch.work, into: server, source: "positron.session-logs") == 5)

        let all = try await NormalizationEndToEndTests.allSessions(server)
        #expect(!all.contains { $0["tool"] as? String == "vscode-copilot" }, "read as Copilot Chat's, named Positron's")
        let listed = all.filter { $0["tool"] as? String == "positron" }
        let log = try #require(listed.first { $0["native_id"] as? String == "p-log" }, "\(listed)")
        #expect(log["title"] as? String == "Residuals" && log["messages"] as? Int == 2 && log["tool_calls"] as? Int == 1, "\(log)")
        #expect((log["tokens"] as? [String: Any])?["input"] as? Int == 1500 && log["models"] as? [String] == ["gpt-4.1-2025-04-14"], "\(log)")
        let document = try #require(listed.first { $0["native_id"] as? String == "p-doc" }, "\(listed)")
        #expect((document["tokens"] as? [String: Any])?["total"] as? Int == 825, "\(document)")
        let detail = try #require(try await NormalizationEndToEndTests.get(server, "/api/v1/sessions/\(log["id"] as! String)") as? [String: Any])
        let texts = (detail["messages"] as? [[String: Any]] ?? []).map { $0["text"] as? String ?? "" }
        #expect(texts == ["plot the residuals", "Here is a residual plot."], "\(texts)")
    }
}
