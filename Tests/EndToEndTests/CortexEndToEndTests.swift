import Foundation
import SensorTestSupport
import Testing

/// Cortex Code, from the session files Snowflake's replay guide places and its public reader
/// parses: an older session's document with its messages embedded (rewritten whole as it
/// grows), and a newer one's document of metadata beside a history file appended a message a
/// line. The real sensor sends each version or line once; the built-in mapping gives each
/// message once with its calls and their results, leaves out the blocks Cortex injects
/// (`internalOnly`), and takes a newer document whole for its title and folder, on both stores.
@Suite struct CortexEndToEndTests {
    static let folder = ".snowflake/cortex/conversations"

    static func user(_ text: String, at second: Int) -> String {
        #"{"role":"user","content":[{"type":"text","text":"<system-reminder>injected by the platform</system-reminder>","internalOnly":true},{"type":"text","text":"\#(text)"}],"user_sent_time":"2026-12-05T11:00:\#(String(format: "%02d", second))Z"}"#
    }

    static func assistant(_ text: String, call: (id: String, name: String)? = nil, at second: Int) -> String {
        let use = call.map { #",{"type":"tool_use","tool_use":{"tool_use_id":"\#($0.id)","name":"\#($0.name)","input":{"sql":"select 1"}}}"# } ?? ""
        return #"{"role":"assistant","content":[{"type":"thinking","thinking":{"text":"Consider the warehouse.","signature":"sig"}},{"type":"text","text":"\#(text)"}\#(use)],"user_sent_time":"2026-12-05T11:00:\#(String(format: "%02d", second))Z"}"#
    }

    static func result(_ id: String, _ text: String, status: String, at second: Int) -> String {
        #"{"role":"user","content":[{"type":"tool_result","tool_result":{"tool_use_id":"\#(id)","name":"sql","content":[{"type":"text","text":"\#(text)"}],"status":"\#(status)"}}],"user_sent_time":"2026-12-05T11:00:\#(String(format: "%02d", second))Z"}"#
    }

    static func document(_ id: String, title: String, history: [String]) -> String {
        #"{"title":"\#(title)","session_id":"\#(id)","created_at":"2026-12-05T11:00:00Z","last_updated":"2026-12-05T11:05:00Z","connection_name":"dev","working_directory":"/home/me/warehouse","history":[\#(history.joined(separator: ","))]}"#
    }

    @Test(arguments: SensorIntoIngestTests.databases)
    func embeddedAndSidecarHistoriesGiveEachMessageOnce(_ kind: String) async throws {
        let scratch = ScratchHome("cortex")
        defer { scratch.remove() }
        let home = scratch.home, work = scratch.work
        let legacy = [Self.user("Why is the nightly load slow?", at: 1), Self.assistant("Checking the query.", call: ("tu-1", "sql"), at: 2),
                      Self.result("tu-1", "42 rows", status: "success", at: 3)]
        let document = try scratch.writeLines([Self.document("legacy-1", title: "Nightly load", history: legacy)], to: "\(Self.folder)/legacy-1.json")
        try scratch.writeLines([Self.document("new-1", title: "Cost report", history: [])], to: "\(Self.folder)/new-1.json")
        let sidecar = try scratch.writeLines([Self.user("Summarise this month's credits", at: 10), Self.assistant("Running it.", call: ("tu-2", "sql"), at: 11),
                                              Self.result("tu-2", "permission denied", status: "error", at: 12)],
                                             to: "\(Self.folder)/new-1.history.jsonl")

        #expect(try await DocumentedToolRun.matchedFiles(source: "cortex.sessions", home: home) == 2)
        #expect(try await DocumentedToolRun.matchedFiles(source: "cortex.history", home: home) == 1)
        let server = try await scratch.server(kind)
        defer { server.stop() }
        #expect(try await DocumentedToolRun.scanTwice(home: home, work: work, into: server, source: "cortex.history") == 3)
        // Both sessions go on: the older document rewritten whole with two messages more, the sidecar appended.
        let more = legacy + [Self.user("And yesterday's?", at: 4), Self.assistant("Yesterday's took half as long.", at: 5)]
        try Data(Self.document("legacy-1", title: "Nightly load", history: more).utf8).write(to: document)
        try DocumentedToolRun.appendLines([Self.assistant("The role lacks USAGE on the account view.", at: 13)], to: sidecar)
        #expect(try await DocumentedToolRun.scanTwice(home: home, work: work, into: server, source: "cortex.history") == 4)
        #expect(try await DocumentedToolRun.stored(source: "cortex.sessions", in: server) == 3, "two documents, one rewritten")

        let listed = try await NormalizationEndToEndTests.allSessions(server).filter { $0["tool"] as? String == "cortex" }
        #expect(listed.count == 2, "\(listed)")
        for (id, title, texts, calls) in [
            ("legacy-1", "Nightly load", ["Why is the nightly load slow?", "Checking the query.", "And yesterday's?", "Yesterday's took half as long."], ["tu-1": ("42 rows", false)]),
            ("new-1", "Cost report", ["Summarise this month's credits", "Running it.", "The role lacks USAGE on the account view."], ["tu-2": ("permission denied", true)]),
        ] {
            let session = try #require(listed.first { $0["native_id"] as? String == id }, "\(listed)")
            #expect(session["title"] as? String == title && session["project"] as? String == "/home/me/warehouse", "\(session)")
            let detail = try #require(try await NormalizationEndToEndTests.get(server, "/api/v1/sessions/\(session["id"] as! String)") as? [String: Any])
            let messages = try #require(detail["messages"] as? [[String: Any]])
            let shown = messages.filter { $0["kind"] as? String == "text" }.map { $0["text"] as? String ?? "" }
            #expect(shown == texts, "each message once, in order, without what the platform injected: \(shown)")
            #expect(messages.contains { $0["kind"] as? String == "thinking" && $0["text"] as? String == "Consider the warehouse." })
            let found = try #require(detail["tool_calls"] as? [[String: Any]])
            #expect(found.count == calls.count, "\(found)")
            for (callID, (output, failed)) in calls {
                let call = try #require(found.first { $0["call_id"] as? String == callID }, "\(found)")
                #expect(call["name"] as? String == "sql" && call["result"] as? String == output && (call["is_error"] as? Bool ?? false) == failed, "\(call)")
            }
        }
    }
}
