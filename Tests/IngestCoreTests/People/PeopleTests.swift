import Foundation
import HummingbirdTesting
@testable import Access
@testable import Explorer
@testable import IngestCore
@testable import IngestStore
@testable import Normalization
import Testing

/// One person across three devices is one person in every total: devices are linked by the
/// accounts their tools sign in with (in the tenant's domains), by an admin; accounts in use are
/// the organisation's or personal; people, teams and accounts are read by their tenant only.
@Suite struct PeopleTests {
    static func envelope(_ kind: String, device: String, record: String, offset: Int = 0, path: String = "~/.x/s.jsonl") -> String {
        Envelopes.make(source: kind.replacingOccurrences(of: ".", with: "-"), kind: kind, device: device, record: record,
                       extra: "").replacingOccurrences(of: #""offset":0"#, with: #""offset":\#(offset)"#)
            .replacingOccurrences(of: "~/.test/s.jsonl", with: path)
    }

    /// A Gemini CLI conversation of one prompt and one answer that used `tokens` tokens.
    static func conversation(device: String, session: String, tokens: Int) -> [String] {
        let path = "~/.gemini/tmp/p/chats/session-\(session).jsonl"
        return [
            #"{"sessionId":"\#(session)","projectHash":"p","startTime":"2026-12-01T10:00:00Z","lastUpdated":"2026-12-01T10:05:00Z"}"#,
            #"{"id":"\#(session)-u","timestamp":"2026-12-01T10:00:01Z","type":"user","content":"hello"}"#,
            #"{"id":"\#(session)-a","timestamp":"2026-12-01T10:00:02Z","type":"gemini","content":"hi","model":"gemini-2.5-pro","tokens":{"input":\#(tokens - 10),"output":10,"cached":0,"thoughts":0,"total":\#(tokens)}}"#,
        ].enumerated().map { envelope("gemini-cli.chat", device: device, record: $1, offset: $0 * 200, path: path) }
    }

    @Test(arguments: StoreKind.available)
    func onePersonAcrossThreeDevicesIsOneRowWhoseTotalsAreTheSumOfTheDevices(_ kind: StoreKind) async throws {
        try await TestServer.with(kind) { test in
            let reader = try await SignedInReader.make(test)
            let otherTenant = try await test.store.createTenant(name: "other")
            let other = try await TenantTests.member(test, otherTenant)
            try await PeopleDirectory.setDomains(["acme.com"], tenant: Tenant.defaultID, in: test.store)
            let accounts = [
                ("d-laptop", Self.envelope("claude-code.account", device: "d-laptop", record:
                    #"{"oauthAccount":{"emailAddress":"Ada@acme.com","displayName":"Ada","organizationName":"Acme","billingType":"stripe_subscription"}}"#)),
                ("d-desktop", Self.envelope("codex.account", device: "d-desktop", record:
                    #"{"tokens":{"id_token":{"email":"ada@acme.com","https://api.openai.com/auth":{"chatgpt_plan_type":"team"}}}}"#)),
                ("d-vm", Self.envelope("gemini-cli.account", device: "d-vm", record: #"{"active":"ada@acme.com","old":["ada.lovelace@gmail.com"]}"#)),
                ("d-bob", Self.envelope("claude-code.account", device: "d-bob", record:
                    #"{"oauthAccount":{"emailAddress":"bob@acme.com","organizationName":"bob@acme.com's Organization"}}"#)),
            ]
            try await test.withRouterClient { client in
                for (index, (device, account)) in accounts.enumerated() {
                    let token = TokenSecret.generate()
                    _ = try await test.store.createToken(NewToken(name: "laptop-\(device)", hash: TokenSecret.hash(token), tenantID: Tenant.defaultID))
                    let records = [account] + Self.conversation(device: device, session: "s\(index)", tokens: 100 * (index + 1))
                    #expect(try await client.postBatch(Envelopes.batch(records, device: device), token: token).answer().accepted == records.count)
                }
            }
            try await test.server.normalizer.catchUp()
            // Bob's only account is a personal subscription: not his link; an admin says whose it is.
            let owners = try await PeopleDirectory.owners(tenant: Tenant.defaultID, in: test.store)
            #expect(owners["d-bob"] == nil)
            let bob = try await PeopleDirectory.upsert(.init(email: "bob@acme.com", name: "Bob"), origin: "admin", tenant: Tenant.defaultID, in: test.store)
            try await test.store.execute([PeopleDirectory.link(device: "d-bob", to: bob.id, by: .admin, tenant: Tenant.defaultID)])
            let platform = try await PeopleDirectory.upsertTeam(named: "Platform", tenant: Tenant.defaultID, in: test.store)
            let ada = try #require(try await PeopleDirectory.person(email: "ada@acme.com", tenant: Tenant.defaultID, in: test.store))
            try await PeopleDirectory.setMembers(of: platform.id, to: [ada.id, bob.id], tenant: Tenant.defaultID, in: test.store)

            try await test.withRouterClient { client in
                func get(_ path: String, _ token: String) async throws -> [String: Any] {
                    let answer = try await client.execute(uri: path, method: .get, headers: [.authorization: "Bearer \(token)"])
                    #expect(answer.status == .ok, "\(path): \(answer.status)")
                    return try #require(try JSONSerialization.jsonObject(with: Data(buffer: answer.body)) as? [String: Any])
                }
                let people = try #require(try await get(IngestServer.Paths.people, reader.token)["people"] as? [[String: Any]])
                #expect(people.count == 2, "one row per person, not per device: \(people)")
                let row = try #require(people.first { $0["email"] as? String == "ada@acme.com" })
                #expect(row["devices"] as? [String] == ["d-desktop", "d-laptop", "d-vm"])
                #expect(row["sessions"] as? Int == 3 && row["teams"] as? [String] == ["Platform"])
                // The person's totals equal the sum of their devices'.
                let usage = try #require(try await get(IngestServer.Paths.usage + "?group=device", reader.token)["usage"] as? [[String: Any]])
                let byDevice = Dictionary(uniqueKeysWithValues: usage.compactMap { bucket -> (String, Int)? in
                    guard let device = bucket["device"] as? String, let tokens = (bucket["tokens"] as? [String: Any])?["total"] as? Int else { return nil }
                    return (device, tokens)
                })
                #expect(row["tokens"] as? Int == ["d-laptop", "d-desktop", "d-vm"].compactMap { byDevice[$0] }.reduce(0, +))
                #expect(row["tokens"] as? Int == 600)
                let team = try #require((try await get(IngestServer.Paths.teams, reader.token)["teams"] as? [[String: Any]])?.first)
                #expect(team["members"] as? Int == 2 && team["tokens"] as? Int == 1000)
                // Sessions and search filter by person and by team.
                let sessions = try #require(try await get(IngestServer.Paths.sessions + "?person=\(ada.id)", reader.token)["sessions"] as? [[String: Any]])
                #expect(Set(sessions.compactMap { $0["device"] as? String }) == ["d-laptop", "d-desktop", "d-vm"])
                let teamSessions = try #require(try await get(IngestServer.Paths.sessions + "?team=\(platform.id)", reader.token)["sessions"] as? [[String: Any]])
                #expect(teamSessions.count == 4)
                let hits = try #require(try await get(IngestServer.Paths.search + "?q=hello&person=\(bob.id)", reader.token)["hits"] as? [[String: Any]])
                #expect(hits.count == 1)

                // Accounts in use: the organisation's, and the personal ones flagged.
                let inUse = try #require(try await get(IngestServer.Paths.accounts, reader.token)["accounts"] as? [[String: Any]])
                func standing(_ email: String) -> String? { inUse.first { $0["email"] as? String == email }?["standing"] as? String }
                #expect(standing("Ada@acme.com") == "organization" && standing("ada@acme.com") == "organization")
                #expect(standing("ada.lovelace@gmail.com") == "personal")
                #expect(standing("bob@acme.com") == "personal", "a personal subscription, whatever the domain")
                #expect(inUse.filter { $0["flagged"] as? Bool == true }.count == 2)
                #expect(inUse.first { $0["email"] as? String == "ada.lovelace@gmail.com" }?["active"] as? Bool == false)
                #expect(inUse.first { $0["device"] as? String == "d-vm" }?["person"] as? String == "ada@acme.com")

                // The explorer: one row for Ada on the People page, with her devices' sum; the
                // personal accounts flagged; the devices page names the person.
                let page = String(buffer: try await reader.get(client, "/people").body)
                #expect(page.components(separatedBy: #"data-email="ada@acme.com""#).count == 2, "one row for one person")
                #expect(page.contains(#"<td class="num tokens">600</td>"#) && page.contains("Platform"), "\(page)")
                #expect(page.contains("<title>People · Session Sensor</title>") && page.contains(#"<a href="/people" aria-current="page">People</a>"#))
                let accountsPage = String(buffer: try await reader.get(client, "/accounts").body)
                #expect(accountsPage.components(separatedBy: "account-row flagged").count == 3)
                #expect(accountsPage.contains(#"<a href="/accounts" aria-current="page">Accounts</a>"#) && accountsPage.contains(#"action="/logout""#))
                #expect(String(buffer: try await reader.get(client, "/devices").body).contains(#"<span class="person">ada@acme.com</span>"#))
                // A session's page names its person; the sessions and search pages filter by person and team.
                let adaSession = try #require(sessions.first?["id"] as? String)
                #expect(String(buffer: try await reader.get(client, "/sessions/\(adaSession)").body).contains(#"<dd class="person">ada@acme.com</dd>"#))
                let filtered = String(buffer: try await reader.get(client, "/sessions?person=\(ada.id)").body)
                #expect(filtered.contains(#"<option value="\#(ada.id)" selected>ada@acme.com</option>"#))
                #expect(filtered.components(separatedBy: #"<tr class="session-row""#).count - 1 == 3, "Ada's three sessions, not Bob's")
                let searched = String(buffer: try await reader.get(client, "/search?q=hello&team=\(platform.id)").body)
                #expect(searched.contains(#"<option value="\#(platform.id)" selected>Platform</option>"#))
                let otherReader = try await SignedInReader.make(test, tenant: otherTenant.id)
                let otherPage = String(buffer: try await otherReader.get(client, "/people").body)
                #expect(!otherPage.contains("acme.com"))

                // Another tenant's reader sees none of it; a laptop's token reads nothing.
                for path in [IngestServer.Paths.people, IngestServer.Paths.teams, IngestServer.Paths.accounts] {
                    let answer = try await client.execute(uri: path, method: .get, headers: [.authorization: "Bearer \(other.read)"])
                    let body = String(buffer: answer.body)
                    #expect(answer.status == .ok && !body.contains("acme.com") && !body.contains("Platform"), "\(path): \(body)")
                    let laptop = try await client.execute(uri: path, method: .get, headers: [.authorization: "Bearer \(test.token)"])
                    #expect(laptop.status == .forbidden)
                }
            }
        }
    }

    @Test func aDirectoryFileSaysWhereItIsWrong() throws {
        let good = try DirectoryFile(Data("email,name,team,manager\nada@acme.com,Ada,Platform;Security,\n\"bob@acme.com\",\"Bob, Jr\",Platform,ada@acme.com\n".utf8),
                                     name: "people.csv")
        #expect(good.entries.map(\.email) == ["ada@acme.com", "bob@acme.com"])
        #expect(good.entries[0].teams == ["Platform", "Security"] && good.entries[1].name == "Bob, Jr" && good.entries[1].manager == "ada@acme.com")
        let json = try DirectoryFile(Data(#"[{"email":"Ada@Acme.com","teams":["Platform"]}]"#.utf8), name: "people.json")
        #expect(json.entries.first?.email == "ada@acme.com")
        for (text, expected) in [("name,team\nAda,Platform\n", "people.csv:1: the header names no 'email' column"),
                                 ("email,name\nada@acme.com,Ada\nnot-an-email,Bob\n", "people.csv:3: field 'email'"),
                                 ("email\nada@acme.com\nADA@acme.com\n", "people.csv:3: ada@acme.com is listed already at people.csv:2"),
                                 (#"[{"email": 7}]"#, "people.csv: person 0: field 'email' is not a string")] {
            #expect {
                _ = try DirectoryFile(Data(text.utf8), name: "people.csv")
            } throws: { error in
                (error as? DirectoryError)?.description.hasPrefix(expected) == true
            }
        }
    }
}
