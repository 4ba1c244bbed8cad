import Foundation
import HummingbirdTesting
@testable import Access
@testable import Explorer
@testable import IngestCore
@testable import IngestStore
@testable import Normalization
import Testing

/// What held in the probe stays held: every read route and explorer page, for a reader of each
/// of two tenants, shows nothing of the other's, and the other's ids are not there (404); an
/// ingest token reads nothing, a read token sends nothing.
@Suite struct TenantIsolationMatrixTests {
    struct Member {
        var tenant: Tenant
        var ingest: String
        var reader: SignedInReader
        var marker: String
        var sessionID = ""
        var envelopeID = ""
    }

    @Test(arguments: StoreKind.available)
    func noRouteOrPageShowsAnotherTenantsData(_ kind: StoreKind) async throws {
        try await TestServer.with(kind) { test in
            var members: [Member] = []
            for name in ["acme", "globex"] {
                let tenant = try await test.store.createTenant(name: name)
                let access = try await TenantTests.member(test, tenant)
                members.append(Member(tenant: tenant, ingest: access.ingest, reader: try await SignedInReader.make(test, tenant: tenant.id),
                                      marker: "\(name)secretword\(Int.random(in: 1000...9999))"))
            }
            let sent = members
            try await test.withRouterClient { client in
                for member in sent {
                    let line = #"{"type":"user","sessionId":"s-\#(member.tenant.name)","uuid":"u-1","timestamp":"2026-11-24T19:02:03.000Z","cwd":"/p/\#(member.marker)","message":{"role":"user","content":"\#(member.marker) in the prompt"}}"#
                    let answer = try await client.postBatch(Envelopes.batch([Envelopes.make(source: "claude-code.transcripts", kind: "claude-code.transcript",
                                                                                            device: "d-\(member.tenant.name)", record: line)],
                                                                           device: "d-\(member.tenant.name)"), token: member.ingest).answer()
                    #expect(answer.accepted == 1)
                }
            }
            try await test.server.normalizer.catchUp()
            for index in members.indices {
                let sessions = try await NormalizedReader(store: test.store).sessions(.init(tenant: members[index].tenant.id), limit: 10).sessions
                members[index].sessionID = try #require(sessions.first?.id)
                members[index].envelopeID = try #require(try await test.store.query(SQLStatement(
                    "SELECT id FROM raw_envelopes WHERE tenant_id = $1", [.integer(members[index].tenant.id)])).first?[0].text)
            }
            let all = members
            try await test.withRouterClient { client in
                for (me, other) in [(all[0], all[1]), (all[1], all[0])] {
                    let api = [IngestServer.Paths.sessions, IngestServer.Paths.sessions + "?include_empty=true&device=d-\(other.tenant.name)",
                               IngestServer.Paths.usage + "?group=day,tool,model,device,project", IngestServer.Paths.drift,
                               IngestServer.Paths.search + "?q=\(other.marker)", IngestServer.Paths.search + "?q=prompt",
                               IngestServer.Paths.sessions + "/" + me.sessionID]
                    for path in api {
                        let response = try await client.execute(uri: path, method: .get, headers: [.authorization: "Bearer \(me.reader.token)"])
                        #expect(response.status == .ok, "\(path)")
                        #expect(!String(buffer: response.body).contains(other.marker) && !String(buffer: response.body).contains(other.sessionID), "\(path)")
                    }
                    let theirs = try await client.execute(uri: IngestServer.Paths.sessions + "/" + other.sessionID, method: .get,
                                                          headers: [.authorization: "Bearer \(me.reader.token)"])
                    #expect(theirs.status == .notFound)
                    let pages = ["/", "/?days=all", "/sessions?include_empty=true", "/sessions?sort=tokens", "/devices", "/drift",
                                 "/search?q=prompt", "/sessions/\(me.sessionID)", "/sessions/\(me.sessionID)/raw"]
                    for page in pages {
                        let response = try await me.reader.get(client, page)
                        #expect(response.status == .ok, "\(page)")
                        let text = String(buffer: response.body)
                        #expect(!text.contains(other.marker) && !text.contains(other.sessionID) && !text.contains("d-\(other.tenant.name)"), "\(page)")
                    }
                    // A search for the other's word (echoed back in the page's form) finds none of its sessions.
                    #expect(!String(buffer: try await me.reader.get(client, "/search?q=\(other.marker)").body).contains(other.sessionID))
                    for page in ["/sessions/\(other.sessionID)", "/sessions/\(other.sessionID)/raw", "/raw/\(other.envelopeID)"] {
                        #expect(try await me.reader.get(client, page).status == .notFound, "\(page)")
                    }
                    // Scopes: the laptop's token reads nothing; the reader's token sends nothing.
                    let laptopRead = try await client.execute(uri: IngestServer.Paths.sessions, method: .get,
                                                              headers: [.authorization: "Bearer \(me.ingest)"])
                    #expect(laptopRead.status == .forbidden)
                    let readerSend = try await client.postBatch(Envelopes.batch(Envelopes.many(1)), token: me.reader.token)
                    #expect(readerSend.status == .forbidden)
                }
            }
        }
    }
}
