import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
@testable import Access
@testable import Explorer
@testable import IngestCore
@testable import IngestStore
@testable import Normalization
import Testing

/// Every route and page × every role (docs/roles.md), on both stores: what each must answer,
/// with planted phrases in each person's conversations to prove a figures-only reader never
/// gets a word of them; teams smaller than the minimum fold into "other"; every read of a
/// conversation leaves exactly one access-log entry, which nothing can change.
@Suite struct RoleMatrixTests {
    static let people = ["ada", "bob", "carol"]
    static func phrase(_ name: String) -> String { "quokkaphrase\(name)" }

    /// Three people, each with a device and one conversation holding their phrase; Ada and Bob
    /// in Platform, Carol in Research.
    static func populate(_ test: TestServer) async throws -> (ids: [String: String], sessions: [String: String], teams: [String: String]) {
        try await test.withRouterClient { client in
            for name in Self.people {
                let device = "d-\(name)"
                let token = TokenSecret.generate()
                _ = try await test.store.createToken(NewToken(name: "laptop-\(name)", hash: TokenSecret.hash(token), tenantID: Tenant.defaultID))
                let path = "~/.gemini/tmp/p/chats/session-\(name).jsonl"
                let records = [
                    #"{"sessionId":"s-\#(name)","projectHash":"p","startTime":"2026-12-01T10:00:00Z","lastUpdated":"2026-12-01T10:05:00Z"}"#,
                    #"{"id":"\#(name)-u","timestamp":"2026-12-01T10:00:01Z","type":"user","content":"please fix \#(Self.phrase(name)) in /home/\#(name)/secret-project"}"#,
                    #"{"id":"\#(name)-a","timestamp":"2026-12-01T10:00:02Z","type":"gemini","content":"done","model":"gemini-2.5-pro","tokens":{"input":90,"output":10,"cached":0,"thoughts":0,"total":100}}"#,
                ].enumerated().map { PeopleTests.envelope("gemini-cli.chat", device: device, record: $1, offset: $0 * 300, path: path) }
                #expect(try await client.postBatch(Envelopes.batch(records, device: device), token: token).answer().accepted == 3)
            }
        }
        try await test.server.normalizer.catchUp()
        var ids: [String: String] = [:]
        for name in Self.people {
            let person = try await PeopleDirectory.upsert(.init(email: "\(name)@acme.com"), origin: "admin", tenant: Tenant.defaultID, in: test.store)
            try await test.store.execute([PeopleDirectory.link(device: "d-\(name)", to: person.id, by: .admin, tenant: Tenant.defaultID)])
            ids[name] = person.id
        }
        let platform = try await PeopleDirectory.upsertTeam(named: "Platform", tenant: Tenant.defaultID, in: test.store)
        let research = try await PeopleDirectory.upsertTeam(named: "Research", tenant: Tenant.defaultID, in: test.store)
        try await PeopleDirectory.setMembers(of: platform.id, to: [ids["ada"]!, ids["bob"]!], tenant: Tenant.defaultID, in: test.store)
        try await PeopleDirectory.setMembers(of: research.id, to: [ids["carol"]!], tenant: Tenant.defaultID, in: test.store)
        try await Grants.setMinimumGroup(2, tenant: Tenant.defaultID, in: test.store)
        var sessions: [String: String] = [:]
        for row in try await test.store.query(SQLStatement("SELECT device, session_key FROM norm_sessions")) {
            sessions[String((row[0].text ?? "").dropFirst(2))] = row[1].text
        }
        return (ids, sessions, ["Platform": platform.id, "Research": research.id])
    }

    /// A role, its grants, and whose conversations it may read (nil: it reads none).
    struct Role: Sendable {
        var name: String
        var scope: TokenScope
        var grants: [(Grants.Kind, String)]
        var reads: Set<String>
        /// Whose per-person figures (People rows, devices) it sees.
        var sees: Set<String>
    }

    @Test(arguments: StoreKind.available)
    func everyRouteAndPageAnswersEachRoleWithWhatItMaySee(_ kind: StoreKind) async throws {
        try await TestServer.with(kind) { test in
            let (ids, sessions, teams) = try await Self.populate(test)
            let everyone = Set(Self.people)
            let roles = [
                Role(name: "read", scope: .read, grants: [], reads: everyone, sees: everyone),
                Role(name: "admin", scope: .admin, grants: [], reads: everyone, sees: everyone),
                Role(name: "usage", scope: .usage, grants: [], reads: [], sees: []),
                Role(name: "usage:people", scope: .usage, grants: [(.people, "*")], reads: [], sees: everyone),
                Role(name: "content:Platform", scope: .content, grants: [(.team, teams["Platform"]!)], reads: ["ada", "bob"], sees: ["ada", "bob"]),
                Role(name: "content:carol", scope: .content, grants: [(.person, ids["carol"]!)], reads: ["carol"], sees: ["carol"]),
                Role(name: "self:ada", scope: .selfOnly, grants: [(.person, ids["ada"]!)], reads: ["ada"], sees: ["ada"]),
            ]
            // Each conversation read (its page, its raw envelopes, the API) leaves one entry.
            let expectedLog = roles.reduce(0) { $0 + $1.reads.count * 3 }
            try await test.withRouterClient { client in
                for role in roles {
                    let reader = try await SignedInReader.make(test, scope: role.scope, grants: role.grants, name: role.name)
                    func api(_ path: String) async throws -> (HTTPResponse.Status, String) {
                        let answer = try await client.execute(uri: path, method: .get, headers: [.authorization: "Bearer \(reader.token)"])
                        return (answer.status, String(buffer: answer.body))
                    }
                    func page(_ path: String) async throws -> (HTTPResponse.Status, String) {
                        let answer = try await reader.get(client, path)
                        return (answer.status, String(buffer: answer.body))
                    }
                    func phrases(in text: String) -> Set<String> { Set(Self.people.filter { text.contains(Self.phrase($0)) }) }
                    let figuresOnly = role.reads.isEmpty

                    // Conversations: lists, one session, its raw envelopes, search.
                    let list = try await api("/api/v1/sessions")
                    #expect(list.0 == (figuresOnly ? .forbidden : .ok), "\(role.name) /api/v1/sessions")
                    #expect(figuresOnly || Set(Self.people.filter { list.1.contains("d-\($0)") }) == role.reads, "\(role.name): \(list.1.prefix(300))")
                    for name in Self.people {
                        let key = sessions[name]!
                        let expected: HTTPResponse.Status = figuresOnly ? .forbidden : role.reads.contains(name) ? .ok : .notFound
                        let one = try await api("/api/v1/sessions/\(key)")
                        #expect(one.0 == expected, "\(role.name) reads \(name)'s session by API: \(one.0)")
                        let shown = try await page("/sessions/\(key)")
                        #expect(shown.0 == expected, "\(role.name) opens \(name)'s session page: \(shown.0)")
                        let raw = try await page("/sessions/\(key)/raw")
                        #expect(raw.0 == expected, "\(role.name) opens \(name)'s raw envelopes: \(raw.0)")
                        if expected == .ok {
                            #expect(phrases(in: one.1) == [name] && phrases(in: shown.1) == [name])
                        }
                        if expected == .forbidden { #expect(shown.1.contains("figures only"), "a refused page says why") }
                    }
                    let search = try await api("/api/v1/search?q=please")
                    #expect(search.0 == .ok && phrases(in: search.1) == role.reads, "\(role.name) search: \(search.1.prefix(300))")
                    let searchPage = try await page("/search?q=please")
                    #expect(searchPage.0 == .ok && phrases(in: searchPage.1) == role.reads)

                    // Figures: every reader; per device, project or person only as its role allows.
                    #expect(try await api("/api/v1/usage").0 == .ok)
                    #expect(try await api("/api/v1/usage?group=device").0 == (role.sees == everyone ? .ok : .forbidden), "\(role.name) by device")
                    #expect(try await api("/api/v1/usage?group=project").0 == (role.reads == everyone ? .ok : .forbidden), "\(role.name) by project")
                    let people = try await api("/api/v1/people")
                    #expect(people.0 == (role.sees.isEmpty ? .forbidden : .ok), "\(role.name) /api/v1/people")
                    #expect(role.sees.isEmpty || Set(Self.people.filter { people.1.contains("\($0)@acme.com") }) == role.sees, "\(role.name): \(people.1)")
                    let devices = try await api("/api/v1/devices")
                    #expect(devices.0 == .ok && Set(Self.people.filter { devices.1.contains("d-\($0)") }) == role.sees, "\(role.name): \(devices.1)")
                    let teamsAnswer = try await api("/api/v1/teams")
                    let limited = role.scope != .read && role.scope != .admin
                    // Research (one member) folds away below the minimum of two; Platform shows.
                    #expect(teamsAnswer.1.contains("Platform") && teamsAnswer.1.contains("Research") != limited, "\(role.name): \(teamsAnswer.1)")
                    // Drift names records' keys: for readers of everyone's figures.
                    #expect(try await api("/api/v1/drift").0 == (role.sees == everyone ? .ok : .forbidden), "\(role.name) drift")

                    // Every page answers, and a figures-only reader's show none of the words.
                    for path in ["/", "/?days=all", "/sessions", "/search?q=please", "/devices", "/people", "/accounts", "/drift"] {
                        let shown = try await page(path)
                        let refused = path == "/sessions" && figuresOnly || path == "/drift" && role.sees != everyone
                        #expect(shown.0 == (refused ? .forbidden : .ok), "\(role.name) \(path): \(shown.0)")
                        #expect(path.hasPrefix("/search") || path == "/sessions" && !figuresOnly || phrases(in: shown.1).isEmpty,
                                "\(role.name) \(path) shows a conversation's words")
                        for name in Self.people where !role.reads.contains(name) {
                            #expect(!shown.1.contains("/home/\(name)/"), "\(role.name) \(path) shows \(name)'s path")
                        }
                        // Whom it may not see is not named: no email, no device, not even in a filter's choices.
                        for name in Self.people where !role.sees.contains(name) {
                            #expect(!shown.1.contains("\(name)@acme.com") && !shown.1.contains("d-\(name)"), "\(role.name) \(path) names \(name)")
                        }
                    }
                    // The access log: a person's own reads, or an admin's everything; a raw envelope (a
                    // drift example, anyone's) only for a reader of every conversation.
                    let logPage = try await page("/access")
                    #expect(logPage.0 == (role.scope == .admin || role.scope == .selfOnly ? .ok : .forbidden), "\(role.name) /access")
                    let rawID = try #require(try await test.store.query(SQLStatement("SELECT id FROM raw_envelopes LIMIT 1")).first?[0].text)
                    #expect(try await page("/raw/\(rawID)").0 == (role.reads == everyone ? .ok : .forbidden), "\(role.name) /raw")
                    if figuresOnly {
                        for path in ["/api/v1/sessions", "/api/v1/usage", "/api/v1/usage?group=tool", "/api/v1/teams", "/api/v1/devices",
                                     "/api/v1/accounts", "/api/v1/drift", "/api/v1/search?q=quokkaphraseada"] {
                            #expect(phrases(in: try await api(path).1).isEmpty, "\(role.name) \(path) shows a conversation's words")
                        }
                    }
                }
                // The laptop's token reads nothing at all.
                for path in ["/api/v1/sessions", "/api/v1/usage", "/api/v1/people", "/api/v1/teams"] {
                    #expect(try await client.execute(uri: path, method: .get, headers: [.authorization: "Bearer \(test.token)"]).status == .forbidden)
                }
            }
            // Ada, signed in as herself, sees who read her sessions: not Carol's readers.
            try await test.withRouterClient { client in
                let ada = try await SignedInReader.make(test, scope: .selfOnly, grants: [(.person, ids["ada"]!)], name: "ada-herself")
                let mine = String(buffer: try await ada.get(client, "/access").body)
                for reader in ["read", "admin", "content:Platform", "self:ada"] { #expect(mine.contains(">\(reader)<"), "\(reader) read Ada's") }
                #expect(!mine.contains(">content:carol<") && !mine.contains("carol@acme.com"))
                #expect(mine.contains(#"<a href="/access" aria-current="page">Who read what</a>"#), "reached from every page's navigation")
            }
            // One entry per read of a conversation, and the log cannot be changed or emptied.
            let log = try await AccessLog.entries(tenant: Tenant.defaultID, in: test.store)
            #expect(log.count == expectedLog, "\(log.count) entries for \(expectedLog) reads")
            #expect(Set(log.filter { $0.owner == "carol@acme.com" }.map(\.reader)) == ["read", "admin", "content:carol"])
            await #expect(throws: (any Error).self) { try await test.store.execute([SQLStatement("DELETE FROM access_log")]) }
            await #expect(throws: (any Error).self) { try await test.store.execute([SQLStatement("UPDATE access_log SET reader = 'nobody'")]) }
            #expect(try await AccessLog.entries(tenant: Tenant.defaultID, in: test.store).count == expectedLog)
        }
    }

    @Test func aTeamBelowTheTenantsMinimumIsShownOnlyWithinOther() {
        let token = TokenRecord(id: 1, name: "usage", scope: .usage, createdAt: "")
        let access = ReadAccess(token: token, tenant: Tenant.defaultID, content: [], people: [], minimumGroup: 5, person: nil)
        func team(_ name: String, _ members: Int) -> TeamFigures {
            TeamFigures(id: name, name: name, members: members, sessions: Int64(members), tokens: Int64(members * 100), cost: 0)
        }
        let shown = RoleViews.teams([team("five", 5), team("four", 4), team("three", 3)], for: access)
        #expect(shown.map(\.name) == ["five", "other"] && shown.last?.members == 7 && shown.last?.tokens == 700)
        // Alone below the minimum, a team is not shown even as "other": that would name it.
        #expect(RoleViews.teams([team("five", 5), team("four", 4)], for: access).map(\.name) == ["five"])
        let reader = ReadAccess(token: TokenRecord(id: 2, name: "read", scope: .read, createdAt: ""), tenant: Tenant.defaultID,
                                content: nil, people: nil, minimumGroup: 1, person: nil)
        #expect(RoleViews.teams([team("five", 5), team("four", 4)], for: reader).map(\.name) == ["five", "four"])
    }

    @Test(arguments: StoreKind.available)
    func aSignInLinkWorksOnceAndExpires(_ kind: StoreKind) async throws {
        try await kind.withFreshStore { store in
            let now = Date()
            let code = try await SignInLinks.create(person: "p-1", device: "d-1", tenant: Tenant.defaultID, in: store, now: now)
            let late = try await SignInLinks.create(person: "p-1", device: "d-1", tenant: Tenant.defaultID, in: store, now: now)
            #expect(try await SignInLinks.spend(code, in: store, now: now.addingTimeInterval(60))?.person == "p-1")
            #expect(try await SignInLinks.spend(code, in: store, now: now.addingTimeInterval(61)) == nil, "once only")
            #expect(try await SignInLinks.spend(late, in: store, now: now.addingTimeInterval(SignInLinks.lifetime + 1)) == nil, "expired")
            #expect(try await SignInLinks.spend("not-a-code", in: store, now: now) == nil)
        }
    }

    @Test(arguments: StoreKind.available)
    func aBrowserSignInEndsWhenUnusedForTwoHoursOrAtItsTwelfthHour(_ kind: StoreKind) async throws {
        try await TestServer.with(kind) { test in
            let reader = try await SignedInReader.make(test, scope: .read)
            let sessions = WebSessions(store: test.store, secureCookies: false)
            let request = Request(head: .init(method: .get, scheme: "http", authority: "127.0.0.1", path: "/", headerFields: [.cookie: reader.cookie]),
                                  body: .init(buffer: .init()))
            let now = Date()
            #expect(try await sessions.token(for: request, now: now) != nil)
            #expect(try await sessions.token(for: request, now: now.addingTimeInterval(WebSessions.idleLifetime - 120)) != nil, "used within the idle time")
            // Used every hour, it lasts until its twelfth hour, and not past it.
            for hour in 2..<12 {
                #expect(try await sessions.token(for: request, now: now.addingTimeInterval(Double(hour) * 3600)) != nil, "hour \(hour)")
            }
            #expect(try await sessions.token(for: request, now: now.addingTimeInterval(WebSessions.lifetime + 60)) == nil, "past twelve hours")
            let idle = try await SignedInReader.make(test, scope: .read)
            let idleRequest = Request(head: .init(method: .get, scheme: "http", authority: "127.0.0.1", path: "/", headerFields: [.cookie: idle.cookie]),
                                      body: .init(buffer: .init()))
            // Two hours after it was made (on a loaded machine that can be minutes after `now`).
            let made = Date()
            #expect(try await sessions.token(for: idleRequest, now: made.addingTimeInterval(WebSessions.idleLifetime + 60)) == nil, "unused for two hours")
        }
    }
}
