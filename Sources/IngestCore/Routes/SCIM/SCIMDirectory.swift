import Foundation
import HTTPTypes
import Hummingbird
import IngestStore

/// A tenant's people and teams as SCIM Users and Groups. The document a client wrote is kept
/// as written (without the password and read-only attributes) and returned as it is, with the
/// server's `id`, `meta` and, for a user, the teams they are in; what the directory needs
/// (email, name, active, members) is read from it on every write.
struct SCIMDirectory: Sendable {
    enum Kind: String, Sendable {
        case user = "User", group = "Group"

        var endpoint: String { self == .user ? "Users" : "Groups" }
        var schema: String { self == .user ? SCIMSchemas.userSchema : SCIMSchemas.groupSchema }
        var table: String { self == .user ? "people" : "teams" }
    }

    struct Invalid: Error {
        var status: HTTPResponse.Status
        var detail: String
        var type: String?
    }

    let store: any IngestStore
    let tenant: Int64
    let base: String

    private func location(_ kind: Kind, _ id: String) -> String { "\(base)/\(kind.endpoint)/\(id)" }

    private static func decode(_ text: String?) -> [String: Any]? {
        text.flatMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
    }

    private static func encode(_ document: [String: Any]) -> String {
        String(decoding: (try? JSONSerialization.data(withJSONObject: document, options: [.sortedKeys])) ?? Data("{}".utf8), as: UTF8.self)
    }

    /// What a client may write: the document without what the server keeps (`id`, `meta`,
    /// `groups`) and without the password, which is never kept.
    private static func writable(_ body: [String: Any], kind: Kind) -> [String: Any] {
        var document = body.filter { key, _ in !["id", "meta", "password", "groups", "schemas"].contains(key.lowercased()) }
        document["schemas"] = [kind.schema]
        if let active = document["active"] as? String, ["true", "false"].contains(active.lowercased()) {
            document["active"] = active.lowercased() == "true"
        }
        return document
    }

    // MARK: Reading

    func resources(_ kind: Kind) async throws -> [[String: Any]] {
        let documents = try await PeopleDirectory.scimDocuments(table: kind.table, tenant: tenant, in: store)
        switch kind {
        case .user:
            let teams = try await PeopleDirectory.teams(tenant: tenant, in: store)
            let memberships = try await PeopleDirectory.memberships(tenant: tenant, in: store)
            return try await PeopleDirectory.people(tenant: tenant, in: store).map { person in
                let inTeams = teams.filter { memberships[$0.id]?.contains(person.id) ?? false }
                return user(person, document: Self.decode(documents[person.id]), teams: inTeams)
            }
        case .group:
            let memberships = try await PeopleDirectory.memberships(tenant: tenant, in: store)
            return try await PeopleDirectory.teams(tenant: tenant, in: store).map { team in
                group(team, document: Self.decode(documents[team.id]), members: memberships[team.id] ?? [])
            }
        }
    }

    func resource(_ kind: Kind, id: String) async throws -> [String: Any]? {
        let document = Self.decode(try await PeopleDirectory.scimDocument(table: kind.table, id: id, tenant: tenant, in: store))
        switch kind {
        case .user:
            guard let person = try await PeopleDirectory.person(id: id, tenant: tenant, in: store) else { return nil }
            return user(person, document: document, teams: try await PeopleDirectory.teams(of: id, tenant: tenant, in: store))
        case .group:
            guard let team = try await PeopleDirectory.team(id: id, tenant: tenant, in: store) else { return nil }
            let members = Set(try await PeopleDirectory.members(of: id, tenant: tenant, in: store).map(\.id))
            return group(team, document: document, members: members)
        }
    }

    private func meta(_ kind: Kind, id: String, created: String, updated: String) -> [String: Any] {
        ["resourceType": kind.rawValue, "created": created, "lastModified": updated, "location": location(kind, id)]
    }

    private func user(_ person: PersonRecord, document: [String: Any]?, teams: [TeamRecord]) -> [String: Any] {
        // A person the directory knew before any SCIM client wrote them (a file, an enrollment, an account).
        var resource = document ?? {
            var made: [String: Any] = ["userName": person.email, "active": person.active]
            if let name = person.name { made["displayName"] = name }
            if person.email.contains("@") { made["emails"] = [["value": person.email, "type": "work", "primary": true]] }
            if let external = person.externalID { made["externalId"] = external }
            return made
        }()
        resource["schemas"] = [SCIMSchemas.userSchema]
        resource["id"] = person.id
        resource["meta"] = meta(.user, id: person.id, created: person.created, updated: person.updated)
        if !teams.isEmpty {
            resource["groups"] = teams.map { ["value": $0.id, "$ref": location(.group, $0.id), "display": $0.name] }
        }
        return resource
    }

    private func group(_ team: TeamRecord, document: [String: Any]?, members: Set<String>) -> [String: Any] {
        var resource = document ?? ["displayName": team.name]
        // The members as the client wrote them, less those no longer in the team, and any added
        // another way (a directory file).
        let written = (resource["members"] as? [[String: Any]] ?? []).filter { ($0["value"] as? String).map(members.contains) ?? false }
        let writtenIDs = Set(written.compactMap { $0["value"] as? String })
        let others = members.subtracting(writtenIDs).sorted().map { ["value": $0, "$ref": location(.user, $0), "type": "User"] as [String: Any] }
        if written.isEmpty && others.isEmpty { resource.removeValue(forKey: "members") } else { resource["members"] = written + others }
        resource["schemas"] = [SCIMSchemas.groupSchema]
        resource["id"] = team.id
        resource["meta"] = meta(.group, id: team.id, created: team.created, updated: team.updated)
        return resource
    }

    // MARK: Writing

    /// The person a User document describes: its email (the userName when it is one, else a
    /// primary or first email, else the userName as it is), name, active, externalId.
    private static func person(from document: [String: Any]) throws -> PeopleDirectory.PersonUpdate {
        guard let userName = (document["userName"] as? String)?.trimmingCharacters(in: .whitespaces), !userName.isEmpty else {
            throw Invalid(status: .badRequest, detail: "userName is required", type: "invalidValue")
        }
        let emails = (document["emails"] as? [[String: Any]]) ?? []
        let email = userName.contains("@") ? userName
            : (emails.first { $0["primary"] as? Bool == true } ?? emails.first)?["value"] as? String ?? userName
        let name = document["name"] as? [String: Any]
        let displayName = document["displayName"] as? String ?? name?["formatted"] as? String
            ?? [name?["givenName"] as? String, name?["familyName"] as? String].compactMap { $0 }.joined(separator: " ")
        return PeopleDirectory.PersonUpdate(email: email, name: displayName.isEmpty ? nil : displayName, active: document["active"] as? Bool,
                                            externalID: document["externalId"] as? String, scim: encode(document))
    }

    private func memberIDs(of document: [String: Any]) async throws -> [String] {
        var ids: [String] = []
        for member in document["members"] as? [Any] ?? [] {
            guard let value = (member as? [String: Any])?["value"] as? String else {
                throw Invalid(status: .badRequest, detail: "each member needs a value (a User's id)", type: "invalidValue")
            }
            guard try await PeopleDirectory.person(id: value, tenant: tenant, in: store) != nil else {
                throw Invalid(status: .badRequest, detail: "no User with id \(value.prefix(80)) in this tenant", type: "invalidValue")
            }
            ids.append(value)
        }
        return ids
    }

    private static func teamName(_ document: [String: Any]) throws -> String {
        guard let name = (document["displayName"] as? String)?.trimmingCharacters(in: .whitespaces), (1...200).contains(name.count) else {
            throw Invalid(status: .badRequest, detail: "displayName is required (1 to 200 characters)", type: "invalidValue")
        }
        return name
    }

    func create(_ kind: Kind, _ body: [String: Any]) async throws -> Response {
        let document = Self.writable(body, kind: kind)
        let id: String
        switch kind {
        case .user:
            let update = try Self.person(from: document)
            // A person known from an account, enrollment or file is adopted; one a client wrote is taken.
            if let existing = try await PeopleDirectory.person(email: update.email, tenant: tenant, in: store),
               try await PeopleDirectory.scimDocument(table: "people", id: existing.id, tenant: tenant, in: store) != nil {
                throw Invalid(status: .conflict, detail: "a User with userName \(update.email) exists", type: "uniqueness")
            }
            id = try await PeopleDirectory.upsert(update, origin: "scim", tenant: tenant, in: store).id
        case .group:
            let name = try Self.teamName(document)
            if try await PeopleDirectory.team(named: name, tenant: tenant, in: store) != nil {
                throw Invalid(status: .conflict, detail: "a Group named \(name) exists", type: "uniqueness")
            }
            let members = try await memberIDs(of: document)
            let team = try await PeopleDirectory.upsertTeam(named: name, externalID: document["externalId"] as? String,
                                                            scim: Self.encode(document), tenant: tenant, in: store)
            try await PeopleDirectory.setMembers(of: team.id, to: members, tenant: tenant, in: store)
            id = team.id
        }
        guard let resource = try await resource(kind, id: id) else { throw Invalid(status: .internalServerError, detail: "written, then not found") }
        return SCIMHandler.json(resource, status: .created, headers: [.location: location(kind, id)])
    }

    func replace(_ kind: Kind, id: String, with body: [String: Any]) async throws -> Response {
        let document = Self.writable(body, kind: kind)
        switch kind {
        case .user:
            guard try await PeopleDirectory.person(id: id, tenant: tenant, in: store) != nil else {
                throw Invalid(status: .notFound, detail: "no User \(id)")
            }
            do {
                _ = try await PeopleDirectory.replace(id: id, with: try Self.person(from: document), tenant: tenant, in: store)
            } catch let conflict as DirectoryConflict {
                throw Invalid(status: .conflict, detail: conflict.description, type: "uniqueness")
            }
        case .group:
            guard try await PeopleDirectory.team(id: id, tenant: tenant, in: store) != nil else {
                throw Invalid(status: .notFound, detail: "no Group \(id)")
            }
            let members = try await memberIDs(of: document)
            do {
                _ = try await PeopleDirectory.updateTeam(id: id, name: try Self.teamName(document), externalID: document["externalId"] as? String,
                                                         scim: Self.encode(document), tenant: tenant, in: store)
            } catch let conflict as DirectoryConflict {
                throw Invalid(status: .conflict, detail: conflict.description, type: "uniqueness")
            }
            try await PeopleDirectory.setMembers(of: id, to: members, tenant: tenant, in: store)
        }
        guard let resource = try await resource(kind, id: id) else { throw Invalid(status: .notFound, detail: "no \(kind.rawValue) \(id)") }
        return SCIMHandler.json(resource)
    }

    func patch(_ kind: Kind, id: String, with body: [String: Any]) async throws -> Response {
        guard var current = try await resource(kind, id: id) else { throw Invalid(status: .notFound, detail: "no \(kind.rawValue) \(id)") }
        current.removeValue(forKey: "groups")
        let patched: [String: Any]
        do {
            patched = try SCIMPatch.apply(body, to: current)
        } catch {
            throw Invalid(status: .badRequest, detail: error.description, type: error.type)
        }
        return try await replace(kind, id: id, with: patched)
    }

    func delete(_ kind: Kind, id: String) async throws -> Response {
        let found = kind == .user ? try await PeopleDirectory.delete(person: id, tenant: tenant, in: store)
            : try await PeopleDirectory.deleteTeam(id: id, tenant: tenant, in: store)
        guard found else { throw Invalid(status: .notFound, detail: "no \(kind.rawValue) \(id)") }
        return Response(status: .noContent)
    }
}
