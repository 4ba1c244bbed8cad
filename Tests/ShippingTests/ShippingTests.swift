import Foundation
@testable import SensorCore
import SensorModel
import SensorTestSupport
import Testing

/// A `fault_server.py` on 127.0.0.1.
final class FaultServer {
    let process: Process
    let port: Int
    let stats: URL

    init(_ arguments: [String], directory: URL) async throws {
        port = freeLoopbackPort()
        stats = directory.appendingPathComponent("stats-\(port).json")
        let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("fault_server.py")
        process = try ProcessRunner.start(URL(fileURLWithPath: "/usr/bin/env"),
                                          ["python3", script.path, "--port", "\(port)", "--stats", stats.path] + arguments,
                                          log: directory.appendingPathComponent("fault-\(port).log"))
        let port = port
        try await ProcessRunner.wait(seconds: 10, "fault server") { loopbackPortAccepts(port) }
    }

    deinit {
        // SIGKILL: a child started from a Swift concurrency thread inherits its blocked signals,
        // and Python's server never sees a SIGTERM.
        kill(process.processIdentifier, SIGKILL)
    }

    var endpoint: String { "http://127.0.0.1:\(port)" }

    var counters: [String: Any] {
        guard let data = try? Data(contentsOf: stats) else { return [:] }
        return (try? JSONSerialization.jsonObject(with: data) as? [String: Any]) ?? [:]
    }

    func int(_ name: String) -> Int { counters[name] as? Int ?? 0 }
}

/// A generated corpus and the sources that read it.
final class Corpus {
    let root: URL
    let home: URL
    let sources: URL

    init(megabytes: Int) async throws {
        root = FileManager.default.temporaryDirectory.appendingPathComponent("shipping-\(UUID().uuidString)")
        home = root.appendingPathComponent("home")
        sources = root.appendingPathComponent("sources.d")
        try FileManager.default.createDirectory(at: sources, withIntermediateDirectories: true)
        let generator = try SharedFolder.require("tools/gen_corpus.py")
        let generated = try await ProcessRunner.run(URL(fileURLWithPath: "/usr/bin/env"), ["python3", generator.path, home.path, "--mb", "\(megabytes)"])
        guard generated.status == 0 else { throw SharedFolder.Missing(description: "gen_corpus.py failed: \(generated.stderr)") }
        try """
        sources:
          - {id: corpus.claude, kind: claude-code.transcript, roots: {default: ["~/.claude"]}, include: ["projects/**/*.jsonl"], format: jsonl, offset: byte}
          - {id: corpus.codex, kind: codex.rollout, roots: {default: ["~/.codex"]}, include: ["sessions/**/*.jsonl"], format: jsonl, offset: byte}
          - {id: corpus.openclaw, kind: openclaw.transcript, roots: {default: ["~/.openclaw"]}, include: ["agents/*/sessions/*.jsonl"], format: jsonl, offset: byte}
          - id: corpus.cursor
            kind: cursor.kv
            roots: {default: ["~/.config/Cursor/User"]}
            include: ["globalStorage/state.vscdb"]
            format: sqlite
            offset: cursor
            sqlite: {query: "SELECT rowid AS _cursor, key, value FROM cursorDiskKV WHERE rowid > :cursor ORDER BY rowid LIMIT :limit", key_columns: [key]}
        """.write(to: sources.appendingPathComponent("corpus.yaml"), atomically: true, encoding: .utf8)
    }

    deinit { try? FileManager.default.removeItem(at: root) }

    func arguments(state: String, extra: [String] = []) -> [String] {
        ["--home", home.path, "--sources-dir", sources.path, "--state-dir", root.appendingPathComponent(state).path] + extra
    }

    /// The ids a complete backfill must deliver (a dry run saves no state).
    func expectedIDs() async throws -> Set<String> {
        let dryRun = try await ProcessRunner.run(ProcessRunner.sensor, ["scan", "--dry-run"] + arguments(state: "dry"))
        return Set(dryRun.lines.compactMap { line in
            (try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])?["id"] as? String
        })
    }
}

let token = ["SENSOR_TOKEN": "shipping-test"]

@Suite(.serialized) struct ShippingTests {
    @Test func everyRecordArrivesThrough503sSlownessAndDroppedConnections() async throws {
        let corpus = try await Corpus(megabytes: 3)
        let expected = try await corpus.expectedIDs()
        let server = try await FaultServer(["--fail-every", "3", "--drop-every", "7", "--slow", "0.02"], directory: corpus.root)
        let args = ["scan", "--endpoint", server.endpoint, "--quiet", "--set", "upload.batch_max_records=150"]
            + corpus.arguments(state: "state")
        let first = try await ProcessRunner.run(ProcessRunner.sensor, args, environment: token)
        #expect(first.status == 0, "\(first.stderr.suffix(800))")
        #expect(server.int("ids") == expected.count)
        #expect(expected.count > 1000)
        let statuses = server.counters["statuses"] as? [Int] ?? []
        #expect(statuses.contains(503))
        let requests = server.int("requests")
        let second = try await ProcessRunner.run(ProcessRunner.sensor, args, environment: token)
        #expect(second.status == 0)
        #expect(server.int("requests") == requests, "a second run sent something")
    }

    @Test func killedTwentyTimesAndNothingIsLost() async throws {
        let corpus = try await Corpus(megabytes: 3)
        let expected = try await corpus.expectedIDs()
        // A tenth of a second a batch, twenty records each: a whole backfill takes the server well
        // over ten seconds, so a kill after the next acknowledgement always lands mid-backfill.
        let server = try await FaultServer(["--slow", "0.1"], directory: corpus.root)
        let batch = 20
        let args = ["scan", "--endpoint", server.endpoint, "--quiet", "--set", "upload.batch_max_records=\(batch)"]
            + corpus.arguments(state: "state")
        // Each run is killed once the server has acknowledged one or two more batches, so the
        // kills land mid-backfill however fast or starved this machine is (a random sleep let
        // the backfill finish after four kills on a loaded one; two or three batches of forty at
        // 10 ms each, after eight).
        var kills = 0
        while kills < 20 {
            let log = corpus.root.appendingPathComponent("run-\(kills).log")
            let acknowledged = server.int("accepted_batches")
            let target = acknowledged + Int.random(in: 1...2)
            let process = try ProcessRunner.start(ProcessRunner.sensor, args, environment: token, log: log)
            let giveUp = ContinuousClock.now + .seconds(300)
            while process.isRunning && server.int("accepted_batches") < target && ContinuousClock.now < giveUp {
                try await Task.sleep(for: .milliseconds(5))
            }
            guard process.isRunning else { break }  // finished before the kill
            kill(process.processIdentifier, SIGKILL)
            await ProcessRunner.exit(of: process)
            kills += 1
        }
        let last = try await ProcessRunner.run(ProcessRunner.sensor, args, environment: token)
        #expect(last.status == 0, "\(last.stderr.suffix(500))")
        #expect(kills >= 10, "the backfill finished too fast to be killed often (\(kills))")
        #expect(server.int("ids") == expected.count)
        let duplicates = server.int("records") - server.int("ids")
        #expect(duplicates <= kills * batch, "\(duplicates) duplicates for \(kills) kills")
    }

    @Test func retryAfterIsHonouredInSecondsAndAsAnHTTPDate() async throws {
        // "date+2": an HTTP-date two seconds after the 429 is answered, made by the server then
        // (whole seconds: more than one second ahead), however long the sensor took to start. A
        // date made here before starting the server and the sensor left, under the whole suite's
        // load, less than the 0.9 s checked.
        for value in ["1", "date+2"] {
            let corpus = try await Corpus(megabytes: 1)
            let server = try await FaultServer(["--retry-after", value, "--retry-after-every", "1000"], directory: corpus.root)
            let result = try await ProcessRunner.run(ProcessRunner.sensor, ["scan", "--endpoint", server.endpoint, "--quiet"]
                                               + corpus.arguments(state: "state"), environment: token)
            #expect(result.status == 0)
            let times = server.counters["times"] as? [Double] ?? []
            let statuses = server.counters["statuses"] as? [Int] ?? []
            #expect(statuses.first { $0 != 404 } == 429)  // 404: the sensor-config this server does not have
            #expect(times.count >= 2)
            if times.count >= 2 { #expect(times[1] - times[0] >= 0.9, "\(value): retried after \(times[1] - times[0]) s") }
        }
    }

    @Test func tooLargeSplitsTheBatch() async throws {
        let corpus = try await Corpus(megabytes: 1)
        let expected = try await corpus.expectedIDs()
        let server = try await FaultServer(["--max-records", "7"], directory: corpus.root)
        let result = try await ProcessRunner.run(ProcessRunner.sensor, ["scan", "--endpoint", server.endpoint, "--quiet",
                                                                  "--set", "upload.batch_max_records=100"] + corpus.arguments(state: "state"),
                                           environment: token)
        #expect(result.status == 0)
        #expect(server.int("ids") == expected.count)
        #expect((server.counters["statuses"] as? [Int] ?? []).contains(413))
    }

    @Test func aRecordRejectedByIdIsQuarantinedAloneAndReplayedOnceFixed() async throws {
        let corpus = try await Corpus(megabytes: 1)
        let log = corpus.home.appendingPathComponent(".claude/projects/poison/session.jsonl")
        try FileManager.default.createDirectory(at: log.deletingLastPathComponent(), withIntermediateDirectories: true)
        try (1...30).map { #"{"n":\#($0)\#($0 == 17 ? #","bad":"POISON-PILL""# : "")}"# }.joined(separator: "\n")
            .appending("\n").write(to: log, atomically: true, encoding: .utf8)
        let expected = try await corpus.expectedIDs()
        let server = try await FaultServer(["--poison", "POISON-PILL"], directory: corpus.root)
        let args = ["scan", "--endpoint", server.endpoint, "--quiet"] + corpus.arguments(state: "state")
        let result = try await ProcessRunner.run(ProcessRunner.sensor, args, environment: token)
        #expect(result.status == 0, "\(result.stderr.suffix(500))")
        #expect(server.int("ids") == expected.count - 1)
        let quarantine = try String(contentsOf: corpus.root.appendingPathComponent("state/quarantine.ndjson"), encoding: .utf8)
        let lines = quarantine.split(separator: "\n")
        #expect(lines.count == 1)
        #expect(lines.first?.contains("POISON-PILL") == true)
        #expect(lines.first?.contains(#""reason":"poison""#) == true)
        let requests = server.int("requests")
        await #expect(try ProcessRunner.run(ProcessRunner.sensor, args, environment: token).status == 0)
        #expect(server.int("requests") == requests)  // checkpoints moved past the quarantined record

        let list = try await ProcessRunner.run(ProcessRunner.sensor, ["quarantine", "list"] + corpus.arguments(state: "state"))
        #expect(list.status == 0)
        #expect(list.text.contains("poison") && list.text.contains("1 envelope(s)"), "\(list.text)")
        // Replayed while the server still rejects it: it stays.
        let replay = ["quarantine", "replay", "--endpoint", server.endpoint] + corpus.arguments(state: "state")
        let again = try await ProcessRunner.run(ProcessRunner.sensor, replay, environment: token)
        #expect(again.status != 0)
        #expect(again.text.contains("1 rejected again"), "\(again.text) \(again.stderr.suffix(800))")
        #expect(try String(contentsOf: corpus.root.appendingPathComponent("state/quarantine.ndjson"), encoding: .utf8)
            .split(separator: "\n").count == 1)
        // Once the server takes it, it leaves the quarantine and arrives.
        let fixed = try await FaultServer([], directory: corpus.root)
        let resent = try await ProcessRunner.run(ProcessRunner.sensor, ["quarantine", "replay", "--endpoint", fixed.endpoint]
                                                 + corpus.arguments(state: "state"), environment: token)
        #expect(resent.status == 0, "\(resent.stderr.suffix(500))")
        #expect(resent.text.contains("resent 1 envelope(s); 0 rejected again"))
        #expect(fixed.int("ids") == 1)
        #expect(!FileManager.default.fileExists(atPath: corpus.root.appendingPathComponent("state/quarantine.ndjson").path))
    }

    /// A server of the first wire version refuses a record whose flags it does not know: the
    /// sensor names its redaction rules (`flags.redacted_by`) only to a server that said it
    /// takes them, so every record with a secret still arrives, redacted.
    @Test func aServerThatDoesNotTakeRuleNamesGetsRecordsItCanStore() async throws {
        let corpus = try await Corpus(megabytes: 1)
        let log = corpus.home.appendingPathComponent(".claude/projects/keys/session.jsonl")
        try FileManager.default.createDirectory(at: log.deletingLastPathComponent(), withIntermediateDirectories: true)
        let key = "ghp_" + String(repeating: "k3Y9", count: 9)
        try (1...5).map { #"{"n":\#($0),"text":"my token is \#(key)"}"# }.joined(separator: "\n").appending("\n")
            .write(to: log, atomically: true, encoding: .utf8)
        let expected = try await corpus.expectedIDs()
        let server = try await FaultServer(["--strict-flags"], directory: corpus.root)
        let result = try await ProcessRunner.run(ProcessRunner.sensor, ["scan", "--endpoint", server.endpoint, "--quiet"]
                                                 + corpus.arguments(state: "state"), environment: token)
        #expect(result.status == 0, "\(result.stderr.suffix(500))")
        #expect(server.int("rejected") == 0)
        #expect(server.int("ids") == expected.count)
        #expect(!FileManager.default.fileExists(atPath: corpus.root.appendingPathComponent("state/quarantine.ndjson").path))
    }

    @Test func theAuditLogShowsEveryAcknowledgedBatch() async throws {
        let corpus = try await Corpus(megabytes: 1)
        let expected = try await corpus.expectedIDs()
        let server = try await FaultServer(["--fail-every", "3"], directory: corpus.root)
        let args = corpus.arguments(state: "state", extra: ["--set", "upload.batch_max_records=50"])
        let scan = try await ProcessRunner.run(ProcessRunner.sensor, ["scan", "--endpoint", server.endpoint, "--quiet"] + args,
                                               environment: token)
        #expect(scan.status == 0, "\(scan.stderr.suffix(500))")
        let audit = try await ProcessRunner.run(ProcessRunner.sensor, ["audit", "--json"] + corpus.arguments(state: "state"))
        #expect(audit.status == 0, "\(audit.stderr)")
        let entries = audit.lines.compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
        #expect(entries.count == server.int("accepted_batches"), "one line per acknowledged batch, none for the 503s")
        #expect(entries.reduce(0) { $0 + ($1["envelopes"] as? Int ?? 0) } == expected.count)
        #expect(entries.allSatisfy { ($0["files"] as? [String])?.isEmpty == false && ($0["bytes"] as? Int ?? 0) > 0 })
        #expect(entries.allSatisfy { ($0["endpoint"] as? String) == server.endpoint })
        let text = try await ProcessRunner.run(ProcessRunner.sensor, ["audit", "--since", "1h"] + corpus.arguments(state: "state"))
        #expect(text.text.contains("\(entries.count) upload(s), \(expected.count) record(s)"), "\(text.text.suffix(300))")
        let future = try await ProcessRunner.run(ProcessRunner.sensor, ["audit", "--since", "2999-01-01"] + corpus.arguments(state: "state"))
        #expect(future.text.contains("no acknowledged uploads"))
        let mode = try FileManager.default.attributesOfItem(atPath: corpus.root.appendingPathComponent("state/audit.ndjson").path)[.posixPermissions] as? Int
        #expect(mode == 0o600)
    }

    @Test(arguments: [("redirect", "redirect to /login"), ("404", "HTTP 404"), ("bad-ack", "not an acknowledgement"),
                      ("short-ack", "!= ")])
    func anAnswerThatIsNotAnAcknowledgementCommitsNothingAndLosesNothing(answer: String, said: String) async throws {
        let corpus = try await Corpus(megabytes: 1)
        let expected = try await corpus.expectedIDs()
        let wrong = try await FaultServer(["--answer", answer], directory: corpus.root)
        let args = corpus.arguments(state: "state")
        let scan = try await ProcessRunner.run(ProcessRunner.sensor, ["scan", "--endpoint", wrong.endpoint, "--quiet"] + args,
                                               environment: token)
        #expect(scan.status != 0)
        #expect(scan.stderr.contains(said), "\(scan.stderr.suffix(600))")
        #expect(scan.stderr.contains("nothing was committed"))
        let checkpoints = corpus.root.appendingPathComponent("state/checkpoints.json")
        let saved = (try? Data(contentsOf: checkpoints)).flatMap { try? JSONSerialization.jsonObject(with: $0) as? [String: Any] }
        #expect(((saved?["files"] as? [String: Any]) ?? [:]).isEmpty, "no checkpoint may advance")
        #expect(!FileManager.default.fileExists(atPath: corpus.root.appendingPathComponent("state/quarantine.ndjson").path))

        let good = try await FaultServer([], directory: corpus.root)
        let retry = try await ProcessRunner.run(ProcessRunner.sensor, ["scan", "--endpoint", good.endpoint, "--quiet"] + args,
                                                environment: token)
        #expect(retry.status == 0, "\(retry.stderr.suffix(500))")
        #expect(good.int("ids") == expected.count)
    }

    @Test func aRunningSensorKeepsTheBatchThroughA404AndDeliversItLater() async throws {
        let corpus = try await Corpus(megabytes: 1)
        let expected = try await corpus.expectedIDs()
        let server = try await FaultServer(["--answer", "404", "--answer-times", "3"], directory: corpus.root)
        let run = try ProcessRunner.start(ProcessRunner.sensor, ["run", "--endpoint", server.endpoint] + corpus.arguments(state: "state"),
                                          environment: token, log: corpus.root.appendingPathComponent("run.log"))
        try await ProcessRunner.wait(seconds: 60, "every record after the 404s") { server.int("ids") == expected.count }
        run.terminate()
        await ProcessRunner.exit(of: run)
        #expect((server.counters["statuses"] as? [Int] ?? []).filter { $0 == 404 }.count >= 3)
        let status = try JSONSerialization.jsonObject(with: Data(contentsOf: corpus.root.appendingPathComponent("state/status.json"))) as? [String: Any]
        #expect(status?["unexpectedAnswers"] as? Int == 3)
        #expect(!FileManager.default.fileExists(atPath: corpus.root.appendingPathComponent("state/quarantine.ndjson").path))
        let log = try String(contentsOf: corpus.root.appendingPathComponent("run.log"), encoding: .utf8)
        #expect(log.contains("did not acknowledge a batch"))
    }

    @Test func unauthorizedStopsAScanAndPausesARun() async throws {
        let corpus = try await Corpus(megabytes: 1)
        let server = try await FaultServer(["--status", "401"], directory: corpus.root)
        let scan = try await ProcessRunner.run(ProcessRunner.sensor, ["scan", "--endpoint", server.endpoint, "--quiet"]
                                         + corpus.arguments(state: "state"), environment: token)
        #expect(scan.status != 0)
        #expect(scan.stderr.contains("refused the token"))
        let checkpoints = corpus.root.appendingPathComponent("state/checkpoints.json")
        let saved = (try? Data(contentsOf: checkpoints)).flatMap { try? JSONSerialization.jsonObject(with: $0) as? [String: Any] }
        #expect(((saved?["files"] as? [String: Any]) ?? [:]).isEmpty, "no checkpoint may advance")

        let run = try ProcessRunner.start(ProcessRunner.sensor, ["run", "--endpoint", server.endpoint] + corpus.arguments(state: "run-state"),
                                          environment: token, log: corpus.root.appendingPathComponent("run.log"))
        try await Task.sleep(for: .seconds(2))
        #expect(run.isRunning, "run must pause, not exit")
        let log = try String(contentsOf: corpus.root.appendingPathComponent("run.log"), encoding: .utf8)
        #expect(log.contains("uploads paused"))
        run.terminate()
        await ProcessRunner.exit(of: run)
    }

    @Test func sigtermDuringABackfillExitsCleanlyAndTheRestartSendsNothingTwice() async throws {
        let corpus = try await Corpus(megabytes: 4)
        let expected = try await corpus.expectedIDs()
        let server = try await FaultServer(["--slow", "0.05"], directory: corpus.root)
        let batch = 100
        let arguments = corpus.arguments(state: "state", extra: ["--set", "upload.batch_max_records=\(batch)"])
        let run = try ProcessRunner.start(ProcessRunner.sensor, ["run", "--endpoint", server.endpoint] + arguments,
                                          environment: token, log: corpus.root.appendingPathComponent("run.log"))
        try await ProcessRunner.wait(seconds: 30, "some records") { server.int("records") > 0 }
        let stopped = Date()
        run.terminate()  // SIGTERM
        await ProcessRunner.exit(of: run)
        #expect(Date().timeIntervalSince(stopped) < 5)
        #expect(run.terminationStatus == 0)
        #expect(server.int("ids") < expected.count, "the backfill finished before the signal; make the corpus bigger")
        let restart = try await ProcessRunner.run(ProcessRunner.sensor, ["scan", "--endpoint", server.endpoint, "--quiet"] + arguments,
                                            environment: token)
        #expect(restart.status == 0)
        #expect(server.int("ids") == expected.count)
        #expect(server.int("records") - server.int("ids") <= batch)
    }

    @Test func transportRules() throws {
        #expect(throws: EndpointError.self) { try IngestEndpoint(base: URL(string: "http://ingest.example.com")!, token: "t") }
        #expect(throws: Never.self) { try IngestEndpoint(base: URL(string: "http://127.0.0.1:8080")!, token: "t") }
        #expect(throws: Never.self) { try IngestEndpoint(base: URL(string: "https://ingest.example.com")!, token: "t") }
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("token-\(UUID().uuidString)")
        try "secret-token\n".write(to: file, atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: file.path)
        #expect(throws: EndpointError.self) { try IngestEndpoint.token(file: file.path, environment: [:]) }
        try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: file.path)
        #expect(try IngestEndpoint.token(file: file.path, environment: [:]) == "secret-token")
        #expect(try IngestEndpoint.token(file: nil, environment: ["SENSOR_TOKEN": "env-token"]) == "env-token")
        #expect(RetryAfter.seconds("7") == 7)
        #expect(IngestEndpoint.isLoopback("127.0.0.1") && IngestEndpoint.isLoopback("127.3.2.1") && IngestEndpoint.isLoopback("[::1]"))
        #expect(!IngestEndpoint.isLoopback("127.evil.example") && !IngestEndpoint.isLoopback("128.0.0.1"))
        #expect(throws: EndpointError.self) { try IngestEndpoint(base: URL(string: "http://127.evil.example")!, token: "t") }
        let ack = #"{"accepted":2,"duplicates":1,"rejected":[{"id":"x","reason":"schema"}]}"#
        #expect(IngestClient.outcome(status: 200, body: ack, location: nil, retryAfter: nil, envelopes: 4)
            == .accepted(rejected: [.init(id: "x", reason: "schema")], duplicates: 1))
        for (status, body, location) in [(200, ack, nil), (200, "<html>ok</html>", nil), (204, "", nil), (302, "", "/login"),
                                          (404, "", nil), (405, "", nil), (400, "", nil)] as [(Int, String, String?)] {
            guard case .unexpected = IngestClient.outcome(status: status, body: body, location: location, retryAfter: nil, envelopes: 5)
            else { Issue.record("HTTP \(status) \(body) must not acknowledge 5 envelopes"); continue }
        }
        // Retry-After is honoured, never earlier, and spread so a fleet does not return together.
        let waits = (0..<200).map { _ in Shipper.jittered(5) }
        #expect(waits.allSatisfy { $0 >= 5 && $0 <= 10 } && Set(waits.map { Int($0) }).count > 2)
        let date = RetryAfter.seconds("Wed, 21 Oct 2015 07:28:00 GMT", now: Date(timeIntervalSince1970: 1_445_412_470))
        #expect(date == 10)
    }
}
