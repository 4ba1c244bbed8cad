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

    /// What each row carries of its session (migration 33 on SQLite and 29 on PostgreSQL: tenant
    /// and start, for the overview's count; 34 and 30: device, tool and last activity, for the
    /// people page's), so that counting the sessions that hold messages reads these rows alone
    /// (at fleet size the join with the sessions was 75 ms of the overview and most of the
    /// people page's first statement).
    package static let firstFacets = ["tenant_id", "started_at"]
    package static let laterFacets = ["device", "tool", "ended_at"]
    package static let facets = firstFacets + laterFacets

    /// After ``rebuild``: every row's facets from its session.
    package static func facetsFromSessions(_ columns: [String] = facets) -> String {
        """
        UPDATE norm_session_totals SET \(columns.map { "\($0) = s.\($0)" }.joined(separator: ", "))
        FROM norm_sessions s WHERE s.session_key = norm_session_totals.session_key
        """
    }

    package static func schema(_ dialect: SQLDialect) -> [String] {
        let int = dialect == .sqlite ? "INTEGER" : "BIGINT"
        let real = dialect == .sqlite ? "REAL" : "DOUBLE PRECISION"
        return [
            """
            CREATE TABLE norm_session_totals (
                session_key TEXT PRIMARY KEY, messages \(int) NOT NULL DEFAULT 0, tokens \(int) NOT NULL DEFAULT 0,
                cost \(real) NOT NULL DEFAULT 0)
            """,
            rebuild[1],
        ] + triggers(dialect, facets: []).map(\.sql)
    }

    /// The migration that adds `added` to the facets each row carries (``facets``: `before` were
    /// there), kept as rows are added (from the session, when it is written already) and as a
    /// session is written or changes (onto its row), so that either order of writing leaves them
    /// right. One normaliser writes a session's rows at a time (its lane), so the two never race.
    package static func sessionFacets(_ dialect: SQLDialect, adding added: [String], to before: [String]) -> [String] {
        let int = dialect == .sqlite ? "INTEGER" : "BIGINT"
        let all = before + added
        let typed = added.map { "\($0) \($0 == "tenant_id" ? int : "TEXT")" }
        var statements: [String] = dialect == .sqlite
            ? typed.map { "ALTER TABLE norm_session_totals ADD COLUMN \($0)" }
            : ["ALTER TABLE norm_session_totals " + typed.map { "ADD COLUMN \($0)" }.joined(separator: ", ")]
        statements.append(facetsFromSessions(all))
        if before.isEmpty {
            statements.append("CREATE INDEX norm_session_totals_started ON norm_session_totals(tenant_id, started_at) WHERE messages > 0")
        }
        let changed = { (old: String, new: String, distinct: String) in
            all.map { "\(old).\($0) \(distinct) \(new).\($0)" }.joined(separator: " OR ")
        }
        switch dialect {
        case .sqlite:
            let live = FullTextSearch.isLive
            let copy = "UPDATE norm_session_totals SET \(all.map { "\($0) = new.\($0)" }.joined(separator: ", ")) WHERE session_key = new.session_key"
            let replaced = triggers(.sqlite, facets: all).filter { $0.sql.contains("INSERT INTO norm_session_totals") }
            let sessionTriggers = ["norm_session_totals_session_insert", "norm_session_totals_session_update"]
            return statements + replaced.map { "DROP TRIGGER \($0.name)" } + replaced.map(\.sql)
                + (before.isEmpty ? [] : sessionTriggers.map { "DROP TRIGGER \($0)" }) + [
                "CREATE TRIGGER norm_session_totals_session_insert AFTER INSERT ON norm_sessions WHEN \(live) BEGIN \(copy); END",
                """
                CREATE TRIGGER norm_session_totals_session_update AFTER UPDATE OF \(all.joined(separator: ", ")) ON norm_sessions
                WHEN \(live) AND (\(changed("old", "new", "IS NOT"))) BEGIN \(copy); END
                """,
            ]
        case .postgres:
            return statements + functions(facets: all).map { "CREATE OR REPLACE " + $0 } + [
                """
                CREATE OR REPLACE FUNCTION norm_session_totals_session() RETURNS trigger LANGUAGE plpgsql AS $body$
                BEGIN
                  UPDATE norm_session_totals SET \(all.map { "\($0) = NEW.\($0)" }.joined(separator: ", ")) WHERE session_key = NEW.session_key;
                  RETURN NULL;
                END
                $body$
                """,
            ] + (before.isEmpty
                ? ["CREATE TRIGGER norm_session_totals_session_insert AFTER INSERT ON norm_sessions FOR EACH ROW EXECUTE FUNCTION norm_session_totals_session()"]
                : ["DROP TRIGGER norm_session_totals_session_update ON norm_sessions"]) + [
                """
                CREATE TRIGGER norm_session_totals_session_update AFTER UPDATE OF \(all.joined(separator: ", ")) ON norm_sessions FOR EACH ROW
                WHEN (\(changed("OLD", "NEW", "IS DISTINCT FROM"))) EXECUTE FUNCTION norm_session_totals_session()
                """,
            ]
        }
    }

    /// A usage row's cost: the recorded one, else the estimate.
    private static func cost(_ row: String) -> String { "coalesce(\(row).cost, \(row).estimated_cost, 0)" }

    /// The triggers that keep the sums (their names and SQL); a row added takes its session's
    /// `facets`.
    private static func triggers(_ dialect: SQLDialect, facets: [String]) -> [(name: String, sql: String)] {
        switch dialect {
        case .sqlite:
            // Paused with the search index (`norm_search_state.live`) during a whole reparse.
            let live = FullTextSearch.isLive
            func add(_ key: String, messages: String, tokens: String, cost: String) -> String {
                guard !facets.isEmpty else {
                    return """
                    INSERT INTO norm_session_totals(session_key, messages, tokens, cost) VALUES (\(key), \(messages), \(tokens), \(cost))
                    ON CONFLICT (session_key) DO UPDATE SET messages = messages + excluded.messages, tokens = tokens + excluded.tokens,
                      cost = cost + excluded.cost
                    """
                }
                // The session's facets in one lookup (a join: SQLite takes `ON CONFLICT` after one
                // as the join's own unless the SELECT has a WHERE).
                return """
                INSERT INTO norm_session_totals(session_key, messages, tokens, cost, \(facets.joined(separator: ", ")))
                SELECT \(key), \(messages), \(tokens), \(cost), \(facets.map { "s.\($0)" }.joined(separator: ", "))
                FROM (SELECT 1) LEFT JOIN norm_sessions s ON s.session_key = \(key) WHERE true
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
            return [
                ("norm_session_totals_message_insert",
                 "CREATE TRIGGER norm_session_totals_message_insert AFTER INSERT ON norm_messages WHEN \(live) BEGIN \(add("new.session_key", messages: "1", tokens: "0", cost: "0")); END"),
                ("norm_session_totals_message_delete",
                 "CREATE TRIGGER norm_session_totals_message_delete AFTER DELETE ON norm_messages WHEN \(live) BEGIN \(remove("old.session_key", messages: "1", tokens: "0", cost: "0")); END"),
                ("norm_session_totals_message_update", """
                CREATE TRIGGER norm_session_totals_message_update AFTER UPDATE OF session_key ON norm_messages WHEN \(live) BEGIN
                  \(remove("old.session_key", messages: "1", tokens: "0", cost: "0")); \(add("new.session_key", messages: "1", tokens: "0", cost: "0"));
                END
                """),
                ("norm_session_totals_usage_insert",
                 "CREATE TRIGGER norm_session_totals_usage_insert AFTER INSERT ON norm_usage WHEN \(live) BEGIN \(add("new.session_key", messages: "0", tokens: "new.total_tokens", cost: cost("new"))); END"),
                ("norm_session_totals_usage_delete",
                 "CREATE TRIGGER norm_session_totals_usage_delete AFTER DELETE ON norm_usage WHEN \(live) BEGIN \(remove("old.session_key", messages: "0", tokens: "old.total_tokens", cost: cost("old"))); END"),
                ("norm_session_totals_usage_update", """
                CREATE TRIGGER norm_session_totals_usage_update AFTER UPDATE ON norm_usage WHEN \(live) BEGIN
                  \(remove("old.session_key", messages: "0", tokens: "old.total_tokens", cost: cost("old")));
                  \(add("new.session_key", messages: "0", tokens: "new.total_tokens", cost: cost("new")));
                END
                """),
            ]
        case .postgres:
            func trigger(_ name: String, _ event: String, _ table: String, _ references: String, _ function: String) -> (name: String, sql: String) {
                (name, "CREATE TRIGGER \(name) AFTER \(event) ON \(table) REFERENCING \(references) FOR EACH STATEMENT EXECUTE FUNCTION \(function)()")
            }
            return functions(facets: facets).map { ("", "CREATE " + $0) } + [
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

    /// PostgreSQL: `changes(session_key, messages, tokens, cost)`: what a statement added
    /// (positive) and took away (negative), summed per session and applied in key order. A
    /// session whose sums net to nothing (a message written again, a text removed: every upsert
    /// of a step is also an update) is left alone, its row neither written nor locked. Each is a
    /// `FUNCTION …` definition, to follow `CREATE` or `CREATE OR REPLACE`.
    private static func functions(facets: [String]) -> [String] {
        func function(_ name: String, _ changes: String) -> String {
            let insert = !facets.isEmpty
                ? """
                  INSERT INTO norm_session_totals(session_key, messages, tokens, cost, \(facets.joined(separator: ", ")))
                  SELECT c.session_key, sum(c.messages), sum(c.tokens), sum(c.cost), \(facets.map { "min(s.\($0))" }.joined(separator: ", "))
                  FROM (\(changes)) AS c LEFT JOIN norm_sessions s ON s.session_key = c.session_key
                  GROUP BY c.session_key HAVING sum(c.messages) <> 0 OR sum(c.tokens) <> 0 OR sum(c.cost) <> 0 ORDER BY c.session_key
                  """
                : """
                  INSERT INTO norm_session_totals(session_key, messages, tokens, cost)
                  SELECT session_key, sum(messages), sum(tokens), sum(cost) FROM (\(changes)) AS changes
                  GROUP BY session_key HAVING sum(messages) <> 0 OR sum(tokens) <> 0 OR sum(cost) <> 0 ORDER BY session_key
                  """
            return """
                FUNCTION \(name)() RETURNS trigger LANGUAGE plpgsql AS $body$
                BEGIN
                  \(insert)
                  ON CONFLICT (session_key) DO UPDATE SET messages = norm_session_totals.messages + excluded.messages,
                    tokens = norm_session_totals.tokens + excluded.tokens, cost = norm_session_totals.cost + excluded.cost;
                  RETURN NULL;
                END
                $body$
                """
        }
        let messages = { (rows: String, sign: String) in "SELECT session_key, \(sign)1 AS messages, 0 AS tokens, 0 AS cost FROM \(rows)" }
        let usage = { (rows: String, sign: String) in
            "SELECT session_key, 0 AS messages, \(sign)total_tokens AS tokens, \(sign)\(cost(rows)) AS cost FROM \(rows)"
        }
        return [
            function("norm_session_totals_messages_added", messages("added", "")),
            function("norm_session_totals_messages_removed", messages("removed", "-")),
            function("norm_session_totals_messages_moved", messages("removed", "-") + " UNION ALL " + messages("added", "")),
            function("norm_session_totals_usage_added", usage("added", "")),
            function("norm_session_totals_usage_removed", usage("removed", "-")),
            function("norm_session_totals_usage_changed", usage("removed", "-") + " UNION ALL " + usage("added", "")),
        ]
    }
}
