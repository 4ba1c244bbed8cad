import Foundation
import SQLiteDB
import SensorTestSupport
import Testing

/// The real `sensor` binary over a temporary home laid out from ../shared/fixtures, with the
/// built-in declarations.
@Suite struct FixtureHomeTests {
    func validation(_ home: FixtureHome, _ extra: [String] = []) async throws -> [String: Any] {
        let result = try await ProcessRunner.run(ProcessRunner.sensor, ["scan", "--validate-config", "--json", "--home", home.root.path,
                                                                  "--state-dir", home.root.appendingPathComponent(".state").path] + extra)
        #expect(result.status == 0, "\(result.stderr)")
        return try #require(try JSONSerialization.jsonObject(with: result.stdout) as? [String: Any])
    }

    @Test func validateConfigCountsWhatEachSourceMatches() async throws {
        let home = try FixtureHome.make()
        defer { home.remove() }
        let report = try await validation(home)
        #expect(report["valid"] as? Bool == true)
        let sources = try #require(report["sources"] as? [[String: Any]])
        var files: [String: Int] = [:]
        var matched: [String: [String]] = [:]
        for source in sources {
            files[source["id"] as! String] = source["files"] as? Int
            matched[source["id"] as! String] = source["matched"] as? [String]
        }
        for (id, count) in FixtureHome.expectedMatches {
            #expect(files[id] == count, "\(id): \(matched[id] ?? [])")
        }
        let unmatched = files.filter { FixtureHome.expectedMatches[$0.key] == nil && $0.value != 0 }
        #expect(unmatched.isEmpty, "sources matching files no one expected: \(unmatched)")
        // OpenClaw: checkpoint and trajectory copies are not transcripts.
        let openclaw = matched["openclaw.transcripts"] ?? []
        #expect(!openclaw.contains { $0.contains(".checkpoint.") || $0.contains(".trajectory") })
        #expect(openclaw.contains { $0.contains(".jsonl.reset.") })
        #expect(openclaw.contains { $0.contains(".jsonl.deleted.") })
        // The SQL of every matched database prepares against it, opened read-only.
        for source in sources {
            for database in source["databases"] as? [[String: Any]] ?? [] {
                let result = database["result"] as? String ?? ""
                #expect(result == "prepares" || result.hasPrefix("inactive"), "\(source["id"]!): \(result)")
            }
        }
    }

    @Test func aNewToolIsOneYAMLFileAndNoCode() async throws {
        let home = try FixtureHome.make()
        defer { home.remove() }
        let chats = home.root.appendingPathComponent(".acme/chats/3f2a")
        try FileManager.default.createDirectory(at: chats, withIntermediateDirectories: true)
        try #"{"sessionId":"s1","messages":[{"type":"user","content":"hi"}]}"#.write(
            to: chats.appendingPathComponent("session-1.json"), atomically: true, encoding: .utf8)
        try #"{"sessionId":"s2","messages":[]}"#.write(to: chats.appendingPathComponent("session-2.json"), atomically: true, encoding: .utf8)
        let extra = home.root.appendingPathComponent("my-sources")
        try FileManager.default.createDirectory(at: extra, withIntermediateDirectories: true)
        try """
        sources:
          - id: acme-agent.chats
            kind: acme-agent.chat
            roots: {default: ["${ACME_HOME:-~/.acme}"]}
            include: ["chats/*/*.json"]
            format: json
            offset: snapshot
        """.write(to: extra.appendingPathComponent("acme-agent.yaml"), atomically: true, encoding: .utf8)
        let builtIn = FixtureHome.repositoryRoot.appendingPathComponent("sources.d").path
        let report = try await validation(home, ["--sources-dir", builtIn, "--sources-dir", extra.path])
        let sources = try #require(report["sources"] as? [[String: Any]])
        let acme = try #require(sources.first { $0["id"] as? String == "acme-agent.chats" })
        #expect(acme["files"] as? Int == 2)
        #expect(acme["valid"] as? Bool == true)

        let dryRun = try await ProcessRunner.run(ProcessRunner.sensor, ["scan", "--dry-run", "--home", home.root.path, "--sources-dir", builtIn,
                                                                  "--sources-dir", extra.path, "--state-dir", home.root.appendingPathComponent(".state").path])
        let kinds = dryRun.lines.compactMap { (try? JSONSerialization.jsonObject(with: Data($0.utf8))) as? [String: Any] }
            .filter { $0["kind"] as? String == "acme-agent.chat" }
        #expect(kinds.count == 2)
    }

    @Test func dryRunSendsOneEnvelopePerLineAndRowThenNothing() async throws {
        let home = try FixtureHome.make()
        defer { home.remove() }
        let state = home.root.appendingPathComponent(".state")
        let result = try await ProcessRunner.run(ProcessRunner.sensor, ["scan", "--dry-run", "--home", home.root.path, "--state-dir", state.path])
        #expect(result.status == 0, "\(result.stderr)")
        var bySource: [String: Int] = [:]
        for line in result.lines {
            let envelope = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
            bySource[envelope["source"] as! String, default: 0] += 1
        }
        // Computed independently: complete non-blank lines of each matched file.
        let report = try await validation(home)
        for source in try #require(report["sources"] as? [[String: Any]]) where source["format"] as? String == "jsonl" {
            let id = source["id"] as! String
            let paths = (source["matched"] as? [String] ?? []).map { home.root.path + String($0.dropFirst()) }
            let lines = try paths.reduce(0) { total, path in
                let data = try Data(contentsOf: URL(fileURLWithPath: path))
                let complete = data.split(separator: 0x0A, omittingEmptySubsequences: false).dropLast()
                return total + complete.filter { !$0.allSatisfy { [0x20, 0x09, 0x0D, 0x00].contains($0) } }.count
            }
            #expect(bySource[id, default: 0] == lines, "\(id)")
        }
        // A document read whole: one envelope per matched file.
        for source in try #require(report["sources"] as? [[String: Any]]) where source["format"] as? String == "json" {
            let id = source["id"] as! String
            #expect(bySource[id, default: 0] == (source["matched"] as? [String] ?? []).count, "\(id)")
        }
        // ItemTable chat keys of the workspace database, counted with SQL.
        let database = try Database(path: home.root.appendingPathComponent(
            ".config/Cursor/User/workspaceStorage/f87f6e0b2cf1ae8645cc0c5ffaa99529/state.vscdb").path, mode: .readOnly)
        let statement = try database.prepare("""
            SELECT count(*) FROM ItemTable WHERE key IN ('workbench.panel.aichat.view.aichat.chatdata', 'aiService.prompts',
              'aiService.generations', 'composer.composerData', 'composer.composerHeaders', 'interactive.sessions')
            """)
        _ = try statement.step()
        #expect(bySource["cursor.item-chat"] == Int(statement.int64(at: 0)))
        #expect(bySource["cursor-agent.meta"] == 1)

        // With state: the first pass writes everything, the second nothing.
        let stateFile = home.root.appendingPathComponent("checkpoints.json").path
        let first = try await ProcessRunner.run(ProcessRunner.sensor, ["scan", "--output", "-", "--state", stateFile, "--home", home.root.path,
                                                                 "--state-dir", state.path])
        #expect(first.lines.count == result.lines.count)
        let second = try await ProcessRunner.run(ProcessRunner.sensor, ["scan", "--output", "-", "--state", stateFile, "--home", home.root.path,
                                                                  "--state-dir", state.path])
        #expect(second.status == 0)
        #expect(second.lines.isEmpty, "second pass printed \(second.lines.count) envelopes")
    }

    @Test func envelopesValidateAgainstTheSchemaWithAnIndependentValidator() async throws {
        let home = try FixtureHome.make()
        defer { home.remove() }
        let output = home.root.appendingPathComponent("envelopes.ndjson")
        let result = try await ProcessRunner.run(ProcessRunner.sensor, ["scan", "--output", output.path, "--home", home.root.path,
                                                                  "--state-dir", home.root.appendingPathComponent(".state").path])
        #expect(result.status == 0)
        let schema = FixtureHome.repositoryRoot.appendingPathComponent("schemas/envelope.schema.json").path
        let check = try await ProcessRunner.run(URL(fileURLWithPath: "/usr/bin/env"), ["python3", "-c", """
            import json, sys, jsonschema
            v = jsonschema.Draft202012Validator(json.load(open(sys.argv[1])))
            n = bad = 0
            for line in open(sys.argv[2]):
                n += 1
                for error in v.iter_errors(json.loads(line)):
                    bad += 1; print(error.message[:200], file=sys.stderr); break
            print(n, bad)
            """, schema, output.path])
        #expect(check.status == 0, "\(check.stderr)")
        let counts = check.text.split(separator: " ").compactMap { Int($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
        #expect(counts.count == 2 && counts[0] > 2000 && counts[1] == 0, "\(check.text) \(check.stderr)")
    }

    @Test func aPlantedCursorAuthRowNeverAppears() async throws {
        let home = try FixtureHome.make()
        defer { home.remove() }
        // A global Cursor database with chat rows next to credentials, as real ones have.
        let global = home.root.appendingPathComponent(".config/Cursor/User/globalStorage")
        try FileManager.default.createDirectory(at: global, withIntermediateDirectories: true)
        let database = try Database(path: global.appendingPathComponent("state.vscdb").path, mode: .readWriteCreate)
        try database.execute("""
            CREATE TABLE ItemTable (key TEXT UNIQUE ON CONFLICT REPLACE, value BLOB);
            CREATE TABLE cursorDiskKV (key TEXT UNIQUE ON CONFLICT REPLACE, value BLOB);
            INSERT INTO ItemTable VALUES ('cursorAuth/accessToken', 'PLANTED-SECRET-ITEM');
            INSERT INTO ItemTable VALUES ('cursorAuth/refreshToken', 'PLANTED-SECRET-REFRESH');
            INSERT INTO ItemTable VALUES ('aiService.prompts', '[{"text":"hello","commandType":4}]');
            INSERT INTO cursorDiskKV VALUES ('cursorAuth/accessToken', 'PLANTED-SECRET-KV');
            INSERT INTO cursorDiskKV VALUES ('composerData:c1', '{"composerId":"c1","lastUpdatedAt":1757730933105}');
            INSERT INTO cursorDiskKV VALUES ('bubbleId:c1:b1', '{"type":1,"text":"hi"}');
            """)
        let result = try await ProcessRunner.run(ProcessRunner.sensor, ["scan", "--dry-run", "--home", home.root.path,
                                                                  "--state-dir", home.root.appendingPathComponent(".state").path])
        #expect(result.status == 0)
        #expect(!result.text.contains("PLANTED-SECRET"))
        #expect(!result.text.contains("cursorAuth"))
        #expect(result.text.contains("composerData:c1"))
        #expect(result.text.contains("bubbleId:c1:b1"))
        #expect(result.text.contains("aiService.prompts"))
    }

    @Test func noToolNameInTheEngine() throws {
        // "cursor" is also the name of an offset strategy: the tool is the capitalised word
        // or one of its storage names.
        let names = ["claude", "codex", "openclaw", "antigravity", "gemini", "clawdbot", "moltbot", "qwen", "opencode", "copilot",
                     "cline", "roo-code", "kilo", "goose", "crush", "zed.", "factory", "droid", "aider", "kiro", "windsurf",
                     ".pi/agent", "pi.session", "pi-coding-agent"]
        let cursorTool = try NSRegularExpression(pattern: #"\bCursor\b|cursorAuth|cursorDiskKV|/\.cursor\b|ItemTable"#)
        var hits: [String] = []
        // The engine, and the server's generic normaliser; the `sensor` command carries the
        // built-in sources.d as data, sensor-ingest normalizers.d.
        var read = 0
        for folder in ["Sources/SensorCore", "Sources/SensorModel", "Sources/SQLiteDB", "Sources/Normalization/Normalizers/Mapping"] {
            let root = FixtureHome.repositoryRoot.appendingPathComponent(folder)
            #expect(FileManager.default.fileExists(atPath: root.path), "\(folder) moved: the check would read nothing there")
            let enumerator = FileManager.default.enumerator(at: root, includingPropertiesForKeys: nil)
            while let url = enumerator?.nextObject() as? URL {
                guard url.pathExtension == "swift" else { continue }
                let source = try String(contentsOf: url, encoding: .utf8)
                read += 1
                let text = source.lowercased()
                // Whole words: "artifactory" (a secret format the redactor knows) is not Factory.
                for name in names where text.range(of: #"(?<![a-z])"# + NSRegularExpression.escapedPattern(for: name), options: .regularExpression) != nil {
                    hits.append("\(url.lastPathComponent): \(name)")
                }
                if cursorTool.firstMatch(in: source, range: NSRange(source.startIndex..., in: source)) != nil {
                    hits.append("\(url.lastPathComponent): Cursor")
                }
            }
        }
        #expect(read > 50, "the engine's files were read")
        #expect(hits.isEmpty, "\(hits)")
    }
}
