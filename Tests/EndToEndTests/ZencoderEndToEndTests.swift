import Foundation
import SensorTestSupport
import Testing

/// Zencoder, from its session files as a public reader and its tests find them: a header line,
/// then messages in the AI SDK's block shapes, one file a session in ~/.zencoder/sessions. The
/// real sensor sends each line once; the built-in mapping gives the person's words (not the
/// instructions Zencoder tags onto them), reasoning, answers, calls with results and errors,
/// the model, the working folder named in the system prompt, and a continuation's link to the
/// session it continues, on both stores.
@Suite struct ZencoderEndToEndTests {
    static let session = "b7e0c1d2-4f3a-4b5c-9d6e-7f8091a2b3c4"
    static let continuation = "c8f1d2e3-5a4b-4c6d-8e7f-90a1b2c3d4e5"

    static let lines = [
        #"{"id":"\#(session)","chatId":"chat-1","modelId":"claude-sonnet-4-5","parentId":"","creationReason":"newChat","createdAt":"2026-12-05T09:00:00.000Z","updatedAt":"2026-12-05T09:02:00.000Z","version":"1"}"#,
        #"{"role":"system","content":"You are Zencoder.\n\n# Environment\n\nWorking directory: /home/ana/ledger\n\nOS: linux","createdAt":"2026-12-05T09:00:00.000Z"}"#,
        #"{"role":"user","content":[{"type":"text","text":"Always run the tests.","tag":"instructions"},{"type":"text","text":"Why does the ledger test fail?","tag":"user-input"},{"type":"text","text":"Remember the todo list.","tag":"todo-reminder"}],"createdAt":"2026-12-05T09:00:05.000Z"}"#,
        #"{"role":"assistant","content":[{"type":"reasoning","text":"Check the rounding.","provider":"anthropic","subtype":"thinking"},{"type":"text","text":"Let me run it."},{"type":"tool-call","toolCallId":"tc-1","toolName":"Bash","input":{"command":"bun test ledger"}}],"createdAt":"2026-12-05T09:00:09.000Z"}"#,
        #"{"role":"tool","content":[{"type":"tool-result","toolCallId":"tc-1","toolName":"Bash","content":[{"type":"text","text":"1 fail: expected 10.00, got 9.99"}],"isError":true}],"createdAt":"2026-12-05T09:00:12.000Z"}"#,
        #"{"role":"assistant","content":[{"type":"text","text":"The total is rounded per line; round once after the sum."}],"createdAt":"2026-12-05T09:00:20.000Z"}"#,
        #"{"role":"finish","reason":"endTurn","createdAt":"2026-12-05T09:00:21.000Z"}"#,
    ]
    static let continued = [
        #"{"id":"\#(continuation)","parentId":"\#(session)","creationReason":"summarizedContinuation","modelId":"claude-sonnet-4-5","createdAt":"2026-12-05T10:00:00.000Z","updatedAt":"2026-12-05T10:01:00.000Z"}"#,
        #"{"role":"user","content":[{"type":"text","text":"Continue."}],"createdAt":"2026-12-05T10:00:01.000Z"}"#,
    ]

    @Test(arguments: SensorIntoIngestTests.databases)
    func sessionsGiveTheWordsTypedAnswersCallsAndTheirFolder(_ kind: String) async throws {
        let scratch = ScratchHome("zencoder")
        defer { scratch.remove() }
        let home = scratch.home, work = scratch.work
        try scratch.writeLines(Self.lines, to: ".zencoder/sessions/\(Self.session).jsonl")
        try scratch.writeLines(Self.continued, to: ".zencoder/sessions/\(Self.continuation).jsonl")

        #expect(try await DocumentedToolRun.matchedFiles(source: "zencoder.sessions", home: home) == 2)
        let server = try await scratch.server(kind)
        defer { server.stop() }
        #expect(try await DocumentedToolRun.scanTwice(home: home, work: work, into: server, source: "zencoder.sessions")
                == Self.lines.count + Self.continued.count)

        let listed = try await NormalizationEndToEndTests.allSessions(server).filter { $0["tool"] as? String == "zencoder" }
        #expect(listed.count == 2, "\(listed)")
        let session = try #require(listed.first { $0["native_id"] as? String == Self.session }, "\(listed)")
        #expect(session["project"] as? String == "/home/ana/ledger", "\(session)")
        #expect(session["model"] as? String == "claude-sonnet-4-5", "\(session)")
        let detail = try #require(try await NormalizationEndToEndTests.get(server, "/api/v1/sessions/\(session["id"] as! String)") as? [String: Any])
        let messages = try #require(detail["messages"] as? [[String: Any]])
        let texts = messages.filter { $0["kind"] as? String == "text" }.map { $0["text"] as? String ?? "" }
        #expect(texts == ["Why does the ledger test fail?", "Let me run it.", "The total is rounded per line; round once after the sum."],
                "the words typed, not Zencoder's instructions or its system prompt: \(messages)")
        #expect(messages.filter { $0["kind"] as? String == "thinking" }.map { $0["text"] as? String } == ["Check the rounding."], "\(messages)")
        #expect(messages.first { $0["text"] as? String == "Let me run it." }?["model"] as? String == "claude-sonnet-4-5", "the header's model: \(messages)")
        let calls = try #require(detail["tool_calls"] as? [[String: Any]])
        #expect(calls.count == 1 && calls.first?["name"] as? String == "Bash" && calls.first?["result"] as? String == "1 fail: expected 10.00, got 9.99"
                && calls.first?["is_error"] as? Bool == true, "\(calls)")
        #expect((calls.first?["input"] as? String)?.contains("bun test ledger") == true, "\(calls)")
        let next = try #require(listed.first { $0["native_id"] as? String == Self.continuation })
        let children = try #require(detail["children"] as? [[String: Any]], "\(detail.keys)")
        #expect(children.map { $0["id"] as? String } == [next["id"] as? String], "the continuation linked to the session it continues")
        // Every record understood: the header, the system prompt and the end of a turn too.
        let drift = try #require(try await NormalizationEndToEndTests.get(server, "/api/v1/drift") as? [String: Any])
        let zencoderDrift = (drift["drift"] as? [[String: Any]] ?? []).filter { $0["tool"] as? String == "zencoder" }
        #expect(zencoderDrift.isEmpty, "\(zencoderDrift)")
    }
}
