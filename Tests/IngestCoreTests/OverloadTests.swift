import AsyncHTTPClient
import Foundation
import Access
import Explorer
import IngestCore
import IngestStore
import Normalization
import NIOCore
import Testing

/// Past `maxConcurrentIngests`, a batch is told to come back later instead of queueing.
@Suite struct OverloadTests {
    @Test func pastTheConcurrencyBoundABatchGets503WithRetryAfter() async throws {
        var limits = TestServer.testLimits
        limits.maxConcurrentIngests = 1
        // About the bound, not about slow bodies: the half-sent batch must outlive a starved test
        // process (the full parallel suite on 2 cores held this test for ~180 s), its deadlines
        // and the connection's idle timeout too (a 30 s pause closed it in CI).
        limits.bodyDeadline = .seconds(600)
        limits.bodyGrace = .seconds(600)
        limits.idleTimeout = .seconds(600)
        try await TestServer.with(.sqlite, limits: limits) { test in
            try await LiveServer.with(test.server) { url in
                // The first batch arrives slowly: half now, the rest when the test says so.
                let body = Envelopes.gzip(Envelopes.batch(Envelopes.many(200)))
                let (parts, sender) = AsyncStream<ByteBuffer>.makeStream()
                sender.yield(ByteBuffer(bytes: body[..<(body.count / 2)]))
                var slow = HTTPClientRequest(url: url + IngestServer.Paths.ingest)
                slow.method = .POST
                slow.headers.add(name: "Authorization", value: "Bearer \(test.token)")
                slow.headers.add(name: "Content-Encoding", value: "gzip")
                slow.body = .stream(parts, length: .known(Int64(body.count)))
                let slowRequest = slow
                // Its deadline only keeps a broken server from hanging the test: the steps below
                // run while it is open, and on a loaded 2-core machine they took over 30 s.
                async let slowResponse = HTTPClient.shared.execute(slowRequest, timeout: .seconds(300))

                _ = try await SensorConfigTests.eventually { try await Self.metrics(url) } until: {
                    $0.contains("sensor_ingest_ingests_in_progress 1")
                }
                let busy = try await LiveServer.post(Envelopes.batch(Envelopes.many(1)), to: url, token: test.token)
                #expect(busy.status == 503)
                var retry = HTTPClientRequest(url: url + IngestServer.Paths.ingest)
                retry.method = .POST
                retry.headers.add(name: "Authorization", value: "Bearer \(test.token)")
                retry.body = .bytes(ByteBuffer(bytes: Envelopes.batch(Envelopes.many(1))))
                let again = try await HTTPClient.shared.execute(retry, timeout: .seconds(240))
                #expect(again.status == .serviceUnavailable)
                #expect(again.headers.first(name: "Retry-After") == "1")

                sender.yield(ByteBuffer(bytes: body[(body.count / 2)...]))
                sender.finish()
                let finished = try await slowResponse
                #expect(finished.status == .ok)
                let answer = try JSONDecoder().decode(IngestAnswer.self, from: Data(buffer: try await finished.body.collect(upTo: 1 << 20)))
                #expect(answer.accepted == 200)

                // With room again, the next batch goes in.
                let after = try await LiveServer.post(Envelopes.batch(Envelopes.many(1)), to: url, token: test.token)
                #expect(after.status == 200)
                let metrics = try await Self.metrics(url)
                #expect(metrics.contains(#"sensor_ingest_http_requests_total{route="ingest",status="503"} 2"#))
                #expect(metrics.contains("sensor_ingest_ingests_in_progress 0"))
            }
        }
    }

    static func metrics(_ url: String) async throws -> String {
        let response = try await HTTPClient.shared.execute(HTTPClientRequest(url: url + IngestServer.Paths.metrics),
                                                           timeout: .seconds(120))
        return String(buffer: try await response.body.collect(upTo: 1 << 20))
    }
}
