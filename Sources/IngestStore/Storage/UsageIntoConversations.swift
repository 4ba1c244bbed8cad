import SQLiteDB

/// A vendor's usage report names a person and a time but no conversation (Cursor's Admin API);
/// where the sensor collected that tool's conversation on a device of the same person (linked to
/// the report's device, or named by the report's account), and the
/// conversation's span holds the row's time, the row moves into it (the latest such one): the
/// conversation gains its tokens and recorded cost, and the report's own session keeps the
/// rest. A row keeps the tool it joins (`norm_usage.joins`), so that where it belongs can be
/// settled again once everything is normalised: a step moves its rows into the conversations
/// normalised so far, and a reparse ends by settling every row, so that the answer does not
/// depend on which lane's steps ran first.
package enum UsageIntoConversations {
    /// Migration 25: the tool each joining row joins.
    package static let schema = [
        "ALTER TABLE norm_usage ADD COLUMN joins TEXT",
        "CREATE INDEX norm_usage_joins ON norm_usage(joins) WHERE joins IS NOT NULL",
    ]

    /// The conversation of `tool` (an SQL expression) a usage row belongs in: a session of that
    /// tool from another source than the row's, of the tenant and the person of the row's
    /// current session (its device's person, or the person its accounts name), whose span holds
    /// the row's time; the latest started.
    static func conversation(tool: String) -> String {
        """
        SELECT c.session_key FROM norm_sessions c
        JOIN device_people cp ON cp.tenant_id = c.tenant_id AND cp.device = c.device
        JOIN norm_sessions r ON r.session_key = norm_usage.session_key
        WHERE c.tool = \(tool) AND c.tenant_id = r.tenant_id AND c.source <> norm_usage.source
          AND cp.person_id IN (SELECT rp.person_id FROM device_people rp WHERE rp.tenant_id = r.tenant_id AND rp.device = r.device
                               UNION SELECT p.id FROM norm_accounts a JOIN people p ON p.tenant_id = a.tenant_id AND lower(p.email) = lower(a.email)
                               WHERE a.tenant_id = r.tenant_id AND a.device = r.device)
          AND norm_usage.created_at >= c.started_at AND norm_usage.created_at <= c.ended_at
        ORDER BY c.started_at DESC, c.session_key LIMIT 1
        """
    }

    package static func move(_ keys: Set<String>, into tool: String) -> [SQLStatement] {
        let sorted = keys.sorted()
        var statements: [SQLStatement] = []
        for start in stride(from: 0, to: sorted.count, by: 500) {
            let chunk = Array(sorted[start..<min(sorted.count, start + 500)])
            let list = "(" + chunk.indices.map { "$\($0 + 2)" }.joined(separator: ", ") + ")"
            statements.append(SQLStatement("""
                UPDATE norm_usage SET session_key = (\(conversation(tool: "$1")))
                WHERE usage_key IN \(list) AND EXISTS (\(conversation(tool: "$1")))
                """, [.text(tool)] + chunk.map { .text($0) }))
        }
        return statements + [SQLStatement("DELETE FROM norm_usage_by_day WHERE rows <= 0")]
    }

    /// Every joining row moved where it belongs now (run when every lane has caught up after a
    /// reparse); a row already there is not written.
    package static let settleAll = [
        SQLStatement("""
            UPDATE norm_usage SET session_key = (\(conversation(tool: "norm_usage.joins")))
            WHERE joins IS NOT NULL AND session_key <> coalesce((\(conversation(tool: "norm_usage.joins"))), session_key)
            """),
        SQLStatement("DELETE FROM norm_usage_by_day WHERE rows <= 0"),
    ]
}
