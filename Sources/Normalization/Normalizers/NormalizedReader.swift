import Foundation
import IngestStore
import SQLiteDB

/// The read side of the normalised tables: sessions with their counts, one session in full,
/// token usage grouped, and the drift report. Shapes are documented in docs/read-api.md.
public struct NormalizedReader: Sendable {
    public let store: any NormalizedStore

    /// The normalisers the drift report names (an operator's `--normalizers` among them).
    public let registry: NormalizerRegistry

    public init(store: any NormalizedStore, registry: NormalizerRegistry = .builtIn) {
        self.store = store
        self.registry = registry
    }

    /// How the read API writes these shapes: snake_case keys, sorted (`pretty` for people).
    public static func encoder(pretty: Bool = false) -> JSONEncoder {
        JSONEncoder(outputFormatting: pretty ? [.sortedKeys, .withoutEscapingSlashes, .prettyPrinted] : [.sortedKeys, .withoutEscapingSlashes],
                    keys: .convertToSnakeCase)
    }

    /// Filters for ``sessions(_:)`` and ``usage(group:filter:)``.
    public struct Filter: Sendable {
        public var tool: String?
        public var device: String?
        /// Sessions whose project (working directory) starts with this.
        public var project: String?
        /// RFC 3339 bounds on a session's start (usage: on a response's time).
        public var since: String?
        public var until: String?
        /// List sessions without a single message too (empty composers, tombstones); off by
        /// default, so that lists show conversations.
        public var includeEmpty: Bool
        /// Only this tenant's sessions (a `read` token's); nil: every tenant's (admin, the CLI).
        public var tenant: Int64?
        /// Sessions that used this model.
        public var model: String?
        /// Sessions of one person's or one team's devices.
        public var owner: OwnerFilter
        public init(tool: String? = nil, device: String? = nil, project: String? = nil, since: String? = nil, until: String? = nil,
                    includeEmpty: Bool = false, tenant: Int64? = nil, model: String? = nil, owner: OwnerFilter = OwnerFilter()) {
            self.model = model
            self.owner = owner
            self.tool = tool
            self.device = device
            self.project = project
            self.since = since
            self.until = until
            self.includeEmpty = includeEmpty
            self.tenant = tenant
        }

        /// `WHERE …` over sessions `s` (parameters from `$1`), with `time` the column compared
        /// with since/until.
        package func sql(time: String) -> (String, [SQLiteValue]) {
            var conditions: [String] = []
            var values: [SQLiteValue] = []
            func add(_ condition: String, _ value: String?) {
                guard let value else { return }
                values.append(.text(value))
                conditions.append(condition.replacingOccurrences(of: "?", with: "$\(values.count)"))
            }
            if let tenant {
                values.append(.integer(tenant))
                conditions.append("s.tenant_id = $\(values.count)")
            }
            add("s.tool = ?", tool)
            add("s.device = ?", device)
            add("substr(s.project, 1, length(?)) = ?", project)
            add("\(time) >= ?", since)
            add("\(time) < ?", until)
            add("EXISTS (SELECT 1 FROM norm_session_models sm WHERE sm.session_key = s.session_key AND sm.model = ?)", model)
            let owned = owner.conditions(sessions: "s", first: values.count + 1)
            conditions += owned.conditions
            values += owned.values
            return (conditions.isEmpty ? "" : "WHERE " + conditions.joined(separator: " AND "), values)
        }
    }

    public struct Tokens: Codable, Sendable, Equatable {
        public var input: Int64 = 0
        public var output: Int64 = 0
        public var cacheRead: Int64 = 0
        public var cacheWrite: Int64 = 0
        public var reasoning: Int64 = 0
        public var total: Int64 = 0
        /// US dollars: what the tool recorded, else estimated from the price table; absent when
        /// no response has a price.
        public var cost: Double?
        /// `recorded` (the tool's own figure), `estimated` (the price table's), `mixed`, or absent.
        public var costSource: String?
        public var responses: Int64 = 0

        /// Adds another response's (or bucket's) tokens and cost.
        public mutating func add(_ other: Tokens) {
            input.addSaturated(other.input)
            output.addSaturated(other.output)
            cacheRead.addSaturated(other.cacheRead)
            cacheWrite.addSaturated(other.cacheWrite)
            reasoning.addSaturated(other.reasoning)
            total.addSaturated(other.total)
            responses.addSaturated(other.responses)
            if let cost = other.cost { self.cost = (self.cost ?? 0) + cost }
            switch (costSource, other.costSource) {
            case (_, nil): break
            case (nil, let source): costSource = source
            case (let mine, let theirs) where mine == theirs: break
            default: costSource = "mixed"
            }
        }
    }

    public struct Session: Codable, Sendable {
        public var id: String
        public var tool: String
        public var device: String
        public var nativeId: String
        public var source: String
        public var project: String?
        public var gitBranch: String?
        public var title: String?
        public var status: String?
        public var toolVersion: String?
        public var model: String?
        public var models: [String]
        public var startedAt: String?
        public var endedAt: String?
        public var parentId: String?
        public var parentToolCallId: String?
        public var relation: String?
        public var messages: Int64
        public var toolCalls: Int64
        public var tokens: Tokens
        /// The first thing the person asked, for sessions without a title (first 200 characters).
        public var firstPrompt: String?
        /// The source of recorded costs that came from a report rather than the session's own
        /// records (a vendor's usage API, telemetry), when any did.
        public var costRecordedBy: String?
    }

    /// How ``sessions(_:limit:offset:order:)`` orders its page.
    public enum SessionOrder: String, Sendable, CaseIterable {
        case newest, oldest, tokens, cost, messages

        package var label: String {
            switch self {
            case .newest: return "Newest first"
            case .oldest: return "Oldest first"
            case .tokens: return "Most tokens"
            case .cost: return "Highest cost"
            case .messages: return "Most messages"
            }
        }

        package var sql: String {
            switch self {
            case .newest: return "s.started_at DESC, s.session_key"
            case .oldest: return "s.started_at ASC, s.session_key"
            // From the session's totals (`t`, see `SessionTotals`), not a sum over its rows.
            case .tokens: return "coalesce(t.tokens, 0) DESC, s.session_key"
            case .cost: return "coalesce(t.cost, 0) DESC, s.session_key"
            case .messages: return "coalesce(t.messages, 0) DESC, s.session_key"
            }
        }
    }

    public struct SessionPage: Codable, Sendable {
        public var sessions: [Session]
        /// Pass as `offset` for the next page; absent on the last page.
        public var nextOffset: Int?
    }

    public struct Message: Codable, Sendable {
        public var id: String
        public var responseId: String?
        public var role: String
        public var kind: String
        public var text: String?
        public var model: String?
        public var createdAt: String?
    }

    public struct ToolCall: Codable, Sendable {
        public var id: String
        public var callId: String
        public var messageId: String?
        public var name: String?
        public var input: String?
        public var result: String?
        public var isError: Bool?
        public var startedAt: String?
        public var endedAt: String?
        public var durationMs: Int64?
    }

    public struct Usage: Codable, Sendable {
        public var id: String
        public var messageId: String?
        public var model: String?
        public var createdAt: String?
        public var tokens: Tokens
    }

    public struct FileChange: Codable, Sendable {
        public var path: String
        public var toolCallId: String?
        public var diff: String?
        public var oldText: String?
        public var newText: String?
        public var createdAt: String?
    }

    public struct Child: Codable, Sendable {
        public var id: String
        public var relation: String
        public var toolCallId: String?
    }

    public struct SessionDetail: Codable, Sendable {
        public var session: Session
        public var files: [String]
        public var messages: [Message]
        public var toolCalls: [ToolCall]
        public var usage: [Usage]
        public var fileChanges: [FileChange]
        public var children: [Child]
    }

    public struct UsageBucket: Codable, Sendable {
        public var day: String?
        public var tool: String?
        public var model: String?
        public var device: String?
        public var project: String?
        public var tokens: Tokens
    }

    public struct DriftEntry: Codable, Sendable {
        public var tool: String
        public var toolVersion: String
        public var kind: String
        public var reason: String
        public var name: String
        public var count: Int64
        /// When a record showing it was first and last collected, and the raw envelope of one.
        public var firstSeen: String?
        public var lastSeen: String?
        public var exampleId: String?
        /// The normaliser that met the records (``DriftAdvice/origin(of:in:)``), and what to do.
        public var normalizer: String?
        public var action: String
    }

    static let sessionColumns = """
        s.session_key, s.tool, s.device, s.native_id, s.source, s.project, s.git_branch, s.title, s.status, s.tool_version,
        s.model, s.started_at, s.ended_at, l.parent_key, l.tool_call_id, l.relation
        """

    /// Sessions, newest first unless `order` says otherwise.
    public func sessions(_ filter: Filter, limit: Int = 100, offset: Int = 0, order: SessionOrder = .newest) async throws -> SessionPage {
        var (whereClause, filterValues) = filter.sql(time: "s.started_at")
        if !filter.includeEmpty {
            let hasMessages = "t.messages > 0"
            whereClause = whereClause.isEmpty ? "WHERE " + hasMessages : whereClause + " AND " + hasMessages
        }
        var values = filterValues
        values += [.integer(Int64(limit + 1)), .integer(Int64(offset))]
        let rows = try await store.query(SQLStatement("""
            SELECT \(Self.sessionColumns) FROM norm_sessions s LEFT JOIN norm_session_links l ON l.child_key = s.session_key
            LEFT JOIN norm_session_totals t ON t.session_key = s.session_key
            \(whereClause) ORDER BY \(order.sql) LIMIT $\(values.count - 1) OFFSET $\(values.count)
            """, values))
        var sessions = rows.prefix(limit).map(Self.session)
        try await addCounts(&sessions)
        return SessionPage(sessions: sessions, nextOffset: rows.count > limit ? offset + limit : nil)
    }

    /// One session with its counts and the files its records came from, without its messages
    /// and the rest; nil as for ``session(id:tenant:)``.
    public func summary(id: String, tenant: Int64? = nil) async throws -> (session: Session, files: [String])? {
        guard let row = try await store.query(SQLStatement("""
            SELECT \(Self.sessionColumns) FROM norm_sessions s LEFT JOIN norm_session_links l ON l.child_key = s.session_key
            WHERE s.session_key = $1 AND ($2 < 0 OR s.tenant_id = $2)
            """, [.text(id), .integer(tenant ?? -1)])).first else { return nil }
        var sessions = [Self.session(row)]
        try await addCounts(&sessions)
        let files = try await store.query(SQLStatement("SELECT path FROM norm_session_files WHERE session_key = $1 ORDER BY path",
                                                       [.text(id)]))
        return (sessions[0], files.compactMap { $0[0].text })
    }

    /// One session with everything normalised about it; nil when there is none with this id
    /// (in `tenant`, when given: another tenant's session is as absent as an unknown one).
    public func session(id: String, tenant: Int64? = nil) async throws -> SessionDetail? {
        guard let (session, files) = try await summary(id: id, tenant: tenant) else { return nil }
        let key: [SQLiteValue] = [.text(id)]
        let messages = try await store.query(SQLStatement("""
            SELECT m.message_key, m.response_id, m.role, m.kind, unpack_text(m.text), m.model, m.created_at
            FROM norm_messages m LEFT JOIN norm_message_positions p ON p.message_key = m.message_key
            WHERE m.session_key = $1 ORDER BY coalesce(p.position, m.ordinal), m.ordinal, m.created_at, m.message_key
            """, key))
        let calls = try await store.query(SQLStatement("""
            SELECT call_key, call_id, message_key, name, unpack_text(input), unpack_text(result), is_error, started_at, ended_at, duration_ms
            FROM norm_tool_calls WHERE session_key = $1 ORDER BY started_at, call_id
            """, key))
        let usage = try await store.query(SQLStatement("""
            SELECT usage_key, message_key, model, created_at, input_tokens, output_tokens, cache_read_tokens, cache_write_tokens,
                   reasoning_tokens, total_tokens, coalesce(cost, estimated_cost), CASE WHEN cost IS NOT NULL THEN 1 ELSE 0 END,
                   CASE WHEN cost IS NULL AND estimated_cost IS NOT NULL THEN 1 ELSE 0 END
            FROM norm_usage WHERE session_key = $1 ORDER BY created_at, usage_key
            """, key))
        let changes = try await store.query(SQLStatement("""
            SELECT path, call_key, diff, old_text, new_text, created_at FROM norm_file_changes WHERE session_key = $1
            ORDER BY created_at, change_key
            """, key))
        let children = try await store.query(SQLStatement("""
            SELECT l.child_key, l.relation, l.tool_call_id FROM norm_session_links l LEFT JOIN norm_sessions s ON s.session_key = l.child_key
            WHERE l.parent_key = $1 AND \(Self.linkInTenant) ORDER BY l.child_key
            """, key + [.integer(tenant ?? -1)]))
        return SessionDetail(
            session: session,
            files: files,
            messages: messages.map { Message(id: $0[0].text ?? "", responseId: $0[1].text, role: $0[2].text ?? "", kind: $0[3].text ?? "",
                                             text: $0[4].text, model: $0[5].text, createdAt: $0[6].text) },
            toolCalls: calls.map { ToolCall(id: $0[0].text ?? "", callId: $0[1].text ?? "", messageId: $0[2].text, name: $0[3].text,
                                            input: $0[4].text, result: $0[5].text, isError: $0[6].int.map { $0 != 0 },
                                            startedAt: $0[7].text, endedAt: $0[8].text, durationMs: $0[9].int) },
            usage: usage.map { Usage(id: $0[0].text ?? "", messageId: $0[1].text, model: $0[2].text, createdAt: $0[3].text,
                                     tokens: Self.tokens(Array($0[4...]), responses: 1)) },
            fileChanges: changes.map { FileChange(path: $0[0].text ?? "", toolCallId: $0[1].text, diff: $0[2].text, oldText: $0[3].text,
                                                  newText: $0[4].text, createdAt: $0[5].text) },
            children: children.map { Child(id: $0[0].text ?? "", relation: $0[1].text ?? "", toolCallId: $0[2].text) })
    }

    /// Token usage summed by the chosen columns (`day`, `tool`, `model`, `device`, `project`).
    public func usage(group: [String], filter: Filter) async throws -> [UsageBucket] {
        let expressions: [String: String] = [
            "day": "substr(coalesce(u.created_at, s.started_at), 1, 10)", "tool": "s.tool",
            "model": "coalesce(u.model, s.model)", "device": "s.device", "project": "s.project",
        ]
        let chosen = group.filter { expressions[$0] != nil }
        let (whereClause, values) = filter.sql(time: "coalesce(u.created_at, s.started_at)")
        let columns = chosen.map { expressions[$0]! }
        let select = (columns + ["""
            CAST(sum(u.input_tokens) AS BIGINT), CAST(sum(u.output_tokens) AS BIGINT), CAST(sum(u.cache_read_tokens) AS BIGINT),
            CAST(sum(u.cache_write_tokens) AS BIGINT), CAST(sum(u.reasoning_tokens) AS BIGINT), CAST(sum(u.total_tokens) AS BIGINT),
            sum(coalesce(u.cost, u.estimated_cost)), \(Self.costSourceCounts("u.")), count(*)
            """]).joined(separator: ", ")
        let grouping = columns.isEmpty ? "" : "GROUP BY " + columns.joined(separator: ", ") + " ORDER BY "
            + (1...columns.count).map(String.init).joined(separator: ", ")
        let rows = try await store.query(SQLStatement("""
            SELECT \(select) FROM norm_usage u JOIN norm_sessions s ON s.session_key = u.session_key
            \(whereClause) \(grouping)
            """, values))
        return rows.compactMap { row in
            guard row[chosen.count + 9].int ?? 0 > 0 else { return nil }
            var bucket = UsageBucket(tokens: Self.tokens(Array(row[chosen.count...]), responses: row[chosen.count + 9].int ?? 0))
            for (index, name) in chosen.enumerated() {
                switch name {
                case "day": bucket.day = row[index].text
                case "tool": bucket.tool = row[index].text
                case "model": bucket.model = row[index].text
                case "device": bucket.device = row[index].text
                default: bucket.project = row[index].text
                }
            }
            return bucket
        }
    }

    /// What was not understood, summed over sources.
    public func drift(tenant: Int64? = nil) async throws -> [DriftEntry] {
        try await store.query(SQLStatement("""
            SELECT tool, tool_version, kind, reason, name, CAST(sum(count) AS BIGINT), min(first_seen), max(last_seen), min(example_id)
            FROM norm_drift WHERE ($1 < 0 OR tenant_id = $1)
            GROUP BY tool, tool_version, kind, reason, name ORDER BY tool, kind, reason, name, tool_version
            """, [.integer(tenant ?? -1)])).map { DriftEntry(tool: $0[0].text ?? "", toolVersion: $0[1].text ?? "", kind: $0[2].text ?? "", reason: $0[3].text ?? "",
                                   name: $0[4].text ?? "", count: $0[5].int ?? 0, firstSeen: $0[6].text, lastSeen: $0[7].text,
                                   exampleId: $0[8].text, normalizer: nil, action: "") }
            .map { entry in
                var entry = entry
                entry.normalizer = DriftAdvice.origin(of: entry.kind, in: registry)
                entry.action = DriftAdvice.action(reason: entry.reason, kind: entry.kind, name: entry.name, origin: entry.normalizer)
                return entry
            }
    }

    package static func session(_ row: [SQLiteValue]) -> Session {
        Session(id: row[0].text ?? "", tool: row[1].text ?? "", device: row[2].text ?? "", nativeId: row[3].text ?? "",
                source: row[4].text ?? "", project: row[5].text, gitBranch: row[6].text, title: row[7].text, status: row[8].text,
                toolVersion: row[9].text, model: row[10].text, models: [], startedAt: row[11].text, endedAt: row[12].text,
                parentId: row[13].text, parentToolCallId: row[14].text, relation: row[15].text, messages: 0, toolCalls: 0,
                tokens: Tokens(), firstPrompt: nil)
    }

    /// A link (`l`, joined to the session `s` it leads to) is followed only to a session of the
    /// tenant `$2` (-1: every tenant's), or to one not stored yet, which has nothing to show:
    /// a link never leads across tenants.
    package static let linkInTenant = "(s.tenant_id IS NULL OR $2 < 0 OR s.tenant_id = $2)"

    /// Whether a session `s` holds any message, from its totals (see `SessionTotals`).
    package static let holdsMessages = "EXISTS (SELECT 1 FROM norm_session_totals t WHERE t.session_key = s.session_key AND t.messages > 0)"

    /// The first 200 characters of a session `s`'s first user message with text.
    package static let firstPrompt = """
        (SELECT substr(unpack_text(m.text), 1, 200) FROM norm_messages m
         WHERE m.session_key = s.session_key AND m.role = 'user' AND m.text IS NOT NULL ORDER BY m.ordinal LIMIT 1)
        """

    /// Tokens from (input, output, cache read, cache write, reasoning, total, cost, rows with a
    /// recorded cost, rows with an estimated one) columns.
    package static func tokens(_ row: [SQLiteValue], responses: Int64) -> Tokens {
        let recorded = row[7].int ?? 0, estimated = row[8].int ?? 0
        let source: String? = recorded > 0 ? (estimated > 0 ? "mixed" : "recorded") : (estimated > 0 ? "estimated" : nil)
        // Sums of dollars to the nano-dollar: the last bits of a floating-point sum depend on the
        // order the database adds the rows in, which PostgreSQL does not keep across a reparse.
        return Tokens(input: row[0].int ?? 0, output: row[1].int ?? 0, cacheRead: row[2].int ?? 0, cacheWrite: row[3].int ?? 0,
                      reasoning: row[4].int ?? 0, total: row[5].int ?? 0, cost: row[6].double.map { ($0 * 1e9).rounded() / 1e9 },
                      costSource: source, responses: responses)
    }

    /// How many rows of a sum have a recorded cost, and how many an estimated one.
    static func costSourceCounts(_ prefix: String = "") -> String {
        """
        CAST(sum(CASE WHEN \(prefix)cost IS NOT NULL THEN 1 ELSE 0 END) AS BIGINT),
        CAST(sum(CASE WHEN \(prefix)cost IS NULL AND \(prefix)estimated_cost IS NOT NULL THEN 1 ELSE 0 END) AS BIGINT)
        """
    }

    /// Message, tool call and token counts and models for a page of sessions.
    private func addCounts(_ sessions: inout [Session]) async throws {
        guard !sessions.isEmpty else { return }
        let keys = sessions.map { SQLiteValue.text($0.id) }
        let list = (1...keys.count).map { "$\($0)" }.joined(separator: ", ")
        var index: [String: Int] = [:]
        for (position, session) in sessions.enumerated() { index[session.id] = position }
        for row in try await store.query(SQLStatement("""
            SELECT session_key, count(DISTINCT coalesce(response_id, message_key)) FROM norm_messages
            WHERE session_key IN (\(list)) GROUP BY session_key
            """, keys)) {
            if let key = row[0].text, let position = index[key] { sessions[position].messages = row[1].int ?? 0 }
        }
        for row in try await store.query(SQLStatement(
            "SELECT session_key, count(*) FROM norm_tool_calls WHERE session_key IN (\(list)) GROUP BY session_key", keys)) {
            if let key = row[0].text, let position = index[key] { sessions[position].toolCalls = row[1].int ?? 0 }
        }
        for row in try await store.query(SQLStatement("""
            SELECT session_key, CAST(sum(input_tokens) AS BIGINT), CAST(sum(output_tokens) AS BIGINT),
                   CAST(sum(cache_read_tokens) AS BIGINT), CAST(sum(cache_write_tokens) AS BIGINT),
                   CAST(sum(reasoning_tokens) AS BIGINT), CAST(sum(total_tokens) AS BIGINT), sum(coalesce(cost, estimated_cost)),
                   \(Self.costSourceCounts()), count(*)
            FROM norm_usage WHERE session_key IN (\(list)) GROUP BY session_key
            """, keys)) {
            if let key = row[0].text, let position = index[key] {
                sessions[position].tokens = Self.tokens(Array(row[1...9]), responses: row[10].int ?? 0)
            }
        }
        for row in try await store.query(SQLStatement("""
            SELECT u.session_key, min(u.source) FROM norm_usage u JOIN norm_sessions s ON s.session_key = u.session_key
            WHERE u.session_key IN (\(list)) AND u.cost IS NOT NULL AND u.source <> s.source GROUP BY u.session_key
            """, keys)) {
            if let key = row[0].text, let position = index[key] { sessions[position].costRecordedBy = row[1].text }
        }
        for row in try await store.query(SQLStatement(
            "SELECT s.session_key, \(Self.firstPrompt) FROM norm_sessions s WHERE s.session_key IN (\(list))", keys)) {
            if let key = row[0].text, let position = index[key] { sessions[position].firstPrompt = row[1].text }
        }
        for row in try await store.query(SQLStatement(
            "SELECT session_key, model FROM norm_session_models WHERE session_key IN (\(list)) ORDER BY session_key, model", keys)) {
            if let key = row[0].text, let position = index[key], let model = row[1].text { sessions[position].models.append(model) }
        }
    }
}

extension NormalizedReader.Tokens {
    /// No tokens yet.
    public static let zero = Self()
}
