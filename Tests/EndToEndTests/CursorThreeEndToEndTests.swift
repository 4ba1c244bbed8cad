import Foundation
import SQLiteDB
import SensorTestSupport
import Testing

/// Cursor 3.x, from the shape readers of Cursor 3.1 and 3.14 document (a `composerHeaders`
/// catalog table with `isSubagent`, composers and bubbles in `cursorDiskKV`, ISO bubble
/// times, reasoning as an empty-text bubble holding `thinking.text` and an opaque signature,
/// sub-agents named by their parent's `subComposerIds`), beside a 2.x composer in the same
/// database: the real sensor and server give each composer once, its reasoning as thinking,
/// its tokens and model, and the sub-agent linked to its parent, on both stores.
@Suite struct CursorThreeEndToEndTests {
    static let schema = [
        "CREATE TABLE ItemTable (key TEXT UNIQUE ON CONFLICT REPLACE, value BLOB)",
        "CREATE TABLE cursorDiskKV (key TEXT UNIQUE ON CONFLICT REPLACE, value BLOB)",
        """
        CREATE TABLE composerHeaders (composerId TEXT PRIMARY KEY, workspaceId TEXT, createdAt INTEGER, lastUpdatedAt INTEGER,
          isArchived INTEGER, isSubagent INTEGER, recency INTEGER, checkpointAt INTEGER, value TEXT)
        """,
    ]

    static func composer(_ id: String, name: String, bubbles: [(String, Int)], updated: Int64, children: [String] = []) -> String {
        let headers = bubbles.map { #"{"bubbleId":"\#($0.0)","type":\#($0.1)}"# }.joined(separator: ",")
        let sub = children.map { "\"\($0)\"" }.joined(separator: ",")
        return #"{"_v":14,"composerId":"\#(id)","name":"\#(name)","createdAt":\#(updated - 60_000),"lastUpdatedAt":\#(updated),"modelConfig":{"modelName":"default"},"fullConversationHeadersOnly":[\#(headers)],"subComposerIds":[\#(sub)]}"#
    }

    static func bubble(_ id: String, type: Int, text: String, at time: String, extra: String = "") -> String {
        #"{"_v":3,"type":\#(type),"bubbleId":"\#(id)","text":"\#(text)","createdAt":"\#(time)","supportedTools":[],"toolResults":[]\#(extra)}"#
    }

    static func insert(_ key: String, _ value: String) -> String {
        "INSERT INTO cursorDiskKV VALUES ('\(key)', '\(value.replacingOccurrences(of: "'", with: "''"))')"
    }

    static let signature = "OPAQUE-REASONING-SIGNATURE"
    static let main = [
        insert("bubbleId:c-main:b1", bubble("b1", type: 1, text: "Why does the Friday deploy fail?", at: "2026-12-03T10:00:00.000Z")),
        insert("bubbleId:c-main:b2", bubble("b2", type: 2, text: "", at: "2026-12-03T10:00:01.000Z",
                                           extra: #","thinking":{"text":"The cron job overlaps the release.","signature":"\#(signature)"}"#)),
        insert("bubbleId:c-main:b3", bubble("b3", type: 2, text: "The cache job runs at midnight UTC and collides with the release.",
                                           at: "2026-12-03T10:00:02.000Z",
                                           extra: #","modelInfo":{"modelName":"claude-4.5-sonnet"},"tokenCount":{"inputTokens":1200,"outputTokens":300}"#)),
        insert("composerData:c-main", composer("c-main", name: "Friday deploys", bubbles: [("b1", 1), ("b2", 2), ("b3", 2)],
                                               updated: 1_796_292_002_000, children: ["c-sub"])),
        "INSERT INTO composerHeaders VALUES ('c-main', 'ws-1', 1796291942000, 1796292002000, 0, 0, 0, 0, '{}')",
        insert("bubbleId:c-sub:s1", bubble("s1", type: 1, text: "List the cron entries", at: "2026-12-03T10:00:01.500Z")),
        insert("bubbleId:c-sub:s2", bubble("s2", type: 2, text: "Two entries.", at: "2026-12-03T10:00:01.800Z",
                                          extra: #","tokenCount":{"inputTokens":400,"outputTokens":50}"#)),
        insert("composerData:c-sub", composer("c-sub", name: "cron survey", bubbles: [("s1", 1), ("s2", 2)], updated: 1_796_292_001_800)),
        "INSERT INTO composerHeaders VALUES ('c-sub', 'ws-1', 1796291941800, 1796292001800, 0, 1, 0, 0, '{}')",
        // A 2.x composer beside them: schema 9, epoch-millisecond bubbles, no header row.
        insert("bubbleId:c-old:o1", #"{"_v":2,"type":1,"bubbleId":"o1","text":"rename the flag"}"#),
        insert("bubbleId:c-old:o2", #"{"_v":2,"type":2,"bubbleId":"o2","text":"Renamed.","tokenCount":{"inputTokens":70,"outputTokens":7}}"#),
        insert("composerData:c-old", #"{"_v":9,"composerId":"c-old","name":"Old flag","createdAt":1757730112697,"lastUpdatedAt":1757730933105,"fullConversationHeadersOnly":[{"bubbleId":"o1","type":1},{"bubbleId":"o2","type":2}]}"#),
    ]

    @Test(arguments: SensorIntoIngestTests.databases)
    func composersBubblesReasoningAndSubAgentsOfThreeXBesideTwoX(_ kind: String) async throws {
        let scratch = ScratchHome("cursor3")
        defer { scratch.remove() }
        let home = scratch.home
        let global = try scratch.folder(".config/Cursor/User/globalStorage")
        let database = try Database(path: global.appendingPathComponent("state.vscdb").path, mode: .readWriteCreate)
        for statement in Self.schema + Self.main { try database.execute(statement) }
        let work = scratch.work
        // A workspace known before any composer names it; ws-1's folder arrives after its composers.
        try scratch.writeLines([#"{"folder":"file:///home/me/other%20app"}"#], to: ".config/Cursor/User/workspaceStorage/ws-2/workspace.json")

        #expect(try await DocumentedToolRun.matchedFiles(source: "cursor.composer-headers", home: home) == 1)
        let server = try await scratch.server(kind)
        defer { server.stop() }
        #expect(try await DocumentedToolRun.scanTwice(home: home, work: work, into: server, source: "cursor.kv-inserts") == 10,
                "three composers and seven bubbles, each once")
        #expect(try await DocumentedToolRun.stored(source: "cursor.composer-headers", in: server) == 2)

        var listed = try await NormalizationEndToEndTests.allSessions(server).filter { $0["tool"] as? String == "cursor" }
        #expect(Set(listed.compactMap { $0["native_id"] as? String }) == ["c-main", "c-sub", "c-old"], "\(listed)")
        func session(_ id: String) throws -> [String: Any] { try #require(listed.first { $0["native_id"] as? String == id }, "\(id)") }
        func tokens(_ id: String) throws -> [String: Any] { try #require(try session(id)["tokens"] as? [String: Any]) }
        #expect(try session("c-main")["title"] as? String == "Friday deploys" && session("c-main")["messages"] as? Int == 3)
        #expect(try tokens("c-main")["input"] as? Int == 1200 && tokens("c-main")["output"] as? Int == 300)
        #expect(try session("c-main")["models"] as? [String] == ["claude-4.5-sonnet"], "a bubble names it; the composer's is `default`")
        #expect(try session("c-main")["tool_version"] == nil || session("c-main")["tool_version"] is NSNull, "_v is a schema, not Cursor's version")
        #expect(try tokens("c-sub")["input"] as? Int == 400 && tokens("c-old")["output"] as? Int == 7)
        #expect(try session("c-main")["project"] == nil || session("c-main")["project"] is NSNull, "ws-1's folder is not known yet")

        let mainID = try #require(try session("c-main")["id"] as? String)
        let detail = try #require(try await NormalizationEndToEndTests.get(server, "/api/v1/sessions/\(mainID)") as? [String: Any])
        let messages = try #require(detail["messages"] as? [[String: Any]])
        #expect(messages.map { $0["kind"] as? String ?? "" } == ["text", "thinking", "text"], "\(messages)")
        #expect(messages.map { $0["role"] as? String ?? "" } == ["user", "assistant", "assistant"])
        #expect(messages[1]["text"] as? String == "The cron job overlaps the release.")
        #expect(!messages.contains { ($0["text"] as? String ?? "").contains(Self.signature) })
        let children = try #require(detail["children"] as? [[String: Any]])
        let subID = try session("c-sub")["id"] as? String
        #expect(children.map { $0["id"] as? String } == [subID], "\(children)")
        #expect(children.first?["relation"] as? String == "subagent")

        // The conversation goes on: a new bubble, the composer and its header updated in place.
        try database.execute(Self.insert("bubbleId:c-main:b4", Self.bubble("b4", type: 1, text: "Move it to 02:00 then", at: "2026-12-03T10:01:00.000Z")))
        try database.execute("""
            UPDATE cursorDiskKV SET value = '\(Self.composer("c-main", name: "Friday deploys", bubbles: [("b1", 1), ("b2", 2), ("b3", 2), ("b4", 1)],
                                                           updated: 1_796_292_060_000, children: ["c-sub"]))' WHERE key = 'composerData:c-main'
            """)
        try database.execute("UPDATE composerHeaders SET lastUpdatedAt = 1796292060000 WHERE composerId = 'c-main'")
        // ws-1's workspace.json appears, and a composer of ws-2 starts.
        try scratch.writeLines([#"{"folder":"file:///home/me/deploys"}"#], to: ".config/Cursor/User/workspaceStorage/ws-1/workspace.json")
        try database.execute(Self.insert("bubbleId:c-new:n1", Self.bubble("n1", type: 1, text: "Tidy the README", at: "2026-12-03T10:02:00.000Z")))
        try database.execute(Self.insert("composerData:c-new", Self.composer("c-new", name: "README", bubbles: [("n1", 1)], updated: 1_796_292_120_000)))
        try database.execute("INSERT INTO composerHeaders VALUES ('c-new', 'ws-2', 1796292060000, 1796292120000, 0, 0, 0, 0, '{}')")
        #expect(try await DocumentedToolRun.scanTwice(home: home, work: work, into: server, source: "cursor.kv-inserts") == 13)
        listed = try await NormalizationEndToEndTests.allSessions(server).filter { $0["tool"] as? String == "cursor" }
        #expect(try session("c-main")["messages"] as? Int == 4 && listed.count == 4)
        #expect(try session("c-main")["project"] as? String == "/home/me/deploys" && session("c-sub")["project"] as? String == "/home/me/deploys",
                "the composers read before their workspace's folder: \(listed)")
        #expect(try session("c-new")["project"] as? String == "/home/me/other app", "a folder read before the composer")
        #expect(try session("c-old")["project"] == nil || session("c-old")["project"] is NSNull, "a 2.x composer names no workspace")
    }
}
