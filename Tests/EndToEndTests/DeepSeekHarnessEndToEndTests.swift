import Foundation
import SensorTestSupport
import Testing

/// DeepSeek Harness, from its session log as its persistence package and session docs describe
/// it: a header line, then events {type, seq, time, data}, kept as checksummed zstd frames (one
/// for the header, one per write) in `~/.dsh/sessions/--<project>--/<session>/session.jsonl.zstd`.
/// The real sensor reads each whole frame once (a torn one waits); the built-in mapping gives
/// prompts, reasoning, answers, calls with results and errors, usage per step, the title and a
/// sub-agent's link, and leaves the stream's deltas and injected instructions out, on both stores.
@Suite struct DeepSeekHarnessEndToEndTests {
    static let session = "0a4e2f5c-1b7d-4c39-9e2a-7f3d1c5b8e60"
    static let child = "5d9c1e7a-3f2b-4a80-8c1d-2e6f4b9a7c31"
    static let folder = ".dsh/sessions/--home-ana-ledger--"

    static func event(_ seq: Int, _ type: String, _ data: String) -> String {
        #"{"type":"\#(type)","seq":\#(seq),"time":\#(1_765_000_000_000 + seq * 1000),"data":\#(data)}"#
    }

    static let header = #"{"type":"session","version":0,"id":"\#(session)","createdAt":1765000000000,"cwd":"/home/ana/ledger","delegationDepth":0}"#
    static let firstTurn = [
        event(0, "turn/start", #"{"turn":0}"#),
        event(1, "user/message", ##"{"id":"u-0","role":"user","content":[{"type":"text","text":"# AGENTS.md\nUse bun."}],"source":{"kind":"plugin","plugin":"workspace-context","form":"instructions"}}"##),
        event(2, "user/message", #"{"id":"u-1","role":"user","content":[{"type":"text","text":"Why does the ledger test fail?"}],"source":{"kind":"user"}}"#),
        event(3, "step/start", #"{"turn":0,"step":0}"#),
        event(4, "request/context", #"{"provider":"deepseek","model":"deepseek-v4-pro","contextWindow":1000000}"#),
        #"{"type":"reasoning-chunks","seq0":5,"time0":1765000005000,"data":{"turn":0,"step":0,"index":0,"dt":[3,4],"texts":["Check ","the ","rounding."]}}"#,
        event(8, "assistant/message", #"{"turn":0,"step":0,"message":{"id":"a-1","role":"assistant","content":[{"type":"reasoning","text":"Check the rounding."},{"type":"text","text":"Let me run the test."},{"type":"tool-call","id":"call-1","name":"bash","arguments":"{\"command\":\"bun test ledger\"}"}],"source":{"kind":"model","provider":"deepseek","model":"deepseek-v4-pro"}},"usage":{"inputTokens":1200,"outputTokens":80,"cacheReadTokens":3000,"reasoningTokens":20}}"#),
        event(9, "tool/call", #"{"turn":0,"step":0,"callId":"call-1","name":"bash","arguments":"{\"command\":\"bun test ledger\"}"}"#),
        event(10, "tool/result", #"{"turn":0,"step":0,"message":{"id":"r-1","role":"user","content":[{"type":"tool-result","toolCallId":"call-1","content":[{"type":"text","text":"1 fail: expected 10.00, got 9.99"}],"isError":true}],"source":{"kind":"tool","callId":"call-1"}}}"#),
        event(11, "step/end", #"{"turn":0,"step":0}"#),
    ]
    static let secondStep = [
        event(12, "step/start", #"{"turn":0,"step":1}"#),
        event(13, "assistant/message", #"{"turn":0,"step":1,"message":{"id":"a-2","role":"assistant","content":[{"type":"text","text":"The total is rounded per line; round once after the sum."}],"source":{"kind":"model","provider":"deepseek","model":"deepseek-v4-pro"}},"usage":{"inputTokens":300,"outputTokens":40,"cacheReadTokens":4200}}"#),
        event(14, "step/end", #"{"turn":0,"step":1}"#),
        event(15, "session/title", #"{"title":"Ledger rounding","messageSeqs":[2],"source":"provider"}"#),
        event(16, "turn/end", #"{"turn":0,"reason":{"kind":"completed"}}"#),
    ]

    @Test(arguments: SensorIntoIngestTests.databases)
    func eachFrameOnceGivesPromptsAnswersCallsAndUsagePerStep(_ kind: String) async throws {
        let scratch = ScratchHome("deepseek-harness")
        defer { scratch.remove() }
        let home = scratch.home, work = scratch.work
        let log = try scratch.folder("\(Self.folder)/\(Self.session)").appendingPathComponent("session.jsonl.zstd")
        // Written as the harness writes: the header's frame, a frame per write; the last one torn.
        let last = ZstdFrame.of(Self.secondStep)
        try Data(ZstdFrame.of([Self.header]) + ZstdFrame.of(Self.firstTurn) + last[0..<(last.count - 7)]).write(to: log)
        // A sub-agent's session, written plain (a deployment's `compression: none`).
        let childHeader = #"{"type":"session","version":0,"id":"\#(Self.child)","createdAt":1765000020000,"cwd":"/home/ana/ledger","parentSession":"\#(Self.session)","origin":"subagent","delegationDepth":1}"#
        try scratch.writeLines([childHeader, Self.event(0, "user/message", #"{"id":"c-1","role":"user","content":[{"type":"text","text":"Find every rounding call."}],"source":{"kind":"user"}}"#)],
                               to: "\(Self.folder)/\(Self.child)/session.jsonl")

        #expect(try await DocumentedToolRun.matchedFiles(source: "deepseek-harness.sessions", home: home) == 1)
        #expect(try await DocumentedToolRun.matchedFiles(source: "deepseek-harness.plain-sessions", home: home) == 1)
        let server = try await scratch.server(kind)
        defer { server.stop() }
        #expect(try await DocumentedToolRun.scanTwice(home: home, work: work, into: server, source: "deepseek-harness.sessions")
                == 1 + Self.firstTurn.count, "the torn frame waits")
        // The write completes (a repair would truncate and write it whole: the same to a reader).
        let handle = try FileHandle(forWritingTo: log)
        try handle.seekToEnd()
        try handle.write(contentsOf: Data(last[(last.count - 7)...]))
        try handle.close()
        #expect(try await DocumentedToolRun.scanTwice(home: home, work: work, into: server, source: "deepseek-harness.sessions")
                == 1 + Self.firstTurn.count + Self.secondStep.count)

        let listed = try await NormalizationEndToEndTests.allSessions(server).filter { $0["tool"] as? String == "deepseek-harness" }
        let session = try #require(listed.first { $0["native_id"] as? String == Self.session }, "\(listed)")
        #expect(session["project"] as? String == "/home/ana/ledger" && session["title"] as? String == "Ledger rounding", "\(session)")
        let tokens = try #require(session["tokens"] as? [String: Any])
        #expect(tokens["input"] as? Int == 1500 && tokens["output"] as? Int == 120 && tokens["cache_read"] as? Int == 7200, "\(tokens)")
        let detail = try #require(try await NormalizationEndToEndTests.get(server, "/api/v1/sessions/\(session["id"] as! String)") as? [String: Any])
        let messages = try #require(detail["messages"] as? [[String: Any]])
        let texts = messages.filter { $0["kind"] as? String == "text" }.map { $0["text"] as? String ?? "" }
        #expect(texts == ["Why does the ledger test fail?", "Let me run the test.", "The total is rounded per line; round once after the sum."],
                "the prompt and answers once, the injected instructions left out: \(messages)")
        #expect(messages.filter { $0["kind"] as? String == "thinking" }.map { $0["text"] as? String } == ["Check the rounding."], "\(messages)")
        #expect(messages.first { $0["text"] as? String == "Let me run the test." }?["model"] as? String == "deepseek-v4-pro", "\(messages)")
        let calls = try #require(detail["tool_calls"] as? [[String: Any]])
        #expect(calls.count == 1 && calls.first?["name"] as? String == "bash" && calls.first?["result"] as? String == "1 fail: expected 10.00, got 9.99"
                && calls.first?["is_error"] as? Bool == true, "\(calls)")

        let sub = try #require(listed.first { $0["native_id"] as? String == Self.child }, "\(listed)")
        #expect(listed.count == 2, "\(listed)")
        let subDetail = try #require(try await NormalizationEndToEndTests.get(server, "/api/v1/sessions/\(sub["id"] as! String)") as? [String: Any])
        #expect((subDetail["messages"] as? [[String: Any]])?.map { $0["text"] as? String } == ["Find every rounding call."], "\(subDetail)")
        let children = try #require(detail["children"] as? [[String: Any]], "\(detail.keys)")
        #expect(children.map { $0["id"] as? String } == [sub["id"] as? String], "the sub-agent linked to the session it ran in")
    }
}
