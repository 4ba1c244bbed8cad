import Foundation
import SQLiteDB
import SensorTestSupport
import Testing

/// The real `sensor` backfills a home laid out from ../shared/fixtures into a real
/// `sensor-ingest`; what the read API then reports per tool equals what
/// `expected_normalized.py` computes from the raw files alone.
@Suite(.serialized) struct NormalizationEndToEndTests {
    struct RequestFailed: Error, CustomStringConvertible { var description: String }

    /// GETs on the server with its token, each answer as JSON (python's urllib, in one process:
    /// no HTTP client needs linking into this target).
    static func get(_ server: IngestServerProcess, _ paths: [String]) async throws -> [Any] {
        let script = """
            import json, sys, urllib.request
            answers = []
            for path in sys.argv[3:]:
                request = urllib.request.Request(sys.argv[1] + path, headers={"Authorization": "Bearer " + sys.argv[2]})
                answers.append(json.loads(urllib.request.urlopen(request, timeout=30).read()))
            json.dump(answers, sys.stdout)
            """
        let result = try await ProcessRunner.run(URL(fileURLWithPath: "/usr/bin/env"),
                                           ["python3", "-c", script, server.endpoint, server.readToken] + paths)
        guard result.status == 0 else { throw RequestFailed(description: "GET \(paths): \(result.stderr)") }
        return try #require(try JSONSerialization.jsonObject(with: result.stdout) as? [Any])
    }

    static func get(_ server: IngestServerProcess, _ path: String) async throws -> Any {
        try await get(server, [path])[0]
    }

    /// Every session the read API lists, page by page.
    static func allSessions(_ server: IngestServerProcess, includeEmpty: Bool = true) async throws -> [[String: Any]] {
        var sessions: [[String: Any]] = []
        var offset: Int? = 0
        while let next = offset {
            let page = try await #require(try get(server, "/api/v1/sessions?limit=7&offset=\(next)&include_empty=\(includeEmpty)") as? [String: Any])
            sessions += page["sessions"] as? [[String: Any]] ?? []
            offset = page["next_offset"] as? Int
        }
        return sessions
    }

    /// Everything the read API says, as comparable text: the sessions, each in full, usage, drift.
    static func snapshot(_ server: IngestServerProcess) async throws -> [String] {
        func text(_ value: Any) throws -> String {
            String(decoding: try JSONSerialization.data(withJSONObject: value, options: [.sortedKeys]), as: UTF8.self)
        }
        let sessions = try await allSessions(server)
        let details = try await get(server, sessions.map { "/api/v1/sessions/\($0["id"] as! String)" }
                                   + ["/api/v1/usage?group=day,tool,model", "/api/v1/drift"])
        return try (sessions.map { try text($0) }.sorted()) + details.map { try text($0) }
    }

    /// Waits until the server normalised everything it accepted.
    static func waitForNormalizing(_ server: IngestServerProcess) async throws {
        func metric(_ text: String, _ name: String) -> Int? {
            text.split(separator: "\n").first { $0.hasPrefix(name + " ") }.flatMap { Int($0.split(separator: " ").last!) }
        }
        let script = "import sys, urllib.request; sys.stdout.write(urllib.request.urlopen(sys.argv[1]).read().decode())"
        let deadline = ContinuousClock.now + .seconds(60)
        while true {
            let metrics = try await ProcessRunner.run(URL(fileURLWithPath: "/usr/bin/env"), ["python3", "-c", script, server.endpoint + "/metrics"]).text
            let accepted = metric(metrics, #"sensor_ingest_envelopes_total{outcome="accepted"}"#) ?? -1
            if accepted > 0 && metric(metrics, "sensor_ingest_normalized_envelopes_total") == accepted { return }
            guard ContinuousClock.now < deadline else { throw ProcessRunner.Timeout(what: "the server to normalise what it accepted") }
            try await Task.sleep(for: .milliseconds(100))
        }
    }

    /// Antigravity's token usage lives in `conversations/<id>.db`: one is built from the
    /// codeburn fixture's `gen_metadata` row.
    static func addAntigravityConversation(to home: FixtureHome) throws {
        let fixture = try SharedFolder.require("fixtures/antigravity/codeburn/gen-metadata.json")
        let document = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: fixture)) as? [String: Any])
        let conversation = try #require(document["conversationId"] as? String)
        let directory = home.root.appendingPathComponent(".gemini/antigravity-cli/conversations")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let database = try Database(path: directory.appendingPathComponent("\(conversation).db").path, mode: .readWriteCreate)
        try database.execute("CREATE TABLE gen_metadata (idx INTEGER PRIMARY KEY, data BLOB)")
        for case let row as [String: Any] in document["rows"] as? [Any] ?? [] {
            let hex = Array((row["hex"] as? String ?? "").utf8)
            let bytes = stride(from: 0, to: hex.count - 1, by: 2).map { UInt8(String(decoding: hex[$0...$0 + 1], as: UTF8.self), radix: 16)! }
            try database.prepare("INSERT INTO gen_metadata(idx, data) VALUES (?1, ?2)")
                .run(.integer(Int64(row["idx"] as? Int ?? 0)), .blob(bytes))
        }
    }

    @Test(arguments: SensorIntoIngestTests.databases)
    func perToolCountsEqualTheRawFilesAndReparseChangesNothing(_ kind: String) async throws {
        let home = try FixtureHome.make()
        defer { home.remove() }
        try Self.addAntigravityConversation(to: home)
        let work = home.root.appendingPathComponent(".work")
        let server = try await IngestServerProcess(database: try await SensorIntoIngestTests.freshDatabase(kind, in: work), directory: work)
        defer { server.stop() }

        // The device id is derived from the machine's id; a machine without one gets a fixed one.
        let machine = FileManager.default.fileExists(atPath: "/etc/machine-id") ? [:] : ["SENSOR_MACHINE_ID": "test-machine-0001"]
        func scan(state: String) async throws {
            let scan = try await ProcessRunner.run(ProcessRunner.sensor, [
                "scan", "--home", home.root.path, "--state-dir", work.appendingPathComponent(state).path,
                "--endpoint", server.endpoint, "--token-file", server.tokenFile.path, "--quiet"], environment: machine)
            #expect(scan.status == 0, "\(scan.stderr)")
        }
        try await scan(state: "state")
        try await Self.waitForNormalizing(server)

        // Per tool: sessions, messages and tokens as the raw files say.
        let script = FixtureHome.repositoryRoot.appendingPathComponent("Tests/EndToEndTests/expected_normalized.py")
        let computed = try await ProcessRunner.run(URL(fileURLWithPath: "/usr/bin/env"), ["python3", script.path, home.root.path])
        #expect(computed.status == 0, "\(computed.stderr)")
        let expected = try #require(try JSONSerialization.jsonObject(with: computed.stdout) as? [String: [String: Int]])
        var actual: [String: [String: Int]] = [:]
        for session in try await Self.allSessions(server) {
            let tool = session["tool"] as! String
            let tokens = (session["tokens"] as? [String: Any])?["total"] as? Int ?? 0
            actual[tool, default: ["sessions": 0, "messages": 0, "tokens": 0]]["sessions"]! += 1
            actual[tool]!["messages"]! += session["messages"] as? Int ?? 0
            actual[tool]!["tokens"]! += tokens
            // Tool calls where the script counts them (the tools normalised by a mapping).
            if expected[tool]?["tool_calls"] != nil { actual[tool]!["tool_calls", default: 0] += session["tool_calls"] as? Int ?? 0 }
        }
        #expect(actual == expected)
        // By default a list shows conversations: sessions without a message are left out.
        let listed = try await Self.allSessions(server, includeEmpty: false)
        let withMessages = try await Self.allSessions(server).filter { ($0["messages"] as? Int ?? 0) > 0 }
        #expect(listed.count == withMessages.count && listed.count < expected.values.reduce(0) { $0 + ($1["sessions"] ?? 0) })
        #expect(listed.allSatisfy { ($0["messages"] as? Int ?? 0) > 0 })
        #expect(Set(expected.keys) == ["claude-code", "codex", "openclaw", "cursor", "cursor-agent", "antigravity", "gemini-cli", "qwen-code",
                                       "copilot-cli", "droid", "opencode"])

        // Records and fields not understood are counted, and their sessions normalised anyway.
        let drift = try await #require((try Self.get(server, "/api/v1/drift") as? [String: Any])?["drift"] as? [[String: Any]])
        let names = Set(drift.map { "\($0["tool"]!)/\($0["reason"]!)/\($0["name"]!)" })
        #expect(names.isSuperset(of: ["claude-code/unknown_field/timesstamp", "codex/unknown_type/world_state",
                                      "antigravity/unknown_field/telemetry"]))
        // Every record of the newer tools' fixtures was read as its kind promises.
        let newer: Set = ["gemini-cli", "qwen-code", "copilot-cli", "droid", "opencode"]
        let unreadable = drift.filter { newer.contains($0["tool"] as? String ?? "") && $0["reason"] as? String == "unreadable" }
        #expect(unreadable.isEmpty, "\(unreadable)")

        // A reinstall (the state directory wiped) rescans everything: the device id comes back
        // the same, so the server stores no new envelope and every total stays; nor does a reparse.
        let before = try await Self.snapshot(server)
        func storedEnvelopes() async throws -> Int {
            let stats = try await ProcessRunner.run(ProcessRunner.sensorIngest, ["stats", "--json", "--database", server.database])
            let counts = try #require(try JSONSerialization.jsonObject(with: stats.stdout) as? [[String: Any]])
            return counts.reduce(0) { $0 + ($1["envelopes"] as? Int ?? 0) }
        }
        let stored = try await storedEnvelopes()
        let device = try String(contentsOf: work.appendingPathComponent("state/device-id"), encoding: .utf8)
        try FileManager.default.removeItem(at: work.appendingPathComponent("state"))
        try await scan(state: "state")
        #expect(try String(contentsOf: work.appendingPathComponent("state/device-id"), encoding: .utf8) == device)
        try await Task.sleep(for: .seconds(1))
        await #expect(try storedEnvelopes() == stored)
        await #expect(try Self.snapshot(server) == before)
        let reparse = try await ProcessRunner.run(ProcessRunner.sensorIngest, ["reparse", "--database", server.database])
        #expect(reparse.status == 0, "\(reparse.stderr)")
        await #expect(try Self.snapshot(server) == before)
        let one = try await ProcessRunner.run(ProcessRunner.sensorIngest, ["reparse", "--database", server.database,
                                                                     "--source", "claude-code.transcripts"])
        #expect(one.status == 0, "\(one.stderr)")
        await #expect(try Self.snapshot(server) == before)
    }
}
