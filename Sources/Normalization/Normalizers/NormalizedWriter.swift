import Foundation
import IngestStore
import SQLiteDB

/// Turns a ``NormalizedBatch`` into the SQL that merges it into the normalised tables.
///
/// Rows with the same key are first merged here, by the same rules the SQL applies against
/// what is stored, so each key is written once per batch (PostgreSQL refuses to update one
/// row twice in a statement) and many rows go in one statement.
package enum NormalizedWriter {
    /// `prices` estimates the cost of every usage row the tool did not price itself.
    /// `storedModels`: the stored model of sessions this batch gives none, for usage rows
    /// without a model of their own.
    package static func statements(_ batch: NormalizedBatch, memories: [String: (source: String, memory: FileMemory)],
                           prices: PriceTable = .builtIn, storedModels: [String: String] = [:]) -> [SQLStatement] {
        var statements: [SQLStatement] = []
        let sessions = merged(batch.sessions, key: \.key, merge: mergeSession)
        statements += insert("norm_sessions", ["session_key", "tool", "device", "native_id", "source", "project", "git_branch",
                                               "title", "status", "tool_version", "model", "started_at", "ended_at", "tenant_id:int"],
                             sessions.map { [.text($0.key), .text($0.tool), .text($0.device), .text($0.nativeID), .text($0.source),
                                              .optional($0.project), .optional($0.gitBranch), .optional($0.title), .optional($0.status),
                                              .optional($0.toolVersion), .optional($0.model), .optional($0.startedAt), .optional($0.endedAt),
                                              .integer($0.tenant)] },
                             conflict: """
                                ON CONFLICT (session_key) DO UPDATE SET
                                  project = coalesce(norm_sessions.project, excluded.project),
                                  git_branch = coalesce(norm_sessions.git_branch, excluded.git_branch),
                                  title = coalesce(excluded.title, norm_sessions.title),
                                  status = coalesce(excluded.status, norm_sessions.status),
                                  tool_version = coalesce(excluded.tool_version, norm_sessions.tool_version),
                                  model = coalesce(excluded.model, norm_sessions.model),
                                  \(widened("started_at", of: "norm_sessions", to: .earliest)),
                                  \(widened("ended_at", of: "norm_sessions", to: .latest))
                                WHERE norm_sessions.tenant_id = excluded.tenant_id
                                """)
        var files = Set<[String]>()
        for session in batch.sessions { if let file = session.file { files.insert([session.key, file, session.source]) } }
        statements += insert("norm_session_files", ["session_key", "path", "source"], files.sorted { $0.lexicographicallyPrecedes($1) }
                                .map { $0.map { .text($0) } }, conflict: "ON CONFLICT (session_key, path) DO NOTHING")

        let links = merged(batch.links, key: \.childKey) { first, later in
            var link = first
            link.toolCallID = first.toolCallID ?? later.toolCallID
            return link
        }
        statements += insert("norm_session_links", ["child_key", "parent_key", "tool_call_id", "relation", "source"],
                             links.map { [.text($0.childKey), .text($0.parentKey), .optional($0.toolCallID), .text($0.relation), .text($0.source)] },
                             conflict: "ON CONFLICT (child_key) DO UPDATE SET tool_call_id = coalesce(norm_session_links.tool_call_id, excluded.tool_call_id)")

        // A later version with a higher rank replaces a message; any other only fills in a text
        // or model still unknown (a message whose text arrives in a record of its own).
        let messages = merged(batch.messages.filter { !$0.appends }, key: \.key) { first, later in
            guard later.rank <= first.rank else { return later }
            var kept = first
            kept.text = first.text ?? later.text
            kept.model = first.model ?? later.model
            return kept
        }
        let outranks = "excluded.rank > norm_messages.rank"
        func replaced(_ column: String) -> String {
            "\(column) = CASE WHEN \(outranks) THEN excluded.\(column) ELSE norm_messages.\(column) END"
        }
        func filled(_ column: String) -> String {
            "\(column) = CASE WHEN \(outranks) THEN excluded.\(column) ELSE coalesce(norm_messages.\(column), excluded.\(column)) END"
        }
        func insertMessages(_ rows: [MessageRow], conflict: String) -> [SQLStatement] {
            insert("norm_messages", ["message_key", "session_key", "response_id", "role", "kind", "text:packed", "model", "created_at",
                                     "ordinal:int", "rank:int", "source"],
                   rows.map { [.text($0.key), .text($0.sessionKey), .optional($0.responseID), .text($0.role), .text($0.kind),
                               .optional($0.text), .optional($0.model), .optional($0.createdAt), .integer($0.ordinal),
                               .integer($0.rank), .text($0.source)] },
                   conflict: conflict)
        }
        statements += insertMessages(messages, conflict: """
                                ON CONFLICT (message_key) DO UPDATE SET \(["role", "kind", "created_at", "ordinal", "rank", "response_id", "source"]
                                    .map(replaced).joined(separator: ", ")), \(filled("text")), \(filled("model"))
                                WHERE \(outranks) OR (norm_messages.text IS NULL AND excluded.text IS NOT NULL)
                                  OR (norm_messages.model IS NULL AND excluded.model IS NOT NULL)
                                """)

        // A message streamed over several records: each part's text goes on the end, in order;
        // the place, role and time stay those of its first part.
        let streamed = merged(batch.messages.filter(\.appends), key: \.key) { first, later in
            var joined = first
            joined.text = first.text.map { $0 + (later.text ?? "") } ?? later.text
            joined.model = first.model ?? later.model
            return joined
        }
        statements += insertMessages(streamed, conflict: """
                                ON CONFLICT (message_key) DO UPDATE SET
                                  text = coalesce(pack_text(unpack_text(norm_messages.text) || unpack_text(excluded.text)),
                                                  excluded.text, norm_messages.text),
                                  model = coalesce(norm_messages.model, excluded.model)
                                """)

        let positions = merged(batch.positions, key: \.messageKey) { _, later in later }
        statements += insert("norm_message_positions", ["message_key", "position:int", "source"],
                             positions.map { [.text($0.messageKey), .integer($0.position), .text($0.source)] },
                             conflict: "ON CONFLICT (message_key) DO UPDATE SET position = excluded.position")

        let calls = merged(batch.toolCalls, key: \.key, merge: mergeCall)
        statements += insert("norm_tool_calls", ["call_key", "session_key", "message_key", "call_id", "name", "input:packed", "result:packed", "is_error:int",
                                                 "started_at", "ended_at", "duration_ms:int", "source"],
                             calls.map { [.text($0.key), .text($0.sessionKey), .optional($0.messageKey), .text($0.callID), .optional($0.name),
                                           .optional($0.input), .optional($0.result), .optional($0.isError), .optional($0.startedAt),
                                           .optional($0.endedAt), .optional($0.durationMs), .text($0.source)] },
                             conflict: """
                                ON CONFLICT (call_key) DO UPDATE SET
                                  message_key = coalesce(norm_tool_calls.message_key, excluded.message_key),
                                  name = coalesce(norm_tool_calls.name, excluded.name),
                                  input = coalesce(norm_tool_calls.input, excluded.input),
                                  started_at = coalesce(norm_tool_calls.started_at, excluded.started_at),
                                  result = coalesce(excluded.result, norm_tool_calls.result),
                                  is_error = coalesce(excluded.is_error, norm_tool_calls.is_error),
                                  ended_at = coalesce(excluded.ended_at, norm_tool_calls.ended_at),
                                  duration_ms = coalesce(excluded.duration_ms, norm_tool_calls.duration_ms)
                                """)

        // A larger total replaces the row; the model and message it names none of stay known.
        let usage = merged(batch.usage, key: \.key) { first, later in
            guard later.total > first.total else { return first }
            var row = later
            row.model = row.model ?? first.model
            row.messageKey = row.messageKey ?? first.messageKey
            return row
        }
        let sessionModels = batch.sessionModels
        func estimate(_ row: UsageRow) -> Double? {
            guard row.cost == nil else { return nil }
            return prices.cost(model: row.model ?? sessionModels[row.sessionKey] ?? storedModels[row.sessionKey], at: row.createdAt, tokens: .init(
                input: row.input, output: row.output, cacheRead: row.cacheRead, cacheWrite: row.cacheWrite))
        }
        statements += insert("norm_usage", ["usage_key", "session_key", "message_key", "model", "created_at", "input_tokens:int",
                                            "output_tokens:int", "cache_read_tokens:int", "cache_write_tokens:int", "reasoning_tokens:int",
                                            "total_tokens:int", "cost:real", "estimated_cost:real", "source", "request_id", "joins"],
                             usage.map { [.text($0.key), .text($0.sessionKey), .optional($0.messageKey), .optional($0.model),
                                           .optional($0.createdAt), .integer($0.input), .integer($0.output), .integer($0.cacheRead),
                                           .integer($0.cacheWrite), .integer($0.reasoning), .integer($0.total), .optional($0.cost),
                                           .optional(estimate($0)), .text($0.source), .optional($0.requestID), .optional($0.joinsTool)] },
                             conflict: """
                                ON CONFLICT (usage_key) DO UPDATE SET message_key = coalesce(excluded.message_key, norm_usage.message_key),
                                  model = coalesce(excluded.model, norm_usage.model),
                                  created_at = excluded.created_at, input_tokens = excluded.input_tokens,
                                  output_tokens = excluded.output_tokens, cache_read_tokens = excluded.cache_read_tokens,
                                  cache_write_tokens = excluded.cache_write_tokens, reasoning_tokens = excluded.reasoning_tokens,
                                  total_tokens = excluded.total_tokens, cost = coalesce(excluded.cost, norm_usage.cost),
                                  estimated_cost = excluded.estimated_cost, request_id = coalesce(excluded.request_id, norm_usage.request_id)
                                WHERE excluded.total_tokens > norm_usage.total_tokens
                                """)

        let changes = merged(batch.fileChanges, key: \.key) { first, _ in first }
        statements += insert("norm_file_changes", ["change_key", "session_key", "call_key", "path", "diff", "old_text", "new_text",
                                                   "created_at", "source"],
                             changes.map { [.text($0.key), .text($0.sessionKey), .optional($0.callKey), .text($0.path), .optional($0.diff),
                                             .optional($0.oldText), .optional($0.newText), .optional($0.createdAt), .text($0.source)] },
                             conflict: "ON CONFLICT (change_key) DO NOTHING")

        statements += insert("norm_session_models", ["session_key", "model", "source"],
                             batch.models.sorted { $0.lexicographicallyPrecedes($1) }.map { $0.map { .text($0) } },
                             conflict: "ON CONFLICT (session_key, model) DO NOTHING")

        statements += insert("norm_drift", ["source", "tool", "tool_version", "kind", "reason", "name", "count:int", "tenant_id:int",
                                            "first_seen", "last_seen", "example_id"],
                             batch.drift.sorted { "\($0.key)" < "\($1.key)" }.map { key, count in
                                 let seen = batch.driftSightings[key]
                                 return [.text(key.source), .text(key.tool), .text(key.toolVersion), .text(key.kind), .text(key.reason),
                                         .text(key.name), .integer(Int64(count)), .integer(key.tenant), .optional(seen?.first),
                                         .optional(seen?.last), .optional(seen?.example)]
                             },
                             conflict: """
                                ON CONFLICT (tenant_id, source, tool, tool_version, kind, reason, name) DO UPDATE SET
                                  count = norm_drift.count + excluded.count,
                                  \(widened("first_seen", of: "norm_drift", to: .earliest)),
                                  \(widened("last_seen", of: "norm_drift", to: .latest)),
                                  example_id = CASE WHEN norm_drift.example_id IS NULL THEN excluded.example_id
                                    WHEN excluded.example_id IS NULL THEN norm_drift.example_id
                                    WHEN excluded.first_seen < norm_drift.first_seen THEN excluded.example_id
                                    WHEN excluded.first_seen = norm_drift.first_seen AND excluded.example_id < norm_drift.example_id
                                      THEN excluded.example_id
                                    ELSE norm_drift.example_id END
                                """)

        let accounts = merged(batch.accounts, key: \.key, merge: mergeAccount)
        func flag(_ value: Bool?) -> SQLiteValue { value.map { .integer($0 ? 1 : 0) } ?? .null }
        statements += insert("norm_accounts", ["account_key", "tenant_id:int", "device", "tool", "account", "email", "domain", "login",
                                               "name", "organization", "plan", "personal:int", "active:int", "first_seen", "last_seen",
                                               "source"],
                             accounts.map { [.text($0.key), .integer($0.tenant), .text($0.device), .text($0.tool), .text($0.account),
                                             .optional($0.email), .optional($0.domain), .optional($0.login), .optional($0.name),
                                             .optional($0.organization), .optional($0.plan), flag($0.personal), flag($0.active),
                                             .text($0.firstSeen), .text($0.lastSeen), .text($0.source)] },
                             conflict: """
                                ON CONFLICT (account_key) DO UPDATE SET \(["email", "domain", "login", "name", "organization", "plan",
                                                                          "personal", "active"]
                                    .map { "\($0) = coalesce(excluded.\($0), norm_accounts.\($0))" }.joined(separator: ", ")),
                                  \(widened("first_seen", of: "norm_accounts", to: .earliest)),
                                  \(widened("last_seen", of: "norm_accounts", to: .latest))
                                WHERE norm_accounts.tenant_id = excluded.tenant_id
                                """)

        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        statements += insert("norm_file_memory", ["memory_key", "source", "memory"],
                             memories.sorted { $0.key < $1.key }.map { key, value in
                                 [.text(key), .text(value.source),
                                  .text(String(decoding: (try? encoder.encode(value.memory)) ?? Data("{}".utf8), as: UTF8.self))]
                             },
                             conflict: "ON CONFLICT (memory_key) DO UPDATE SET memory = excluded.memory")
        // Last, so that they see this step's sessions and accounts: the requests reported twice
        // are settled, and the rows that belong in another tool's conversation move there.
        statements += OneUsagePerRequest.settle(Set(usage.compactMap(\.requestID)))
        for (tool, rows) in Dictionary(grouping: usage.filter { $0.joinsTool != nil }, by: { $0.joinsTool ?? "" }) {
            statements += UsageIntoConversations.move(Set(rows.map(\.key)), into: tool)
        }
        return statements
    }

    enum Bound { case earliest, latest }

    /// `column = ` the earlier (or later) of the stored and the incoming time, either when the
    /// other is unknown: what a session's start and end, and a sighting's first and last, keep.
    static func widened(_ column: String, of table: String, to bound: Bound) -> String {
        let comparison = bound == .earliest ? "<" : ">"
        return """
            \(column) = CASE WHEN \(table).\(column) IS NULL OR excluded.\(column) \(comparison) \(table).\(column)
              THEN coalesce(excluded.\(column), \(table).\(column)) ELSE \(table).\(column) END
            """
    }

    /// Rows with the same key merged, in first-seen order.
    package static func merged<Row>(_ rows: [Row], key: (Row) -> String, merge: (Row, Row) -> Row) -> [Row] {
        var order: [String] = []
        var byKey: [String: Row] = [:]
        for row in rows {
            let rowKey = key(row)
            if let existing = byKey[rowKey] {
                byKey[rowKey] = merge(existing, row)
            } else {
                order.append(rowKey)
                byKey[rowKey] = row
            }
        }
        return order.map { byKey[$0]! }
    }

    static func mergeSession(_ first: SessionRow, _ later: SessionRow) -> SessionRow {
        var session = first
        session.project = first.project ?? later.project
        session.gitBranch = first.gitBranch ?? later.gitBranch
        session.title = later.title ?? first.title
        session.status = later.status ?? first.status
        session.toolVersion = later.toolVersion ?? first.toolVersion
        session.model = later.model ?? first.model
        if let started = later.startedAt, first.startedAt.map({ started < $0 }) ?? true { session.startedAt = started }
        if let ended = later.endedAt, first.endedAt.map({ ended > $0 }) ?? true { session.endedAt = ended }
        return session
    }

    static func mergeAccount(_ first: AccountRow, _ later: AccountRow) -> AccountRow {
        var account = later
        account.email = later.email ?? first.email
        account.login = later.login ?? first.login
        account.name = later.name ?? first.name
        account.organization = later.organization ?? first.organization
        account.plan = later.plan ?? first.plan
        account.personal = later.personal ?? first.personal
        account.active = later.active ?? first.active
        account.firstSeen = min(first.firstSeen, later.firstSeen)
        account.lastSeen = max(first.lastSeen, later.lastSeen)
        return account
    }

    static func mergeCall(_ first: ToolCallRow, _ later: ToolCallRow) -> ToolCallRow {
        var call = first
        call.messageKey = first.messageKey ?? later.messageKey
        call.name = first.name ?? later.name
        call.input = first.input ?? later.input
        call.startedAt = first.startedAt ?? later.startedAt
        call.result = later.result ?? first.result
        call.isError = later.isError ?? first.isError
        call.endedAt = later.endedAt ?? first.endedAt
        call.durationMs = later.durationMs ?? first.durationMs
        return call
    }

    /// The rows upserted into `table` (nothing when there are none); see ``RowInsert``.
    package static func insert(_ table: String, _ typedColumns: [String], _ rows: [[SQLiteValue]], conflict: String) -> [SQLStatement] {
        guard !rows.isEmpty else { return [] }
        return [SQLStatement(inserting: RowInsert(table, typedColumns, rows, conflict: conflict))]
    }
}
