import Foundation
import SQLiteDB

/// One session as warehouses take it: who (when the reader may see it), what tool and model,
/// when, how many messages and tool calls, tokens and cost. No words: no title, prompt,
/// response, tool input or path but the project's (and that only for readers of everything).
/// The field names and their meaning are stable (docs/exports.md); new fields are only added.
public struct SessionSummary: ExportRow, Equatable {
    public var sessionId: String
    public var tenant: Int64
    public var tool: String
    public var toolVersion: String?
    public var model: String?
    public var person: String?
    public var device: String?
    public var project: String?
    public var startedAt: String?
    public var endedAt: String?
    public var messages: Int64 = 0
    public var toolCalls: Int64 = 0
    public var inputTokens: Int64 = 0
    public var outputTokens: Int64 = 0
    public var cacheReadTokens: Int64 = 0
    public var cacheWriteTokens: Int64 = 0
    public var reasoningTokens: Int64 = 0
    public var totalTokens: Int64 = 0
    public var cost: Double = 0

    /// The CSV header, in the order of ``csvFields``.
    public static let csvHeader = ["session_id", "tenant", "tool", "tool_version", "model", "person", "device", "project", "started_at",
                                   "ended_at", "messages", "tool_calls", "input_tokens", "output_tokens", "cache_read_tokens",
                                   "cache_write_tokens", "reasoning_tokens", "total_tokens", "cost"]

    public var csvFields: [String] {
        [sessionId, String(tenant), tool, toolVersion ?? "", model ?? "", person ?? "", device ?? "", project ?? "", startedAt ?? "",
         endedAt ?? "", String(messages), String(toolCalls), String(inputTokens), String(outputTokens), String(cacheReadTokens),
         String(cacheWriteTokens), String(reasoningTokens), String(totalTokens), String(cost)]
    }
}

/// Tokens and cost of one day, tool, model and person (empty where the reader may not see who).
public struct UsageSummary: ExportRow, Equatable {
    public var day: String
    public var tenant: Int64
    public var tool: String
    public var model: String
    public var person: String
    public var responses: Int64
    public var tokens: Int64
    public var cost: Double

    public static let csvHeader = ["day", "tenant", "tool", "model", "person", "responses", "tokens", "cost"]
    public var csvFields: [String] { [day, String(tenant), tool, model, person, String(responses), String(tokens), String(cost)] }
}

/// A row of an export: one JSON object per line, or one CSV record under ``csvHeader``.
public protocol ExportRow: Codable, Sendable {
    static var csvHeader: [String] { get }
    var csvFields: [String] { get }
}

extension Array where Element: ExportRow {
    /// The rows as the export's text: CSV records, or NDJSON lines with snake-case keys.
    public func exported(csv: Bool) throws -> String {
        var text = ""
        for row in self {
            text += csv ? Exports.csvLine(row.csvFields) : String(decoding: try Exports.encoder.encode(row), as: UTF8.self) + "\n"
        }
        return text
    }
}

/// What an export covers and shows.
public struct ExportScope: Sendable {
    public var tenant: Int64
    /// `YYYY-MM-DD`, inclusive; nil: from the start / to the end.
    public var since: String?
    public var until: String?
    /// Sessions of this person's or team's devices only, and of the people a reader may see.
    public var owner: OwnerFilter
    /// Whose emails may be shown (nil: everyone's).
    public var namedPeople: Set<String>?
    /// Whether devices and project paths may be shown.
    public var showsDevicesAndPaths: Bool

    public init(tenant: Int64, since: String? = nil, until: String? = nil, owner: OwnerFilter = OwnerFilter(),
                namedPeople: Set<String>? = nil, showsDevicesAndPaths: Bool = true) {
        self.tenant = tenant
        self.since = since
        self.until = until
        self.owner = owner
        self.namedPeople = namedPeople
        self.showsDevicesAndPaths = showsDevicesAndPaths
    }
}

/// Exports read a page at a time (sessions by key; usage a day at a time), so a year of a large
/// tenant never sits in memory: each page is handed to the caller, which writes it out.
public enum Exports {
    public static let pageSize = 1000

    /// NDJSON's encoder: keys sorted and in snake case, slashes as they are.
    package static let encoder = JSONEncoder(outputFormatting: [.sortedKeys, .withoutEscapingSlashes], keys: .convertToSnakeCase)

    /// Every session of the scope, a page at a time, in session-key order.
    public static func sessions(_ scope: ExportScope, in store: any NormalizedStore,
                                page: ([SessionSummary]) async throws -> Void) async throws {
        var after = ""
        while true {
            var values: [SQLiteValue] = [.integer(scope.tenant), .text(after)]
            var conditions = ["s.tenant_id = $1", "s.session_key > $2", "s.source <> '(erased)'"]
            if let since = scope.since {
                values.append(.text(since))
                conditions.append("coalesce(s.started_at, '') >= $\(values.count)")
            }
            if let until = scope.until {
                values.append(.text(until + "T99"))
                conditions.append("coalesce(s.started_at, '') < $\(values.count)")
            }
            let owner = scope.owner.conditions(sessions: "s", first: values.count + 1)
            conditions += owner.conditions
            values += owner.values
            let rows = try await store.query(SQLStatement("""
                SELECT s.session_key, s.tool, s.tool_version, s.model, p.id, p.email, s.device, s.project, s.started_at, s.ended_at
                FROM norm_sessions s
                LEFT JOIN device_people dp ON dp.tenant_id = s.tenant_id AND dp.device = s.device LEFT JOIN people p ON p.id = dp.person_id
                WHERE \(conditions.joined(separator: " AND ")) ORDER BY s.session_key LIMIT \(pageSize)
                """, values))
            guard let last = rows.last?[0].text else { return }
            var summaries = rows.map { row in
                let personID = row[4].text
                let named = personID.map { id in scope.namedPeople.map { $0.contains(id) } ?? true } ?? false
                return SessionSummary(sessionId: row[0].text ?? "", tenant: scope.tenant, tool: row[1].text ?? "", toolVersion: row[2].text,
                                      model: row[3].text, person: named ? row[5].text : nil,
                                      device: scope.showsDevicesAndPaths ? row[6].text : nil,
                                      project: scope.showsDevicesAndPaths ? row[7].text : nil, startedAt: row[8].text, endedAt: row[9].text)
            }
            let keys = summaries.map(\.sessionId)
            var index: [String: Int] = [:]
            for (position, key) in keys.enumerated() { index[key] = position }
            for row in try await store.query("SELECT session_key, count(*) FROM norm_messages WHERE session_key IN", in: keys, then: "GROUP BY session_key") {
                if let at = row[0].text.flatMap({ index[$0] }) { summaries[at].messages = row[1].int ?? 0 }
            }
            for row in try await store.query("SELECT session_key, count(*) FROM norm_tool_calls WHERE session_key IN", in: keys, then: "GROUP BY session_key") {
                if let at = row[0].text.flatMap({ index[$0] }) { summaries[at].toolCalls = row[1].int ?? 0 }
            }
            for row in try await store.query("""
                SELECT session_key, CAST(sum(input_tokens) AS BIGINT), CAST(sum(output_tokens) AS BIGINT), CAST(sum(cache_read_tokens) AS BIGINT),
                       CAST(sum(cache_write_tokens) AS BIGINT), CAST(sum(reasoning_tokens) AS BIGINT), CAST(sum(total_tokens) AS BIGINT),
                       sum(coalesce(cost, estimated_cost, 0))
                FROM norm_usage WHERE session_key IN
                """, in: keys, then: "GROUP BY session_key") {
                guard let at = row[0].text.flatMap({ index[$0] }) else { continue }
                summaries[at].inputTokens = row[1].int ?? 0
                summaries[at].outputTokens = row[2].int ?? 0
                summaries[at].cacheReadTokens = row[3].int ?? 0
                summaries[at].cacheWriteTokens = row[4].int ?? 0
                summaries[at].reasoningTokens = row[5].int ?? 0
                summaries[at].totalTokens = row[6].int ?? 0
                summaries[at].cost = row[7].double ?? 0
            }
            try await page(summaries)
            after = last
        }
    }

    /// Tokens and cost per day, tool, model and person, a day at a time, oldest first.
    public static func usage(_ scope: ExportScope, in store: any NormalizedStore, page: ([UsageSummary]) async throws -> Void) async throws {
        var previous: String?  // the day written last
        while true {
            var values: [SQLiteValue] = [.integer(scope.tenant), .text(previous ?? scope.since ?? "")]
            var conditions = ["s.tenant_id = $1", "u.rows > 0", previous == nil ? "u.day >= $2" : "u.day > $2"]
            if let until = scope.until {
                values.append(.text(until))
                conditions.append("u.day <= $\(values.count)")
            }
            let owner = scope.owner.conditions(sessions: "s", first: values.count + 1)
            conditions += owner.conditions
            values += owner.values
            let where_ = conditions.joined(separator: " AND ")
            guard let day = try await store.query(SQLStatement("""
                SELECT min(u.day) FROM norm_usage_by_day u JOIN norm_sessions s ON s.session_key = u.session_key WHERE \(where_)
                """, values)).first?.first?.text else { return }
            let dayValue = values.count + 1
            let rows = try await store.query(SQLStatement("""
                SELECT s.tool, u.model, coalesce(p.id, ''), coalesce(p.email, ''), CAST(sum(u.rows) AS BIGINT), CAST(sum(u.tokens) AS BIGINT), sum(u.cost)
                FROM norm_usage_by_day u JOIN norm_sessions s ON s.session_key = u.session_key
                LEFT JOIN device_people dp ON dp.tenant_id = s.tenant_id AND dp.device = s.device LEFT JOIN people p ON p.id = dp.person_id
                WHERE \(where_) AND u.day = $\(dayValue)
                GROUP BY s.tool, u.model, coalesce(p.id, ''), coalesce(p.email, '')
                """, values + [.text(day)]))
            var merged: [String: UsageSummary] = [:]
            for row in rows {
                let id = row[2].text ?? ""
                let named = !id.isEmpty && (scope.namedPeople.map { $0.contains(id) } ?? true)
                let person = named ? row[3].text ?? "" : ""
                let key = "\(row[0].text ?? "")\u{0}\(row[1].text ?? "")\u{0}\(person)"
                var summary = merged[key] ?? UsageSummary(day: day, tenant: scope.tenant, tool: row[0].text ?? "", model: row[1].text ?? "",
                                                          person: person, responses: 0, tokens: 0, cost: 0)
                summary.responses += row[4].int ?? 0
                summary.tokens += row[5].int ?? 0
                summary.cost += row[6].double ?? 0
                merged[key] = summary
            }
            try await page(merged.values.sorted { ($0.tool, $0.model, $0.person) < ($1.tool, $1.model, $1.person) })
            previous = day
        }
    }

    /// One CSV record: fields quoted where they hold a comma, quote or line break; a field that
    /// a spreadsheet would take for a formula (`=`, `+`, `-`, `@`) is prefixed with `'`.
    public static func csvLine(_ fields: [String]) -> String {
        fields.map { field in
            var field = field
            if let first = field.first, "=+-@".contains(first), Double(field) == nil { field = "'" + field }
            guard field.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) else { return field }
            return "\"" + field.replacingOccurrences(of: "\"", with: "\"\"") + "\""
        } .joined(separator: ",") + "\r\n"
    }
}
