import Access
import Explorer
import Foundation
import IngestStore
import MCP
import Normalization
import SQLiteDB

/// The MCP tools over the fleet's sessions, read only, each answering a caller exactly as the
/// read API answers its role: conversations (search, a session, recent edits) for readers of
/// conversations, within their grants, every read logged; figures for every reader, per person
/// only where it may see that person; results cite session ids and explorer links.
struct SessionTools: Sendable {
    let store: any IngestStore
    /// The explorer's address, for links (nil: links are paths).
    let explorer: String?

    var reader: NormalizedReader { NormalizedReader(store: store) }

    static let tools: [Tool] = [
        Tool(name: "search_sessions",
             description: "Find coding-agent sessions: by words in their messages and tool calls, and by person, team, tool, model and dates. Returns session ids, a snippet around each match, and explorer links.",
             inputSchema: schema([
                "text": ("string", "Words that must all appear (any case)."),
                "person": ("string", "A person's email."), "team": ("string", "A team's name."),
                "tool": ("string", "A tool, e.g. claude-code, codex, cursor."), "model": ("string", "A model name."),
                "since": ("string", "From this day, YYYY-MM-DD."), "until": ("string", "Up to this day, YYYY-MM-DD."),
                "limit": ("integer", "At most this many sessions (default 20, at most 100)."),
             ]), annotations: .init(readOnlyHint: true)),
        Tool(name: "get_session",
             description: "One session's messages in order, a page at a time, each with the tool calls it made and the file changes they caused.",
             inputSchema: schema([
                "session_id": ("string", "The session's id (from search_sessions)."),
                "offset": ("integer", "The first message (default 0)."), "limit": ("integer", "Messages per page (default 50, at most 200)."),
             ], required: ["session_id"]), annotations: .init(readOnlyHint: true)),
        Tool(name: "usage_summary",
             description: "Tokens and cost grouped by person, team, tool, model or day, over a window.",
             inputSchema: schema([
                "group_by": ("string", "person, team, tool, model or day (default tool)."),
                "since": ("string", "From this day, YYYY-MM-DD."), "until": ("string", "Up to this day, YYYY-MM-DD."),
             ]), annotations: .init(readOnlyHint: true)),
        Tool(name: "recent_edits",
             description: "The newest changes agents made to files whose path contains the given text, with their diffs and sessions.",
             inputSchema: schema([
                "path": ("string", "Part of a file's path, e.g. Sources/Server or parser.py."),
                "limit": ("integer", "At most this many changes (default 20, at most 100)."),
             ], required: ["path"]), annotations: .init(readOnlyHint: true)),
        Tool(name: "list_people_and_teams",
             description: "The people and teams whose figures the caller may see, with their sessions, tokens and cost.",
             inputSchema: schema([:]), annotations: .init(readOnlyHint: true)),
    ]

    static func schema(_ properties: [String: (type: String, description: String)], required: [String] = []) -> Value {
        .object([
            "type": "object",
            "properties": .object(properties.mapValues { .object(["type": .string($0.type), "description": .string($0.description)]) }),
            "required": .array(required.map { .string($0) }),
        ])
    }

    /// A failed call: said to the caller, not thrown.
    struct Refusal: Error { var message: String }

    /// Runs tool `name` for `access`; `from` says where the call came from, for the access log.
    func call(_ name: String, _ arguments: [String: Value], access: ReadAccess, from: String) async -> CallTool.Result {
        do {
            let answer: any Encodable & Sendable
            switch name {
            case "search_sessions": answer = try await searchSessions(arguments, access: access)
            case "get_session": answer = try await getSession(arguments, access: access, from: from)
            case "usage_summary": answer = try await usageSummary(arguments, access: access)
            case "recent_edits": answer = try await recentEdits(arguments, access: access, from: from)
            case "list_people_and_teams": answer = try await listPeople(access: access)
            default: throw Refusal(message: "no tool \(name)")
            }
            let json = try Self.encoder.encode(answer)
            return try CallTool.Result(content: [.text(text: String(decoding: json, as: UTF8.self), annotations: nil, _meta: nil)],
                                   structuredContent: try JSONDecoder().decode(Value.self, from: json))
        } catch let refusal as Refusal {
            return CallTool.Result(content: [.text(text: refusal.message, annotations: nil, _meta: nil)], isError: true)
        } catch {
            return CallTool.Result(content: [.text(text: "\(name) failed: \(error)", annotations: nil, _meta: nil)], isError: true)
        }
    }

    static let encoder = JSONEncoder(outputFormatting: [.sortedKeys, .withoutEscapingSlashes], keys: .convertToSnakeCase)

    private func link(_ path: String) -> String { (explorer ?? "") + path }

    private func text(_ arguments: [String: Value], _ name: String) -> String? {
        arguments[name]?.stringValue.flatMap { $0.trimmingCharacters(in: .whitespaces).isEmpty ? nil : $0 }
    }

    private func number(_ arguments: [String: Value], _ name: String, default value: Int, within range: ClosedRange<Int>) throws -> Int {
        guard let given = arguments[name] else { return value }
        guard let number = given.intValue ?? given.doubleValue.map({ Int($0) }) ?? given.stringValue.flatMap({ Int($0) }), range.contains(number) else {
            throw Refusal(message: "\(name): a number from \(range.lowerBound) to \(range.upperBound)")
        }
        return number
    }

    private func day(_ arguments: [String: Value], _ name: String) throws -> String? {
        guard let value = text(arguments, name) else { return nil }
        guard value.range(of: #"^\d{4}-\d{2}-\d{2}$"#, options: .regularExpression) != nil else { throw Refusal(message: "\(name): a day, YYYY-MM-DD") }
        return value
    }

    private func requireContent(_ access: ReadAccess) throws {
        guard access.readsContent else { throw Refusal(message: access.contentRefusal) }
    }

    /// The person's and team's ids the arguments name, checked against what the reader may see.
    private func owner(_ arguments: [String: Value], access: ReadAccess) async throws -> OwnerFilter {
        let tenant = access.tenant ?? Tenant.defaultID
        var owner = OwnerFilter()
        if let email = text(arguments, "person") {
            guard let person = try await PeopleDirectory.person(email: email, tenant: tenant, in: store) else { throw Refusal(message: "no person \(email)") }
            owner.person = person.id
        }
        if let name = text(arguments, "team") {
            guard let team = try await PeopleDirectory.team(named: name, tenant: tenant, in: store) else { throw Refusal(message: "no team \(name)") }
            owner.team = team.id
        }
        if let refusal = try await RoleViews.refusal(person: owner.person, team: owner.team, for: access, in: store) { throw Refusal(message: refusal) }
        return owner
    }

    struct SessionHit: Codable, Sendable {
        var sessionId: String
        var tool: String
        var title: String?
        var project: String?
        var model: String?
        var startedAt: String?
        var messages: Int64?
        var tokens: Int64?
        var snippet: String?
        var link: String
    }

    private func searchSessions(_ arguments: [String: Value], access: ReadAccess) async throws -> [String: [SessionHit]] {
        try requireContent(access)
        let limit = try number(arguments, "limit", default: 20, within: 1...100)
        var filter = NormalizedReader.Filter(tool: text(arguments, "tool"), since: try day(arguments, "since"),
                                             until: try day(arguments, "until").map { $0 + "T99" }, tenant: access.tenant,
                                             model: text(arguments, "model"), owner: try await owner(arguments, access: access))
        filter = access.contentFilter(filter)
        guard let words = text(arguments, "text") else {
            return ["sessions": try await reader.sessions(filter, limit: limit).sessions.map { session in
                SessionHit(sessionId: session.id, tool: session.tool, title: session.title, project: session.project, model: session.model,
                           startedAt: session.startedAt, messages: session.messages, tokens: session.tokens.total, link: link("/sessions/\(session.id)"))
            }]
        }
        var hits: [SessionHit] = []
        var seen = Set<String>()
        for hit in try await FullTextSearch(store: store).search(words, tenant: access.tenant, owner: filter.owner, limit: limit * 5) {
            guard hits.count < limit, seen.insert(hit.sessionId).inserted else { continue }
            if let tool = filter.tool, hit.tool != tool { continue }
            let snippet = hit.snippet.replacingOccurrences(of: FullTextSearch.matchStart, with: "**").replacingOccurrences(of: FullTextSearch.matchEnd, with: "**")
            hits.append(SessionHit(sessionId: hit.sessionId, tool: hit.tool, title: hit.title, startedAt: hit.createdAt, snippet: snippet,
                                   link: link("/sessions/\(hit.sessionId)" + (hit.messageId.map { "#m-\($0)" } ?? ""))))
        }
        return ["sessions": hits]
    }

    struct SessionPage: Codable, Sendable {
        struct Message: Codable, Sendable {
            var id: String
            var role: String
            var kind: String
            var text: String?
            var model: String?
            var createdAt: String?
            var toolCalls: [NormalizedReader.ToolCall]
            var fileChanges: [NormalizedReader.FileChange]
        }
        var session: NormalizedReader.Session
        var messages: [Message]
        var nextOffset: Int?
        var link: String
    }

    private func getSession(_ arguments: [String: Value], access: ReadAccess, from: String) async throws -> SessionPage {
        try requireContent(access)
        guard let id = text(arguments, "session_id") else { throw Refusal(message: "session_id: give a session's id") }
        let offset = try number(arguments, "offset", default: 0, within: 0...10_000_000)
        let limit = try number(arguments, "limit", default: 50, within: 1...200)
        guard try await access.mayRead(session: id, in: store), let detail = try await reader.session(id: id, tenant: access.tenant) else {
            throw Refusal(message: "no session \(id)")
        }
        try await AccessLog.record(session: id, what: "mcp", reader: access.token.name, role: access.role, from: from, in: store)
        let page = detail.messages.dropFirst(offset).prefix(limit)
        let calls = Dictionary(grouping: detail.toolCalls, by: { $0.messageId ?? "" })
        let changes = Dictionary(grouping: detail.fileChanges, by: { $0.toolCallId ?? "" })
        return SessionPage(session: detail.session, messages: page.map { message in
            let made = calls[message.id] ?? []
            return SessionPage.Message(id: message.id, role: message.role, kind: message.kind, text: message.text, model: message.model,
                                       createdAt: message.createdAt, toolCalls: made, fileChanges: made.flatMap { changes[$0.id] ?? [] })
        }, nextOffset: offset + page.count < detail.messages.count ? offset + page.count : nil, link: link("/sessions/\(id)"))
    }

    struct Figures: Codable, Sendable {
        var key: String
        var sessions: Int64?
        var responses: Int64?
        var tokens: Int64
        var cost: Double?
    }

    private func usageSummary(_ arguments: [String: Value], access: ReadAccess) async throws -> [String: [Figures]] {
        let group = text(arguments, "group_by") ?? "tool"
        let since = try day(arguments, "since"), until = try day(arguments, "until")
        switch group {
        case "tool", "model", "day":
            let filter = NormalizedReader.Filter(since: since, until: until.map { $0 + "T99" }, tenant: access.tenant)
            return ["usage": try await reader.usage(group: [group], filter: filter).map { bucket in
                Figures(key: (group == "tool" ? bucket.tool : group == "model" ? bucket.model : bucket.day) ?? "", responses: bucket.tokens.responses,
                        tokens: bucket.tokens.total, cost: bucket.tokens.cost)
            }]
        case "person":
            guard access.people?.isEmpty != true else {
                throw Refusal(message: "per-person figures need read, content, self or a people grant (this reader is \(access.role))")
            }
            let people = try await RoleViews.people(try await PeopleFigures(store: store).people(tenant: access.tenant, since: since), for: access, in: store)
            return ["usage": people.map { Figures(key: $0.email, sessions: $0.sessions, tokens: $0.tokens, cost: $0.cost) }]
        case "team":
            let teams = RoleViews.teams(try await PeopleFigures(store: store).teams(tenant: access.tenant, since: since), for: access)
            return ["usage": teams.map { Figures(key: $0.name, sessions: $0.sessions, tokens: $0.tokens, cost: $0.cost) }]
        default:
            throw Refusal(message: "group_by: person, team, tool, model or day")
        }
    }

    struct Edit: Codable, Sendable {
        var path: String
        var sessionId: String
        var tool: String
        var createdAt: String?
        var diff: String?
        var link: String
    }

    private func recentEdits(_ arguments: [String: Value], access: ReadAccess, from: String) async throws -> [String: [Edit]] {
        try requireContent(access)
        guard let path = text(arguments, "path") else { throw Refusal(message: "path: give part of a file's path") }
        let limit = try number(arguments, "limit", default: 20, within: 1...100)
        var values: [SQLiteValue] = [.integer(access.tenant ?? -1), .text("%" + path.lowercased() + "%")]
        var conditions = ["($1 < 0 OR s.tenant_id = $1)", "lower(c.path) LIKE $2"]
        let owner = access.contentFilter(NormalizedReader.Filter()).owner.conditions(sessions: "s", first: 3)
        conditions += owner.conditions
        values += owner.values
        let rows = try await store.query(SQLStatement("""
            SELECT c.path, c.session_key, s.tool, c.created_at, coalesce(c.diff, '') FROM norm_file_changes c
            JOIN norm_sessions s ON s.session_key = c.session_key
            WHERE \(conditions.joined(separator: " AND ")) ORDER BY c.created_at DESC LIMIT \(limit)
            """, values))
        for session in Set(rows.compactMap { $0[1].text }) {
            try await AccessLog.record(session: session, what: "mcp:edits", reader: access.token.name, role: access.role, from: from, in: store)
        }
        return ["edits": rows.map { row in
            let session = row[1].text ?? ""
            return Edit(path: row[0].text ?? "", sessionId: session, tool: row[2].text ?? "", createdAt: row[3].text,
                        diff: row[4].text.map { String($0.prefix(8000)) }, link: link("/sessions/\(session)"))
        }]
    }

    struct Directory: Codable, Sendable {
        var people: [PersonFigures]
        var teams: [TeamFigures]
    }

    private func listPeople(access: ReadAccess) async throws -> Directory {
        let figures = PeopleFigures(store: store)
        let everyone = try await figures.people(tenant: access.tenant)
        let people = access.people?.isEmpty == true ? [] : try await RoleViews.people(everyone, for: access, in: store)
        return Directory(people: people, teams: RoleViews.teams(try await figures.teams(of: everyone, tenant: access.tenant), for: access))
    }
}
