import Foundation
import Hummingbird
import HummingbirdTesting
@testable import Access
@testable import Explorer
@testable import IngestCore
@testable import IngestStore
@testable import Normalization
import Testing

/// A laptop's token can send, nothing more: scopes, expiry, failed-authentication limits,
/// device binding and the caps on what a batch may carry.
@Suite struct ServerTrustTests {
    /// A new token of `scope` in the test server's store.
    func token(_ test: TestServer, _ scope: TokenScope, expiresAt: Date? = nil, device: String? = nil) async throws -> String {
        let secret = TokenSecret.generate()
        _ = try await test.store.createToken(NewToken(name: "\(scope)-\(UUID().uuidString.prefix(6))", hash: TokenSecret.hash(secret),
                                                      scope: scope, expiresAt: expiresAt, device: device))
        return secret
    }

    static let readRoutes = [IngestServer.Paths.sessions, IngestServer.Paths.sessions + "/abc", IngestServer.Paths.usage,
                             IngestServer.Paths.drift]

    @Test(arguments: StoreKind.available)
    func eachScopeReachesItsRoutesAndGets403FromTheOthers(_ kind: StoreKind) async throws {
        try await TestServer.with(kind) { test in
            let ingest = test.token  // what `token create` makes by default
            let read = try await token(test, .read)
            let admin = try await token(test, .admin)
            try await test.withRouterClient { client in
                func get(_ path: String, _ token: String) async throws -> TestResponse {
                    try await client.execute(uri: path, method: .get, headers: [.authorization: "Bearer \(token)"])
                }
                for path in Self.readRoutes {
                    let refused = try await get(path, ingest)
                    #expect(refused.status == .forbidden, "\(path)")
                    #expect(refused.errorMessage?.contains("scope is ingest") == true)
                    #expect([.ok, .notFound].contains(try await get(path, read).status), "\(path)")
                    #expect([.ok, .notFound].contains(try await get(path, admin).status), "\(path)")
                }
                #expect(try await get(IngestServer.Paths.sensorConfig, ingest).status == .ok)
                #expect(try await get(IngestServer.Paths.sensorConfig, read).status == .forbidden)
                let batch = Envelopes.batch(Envelopes.many(2))
                #expect(try await client.postBatch(batch, token: read).status == .forbidden)
                #expect(try await client.postBatch(batch, token: ingest).status == .ok)
            }
        }
    }

    @Test func anExpiredTokenIsRefusedLikeAnUnknownOne() async throws {
        try await TestServer.with(.sqlite) { test in
            let expired = try await token(test, .read, expiresAt: Date().addingTimeInterval(-1))
            let live = try await token(test, .read, expiresAt: Date().addingTimeInterval(3600))
            try await test.withRouterClient { client in
                let old = try await client.execute(uri: IngestServer.Paths.sessions, method: .get, headers: [.authorization: "Bearer \(expired)"])
                #expect(old.status == .unauthorized)
                let fresh = try await client.execute(uri: IngestServer.Paths.sessions, method: .get, headers: [.authorization: "Bearer \(live)"])
                #expect(fresh.status == .ok)
            }
        }
    }

    @Test func failedAuthenticationIsLimitedPerAddressInBoundedMemory() async throws {
        // A window of an hour: on two busy cores, 25 requests have taken longer than the default minute.
        var limits = TestServer.testLimits
        limits.failedAuthWindow = 3600
        try await TestServer.with(.sqlite, limits: limits) { test in
            try await test.withRouterClient { client in
                var statuses: [HTTPResponse.Status] = []
                for _ in 0..<25 {
                    statuses.append(try await client.execute(uri: IngestServer.Paths.sessions, method: .get,
                                                             headers: [.authorization: "Bearer wrong"]).status)
                }
                #expect(statuses.prefix(20).allSatisfy { $0 == .unauthorized })
                #expect(statuses.suffix(5).allSatisfy { $0 == .tooManyRequests })
                let blocked = try await client.execute(uri: IngestServer.Paths.sessions, method: .get,
                                                       headers: [.authorization: "Bearer still-wrong"])
                #expect(blocked.headers[.retryAfter].flatMap { Int($0) } ?? 0 > 0)
                // Laptops behind one NAT or proxy share an address: a valid token still gets in.
                let good = try await client.postBatch(Envelopes.batch(Envelopes.many(1)), token: test.token)
                #expect(good.status == .ok)
            }
        }
        let limiter = FailedAuthLimiter(limit: 3, window: 60, capacity: 100)
        for address in 0..<10_000 { limiter.failed("10.0.\(address / 256).\(address % 256)") }
        #expect(limiter.count <= 100)
        for _ in 0..<3 { limiter.failed("192.0.2.1") }
        #expect(limiter.blocked("192.0.2.1") != nil && limiter.blocked("192.0.2.2") == nil)
        #expect(limiter.blocked("192.0.2.1", now: Date().addingTimeInterval(61)) == nil, "the window ends")
    }

    @Test(arguments: StoreKind.available)
    func anIngestTokenIsBoundToItsDeviceAndOtherDevicesAreRejectedOneByOne(_ kind: StoreKind) async throws {
        try await TestServer.with(kind) { test in
            try await test.withRouterClient { client in
                let first = try await client.postBatch(Envelopes.batch([Envelopes.make(device: "d-alice")]), token: test.token)
                #expect(try first.answer().accepted == 1)
                let mixed = [Envelopes.make(device: "d-alice"), Envelopes.make(device: "d-bob"), Envelopes.make(device: "d-alice")]
                let answer = try await client.postBatch(Envelopes.batch(mixed), token: test.token).answer()
                #expect(answer.accepted == 2)
                #expect(answer.rejected.map(\.index) == [1])
                #expect(answer.rejected.first?.reason.hasPrefix("device_mismatch") == true)
                #expect(test.server.metrics.render().contains("sensor_ingest_device_mismatch_total 1"))
            }
            #expect(try await test.store.listTokens().first { $0.scope == .ingest }?.device == "d-alice")
            // A reinstalled laptop with a new device id: the operator unbinds, the next batch binds afresh.
            #expect(try await test.store.unbindDevice(.name(test.tokenName, tenantID: Tenant.defaultID)) == 1)
            try await test.withRouterClient { client in
                let rebound = try await client.postBatch(Envelopes.batch([Envelopes.make(device: "d-bob")]), token: test.token)
                #expect(try rebound.answer().accepted == 1)
            }
            // A token made for a device is bound from the start.
            let made = try await token(test, .ingest, device: "d-carol")
            try await test.withRouterClient { client in
                let answer = try await client.postBatch(Envelopes.batch([Envelopes.make(device: "d-dave")]), token: made).answer()
                #expect(answer.accepted == 0 && answer.rejected.count == 1)
            }
        }
    }

    @Test(arguments: StoreKind.available)
    func aHugeBatchIDIsRefusedBeforeAnythingIsStored(_ kind: StoreKind) async throws {
        // The server's own limits (96 MiB inflated): a 10 MB batch_id fits in the body, and is refused.
        try await TestServer.with(kind, limits: IngestServer.Limits()) { test in
            try await test.withRouterClient { client in
                let huge = Envelopes.batch(Envelopes.many(100), id: String(repeating: "a", count: 10_000_000))
                let response = try await client.postBatch(huge, token: test.token)
                #expect(response.status == .badRequest)
                #expect(response.errorMessage?.contains("batch_id must be a string of 1 to 128 bytes") == true)
            }
            #expect(try await test.storedCount() == 0)
        }
    }

    @Test func metricsCanRequireATokenAndLabelsAreEscaped() async throws {
        try await StoreKind.sqlite.withFreshStore { store in
            let directory = FileManager.default.temporaryDirectory.appendingPathComponent("metrics-\(UUID().uuidString)")
            let provider = ServerConfigProvider(location: nil, logger: .quiet) { _, _ in [] }
            let server = IngestServer(store: store, config: provider, metricsToken: "scrape-me", logger: .quiet)
            _ = directory
            try await Application(router: server.router(), logger: .quiet).test(.router) { client in
                #expect(try await client.execute(uri: IngestServer.Paths.metrics, method: .get).status == .unauthorized)
                let scraped = try await client.execute(uri: IngestServer.Paths.metrics, method: .get,
                                                       headers: [.authorization: "Bearer scrape-me"])
                #expect(scraped.status == .ok)
            }
        }
        #expect(IngestMetrics.label(#"a"b\c"# + "\nd") == #"a\"b\\c\nd"#)
    }
}
