import Foundation
import SensorTestSupport
import Testing

/// Claude Cowork: Claude Desktop keeps each agent-mode session in a folder of its own under
/// `local-agent-mode-sessions`, its transcripts in Claude Code's line format. The real sensor
/// reads them (in either layout Desktop has used) as Claude Code transcripts, never what a person
/// uploaded into a session or what it produced, and the server shows them as sessions, on both
/// stores.
@Suite struct ClaudeCoworkEndToEndTests {
    static func line(_ type: String, session: String, uuid: String, at time: String, _ message: String) -> String {
        #"{"parentUuid":null,"isSidechain":false,"userType":"external","cwd":"/sessions/quiet-fox","sessionId":"\#(session)","version":"2.1.3","type":"\#(type)","uuid":"\#(uuid)","timestamp":"\#(time)","message":\#(message)}"#
    }

    @Test(arguments: SensorIntoIngestTests.databases)
    func coworkTranscriptsArriveAsClaudeCodeSessionsAndUploadsStayHome(_ kind: String) async throws {
        let scratch = ScratchHome("cowork")
        defer { scratch.remove() }
        let home = scratch.home
        let sessions = home.appendingPathComponent(".config/Claude/local-agent-mode-sessions/9ce8a385-acct/c07f5e87-ws")
        // One session in each layout Desktop has used: local_<id>/ and agent/local_<name>_<id>/.
        let first = sessions.appendingPathComponent("local_ea335947/.claude/projects/-sessions-quiet-fox")
        let second = sessions.appendingPathComponent("agent/local_ditto_d6223e63/.claude/projects/-sessions-ditto")
        let uploads = sessions.appendingPathComponent("local_ea335947/uploads")
        for folder in [first, second, uploads] { try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true) }
        let a = "11111111-2222-4333-8444-555555555555", b = "66666666-7777-4888-9999-000000000000"
        let firstLines = [
            Self.line("user", session: a, uuid: "0b7c1d2e-0000-4000-8000-000000000001", at: "2026-12-04T09:00:00.000Z", #"{"role":"user","content":"Sort my receipts by month."}"#),
            Self.line("assistant", session: a, uuid: "0b7c1d2e-0000-4000-8000-000000000002", at: "2026-12-04T09:00:05.000Z",
                      #"{"id":"msg_1","type":"message","role":"assistant","model":"claude-sonnet-4-5","content":[{"type":"text","text":"Done: twelve folders."}],"usage":{"input_tokens":120,"output_tokens":30,"cache_read_input_tokens":0,"cache_creation_input_tokens":0}}"#),
        ]
        try (firstLines.joined(separator: "\n") + "\n").write(to: first.appendingPathComponent("\(a).jsonl"), atomically: true, encoding: .utf8)
        try (Self.line("user", session: b, uuid: "0b7c1d2e-0000-4000-8000-000000000003", at: "2026-12-05T10:00:00.000Z", #"{"role":"user","content":"Summarise the PDF."}"#) + "\n")
            .write(to: second.appendingPathComponent("\(b).jsonl"), atomically: true, encoding: .utf8)
        // A person's own JSONL uploaded into the session: theirs, not a transcript.
        try #"{"receipt":"PLANTED-UPLOAD","amount":12}"#.appending("\n").write(to: uploads.appendingPathComponent("receipts.jsonl"), atomically: true, encoding: .utf8)

        let work = scratch.work
        let server = try await scratch.server(kind)
        defer { server.stop() }
        #expect(try await DocumentedToolRun.matchedFiles(source: "claude-cowork.transcripts", home: home) == 2)
        #expect(try await DocumentedToolRun.scanTwice(home: home, work: work, into: server, source: "claude-cowork.transcripts") == 3)

        let listed = try await NormalizationEndToEndTests.allSessions(server).filter { [a, b].contains($0["native_id"] as? String ?? "") }
        #expect(listed.count == 2, "\(listed)")
        let sorted = try #require(listed.first { $0["native_id"] as? String == a })
        #expect(sorted["tool"] as? String == "claude-code", "Cowork runs Claude Code: its sessions are Claude Code's")
        #expect(sorted["messages"] as? Int == 2)
        #expect((sorted["tokens"] as? [String: Any])?["input"] as? Int == 120)

        let dryRun = try await ProcessRunner.run(ProcessRunner.sensor, ["scan", "--dry-run", "--home", home.path,
                                                                        "--state-dir", scratch.root.appendingPathComponent("dry-state").path])
        #expect(dryRun.status == 0 && dryRun.text.contains("Sort my receipts by month."))
        #expect(!dryRun.text.contains("PLANTED-UPLOAD"), "an upload never leaves")
    }
}
