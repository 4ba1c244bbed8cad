import Foundation
import SensorTestSupport
import Testing

/// Qoder, from the layout and lines its readers document: Claude Code's transcript lines in
/// the IDE's SharedClientCache (per project and flat), a sub-agent's in its session's
/// `subagents/`, and a `<session>-session.json` with the title and working folder. The real
/// sensor sends each once; Claude Code's normaliser reads them as Qoder's (one `read_as`
/// line), the metadata mapping joins the title by the file name, on both stores.
@Suite struct QoderEndToEndTests {
    static let session = "6f1c2a3b-4d5e-4f60-8a7b-9c0d1e2f3a4b"
    static let flat = "0a1b2c3d-4e5f-4a6b-8c7d-8e9f0a1b2c3d"

    static func line(_ type: String, _ uuid: String, _ second: Int, session: String, agent: String? = nil, _ message: String,
                     extra: String = "") -> String {
        let agentField = agent.map { #""agentId":"\#($0)","isSidechain":true,"# } ?? ""
        return #"{\#(agentField)"type":"\#(type)","uuid":"\#(uuid)","timestamp":"2026-12-04T09:47:\#(String(format: "%02d", second)).000Z","cwd":"/home/me/shop","sessionId":"\#(session)","version":"1.0.8","message":\#(message)\#(extra)}"#
    }

    static var transcript: [String] {
        [
            #"{"type":"agent-setting","agentSetting":"triage","entrypoint":"sdk-cli","sessionId":"\#(session)"}"#,
            line("user", "u1", 1, session: session, #"{"role":"user","content":"the checkout total is off by a cent"}"#),
            line("assistant", "a1", 2, session: session,
                 #"{"id":"msg_1","type":"message","role":"assistant","model":"auto","usage":{"input_tokens":100,"cache_creation_input_tokens":7,"cache_read_input_tokens":50,"output_tokens":30},"content":[{"type":"text","text":"Let me look."},{"type":"tool_use","id":"toolu_1","name":"Task","input":{"prompt":"find the rounding"}}]}"#),
            line("user", "u2", 9, session: session, #"{"role":"user","content":[{"type":"tool_result","tool_use_id":"toolu_1","content":"rounding happens twice"}]}"#,
                 extra: #","toolUseResult":{"status":"completed","agentId":"a7f3"}"#),
        ]
    }

    static var subagent: [String] {
        [
            line("user", "s1", 3, session: session, agent: "a7f3", #"{"role":"user","content":"find the rounding"}"#),
            line("assistant", "s2", 8, session: session, agent: "a7f3",
                 #"{"id":"msg_2","type":"message","role":"assistant","model":"auto","usage":{"input_tokens":40,"output_tokens":5},"content":[{"type":"text","text":"rounding happens twice"}]}"#),
        ]
    }

    @Test(arguments: SensorIntoIngestTests.databases)
    func transcriptsSubAgentsAndTitlesArriveAsQodersOwn(_ kind: String) async throws {
        let scratch = ScratchHome("qoder")
        defer { scratch.remove() }
        let home = scratch.home, work = scratch.work
        let projects = ".config/Qoder/SharedClientCache/cli/projects", project = "\(projects)/-home-me-shop"
        try scratch.writeLines(Self.transcript, to: "\(project)/\(Self.session).jsonl")
        try scratch.writeLines(Self.subagent, to: "\(project)/\(Self.session)/subagents/agent-a7f3.jsonl")
        try #"{"title":"Fix the checkout total","working_dir":"/home/me/shop","parent_session_id":""}"#
            .write(to: home.appendingPathComponent("\(project)/\(Self.session)-session.json"), atomically: true, encoding: .utf8)
        // The flat layout of newer builds: a session straight under the projects folder.
        try scratch.writeLines([Self.line("user", "f1", 30, session: Self.flat, #"{"role":"user","content":"hello"}"#)],
                               to: "\(projects)/\(Self.flat).jsonl")
        // A stray sub-agent file beside the transcripts is nobody's session.
        try scratch.writeLines([Self.line("user", "x1", 40, session: "stray", #"{"role":"user","content":"PLANTED-STRAY"}"#)],
                               to: "\(project)/agent-stray.jsonl")

        #expect(try await DocumentedToolRun.matchedFiles(source: "qoder.transcripts", home: home) == 2)
        #expect(try await DocumentedToolRun.matchedFiles(source: "qoder.subagents", home: home) == 1)
        #expect(try await DocumentedToolRun.matchedFiles(source: "qoder.sessions", home: home) == 1)
        let server = try await scratch.server(kind)
        defer { server.stop() }
        #expect(try await DocumentedToolRun.scanTwice(home: home, work: work, into: server, source: "qoder.transcripts") == 5,
                "every line once over two scans")
        #expect(try await DocumentedToolRun.stored(source: "qoder.subagents", in: server) == 2)

        let all = try await NormalizationEndToEndTests.allSessions(server)
        #expect(!all.contains { $0["tool"] as? String == "claude-code" }, "read as Claude Code's, named Qoder's")
        let listed = all.filter { $0["tool"] as? String == "qoder" }
        #expect(Set(listed.compactMap { $0["native_id"] as? String }) == [Self.session, "\(Self.session)/a7f3", Self.flat], "\(listed)")
        let main = try #require(listed.first { $0["native_id"] as? String == Self.session })
        #expect(main["title"] as? String == "Fix the checkout total" && main["project"] as? String == "/home/me/shop", "\(main)")
        #expect(main["messages"] as? Int == 3 && main["tool_calls"] as? Int == 1, "\(main)")
        let tokens = try #require(main["tokens"] as? [String: Any])
        #expect(tokens["input"] as? Int == 100 && tokens["output"] as? Int == 30, "\(tokens)")
        #expect(tokens["cache_read"] as? Int == 50 && tokens["cache_write"] as? Int == 7, "\(tokens)")
        let child = try #require(listed.first { $0["native_id"] as? String == "\(Self.session)/a7f3" })
        #expect((child["tokens"] as? [String: Any])?["input"] as? Int == 40)

        let detail = try #require(try await NormalizationEndToEndTests.get(server, "/api/v1/sessions/\(main["id"] as! String)") as? [String: Any])
        let children = try #require(detail["children"] as? [[String: Any]])
        #expect(children.map { $0["id"] as? String } == [child["id"] as? String] && children.first?["relation"] as? String == "subagent")
        let calls = try #require(detail["tool_calls"] as? [[String: Any]])
        #expect(calls.first?["result"] as? String == "rounding happens twice")
        #expect(!String(describing: all).contains("PLANTED-STRAY"))
    }
}
