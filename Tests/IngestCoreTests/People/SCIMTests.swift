import AsyncHTTPClient
import Foundation
@testable import IngestCore
@testable import IngestStore
import SensorTestSupport
import Testing

/// The SCIM service checked by SCIM software nobody here wrote, on a real server on 127.0.0.1,
/// on both stores: scim2-tester's every check of what the ServiceProviderConfig claims, and
/// scim2-client doing what an identity provider does. Only an admin token of the tenant gets in.
@Suite struct SCIMTests {
    static var python: URL? {
        ProcessInfo.processInfo.environment["SENSOR_TEST_PYTHON_TOOLS"].map(URL.init(fileURLWithPath:))
    }

    static let missing: Comment = "SENSOR_TEST_PYTHON_TOOLS is not set: eval \"$(scripts/python-tools.sh)\" (scripts/test.sh does)"

    static func check(_ mode: String, _ url: String, token: String) async throws -> ProcessRunner.Result {
        let python = try #require(python, missing)
        let script = FixtureHome.repositoryRoot.appendingPathComponent("scripts/scim-check.py")
        return try await ProcessRunner.run(python, [script.path, mode, url + SCIMHandler.root, token])
    }

    /// What an identity provider holds: a `directory` token of the tenant (SCIM, nothing else).
    static func admin(_ store: any IngestStore, tenant: Int64 = Tenant.defaultID) async throws -> String {
        let secret = TokenSecret.generate()
        _ = try await store.createToken(NewToken(name: "idp", hash: TokenSecret.hash(secret), scope: .directory, tenantID: tenant))
        return secret
    }

    @Test(arguments: StoreKind.available)
    func scim2TesterPassesEveryCheckOfWhatTheServiceClaims(_ kind: StoreKind) async throws {
        try await TestServer.with(kind) { test in
            let admin = try await Self.admin(test.store)
            try await LiveServer.with(test.server) { url in
                let run = try await Self.check("compliance", url, token: admin)
                let summary = run.lines.last ?? ""
                #expect(run.status == 0, "\(run.text)\(run.stderr)")
                #expect(summary.hasSuffix("0 failed, 0 skipped") && !summary.hasPrefix("0 passed"), "\(summary)")
                // The directory token reads nothing else; a laptop's token, and no token, get nothing.
                var sessions = HTTPClientRequest(url: url + IngestServer.Paths.sessions)
                sessions.headers.add(name: "Authorization", value: "Bearer \(admin)")
                #expect(try await HTTPClient.shared.execute(sessions, timeout: .seconds(120)).status == .forbidden)
                for token in [test.token, "not-a-token"] {
                    let refused = try await Self.check("compliance", url, token: token)
                    #expect(refused.status != 0 && refused.lines.last?.hasPrefix("0 passed") == true, "\(refused.text)")
                }
            }
        }
    }

    @Test(arguments: StoreKind.available)
    func anIdentityProviderCreatesFindsUpdatesAndDeactivatesPeopleAndTeams(_ kind: StoreKind) async throws {
        try await TestServer.with(kind) { test in
            // The other tenant's directory stays its own.
            let other = try await test.store.createTenant(name: "other")
            _ = try await PeopleDirectory.upsert(.init(email: "eve@other.com"), origin: "admin", tenant: other.id, in: test.store)
            let admin = try await Self.admin(test.store)
            try await LiveServer.with(test.server) { url in
                let run = try await Self.check("client", url, token: admin)
                #expect(run.status == 0, "\(run.stderr)")
                let report = try #require(try JSONSerialization.jsonObject(with: run.stdout) as? [String: Any])
                let created = try #require(report["created"] as? [String])
                #expect(report["found"] as? [String] == [created[0]], "userName is found whatever its case")
                #expect(report["found_none"] as? Int == 0)
                #expect(report["group_name"] as? String == "Platform Engineering")
                #expect(report["group_members"] as? [String] == created.sorted())
                #expect(report["ada_name"] as? String == "Ada King" && report["bob_active"] as? Bool == false)
                #expect(report["ada_groups"] as? [String] == ["Platform Engineering"])
                #expect(report["group_members_after_removal"] as? [String] == [created[0]])
                #expect(report["duplicate_status"] as? Int == 409)
            }
            // What SCIM wrote is the directory the rest of the server uses.
            let people = try await PeopleDirectory.people(tenant: Tenant.defaultID, in: test.store)
            #expect(people.map(\.email) == ["ada@acme.com", "bob@acme.com"])
            #expect(people.first { $0.email == "bob@acme.com" }?.active == false)
            #expect(people.first { $0.email == "ada@acme.com" }?.name == "Ada King")
            let team = try #require(try await PeopleDirectory.team(named: "Platform Engineering", tenant: Tenant.defaultID, in: test.store))
            #expect(try await PeopleDirectory.members(of: team.id, tenant: Tenant.defaultID, in: test.store).map(\.email) == ["ada@acme.com"])
            #expect(try await PeopleDirectory.people(tenant: other.id, in: test.store).map(\.email) == ["eve@other.com"])
        }
    }
}
