/// Each session's messages, tokens and cost, kept by triggers on `norm_messages` and
/// `norm_usage` in the transaction that writes them. Lists of sessions sort by these and leave
/// out sessions without messages by reading one small row per session, instead of counting
/// every message and summing every usage row of every session in the list (at fleet size, ten
/// million messages and five million usage rows for each view). `messages` counts rows, as the
/// lists sort; `cost` is the recorded cost, else the estimate, as everywhere.
///
/// SQLite: a trigger per row, standing still while a whole reparse runs (as the search index
/// does: they cost a fifth of the reparse's CPU), the totals summed again in one pass when it
/// ends. PostgreSQL: a trigger per statement over its transition table (one upsert per session
/// a statement touched, in key order, not one per row), so a step of a thousand messages adds
/// one grouped write, not a thousand.
package enum SessionTotals {
    /// Every session's totals summed again from its rows.
    package static let rebuild = [
        "DELETE FROM norm_session_totals",
        """
        INSERT INTO norm_session_totals(session_key, messages, tokens, cost)
        SELECT session_key, sum(messages), sum(tokens), sum(cost) FROM (
            SELECT session_key, count(*) AS messages, 0 AS tokens, 0 AS cost FROM norm_messages GROUP BY session_key
            UNION ALL
            SELECT session_key, 0, sum(total_tokens), sum(coalesce(cost, estimated_cost, 0)) FROM norm_usage GROUP BY session_key
        ) AS parts GROUP BY session_key
        """,
    ]

    package static func schema(_ dialect: SQLDialect) -> [String] {
        let int = dialect == .sqlite ? "INTEGER" : "BIGINT"
        let real = dialect == .sqlite ? "REAL" : "DOUBLE PRECISION"
        let common = [
            """
            CREATE TABLE norm_session_totals (
                session_key TEXT PRIMARY KEY, messages \(int) NOT NULL DEFAULT 0, tokens \(int) NOT NULL DEFAULT 0,
                cost \(real) NOT NULL DEFAULT 0)
            """,
            rebuild[1],
        ]
        let cost = { (row: String) in "coalesce(\(row).cost, \(row).estimated_cost, 0)" }
        switch dialect {
        case .sqlite:
            // Paused with the search index (`norm_search_state.live`) during a whole reparse.
            let live = FullTextSearch.isLive
            func add(_ key: String, messages: String, tokens: String, cost: String) -> String {
                """
                INSERT INTO norm_session_totals(session_key, messages, tokens, cost) VALUES (\(key), \(messages), \(tokens), \(cost))
                ON CONFLICT (session_key) DO UPDATE SET messages = messages + excluded.messages, tokens = tokens + excluded.tokens,
                  cost = cost + excluded.cost
                """
            }
            func remove(_ key: String, messages: String, tokens: String, cost: String) -> String {
                """
                UPDATE norm_session_totals SET messages = messages - \(messages), tokens = tokens - \(tokens), cost = cost - \(cost)
                WHERE session_key = \(key)
                """
            }
            return common + [
                "CREATE TRIGGER norm_session_totals_message_insert AFTER INSERT ON norm_messages WHEN \(live) BEGIN \(add("new.session_key", messages: "1", tokens: "0", cost: "0")); END",
                "CREATE TRIGGER norm_session_totals_message_delete AFTER DELETE ON norm_messages WHEN \(live) BEGIN \(remove("old.session_key", messages: "1", tokens: "0", cost: "0")); END",
                """
                CREATE TRIGGER norm_session_totals_message_update AFTER UPDATE OF session_key ON norm_messages WHEN \(live) BEGIN
                  \(remove("old.session_key", messages: "1", tokens: "0", cost: "0")); \(add("new.session_key", messages: "1", tokens: "0", cost: "0"));
                END
                """,
                "CREATE TRIGGER norm_session_totals_usage_insert AFTER INSERT ON norm_usage WHEN \(live) BEGIN \(add("new.session_key", messages: "0", tokens: "new.total_tokens", cost: cost("new"))); END",
                "CREATE TRIGGER norm_session_totals_usage_delete AFTER DELETE ON norm_usage WHEN \(live) BEGIN \(remove("old.session_key", messages: "0", tokens: "old.total_tokens", cost: cost("old"))); END",
                """
                CREATE TRIGGER norm_session_totals_usage_update AFTER UPDATE ON norm_usage WHEN \(live) BEGIN
                  \(remove("old.session_key", messages: "0", tokens: "old.total_tokens", cost: cost("old")));
                  \(add("new.session_key", messages: "0", tokens: "new.total_tokens", cost: cost("new")));
                END
                """,
            ]
        case .postgres:
            // `changes(session_key, messages, tokens, cost)`: what a statement added (positive) and
            // took away (negative), summed per session and applied in key order. A session whose
            // sums net to nothing (a message written again, a text removed: every upsert of a step
            // is also an update) is left alone, its row neither written nor locked.
            func function(_ name: String, _ changes: String) -> String {
                """
                CREATE FUNCTION \(name)() RETURNS trigger LANGUAGE plpgsql AS $body$
                BEGIN
                  INSERT INTO norm_session_totals(session_key, messages, tokens, cost)
                  SELECT session_key, sum(messages), sum(tokens), sum(cost) FROM (\(changes)) AS changes
                  GROUP BY session_key HAVING sum(messages) <> 0 OR sum(tokens) <> 0 OR sum(cost) <> 0 ORDER BY session_key
                  ON CONFLICT (session_key) DO UPDATE SET messages = norm_session_totals.messages + excluded.messages,
                    tokens = norm_session_totals.tokens + excluded.tokens, cost = norm_session_totals.cost + excluded.cost;
                  RETURN NULL;
                END
                $body$
                """
            }
            func trigger(_ name: String, _ event: String, _ table: String, _ references: String, _ function: String) -> String {
                "CREATE TRIGGER \(name) AFTER \(event) ON \(table) REFERENCING \(references) FOR EACH STATEMENT EXECUTE FUNCTION \(function)()"
            }
            let messages = { (rows: String, sign: String) in "SELECT session_key, \(sign)1 AS messages, 0 AS tokens, 0 AS cost FROM \(rows)" }
            let usage = { (rows: String, sign: String) in
                "SELECT session_key, 0 AS messages, \(sign)total_tokens AS tokens, \(sign)\(cost(rows)) AS cost FROM \(rows)"
            }
            return common + [
                function("norm_session_totals_messages_added", messages("added", "")),
                function("norm_session_totals_messages_removed", messages("removed", "-")),
                function("norm_session_totals_messages_moved", messages("removed", "-") + " UNION ALL " + messages("added", "")),
                function("norm_session_totals_usage_added", usage("added", "")),
                function("norm_session_totals_usage_removed", usage("removed", "-")),
                function("norm_session_totals_usage_changed", usage("removed", "-") + " UNION ALL " + usage("added", "")),
                trigger("norm_session_totals_message_insert", "INSERT", "norm_messages", "NEW TABLE AS added", "norm_session_totals_messages_added"),
                trigger("norm_session_totals_message_delete", "DELETE", "norm_messages", "OLD TABLE AS removed", "norm_session_totals_messages_removed"),
                trigger("norm_session_totals_message_update", "UPDATE", "norm_messages", "OLD TABLE AS removed NEW TABLE AS added",
                        "norm_session_totals_messages_moved"),
                trigger("norm_session_totals_usage_insert", "INSERT", "norm_usage", "NEW TABLE AS added", "norm_session_totals_usage_added"),
                trigger("norm_session_totals_usage_delete", "DELETE", "norm_usage", "OLD TABLE AS removed", "norm_session_totals_usage_removed"),
                trigger("norm_session_totals_usage_update", "UPDATE", "norm_usage", "OLD TABLE AS removed NEW TABLE AS added",
                        "norm_session_totals_usage_changed"),
            ]
        }
    }
}
