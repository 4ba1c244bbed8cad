import Foundation
import SensorTestSupport
import Testing

/// Kiro's IDE, its first storage (still on disk beside v2 after an update), from the shapes
/// public readers of the IDE find: a session document under `workspace-sessions/`, rewritten
/// whole as the session grows, and a workflow's execution files (`*.chat`), a later one
/// repeating the earlier one's messages. The real sensor sends each version once; the built-in
/// mapping gives each message once, only the words a person typed (not the steering rules and
/// environment Kiro wrapped around them, not its system text), an answer Kiro left as "On it."
/// as the completion it logged, the title, model and the workflow's times, on both stores.
@Suite struct KiroIDEFirstStorageEndToEndTests {
    static let base = ".config/Kiro/User/globalStorage/kiro.kiroagent"
    static let workspace = "L2hvbWUvbWUvdXBsb2FkZXI"  // base64url of /home/me/uploader
    static let wrapped = #"<user-rule id=\"style\">Use tabs.</user-rule>\n```\nAdd retries to the uploader<EnvironmentContext>OS: linux</EnvironmentContext>"#

    static func document(_ history: [String]) -> String {
        #"{"title":"Uploader retries","sessionType":"vibe","selectedModel":"claude-sonnet-4","history":[\#(history.joined(separator: ","))]}"#
    }

    static let history = [
        #"{"message":{"role":"user","content":"<identity>You are Kiro.</identity> long system text"}}"#,
        #"{"message":{"role":"user","content":[{"type":"text","text":"\#(wrapped)"}]}}"#,
        #"{"message":{"role":"assistant","content":"On it."},"promptLogs":{"completion":"Added exponential backoff to send()."}}"#,
    ]

    static func chat(_ messages: [String], end: Int) -> String {
        #"{"chat":[\#(messages.joined(separator: ","))],"metadata":{"workflowId":"wf-42","modelId":"claude-sonnet-4","startTime":1796461200000,"endTime":\#(end)}}"#
    }

    static let execution = [
        #"{"role":"human","content":"<identity>You are Kiro.</identity>"}"#,
        ###"{"role":"human","content":"## Included Rules\nUse tabs."}"###,
        #"{"role":"human","content":"Run the tests<EnvironmentContext>cwd: /home/me/uploader</EnvironmentContext>"}"#,
        #"{"role":"bot","content":"Running npm test."}"#,
        #"{"role":"tool","content":"1 failing"}"#,
    ]

    @Test(arguments: SensorIntoIngestTests.databases)
    func sessionDocumentsAndWorkflowExecutionsGiveEachMessageOnce(_ kind: String) async throws {
        let scratch = ScratchHome("kiro-ide-v1")
        defer { scratch.remove() }
        let home = scratch.home, work = scratch.work
        let session = try scratch.writeLines([Self.document(Self.history)], to: "\(Self.base)/workspace-sessions/\(Self.workspace)/s-77.json")
        _ = try scratch.writeLines([Self.chat(Self.execution, end: 1796461260000)], to: "\(Self.base)/0123456789abcdef0123456789abcdef/e-1.chat")
        _ = try scratch.writeLines([#"{"arn":"arn:aws:codewhisperer:profile/x"}"#], to: "\(Self.base)/profile.json")

        #expect(try await DocumentedToolRun.matchedFiles(source: "kiro.ide-v1-sessions", home: home) == 1)
        #expect(try await DocumentedToolRun.matchedFiles(source: "kiro.ide-v1-chats", home: home) == 1)
        let server = try await scratch.server(kind)
        defer { server.stop() }
        #expect(try await DocumentedToolRun.scanTwice(home: home, work: work, into: server, source: "kiro.ide-v1-sessions") == 1)
        // The session goes on (its document rewritten whole) and the workflow's next execution
        // file repeats its messages and adds an answer.
        let more = Self.history + [#"{"message":{"role":"user","content":"Thanks"}}"#]
        try Data(Self.document(more).utf8).write(to: session)
        _ = try scratch.writeLines([Self.chat(Self.execution + [#"{"role":"bot","content":"Fixed the failing test."}"#], end: 1796461320000)],
                                   to: "\(Self.base)/0123456789abcdef0123456789abcdef/e-2.chat")
        #expect(try await DocumentedToolRun.scanTwice(home: home, work: work, into: server, source: "kiro.ide-v1-sessions") == 2)
        #expect(try await DocumentedToolRun.stored(source: "kiro.ide-v1-chats", in: server) == 2)

        let listed = try await NormalizationEndToEndTests.allSessions(server).filter { $0["tool"] as? String == "kiro" }
        #expect(listed.count == 2, "\(listed)")
        for (id, texts, roles) in [
            ("s-77", ["Add retries to the uploader", "Added exponential backoff to send().", "Thanks"], ["user", "assistant", "user"]),
            ("wf-42", ["Run the tests", "Running npm test.", "1 failing", "Fixed the failing test."], ["user", "assistant", "tool", "assistant"]),
        ] {
            let found = try #require(listed.first { $0["native_id"] as? String == id }, "\(listed)")
            #expect(found["models"] as? [String] == ["claude-sonnet-4"] || found["model"] as? String == "claude-sonnet-4", "\(found)")
            let detail = try #require(try await NormalizationEndToEndTests.get(server, "/api/v1/sessions/\(found["id"] as! String)") as? [String: Any])
            let messages = try #require(detail["messages"] as? [[String: Any]])
            #expect(messages.map { $0["text"] as? String ?? "" } == texts, "each message once, only the typed words: \(messages)")
            #expect(messages.map { $0["role"] as? String ?? "" } == roles, "\(messages)")
            #expect(!String(describing: detail).contains("You are Kiro") && !String(describing: detail).contains("Use tabs"))
        }
        let document = try #require(listed.first { $0["native_id"] as? String == "s-77" })
        #expect(document["title"] as? String == "Uploader retries", "\(document)")
        let workflow = try #require(listed.first { $0["native_id"] as? String == "wf-42" })
        #expect((workflow["started_at"] as? String)?.hasPrefix("2026-12-05T09:00:00") == true
                && (workflow["ended_at"] as? String)?.hasPrefix("2026-12-05T09:02:00") == true, "the execution's start and end: \(workflow)")
    }
}
