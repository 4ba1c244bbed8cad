import Foundation
import SQLiteDB

/// A person of a tenant: who the devices belong to. One person across ten machines is one
/// person in every total.
public struct PersonRecord: Codable, Sendable, Equatable {
    /// Opaque and stable (a UUID): the SCIM id.
    public var id: String
    /// Lower-cased; unique within the tenant.
    public var email: String
    public var name: String?
    public var active: Bool
    public var externalID: String?
    /// The manager's email, from a directory file.
    public var manager: String?
    /// Where the person came from: `scim`, `file`, `admin`, `enrollment` or `account`.
    public var origin: String
    public var created: String
    public var updated: String
}

/// A team: people grouped by a directory (a SCIM group, a column of a directory file).
public struct TeamRecord: Codable, Sendable, Equatable {
    public var id: String
    public var name: String
    public var externalID: String?
    public var created: String
    public var updated: String
}

/// How a device came to be linked to its person, weakest first: a stronger link replaces a
/// weaker one, never the reverse.
public enum DeviceLink: String, Codable, Sendable, CaseIterable {
    /// The tools on the device are signed in with an email in the organisation's domains.
    case account
    /// The enrollment secret that enrolled it was made for this person.
    case enrollment
    /// An admin said so (`person assign`).
    case admin

    var strength: Int64 { Int64(Self.allCases.firstIndex(of: self)!) }
}

/// The people, teams and device owners of each tenant, and the email domains that are its own.
/// Kept by admins, directory files and SCIM; none of it derived from raw envelopes, so a
/// reparse leaves it alone.
package enum PeopleDirectory {
    package static func schema(_ dialect: SQLDialect) -> [String] {
        let int = dialect == .sqlite ? "INTEGER" : "BIGINT"
        return [
            """
            CREATE TABLE people (
                id TEXT PRIMARY KEY, tenant_id \(int) NOT NULL, email TEXT NOT NULL, name TEXT, active \(int) NOT NULL DEFAULT 1,
                external_id TEXT, manager TEXT, origin TEXT NOT NULL, scim TEXT, created_at TEXT NOT NULL, updated_at TEXT NOT NULL,
                UNIQUE (tenant_id, email))
            """,
            """
            CREATE TABLE teams (
                id TEXT PRIMARY KEY, tenant_id \(int) NOT NULL, name TEXT NOT NULL, external_id TEXT, scim TEXT,
                created_at TEXT NOT NULL, updated_at TEXT NOT NULL, UNIQUE (tenant_id, name))
            """,
            "CREATE TABLE team_members (team_id TEXT NOT NULL, person_id TEXT NOT NULL, PRIMARY KEY (team_id, person_id))",
            "CREATE INDEX team_members_person ON team_members(person_id)",
            """
            CREATE TABLE device_people (
                tenant_id \(int) NOT NULL, device TEXT NOT NULL, person_id TEXT NOT NULL, link TEXT NOT NULL, strength \(int) NOT NULL,
                linked_at TEXT NOT NULL, PRIMARY KEY (tenant_id, device))
            """,
            "CREATE INDEX device_people_person ON device_people(person_id)",
            "CREATE TABLE tenant_domains (tenant_id \(int) NOT NULL, domain TEXT NOT NULL, PRIMARY KEY (tenant_id, domain))",
            "ALTER TABLE enrollments ADD COLUMN person_email TEXT",
        ]
    }

    /// An email as the directory keeps it: trimmed and lower-cased; nil when it is not one.
    package static func email(_ text: String) -> String? {
        let email = text.trimmingCharacters(in: .whitespacesAndNewlines).lowercased()
        guard email.utf8.count <= 254, let at = email.firstIndex(of: "@"), at != email.startIndex,
              email.index(after: at) != email.endIndex, !email.contains(where: { $0.isWhitespace || $0.asciiValue.map { $0 < 0x20 } ?? false })
        else { return nil }
        return email
    }

    /// What identifies a person in the directory: the email, trimmed and lower-cased; an
    /// identity provider's user name that is not an email is kept as it is given (lower-cased).
    package static func key(_ text: String) -> String? {
        let key = text.trimmingCharacters(in: .whitespacesAndNewlines).lowercased()
        guard (1...254).contains(key.utf8.count), !key.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F }) else {
            return nil
        }
        return key
    }

    static let personColumns = "id, email, name, active, external_id, manager, origin, created_at, updated_at"
    /// The same, of `people p` in a join.
    static let joinedPersonColumns = personColumns.split(separator: ",").map { "p." + $0.trimmingCharacters(in: .whitespaces) }
        .joined(separator: ", ")

    static func person(_ row: [SQLiteValue]) -> PersonRecord {
        PersonRecord(id: row[0].text ?? "", email: row[1].text ?? "", name: row[2].text, active: (row[3].int ?? 1) != 0,
                     externalID: row[4].text, manager: row[5].text, origin: row[6].text ?? "", created: row[7].text ?? "",
                     updated: row[8].text ?? "")
    }

    static func team(_ row: [SQLiteValue]) -> TeamRecord {
        TeamRecord(id: row[0].text ?? "", name: row[1].text ?? "", externalID: row[2].text, created: row[3].text ?? "",
                   updated: row[4].text ?? "")
    }

    // MARK: People

    /// The person with this id in `tenant` (nil: in any tenant, for an admin).
    package static func person(id: String, tenant: Int64?, in store: any NormalizedStore) async throws -> PersonRecord? {
        try await store.query(SQLStatement("SELECT \(personColumns) FROM people WHERE ($1 < 0 OR tenant_id = $1) AND id = $2",
                                           [.integer(tenant ?? -1), .text(id)])).first.map(person)
    }

    /// The ids of a tenant's deactivated people.
    package static func inactive(tenant: Int64, in store: any NormalizedStore) async throws -> Set<String> {
        Set(try await store.query(SQLStatement("SELECT id FROM people WHERE tenant_id = $1 AND active = 0", [.integer(tenant)]))
            .compactMap { $0[0].text })
    }

    package static func person(email: String, tenant: Int64, in store: any NormalizedStore) async throws -> PersonRecord? {
        guard let email = key(email) else { return nil }
        return try await store.query(SQLStatement("SELECT \(personColumns) FROM people WHERE tenant_id = $1 AND email = $2",
                                                  [.integer(tenant), .text(email)])).first.map(person)
    }

    /// Every person of `tenant`, by email.
    package static func people(tenant: Int64, in store: any NormalizedStore) async throws -> [PersonRecord] {
        try await store.query(SQLStatement("SELECT \(personColumns) FROM people WHERE tenant_id = $1 ORDER BY email",
                                           [.integer(tenant)])).map(person)
    }

    /// What a directory says of a person; nil fields are left as they are.
    package struct PersonUpdate: Sendable {
        package var email: String
        package var name: String?
        package var active: Bool?
        package var externalID: String?
        package var manager: String?
        package var scim: String?

        package init(email: String, name: String? = nil, active: Bool? = nil, externalID: String? = nil, manager: String? = nil,
                     scim: String? = nil) {
            self.email = email
            self.name = name
            self.active = active
            self.externalID = externalID
            self.manager = manager
            self.scim = scim
        }
    }

    /// Creates the person with this email, or updates the one there is (atomically, also
    /// across servers); returns it. `origin` is kept from the first time.
    package static func upsert(_ update: PersonUpdate, origin: String, tenant: Int64, in store: any NormalizedStore) async throws -> PersonRecord {
        guard let email = key(update.email) else { throw DirectoryError("'\(update.email.prefix(80))' is not an email address") }
        let now = DeviceDirectory.timestamp()
        func text(_ value: String?) -> SQLiteValue { value.map { .text(String($0.prefix(500))) } ?? .null }
        try await store.execute([SQLStatement("""
            INSERT INTO people(id, tenant_id, email, name, active, external_id, manager, origin, scim, created_at, updated_at)
            VALUES ($1, $2, $3, $4, coalesce($5, 1), $6, $7, $8, $9, $10, $10)
            ON CONFLICT (tenant_id, email) DO UPDATE SET name = coalesce(excluded.name, people.name),
              active = coalesce($5, people.active), external_id = coalesce(excluded.external_id, people.external_id),
              manager = coalesce(excluded.manager, people.manager), scim = coalesce(excluded.scim, people.scim),
              updated_at = excluded.updated_at
            """, [.text(UUID().uuidString.lowercased()), .integer(tenant), .text(email), text(update.name),
                  update.active.map { .integer($0 ? 1 : 0) } ?? .null, text(update.externalID), text(update.manager.flatMap(self.email)),
                  .text(origin), update.scim.map { .text($0) } ?? .null, .text(now)])])
        guard let person = try await person(email: email, tenant: tenant, in: store) else {
            throw DirectoryError("person \(email) vanished while being written")
        }
        return person
    }

    /// Replaces a person's fields whole (a SCIM PUT): the email may change, unless another
    /// person of the tenant has it.
    package static func replace(id: String, with update: PersonUpdate, tenant: Int64, in store: any NormalizedStore) async throws -> PersonRecord? {
        guard let email = key(update.email) else { throw DirectoryError("'\(update.email.prefix(80))' is not an email address") }
        if let other = try await person(email: email, tenant: tenant, in: store), other.id != id { throw DirectoryConflict(email) }
        try await store.execute([SQLStatement("""
            UPDATE people SET email = $3, name = $4, active = $5, external_id = $6, scim = $7, updated_at = $8
            WHERE tenant_id = $1 AND id = $2
            """, [.integer(tenant), .text(id), .text(email), update.name.map { .text($0) } ?? .null, .integer((update.active ?? true) ? 1 : 0),
                  update.externalID.map { .text($0) } ?? .null, update.scim.map { .text($0) } ?? .null, .text(DeviceDirectory.timestamp())])])
        return try await person(id: id, tenant: tenant, in: store)
    }

    /// Deletes a person, their team memberships and their devices' links; false when there was none.
    package static func delete(person id: String, tenant: Int64, in store: any NormalizedStore) async throws -> Bool {
        guard try await person(id: id, tenant: tenant, in: store) != nil else { return false }
        try await store.execute([
            SQLStatement("DELETE FROM team_members WHERE person_id = $1", [.text(id)]),
            SQLStatement("DELETE FROM device_people WHERE tenant_id = $1 AND person_id = $2", [.integer(tenant), .text(id)]),
            SQLStatement("DELETE FROM people WHERE tenant_id = $1 AND id = $2", [.integer(tenant), .text(id)]),
        ])
        return true
    }

    /// The SCIM document last written for a person or team (what a SCIM client sent).
    package static func scimDocument(table: String, id: String, tenant: Int64, in store: any NormalizedStore) async throws -> String? {
        precondition(table == "people" || table == "teams")
        return try await store.query(SQLStatement("SELECT scim FROM \(table) WHERE tenant_id = $1 AND id = $2",
                                                  [.integer(tenant), .text(id)])).first?[0].text
    }

    // MARK: Teams

    package static let teamColumns = "id, name, external_id, created_at, updated_at"

    package static func teams(tenant: Int64, in store: any NormalizedStore) async throws -> [TeamRecord] {
        try await store.query(SQLStatement("SELECT \(teamColumns) FROM teams WHERE tenant_id = $1 ORDER BY name", [.integer(tenant)]))
            .map(team)
    }

    /// The team with this id in `tenant` (nil: in any tenant, for an admin).
    package static func team(id: String, tenant: Int64?, in store: any NormalizedStore) async throws -> TeamRecord? {
        try await store.query(SQLStatement("SELECT \(teamColumns) FROM teams WHERE ($1 < 0 OR tenant_id = $1) AND id = $2",
                                           [.integer(tenant ?? -1), .text(id)])).first.map(team)
    }

    package static func team(named name: String, tenant: Int64, in store: any NormalizedStore) async throws -> TeamRecord? {
        try await store.query(SQLStatement("SELECT \(teamColumns) FROM teams WHERE tenant_id = $1 AND name = $2",
                                           [.integer(tenant), .text(name)])).first.map(team)
    }

    /// Creates the team of this name, or gives the one there is.
    package static func upsertTeam(named name: String, externalID: String? = nil, scim: String? = nil, tenant: Int64,
                                   in store: any NormalizedStore) async throws -> TeamRecord {
        let name = name.trimmingCharacters(in: .whitespacesAndNewlines)
        guard (1...200).contains(name.count) else { throw DirectoryError("a team name is 1 to 200 characters") }
        let now = DeviceDirectory.timestamp()
        try await store.execute([SQLStatement("""
            INSERT INTO teams(id, tenant_id, name, external_id, scim, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $6)
            ON CONFLICT (tenant_id, name) DO UPDATE SET external_id = coalesce(excluded.external_id, teams.external_id),
              scim = coalesce(excluded.scim, teams.scim), updated_at = excluded.updated_at
            """, [.text(UUID().uuidString.lowercased()), .integer(tenant), .text(name), externalID.map { .text($0) } ?? .null,
                  scim.map { .text($0) } ?? .null, .text(now)])])
        guard let team = try await team(named: name, tenant: tenant, in: store) else { throw DirectoryError("team \(name) vanished") }
        return team
    }

    /// Renames a team and replaces its SCIM document; false when there is none.
    package static func updateTeam(id: String, name: String, externalID: String?, scim: String?, tenant: Int64,
                                   in store: any NormalizedStore) async throws -> Bool {
        if let other = try await team(named: name, tenant: tenant, in: store), other.id != id { throw DirectoryConflict(name) }
        guard try await team(id: id, tenant: tenant, in: store) != nil else { return false }
        try await store.execute([SQLStatement("""
            UPDATE teams SET name = $3, external_id = $4, scim = $5, updated_at = $6 WHERE tenant_id = $1 AND id = $2
            """, [.integer(tenant), .text(id), .text(name), externalID.map { .text($0) } ?? .null, scim.map { .text($0) } ?? .null,
                  .text(DeviceDirectory.timestamp())])])
        return true
    }

    package static func deleteTeam(id: String, tenant: Int64, in store: any NormalizedStore) async throws -> Bool {
        guard try await team(id: id, tenant: tenant, in: store) != nil else { return false }
        try await store.execute([
            SQLStatement("DELETE FROM team_members WHERE team_id = $1", [.text(id)]),
            SQLStatement("DELETE FROM teams WHERE tenant_id = $1 AND id = $2", [.integer(tenant), .text(id)]),
        ])
        return true
    }

    /// The ids of a team's members (only people of the same tenant).
    package static func members(of team: String, tenant: Int64, in store: any NormalizedStore) async throws -> [PersonRecord] {
        try await store.query(SQLStatement("""
            SELECT \(joinedPersonColumns)
            FROM team_members m JOIN people p ON p.id = m.person_id WHERE m.team_id = $1 AND p.tenant_id = $2 ORDER BY p.email
            """, [.text(team), .integer(tenant)])).map(person)
    }

    /// The teams a person is in.
    package static func teams(of person: String, tenant: Int64, in store: any NormalizedStore) async throws -> [TeamRecord] {
        try await store.query(SQLStatement("""
            SELECT t.id, t.name, t.external_id, t.created_at, t.updated_at FROM team_members m JOIN teams t ON t.id = m.team_id
            WHERE m.person_id = $1 AND t.tenant_id = $2 ORDER BY t.name
            """, [.text(person), .integer(tenant)])).map(team)
    }

    /// Sets a team's members to exactly `people` (ids of the tenant's people; others are refused).
    package static func setMembers(of team: String, to people: [String], tenant: Int64, in store: any NormalizedStore) async throws {
        try await checkPeople(people, tenant: tenant, in: store)
        try await store.execute([SQLStatement("DELETE FROM team_members WHERE team_id = $1", [.text(team)])]
            + Set(people).sorted().map { addMember($0, to: team) })
    }

    package static func addMembers(_ people: [String], to team: String, tenant: Int64, in store: any NormalizedStore) async throws {
        try await checkPeople(people, tenant: tenant, in: store)
        try await store.execute(Set(people).sorted().map { addMember($0, to: team) })
    }

    package static func removeMembers(_ people: [String], from team: String, in store: any NormalizedStore) async throws {
        try await store.execute(people.map { SQLStatement("DELETE FROM team_members WHERE team_id = $1 AND person_id = $2", [.text(team), .text($0)]) })
    }

    /// Sets a person's teams that came from single sign-on to exactly `teams` (ids): the groups
    /// their last sign-in named. Memberships from SCIM, a file or an admin are left alone.
    package static func setSignOnTeams(of person: String, to teams: [String], tenant: Int64, in store: any NormalizedStore) async throws {
        // A team an earlier sign-in's groups put them in, and this one's do not: left.
        let earlier = try await store.query(SQLStatement("SELECT team_id FROM sso_memberships WHERE person_id = $1", [.text(person)]))
            .compactMap { $0[0].text }
        var statements = earlier.filter { !teams.contains($0) }.map {
            SQLStatement("DELETE FROM team_members WHERE team_id = $1 AND person_id = $2", [.text($0), .text(person)])
        }
        statements.append(SQLStatement("DELETE FROM sso_memberships WHERE person_id = $1", [.text(person)]))
        for team in Set(teams).sorted() {
            statements.append(addMember(person, to: team))
            statements.append(SQLStatement("INSERT INTO sso_memberships(person_id, team_id) VALUES ($1, $2)", [.text(person), .text(team)]))
        }
        try await store.execute(statements)
    }

    static func addMember(_ person: String, to team: String) -> SQLStatement {
        SQLStatement("INSERT INTO team_members(team_id, person_id) VALUES ($1, $2) ON CONFLICT (team_id, person_id) DO NOTHING",
                     [.text(team), .text(person)])
    }

    static func checkPeople(_ ids: [String], tenant: Int64, in store: any NormalizedStore) async throws {
        for id in Set(ids) where try await person(id: id, tenant: tenant, in: store) == nil {
            throw DirectoryError("no person with id \(id.prefix(80))")
        }
    }

    // MARK: Devices and domains

    /// Links `device` to `person` unless a stronger link holds it.
    package static func link(device: String, to person: String, by link: DeviceLink, tenant: Int64) -> SQLStatement {
        SQLStatement("""
            INSERT INTO device_people(tenant_id, device, person_id, link, strength, linked_at) VALUES ($1, $2, $3, $4, $5, $6)
            ON CONFLICT (tenant_id, device) DO UPDATE SET person_id = excluded.person_id, link = excluded.link,
              strength = excluded.strength, linked_at = excluded.linked_at
            WHERE excluded.strength >= device_people.strength
            """, [.integer(tenant), .text(device), .text(person), .text(link.rawValue), .integer(link.strength),
                  .text(DeviceDirectory.timestamp())])
    }

    /// The person each device of `tenant` belongs to, and how it was linked.
    package static func owners(tenant: Int64, in store: any NormalizedStore) async throws -> [String: (person: PersonRecord, link: String)] {
        try await owners(tenant: tenant, device: nil, in: store)
    }

    /// The person one device belongs to, and how it was linked.
    package static func owner(of device: String, tenant: Int64, in store: any NormalizedStore) async throws -> (person: PersonRecord, link: String)? {
        try await owners(tenant: tenant, device: device, in: store)[device]
    }

    private static func owners(tenant: Int64, device: String?, in store: any NormalizedStore) async throws -> [String: (person: PersonRecord, link: String)] {
        var owners: [String: (PersonRecord, String)] = [:]
        for row in try await store.query(SQLStatement("""
            SELECT d.device, d.link, \(joinedPersonColumns)
            FROM device_people d JOIN people p ON p.id = d.person_id WHERE d.tenant_id = $1 AND ($2 = '' OR d.device = $2)
            """, [.integer(tenant), .text(device ?? "")])) {
            owners[row[0].text ?? ""] = (person(Array(row[2...])), row[1].text ?? "")
        }
        return owners
    }

    package static func domains(tenant: Int64, in store: any NormalizedStore) async throws -> [String] {
        try await store.query(SQLStatement("SELECT domain FROM tenant_domains WHERE tenant_id = $1 ORDER BY domain", [.integer(tenant)]))
            .compactMap { $0[0].text }
    }

    /// Sets the tenant's own email domains, then links devices by their accounts again.
    package static func setDomains(_ domains: [String], tenant: Int64, in store: any NormalizedStore) async throws {
        let cleaned = Set(domains.map { $0.trimmingCharacters(in: .whitespaces).lowercased() }.filter { !$0.isEmpty })
        for domain in cleaned where domain.contains("@") || !domain.contains(".") || domain.contains(where: \.isWhitespace) {
            throw DirectoryError("'\(domain)' is not a domain (acme.com)")
        }
        try await store.execute([SQLStatement("DELETE FROM tenant_domains WHERE tenant_id = $1", [.integer(tenant)])]
            + cleaned.sorted().map { SQLStatement("INSERT INTO tenant_domains(tenant_id, domain) VALUES ($1, $2)", [.integer(tenant), .text($0)]) })
        try await linkByAccounts(tenant: tenant, in: store)
    }

    /// Links each device to the person of the newest account in the tenant's domains its tools
    /// are signed in to (a person made for an email not known yet), where no enrollment or admin
    /// link holds it.
    package static func linkByAccounts(tenant: Int64, in store: any NormalizedStore) async throws {
        let rows = try await store.query(SQLStatement("""
            SELECT a.device, a.email, a.name, a.last_seen FROM norm_accounts a
            JOIN tenant_domains d ON d.tenant_id = a.tenant_id AND d.domain = a.domain
            WHERE a.tenant_id = $1 AND a.email IS NOT NULL AND (a.personal IS NULL OR a.personal = 0)
            ORDER BY a.device, a.last_seen DESC, a.email
            """, [.integer(tenant)]))
        var newest: [String: (email: String, name: String?)] = [:]
        for row in rows {
            guard let device = row[0].text, let email = row[1].text, newest[device] == nil else { continue }
            newest[device] = (email, row[2].text)
        }
        var statements: [SQLStatement] = []
        for (device, account) in newest.sorted(by: { $0.key < $1.key }) {
            guard let person = try? await upsert(PersonUpdate(email: account.email, name: account.name), origin: DeviceLink.account.rawValue,
                                                 tenant: tenant, in: store) else { continue }
            statements.append(link(device: device, to: person.id, by: .account, tenant: tenant))
        }
        if !statements.isEmpty { try await store.execute(statements) }
    }
}

/// A directory change that cannot be made, said plainly.
public struct DirectoryError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}

/// Another person or team of the tenant already has this email or name.
public struct DirectoryConflict: Error, CustomStringConvertible {
    public let value: String
    public init(_ value: String) { self.value = value }
    public var description: String { "\(value) is taken by another entry of this tenant" }
}

/// Sessions of one person's devices, or of one team's members' devices: the condition over a
/// sessions alias, for every query that filters by person or team.
public struct OwnerFilter: Sendable, Equatable {
    /// A person's id.
    public var person: String?
    /// A team's id.
    public var team: String?
    /// Only sessions of devices of these people (ids; empty: none): what a reader's role lets it
    /// read. Nil: no such bound.
    public var allowed: Set<String>?

    public init(person: String? = nil, team: String? = nil, allowed: Set<String>? = nil) {
        self.person = person
        self.team = team
        self.allowed = allowed
    }

    public var isEmpty: Bool { person == nil && team == nil && allowed == nil }

    /// `EXISTS …` conditions over sessions `alias`, their parameters numbered from `first`.
    package func conditions(sessions alias: String, first: Int) -> (conditions: [String], values: [SQLiteValue]) {
        var conditions: [String] = []
        var values: [SQLiteValue] = []
        if let person {
            values.append(.text(person))
            conditions.append("""
                EXISTS (SELECT 1 FROM device_people dp WHERE dp.tenant_id = \(alias).tenant_id AND dp.device = \(alias).device \
                AND dp.person_id = $\(first + values.count - 1))
                """)
        }
        if let team {
            values.append(.text(team))
            conditions.append("""
                EXISTS (SELECT 1 FROM device_people dp JOIN team_members tm ON tm.person_id = dp.person_id \
                WHERE dp.tenant_id = \(alias).tenant_id AND dp.device = \(alias).device AND tm.team_id = $\(first + values.count - 1))
                """)
        }
        if let allowed {
            if allowed.isEmpty {
                conditions.append("1 = 0")
            } else {
                let placeholders = allowed.sorted().map { person -> String in
                    values.append(.text(person))
                    return "$\(first + values.count - 1)"
                }
                conditions.append("""
                    EXISTS (SELECT 1 FROM device_people dp WHERE dp.tenant_id = \(alias).tenant_id AND dp.device = \(alias).device \
                    AND dp.person_id IN (\(placeholders.joined(separator: ", "))))
                    """)
            }
        }
        return (conditions, values)
    }
}

extension PeopleDirectory {
    /// The SCIM documents of a tenant's people or teams, by id (those a SCIM client wrote).
    package static func scimDocuments(table: String, tenant: Int64, in store: any NormalizedStore) async throws -> [String: String] {
        precondition(table == "people" || table == "teams")
        var documents: [String: String] = [:]
        for row in try await store.query(SQLStatement("SELECT id, scim FROM \(table) WHERE tenant_id = $1 AND scim IS NOT NULL",
                                                      [.integer(tenant)])) {
            if let id = row[0].text, let scim = row[1].text { documents[id] = scim }
        }
        return documents
    }

    /// How many people each team of a tenant has, by team id.
    package static func teamSizes(tenant: Int64, in store: any NormalizedStore) async throws -> [String: Int] {
        try await memberships(tenant: tenant, in: store).mapValues(\.count)
    }

    /// Every team membership of a tenant: team id → person ids.
    package static func memberships(tenant: Int64, in store: any NormalizedStore) async throws -> [String: Set<String>] {
        var members: [String: Set<String>] = [:]
        for row in try await store.query(SQLStatement("""
            SELECT m.team_id, m.person_id FROM team_members m JOIN teams t ON t.id = m.team_id WHERE t.tenant_id = $1
            """, [.integer(tenant)])) {
            if let team = row[0].text, let person = row[1].text { members[team, default: []].insert(person) }
        }
        return members
    }
}
