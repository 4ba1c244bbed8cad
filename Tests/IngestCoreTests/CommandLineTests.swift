import AsyncHTTPClient
import Foundation
import Access
import Explorer
import IngestCore
import IngestStore
import Normalization
import NIOCore
import SensorTestSupport
import Testing

/// The `sensor-ingest` binary: token commands, stats, serving, and stopping on SIGTERM.
@Suite struct CommandLineTests {
    static func ingest(_ arguments: [String]) async throws -> ProcessRunner.Result {
        try await ProcessRunner.run(ProcessRunner.sensorIngest, arguments)
    }

    static func database(_ location: StoreLocation) -> String {
        switch location {
        case .sqlite(let path): return path
        case .postgres(let url): return url
        }
    }

    @Test(arguments: StoreKind.available)
    func tokensAreCreatedOnceListedAndRevoked(_ kind: StoreKind) async throws {
        try await kind.withFreshLocation { location in
            let database = Self.database(location)
            let created = try await Self.ingest(["token", "create", "--name", "laptop-42", "--database", database])
            #expect(created.status == 0, "\(created.stderr)")
            let secret = created.text.trimmingCharacters(in: .whitespacesAndNewlines)
            #expect(secret.hasPrefix("sst_") && secret.count == 68)
            #expect(created.stderr.contains("shown only this once"))
            _ = try await Self.ingest(["token", "create", "--name", "ci", "--database", database])

            let listed = try await Self.ingest(["token", "list", "--database", database])
            #expect(listed.lines.count == 3)
            #expect(listed.lines[1].hasPrefix("1\tlaptop-42\t") && listed.lines[1].hasSuffix("\tactive"))
            #expect(!listed.text.contains(secret) && !listed.text.contains(TokenSecret.hash(secret)))

            let revoked = try await Self.ingest(["token", "revoke", "laptop-42", "--database", database])
            #expect(revoked.status == 0 && revoked.text == "revoked 1 token\n")
            let byID = try await Self.ingest(["token", "revoke", "--id", "2", "--database", database])
            #expect(byID.status == 0)
            let again = try await Self.ingest(["token", "revoke", "laptop-42", "--database", database])
            #expect(again.status != 0)
            #expect(again.stderr.contains("no active token with name laptop-42"))
            let both = try await Self.ingest(["token", "revoke", "laptop-42", "--id", "1", "--database", database])
            #expect(both.status != 0 && both.stderr.contains("not both"), "a name and an id at once are refused")
            let after = try await Self.ingest(["token", "list", "--database", database])
            #expect(after.lines.dropFirst().allSatisfy { $0.contains("\trevoked ") })
        }
    }

    @Test func serveStoresWhatItReceivesAndFinishesInFlightRequestsOnSIGTERM() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("ingest-cli-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        let database = directory.appendingPathComponent("ingest.db").path
        // A loaded machine (the whole suite at once) may take longer than the default 30 s between
        // the two halves of the body: the limits are the server's, not what this test checks.
        let server = try await IngestServerProcess(database: database, directory: directory,
                                                   extra: ["--idle-timeout", "600", "--body-grace", "600", "--body-deadline", "600"])
        defer { server.stop() }
        #expect(server.endpoint.hasPrefix("http://127.0.0.1:"))

        let first = try await LiveServer.post(Envelopes.batch(Envelopes.many(10, source: "a")), to: server.endpoint,
                                              token: server.token)
        #expect(first.status == 200)

        // A batch still arriving when SIGTERM comes is finished and answered before the exit.
        let body = Envelopes.gzip(Envelopes.batch(Envelopes.many(100, source: "b")))
        let (parts, sender) = AsyncStream<ByteBuffer>.makeStream()
        sender.yield(ByteBuffer(bytes: body[..<(body.count / 2)]))
        var request = HTTPClientRequest(url: server.endpoint + IngestServer.Paths.ingest)
        request.method = .POST
        request.headers.add(name: "Authorization", value: "Bearer \(server.token)")
        request.headers.add(name: "Content-Encoding", value: "gzip")
        request.body = .stream(parts, length: .known(Int64(body.count)))
        let inFlight = request
        async let response = HTTPClient.shared.execute(inFlight, timeout: .seconds(600))
        _ = try await SensorConfigTests.eventually { try await OverloadTests.metrics(server.endpoint) } until: {
            $0.contains("sensor_ingest_ingests_in_progress 1")
        }
        server.process.terminate()
        try await Task.sleep(for: .milliseconds(300))
        #expect(server.process.isRunning, "it waits for the request in flight")
        sender.yield(ByteBuffer(bytes: body[(body.count / 2)...]))
        sender.finish()
        #expect(try await response.status == .ok)

        _ = try await SensorConfigTests.eventually { server.process.isRunning } until: { !$0 }
        #expect(!server.process.isRunning)
        #expect(server.process.terminationStatus == 0)

        let stats = try await Self.ingest(["stats", "--json", "--database", database])
        let counts = try JSONDecoder().decode([SourceCount].self, from: stats.stdout)
        #expect(counts.map { "\($0.source)=\($0.envelopes)" } == ["a=10", "b=100"])
        let table = try await Self.ingest(["stats", "--database", database])
        #expect(table.lines.first?.hasPrefix("source") == true)
        #expect(table.lines.last?.contains(" 110 ") == true)
        let dump = try await Self.ingest(["dump", "--database", database])
        #expect(dump.lines.count == 110)
    }

    @Test func serveRefusesAGzipBombWith413WithoutInflatingIt() async throws {
        // 2 GiB of zeros in about 2 MiB: past the 8 MiB inflated cap after a few blocks.
        let bomb = GzipBomb.make(megabytes: 2048)
        #expect(bomb.count < 3 << 20)
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("ingest-cli-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        let server = try await IngestServerProcess(database: directory.appendingPathComponent("ingest.db").path,
                                                   directory: directory, extra: ["--max-body-mb", "4", "--max-inflated-mb", "8"])
        defer { server.stop() }
        // Warm up the request path first, so the peak below is what the bomb adds.
        #expect(try await LiveServer.post(Envelopes.batch(Envelopes.many(10)), to: server.endpoint, token: server.token).status == 200)
        let peakBefore = try ProcessMemory.peakResidentBytes(of: server.process.processIdentifier)

        var request = HTTPClientRequest(url: server.endpoint + IngestServer.Paths.ingest)
        request.method = .POST
        request.headers.add(name: "Authorization", value: "Bearer \(server.token)")
        request.headers.add(name: "Content-Encoding", value: "gzip")
        request.body = .bytes(ByteBuffer(bytes: bomb))
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(60))
        let body = String(buffer: try await response.body.collect(upTo: 1 << 20))
        #expect(response.status == .payloadTooLarge)
        #expect(body.contains("inflated body exceeds \(8 << 20) bytes"), "\(body)")

        // Inflating it whole would have taken 2 GiB; the cap is 8 MiB. Measured in the server's
        // own process, so tests running beside this one cannot move the figure.
        let growth = try ProcessMemory.peakResidentBytes(of: server.process.processIdentifier) - peakBefore
        #expect(growth < 64 << 20, "the server's peak resident memory grew by \(growth >> 20) MiB")
    }

    @Test func serveRefusesAnInvalidConfigAtStart() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("ingest-cli-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        try "version: r1\nupload: {gzip_level: fast}\n".write(to: directory.appendingPathComponent("fleet.yaml"),
                                                             atomically: true, encoding: .utf8)
        let result = try await Self.ingest(["serve", "--port", "0", "--database", directory.appendingPathComponent("db").path,
                                      "--config", directory.path])
        #expect(result.status != 0)
        #expect(result.stderr.contains("fleet.yaml:2:"), "\(result.stderr)")
        // The connection and body limits are the operator's to widen, never to switch off.
        for flag in ["--idle-timeout", "--body-grace", "--body-deadline"] {
            let zero = try await Self.ingest(["serve", "--port", "0", "--database", directory.appendingPathComponent("db").path, flag, "0"])
            #expect(zero.status != 0 && zero.stderr.contains("\(flag) must be positive"), "\(flag): \(zero.stderr)")
        }
    }
}
