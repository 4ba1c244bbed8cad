import Foundation
import Hummingbird
import HummingbirdTesting
@testable import Access
@testable import Explorer
@testable import IngestCore
@testable import IngestStore
@testable import Normalization
import Testing

/// Tenants apart: a tenant's envelopes, sessions, usage and drift are its own; the same
/// envelope id sent by two tenants is stored once for each.
@Suite struct TenantTests {
    struct Member {
        var ingest: String
        var read: String
    }

    /// An ingest and a read token in `tenant`.
    static func member(_ test: TestServer, _ tenant: Tenant) async throws -> Member {
        let ingest = TokenSecret.generate()
        let read = TokenSecret.generate()
        _ = try await test.store.createToken(NewToken(name: "\(tenant.name)-laptop", hash: TokenSecret.hash(ingest), tenantID: tenant.id))
        _ = try await test.store.createToken(NewToken(name: "\(tenant.name)-reader", hash: TokenSecret.hash(read), scope: .read,
                                                      tenantID: tenant.id))
        return Member(ingest: ingest, read: read)
    }

    static func claude(_ id: String, session: String, text: String) -> String {
        Envelopes.make(id: id, source: "claude-code.transcripts", kind: "claude-code.transcript", device: "d-same",
                       record: #"{"type":"user","sessionId":"\#(session)","uuid":"u-\#(id.prefix(6))","timestamp":"2026-11-24T19:02:03.000Z","message":{"role":"user","content":"\#(text)"}}"#)
    }

    @Test(arguments: StoreKind.available)
    func tenantsSeeOnlyTheirOwnAndTheSameIDIsStoredOnceForEach(_ kind: StoreKind) async throws {
        try await TestServer.with(kind) { test in
            #expect(try await test.store.tenants().map(\.name) == ["default"], "a single-tenant install has its tenant from the start")
            let a = try await Self.member(test, test.store.createTenant(name: "acme"))
            let b = try await Self.member(test, test.store.createTenant(name: "globex"))
            let shared = Envelopes.randomID()
            try await test.withRouterClient { client in
                // The same id, and the same device and session id, from both tenants.
                let first = try await client.postBatch(Envelopes.batch([Self.claude(shared, session: "s-1", text: "from acme")]), token: a.ingest)
                #expect(try first.answer().accepted == 1)
                let second = try await client.postBatch(Envelopes.batch([Self.claude(shared, session: "s-1", text: "from globex")]), token: b.ingest)
                #expect(try second.answer().accepted == 1, "another tenant's id does not suppress this one")
                let again = try await client.postBatch(Envelopes.batch([Self.claude(shared, session: "s-1", text: "from acme")]), token: a.ingest)
                #expect(try again.answer() == IngestAnswer(accepted: 0, duplicates: 1, rejected: []))
            }
            #expect(try await test.storedCount() == 2)
            try await test.server.normalizer.catchUp()
            try await test.withRouterClient { client in
                func get(_ path: String, _ token: String) async throws -> (HTTPResponse.Status, [String: Any]) {
                    let response = try await client.execute(uri: path, method: .get, headers: [.authorization: "Bearer \(token)"])
                    return (response.status, (try? JSONSerialization.jsonObject(with: Data(buffer: response.body)) as? [String: Any]) ?? [:])
                }
                let (_, listA) = try await get(IngestServer.Paths.sessions, a.read)
                let (_, listB) = try await get(IngestServer.Paths.sessions, b.read)
                let sessionsA = listA["sessions"] as? [[String: Any]] ?? []
                let sessionsB = listB["sessions"] as? [[String: Any]] ?? []
                #expect(sessionsA.count == 1 && sessionsB.count == 1)
                let idA = try #require(sessionsA.first?["id"] as? String)
                let idB = try #require(sessionsB.first?["id"] as? String)
                #expect(idA != idB, "same device and session id in two tenants: two sessions")
                let (status, detail) = try await get(IngestServer.Paths.sessions + "/" + idA, a.read)
                #expect(status == .ok)
                #expect(String(describing: detail).contains("from acme") && !String(describing: detail).contains("from globex"))
                #expect(try await get(IngestServer.Paths.sessions + "/" + idB, a.read).0 == .notFound, "another tenant's session is not there")
                let (_, usage) = try await get(IngestServer.Paths.usage + "?group=tool", a.read)
                #expect((usage["usage"] as? [Any])?.count ?? 0 <= 1)
                let (_, everything) = try await get(IngestServer.Paths.sessions, try await Self.admin(test))
                #expect((everything["sessions"] as? [Any])?.count == 2, "an admin sees every tenant")
            }
        }
    }

    static func admin(_ test: TestServer) async throws -> String {
        let secret = TokenSecret.generate()
        _ = try await test.store.createToken(NewToken(name: "admin", hash: TokenSecret.hash(secret), scope: .admin))
        return secret
    }

    @Test func eachTenantGetsItsFolderOfSensorConfigOverTheDefault() async throws {
        try await TestServer.with(.sqlite) { test in
            let a = try await Self.member(test, test.store.createTenant(name: "acme"))
            try #"{"version": "fleet-1", "upload": {"gzip_level": 3}}"#.write(to: test.configDirectory.appendingPathComponent("fleet.json"),
                                                                              atomically: true, encoding: .utf8)
            try FileManager.default.createDirectory(at: test.configDirectory.appendingPathComponent("acme"), withIntermediateDirectories: true)
            try #"{"version": "acme-1"}"#.write(to: test.configDirectory.appendingPathComponent("acme/acme.json"), atomically: true, encoding: .utf8)
            #expect(await test.server.config.reload().isEmpty)
            try await test.withRouterClient { client in
                func config(_ token: String) async throws -> [String: Any] {
                    let response = try await client.execute(uri: IngestServer.Paths.sensorConfig, method: .get,
                                                            headers: [.authorization: "Bearer \(token)"])
                    return (try JSONSerialization.jsonObject(with: Data(buffer: response.body)) as? [String: Any]) ?? [:]
                }
                let acme = try await config(a.ingest)
                #expect(acme["version"] as? String == "acme-1")
                #expect((acme["upload"] as? [String: Any])?["gzip_level"] as? Int == 3, "the default layer is under it")
                #expect(try await config(test.token)["version"] as? String == "fleet-1")
            }
        }
    }
}
