import Access
import IngestStore

/// The parts of the people, teams, devices and accounts views a reader's role lets it see
/// (docs/roles.md): per-person rows only of the people it may see; teams of fewer members than
/// the tenant's minimum folded into one "other" row; devices and accounts only of the people
/// it may see (all of them for `read` and `admin`).
package enum RoleViews {
    /// The name of the row small teams fold into.
    package static let other = "other"

    /// The people rows the reader may see, each naming only teams of at least the minimum.
    package static func people(_ rows: [PersonFigures], for access: ReadAccess, in store: any IngestStore) async throws -> [PersonFigures] {
        guard let visible = access.people else { return rows }
        let small = Set(try await smallTeams(for: access, in: store).map(\.name))
        return rows.filter { visible.contains($0.id) }.map { row in
            var row = row
            row.teams = row.teams.filter { !small.contains($0) }
            return row
        }
    }

    /// Teams as the reader may see them: each team of at least `minimumGroup` members, and the
    /// rest summed into "other" (itself shown only when its members reach the minimum too).
    package static func teams(_ rows: [TeamFigures], for access: ReadAccess) -> [TeamFigures] {
        guard access.minimumGroup > 1 else { return rows }
        var shown = rows.filter { $0.members >= access.minimumGroup }
        let small = rows.filter { $0.members < access.minimumGroup }
        guard !small.isEmpty else { return shown }
        var folded = TeamFigures(id: other, name: other)
        for team in small {
            folded.members += team.members
            folded.sessions.addSaturated(team.sessions)
            folded.tokens.addSaturated(team.tokens)
            folded.cost += team.cost
            folded.tools = Array(Set(folded.tools).union(team.tools)).sorted()
            folded.models = Array(Set(folded.models).union(team.models)).sorted()
        }
        if folded.members >= access.minimumGroup { shown.append(folded) }
        return shown
    }

    /// The tenant's teams of fewer people than the reader's minimum (none for a reader who sees
    /// every team).
    package static func smallTeams(for access: ReadAccess, in store: any IngestStore) async throws -> [TeamRecord] {
        guard access.minimumGroup > 1, let tenant = access.tenant else { return [] }
        let sizes = try await PeopleDirectory.teamSizes(tenant: tenant, in: store)
        return try await PeopleDirectory.teams(tenant: tenant, in: store).filter { (sizes[$0.id] ?? 0) < access.minimumGroup }
    }

    /// The budgets whose use the reader may see: a person's where it sees that person's figures,
    /// a team's unless the team is below the minimum, the tenant's and teams' unless it reads as one
    /// person (`self`).
    package static func budgets(_ uses: [BudgetUse], for access: ReadAccess, in store: any IngestStore) async throws -> [BudgetUse] {
        let small = Set(try await smallTeams(for: access, in: store).map(\.id))
        return uses.filter { use in
            switch use.budget.scope {
            case .person: access.maySeeFigures(of: use.budget.target)
            case .team: !small.contains(use.budget.target) && access.token.scope != .selfOnly
            case .tenant: access.token.scope != .selfOnly
            }
        }
    }

    /// The emails of the people the reader may see (nil: everyone).
    package static func visibleEmails(for access: ReadAccess, in store: any IngestStore) async throws -> Set<String>? {
        guard let visible = access.people else { return nil }
        guard let tenant = access.tenant else { return nil }
        return Set(try await PeopleDirectory.people(tenant: tenant, in: store).filter { visible.contains($0.id) }.map(\.email))
    }

    package static func devices(_ rows: [DeviceRecord], emails: Set<String>?) -> [DeviceRecord] {
        guard let emails else { return rows }
        return rows.filter { $0.person.map(emails.contains) ?? false }
    }

    package static func accounts(_ rows: [AccountInUse], emails: Set<String>?) -> [AccountInUse] {
        guard let emails else { return rows }
        return rows.filter { $0.person.map(emails.contains) ?? false }
    }

    /// Why a `person=` or `team=` filter is refused to this reader, or nil when it may use it:
    /// one person's figures need that person among those it may see; a team's, a team of at
    /// least the minimum.
    package static func refusal(person: String?, team: String?, for access: ReadAccess, in store: any IngestStore) async throws -> String? {
        if let person, !access.maySeeFigures(of: person) {
            return "one person's figures need read, content or self for that person, or a people grant (this reader is \(access.role))"
        }
        if let team, access.minimumGroup > 1, let tenant = access.tenant,
           (try await PeopleDirectory.teamSizes(tenant: tenant, in: store)[team] ?? 0) < access.minimumGroup {
            return "this team has fewer than \(access.minimumGroup) members: its figures are shown only within \"other\""
        }
        return nil
    }
}
