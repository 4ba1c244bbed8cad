import Foundation
import SensorTestSupport
import Testing

/// `sensor-ingest connector cursor` against a local server answering in Cursor's documented
/// shapes (paging, 429 with Retry-After, 500s, a wrong key): every event lands once, each
/// person's tokens and cost equal the events' sums, and a second pull stores nothing again.
@Suite(.serialized) struct CursorConnectorEndToEndTests {
    /// Events over the last 45 days (two of the connector's 30-day windows): three people.
    static func events() -> [[String: Any]] {
        let now = Date().timeIntervalSince1970
        let people = ["ada@acme.com", "bob@acme.com", "carol@acme.com"]
        return (0..<230).map { index in
            let at = Int64((now - Double(index) * 45 * 86_400 / 230 - 60) * 1000)
            return [
                "timestamp": String(at), "model": index % 3 == 0 ? "claude-4.5-sonnet" : "gpt-5", "kind": "Usage-based",
                "maxMode": false, "requestsCosts": 1, "isTokenBasedCall": true,
                "tokenUsage": ["inputTokens": 100 + index, "outputTokens": 50, "cacheWriteTokens": 10, "cacheReadTokens": 1000,
                               "totalCents": Double(index % 7) + 0.5],
                "chargedCents": Double(index % 7) + 0.75,
                "userEmail": people[index % people.count],
            ]
        }
    }

    @Test(arguments: SensorIntoIngestTests.databases)
    func everyEventLandsOnceAndEachPersonsCostIsTheirEventsSum(_ kind: String) async throws {
        let work = FileManager.default.temporaryDirectory.appendingPathComponent("cursor-api-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: work) }
        try FileManager.default.createDirectory(at: work, withIntermediateDirectories: true)
        let database = try await SensorIntoIngestTests.freshDatabase(kind, in: work)
        let events = Self.events()
        let eventsFile = work.appendingPathComponent("events.json")
        try JSONSerialization.data(withJSONObject: events).write(to: eventsFile)
        let key = "key_" + String(repeating: "ab", count: 32)
        let keyFile = work.appendingPathComponent("cursor-key")
        try key.write(to: keyFile, atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: keyFile.path)
        let wrongKey = work.appendingPathComponent("wrong-key")
        try "key_wrong".write(to: wrongKey, atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: wrongKey.path)

        let port = freeLoopbackPort()
        let stats = work.appendingPathComponent("stats.json")
        let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("cursor_admin_api.py")
        let api = try ProcessRunner.start(URL(fileURLWithPath: "/usr/bin/env"),
                                          ["python3", script.path, "--port", "\(port)", "--key", key, "--events", eventsFile.path,
                                           "--stats", stats.path, "--rate-limit-every", "4", "--fail-first", "2"],
                                          log: work.appendingPathComponent("api.log"))
        defer { api.terminate() }
        // A minute: Python starts slowly while the whole suite loads both cores.
        try await ProcessRunner.wait(seconds: 60, "the Cursor API stand-in") { loopbackPortAccepts(port) || !api.isRunning }
        #expect(api.isRunning, "the stand-in exited: \((try? String(contentsOf: work.appendingPathComponent("api.log"), encoding: .utf8)) ?? "")")
        func ingest(_ arguments: [String]) async throws -> ProcessRunner.Result {
            try await ProcessRunner.run(ProcessRunner.sensorIngest, arguments + ["--database", database])
        }
        #expect(try await ingest(["tenant", "set", "default", "--domains", "acme.com"]).status == 0)
        let pull = ["connector", "cursor", "--api-key-file", keyFile.path, "--base-url", "http://127.0.0.1:\(port)", "--since", "60d",
                    "--once", "--json"]

        // A wrong key: refused, said, nothing stored.
        let refused = try await ingest(["connector", "cursor", "--api-key-file", wrongKey.path, "--base-url", "http://127.0.0.1:\(port)", "--once"])
        #expect(refused.status != 0 && refused.stderr.contains("HTTP 401") && refused.stderr.contains("Admin API key"), "\(refused.stderr)")

        // The first pull: through two 500s and a 429 every fourth request, every page of both windows.
        let first = try await ingest(pull)
        #expect(first.status == 0, "\(first.stderr)")
        let outcome = try #require(try JSONSerialization.jsonObject(with: first.stdout) as? [String: Any])
        #expect(outcome["stored"] as? Int == events.count && outcome["events"] as? Int == events.count, "\(outcome)")
        #expect(outcome["pages"] as? Int ?? 0 >= 3 && outcome["rateLimited"] as? Int ?? 0 >= 1 && outcome["retried"] as? Int == 2, "\(outcome)")
        let answered = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: stats)) as? [String: Any])
        #expect((answered["statuses"] as? [String: Int])?["429"] ?? 0 >= 1)

        // Again, as after a restart: the last hours are asked again, nothing is stored twice.
        let second = try await ingest(pull)
        let again = try #require(try JSONSerialization.jsonObject(with: second.stdout) as? [String: Any])
        #expect(again["stored"] as? Int == 0, "\(again)")

        // Normalised: per person, the events' tokens and charged cost.
        #expect(try await ingest(["reparse"]).status == 0)
        let usage = try await ingest(["export", "usage", "--format", "csv"])
        var tokens: [String: Int] = [:], cost: [String: Double] = [:]
        for line in usage.text.split(separator: "\r\n").dropFirst() {
            let fields = line.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
            tokens[fields[4], default: 0] += Int(fields[6]) ?? 0
            cost[fields[4], default: 0] += Double(fields[7]) ?? 0
            #expect(fields[2] == "cursor", "\(line)")
        }
        for person in ["ada@acme.com", "bob@acme.com", "carol@acme.com"] {
            let theirs = events.filter { $0["userEmail"] as? String == person }
            let expectedTokens = theirs.reduce(0) { sum, event in
                let usage = event["tokenUsage"] as! [String: Any]
                return sum + (usage["inputTokens"] as! Int) + (usage["outputTokens"] as! Int) + (usage["cacheWriteTokens"] as! Int)
                    + (usage["cacheReadTokens"] as! Int)
            }
            let expectedCost = theirs.reduce(0.0) { $0 + ($1["chargedCents"] as! Double) / 100 }
            #expect(tokens[person] == expectedTokens, "\(person): \(tokens[person] ?? 0) tokens, expected \(expectedTokens)")
            #expect(abs((cost[person] ?? 0) - expectedCost) < 0.000_1, "\(person): $\(cost[person] ?? 0), expected $\(expectedCost)")
        }
    }
}
