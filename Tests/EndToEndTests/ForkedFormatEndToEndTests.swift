import Foundation
import SensorTestSupport
import Testing

/// Tools that write another tool's format (forks that kept their parent's files): TraeX writes
/// Codex's rollouts, OpenClaude Claude Code's transcripts, Oh My Pi Pi's sessions, Kimi Work
/// Kimi Code's wire logs, QClaw and Kimi's bundled OpenClaw OpenClaw's transcripts. Each is a declaration and a `read_as` line, no Swift. The same files
/// planted in the fork's folder and in the parent's give the same sessions, messages, calls and
/// tokens (and the counts the test planted), named after the fork, never the parent; every line
/// is stored once; the runtime's own sessions beside Kimi Work's conversations stay home.
@Suite struct ForkedFormatEndToEndTests {
    static let traexThread = "019fbcca-9fd4-7d20-83dc-0762b2f839b3"
    static let traexLines = [
        #"{"timestamp":"2026-12-03T08:00:00.000Z","type":"session_meta","payload":{"id":"\#(traexThread)","timestamp":"2026-12-03T08:00:00.000Z","cwd":"/home/me/api","originator":"codex-tui","cli_version":"0.200.19","model_provider":"trae","base_instructions":{"text":"You are TRAE CLI, a coding agent."}}}"#,
        #"{"timestamp":"2026-12-03T08:00:01.000Z","type":"turn_context","payload":{"turn_id":"turn-1","cwd":"/home/me/api","approval_policy":"on-request","sandbox_policy":{"mode":"workspace-write"},"model":"gpt-5-codex","model_provider":"trae"}}"#,
        #"{"timestamp":"2026-12-03T08:00:02.000Z","type":"response_item","payload":{"type":"message","role":"user","content":[{"type":"input_text","text":"Why is the health check slow?"}]}}"#,
        #"{"timestamp":"2026-12-03T08:00:03.000Z","type":"response_item","payload":{"type":"function_call","name":"shell","arguments":"{\"command\":[\"rg\",\"sleep\",\"src\"]}","call_id":"call_1"}}"#,
        #"{"timestamp":"2026-12-03T08:00:04.000Z","type":"response_item","payload":{"type":"function_call_output","call_id":"call_1","output":"src/health.rs:12: sleep(2)"}}"#,
        #"{"timestamp":"2026-12-03T08:00:05.000Z","type":"response_item","payload":{"type":"message","role":"assistant","content":[{"type":"output_text","text":"It sleeps two seconds on every call."}]}}"#,
        #"{"timestamp":"2026-12-03T08:00:06.000Z","type":"event_msg","payload":{"type":"token_count","info":{"total_token_usage":{"input_tokens":5000,"cached_input_tokens":3000,"output_tokens":400,"reasoning_output_tokens":100,"total_tokens":5400}}}}"#,
    ]

    static let openClaudeSession = "3c9a7e21-5b4d-4f60-8a1b-2c3d4e5f6a7b"
    static func claudeLine(_ type: String, uuid: Int, parent: Int?, at second: Int, _ message: String) -> String {
        let parentUUID = parent.map { #""0e1f2a3b-0000-4000-8000-\#(String(format: "%012d", $0))""# } ?? "null"
        return #"{"parentUuid":\#(parentUUID),"isSidechain":false,"userType":"external","cwd":"/home/me/web","sessionId":"\#(openClaudeSession)","version":"0.3.0","gitBranch":"main","type":"\#(type)","message":\#(message),"uuid":"0e1f2a3b-0000-4000-8000-\#(String(format: "%012d", uuid))","timestamp":"2026-12-03T10:00:\#(String(format: "%02d", second)).000Z"}"#
    }
    static let openClaudeLines = [
        claudeLine("user", uuid: 1, parent: nil, at: 0, #"{"role":"user","content":"Add a dark mode toggle."}"#),
        claudeLine("assistant", uuid: 2, parent: 1, at: 3, #"{"id":"msg_1","type":"message","role":"assistant","model":"gpt-5","content":[{"type":"text","text":"Looking at the header first."},{"type":"tool_use","id":"toolu_1","name":"Read","input":{"file_path":"/home/me/web/header.tsx"}}],"usage":{"input_tokens":900,"output_tokens":60,"cache_read_input_tokens":100,"cache_creation_input_tokens":0}}"#),
        claudeLine("user", uuid: 3, parent: 2, at: 4, #"{"role":"user","content":[{"type":"tool_result","tool_use_id":"toolu_1","content":"export function Header() {}"}]}"#),
        claudeLine("assistant", uuid: 4, parent: 3, at: 9, #"{"id":"msg_2","type":"message","role":"assistant","model":"gpt-5","content":[{"type":"text","text":"Added the toggle to the header."}],"usage":{"input_tokens":1000,"output_tokens":80,"cache_read_input_tokens":0,"cache_creation_input_tokens":0}}"#),
        #"{"type":"custom-title","customTitle":"Dark mode toggle","sessionId":"\#(openClaudeSession)"}"#,
    ]

    static let qclawSessions = ["103d47df-5ad4-4d86-b2e5-98080dd2102a", "913d0f7b-8fa1-4578-9105-3ef6710cc9d0"]
    static let kimiOpenClawSession = "kimi-f7b-8fa1-4578-9105-3ef6710cc9d0"

    static let kimiWorkRoot = ".config/kimi-desktop/daimon-share/daimon/runtime/kimi-code/home/sessions/\(KimiEndToEndTests.workDirHash)"

    /// Each fork's files, and the same files where its parent keeps them, each copy's session
    /// named differently: a record's id is made of its file's first line and its own bytes, not
    /// its path, so a byte-identical copy would be one file to the server (a renamed file is).
    static func plant(in home: URL) throws -> [PiEndToEndTests.SessionFile] {
        try DocumentedToolRun.writeLines(traexLines, to: ".trae/cli/sessions/2026/12/03/rollout-2026-12-03T08-00-00-\(traexThread).jsonl", in: home)
        try DocumentedToolRun.writeLines(traexLines.map { $0.replacingOccurrences(of: traexThread, with: "019fbcca-0000-7000-8000-0762b2f839b3") },
                  to: ".codex/sessions/2026/12/03/rollout-2026-12-03T08-00-00-019fbcca-0000-7000-8000-0762b2f839b3.jsonl", in: home)
        try DocumentedToolRun.writeLines(openClaudeLines, to: ".openclaude/projects/-home-me-web/\(openClaudeSession).jsonl", in: home)
        try DocumentedToolRun.writeLines(openClaudeLines.map { $0.replacingOccurrences(of: openClaudeSession, with: "3c9a7e21-0000-4000-8000-2c3d4e5f6a7b") },
                  to: ".claude/projects/-home-me-web/3c9a7e21-0000-4000-8000-2c3d4e5f6a7b.jsonl", in: home)
        let piFiles = try PiEndToEndTests.plant(in: home, sessions: ".omp/agent/sessions")
        for file in try PiEndToEndTests.plant(in: home) {
            let url = home.appendingPathComponent(file.path)
            let text = try String(contentsOf: url, encoding: .utf8)
            try text.replacingOccurrences(of: #""id":"\#(file.id)""#, with: #""id":"copy-\#(file.id)""#).write(to: url, atomically: true, encoding: .utf8)
        }
        let state = #"{"version": 1, "custom_title": "Red build", "title_generated": false, "archived": false, "todos": []}"#
        let kimi = ".kimi/sessions/\(KimiEndToEndTests.workDirHash)/\(KimiEndToEndTests.session)"
        // Kimi Work's sub-agent in the kernel's layout (agents/), the CLI's in its own (subagents/).
        for (folder, metadata, agents) in [("\(kimiWorkRoot)/conv-\(KimiEndToEndTests.session)", "1.10", "agents"), (kimi, "1.9", "subagents")] {
            func lines(_ lines: [String]) -> [String] { lines.map { $0.replacingOccurrences(of: #""protocol_version": "1.10""#, with: #""protocol_version": "\#(metadata)""#) } }
            try DocumentedToolRun.writeLines(lines(KimiEndToEndTests.mainLines), to: "\(folder)/wire.jsonl", in: home)
            try DocumentedToolRun.writeLines(lines(KimiEndToEndTests.subagentLines), to: "\(folder)/\(agents)/agent-7f3e/wire.jsonl", in: home)
            try state.write(to: home.appendingPathComponent("\(folder)/state.json"), atomically: true, encoding: .utf8)
        }
        // QClaw: two real OpenClaw transcripts, in each of the two places its readers name; the
        // parent's copies under other session ids.
        let openclaw = FixtureHome.sharedFixtures.appendingPathComponent("openclaw/4geeks/agents/main/sessions")
        for (id, folder) in zip(qclawSessions, [".qclaw/agents/main/sessions", ".qclaw/assets/static/agents/main/sessions"]) {
            let text = try String(contentsOf: openclaw.appendingPathComponent("\(id).jsonl"), encoding: .utf8)
            try DocumentedToolRun.writeLines([text.trimmingCharacters(in: .newlines)], to: "\(folder)/\(id).jsonl", in: home)
            let copy = "copy-" + id.dropFirst(5)
            try DocumentedToolRun.writeLines([text.replacingOccurrences(of: id, with: copy).trimmingCharacters(in: .newlines)],
                      to: ".openclaw/agents/main/sessions/\(copy).jsonl", in: home)
        }
        // Kimi's bundled OpenClaw: a transcript in its agents folder (the one its readers name),
        // the parent's copy under another id.
        let kimiSource = try String(contentsOf: openclaw.appendingPathComponent("\(qclawSessions[0]).jsonl"), encoding: .utf8)
        for (id, folder) in [(kimiOpenClawSession, ".kimi_openclaw/agents/main/sessions"), ("kcopy" + kimiOpenClawSession.dropFirst(5), ".openclaw/agents/main/sessions")] {
            try DocumentedToolRun.writeLines([kimiSource.replacingOccurrences(of: qclawSessions[0], with: id).trimmingCharacters(in: .newlines)],
                                             to: "\(folder)/\(id).jsonl", in: home)
        }
        // Kimi Work's runtime keeps its own sessions beside the conversations: a title it generated.
        try DocumentedToolRun.writeLines([#"{"type": "metadata", "protocol_version": "1.10"}"#,
                   KimiEndToEndTests.record("TurnBegin", #"{"user_input": "PLANTED-RUNTIME-PROMPT"}"#, at: 1_764_840_901)],
                  to: "\(kimiWorkRoot)/ctitle-0c1d2e/wire.jsonl", in: home)
        return piFiles
    }

    /// What a session shows that does not depend on which tool wrote it.
    static func shape(_ session: [String: Any]) -> String {
        var shape: [String: String] = [:]
        for field in ["messages", "tool_calls", "title", "project", "started_at", "ended_at"] {
            shape[field] = session[field].map { "\($0)" }
        }
        let tokens = session["tokens"] as? [String: Any] ?? [:]
        for (field, value) in tokens { shape["tokens." + field] = "\(value)" }
        shape["models"] = (session["models"] as? [String])?.joined(separator: ",")
        return shape.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
    }

    @Test(arguments: SensorIntoIngestTests.databases)
    func aForksFilesBecomeItsOwnSessionsExactlyAsItsParentsWould(_ kind: String) async throws {
        let scratch = ScratchHome("forks")
        defer { scratch.remove() }
        let home = scratch.home
        let piFiles = try Self.plant(in: home)
        let work = scratch.work

        #expect(try await DocumentedToolRun.matchedFiles(source: "traex.rollouts", home: home) == 1)
        #expect(try await DocumentedToolRun.matchedFiles(source: "openclaude.transcripts", home: home) == 1)
        #expect(try await DocumentedToolRun.matchedFiles(source: "oh-my-pi.sessions", home: home) == piFiles.count)
        #expect(try await DocumentedToolRun.matchedFiles(source: "kimi-work.wire", home: home) == 2, "the conversation and its sub-agent, not the runtime's title session")
        #expect(try await DocumentedToolRun.matchedFiles(source: "kimi-work.state", home: home) == 1)
        #expect(try await DocumentedToolRun.matchedFiles(source: "qclaw.transcripts", home: home) == 2, "agents/ and assets/static/agents/")
        #expect(try await DocumentedToolRun.matchedFiles(source: "kimi-openclaw.transcripts", home: home) == 1)

        let server = try await scratch.server(kind)
        defer { server.stop() }
        #expect(try await DocumentedToolRun.scanTwice(home: home, work: work, into: server, source: "traex.rollouts") == Self.traexLines.count)
        #expect(try await DocumentedToolRun.stored(source: "openclaude.transcripts", in: server) == Self.openClaudeLines.count)
        #expect(try await DocumentedToolRun.stored(source: "oh-my-pi.sessions", in: server) == piFiles.map(\.lines.count).reduce(0, +))
        #expect(try await DocumentedToolRun.stored(source: "kimi-work.wire", in: server)
                == KimiEndToEndTests.mainLines.count + KimiEndToEndTests.subagentLines.count)

        let listed = try await NormalizationEndToEndTests.allSessions(server)
        func sessions(of tool: String) -> [[String: Any]] { listed.filter { $0["tool"] as? String == tool } }
        // Each fork's sessions look exactly like its parent's of the same files, under its own name.
        // (OpenClaw's sessions are the copies of QClaw's, `copy-…`, and of Kimi's, `kcopy…`.)
        for (fork, parent, copies) in [("traex", "codex", ""), ("openclaude", "claude-code", ""), ("omp", "pi", ""), ("kimi-work", "kimi", ""),
                                       ("qclaw", "openclaw", "copy-"), ("kimi-openclaw", "openclaw", "kcopy")] {
            let forks = sessions(of: fork), parents = sessions(of: parent).filter { ($0["native_id"] as? String ?? "").hasPrefix(copies) }
            #expect(!forks.isEmpty && forks.count == parents.count, "\(fork): \(forks.count), \(parent): \(parents.count)")
            #expect(Set(forks.map(Self.shape)) == Set(parents.map(Self.shape)), "\(fork) against \(parent)")
        }

        // And what the test planted, counted here.
        let traex = try #require(sessions(of: "traex").first)
        #expect(traex["native_id"] as? String == Self.traexThread)
        #expect(traex["project"] as? String == "/home/me/api")
        #expect(traex["tool_calls"] as? Int == 1)
        #expect(traex["models"] as? [String] == ["gpt-5-codex"])
        let traexTokens = try #require(traex["tokens"] as? [String: Any])
        #expect(traexTokens["input"] as? Int == 2000 && traexTokens["cache_read"] as? Int == 3000, "Codex's input counts its cache reads: \(traexTokens)")
        #expect(traexTokens["output"] as? Int == 400 && traexTokens["reasoning"] as? Int == 100, "\(traexTokens)")

        let openClaude = try #require(sessions(of: "openclaude").first)
        #expect(openClaude["native_id"] as? String == Self.openClaudeSession)
        #expect(openClaude["title"] as? String == "Dark mode toggle")
        #expect(openClaude["tool_calls"] as? Int == 1)
        let claudeTokens = try #require(openClaude["tokens"] as? [String: Any])
        #expect(claudeTokens["input"] as? Int == 1900 && claudeTokens["output"] as? Int == 140 && claudeTokens["cache_read"] as? Int == 100,
                "\(claudeTokens)")

        for file in piFiles {
            let session = try #require(sessions(of: "omp").first { $0["native_id"] as? String == file.id }, "\(file.id)")
            #expect(session["messages"] as? Int == file.messages && session["tool_calls"] as? Int == file.toolCalls, "\(file.id)")
            #expect((session["tokens"] as? [String: Any])?["input"] as? Int == file.usage.map(\.input).reduce(0, +))
        }

        let conversation = try #require(sessions(of: "kimi-work").first { $0["native_id"] as? String == "conv-\(KimiEndToEndTests.session)" })
        #expect(conversation["title"] as? String == "Red build")
        #expect(conversation["tool_calls"] as? Int == 1)
        #expect((conversation["tokens"] as? [String: Any])?["input"] as? Int == 1500)
        let subagent = try #require(sessions(of: "kimi-work").first { $0["native_id"] as? String == "agent-7f3e" })
        #expect(subagent["parent_id"] as? String == conversation["id"] as? String, "a sub-agent links to its conversation")

        // The runtime's own session never left the laptop.
        let dryRun = try await ProcessRunner.run(ProcessRunner.sensor, ["scan", "--dry-run", "--home", home.path,
                                                                        "--state-dir", scratch.root.appendingPathComponent("dry-state").path])
        #expect(dryRun.status == 0 && !dryRun.text.contains("PLANTED-RUNTIME-PROMPT"))

        // Nothing the parents' normalisers do not understand, under any fork's name.
        let drift = try #require(try await NormalizationEndToEndTests.get(server, "/api/v1/drift") as? [String: Any])
        let forkDrift = (drift["drift"] as? [[String: Any]] ?? []).filter { ["traex", "openclaude", "omp", "kimi-work", "qclaw", "kimi-openclaw"].contains($0["tool"] as? String ?? "") }
        #expect(forkDrift.isEmpty, "\(forkDrift)")
    }
}
