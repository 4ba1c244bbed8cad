import Foundation
import SensorTestSupport
import Testing

/// Kiro's IDE sessions (its v2 store), from the events its readers document: a folder a session
/// with an appended event log and a rewritten session.json. The real sensor sends each event
/// once; the built-in mapping gives the prompts, the answers and their reasoning, the calls with
/// their results and failures, the title, model and workspace folder, and understands the turn
/// bookkeeping and credit summaries without counting them, on both stores.
@Suite struct KiroIDEEndToEndTests {
    static let folder = ".kiro/sessions/5f2a9c/sess_7d1e"

    static func event(_ id: String, _ second: Int, _ payload: String) -> String {
        #"{"id":"\#(id)","timestamp":"2026-12-05T09:00:\#(String(format: "%02d", second)).000Z","payload":\#(payload)}"#
    }

    static let first = [
        event("start", 0, #"{"type":"session_start","agentType":"vibe"}"#),
        event("e1-u", 1, #"{"type":"user","content":"Add retries to the uploader","images":[],"documents":[]}"#),
        event("e1-ts", 1, #"{"type":"turn_start","executionId":"e1"}"#),
        event("e1-r", 2, #"{"type":"assistant","operationType":"Reasoning","content":"Find the upload loop.","executionId":"e1"}"#),
        event("e1-tc", 3, #"{"type":"tool_call","toolName":"readFile","toolCallId":"tc-1","input":{"path":"upload.ts"},"executionId":"e1"}"#),
        event("e1-tr", 4, #"{"type":"tool_result","toolCallId":"tc-1","content":"for (;;) { send() }","success":true,"executionId":"e1"}"#),
        event("e1-a", 5, #"{"type":"assistant","operationType":"Say","content":"Added exponential backoff.","executionId":"e1"}"#),
        event("e1-us", 6, #"{"type":"usage_summary","promptTurnSummaries":[{"unit":"credit","unitPlural":"credits","usage":1.5,"usedTools":["readFile"]}],"status":"success","executionId":"e1"}"#),
        event("e1-te", 6, #"{"type":"turn_end","stopReason":"end_turn","executionId":"e1"}"#),
    ]

    static let more = [
        event("e2-u", 10, #"{"type":"user","content":"Run the tests"}"#),
        event("e2-tc", 11, #"{"type":"tool_call","toolName":"executeBash","toolCallId":"tc-2","input":{"command":"npm test"},"executionId":"e2"}"#),
        event("e2-tr", 12, #"{"type":"tool_result","toolCallId":"tc-2","content":"1 failing","success":false,"executionId":"e2"}"#),
    ]

    @Test(arguments: SensorIntoIngestTests.databases)
    func eventsGiveMessagesCallsAndTheSessionsMetadata(_ kind: String) async throws {
        let scratch = ScratchHome("kiro-ide")
        defer { scratch.remove() }
        let home = scratch.home, work = scratch.work
        let log = try scratch.writeLines(Self.first, to: "\(Self.folder)/messages.jsonl")
        try scratch.writeLines([#"{"id":"sess_7d1e","title":"Uploader retries","modelId":"claude-sonnet-4.5","workspacePaths":["/home/me/uploader"],"createdAt":"2026-12-05T09:00:00.000Z","lastModifiedAt":"2026-12-05T09:00:12.000Z"}"#],
                               to: "\(Self.folder)/session.json")

        #expect(try await DocumentedToolRun.matchedFiles(source: "kiro.ide-sessions", home: home) == 1)
        #expect(try await DocumentedToolRun.matchedFiles(source: "kiro.ide-meta", home: home) == 1)
        let server = try await scratch.server(kind)
        defer { server.stop() }
        #expect(try await DocumentedToolRun.scanTwice(home: home, work: work, into: server, source: "kiro.ide-sessions") == 9)
        try DocumentedToolRun.appendLines(Self.more, to: log)
        #expect(try await DocumentedToolRun.scanTwice(home: home, work: work, into: server, source: "kiro.ide-sessions") == 12)

        let listed = try await NormalizationEndToEndTests.allSessions(server).filter { $0["tool"] as? String == "kiro" }
        let session = try #require(listed.first, "\(listed)")
        #expect(listed.count == 1 && session["native_id"] as? String == "sess_7d1e", "\(listed)")
        #expect(session["title"] as? String == "Uploader retries" && session["project"] as? String == "/home/me/uploader", "\(session)")
        #expect((session["tokens"] as? [String: Any])?["cost"] as? Double ?? 0 == 0, "credits are not dollars: \(session)")
        let detail = try #require(try await NormalizationEndToEndTests.get(server, "/api/v1/sessions/\(session["id"] as! String)") as? [String: Any])
        let messages = (detail["messages"] as? [[String: Any]] ?? []).map { "\($0["kind"] as? String ?? ""):\($0["text"] as? String ?? "")" }
        #expect(messages == ["text:Add retries to the uploader", "thinking:Find the upload loop.", "text:Added exponential backoff.", "text:Run the tests"],
                "\(messages)")
        let calls = try #require(detail["tool_calls"] as? [[String: Any]])
        let read = try #require(calls.first { $0["call_id"] as? String == "tc-1" }, "\(calls)")
        let bash = try #require(calls.first { $0["call_id"] as? String == "tc-2" }, "\(calls)")
        #expect(read["name"] as? String == "readFile" && read["result"] as? String == "for (;;) { send() }" && read["is_error"] as? Bool != true, "\(read)")
        #expect(bash["name"] as? String == "executeBash" && bash["result"] as? String == "1 failing" && bash["is_error"] as? Bool == true, "\(bash)")
        let drift = try #require(try await NormalizationEndToEndTests.get(server, "/api/v1/drift") as? [String: Any])
        let kiroDrift = (drift["drift"] as? [[String: Any]] ?? []).filter { $0["tool"] as? String == "kiro" }
        #expect(kiroDrift.isEmpty, "every event understood: \(kiroDrift)")
    }
}
