import Foundation
import SensorTestSupport
import Testing

/// Command Code, from the lines its reader finds in real files (no schema is published): a
/// session a JSONL file of messages in the AI SDK's block shapes, a `.meta.json` beside it
/// rewritten with the title, and a checkpoints file that is not a transcript. The real sensor
/// sends each line once and the sidecar again when rewritten; the built-in mapping gives the
/// prompts, answers and reasoning, the calls with their results and errors, the title and the
/// working folder, on both stores.
@Suite struct CommandCodeEndToEndTests {
    static let session = "0b1c2d3e-4f50-4a6b-8c7d-9e0f1a2b3c4d"
    static let folder = ".commandcode/projects/home-me-shop"

    static func line(_ role: String, _ second: Int, _ content: String) -> String {
        #"{"sessionId":"\#(session)","role":"\#(role)","content":\#(content),"timestamp":"2026-12-05T12:00:\#(String(format: "%02d", second)).000Z","gitBranch":"main","metadata":{"cwd":"/home/me/shop"}}"#
    }

    static let lines = [
        line("user", 1, #""Why is checkout slow?""#),
        line("assistant", 2, #"[{"type":"reasoning","text":"Profile the cart first."},{"type":"text","text":"Profiling."},{"type":"tool-call","toolCallId":"tc-1","toolName":"bash","input":{"command":"npm run profile"}},{"type":"tool-call","toolCallId":"tc-2","toolName":"read","input":{"path":"cart.ts"}}]"#),
        line("tool", 3, #"[{"type":"tool-result","toolCallId":"tc-1","toolName":"bash","output":{"type":"text","value":"cart: 900 ms"}},{"type":"tool-result","toolCallId":"tc-2","toolName":"read","output":{"type":"error-text","value":"no such file"}}]"#),
        line("assistant", 4, #"[{"type":"text","text":"The cart recomputes prices on every render."}]"#),
    ]

    @Test(arguments: SensorIntoIngestTests.databases)
    func messagesCallsAndTheSidecarsTitle(_ kind: String) async throws {
        let scratch = ScratchHome("command-code")
        defer { scratch.remove() }
        let home = scratch.home, work = scratch.work
        let file = try scratch.writeLines(Array(Self.lines.prefix(2)), to: "\(Self.folder)/\(Self.session).jsonl")
        let meta = try scratch.writeLines([#"{"title":"Checkout","userRenamed":false,"projectPath":"/home/me/shop","cwd":"/home/me/shop"}"#],
                                          to: "\(Self.folder)/\(Self.session).meta.json")
        try scratch.writeLines([#"{"path":"cart.ts","snapshot":"…"}"#], to: "\(Self.folder)/\(Self.session).checkpoints.jsonl")

        #expect(try await DocumentedToolRun.matchedFiles(source: "command-code.sessions", home: home) == 1, "not the checkpoints")
        let server = try await scratch.server(kind)
        defer { server.stop() }
        #expect(try await DocumentedToolRun.scanTwice(home: home, work: work, into: server, source: "command-code.sessions") == 2)
        try DocumentedToolRun.appendLines(Array(Self.lines.dropFirst(2)), to: file)
        try Data(#"{"title":"Slow checkout","userRenamed":true,"projectPath":"/home/me/shop","cwd":"/home/me/shop"}"#.utf8).write(to: meta)
        #expect(try await DocumentedToolRun.scanTwice(home: home, work: work, into: server, source: "command-code.sessions") == 4)
        #expect(try await DocumentedToolRun.stored(source: "command-code.meta", in: server) == 2)

        let listed = try await NormalizationEndToEndTests.allSessions(server).filter { $0["tool"] as? String == "command-code" }
        let session = try #require(listed.first, "\(listed)")
        #expect(listed.count == 1 && session["native_id"] as? String == Self.session)
        #expect(session["title"] as? String == "Slow checkout" && session["project"] as? String == "/home/me/shop", "\(session)")
        #expect(session["git_branch"] as? String == "main" && session["tool_calls"] as? Int == 2, "\(session)")
        let detail = try #require(try await NormalizationEndToEndTests.get(server, "/api/v1/sessions/\(session["id"] as! String)") as? [String: Any])
        let messages = (detail["messages"] as? [[String: Any]] ?? []).map { "\($0["kind"] as? String ?? ""):\($0["text"] as? String ?? "")" }
        #expect(messages == ["text:Why is checkout slow?", "text:Profiling.", "thinking:Profile the cart first.", "text:The cart recomputes prices on every render."],
                "\(messages)")
        let calls = try #require(detail["tool_calls"] as? [[String: Any]])
        let bash = try #require(calls.first { $0["call_id"] as? String == "tc-1" })
        let read = try #require(calls.first { $0["call_id"] as? String == "tc-2" })
        #expect(bash["name"] as? String == "bash" && bash["result"] as? String == "cart: 900 ms" && bash["is_error"] as? Bool != true, "\(bash)")
        #expect(read["result"] as? String == "no such file" && read["is_error"] as? Bool == true, "\(read)")
    }
}
