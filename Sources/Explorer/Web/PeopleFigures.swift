import Foundation
import IngestStore
import Normalization
import SQLiteDB

/// One person's figures: what their devices' sessions add up to, whichever device they used.
package struct PersonFigures: Codable, Sendable, Equatable {
    package var id: String
    package var email: String
    package var name: String?
    package var active: Bool
    package var teams: [String] = []
    package var devices: [String] = []
    package var sessions: Int64 = 0
    package var tokens: Int64 = 0
    package var cost: Double = 0
    package var tools: [String] = []
    package var models: [String] = []
    package var accounts: Int = 0
    /// Personal accounts signed in on the person's devices.
    package var flaggedAccounts: Int = 0
    package var lastActive: String?
}

/// One team's figures: its members' devices' sessions.
package struct TeamFigures: Codable, Sendable, Equatable {
    package var id: String
    package var name: String
    package var members: Int = 0
    package var sessions: Int64 = 0
    package var tokens: Int64 = 0
    package var cost: Double = 0
    package var tools: [String] = []
    package var models: [String] = []
}

/// Sessions, tokens, cost, tools and models per person and per team, from the sessions of the
/// devices linked to each person (`device_people`). A device belongs to one person, so a
/// person's totals are the sum of their devices' and nothing is counted twice.
package struct PeopleFigures: Sendable {
    package let store: any IngestStore

    package init(store: any IngestStore) {
        self.store = store
    }

    /// Per person: sessions with messages, tokens and cost since `since` (`YYYY-MM-DD`; nil: all).
    /// The sessions are counted from their totals rows, which carry what is grouped by
    /// (``SessionTotals/facets``).
    private func tallies(tenant: Int64?, since: String?) async throws -> [String: (sessions: Int64, tokens: Int64, cost: Double, tools: Set<String>, models: Set<String>, last: String?)] {
        let scope: [SQLiteValue] = [.integer(tenant ?? -1), .text(since ?? "")]
        var tallies: [String: (sessions: Int64, tokens: Int64, cost: Double, tools: Set<String>, models: Set<String>, last: String?)] = [:]
        for row in try await store.query(SQLStatement("""
            SELECT dp.person_id, t.tool, count(*), max(t.ended_at) FROM norm_session_totals t
            JOIN device_people dp ON dp.tenant_id = t.tenant_id AND dp.device = t.device
            WHERE t.messages > 0 AND ($1 < 0 OR t.tenant_id = $1) AND coalesce(t.started_at, '') >= $2
            GROUP BY dp.person_id, t.tool
            """, scope)) {
            guard let person = row[0].text else { continue }
            var tally = tallies[person] ?? (0, 0, 0, [], [], nil)
            tally.sessions.addSaturated(row[2].int ?? 0)
            if let tool = row[1].text { tally.tools.insert(tool) }
            if let last = row[3].text, tally.last.map({ last > $0 }) ?? true { tally.last = last }
            tallies[person] = tally
        }
        for row in try await store.query(SQLStatement("""
            SELECT dp.person_id, \(UsageByDay.model(of: "u")), CAST(sum(u.tokens) AS BIGINT), sum(u.cost) FROM norm_usage_by_day u
            JOIN device_people dp ON dp.tenant_id = u.tenant_id AND dp.device = u.device
            WHERE ($1 < 0 OR u.tenant_id = $1) AND u.rows > 0
              AND (CASE WHEN u.day = '' THEN coalesce(u.started_day, '') ELSE u.day END) >= $2
            GROUP BY dp.person_id, \(UsageByDay.model(of: "u"))
            """, scope)) {
            guard let person = row[0].text else { continue }
            var tally = tallies[person] ?? (0, 0, 0, [], [], nil)
            tally.tokens.addSaturated(row[2].int ?? 0)
            tally.cost += row[3].double ?? 0
            if let model = row[1].text, !model.isEmpty { tally.models.insert(model) }
            tallies[person] = tally
        }
        return tallies
    }

    /// Every person of the tenant (nil: every tenant's, for an admin), most tokens first.
    package func people(tenant: Int64?, since: String? = nil) async throws -> [PersonFigures] {
        let tallies = try await tallies(tenant: tenant, since: since)
        var teams: [String: [String]] = [:]
        for row in try await store.query(SQLStatement("""
            SELECT m.person_id, t.name FROM team_members m JOIN teams t ON t.id = m.team_id WHERE ($1 < 0 OR t.tenant_id = $1) ORDER BY t.name
            """, [.integer(tenant ?? -1)])) {
            if let person = row[0].text, let team = row[1].text { teams[person, default: []].append(team) }
        }
        var devices: [String: [String]] = [:]
        for row in try await store.query(SQLStatement(
            "SELECT person_id, device FROM device_people WHERE ($1 < 0 OR tenant_id = $1) ORDER BY device", [.integer(tenant ?? -1)])) {
            if let person = row[0].text, let device = row[1].text { devices[person, default: []].append(device) }
        }
        var accounts: [String: (all: Int, flagged: Int)] = [:]
        for tenantID in try await tenants(tenant) {
            for account in try await AccountsInUse.accounts(tenant: tenantID, in: store) {
                guard let owner = account.person else { continue }
                accounts[owner, default: (0, 0)].all += 1
                if account.flagged { accounts[owner, default: (0, 0)].flagged += 1 }
            }
        }
        let people = try await store.query(SQLStatement(
            "SELECT id, email, name, active FROM people WHERE ($1 < 0 OR tenant_id = $1)", [.integer(tenant ?? -1)]))
        return people.map { row in
            let id = row[0].text ?? "", email = row[1].text ?? ""
            var figures = PersonFigures(id: id, email: email, name: row[2].text, active: (row[3].int ?? 1) != 0)
            figures.teams = teams[id] ?? []
            figures.devices = devices[id] ?? []
            if let tally = tallies[id] {
                figures.sessions = tally.sessions
                figures.tokens = tally.tokens
                figures.cost = tally.cost
                figures.tools = tally.tools.sorted()
                figures.models = tally.models.sorted()
                figures.lastActive = tally.last
            }
            figures.accounts = accounts[email]?.all ?? 0
            figures.flaggedAccounts = accounts[email]?.flagged ?? 0
            return figures
        }.sorted { $0.tokens != $1.tokens ? $0.tokens > $1.tokens : $0.email < $1.email }
    }

    /// Every team of the tenant, its members' figures summed (a person in two teams counts in both).
    package func teams(tenant: Int64?, since: String? = nil) async throws -> [TeamFigures] {
        try await teams(of: try await people(tenant: tenant, since: since), tenant: tenant)
    }

    /// Every team of the tenant, summed from its members' figures as ``people(tenant:since:)``
    /// gave them (a page showing both sums every session once, not twice).
    package func teams(of everyone: [PersonFigures], tenant: Int64?) async throws -> [TeamFigures] {
        let people = Dictionary(everyone.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
        var teams: [String: TeamFigures] = [:]
        for row in try await store.query(SQLStatement(
            "SELECT id, name FROM teams WHERE ($1 < 0 OR tenant_id = $1)", [.integer(tenant ?? -1)])) {
            guard let id = row[0].text else { continue }
            teams[id] = TeamFigures(id: id, name: row[1].text ?? "")
        }
        for row in try await store.query(SQLStatement("""
            SELECT m.team_id, m.person_id FROM team_members m JOIN teams t ON t.id = m.team_id WHERE ($1 < 0 OR t.tenant_id = $1)
            """, [.integer(tenant ?? -1)])) {
            guard let team = row[0].text, let person = row[1].text.flatMap({ people[$0] }), var figures = teams[team] else { continue }
            figures.members += 1
            figures.sessions.addSaturated(person.sessions)
            figures.tokens.addSaturated(person.tokens)
            figures.cost += person.cost
            figures.tools = Array(Set(figures.tools).union(person.tools)).sorted()
            figures.models = Array(Set(figures.models).union(person.models)).sorted()
            teams[team] = figures
        }
        return teams.values.sorted { $0.tokens != $1.tokens ? $0.tokens > $1.tokens : $0.name < $1.name }
    }

    private func tenants(_ tenant: Int64?) async throws -> [Int64] {
        if let tenant { return [tenant] }
        return try await store.tenants().map(\.id)
    }
}
