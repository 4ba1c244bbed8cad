import Foundation
import IngestStore
import SwiftCSV

/// A directory exported from an HR system or an identity provider that does not speak SCIM:
/// CSV with a header (`email,name,team,manager`) or JSON (`[{"email", "name", "team" or
/// "teams", "manager"}]`). Several teams are separated by `;`. Importing it creates or updates
/// each person, and sets each team it names to exactly the people it lists in it; people and
/// teams it does not name are left as they are.
public struct DirectoryFile: Sendable, Equatable {
    public struct Entry: Sendable, Equatable {
        public var email: String
        public var name: String?
        public var teams: [String]
        public var manager: String?
        /// Where it was read (`people.csv:12`), for errors.
        public var location: String
    }

    public var entries: [Entry]

    /// What an import did.
    public struct Outcome: Sendable, Equatable {
        public var people: Int
        public var teams: Int
    }

    /// Reads a directory file; the error names the file, the line and the field.
    public init(contentsOf url: URL) throws {
        let data = try Data(contentsOf: url)
        guard data.count <= 64 << 20 else { throw DirectoryError("\(url.lastPathComponent): larger than 64 MiB") }
        try self.init(data, name: url.lastPathComponent)
    }

    public init(_ data: Data, name: String) throws {
        let text = String(decoding: data, as: UTF8.self)
        let trimmed = text.drop { $0.isWhitespace || $0 == "\u{FEFF}" }
        entries = trimmed.first == "[" || trimmed.first == "{" ? try Self.json(data, name: name) : try Self.csv(String(trimmed), name: name)
        var seen: [String: String] = [:]
        for entry in entries {
            if let first = seen[entry.email] { throw DirectoryError("\(entry.location): \(entry.email) is listed already at \(first)") }
            seen[entry.email] = entry.location
        }
    }

    private static func entry(email: String?, name: String?, teams: [String], manager: String?, at location: String) throws -> Entry {
        guard let raw = email, !raw.isEmpty else { throw DirectoryError("\(location): field 'email' is missing") }
        guard let email = PeopleDirectory.email(raw) else { throw DirectoryError("\(location): field 'email': '\(raw.prefix(80))' is not an email address") }
        var managerEmail: String?
        if let manager, !manager.isEmpty {
            guard let parsed = PeopleDirectory.email(manager) else {
                throw DirectoryError("\(location): field 'manager': '\(manager.prefix(80))' is not an email address")
            }
            managerEmail = parsed
        }
        let teams = teams.flatMap { $0.split(separator: ";") }.map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        for team in teams where team.count > 200 { throw DirectoryError("\(location): field 'team': a team name is at most 200 characters") }
        return Entry(email: email, name: name.flatMap { $0.isEmpty ? nil : $0 }, teams: teams, manager: managerEmail, location: location)
    }

    private static func csv(_ text: String, name: String) throws -> [Entry] {
        let csv: CSV<Enumerated>
        do {
            csv = try CSV<Enumerated>(string: text, delimiter: .comma)
        } catch {
            throw DirectoryError("\(name): not CSV: \(error)")
        }
        let header = csv.header.map { $0.trimmingCharacters(in: .whitespaces).lowercased() }
        guard let emailColumn = header.firstIndex(of: "email") else {
            throw DirectoryError("\(name):1: the header names no 'email' column (email,name,team,manager)")
        }
        func column(_ field: String) -> Int? { header.firstIndex(of: field) ?? header.firstIndex(of: field + "s") }
        let (nameColumn, teamColumn, managerColumn) = (column("name"), column("team"), column("manager"))
        return try csv.rows.enumerated().compactMap { index, row in
            func field(_ column: Int?) -> String? {
                column.flatMap { $0 < row.count ? row[$0].trimmingCharacters(in: .whitespaces) : nil }
            }
            if row.allSatisfy({ $0.trimmingCharacters(in: .whitespaces).isEmpty }) { return nil }
            return try entry(email: field(emailColumn), name: field(nameColumn), teams: field(teamColumn).map { [$0] } ?? [],
                             manager: field(managerColumn), at: "\(name):\(index + 2)")
        }
    }

    private static func json(_ data: Data, name: String) throws -> [Entry] {
        let value: Any
        do {
            value = try JSONSerialization.jsonObject(with: data)
        } catch {
            throw DirectoryError("\(name): not JSON: \(error.localizedDescription)")
        }
        let list = (value as? [Any]) ?? ((value as? [String: Any])?["people"] as? [Any])
        guard let list else { throw DirectoryError("\(name): expected a list of people ([{\"email\": …}]) or {\"people\": [...]}") }
        return try list.enumerated().map { index, element in
            let location = "\(name): person \(index)"
            guard let object = element as? [String: Any] else { throw DirectoryError("\(location): not an object") }
            func string(_ key: String) throws -> String? {
                guard let found = object[key], !(found is NSNull) else { return nil }
                guard let text = found as? String else { throw DirectoryError("\(location): field '\(key)' is not a string") }
                return text
            }
            var teams: [String] = []
            if let team = try string("team") { teams.append(team) }
            if let list = object["teams"] {
                guard let names = list as? [String] else { throw DirectoryError("\(location): field 'teams' is not a list of strings") }
                teams += names
            }
            return try entry(email: try string("email"), name: try string("name"), teams: teams, manager: try string("manager"), at: location)
        }
    }

    /// Writes the file into `tenant`'s directory.
    public func apply(tenant: Int64, in store: any IngestStore) async throws -> Outcome {
        var members: [String: [String]] = [:]
        for entry in entries {
            let person = try await PeopleDirectory.upsert(.init(email: entry.email, name: entry.name, manager: entry.manager),
                                                          origin: "file", tenant: tenant, in: store)
            for team in entry.teams { members[team, default: []].append(person.id) }
        }
        for (name, people) in members.sorted(by: { $0.key < $1.key }) {
            let team = try await PeopleDirectory.upsertTeam(named: name, tenant: tenant, in: store)
            try await PeopleDirectory.setMembers(of: team.id, to: people, tenant: tenant, in: store)
        }
        return Outcome(people: entries.count, teams: members.count)
    }
}
