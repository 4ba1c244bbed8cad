import SQLiteDB

/// A vendor's usage report names a person and a time but no conversation (Cursor's Admin API);
/// where the sensor collected that tool's conversation on a device of the same person (linked to
/// the report's device, or named by the report's account), and the
/// conversation's span holds the row's time, the row moves into it (the latest such one): the
/// conversation gains its tokens and recorded cost, and the report's own session keeps the
/// rest. Rows whose conversation arrives later move at the next reparse.
package enum UsageIntoConversations {
    package static func move(_ keys: Set<String>, into tool: String) -> [SQLStatement] {
        let sorted = keys.sorted()
        var statements: [SQLStatement] = []
        for start in stride(from: 0, to: sorted.count, by: 500) {
            let chunk = Array(sorted[start..<min(sorted.count, start + 500)])
            let list = "(" + chunk.indices.map { "$\($0 + 2)" }.joined(separator: ", ") + ")"
            let conversation = """
                SELECT c.session_key FROM norm_sessions c
                JOIN device_people cp ON cp.tenant_id = c.tenant_id AND cp.device = c.device
                JOIN norm_sessions r ON r.session_key = norm_usage.session_key
                WHERE c.tool = $1 AND c.tenant_id = r.tenant_id AND c.session_key <> r.session_key
                  AND cp.person_id IN (SELECT rp.person_id FROM device_people rp WHERE rp.tenant_id = r.tenant_id AND rp.device = r.device
                                       UNION SELECT p.id FROM norm_accounts a JOIN people p ON p.tenant_id = a.tenant_id AND lower(p.email) = lower(a.email)
                                       WHERE a.tenant_id = r.tenant_id AND a.device = r.device)
                  AND c.source <> r.source AND norm_usage.created_at >= c.started_at AND norm_usage.created_at <= c.ended_at
                ORDER BY c.started_at DESC, c.session_key LIMIT 1
                """
            statements.append(SQLStatement("""
                UPDATE norm_usage SET session_key = (\(conversation))
                WHERE usage_key IN \(list) AND EXISTS (\(conversation))
                """, [.text(tool)] + chunk.map { .text($0) }))
        }
        return statements + [SQLStatement("DELETE FROM norm_usage_by_day WHERE rows <= 0")]
    }
}
