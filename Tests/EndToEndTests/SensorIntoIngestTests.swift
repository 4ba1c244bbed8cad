import Foundation
import SQLiteDB
import SensorTestSupport
import Testing

/// The real `sensor` binary backfills into a real `sensor-ingest` on 127.0.0.1.
@Suite(.serialized) struct SensorIntoIngestTests {
    static var postgresURL: String? { ProcessInfo.processInfo.environment["SENSOR_TEST_POSTGRES_URL"] }
    static var databases: [String] { postgresURL == nil ? ["sqlite"] : ["sqlite", "postgres"] }

    /// A fresh database location: a SQLite path, or a new PostgreSQL database (via psql).
    static func freshDatabase(_ kind: String, in directory: URL) async throws -> String {
        guard kind == "postgres", let url = postgresURL, var components = URLComponents(string: url) else {
            return directory.appendingPathComponent("ingest-\(UUID().uuidString.prefix(8)).db").path
        }
        let name = "e2e_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").prefix(12).lowercased()
        let created = try await ProcessRunner.run(URL(fileURLWithPath: "/usr/bin/env"), ["psql", url, "-c", "CREATE DATABASE \(name)"])
        #expect(created.status == 0, "\(created.stderr)")
        TestDatabases.dropAtExit(name, admin: url)
        components.path = "/" + name
        return components.string!
    }

    @Test(arguments: databases)
    func theRawTableHoldsExactlyTheDryRunEnvelopes(_ kind: String) async throws {
        let home = try FixtureHome.make()
        defer { home.remove() }
        let work = home.root.appendingPathComponent(".work")
        let state = work.appendingPathComponent("state")
        let server = try await IngestServerProcess(database: try await Self.freshDatabase(kind, in: work), directory: work)
        defer { server.stop() }
        // A pasted screenshot: a record too long to hold in memory, spooled to disk on its way.
        let image = String(repeating: "iVBORw0KGgoAAAANSUhEUgAAB4AAAAQ4CAYAAADo", count: 300_000)
        let big = home.root.appendingPathComponent(".claude/projects/-home-me-big/22222222-2222-4222-8222-222222222222.jsonl")
        try FileManager.default.createDirectory(at: big.deletingLastPathComponent(), withIntermediateDirectories: true)
        try Data(("{\"type\":\"user\",\"sessionId\":\"22222222-2222-4222-8222-222222222222\",\"uuid\":\"u1\","
                  + "\"message\":{\"role\":\"user\",\"content\":[{\"type\":\"image\",\"source\":{\"type\":\"base64\","
                  + "\"media_type\":\"image/png\",\"data\":\"\(image)\"}}]}}\n").utf8).write(to: big)

        // A pasted token: redacted on the laptop, its rule named to this server (which says it takes rule names).
        let pasted = home.root.appendingPathComponent(".claude/projects/-home-me-keys/33333333-3333-4333-8333-333333333333.jsonl")
        try FileManager.default.createDirectory(at: pasted.deletingLastPathComponent(), withIntermediateDirectories: true)
        try Data(("{\"type\":\"user\",\"sessionId\":\"33333333-3333-4333-8333-333333333333\",\"uuid\":\"u1\","
                  + "\"message\":{\"role\":\"user\",\"content\":\"use ghp_\(String(repeating: "Zq7w", count: 9)) please\"}}\n").utf8).write(to: pasted)
        let dryRun = try await ProcessRunner.run(ProcessRunner.sensor, ["scan", "--dry-run", "--home", home.root.path, "--state-dir", state.path])
        #expect(dryRun.status == 0)
        let scan = try await ProcessRunner.run(ProcessRunner.sensor, ["scan", "--home", home.root.path, "--state-dir", state.path,
                                                                "--endpoint", server.endpoint, "--token-file", server.tokenFile.path, "--quiet"])
        #expect(scan.status == 0, "\(scan.stderr)")
        // The server said it takes zstd (Accept-Encoding on its sensor-config answer): the batches
        // came as zstd frames, the spooled screenshot's alone as gzip from its file.
        let metrics = try await ProcessRunner.run(URL(fileURLWithPath: "/usr/bin/env"), [
            "python3", "-c", "import sys, urllib.request; print(urllib.request.urlopen(sys.argv[1]).read().decode())", server.endpoint + "/metrics"]).text
        let zstdBatches = metrics.split(separator: "\n").first { $0.hasPrefix("sensor_ingest_batches_total{encoding=\"zstd\"}") }
        #expect(zstdBatches.flatMap { Int($0.split(separator: " ").last ?? "") } ?? 0 > 0, "\(metrics)")
        #expect(metrics.contains("sensor_ingest_batches_total{encoding=\"gzip\"} 1"))
        server.stop()

        // The machine as its sensor describes it: this host's name and this account.
        let devices = try await ProcessRunner.run(ProcessRunner.sensorIngest, ["device", "list", "--json", "--database", server.database])
        let machine = try #require((try JSONSerialization.jsonObject(with: devices.stdout) as? [[String: Any]])?.first)
        #expect(machine["host"] as? String == ProcessInfo.processInfo.hostName, "\(machine)")
        #expect(machine["user"] as? String == (ProcessInfo.processInfo.environment["USER"] ?? NSUserName()), "\(machine)")
        #expect(machine["sensorVersion"] as? String == "0.1.0" && (machine["osVersion"] as? String)?.isEmpty == false)
        let stored = try await ProcessRunner.run(ProcessRunner.sensorIngest, ["stats", "--json", "--database", server.database])
        let counts = try #require(try JSONSerialization.jsonObject(with: stored.stdout) as? [[String: Any]])
        let total = counts.reduce(0) { $0 + ($1["envelopes"] as? Int ?? 0) }
        #expect(total == dryRun.lines.count)

        // Same ids, same records: everything but collected_at (the time of each pass) is equal.
        func normalized(_ line: String) throws -> NSDictionary {
            var object = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
            object["collected_at"] = nil
            return object as NSDictionary
        }
        let expected = Dictionary(uniqueKeysWithValues: try dryRun.lines.map { line -> (String, NSDictionary) in
            let object = try normalized(line)
            return (object["id"] as! String, object)
        })
        let dump = try await ProcessRunner.run(ProcessRunner.sensorIngest, ["dump", "--database", server.database])
        #expect(dump.status == 0, "\(dump.stderr)")
        #expect(dump.lines.count == expected.count)
        for line in dump.lines {
            let object = try normalized(line)
            #expect(expected[object["id"] as! String] == object)
        }
        let redacted = try #require(dump.lines.first { $0.contains("33333333-3333-4333-8333-333333333333") })
        #expect(redacted.contains(#""redactions":1,"redacted_by":{"github-token":1}"#) && !redacted.contains("Zq7w"), "\(redacted)")
        let screenshot = try #require(dump.lines.first { $0.contains("22222222-2222-4222-8222-222222222222") && $0.count > 12_000_000 })
        let record = try #require((try normalized(screenshot))["record"] as? [String: Any])
        let content = try #require((record["message"] as? [String: Any])?["content"] as? [[String: Any]])
        #expect((content.first?["source"] as? [String: Any])?["data"] as? String == image)
        #expect(try FileManager.default.contentsOfDirectory(atPath: state.appendingPathComponent("spool").path)
            .allSatisfy { try FileManager.default.contentsOfDirectory(atPath: state.appendingPathComponent("spool/\($0)").path).isEmpty })

        // A second backfill sends nothing new.
        let again = try await ProcessRunner.run(ProcessRunner.sensor, ["scan", "--dry-run", "--home", home.root.path, "--state-dir", state.path])
        #expect(again.lines.isEmpty)
    }

    /// An acknowledged envelope is on disk before the 200 leaves: killing the server (SIGKILL,
    /// no shutdown) right after a backfill loses none of them.
    @Test(arguments: databases)
    func everyAcknowledgedEnvelopeSurvivesAKillNine(_ kind: String) async throws {
        let home = try FixtureHome.make()
        defer { home.remove() }
        let work = home.root.appendingPathComponent(".work")
        let state = work.appendingPathComponent("state")
        let server = try await IngestServerProcess(database: try await Self.freshDatabase(kind, in: work), directory: work)
        defer { server.stop() }
        let scan = try await ProcessRunner.run(ProcessRunner.sensor, ["scan", "--home", home.root.path, "--state-dir", state.path,
                                                                      "--endpoint", server.endpoint, "--token-file", server.tokenFile.path, "--quiet"])
        server.kill()
        #expect(scan.status == 0, "\(scan.stderr)")
        let acknowledged = try #require(scan.stderr.range(of: #"acknowledged=\d+"#, options: .regularExpression).map {
            Int(scan.stderr[$0].dropFirst("acknowledged=".count))! })
        let stored = try await ProcessRunner.run(ProcessRunner.sensorIngest, ["stats", "--json", "--database", server.database])
        let counts = try #require(try JSONSerialization.jsonObject(with: stored.stdout) as? [[String: Any]])
        #expect(acknowledged > 0)
        #expect(counts.reduce(0) { $0 + ($1["envelopes"] as? Int ?? 0) } == acknowledged)
    }

    @Test func httpsWithAPrivateCAAndNotWithout() async throws {
        let work = FileManager.default.temporaryDirectory.appendingPathComponent("tls-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: work, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: work) }
        let certificate = work.appendingPathComponent("cert.pem"), key = work.appendingPathComponent("key.pem")
        let generated = try await ProcessRunner.run(URL(fileURLWithPath: "/usr/bin/env"), [
            "openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=127.0.0.1",
            "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", key.path, "-out", certificate.path])
        #expect(generated.status == 0, "\(generated.stderr)")
        let server = try await IngestServerProcess(database: work.appendingPathComponent("ingest.db").path, directory: work,
                                             extra: ["--tls-cert", certificate.path, "--tls-key", key.path])
        defer { server.stop() }
        #expect(server.endpoint.hasPrefix("https://"))

        let home = work.appendingPathComponent("home/logs")
        try FileManager.default.createDirectory(at: home, withIntermediateDirectories: true)
        try #"{"hello":"tls"}"#.appending("\n").write(to: home.appendingPathComponent("a.jsonl"), atomically: true, encoding: .utf8)
        let sources = work.appendingPathComponent("sources.d")
        try FileManager.default.createDirectory(at: sources, withIntermediateDirectories: true)
        try """
        sources:
          - {id: tls.log, kind: tls.log, roots: {default: ["~/logs"]}, include: ["*.jsonl"], format: jsonl, offset: byte}
        """.write(to: sources.appendingPathComponent("tls.yaml"), atomically: true, encoding: .utf8)
        let common = ["scan", "--home", work.appendingPathComponent("home").path, "--sources-dir", sources.path,
                      "--state-dir", work.appendingPathComponent("state").path, "--endpoint", server.endpoint,
                      "--token-file", server.tokenFile.path, "--quiet"]

        // Without the CA: the certificate is not trusted; nothing is acknowledged, so the
        // one-shot scan keeps retrying. Bound it and check nothing arrived.
        let untrusted = try await ProcessRunner.run(URL(fileURLWithPath: "/usr/bin/env"), ["timeout", "4", ProcessRunner.sensor.path] + common)
        #expect(untrusted.status == 124, "the scan must not complete: \(untrusted.stderr.suffix(500))")
        let nothing = try await ProcessRunner.run(ProcessRunner.sensorIngest, ["stats", "--json", "--database", server.database])
        #expect(!nothing.text.contains("envelopes"), "\(nothing.text)")

        let trusted = try await ProcessRunner.run(ProcessRunner.sensor, common + ["--ca-file", certificate.path, "--log-level", "info"])
        #expect(trusted.status == 0, "\(trusted.stderr)")
        server.stop()
        let stats = try await ProcessRunner.run(ProcessRunner.sensorIngest, ["stats", "--json", "--database", server.database])
        #expect(stats.text.contains("\"envelopes\" : 1"))
    }

    @Test func twoServersOnOnePostgreSQLStoreEachEnvelopeOnce() async throws {
        guard Self.postgresURL != nil else { return }
        let work = FileManager.default.temporaryDirectory.appendingPathComponent("pg2-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: work) }
        let database = try await Self.freshDatabase("postgres", in: work)
        let first = try await IngestServerProcess(database: database, directory: work)
        let second = try await IngestServerProcess(database: database, directory: work)
        defer { first.stop(); second.stop() }

        // 20 batches of 100 envelopes (a quarter shared between batches), each posted to both
        // servers at the same time.
        var batches: [URL] = []
        var ids = Set<String>()
        for batch in 0..<20 {
            var records: [String] = []
            for index in 0..<100 {
                let id = String(format: "%016x%016x", batch * 75 + index, 0xABCDEF)  // overlaps the next batch
                ids.insert(id)
                records.append("""
                    {"schema_version":1,"source":"pg.test","kind":"pg.test","device":"d","sensor":"0.1.0",\
                    "collected_at":"2026-11-24T19:00:00Z","id":"\(id)","locator":{},"encoding":"json","record":{"i":\(index)}}
                    """)
            }
            let url = work.appendingPathComponent("batch-\(batch).json")
            try #"{"batch_id":"b\#(batch)","sensor":{"device":"d","version":"0.1.0"},"records":[\#(records.joined(separator: ","))]}"#
                .write(to: url, atomically: true, encoding: .utf8)
            batches.append(url)
        }
        // Both servers receive every batch at the same time (threads in one helper process).
        let targets = [first, second].map { "\($0.endpoint) \($0.token)" }.joined(separator: ",")
        let posted = try await ProcessRunner.run(URL(fileURLWithPath: "/usr/bin/env"), ["python3", "-c", """
            import sys, threading, urllib.request
            targets = [t.split(" ") for t in sys.argv[1].split(",")]
            codes = []
            import time, urllib.error
            busy = []
            def post(endpoint, token, path):
                request = urllib.request.Request(endpoint + "/api/v1/ingest/local-sessions", data=open(path, "rb").read(),
                    headers={"Authorization": "Bearer " + token, "Content-Type": "application/json"}, method="POST")
                for attempt in range(50):
                    try:
                        with urllib.request.urlopen(request, timeout=30) as response:
                            codes.append(str(response.status)); return
                    except urllib.error.HTTPError as error:
                        if error.code not in (429, 503): raise
                        busy.append(error.code)
                        time.sleep(float(error.headers.get("Retry-After", "1")) / 10)
            threads = [threading.Thread(target=post, args=(e, t, p)) for p in sys.argv[2:] for e, t in targets]
            for thread in threads: thread.start()
            for thread in threads: thread.join()
            print("\\n".join(codes))
            """, targets] + batches.map(\.path))
        #expect(posted.lines.count == 40)
        #expect(posted.lines.allSatisfy { $0 == "200" }, "\(posted.text)")
        first.stop()
        second.stop()
        let stats = try await ProcessRunner.run(ProcessRunner.sensorIngest, ["stats", "--json", "--database", database])
        let counts = try #require(try JSONSerialization.jsonObject(with: stats.stdout) as? [[String: Any]])
        #expect(counts.first?["envelopes"] as? Int == ids.count)
    }
}
