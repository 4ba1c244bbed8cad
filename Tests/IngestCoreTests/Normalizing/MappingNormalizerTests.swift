import Foundation
import Access
import Explorer
import IngestCore
import IngestStore
import Normalization
import Testing

/// Tools normalised by a mapping alone (normalizers.d/), over the fixtures of ../shared and
/// records built from the documented formats; every expected figure is counted by hand from
/// the fixture lines named in the comments.
@Suite struct MappingNormalizerTests {
    @Test func geminiLinesAndLegacyDocument() async throws {
        let harness = try await NormalizingHarness()
        try await harness.ingestFile("gemini-cli/home-layout/.gemini/tmp/agent-sessions/chats/session-2026-04-29T21-39-gemini_s.jsonl",
                                     path: "~/.gemini/tmp/agent-sessions/chats/session-2026-04-29T21-39-gemini_s.jsonl",
                                     source: "gemini-cli.chats", kind: "gemini-cli.chat")
        let legacy = try String(contentsOf: NormalizingHarness.fixture(
            "gemini-cli/home-layout/.gemini/tmp/agent-sessions/chats/session-2026-01-16T18-34-3739ef95.json"), encoding: .utf8)
        try await harness.ingestDocument(legacy, path: "~/.gemini/tmp/agent-sessions/chats/session-2026-01-16T18-34-3739ef95.json",
                                         source: "gemini-cli.chat-documents", kind: "gemini-cli.chat-document")
        try await harness.normalize()

        let lines = try #require(try await harness.session("gemini-cli", "gemini_stage0_jsonl"))
        // user-1, assistant-1 (a tool call, no text), assistant-2; the $set patch is no message.
        #expect(lines.messages.count == 3)
        #expect(lines.messages.map(\.role) == ["user", "assistant", "assistant"])
        #expect(lines.messages.first?.text == "Say hello and list files.")
        #expect(lines.session.project == "agent-sessions")
        let call = try #require(lines.toolCalls.first)
        #expect(lines.toolCalls.count == 1)
        #expect(call.name == "run_shell_command")
        #expect(call.input?.contains("ls -F") == true)
        #expect(call.result?.contains("README.md") == true)
        #expect(call.isError == false)
        // input counts the cached tokens: 11855 - 0 and 12069 - 11502; outputs 81 + 147.
        #expect(lines.session.tokens.input == 11855 + 567)
        #expect(lines.session.tokens.output == 228)
        #expect(lines.session.tokens.cacheRead == 11502)
        #expect(lines.session.tokens.total == 11936 + 12216)
        #expect(lines.session.models == ["gemini-3-flash-preview"])

        let document = try #require(try await harness.session("gemini-cli", "session-2026-01-16T18-34-3739ef95"))
        #expect(document.messages.map(\.text) == ["Hello", "Hi!"])
        #expect(document.session.tokens.total == 15)
        #expect(try await harness.reader.drift().isEmpty)
    }

    @Test func aMessageWrittenAgainWithItsIdKeepsTheLastWrite() async throws {
        let harness = try await NormalizingHarness()
        try await harness.ingestLines("""
            {"sessionId":"s-rewrite","projectHash":"ab","startTime":"2026-06-01T10:00:00.000Z","lastUpdated":"2026-06-01T10:00:00.000Z","kind":"main"}
            {"id":"a1","timestamp":"2026-06-01T10:00:01.000Z","type":"gemini","content":"Working","model":"gemini-2.5-pro"}
            {"id":"a1","timestamp":"2026-06-01T10:00:02.000Z","type":"gemini","content":"Done: two files","model":"gemini-2.5-pro","tokens":{"input":100,"output":10,"cached":40,"thoughts":5,"tool":0,"total":115}}
            {"$rewindTo":"a1"}
            """, path: "~/.gemini/tmp/p/chats/session-x.jsonl", source: "gemini-cli.chats", kind: "gemini-cli.chat")
        try await harness.normalize()
        let session = try #require(try await harness.session("gemini-cli", "s-rewrite"))
        #expect(session.messages.map(\.text) == ["Done: two files"])
        // 100 input of which 40 cached; 10 output + 5 thoughts.
        #expect(session.session.tokens.input == 60)
        #expect(session.session.tokens.output == 15)
        #expect(session.session.tokens.reasoning == 5)
        #expect(session.session.tokens.total == 115)
    }

    @Test func qwenCodeChats() async throws {
        let harness = try await NormalizingHarness()
        let root = "qwen-code/home-layout/.qwen/projects/"
        for (folder, file) in [("-tmp-as-qwen-fixture-project", "019f0000-0000-7000-8000-000000000001.jsonl"),
                               ("-tmp-as-qwen-fixture-old-project", "019f0000-0000-7000-8000-000000000004.jsonl")] {
            try await harness.ingestFile(root + folder + "/chats/" + file, path: "~/.qwen/projects/\(folder)/chats/\(file)",
                                         source: "qwen-code.chats", kind: "qwen-code.chat")
        }
        try await harness.normalize()
        let first = try #require(try await harness.session("qwen-code", "019f0000-0000-7000-8000-000000000001"))
        // …011 user, …012 assistant (thought + call), …013 tool result, …014 assistant, …016 notification;
        // …015 ui_telemetry is no message.
        #expect(first.messages.count == 5)
        #expect(first.messages.first?.text == "Inspect the synthetic fixture.")
        #expect(first.messages[1].text == nil || first.messages[1].kind == "thinking")
        #expect(first.toolCalls.count == 1)
        #expect(first.toolCalls.first?.name == "read_file")
        #expect(first.toolCalls.first?.result == "Synthetic file contents.")
        #expect(first.session.gitBranch == "fixture-branch")
        #expect(first.session.tokens.total == 0)

        let old = try #require(try await harness.session("qwen-code", "019f0000-0000-7000-8000-000000000004"))
        // …041, …042, …045 and …046 (written twice: the second write, with usage, wins).
        #expect(old.messages.count == 4)
        #expect(old.session.title == "Active branch title")
        #expect(old.session.tokens.input == 12)
        #expect(old.session.tokens.output == 4)
        #expect(old.toolCalls.count == 1)
        #expect(try await harness.reader.drift().isEmpty)
    }

    @Test func copilotCLIEvents() async throws {
        let harness = try await NormalizingHarness()
        for session in ["aaaabbbb-1111-2222-3333-ccccddddeeee", "copilot_stage0_small"] {
            try await harness.ingestFile("copilot-cli/home-layout/.copilot/session-state/\(session)/events.jsonl",
                                         path: "~/.copilot/session-state/\(session)/events.jsonl",
                                         source: "copilot-cli.events", kind: "copilot-cli.events")
        }
        try await harness.normalize()
        let clean = try #require(try await harness.session("copilot-cli", "aaaabbbb-1111-2222-3333-ccccddddeeee"))
        // e2 user, e4 assistant (a tool request only), e8 assistant.
        #expect(clean.messages.map(\.role) == ["user", "assistant", "assistant"])
        #expect(clean.messages.last?.text == "The directory contains file1 and file2.")
        #expect(clean.session.project == "/tmp/project")
        #expect(clean.session.gitBranch == "main")
        #expect(clean.session.toolVersion == "1.0.11")
        let call = try #require(clean.toolCalls.first)
        #expect(clean.toolCalls.count == 1)
        #expect(call.name == "bash")
        #expect(call.result == "file1\nfile2\n")
        #expect(call.isError == false)

        let small = try #require(try await harness.session("copilot-cli", "copilot_stage0_small"))
        // The shutdown's token details: input 100 counts the 5 cache reads; output 15.
        #expect(small.session.tokens.input == 95)
        #expect(small.session.tokens.cacheRead == 5)
        #expect(small.session.tokens.output == 15)
        #expect(small.session.tokens.total == 115)
        #expect(try await harness.reader.drift().isEmpty)
    }

    @Test func droidTranscriptAndItsRunningTotals() async throws {
        let harness = try await NormalizingHarness()
        try await harness.ingestFile("droid/home-layout/.factory/sessions/-tmp/droid_s1.jsonl", path: "~/.factory/sessions/-tmp/droid_s1.jsonl",
                                     source: "droid.sessions", kind: "droid.session")
        // The settings file rewritten whole as the session goes on: running totals.
        for (input, output, read) in [(100, 20, 1000), (150, 40, 1500)] {
            try await harness.ingestDocument("""
                {"model":"claude-sonnet-4-5","providerLock":"anthropic","providerLockTimestamp":"2025-12-26T23:50:00.000Z",\
                "tokenUsage":{"inputTokens":\(input),"outputTokens":\(output),"cacheCreationTokens":50,"cacheReadTokens":\(read),"thinkingTokens":0,"totalTokens":0}}
                """, path: "~/.factory/sessions/-tmp/droid_s1.settings.json", source: "droid.settings", kind: "droid.settings")
        }
        try await harness.normalize()
        let session = try #require(try await harness.session("droid", "droid_s1"))
        #expect(session.session.title == "Stage0 Droid Small")
        #expect(session.session.project == "/tmp")
        // m1 prompt, m2 tool use, m3 tool result.
        #expect(session.messages.map(\.role) == ["user", "assistant", "tool"])
        #expect(session.toolCalls.count == 1)
        #expect(session.toolCalls.first?.name == "Execute")
        #expect(session.toolCalls.first?.result?.hasPrefix("Error: Command failed") == true)
        // Two snapshots, two rows: the first totals, then what was added; together the last totals.
        #expect(session.usage.count == 2)
        #expect(session.session.tokens.input == 150)
        #expect(session.session.tokens.output == 40)
        #expect(session.session.tokens.cacheRead == 1500)
        #expect(session.session.tokens.cacheWrite == 50)
        #expect(session.session.tokens.total == 1740)
        #expect(session.session.model == "claude-sonnet-4-5")
    }
}
