import Foundation
import HummingbirdTesting
@testable import Access
@testable import Explorer
@testable import IngestCore
@testable import IngestStore
@testable import Normalization
import SensorTestSupport
import Testing

/// The tenant is a part of every normalised key, for the default tenant too (probe F3): no
/// envelope of one tenant can retitle, extend or take over another tenant's session, and no
/// link leads a reader across.
@Suite struct TenantKeyTests {
    static func line(_ json: String, device: String = "d-victim") -> String {
        Envelopes.make(source: "claude-code.transcripts", kind: "claude-code.transcript", device: device, record: json)
    }

    static func user(_ session: String, _ uuid: String, _ text: String, agent: String? = nil) -> String {
        #"{"type":"user","sessionId":"\#(session)","uuid":"\#(uuid)",\#(agent.map { #""agentId":"\#($0)","isSidechain":true,"# } ?? "")"timestamp":"2026-11-24T19:02:03.000Z","message":{"role":"user","content":"\#(text)"}}"#
    }

    @Test(arguments: StoreKind.available)
    func theDefaultTenantCannotWriteIntoAnotherTenantsSessions(_ kind: StoreKind) async throws {
        try await TestServer.with(kind) { test in
            let acme = try await test.store.createTenant(name: "acme")
            let acmeMember = try await TenantTests.member(test, acme)
            let acmeReader = try await SignedInReader.make(test, tenant: acme.id)
            let defaultReader = try await SignedInReader.make(test)
            try await test.withRouterClient { client in
                let victim = [Self.line(Self.user("s-victim", "u-1", "acme first prompt")),
                              Self.line(#"{"type":"custom-title","customTitle":"Acme's own title","sessionId":"s-victim"}"#)]
                #expect(try await client.postBatch(Envelopes.batch(victim, device: "d-victim"), token: acmeMember.ingest).answer().accepted == 2)

                // A device that poses as another tenant's is refused outright.
                let posing = try await client.postBatch(Envelopes.batch([Self.line(Self.user("s-victim", "u-2", "x"), device: "\(acme.id)/d-victim")],
                                                                        device: "d-attacker"), token: test.token).answer()
                #expect(posing.accepted == 0 && posing.rejected.first?.reason.hasPrefix("device:") == true)

                // The same device name and session id from the default tenant: a session of its own.
                let attack = [Self.line(#"{"type":"custom-title","customTitle":"RETITLED BY ANOTHER TENANT","sessionId":"s-victim"}"#),
                              Self.line(Self.user("s-victim", "u-1", "injected run curl evil")),
                              Self.line(Self.user("s-victim", "u-spy", "spy prompt", agent: "spy")),
                              Self.line(Self.user("s-future", "u-f", "planted first"))]
                #expect(try await client.postBatch(Envelopes.batch(attack, device: "d-victim"), token: test.token).answer().accepted == 4)
                // Acme's laptop then writes the session the default tenant planted first.
                let later = [Self.line(Self.user("s-future", "u-f2", "acmeconfidential plans"))]
                #expect(try await client.postBatch(Envelopes.batch(later, device: "d-victim"), token: acmeMember.ingest).answer().accepted == 1)
            }
            try await test.server.normalizer.catchUp()
            try await test.withRouterClient { client in
                func api(_ path: String, _ token: String) async throws -> String {
                    String(buffer: try await client.execute(uri: path, method: .get, headers: [.authorization: "Bearer \(token)"]).body)
                }
                let acmeSessions = try await api(IngestServer.Paths.sessions + "?include_empty=true", acmeMember.read)
                #expect(acmeSessions.contains("Acme's own title") && !acmeSessions.contains("RETITLED"))
                #expect(try await api(IngestServer.Paths.search + "?q=injected", acmeMember.read).contains("\"hits\":[]"))
                let found = try await api(IngestServer.Paths.search + "?q=acmeconfidential", acmeMember.read)
                #expect(!found.contains("\"hits\":[]"), "acme finds its own session, even one the default tenant wrote first")
                #expect(try await api(IngestServer.Paths.search + "?q=acmeconfidential", defaultReader.token).contains("\"hits\":[]"))
                // Every page of the default tenant's reader, its spy sub-agent's family included, shows nothing of acme's.
                let ownSessions = try JSONSerialization.jsonObject(with: Data(try await api(IngestServer.Paths.sessions + "?include_empty=true",
                                                                                             defaultReader.token).utf8)) as? [String: Any]
                for session in ownSessions?["sessions"] as? [[String: Any]] ?? [] {
                    let id = try #require(session["id"] as? String)
                    let page = String(buffer: try await defaultReader.get(client, "/sessions/\(id)").body)
                    #expect(!page.contains("acme first prompt") && !page.contains("Acme&#39;s own title") && !page.contains("acmeconfidential"))
                    #expect(!(try await api(IngestServer.Paths.sessions + "/" + id, defaultReader.token)).contains("acme first prompt"))
                }
                let acmePage = String(buffer: try await acmeReader.get(client, "/sessions").body)
                #expect(!acmePage.contains("RETITLED") && !acmePage.contains("spy prompt"))
            }
        }
    }

    @Test(arguments: StoreKind.available)
    func aDeviceNameThatCouldPoseAsAKeySeparatorIsRefused(_ kind: StoreKind) async throws {
        try await TestServer.with(kind) { test in
            try await test.withRouterClient { client in
                let devices = ["2/d-victim", "a|b", #"a\u001fb"#, #"a\u0000b"#, #"tab\there"#, #"a\u0085b"#]
                let envelopes = devices.map { Envelopes.make(device: $0) } + [Envelopes.make(device: "d-fine.host-name_1")]
                let answer = try await client.postBatch(Envelopes.batch(envelopes), token: TokenSecret.generate())
                #expect(answer.status == .unauthorized)
                let admin = try await TenantTests.admin(test)  // not bound to a device: every envelope is judged on its own
                let judged = try await client.postBatch(Envelopes.batch(envelopes), token: admin).answer()
                #expect(judged.accepted == 1)
                #expect(judged.rejected.map(\.index) == Array(0..<devices.count))
                #expect(judged.rejected.allSatisfy { $0.reason.hasPrefix("device:") })
            }
        }
    }

    /// The same records from two tenants make two disjoint sets of rows in every normalised
    /// table: each table has exactly twice the rows one tenant made.
    @Test(arguments: StoreKind.available)
    func everyNormalisedTableKeepsTwoTenantsRowsApart(_ kind: StoreKind) async throws {
        try await TestServer.with(kind) { test in
            let acme = try await TenantTests.member(test, try await test.store.createTenant(name: "acme"))
            let root = "claude/marot-spotter/projects/-home-USER-projects-spotter-worktrees-spotter-dov/4d5611e5-241a-462a-8d15-5122611a9569"
            var read: [String] = []
            for file in [root + ".jsonl", root + "/subagents/agent-a2898e3.jsonl"] {
                let text = try String(contentsOf: NormalizingHarness.fixture(file), encoding: .utf8)
                read += text.split(separator: "\n").map { Self.line(String($0), device: "d-same") }
            }
            let lines = read
            func counts() async throws -> [String: Int64] {
                var counts: [String: Int64] = [:]
                for table in NormalizedSchema.tables where table != "norm_drift" {
                    counts[table] = try await test.store.query(SQLStatement("SELECT count(*) FROM \(table)")).first?[0].int ?? 0
                }
                return counts
            }
            try await test.withRouterClient { client in
                let answer = try await client.postBatch(Envelopes.batch(lines, device: "d-same"), token: acme.ingest).answer()
                #expect(answer.accepted == lines.count)
            }
            try await test.server.normalizer.catchUp()
            let one = try await counts()
            #expect(one["norm_sessions", default: 0] >= 2 && one["norm_messages", default: 0] > 10 && one["norm_session_links", default: 0] >= 1
                    && one["norm_usage", default: 0] > 0 && one["norm_tool_calls", default: 0] > 0)
            try await test.withRouterClient { client in
                let answer = try await client.postBatch(Envelopes.batch(lines, device: "d-same"), token: test.token).answer()
                #expect(answer.accepted == lines.count)
            }
            try await test.server.normalizer.catchUp()
            let two = try await counts()
            for (table, count) in one { #expect(two[table] == 2 * count, "\(table): \(count) rows for one tenant, \(two[table] ?? 0) for two") }
            let tenants = try await test.store.query(SQLStatement("SELECT tenant_id, count(*) FROM norm_sessions GROUP BY tenant_id ORDER BY tenant_id"))
            #expect(tenants.map { $0[1].int } == [one["norm_sessions"], one["norm_sessions"]])
        }
    }

    /// A store written before the tenant became a key part of its own is normalised again
    /// by the migration: its rows get the keys the current code makes.
    @Test func theMigrationBuildsTheNormalisedTablesAgainFromRawCustody() async throws {
        let harness = try await NormalizingHarness()
        try await harness.ingestLines(Self.user("s-old", "u-old", "before the migration") + "\n", path: "~/.claude/projects/p/s.jsonl",
                                      source: "claude-code.transcripts", kind: "claude-code.transcript")
        try await harness.normalize()
        let before = try await harness.sessions("claude-code")
        #expect(before.count == 1)
        // As an older server left it: keys without the tenant part.
        try await harness.store.execute([SQLStatement("UPDATE norm_sessions SET session_key = 'old-key'")])
        try await harness.store.execute(Migrations.renormalizeAll.map { SQLStatement($0) })
        try await harness.normalize()
        let after = try await harness.sessions("claude-code")
        #expect(after.map(\.id) == before.map(\.id) && after.first?.id != "old-key")
    }
}
