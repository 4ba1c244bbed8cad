import CZstd
import Foundation
import Access
import Explorer
import IngestCore
import IngestStore
import Normalization
import Testing

/// Tools without public fixtures, normalised from records built in the test as their formats
/// are documented (formats-more.md); every expected figure is counted by hand from the records.
@Suite struct MoreMappingTests {
    /// `order: time` reads the times a mapping gives in the forms tools write them: RFC 3339,
    /// with a space instead of the `T`, or without a zone (read as UTC).
    @Test func timesOrderingASessionAreReadInEveryFormToolsWrite() {
        let utc = MappingNormalizer.instant("2026-12-05T10:00:00.250Z")
        #expect(utc != nil)
        #expect(MappingNormalizer.instant("2026-12-05 10:00:00.250") == utc)
        #expect(MappingNormalizer.instant("2026-12-05T10:00:00.250") == utc)
        #expect(MappingNormalizer.instant("2026-12-05T11:00:00.250+01:00") == utc)
        #expect(MappingNormalizer.instant("2026-12-05T10:00:00Z") == utc.map { $0.addingTimeInterval(-0.25) })
        #expect(MappingNormalizer.instant("not a time") == nil)
    }

    @Test func ampThreadWithAnthropicAndOpenAIUsage() async throws {
        let harness = try await NormalizingHarness()
        let thread = """
            {"id":"T-3f1","created":1767312000000,"title":"Fix the flaky test","env":{"initial":{"trees":[{"displayName":"repo"}]}},
             "messages":[
              {"role":"user","messageId":0,"content":[{"type":"text","text":"why does it flake?"}]},
              {"role":"assistant","messageId":1,"content":[{"type":"thinking","thinking":"look at timers"},{"type":"text","text":"A timer."},
                {"type":"tool_use","id":"toolu_1","name":"Bash","input":{"cmd":"go test"}}],
               "usage":{"model":"claude-sonnet-4-5","timestamp":"2026-01-02T00:00:00Z","inputTokens":12,"outputTokens":340,
                        "cacheCreationInputTokens":2000,"cacheReadInputTokens":30000,"totalTokens":32352,"credits":0.4}},
              {"role":"user","messageId":2,"content":[{"type":"tool_result","toolUseID":"toolu_1","run":{"status":"done","result":"ok 1.2s"}}]},
              {"role":"assistant","messageId":3,"content":[{"type":"text","text":"Fixed."}],
               "usage":{"model":"gpt-5","timestamp":"2026-01-02T00:01:00Z","inputTokens":0,"outputTokens":50,
                        "cacheCreationInputTokens":900,"cacheReadInputTokens":100,"totalTokens":1050}}]}
            """
        try await harness.ingestDocument(thread, path: "~/.local/share/amp/threads/T-3f1.json", source: "amp.threads", kind: "amp.thread")
        try await harness.normalize()
        let session = try #require(try await harness.session("amp", "T-3f1"))
        #expect(session.session.title == "Fix the flaky test")
        #expect(session.session.project == "repo")
        #expect(session.messages.map(\.role) == ["user", "assistant", "tool", "assistant"])
        #expect(session.toolCalls.count == 1)
        #expect(session.toolCalls.first?.result == "ok 1.2s")
        // Claude: 12 + 340 + 2000 + 30000; GPT: the 900 "cache creation" is its uncached prompt.
        #expect(session.session.tokens.input == 12 + 900)
        #expect(session.session.tokens.cacheWrite == 2000)
        #expect(session.session.tokens.cacheRead == 30100)
        #expect(session.session.tokens.total == 32352 + 1050)
        #expect(try await harness.reader.drift().isEmpty)
    }

    @Test func clineTaskFromItsUIMessages() async throws {
        let harness = try await NormalizingHarness()
        func messages(_ extra: String) -> String {
            """
            [{"ts":1733000000000,"type":"say","say":"task","text":"add a health check"},
             {"ts":1733000001000,"type":"say","say":"api_req_started","text":"{\\"request\\":\\"…\\",\\"tokensIn\\":12,\\"tokensOut\\":345,\\"cacheWrites\\":1024,\\"cacheReads\\":20480,\\"cost\\":0.0123}"},
             {"ts":1733000002000,"type":"say","say":"text","text":"I'll add /healthz."},
             {"ts":1733000003000,"type":"ask","ask":"tool","text":"{\\"tool\\":\\"editedExistingFile\\",\\"path\\":\\"main.go\\"}"}\(extra)]
            """
        }
        let path = "~/.config/Code/User/globalStorage/saoudrizwan.claude-dev/tasks/1733000000000/ui_messages.json"
        // Saved while the reply streams (partial), then whole: the same task again.
        try await harness.ingestDocument(messages(#",{"ts":1733000004000,"type":"say","say":"text","text":"Do","partial":true}"#),
                                         path: path, source: "cline.ui-messages", kind: "cline.ui-messages")
        try await harness.ingestDocument(messages(#",{"ts":1733000004000,"type":"say","say":"text","text":"Done."}"#),
                                         path: path, source: "cline.ui-messages", kind: "cline.ui-messages")
        try await harness.normalize()
        let task = try #require(try await harness.session("cline", "1733000000000"))
        #expect(task.messages.map(\.text) == ["add a health check", "I'll add /healthz.", "Done."])
        #expect(task.toolCalls.map(\.name) == ["editedExistingFile"])
        #expect(task.session.tokens.input == 12)
        #expect(task.session.tokens.total == 12 + 345 + 1024 + 20480)
        #expect(task.session.tokens.cost == 0.0123)
        #expect(try await harness.reader.drift().isEmpty)
    }

    @Test func gooseSessionsWithRunningTotalsAndReinsertedMessages() async throws {
        let harness = try await NormalizingHarness()
        let db = "~/.local/share/goose/sessions/sessions.db"
        for (cursor, input, output) in [(1, 1000, 100), (1, 1600, 260)] {
            try await harness.ingestRow("""
                {"id":"20260601_1","name":"release notes","working_dir":"/home/me/app","created_at":"2026-06-01 10:00:00",\
                "updated_at":"2026-06-01 10:05:00","accumulated_input_tokens":\(input),"accumulated_output_tokens":\(output)}
                """, encodings: "{}", path: db, cursor: cursor, source: "goose.sessions", kind: "goose.session")
        }
        // The conversation replaced: the same messages inserted again with new row ids.
        for (cursor, id) in [(1, 1), (2, 2), (3, 7), (4, 8)] {
            let user = id % 2 == 1
            let content = user ? #"[{"type":"text","text":"write release notes"}]"#
                               : #"[{"type":"text","text":"Here they are."},{"type":"toolRequest","id":"tr1","toolCall":{"status":"success","value":{"name":"shell","arguments":{"command":"git log"}}}}]"#
            try await harness.ingestRow("""
                {"id":\(id),"session_id":"20260601_1","role":"\(user ? "user" : "assistant")","content_json":\(content),\
                "created_timestamp":\(user ? 1780308000 : 1780308005)}
                """, encodings: #"{"content_json":"json"}"#, path: db, cursor: cursor, source: "goose.messages", kind: "goose.message")
        }
        try await harness.normalize()
        let session = try #require(try await harness.session("goose", "20260601_1"))
        #expect(session.session.project == "/home/me/app")
        #expect(session.messages.map(\.role) == ["user", "assistant"])
        #expect(session.toolCalls.map(\.name) == ["shell"])
        // Two saves of the running totals: 1100, then 660 more.
        #expect(session.usage.count == 2)
        #expect(session.session.tokens.input == 1600)
        #expect(session.session.tokens.output == 260)
    }

    @Test func crushRootSessionsCarryTheUsage() async throws {
        let harness = try await NormalizingHarness()
        let db = "~/code/app/.crush/crush.db"
        try await harness.ingestRow("""
            {"id":"root","parent_session_id":null,"title":"Add auth","prompt_tokens":5000,"completion_tokens":700,"cost":0.031,\
            "created_at":1780308000,"updated_at":1780308100}
            """, encodings: "{}", path: db, cursor: 1780308100, source: "crush.sessions", kind: "crush.session")
        try await harness.ingestRow("""
            {"id":"child","parent_session_id":"root","title":"sub task","prompt_tokens":800,"completion_tokens":90,"cost":0.004,\
            "created_at":1780308010,"updated_at":1780308050}
            """, encodings: "{}", path: db, cursor: 1780308050, source: "crush.sessions", kind: "crush.session")
        let parts = #"[{"type":"text","data":{"text":"Adding middleware."}},{"type":"tool_call","data":{"id":"c1","name":"edit","input":"{\"file\":\"auth.go\"}"}}]"#
        try await harness.ingestRow("""
            {"id":"m1","session_id":"root","role":"assistant","parts":\(NormalizingHarness.quoted(parts)),"model":"claude-sonnet-4",\
            "created_at":1780308020,"updated_at":1780308030}
            """, encodings: "{}", path: db, cursor: 1780308030, source: "crush.messages", kind: "crush.message")
        try await harness.normalize()
        let root = try #require(try await harness.session("crush", "root"))
        #expect(root.messages.map(\.text) == ["Adding middleware."])
        #expect(root.toolCalls.map(\.name) == ["edit"])
        #expect(root.session.tokens.total == 5700)
        #expect(root.session.tokens.cost == 0.031)
        #expect(root.session.startedAt == "2026-06-01T10:00:00.000Z")
        let child = try #require(try await harness.session("crush", "child"))
        // Rolled into its root's: not counted twice.
        #expect(child.session.tokens.total == 0)
        #expect(child.session.parentId == root.session.id)
    }

    @Test func zedThreadsDecodedFromZstdRows() async throws {
        let harness = try await NormalizingHarness()
        let thread = """
            {"title":"Fix flaky test","version":"0.3.0","model":{"provider":"zed.dev","model":"claude-sonnet-4"},
             "cumulative_token_usage":{"input_tokens":1200,"output_tokens":400,"cache_creation_input_tokens":90,"cache_read_input_tokens":8000},
             "messages":[{"User":{"id":"u1","content":[{"Text":"why is it flaky?"}]}},
                         {"Agent":{"content":[{"Thinking":{"text":"timers"}},{"Text":"A race."},{"ToolUse":{"id":"t1","name":"grep","input":{"q":"sleep"}}}],
                                   "tool_results":{"t1":{"tool_use_id":"t1","tool_name":"grep","is_error":false,"content":{"Text":"a.rs:3"}}}}}]}
            """
        let compressed = Self.zstd(Array(thread.utf8))
        try await harness.ingestRow("""
            {"id":"th-1","summary":"Fix flaky test","updated_at":"2026-06-01T10:00:00Z","data_type":"zstd","data":"\(Data(compressed).base64EncodedString())"}
            """, encodings: #"{"data":"base64"}"#, path: "~/.local/share/zed/threads/threads.db", cursor: 0, source: "zed.threads", kind: "zed.thread")
        try await harness.normalize()
        let session = try #require(try await harness.session("zed", "th-1"))
        #expect(session.messages.map(\.text) == ["why is it flaky?", "A race."])
        #expect(session.toolCalls.first?.result == "a.rs:3")
        #expect(session.session.tokens.total == 1200 + 400 + 90 + 8000)
        #expect(session.session.models == ["claude-sonnet-4"])
    }

    @Test func openCodeDatabaseRowsAndLegacyFiles() async throws {
        let harness = try await NormalizingHarness()
        let db = "~/.local/share/opencode/opencode.db"
        try await harness.ingestRow(#"{"id":"ses_1","project_id":"p","parent_id":null,"directory":"/home/me/api","title":"Pagination","version":"1.3.2","time_created":1780308000000,"time_updated":1780308090000}"#,
                                    encodings: "{}", path: db, cursor: 1780308090000, source: "opencode.sessions", kind: "opencode.session")
        try await harness.ingestRow(#"{"id":"msg_1","session_id":"ses_1","time_created":1780308001000,"data":{"role":"user","time":{"created":1780308001000}}}"#,
                                    encodings: #"{"data":"json"}"#, path: db, cursor: 1, source: "opencode.messages", kind: "opencode.message")
        try await harness.ingestRow(#"{"id":"msg_2","session_id":"ses_1","time_created":1780308002000,"data":{"role":"assistant","modelID":"claude-sonnet-4.6","providerID":"anthropic","cost":0.02,"time":{"created":1780308002000},"tokens":{"input":300,"output":40,"reasoning":10,"cache":{"read":5000,"write":100}}}}"#,
                                    encodings: #"{"data":"json"}"#, path: db, cursor: 2, source: "opencode.messages", kind: "opencode.message")
        // Parts: each names its message; the query joined the message's role in.
        for (id, message, role, data) in [("prt_1", "msg_1", "user", #"{"type":"text","text":"paginate /users"}"#),
                                          ("prt_2", "msg_2", "assistant", #"{"type":"text","text":"Added cursor pagination."}"#),
                                          ("prt_3", "msg_2", "assistant", #"{"type":"tool","callID":"call_1","tool":"bash","state":{"status":"completed","input":{"command":"go test"},"output":"ok"}}"#)] {
            try await harness.ingestRow(#"{"id":"\#(id)","message_id":"\#(message)","session_id":"ses_1","role":"\#(role)","data":\#(data)}"#,
                                        encodings: #"{"data":"json"}"#, path: db, cursor: 3, source: "opencode.parts", kind: "opencode.part")
        }
        // Before 1.2: the fixture's JSON files (tokscale's message with tokens).
        let legacy = try String(contentsOf: NormalizingHarness.fixture(
            "opencode/home-layout/.local/share/opencode/storage/message/test-project/msg_test001.json"), encoding: .utf8)
        try await harness.ingestDocument(legacy, path: "~/.local/share/opencode/storage/message/test-project/msg_test001.json",
                                         source: "opencode.message-files", kind: "opencode.message")
        try await harness.normalize()
        let session = try #require(try await harness.session("opencode", "ses_1"))
        #expect(session.session.title == "Pagination")
        #expect(session.messages.map(\.role) == ["user", "assistant"])
        #expect(session.messages.map(\.text) == ["paginate /users", "Added cursor pagination."])
        #expect(session.toolCalls.first?.result == "ok")
        // Reasoning is apart from output in OpenCode: 40 + 10.
        #expect(session.session.tokens.output == 50)
        #expect(session.session.tokens.total == 300 + 50 + 5000 + 100)
        let legacySession = try #require(try await harness.session("opencode", "ses_test001"))
        #expect(legacySession.session.tokens.total == 1000 + 500 + 200 + 100)
        #expect(legacySession.session.models == ["claude-3-5-sonnet-20241022"])
    }

    @Test func aiderRunsFromAMarkdownHistory() async throws {
        let harness = try await NormalizingHarness()
        try await harness.ingestLines("""
            # aider chat started at 2026-06-09 14:01:00
            #### add a retry to the webhook
            I'll add exponential backoff
            to the sender.
            > Applied edit to src/webhook.py
            > Tokens: 2.3k sent, 1.1k cache write, 150 received. Cost: $0.01 message, $0.05 session.
            # aider chat started at 2026-06-10 09:00:00
            #### and a test
            Done.
            """, path: "~/code/hooks/.aider.chat.history.md", source: "aider.chat-history", kind: "aider.chat-history")
        try await harness.normalize()
        let runs = try await harness.sessions("aider").sorted { ($0.startedAt ?? "") < ($1.startedAt ?? "") }
        #expect(runs.count == 2)
        #expect(runs.first?.startedAt == "2026-06-09T14:01:00Z")
        #expect(runs.first?.project == "~/code/hooks")
        let first = try #require(try await harness.reader.session(id: runs[0].id))
        #expect(first.messages.map(\.text) == ["add a retry to the webhook", "I'll add exponential backoff\nto the sender."])
        #expect(first.fileChanges.map(\.path) == ["src/webhook.py"])
        // 2.3k sent of which 1.1k written to the cache; 150 received.
        #expect(first.session.tokens.input == 1200)
        #expect(first.session.tokens.cacheWrite == 1100)
        #expect(first.session.tokens.output == 150)
        #expect(first.session.tokens.cost == 0.01)
        #expect(runs[1].messages == 2)
    }

    @Test func rooCodeAndKiloCodeShareClinesMappingUnderTheirOwnNames() async throws {
        let harness = try await NormalizingHarness()
        let task = #"[{"ts":1733000000000,"type":"say","say":"task","text":"rename the flag"},{"ts":1733000001000,"type":"say","say":"api_req_started","text":"{\"tokensIn\":20,\"tokensOut\":30}"}]"#
        for (tool, folder) in [("roo-code", "rooveterinaryinc.roo-cline"), ("kilo-code", "kilocode.kilo-code")] {
            try await harness.ingestDocument(task, path: "~/.config/Code/User/globalStorage/\(folder)/tasks/t-\(tool)/ui_messages.json",
                                             source: "\(tool).ui-messages", kind: "\(tool).ui-messages")
        }
        try await harness.normalize()
        for tool in ["roo-code", "kilo-code"] {
            let session = try #require(try await harness.session(tool, "t-\(tool)"))
            #expect(session.session.tool == tool)
            #expect(session.messages.map(\.text) == ["rename the flag"])
            #expect(session.session.tokens.total == 50)
        }
    }

    @Test func continueSessionsAndKiroCLISessions() async throws {
        let harness = try await NormalizingHarness()
        try await harness.ingestDocument("""
            {"sessionId":"c-1","title":"Explain the cache","workspaceDirectory":"/home/me/app","history":[
              {"message":{"role":"user","content":"how does the cache expire?"},"contextItems":[]},
              {"message":{"role":"assistant","content":"By TTL.","toolCalls":[{"id":"tc1","type":"function","function":{"name":"read_file","arguments":"{\\"path\\":\\"cache.go\\"}"}}]},"contextItems":[]},
              {"message":{"role":"tool","content":"package cache","toolCallId":"tc1"},"contextItems":[]}]}
            """, path: "~/.continue/sessions/c-1.json", source: "continue.sessions", kind: "continue.session")
        try await harness.ingestLines("""
            {"version":"1","kind":"Prompt","data":{"message_id":"p1","content":"list the tests"}}
            {"version":"1","kind":"AssistantMessage","data":{"message_id":"a1","content":"Running them.","tool_uses":[{"id":"t1","name":"execute_bash","args":{"command":"go test ./..."}}]}}
            {"version":"1","kind":"ToolResults","data":{"results":[{"tool_use_id":"t1","content":"ok","status":"success"}]}}
            """, path: "~/.kiro/sessions/cli/k-1.jsonl", source: "kiro.cli-sessions", kind: "kiro.cli-session")
        try await harness.ingestDocument(#"{"session_id":"k-1","cwd":"/home/me/svc","title":"Tests","created_at":"2026-12-01T09:00:00Z","updated_at":"2026-12-01T09:10:00Z"}"#,
                                         path: "~/.kiro/sessions/cli/k-1.json", source: "kiro.cli-meta", kind: "kiro.cli-meta")
        try await harness.normalize()
        let continued = try #require(try await harness.session("continue", "c-1"))
        #expect(continued.session.title == "Explain the cache")
        #expect(continued.session.project == "/home/me/app")
        #expect(continued.messages.map(\.role) == ["user", "assistant", "tool"])
        #expect(continued.toolCalls.first?.name == "read_file")
        #expect(continued.toolCalls.first?.result == "package cache")
        let kiro = try #require(try await harness.session("kiro", "k-1"))
        #expect(kiro.session.title == "Tests")
        #expect(kiro.session.project == "/home/me/svc")
        #expect(kiro.messages.map(\.text) == ["list the tests", "Running them."])
        #expect(kiro.toolCalls.first?.result == "ok")
        #expect(try await harness.reader.drift().isEmpty)
    }

    /// A zstd frame made by libzstd directly (not the server's wrapper).
    static func zstd(_ bytes: [UInt8]) -> [UInt8] {
        var output = [UInt8](repeating: 0, count: ZSTD_compressBound(bytes.count))
        let written = ZSTD_compress(&output, output.count, bytes, bytes.count, 3)
        return Array(output.prefix(written))
    }

    /// A message streamed over many records (`append`: Grok Build's chunks) is one message
    /// whether each record is normalised in a step of its own or all in one reparse, and an
    /// update the mapping ignores between two chunks does not split it.
    @Test func aMessageStreamedOverManyRecordsIsTheSameStepByStepAndInAReparse() async throws {
        let harness = try await NormalizingHarness()
        func chunk(_ side: String, _ text: String) -> String {
            #"{"timestamp":1796400000,"method":"session/update","params":{"sessionId":"s1","update":{"sessionUpdate":"\#(side)_chunk","content":{"type":"text","text":"\#(text)"}}}}"#
        }
        let lines = [chunk("user_message", "Why "), chunk("user_message", "so slow?"), chunk("agent_message", "The "),
                     #"{"timestamp":1796400001,"method":"session/update","params":{"sessionId":"s1","update":{"sessionUpdate":"plan","entries":[]}}}"#,
                     chunk("agent_message", "cache "), chunk("agent_message", "is cold."), chunk("user_message", "Warm it.")]
        try await harness.ingestLines(lines.joined(separator: "\n"), path: "~/.grok/sessions/%2Fw/s1/updates.jsonl",
                                      source: "grok-build.updates", kind: "grok-build.updates")
        _ = try await Normalizer(store: harness.store, chunkSize: 1).catchUp()
        func texts() async throws -> [String] {
            try #require(try await harness.session("grok-build", "s1")).messages.map { "\($0.role):\($0.text ?? "")" }
        }
        let stepByStep = try await texts()
        #expect(stepByStep == ["user:Why so slow?", "assistant:The cache is cold.", "user:Warm it."])
        #expect(try await Normalizer(store: harness.store).reparse() == lines.count)
        #expect(try await texts() == stepByStep)
        #expect(try await harness.reader.drift().isEmpty)
    }
}

/// Copilot Chat in VS Code: the patch log replayed, and the legacy document by its mapping.
@Suite struct VSCodeCopilotTests {
    @Test func aSessionLogIsReplayedInOrder() async throws {
        let harness = try await NormalizingHarness()
        try await harness.ingestLines("""
            {"kind":0,"v":{"version":3,"sessionId":"3b7e","creationDate":1763727100000,"requests":[]}}
            {"kind":2,"k":["requests"],"v":[{"requestId":"request_1","message":{"text":"fix the retry"},"modelId":"copilot/gpt-4.1","timestamp":1763727200000,"response":[]}]}
            {"kind":2,"k":["requests",0,"response"],"v":[{"value":"Use exponential "}]}
            {"kind":2,"k":["requests",0,"response"],"v":[{"value":"backoff."},{"kind":"toolInvocationSerialized","toolId":"copilot_readFile","toolCallId":"tc1","invocationMessage":{"value":"Reading retry.ts"}}]}
            {"kind":1,"k":["requests",0,"result"],"v":{"metadata":{"promptTokens":1200,"outputTokens":30,"resolvedModel":"gpt-4.1-2025-04-14"}}}
            {"kind":1,"k":["requests",0,"completionTokens"],"v":39}
            {"kind":1,"k":["customTitle"],"v":"Retry fix"}
            {"kind":2,"k":["requests"],"v":[{"requestId":"request_2","message":{"text":"and a test"},"timestamp":1763727300000}]}
            {"kind":3,"k":["requests",1,"followups"]}
            """, path: "~/.config/Code/User/workspaceStorage/ab12/chatSessions/3b7e.jsonl",
            source: "vscode-copilot.session-logs", kind: "vscode-copilot.session-log")
        try await harness.normalize()
        let session = try #require(try await harness.session("vscode-copilot", "3b7e"))
        #expect(session.session.title == "Retry fix")
        #expect(session.session.startedAt == "2025-11-21T12:11:40.000Z")
        #expect(session.messages.map(\.role) == ["user", "assistant", "user"])
        // The response's fragments, joined as they were pushed.
        #expect(session.messages.map(\.text) == ["fix the retry", "Use exponential backoff.", "and a test"])
        #expect(session.toolCalls.map(\.name) == ["copilot_readFile"])
        // completionTokens set after the result: 1200 + 39.
        #expect(session.session.tokens.input == 1200)
        #expect(session.session.tokens.output == 39)
        #expect(session.session.models == ["gpt-4.1-2025-04-14"])
        #expect(try await harness.reader.drift().isEmpty)
    }

    @Test func aLegacySessionDocumentGivesPromptsAndResponses() async throws {
        let harness = try await NormalizingHarness()
        try await harness.ingestDocument("""
            {"version":3,"sessionId":"9c1d","creationDate":1763727100000,"lastMessageDate":1763727400000,
             "requests":[{"requestId":"request_a","message":{"text":"explain this"},"modelId":"copilot/claude-sonnet-4","timestamp":1763727200000,
                          "response":[{"value":"It parses "},{"value":"the header."}],
                          "result":{"metadata":{"promptTokens":800,"outputTokens":25,"resolvedModel":"claude-sonnet-4"}}}]}
            """, path: "~/.config/Code/User/workspaceStorage/ab12/chatSessions/9c1d.json",
            source: "vscode-copilot.session-documents", kind: "vscode-copilot.session-document")
        try await harness.normalize()
        let session = try #require(try await harness.session("vscode-copilot", "9c1d"))
        #expect(session.messages.map(\.text) == ["explain this", "It parses the header."])
        #expect(session.session.tokens.total == 825)
    }
}
