import SQLiteDB

/// Sessions whose normalised rows outlive part of their raw envelopes, and so are kept through a
/// reparse instead of being built again: sessions started before a tenant's words window (their
/// oldest envelopes may be gone), and the unattributed sums an erasure leaves. A reparse empties
/// every other normalised row and builds it again from raw custody; these rows it leaves, and
/// updates from the envelopes that remain.
package enum KeptSessions {
    package static func schema(_ dialect: SQLDialect) -> [String] {
        let int = dialect == .sqlite ? "INTEGER" : "BIGINT"
        return [
            // why: `window` (words retention) or `erased` (an erasure's sums). words_gone_through: the
            // session's last activity when its words were removed (nil: not removed yet, or
            // written again by a reparse).
            """
            CREATE TABLE kept_sessions (
                session_key TEXT PRIMARY KEY, tenant_id \(int) NOT NULL, why TEXT NOT NULL, words_gone_through TEXT)
            """,
        ]
    }

    /// The tables a reparse empties whose rows belong to one session, by that column.
    static let sessionColumn: [String: String] = [
        "norm_sessions": "session_key", "norm_session_files": "session_key", "norm_session_links": "child_key",
        "norm_messages": "session_key", "norm_tool_calls": "session_key", "norm_usage": "session_key",
        "norm_file_changes": "session_key", "norm_session_models": "session_key", "norm_usage_by_day": "session_key",
        "norm_session_totals": "session_key",
    ]

    /// The condition (after `WHERE`) that spares the kept sessions' rows of `table`, or nil when
    /// the table's rows belong to no session (drift, file memory, accounts: built again whole).
    package static func sparing(_ table: String) -> String? {
        if let column = sessionColumn[table] { return "\(column) NOT IN (SELECT session_key FROM kept_sessions)" }
        if table == "norm_message_positions" {
            return "message_key NOT IN (SELECT m.message_key FROM norm_messages m JOIN kept_sessions k ON k.session_key = m.session_key)"
        }
        return nil
    }

    /// Statements that delete every row of `tables` but the kept sessions'.
    package static func emptying(_ tables: [String]) -> [SQLStatement] {
        // Positions are found through their messages: delete them while those are still there.
        let ordered = tables.filter { $0 == "norm_message_positions" } + tables.filter { $0 != "norm_message_positions" }
        return ordered.map { table in SQLStatement("DELETE FROM \(table)" + (sparing(table).map { " WHERE \($0)" } ?? "")) }
    }

    /// Whether any session is kept: when none is, a reparse empties its tables the fast way.
    package static func any(in store: any NormalizedStore) async throws -> Bool {
        try await store.query(SQLStatement("SELECT 1 FROM kept_sessions LIMIT 1")).isEmpty == false
    }

    /// After a reparse wrote the kept sessions' rows again from the envelopes that remain, their
    /// words are removed again at the next retention pass.
    package static let wordsWrittenAgain = SQLStatement("UPDATE kept_sessions SET words_gone_through = NULL WHERE why = 'window'")
}
