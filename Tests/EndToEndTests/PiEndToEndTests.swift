import Foundation
import SensorTestSupport
import Testing

/// Pi (pi-coding-agent), built from its documented session format (pi-mono's
/// packages/coding-agent/docs/session.md): the built-in declaration finds the files, the real
/// sensor delivers every line once, and the built-in mapping gives the sessions, messages,
/// tool calls, tokens and cost counted here from the lines themselves, on both stores.
@Suite struct PiEndToEndTests {
    struct Usage {
        var input, output, cacheRead, cacheWrite: Int
        var cost: Double
        var json: String {
            #"{"input":\#(input),"output":\#(output),"cacheRead":\#(cacheRead),"cacheWrite":\#(cacheWrite),"totalTokens":\#(input + output + cacheRead + cacheWrite),"cost":{"input":0,"output":0,"cacheRead":0,"cacheWrite":0,"total":\#(cost)}}"#
        }
    }

    /// A session file: its lines, and what the test counts from them.
    struct SessionFile {
        var path: String
        var id: String
        var cwd: String
        var lines: [String] = []
        var messages = 0
        var toolCalls = 0
        var usage: [Usage] = []
        var last = "0"
        var n = 0

        init(path: String, id: String, cwd: String, parent: String? = nil) {
            self.path = path
            self.id = id
            self.cwd = cwd
            let fork = parent.map { #","parentSession":"\#($0)""# } ?? ""
            lines.append(#"{"type":"session","version":3,"id":"\#(id)","timestamp":"2026-12-01T09:00:00.000Z","cwd":"\#(cwd)"\#(fork)}"#)
        }

        mutating func entry(_ type: String, _ body: String) {
            n += 1
            let id = String(format: "%08x", n * 7919)
            lines.append(#"{"type":"\#(type)","id":"\#(id)","parentId":\#(n == 1 ? "null" : "\"\(last)\""),"timestamp":"2026-12-01T09:00:\#(String(format: "%02d", n)).000Z"\#(body)}"#)
            last = id
        }

        mutating func user(_ content: String) {
            entry("message", #","message":{"role":"user","content":\#(content),"timestamp":1796115600000}"#)
            messages += 1
        }

        mutating func assistant(_ blocks: [String], calls: Int = 0, usage: Usage) {
            entry("message", #","message":{"role":"assistant","content":[\#(blocks.joined(separator: ","))],"api":"anthropic-messages","provider":"anthropic","model":"claude-sonnet-4-5","usage":\#(usage.json),"stopReason":"\#(calls > 0 ? "toolUse" : "stop")","timestamp":1796115601000}"#)
            messages += 1
            toolCalls += calls
            self.usage.append(usage)
        }

        mutating func toolResult(_ callID: String, name: String, text: String, error: Bool = false) {
            entry("message", #","message":{"role":"toolResult","toolCallId":"\#(callID)","toolName":"\#(name)","content":[{"type":"text","text":"\#(text)"}],"isError":\#(error),"timestamp":1796115602000}"#)
            messages += 1
        }
    }

    static func toolCall(_ id: String, _ name: String, _ arguments: String) -> String {
        #"{"type":"toolCall","id":"\#(id)","name":"\#(name)","arguments":\#(arguments)}"#
    }

    /// Pi's three kinds of session file under `sessions` (Pi's own folder, or a fork's).
    static func plant(in home: URL, sessions: String = ".pi/agent/sessions") throws -> [SessionFile] {
        var first = SessionFile(path: "\(sessions)/--home-me-app--/2026-12-01T09-00-00-000Z_7d4b7c1e-8f0a-4a47-9d3e-1b2c3d4e5f60.jsonl",
                                id: "7d4b7c1e-8f0a-4a47-9d3e-1b2c3d4e5f60", cwd: "/home/me/app")
        first.entry("session_info", #","name":"Fix the flaky login test""#)
        first.user(#""Why does test_login fail on CI?""#)
        first.assistant([#"{"type":"thinking","thinking":"Check the test first."}"#, #"{"type":"text","text":"Let me look."}"#,
                         toolCall("call_1", "read", #"{"path":"tests/test_login.py"}"#)],
                        calls: 1, usage: Usage(input: 1200, output: 80, cacheRead: 5000, cacheWrite: 300, cost: 0.01245))
        first.toolResult("call_1", name: "read", text: "def test_login(): ...")
        first.entry("model_change", #","provider":"openai","modelId":"gpt-5""#)
        first.assistant([#"{"type":"text","text":"The test sleeps for a fixed time; it should wait for the page."}"#],
                        usage: Usage(input: 40, output: 220, cacheRead: 6500, cacheWrite: 0, cost: 0.00537))
        first.entry("message", #","message":{"role":"bashExecution","command":"pytest -q","output":"1 failed","exitCode":1,"cancelled":false,"truncated":false,"timestamp":1796115603000}"#)
        first.toolCalls += 1
        first.entry("compaction", #","summary":"Looked at test_login.","firstKeptEntryId":"00001eef","tokensBefore":7000"#)
        first.messages += 1
        first.entry("thinking_level_change", #","thinkingLevel":"high""#)

        var fork = SessionFile(path: "\(sessions)/--home-me-other--/2026-12-02T10-00-00-000Z_0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d.jsonl",
                               id: "0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d", cwd: "/home/me/other", parent: first.path)
        fork.user(#"[{"type":"text","text":"Now run the suite twice"},{"type":"image","data":"iVBORw0KGgo=","mimeType":"image/png"}]"#)
        fork.assistant([toolCall("call_a", "bash", #"{"command":"pytest"}"#), toolCall("call_b", "bash", #"{"command":"pytest -x"}"#)],
                       calls: 2, usage: Usage(input: 900, output: 60, cacheRead: 0, cacheWrite: 2000, cost: 0.0111))
        fork.toolResult("call_a", name: "bash", text: "ok")
        fork.toolResult("call_b", name: "bash", text: "Error: exit 1", error: true)

        var worker = SessionFile(path: "\(sessions)/--home-me-app--/subagent-artifacts/5f316403_worker.jsonl",
                                 id: "5f316403-aaaa-4bbb-8ccc-dddddddddddd", cwd: "/home/me/app")
        worker.user(#""List the slow tests""#)
        worker.assistant([#"{"type":"text","text":"test_login and test_export."}"#],
                         usage: Usage(input: 300, output: 12, cacheRead: 0, cacheWrite: 0, cost: 0.00108))

        for file in [first, fork, worker] {
            let url = home.appendingPathComponent(file.path)
            try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try (file.lines.joined(separator: "\n") + "\n").write(to: url, atomically: true, encoding: .utf8)
        }
        return [first, fork, worker]
    }

    @Test(arguments: SensorIntoIngestTests.databases)
    func piSessionsArriveWithTheirMessagesCallsTokensAndCost(_ kind: String) async throws {
        let scratch = ScratchHome("pi")
        defer { scratch.remove() }
        let home = scratch.home
        let files = try Self.plant(in: home)
        let work = scratch.work

        // The built-in declaration finds every file.
        #expect(try await DocumentedToolRun.matchedFiles(source: "pi.sessions", home: home) == files.count)

        let server = try await scratch.server(kind)
        defer { server.stop() }
        // Every line stored once, however often it is scanned.
        let stored = try await DocumentedToolRun.scanTwice(home: home, work: work, into: server, source: "pi.sessions")
        #expect(stored == files.map(\.lines.count).reduce(0, +))

        let listed = try await NormalizationEndToEndTests.allSessions(server).filter { $0["tool"] as? String == "pi" }
        #expect(listed.count == files.count)
        for file in files {
            let session = try #require(listed.first { $0["native_id"] as? String == file.id }, "\(file.id)")
            #expect(session["project"] as? String == file.cwd)
            #expect(session["messages"] as? Int == file.messages, "\(file.id)")
            #expect(session["tool_calls"] as? Int == file.toolCalls, "\(file.id)")
            let tokens = try #require(session["tokens"] as? [String: Any])
            #expect(tokens["input"] as? Int == file.usage.map(\.input).reduce(0, +))
            #expect(tokens["output"] as? Int == file.usage.map(\.output).reduce(0, +))
            #expect(tokens["cache_read"] as? Int == file.usage.map(\.cacheRead).reduce(0, +))
            #expect(tokens["cache_write"] as? Int == file.usage.map(\.cacheWrite).reduce(0, +))
            #expect(tokens["responses"] as? Int == file.usage.count)
            let cost = try #require(tokens["cost"] as? Double)
            #expect(abs(cost - file.usage.map(\.cost).reduce(0, +)) < 1e-9, "the cost Pi recorded")
            #expect(tokens["cost_source"] as? String == "recorded")
        }
        let first = try #require(listed.first { $0["native_id"] as? String == files[0].id })
        #expect(first["title"] as? String == "Fix the flaky login test")
        #expect(first["models"] as? [String] == ["claude-sonnet-4-5"])

        // The conversation: roles in order, the calls with their results and errors.
        let detail = try #require(try await NormalizationEndToEndTests.get(server, "/api/v1/sessions/\(first["id"] as! String)") as? [String: Any])
        let messages = try #require(detail["messages"] as? [[String: Any]])
        #expect(messages.map { $0["role"] as? String ?? "" } == ["user", "assistant", "tool", "assistant", "system"])
        #expect(messages.last?["kind"] as? String == "compaction")
        let calls = try #require(detail["tool_calls"] as? [[String: Any]])
        #expect(calls.first { $0["name"] as? String == "read" }?["result"] as? String == "def test_login(): ...")
        let shell = try #require(calls.first { $0["name"] as? String == "bash" })
        #expect(shell["input"] as? String == "pytest -q" && shell["is_error"] as? Bool == true)
        let forked = try #require(listed.first { $0["native_id"] as? String == files[1].id })
        let forkCalls = try #require((try await NormalizationEndToEndTests.get(server, "/api/v1/sessions/\(forked["id"] as! String)") as? [String: Any])?["tool_calls"] as? [[String: Any]])
        #expect(forkCalls.map { $0["is_error"] as? Bool ?? false }.sorted { !$0 && $1 } == [false, true])
        // Nothing the mapping does not understand.
        let drift = try #require(try await NormalizationEndToEndTests.get(server, "/api/v1/drift") as? [String: Any])
        let piDrift = (drift["drift"] as? [[String: Any]] ?? []).filter { $0["tool"] as? String == "pi" }
        #expect(piDrift.isEmpty, "\(piDrift)")
    }
}
