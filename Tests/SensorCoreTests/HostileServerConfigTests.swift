import Foundation
import SQLiteDB
import Testing
@testable import SensorCore
@testable import SensorModel

/// A hostile or compromised server's sensor-config never ships a denied row, column or file,
/// and never hangs or crashes the sensor (probe F4, F5, F6, F9, F10).
@Suite struct HostileServerConfigTests {
    /// A local Cursor-like source: key-value tables holding an access token under a denied key.
    static let local = """
    sources:
      - id: kv.inserts
        kind: kv
        roots: {default: ["~/app"]}
        include: ["state.db"]
        format: sqlite
        offset: cursor
        deny: {keys: ["cursorAuth/*"]}
        sqlite:
          query: SELECT rowid AS _cursor, key, value FROM ItemTable WHERE rowid > :cursor ORDER BY rowid LIMIT :limit
          key_columns: [key]
      - id: app.logs
        kind: app.log
        roots: {default: ["~/.claude"]}
        include: ["projects/**/*.jsonl"]
        format: jsonl
        offset: byte
    """

    static let token = "eyJhbGciOiJIUzI1NiJ9.ZXhhbXBsZS1hY2Nlc3MtdG9rZW4tMTIzNA.c2lnbmF0dXJlLXZhbHVlLWhlcmU"
    static let apiKey = "sk-ant-api03-" + String(repeating: "Q7xR", count: 20) + "AA"

    static func database(_ engine: EngineHarness) throws {
        try FileManager.default.createDirectory(at: engine.url("app"), withIntermediateDirectories: true)
        let database = try Database(path: engine.url("app/state.db").path, mode: .readWriteCreate)
        try database.execute("""
            CREATE TABLE ItemTable (key TEXT UNIQUE, value BLOB);
            CREATE TABLE cursorDiskKV (key TEXT UNIQUE, value BLOB);
            CREATE VIEW everything AS SELECT key, value FROM ItemTable;
            INSERT INTO ItemTable VALUES ('cursorAuth/accessToken', 'opaque-access-\(token)'), ('cursorAuth/refreshToken', 'refresh-plain-ZZZ9'),
              ('cursorAuth/cachedEmail', 'person@example.com'), ('ui.theme', '{"dark":true}');
            INSERT INTO cursorDiskKV VALUES ('bubbleId:1', '{"text":"my key is \(apiKey)"}');
            """)
    }

    /// What a pass ships, as one string.
    static func shipped(_ engine: EngineHarness) async throws -> String {
        String(describing: try await engine.pass())
    }

    static let denied = ["opaque-access", "refresh-plain-ZZZ9", "person@example.com", "cursorAuth/accessToken"]

    @Test(arguments: [
        // A new source with no key columns: deny.keys used to apply to nothing.
        #"{"id":"evil.nokeys","kind":"x","roots":{"default":["~/app"]},"include":["state.db"],"format":"sqlite","offset":"cursor","sqlite":{"query":"SELECT rowid AS _cursor, key, value FROM ItemTable WHERE rowid > :cursor"}}"#,
        #"{"id":"evil.alias","kind":"x","roots":{"default":["~/app"]},"include":["state.db"],"format":"sqlite","offset":"cursor","sqlite":{"query":"SELECT rowid AS _cursor, 'k' || rowid AS key, value AS v FROM main.ItemTable WHERE rowid > :cursor"}}"#,
        #"{"id":"evil.union","kind":"x","roots":{"default":["~/app"]},"include":["state.db"],"format":"sqlite","offset":"cursor","sqlite":{"query":"SELECT 1 AS _cursor, value FROM cursorDiskKV UNION ALL SELECT 2, value FROM (SELECT * FROM main.ItemTable)"}}"#,
        #"{"id":"evil.cte","kind":"x","roots":{"default":["~/app"]},"include":["state.db"],"format":"sqlite","offset":"cursor","sqlite":{"query":"WITH t AS (SELECT value FROM ItemTable) SELECT 1 AS _cursor, value FROM t"}}"#,
        #"{"id":"evil.view","kind":"x","roots":{"default":["~/app"]},"include":["state.db"],"format":"sqlite","offset":"cursor","sqlite":{"query":"SELECT 1 AS _cursor, value FROM everything"}}"#,
        #"{"id":"evil.hex","kind":"x","roots":{"default":["~/app"]},"include":["state.db"],"format":"sqlite","offset":"cursor","sqlite":{"query":"SELECT rowid AS _cursor, hex(value) AS v FROM cursorDiskKV WHERE rowid > :cursor"}}"#,
        #"{"id":"evil.substr","kind":"x","roots":{"default":["~/app"]},"include":["state.db"],"format":"sqlite","offset":"cursor","sqlite":{"query":"SELECT rowid AS _cursor, substr(value, 1, 30) || ' ' || substr(value, 31) AS v FROM cursorDiskKV"}}"#,
        #"{"id":"evil.base64","kind":"x","roots":{"default":["~/app"]},"include":["state.db"],"format":"sqlite","offset":"cursor","sqlite":{"query":"SELECT rowid AS _cursor, 'k' || rowid AS key, value FROM cursorDiskKV","columns":{"value":"base64"},"key_columns":["key"]}}"#,
        #"{"id":"evil.cursor","kind":"x","roots":{"default":["~/app"]},"include":["state.db"],"format":"sqlite","offset":"cursor","sqlite":{"query":"SELECT value AS _cursor, 1 AS one FROM cursorDiskKV WHERE value > :cursor","initial_cursor":""}}"#,
        #"{"id":"kv.inserts","sqlite":{"columns":{"value":"base64"}}}"#,
        #"{"id":"evil.pragma","kind":"x","roots":{"default":["~/app"]},"include":["state.db"],"format":"sqlite","offset":"cursor","sqlite":{"query":"SELECT 1 AS _cursor, * FROM pragma_table_info('ItemTable')"}}"#,
    ])
    func serverSQLNeverShipsADeniedRowOrAnUnredactedSecret(_ source: String) async throws {
        for policy in [LocalPolicy(), Self.examplePolicy] {
            let engine = try EngineHarness(Self.local, server: #"{"sources":[\#(source)]}"#, policy: policy)
            try Self.database(engine)
            let shipped = (try? await Self.shipped(engine)) ?? ""
            for value in Self.denied { #expect(!shipped.contains(value), "\(value) shipped by \(source.prefix(60))") }
            for secret in [Self.apiKey, String(Self.apiKey.suffix(16)), Self.hex(Self.apiKey.suffix(24)), Data(Self.apiKey.utf8).base64EncodedString()] {
                #expect(!shipped.contains(secret), "a secret shipped by \(source.prefix(60))")
            }
        }
    }

    static func hex(_ text: Substring) -> String { text.utf8.map { String(format: "%02X", $0) }.joined() }

    static var examplePolicy: LocalPolicy {
        var policy = LocalPolicy()
        policy.denyKeys = ["cursorAuth/*"]
        policy.denyColumns = ["secret_column"]
        return policy
    }

    @Test func aDeniedColumnReadsAsNullWhateverTheQueryCallsIt() async throws {
        var policy = LocalPolicy()
        policy.denyColumns = ["value"]
        let server = #"{"sources":[{"id":"evil.col","kind":"x","roots":{"default":["~/app"]},"include":["state.db"],"format":"sqlite","offset":"cursor","sqlite":{"query":"SELECT rowid AS _cursor, key, value AS val2 FROM ItemTable WHERE rowid > :cursor"}}]}"#
        let engine = try EngineHarness(Self.local, server: server, policy: policy)
        try Self.database(engine)
        let envelopes = try await engine.pass().filter { $0["source"] as? String == "evil.col" }
        #expect(envelopes.count == 1, "only ui.theme: the cursorAuth rows are not there")
        let record = try #require(envelopes.first?["record"] as? [String: Any])
        #expect(record["key"] as? String == "ui.theme" && record["val2"] is NSNull)
    }

    @Test func aLocalPolicyCanForbidServerSQL() async throws {
        var policy = LocalPolicy()
        policy.forbidsServerSQL = true
        let server = #"{"sources":[{"id":"kv.inserts","sqlite":{"query":"SELECT rowid AS _cursor, key FROM ItemTable"}},{"id":"evil.new","kind":"x","roots":{"default":["~/app"]},"include":["state.db"],"format":"sqlite","offset":"cursor","sqlite":{"query":"SELECT 1 AS _cursor"}}]}"#
        let engine = try EngineHarness(Self.local, server: server, policy: policy)
        #expect(engine.config.problems.contains { $0.field.hasPrefix("kv.inserts.sqlite") && $0.reason.contains("server_sql: forbid") })
        #expect(engine.config.source("kv.inserts")?.sqlite?.query.contains("value") == true, "the local query stays")
        #expect(engine.config.source("evil.new") == nil, "a new SQL source is not read at all")
    }

    @Test func aRecursiveQueryIsStoppedAtItsBudgetInsteadOfHoldingTheSensor() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("guard-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("a.db").path
        try Database(path: path, mode: .readWriteCreate).execute("CREATE TABLE t (key TEXT, value TEXT)")
        let database = try Database(path: path, mode: .readOnly)
        try database.install(ReadGuard(deniedKeys: ["x*"], keyColumns: ["key"], deniedColumns: [], allowedFunctions: ReadGuard.wholeValueFunctions))
        let statement = try database.prepare("WITH RECURSIVE r(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM r) SELECT count(*) FROM r")
        database.limitTime(0.2)
        let start = Date()
        #expect(throws: SQLiteError.self) { _ = try statement.step() }
        #expect(Date().timeIntervalSince(start) < 5)
        #expect(throws: SQLiteError.self, "no PRAGMA from a guarded query") { _ = try database.prepare("PRAGMA table_info(t)") }
        #expect(throws: SQLiteError.self, "no function that re-encodes") { _ = try database.prepare("SELECT hex(value) FROM t") }
    }

    @Test func splitRootsAreJudgedOneByOne() {
        let server = #"{"sources":[{"id":"evil.split","kind":"x","format":"text","offset":"snapshot","roots":{"default":["~/.claude/x:${HOME}/.ssh:/etc"],"split":":"},"include":["config","known_hosts","passwd"]}]}"#
        for policy in [LocalPolicy(), Self.examplePolicy] {
            let engine = try! EngineHarness(Self.local, server: server, policy: policy)
            #expect(engine.config.source("evil.split") == nil, "a server source with a split root outside the allowed ones is not read")
            #expect(engine.config.problems.contains { $0.field == "evil.split.roots.default" && $0.reason.contains("outside the allowed roots") })
        }
        // A root whose variable holds `..` is judged where it leads.
        let dotted = #"{"sources":[{"id":"evil.dots","kind":"x","format":"text","offset":"snapshot","roots":{"default":["~/.claude/a:~/.claude/b/../../.ssh"],"split":":"},"include":["config"]}]}"#
        #expect(try! EngineHarness(Self.local, server: dotted).config.source("evil.dots") == nil)
    }

    @Test func anOptedOutSourcesFilesAreOptedOutForEverySource() async throws {
        var policy = LocalPolicy()
        policy.optOutSources = ["app.logs"]
        let server = #"{"sources":[{"id":"app.logs","enabled":true},{"id":"fleet.clone","kind":"app.log","roots":{"default":["~/.claude"]},"include":["projects/**/*.jsonl"],"format":"jsonl","offset":"byte"}]}"#
        let engine = try EngineHarness(Self.local, server: server, policy: policy)
        try engine.write(".claude/projects/p/s.jsonl", #"{"type":"user","text":"private words"}"# + "\n")
        let shipped = try await engine.pass()
        #expect(shipped.isEmpty, "\(shipped.map { $0["source"] ?? "" })")
    }

    @Test func anAliasBombFromTheServerIsRefusedBeforeItGrows() {
        var bomb = "a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n"
        for level in 1...10 { bomb += "a\(level): &a\(level) [" + Array(repeating: "*a\(level - 1)", count: 10).joined(separator: ", ") + "]\n" }
        bomb += "sources: []\n"
        let start = Date()
        let (layer, problems) = ConfigLoader.serverLayer(Data(bomb.utf8), origin: "server sensor-config")
        #expect(layer == nil && problems.first?.reason.contains("anchors and aliases") == true, "\(problems)")
        #expect(Date().timeIntervalSince(start) < 2)
        let wide = "{\"sources\":[" + Array(repeating: "[]", count: 250_000).joined(separator: ",") + "]}"
        #expect(ConfigLoader.serverLayer(Data(wide.utf8), origin: "s").1.first?.reason.contains("more than") == true)
        let huge = Data(repeating: UInt8(ascii: " "), count: (4 << 20) + 1)
        #expect(ConfigLoader.serverLayer(huge, origin: "s").1.first?.reason.contains("exceeds") == true)
        // Every built-in declaration and the example sensor-config, as YAML and as the server's
        // JSON, hold nothing the scan takes for an anchor.
        let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let files = try! FileManager.default.contentsOfDirectory(at: repository.appendingPathComponent("sources.d"), includingPropertiesForKeys: nil)
            + [repository.appendingPathComponent("docs/examples/sensor-config.json")]
        #expect(files.count > 20)
        for file in files {
            let text = try! String(contentsOf: file, encoding: .utf8)
            #expect(ConfigParser.anchorOrAlias(in: text) == nil, "\(file.lastPathComponent)")
        }
        #expect(ConfigParser.anchorOrAlias(in: "a: 1\nb: {c: *x}\n")?.token == "*x")
        #expect(ConfigParser.anchorOrAlias(in: "- &anchor\n  k: v\n")?.line == 1)
        #expect(ConfigParser.anchorOrAlias(in: "q: \"*not\" # &no\nr: 'a&b' \nglob: projects/**/*.jsonl\n") == nil)
        // A local file may still use anchors (its owner wrote it).
        #expect((try? ConfigParser.parse("a: &x [1]\nb: *x\n", file: "local.yaml")) != nil)
    }

    @Test func aCatastrophicPushedRuleIsSetAsideAtItsTimeLimit() {
        var settings = SensorSettings()
        settings.redactionRules = [RedactionRule(name: "evil", pattern: "aa(a|a)+z", prefix: "aa", replacement: "[R]")]
        let redactor = Redactor(settings: settings)
        let line = Array(("{\"t\":\"" + String(repeating: "a", count: 50_000) + "!\"}").utf8)
        let start = Date()
        _ = line.withUnsafeBytes { redactor.redact($0) }
        #expect(Date().timeIntervalSince(start) < 5, "\(Date().timeIntervalSince(start)) s")
        let secret = Array("{\"t\":\"key \(Self.apiKey)\"}".utf8)
        #expect(secret.withUnsafeBytes { redactor.redact($0) } != nil, "the built-in rules still run")
    }

    @Test func anAcknowledgementWhoseCountsOverflowIsNoAcknowledgement() {
        for answer in [#"{"accepted":9223372036854775807,"duplicates":1}"#, #"{"accepted":-1,"duplicates":10}"#,
                       #"{"accepted":4,"duplicates":9223372036854775807,"rejected":[]}"#] {
            guard case .failure = Acknowledgement.parse(answer, envelopes: 9) else {
                Issue.record("\(answer) taken as an acknowledgement")
                continue
            }
        }
        guard case .success = Acknowledgement.parse(#"{"accepted":8,"duplicates":1,"rejected":[]}"#, envelopes: 9) else {
            Issue.record("a true acknowledgement refused")
            return
        }
    }
}
