import SQLiteDB

/// A model response counted once whether a transcript, a telemetry event or both report it.
///
/// Usage rows carry the vendor's request id where known (Claude Code's `requestId`; the
/// `request_id` of its OpenTelemetry `api_request` event). Telemetry's rows are those of source
/// `otlp`. Whichever of the two arrives second, the step that writes it also keeps the
/// transcript's row (its session holds the conversation), gives it the telemetry's recorded cost
/// (the vendor's own figure, where the transcript has none) and the accounts the telemetry
/// named (the user's email and organisation), and deletes the telemetry's row: the daily sums
/// follow by their triggers. A telemetry row with no transcript behind it stays,
/// and counts. Rows are matched within one tenant only.
package enum OneUsagePerRequest {
    package static func schema(_ dialect: SQLDialect) -> [String] {
        [
            "ALTER TABLE norm_usage ADD COLUMN request_id TEXT",
            "CREATE INDEX norm_usage_request ON norm_usage(request_id) WHERE request_id IS NOT NULL",
        ]
    }

    /// Both rows' sessions are the tenant's.
    private static func sameTenant(_ a: String, _ b: String) -> String {
        "(SELECT tenant_id FROM norm_sessions WHERE session_key = \(a).session_key) = (SELECT tenant_id FROM norm_sessions WHERE session_key = \(b).session_key)"
    }

    /// The statements that settle the requests `ids` after a step wrote rows carrying them (run
    /// after the rows' insert, in the same transaction).
    package static func settle(_ ids: Set<String>) -> [SQLStatement] {
        guard !ids.isEmpty else { return [] }
        var statements: [SQLStatement] = []
        let sorted = ids.sorted()
        for start in stride(from: 0, to: sorted.count, by: 500) {
            let chunk = Array(sorted[start..<min(sorted.count, start + 500)])
            let list = "(" + chunk.indices.map { "$\($0 + 1)" }.joined(separator: ", ") + ")"
            let values = chunk.map { SQLiteValue.text($0) }
            statements += [
                // The transcript's device gains the accounts the telemetry named (its user's email and
                // organisation): the session is then its person's, as the telemetry said.
                SQLStatement("""
                    INSERT INTO norm_accounts(account_key, tenant_id, device, tool, account, email, domain, login, name, organization, plan,
                                              personal, active, first_seen, last_seen, source)
                    SELECT DISTINCT a.account_key || ':' || ts.device, a.tenant_id, ts.device, a.tool, a.account, a.email, a.domain, a.login,
                           a.name, a.organization, a.plan, a.personal, a.active, a.first_seen, a.last_seen, ts.source
                    FROM norm_usage u JOIN norm_sessions ts ON ts.session_key = u.session_key
                    JOIN norm_usage t ON t.request_id = u.request_id AND t.source = 'otlp'
                    JOIN norm_sessions es ON es.session_key = t.session_key AND es.tenant_id = ts.tenant_id
                    JOIN norm_accounts a ON a.tenant_id = es.tenant_id AND a.device = es.device
                    WHERE u.request_id IN \(list) AND u.source <> 'otlp'
                    ON CONFLICT (account_key) DO NOTHING
                    """, values),
                SQLStatement("""
                    UPDATE norm_usage SET cost = (SELECT t.cost FROM norm_usage t WHERE t.request_id = norm_usage.request_id AND t.source = 'otlp'
                                                  AND t.cost IS NOT NULL AND \(sameTenant("t", "norm_usage")) LIMIT 1)
                    WHERE request_id IN \(list) AND source <> 'otlp' AND cost IS NULL
                      AND EXISTS (SELECT 1 FROM norm_usage t WHERE t.request_id = norm_usage.request_id AND t.source = 'otlp'
                                  AND t.cost IS NOT NULL AND \(sameTenant("t", "norm_usage")))
                    """, values),
                SQLStatement("""
                    DELETE FROM norm_usage WHERE request_id IN \(list) AND source = 'otlp'
                      AND EXISTS (SELECT 1 FROM norm_usage o WHERE o.request_id = norm_usage.request_id AND o.source <> 'otlp'
                                  AND \(sameTenant("o", "norm_usage")))
                    """, values),
                SQLStatement("DELETE FROM norm_usage_by_day WHERE rows <= 0"),
            ]
        }
        return statements
    }
}
