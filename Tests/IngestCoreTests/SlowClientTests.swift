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

/// Slow clients cannot hold the server: a request head must come in time, a body must keep a
/// minimum rate, and one token holds at most its share of the ingest slots.
@Suite(.serialized) struct SlowClientTests {
    /// Opens `count` connections to `port` that each send half a request head and then nothing
    /// more; prints how many the server has closed after `wait` seconds (those still open looked
    /// at again for up to a minute).
    static let slowloris = """
        import socket, sys, time
        port, count, wait = int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3])
        sockets = []
        for _ in range(count):
            s = socket.create_connection(("127.0.0.1", port))
            s.sendall(b"POST /api/v1/ingest/local-sessions HTTP/1.1\\r\\nHost: x\\r\\n")
            sockets.append(s)
        print("open", len(sockets), flush=True)
        time.sleep(wait)
        # Then each one closed is counted, looked at again until all are or a minute has passed
        # (a starved machine times the last ones out late; a server that never does fails).
        for s in sockets:
            s.setblocking(False)
        closed, deadline = 0, time.monotonic() + 60
        while sockets and time.monotonic() < deadline:
            still = []
            for s in sockets:
                try:
                    closed += s.recv(1) == b""  # an answer instead of a close is never counted
                except BlockingIOError:
                    still.append(s)
                except OSError:
                    closed += 1
            sockets = still
            if sockets:
                time.sleep(0.5)
        print("closed", closed, flush=True)
        """

    /// Against the real `sensor-ingest` process: NIO traps when a server stops with accepted
    /// connections still buffered, not yet handed to a handler (apple/swift-nio#3481), which ten
    /// thousand connections on a loaded machine make likely; in a process of its own that ends a
    /// server that is shutting down anyway, not the test run.
    @Test func tenThousandSlowConnectionsAreTimedOutWhileANormalSensorUploads() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("slowloris-\(UUID().uuidString.prefix(8))")
        defer { try? FileManager.default.removeItem(at: directory) }
        let database = directory.appendingPathComponent("ingest.db").path
        let server = try await IngestServerProcess(database: database, directory: directory, extra: ["--header-timeout", "3"])
        defer { server.kill() }
        let url = server.endpoint
        let port = Int(url.split(separator: ":").last!)!
        let log = directory.appendingPathComponent("slowloris.log")
        let holder = try await onOwnThread {
            try ProcessRunner.start(URL(fileURLWithPath: "/usr/bin/env"), ["python3", "-c", Self.slowloris, "\(port)", "10000", "8"], log: log)
        }
        // A guard, not the property: opening them took over 60 s in a full parallel run here.
        try await ProcessRunner.wait(seconds: 240, "10,000 connections open") {
            ((try? String(contentsOf: log, encoding: .utf8)) ?? "").contains("open 10000") || !holder.isRunning
        }
        // Meanwhile a normal sensor keeps uploading. Like the sensor, it sends a batch again when
        // its connection is closed before the answer, or while the request is written (on a loaded machine its own request head can
        // miss the 3 s given here to every connection); each batch is stored once whatever it took.
        for round in 0..<5 {
            let batch = Envelopes.batch(Envelopes.many(20))
            var status: Int?
            for _ in 0..<10 where status == nil {
                do {
                    status = try await LiveServer.post(batch, to: url, token: server.token).status
                } catch let error as HTTPClientError where error == .remoteConnectionClosed {
                    try await Task.sleep(for: .milliseconds(200))
                } catch let error as ChannelError where error == .ioOnClosedChannel {
                    try await Task.sleep(for: .milliseconds(200))  // closed as the request was being written
                }
            }
            #expect(status == 200, "round \(round)")
        }
        await ProcessRunner.exit(of: holder)
        let text = (try? String(contentsOf: log, encoding: .utf8)) ?? ""
        #expect(text.contains("closed 10000"), "\(text)")
        let stats = try await ProcessRunner.run(ProcessRunner.sensorIngest, ["stats", "--json", "--database", database])
        let counts = try #require(try JSONSerialization.jsonObject(with: stats.stdout) as? [[String: Any]])
        #expect(counts.reduce(0) { $0 + ($1["envelopes"] as? Int ?? 0) } == 100)
    }

    @Test func aTricklingBodyLosesItsSlotAndOneTokenCannotTakeThemAll() async throws {
        var limits = TestServer.testLimits
        limits.maxConcurrentIngests = 4
        limits.maxConcurrentIngestsPerToken = 2
        limits.maxConcurrentIngestsPerTenant = 4  // both tokens are the default tenant's: this is about the per-token share
        limits.bodyGrace = .seconds(1)
        limits.minimumBodyBytesPerSecond = 64 << 10
        // The trickles wait between their parts while the steps below run: under a full parallel
        // run those took over 30 s, the connections' idle timeout, which then closed them before
        // the rate check this test is about could answer 408.
        limits.idleTimeout = .seconds(600)
        try await TestServer.with(.sqlite, limits: limits) { test in
            try await LiveServer.with(test.server) { url in
                let body = Self.body
                let (first, firstSender) = Self.trickle(url, token: test.token)
                let (second, secondSender) = Self.trickle(url, token: test.token)
                // Guards against a server that never answers: the server's own 408 is the property
                // (the steps below took over 30 s in a clean-clone run at load average 20).
                async let one = HTTPClient.shared.execute(first, timeout: .seconds(240))
                async let two = HTTPClient.shared.execute(second, timeout: .seconds(240))
                _ = try await SensorConfigTests.eventually { try await OverloadTests.metrics(url) } until: {
                    $0.contains("sensor_ingest_ingests_in_progress 2")
                }
                // The same token has used its share; another token still gets in.
                #expect(try await LiveServer.post(Envelopes.batch(Envelopes.many(1)), to: url, token: test.token).status == 503)
                let other = TokenSecret.generate()
                _ = try await test.store.createToken(NewToken(name: "other", hash: TokenSecret.hash(other)))
                #expect(try await LiveServer.post(Envelopes.batch([Envelopes.make(device: "d-other")]), to: url, token: other).status == 200)
                // Past the grace, the trickle is below the minimum rate: 408, and the slots come back.
                try await Task.sleep(for: .milliseconds(1500))
                firstSender.yield(ByteBuffer(bytes: body[100..<200]))
                secondSender.yield(ByteBuffer(bytes: body[100..<200]))
                #expect(try await one.status == .requestTimeout)
                #expect(try await two.status == .requestTimeout)
                firstSender.finish()
                secondSender.finish()
                #expect(try await LiveServer.post(Envelopes.batch(Envelopes.many(1)), to: url, token: test.token).status == 200)
            }
        }
    }

    static let body = Envelopes.gzip(Envelopes.batch(Envelopes.many(300)))

    /// A batch whose first 100 bytes are sent now, the rest when the caller yields them.
    static func trickle(_ url: String, token: String) -> (HTTPClientRequest, AsyncStream<ByteBuffer>.Continuation) {
        let (parts, sender) = AsyncStream<ByteBuffer>.makeStream()
        sender.yield(ByteBuffer(bytes: body[..<100]))
        var request = HTTPClientRequest(url: url + IngestServer.Paths.ingest)
        request.method = .POST
        request.headers.add(name: "Authorization", value: "Bearer \(token)")
        request.headers.add(name: "Content-Encoding", value: "gzip")
        request.body = .stream(parts, length: .known(Int64(body.count)))
        return (request, sender)
    }

    /// Probe F7: four tokens of one tenant trickling above the minimum rate held every slot.
    @Test func oneTenantsTokensTogetherHoldAtMostHalfTheSlotsAndEveryBodyEndsAtItsDeadline() async throws {
        var limits = TestServer.testLimits
        limits.maxConcurrentIngests = 4
        limits.maxConcurrentIngestsPerToken = 1
        limits.minimumBodyBytesPerSecond = 1  // the trickle stays above the floor, as the probe's did
        limits.bodyDeadline = .seconds(2)
        try await TestServer.with(.sqlite, limits: limits) { test in
            let mallory = try await test.store.createTenant(name: "mallory")
            var tokens: [String] = []
            for index in 0..<3 {
                let secret = TokenSecret.generate()
                _ = try await test.store.createToken(NewToken(name: "m\(index)", hash: TokenSecret.hash(secret), tenantID: mallory.id))
                tokens.append(secret)
            }
            try await LiveServer.with(test.server) { url in
                let (first, firstSender) = Self.trickle(url, token: tokens[0])
                let (second, secondSender) = Self.trickle(url, token: tokens[1])
                // Guards against a server that never answers: the server's own 408 is the property
                // (the steps below took over 30 s in a clean-clone run at load average 20).
                async let one = HTTPClient.shared.execute(first, timeout: .seconds(240))
                async let two = HTTPClient.shared.execute(second, timeout: .seconds(240))
                _ = try await SensorConfigTests.eventually { try await OverloadTests.metrics(url) } until: {
                    $0.contains("sensor_ingest_ingests_in_progress 2")
                }
                let third = try await LiveServer.post(Envelopes.batch([Envelopes.make(device: "d-m2")]), to: url, token: tokens[2])
                #expect(third.status == 503, "the tenant holds its half")
                let other = try await LiveServer.post(Envelopes.batch(Envelopes.many(1)), to: url, token: test.token)
                #expect(other.status == 200, "another tenant still gets in")
                try await Task.sleep(for: .milliseconds(2500))
                firstSender.yield(ByteBuffer(bytes: Self.body[100..<200]))
                secondSender.yield(ByteBuffer(bytes: Self.body[100..<200]))
                #expect(try await one.status == .requestTimeout)
                #expect(try await two.status == .requestTimeout)
                firstSender.finish()
                secondSender.finish()
            }
        }
    }

    /// Probe F8: a batch's cost beyond its bytes is bounded by its envelope count.
    @Test func aBatchOfMoreEnvelopesThanTheCapIsRefusedWhole() async throws {
        var limits = TestServer.testLimits
        limits.maxEnvelopesPerBatch = 10
        try await TestServer.with(.sqlite, limits: limits) { test in
            try await test.withRouterClient { client in
                let over = try await client.postBatch(Envelopes.batch(Envelopes.many(11)), token: test.token)
                #expect(over.status == .contentTooLarge && over.errorMessage?.contains("11 envelopes exceeds 10") == true)
                let within = try await client.postBatch(Envelopes.batch(Envelopes.many(10)), token: test.token)
                #expect(try within.answer().accepted == 10)
            }
            #expect(try await test.storedCount() == 10)
        }
    }
}
