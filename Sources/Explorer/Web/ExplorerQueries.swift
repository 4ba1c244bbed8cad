import IngestStore
import Normalization
import Access
import Foundation
import SQLiteDB

/// What the explorer's pages read beyond the JSON read API's shapes: the overview's series
/// and leaders, filter choices, devices, the session tree and the raw envelopes behind a
/// session. Every query is limited to one tenant (nil: every tenant's, for an admin token).
package struct ExplorerQueries: Sendable {
    package let store: any IngestStore

    /// `received_at` as RFC 3339 text in either store (PostgreSQL keeps a timestamp).
    package var received: String {
        store.dialect == .sqlite ? "received_at" : "to_char(received_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')"
    }

    package struct Leader: Sendable {
        /// Nil for the rows without one (no model or project recorded).
        package var name: String?
        package var tokens: Int64 = 0
        package var cost: Double = 0
        package var sessions: Int64 = 0
    }

    /// Tokens and cost in a window: per day and tool, and the models, projects and devices with
    /// the most tokens.
    package struct UsageWindow: Sendable {
        /// `[day][tool]`.
        package var tokens: [String: [String: Int64]] = [:]
        package var cost: [String: [String: Double]] = [:]
        package var models: [Leader] = []
        package var projects: [Leader] = []
        package var devices: [Leader] = []
        var firstDay: String?
        var lastDay: String?
        /// Model responses (usage rows) in the window.
        package var responses: Int64 = 0
    }

    /// The usage summed per day and tool since `since` (`YYYY-MM-DD`; nil: all), and the models,
    /// projects and devices with the most tokens, summed by the database from
    /// `norm_usage_by_day`, whose rows carry their session's tenant, tool, project, device and
    /// model (a row without a time of its own counts on its session's first day), the four
    /// groupings at once (PostgreSQL runs them side by side; SQLite one after the other). At
    /// fleet size (100,000 sessions, PostgreSQL on two cores) joining the sessions was half of
    /// each grouping, and sorting by the database's collation most of the rest: PostgreSQL groups
    /// bytewise. Sums are taken as floating point and held at Int64's bounds here: no sum of
    /// extreme rows overflows in the database.
    func usageWindow(tenant: Int64?, since: String?, owner: OwnerFilter = OwnerFilter(), leaders: Int = 8) async throws -> UsageWindow {
        let owned = owner.conditions(sessions: "s", first: 3)
        let values: [SQLiteValue] = [.text(since ?? "0"), .integer(tenant ?? -1)] + owned.values
        // One pass over the daily rows: a row without a time of its own counts on its session's first day.
        let inWindow = "s.rows > 0 AND s.tool IS NOT NULL AND (s.day >= $1 OR (s.day = '' AND s.started_day >= $1))"
            + " AND ($2 < 0 OR s.tenant_id = $2)" + owned.conditions.map { " AND " + $0 }.joined()
        let days = SQLStatement("""
            SELECT CASE WHEN s.day = '' THEN s.started_day ELSE s.day END, s.tool, \(floatSum("s.tokens")), \(floatSum("s.cost")),
                   \(floatSum("s.rows"))
            FROM norm_usage_by_day s WHERE \(inWindow) GROUP BY 1, s.tool
            """, values)
        // PostgreSQL reads each leader in the order of an index that holds every column it needs
        // (migration 26), so counting distinct sessions sorts nothing.
        let leading = { (name: String) in
            SQLStatement("""
                SELECT \(bytewise(name)), \(floatSum("s.tokens")), \(floatSum("s.cost")), count(DISTINCT \(bytewise("s.session_key")))
                FROM norm_usage_by_day s WHERE \(inWindow) GROUP BY 1 ORDER BY 2 DESC, coalesce(\(bytewise(name)), '') LIMIT \(leaders)
                """, values)
        }
        let model = store.dialect == .postgres ? "s.leader_model" : UsageByDay.model(of: "s")
        let byModel = leading(model), byProject = leading("s.project"), byDevice = leading("s.device")
        async let dayRows = store.query(days)
        async let models = store.query(byModel)
        async let projects = store.query(byProject)
        async let devices = store.query(byDevice)
        var window = UsageWindow()
        for row in try await dayRows {
            guard let day = row[0].text else { continue }
            let tool = row[1].text ?? ""
            window.tokens[day, default: [:]][tool, default: 0].addSaturated(Self.integer(row[2]))
            window.cost[day, default: [:]][tool, default: 0] += row[3].double ?? 0
            window.responses.addSaturated(Self.integer(row[4]))
            if window.firstDay.map({ day < $0 }) ?? true { window.firstDay = day }
            if window.lastDay.map({ day > $0 }) ?? true { window.lastDay = day }
        }
        // Ordered again here, as names compare in Swift: the database's collation may differ.
        let top = { (rows: [[SQLiteValue]]) in
            rows.map { Leader(name: $0[0].text, tokens: Self.integer($0[1]), cost: $0[2].double ?? 0, sessions: $0[3].int ?? 0) }
                .sorted { $0.tokens != $1.tokens ? $0.tokens > $1.tokens : ($0.name ?? "") < ($1.name ?? "") }
        }
        window.models = top(try await models)
        window.projects = top(try await projects)
        window.devices = top(try await devices)
        return window
    }

    /// A sum of `column` as floating point in either store (`total` in SQLite, which never
    /// overflows; PostgreSQL's `sum` of integers is numeric), for ``integer(_:)`` to bound.
    func floatSum(_ column: String) -> String {
        store.dialect == .sqlite ? "total(\(column))" : "CAST(sum(\(column)) AS DOUBLE PRECISION)"
    }

    /// Text compared byte by byte where grouping and sorting by it is the cost (PostgreSQL's
    /// collations compare by locale; SQLite's default is bytewise already).
    func bytewise(_ expression: String) -> String {
        store.dialect == .sqlite ? expression : "\(expression) COLLATE \"C\""
    }

    /// A sum taken as floating point, held at Int64's bounds.
    static func integer(_ value: SQLiteValue) -> Int64 {
        switch value {
        case .integer(let number): number
        case .real(let number): BoundedNumber.integer(number, within: Int64.min...Int64.max) ?? 0
        default: 0
        }
    }

    package struct Totals: Sendable {
        package var sessions: Int64 = 0
        package var latest: String?
    }

    /// Sessions started since `since` that hold messages, and the newest activity. (Their
    /// messages are not counted here: at a million messages that count alone took 0.3 s.)
    package func totals(tenant: Int64?, since: String?, owner: OwnerFilter = OwnerFilter()) async throws -> Totals {
        let values: [SQLiteValue] = [.integer(tenant ?? -1), .text(since ?? "")]
        let owned = owner.conditions(sessions: "s", first: 3)
        let ownedSQL = owned.conditions.map { " AND " + $0 }.joined()
        var totals = Totals()
        // Everyone's: the totals rows alone, which carry their session's tenant and start
        // (migration 33/29; a row whose session is not written yet has no tenant).
        let count = owned.conditions.isEmpty
            ? """
              SELECT count(*) FROM norm_session_totals t WHERE t.messages > 0 AND t.tenant_id IS NOT NULL
              AND ($1 < 0 OR t.tenant_id = $1) AND coalesce(t.started_at, '') >= $2
              """
            : """
              SELECT count(*) FROM norm_sessions s WHERE ($1 < 0 OR s.tenant_id = $1) AND coalesce(s.started_at, '') >= $2
              AND \(NormalizedReader.holdsMessages)\(ownedSQL)
              """
        totals.sessions = try await store.query(SQLStatement(count, values + owned.values)).first?[0].int ?? 0
        let latestOwned = owner.conditions(sessions: "s", first: 2)
        totals.latest = try await store.query(SQLStatement(
            "SELECT max(s.ended_at) FROM norm_sessions s WHERE ($1 < 0 OR s.tenant_id = $1)" + latestOwned.conditions.map { " AND " + $0 }.joined(),
            [.integer(tenant ?? -1)] + latestOwned.values)).first?[0].text
        return totals
    }

    /// The values the sessions page filters by.
    func choices(tenant: Int64?) async throws -> (tools: [String], devices: [String], models: [String],
                                                  people: [(id: String, label: String)], teams: [(id: String, label: String)]) {
        let tenantValue: [SQLiteValue] = [.integer(tenant ?? -1)]
        func list(_ sql: String) async throws -> [String] {
            try await store.query(SQLStatement(sql, tenantValue)).compactMap { $0[0].text }
        }
        func pairs(_ sql: String) async throws -> [(id: String, label: String)] {
            try await store.query(SQLStatement(sql, tenantValue)).compactMap { row in row[0].text.map { ($0, row[1].text ?? $0) } }
        }
        return (
            try await list("SELECT DISTINCT tool FROM norm_sessions s WHERE ($1 < 0 OR s.tenant_id = $1) ORDER BY 1"),
            try await list("SELECT DISTINCT device FROM norm_sessions s WHERE ($1 < 0 OR s.tenant_id = $1) ORDER BY 1"),
            try await list("""
                SELECT DISTINCT m.model FROM norm_session_models m JOIN norm_sessions s ON s.session_key = m.session_key
                WHERE ($1 < 0 OR s.tenant_id = $1) ORDER BY 1
                """),
            try await pairs("SELECT id, email FROM people WHERE ($1 < 0 OR tenant_id = $1) ORDER BY email"),
            try await pairs("SELECT id, name FROM teams WHERE ($1 < 0 OR tenant_id = $1) ORDER BY name"))
    }

    /// The email of the person whose device a session ran on, when the device has one.
    package func person(ofSession key: String) async throws -> String? {
        try await store.query(SQLStatement("""
            SELECT p.email FROM norm_sessions s JOIN device_people dp ON dp.tenant_id = s.tenant_id AND dp.device = s.device
            JOIN people p ON p.id = dp.person_id WHERE s.session_key = $1
            """, [.text(key)])).first?[0].text
    }

    package struct Device: Sendable {
        package var device: String
        package var tools: [String] = []
        package var envelopes: Int64 = 0
        var lastReceived: String?
        var lastCollected: String?
        /// Envelopes per day, oldest first, for the last `days` days.
        var perDay: [(day: String, count: Int64)] = []
    }

    /// Every device that sent to the tenant: its tools, when it last sent, the newest collection
    /// time it sent, and how many envelopes per day over the last `days` days, read from the
    /// envelopes counted per device and day as they were stored (`DeviceDays`). What its sensor
    /// says of the machine (its version among it) is `DeviceDirectory`'s.
    package func devices(tenant: Int64?, days: Int = 14, now: Date = Date()) async throws -> [Device] {
        let tenantValue: [SQLiteValue] = [.integer(tenant ?? -1)]
        let firstDay = String(now.addingTimeInterval(-Double(days - 1) * 86400).ISO8601Format().prefix(10))
        var devices: [String: Device] = [:]
        for row in try await store.query(SQLStatement("""
            SELECT device, \(floatSum("envelopes")), max(last_received), max(last_collected)
            FROM device_days WHERE ($1 < 0 OR tenant_id = $1) GROUP BY device
            """, tenantValue)) {
            guard let name = row[0].text else { continue }
            devices[name] = Device(device: name, envelopes: Self.integer(row[1]), lastReceived: row[2].text, lastCollected: row[3].text)
        }
        var counts: [String: [String: Int64]] = [:]
        for row in try await store.query(SQLStatement(
            "SELECT device, day, envelopes FROM device_days WHERE ($1 < 0 OR tenant_id = $1) AND day >= $2", tenantValue + [.text(firstDay)])) {
            guard let name = row[0].text, let day = row[1].text else { continue }
            counts[name, default: [:]][day] = row[2].int ?? 0
        }
        for row in try await store.query(SQLStatement(
            "SELECT DISTINCT device, tool FROM norm_sessions s WHERE ($1 < 0 OR s.tenant_id = $1) ORDER BY 1, 2", tenantValue)) {
            guard let name = row[0].text, let tool = row[1].text else { continue }
            devices[name, default: Device(device: name)].tools.append(tool)
        }
        let dayList = (0..<days).map { String(now.addingTimeInterval(-Double(days - 1 - $0) * 86400).ISO8601Format().prefix(10)) }
        for name in devices.keys {
            devices[name]?.perDay = dayList.map { ($0, counts[name]?[$0] ?? 0) }
        }
        return devices.values.sorted { ($0.lastReceived ?? "") > ($1.lastReceived ?? "") }
    }

    package struct TreeNode: Sendable {
        package var id: String
        package var depth: Int
        package var relation: String?
    }

    /// The session's family within `tenant` (nil: every tenant's): its root ancestor and every
    /// descendant (sub-agents, forks), depth first.
    package func tree(of id: String, tenant: Int64?) async throws -> [TreeNode] {
        var root = id
        var seen: Set<String> = [id]
        let tenantValue = SQLiteValue.integer(tenant ?? -1)
        for _ in 0..<16 {
            guard let parent = try await store.query(SQLStatement("""
                SELECT l.parent_key FROM norm_session_links l LEFT JOIN norm_sessions s ON s.session_key = l.parent_key
                WHERE l.child_key = $1 AND \(NormalizedReader.linkInTenant)
                """, [.text(root), tenantValue])).first?[0].text,
                seen.insert(parent).inserted else { break }
            root = parent
        }
        var nodes: [TreeNode] = []
        var visited: Set<String> = []
        func visit(_ key: String, depth: Int, relation: String?) async throws {
            guard visited.insert(key).inserted, nodes.count < 500 else { return }
            nodes.append(TreeNode(id: key, depth: depth, relation: relation))
            for row in try await store.query(SQLStatement("""
                SELECT l.child_key, l.relation FROM norm_session_links l LEFT JOIN norm_sessions s ON s.session_key = l.child_key
                WHERE l.parent_key = $1 AND \(NormalizedReader.linkInTenant) ORDER BY l.child_key
                """, [.text(key), tenantValue])) {
                if let child = row[0].text { try await visit(child, depth: depth + 1, relation: row[1].text) }
            }
        }
        try await visit(root, depth: 0, relation: nil)
        return nodes
    }

    /// Titles (or first prompts) of `tenant`'s sessions by key (nil: every tenant's), for links.
    package func labels(_ keys: [String], tenant: Int64?) async throws -> [String: (tool: String, label: String)] {
        guard !keys.isEmpty else { return [:] }
        let list = (2...keys.count + 1).map { "$\($0)" }.joined(separator: ", ")
        var labels: [String: (tool: String, label: String)] = [:]
        for row in try await store.query(SQLStatement("""
            SELECT s.session_key, s.tool, coalesce(s.title, \(NormalizedReader.firstPrompt), s.native_id)
            FROM norm_sessions s WHERE ($1 < 0 OR s.tenant_id = $1) AND s.session_key IN (\(list))
            """, [.integer(tenant ?? -1)] + keys.map { .text($0) })) {
            if let key = row[0].text { labels[key] = (row[1].text ?? "", row[2].text ?? "") }
        }
        return labels
    }

    package struct RawEnvelopeRow: Sendable {
        package var id: String
        package var receivedAt: String
        package var envelope: String
    }

    /// The raw envelopes the session was normalised from: its device's records of its source
    /// read from its files, newest first.
    package func rawEnvelopes(session: NormalizedReader.Session, files: [String], tenant: Int64?, limit: Int = 200) async throws -> [RawEnvelopeRow] {
        guard !files.isEmpty else { return [] }
        let list = (0..<files.count).map { "$\($0 + 4)" }.joined(separator: ", ")
        var rows: [RawEnvelopeRow] = []
        let decompressor = Zstd.Decompressor()
        for row in try await store.query(SQLStatement("""
            SELECT id, \(received), \(RawCustody.column(store.dialect)) FROM raw_envelopes
            WHERE ($1 < 0 OR tenant_id = $1) AND device = $2 AND source = $3 AND \(RawCustody.path(store.dialect)) IN (\(list))
            ORDER BY received_at DESC, id LIMIT \(limit)
            """, [.integer(tenant ?? -1), .text(session.device), .text(session.source)] + files.map { .text($0) })) {
            rows.append(RawEnvelopeRow(id: row[0].text ?? "", receivedAt: row[1].text ?? "", envelope: try await store.envelopeText(row[2], with: decompressor)))
        }
        return rows
    }

    /// One raw envelope by id.
    func rawEnvelope(id: String, tenant: Int64?) async throws -> RawEnvelopeRow? {
        guard let row = try await store.query(SQLStatement(
            "SELECT id, \(received), \(RawCustody.column(store.dialect)) FROM raw_envelopes WHERE ($1 < 0 OR tenant_id = $1) AND id = $2 LIMIT 1",
            [.integer(tenant ?? -1), .text(id)])).first else { return nil }
        return RawEnvelopeRow(id: row[0].text ?? "", receivedAt: row[1].text ?? "", envelope: try await store.envelopeText(row[2]))
    }
}
