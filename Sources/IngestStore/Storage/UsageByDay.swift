/// Tokens and cost summed per day, session and model, kept by triggers on `norm_usage` as rows
/// are inserted, updated (a larger snapshot, a new estimate) and deleted (a reparse), in the
/// same transaction. The overview's window is a read of this table instead of a pass over every
/// usage row (a million-message store: 30 days in 0.5 s, 90 days in 1.5 s before; see the
/// README). A row without a time of its own is kept under day `''`.
///
/// Each row also carries what its session says of itself (``sessionFacets(_:)``): tenant, tool,
/// project, device, model and first day, so that the overview and the people page sum a window
/// without joining the sessions (at fleet size the join was half of each grouping).
package enum UsageByDay {
    /// The session's columns each row carries, and the `norm_sessions` column each is made from.
    static let facets: [(column: String, session: String)] = [
        ("tenant_id", "tenant_id"), ("tool", "tool"), ("project", "project"), ("device", "device"), ("session_model", "model"),
        ("started_day", "started_at"),
    ]

    /// A facet's value from the session row `session` (the first day of its start time).
    static func facet(_ facet: (column: String, session: String), of session: String) -> String {
        facet.session == "started_at" ? "substr(\(session).started_at, 1, 10)" : "\(session).\(facet.session)"
    }

    /// Migration 24: the session's facets on every row, filled now, set as a usage row is added
    /// (from its session, when that is written already) and as a session is written or changes
    /// (onto its rows), so that either order of writing leaves them right.
    package static func sessionFacets(_ dialect: SQLDialect) -> [String] {
        let int = dialect == .sqlite ? "INTEGER" : "BIGINT"
        let columns = facets.map(\.column)
        let typed = columns.map { "\($0) \($0 == "tenant_id" ? int : "TEXT")" }
        let copied = copiedFacets
        let watched = facets.map(\.session)
        let index = "CREATE INDEX norm_usage_by_day_session ON norm_usage_by_day(session_key)"
        let add = addedWithFacets
        switch dialect {
        case .sqlite:
            return typed.map { "ALTER TABLE norm_usage_by_day ADD COLUMN \($0)" } + [
                "UPDATE norm_usage_by_day SET \(copied("s")) FROM norm_sessions s WHERE s.session_key = norm_usage_by_day.session_key",
                index,
                "DROP TRIGGER norm_usage_by_day_insert",
                "DROP TRIGGER norm_usage_by_day_update",
            ] + sqliteTriggers(when: nil).filter { $0.name != "norm_usage_by_day_delete" }.map(\.sql)
        case .postgres:
            return [
                "ALTER TABLE norm_usage_by_day " + typed.map { "ADD COLUMN \($0)" }.joined(separator: ", "),
                "UPDATE norm_usage_by_day u SET \(copied("s")) FROM norm_sessions s WHERE s.session_key = u.session_key",
                index,
                "CREATE OR REPLACE " + applyFunction(add),
                """
                CREATE FUNCTION norm_usage_by_day_session() RETURNS trigger LANGUAGE plpgsql AS $body$
                BEGIN
                  UPDATE norm_usage_by_day SET \(copied("NEW")) WHERE session_key = NEW.session_key;
                  RETURN NULL;
                END
                $body$
                """,
                "CREATE TRIGGER norm_usage_by_day_session_insert AFTER INSERT ON norm_sessions FOR EACH ROW EXECUTE FUNCTION norm_usage_by_day_session()",
                """
                CREATE TRIGGER norm_usage_by_day_session_update AFTER UPDATE OF \(watched.joined(separator: ", ")) ON norm_sessions FOR EACH ROW
                WHEN (\(watched.map { "OLD.\($0) IS DISTINCT FROM NEW.\($0)" }.joined(separator: " OR "))) EXECUTE FUNCTION norm_usage_by_day_session()
                """,
            ]
        }
    }

    /// Migration 26, PostgreSQL: the overview's leaders (model, project, device) read in the order
    /// of an index holding every column they use, so that counting each one's distinct sessions
    /// sorts nothing (at fleet size a sort of the window's 100,000 rows per leader, on disk at
    /// the default `work_mem`: 80-170 ms each; 45-55 ms along the index). A row's model, its own
    /// or else its session's, is a stored generated column (`leader_model`) for its index.
    /// SQLite's overview sorts in memory fast enough; the version keeps both stores in step.
    package static func leaderIndexes(_ dialect: SQLDialect) -> [String] {
        guard dialect == .postgres else { return [] }
        let carried = "INCLUDE (day, started_day, rows, tool, tenant_id, tokens, cost)"
        return [
            "ALTER TABLE norm_usage_by_day ADD COLUMN leader_model TEXT GENERATED ALWAYS AS (\(model())) STORED",
        ] + ["leader_model", "project", "device"].map { column in
            """
            CREATE INDEX norm_usage_by_day_\(column == "leader_model" ? "model" : column)_leaders ON norm_usage_by_day
              ((\(column) COLLATE "C"), (session_key COLLATE "C")) \(carried)
            """
        }
    }

    /// A daily row's model: its own, or else its session's (`row`: the row's alias in a query).
    package static func model(of row: String? = nil) -> String {
        let prefix = row.map { $0 + "." } ?? ""
        return "coalesce(nullif(\(prefix)model, ''), \(prefix)session_model)"
    }

    /// PostgreSQL's row trigger function: an update's or deletion's old row taken out, an update's
    /// or insertion's new row added (`add` makes the statement for a row).
    static func applyFunction(_ add: (String) -> String) -> String {
        """
        FUNCTION norm_usage_by_day_apply() RETURNS trigger LANGUAGE plpgsql AS $body$
        BEGIN
          IF TG_OP IN ('UPDATE', 'DELETE') THEN \(remove("OLD")); END IF;
          IF TG_OP IN ('UPDATE', 'INSERT') THEN \(add("NEW")); END IF;
          RETURN NULL;
        END
        $body$
        """
    }

    /// The statement adding usage row `row` (`new`, `old`) to its day's sums, with its session's
    /// facets joined in (SQLite reads `ON CONFLICT` after a join as the join's own unless the
    /// SELECT has a WHERE).
    static func addedWithFacets(_ row: String) -> String {
        """
        INSERT INTO norm_usage_by_day(day, session_key, model, tokens, cost, rows, \(facets.map(\.column).joined(separator: ", ")))
        SELECT coalesce(substr(\(row).created_at, 1, 10), ''), \(row).session_key, coalesce(\(row).model, ''), \(row).total_tokens,
               coalesce(\(row).cost, \(row).estimated_cost, 0), 1, \(facets.map { facet($0, of: "s") }.joined(separator: ", "))
        FROM (SELECT 1) AS one LEFT JOIN norm_sessions s ON s.session_key = \(row).session_key WHERE true
        ON CONFLICT (day, session_key, model) DO UPDATE SET tokens = norm_usage_by_day.tokens + excluded.tokens,
          cost = norm_usage_by_day.cost + excluded.cost, rows = norm_usage_by_day.rows + 1
        """
    }

    /// The facet columns set from session row `session` (`s`, `new`, `NEW`), as an assignment list.
    static func copiedFacets(_ session: String) -> String {
        facets.map { "\($0.column) = \(facet($0, of: session))" }.joined(separator: ", ")
    }

    /// SQLite: the triggers that keep the daily sums and their sessions' facets, each firing only
    /// when `condition` holds as well (nil: always).
    static func sqliteTriggers(when condition: String?) -> [(name: String, sql: String)] {
        let watched = facets.map(\.session)
        let changed = watched.map { "old.\($0) IS NOT new.\($0)" }.joined(separator: " OR ")
        let add = addedWithFacets
        let onto = "UPDATE norm_usage_by_day SET \(copiedFacets("new")) WHERE session_key = new.session_key"
        let when = condition.map { " WHEN \($0)" } ?? ""
        return [
            ("norm_usage_by_day_insert", "AFTER INSERT ON norm_usage\(when) BEGIN \(add("new")); END"),
            ("norm_usage_by_day_delete", "AFTER DELETE ON norm_usage\(when) BEGIN \(remove("old")); END"),
            ("norm_usage_by_day_update", "AFTER UPDATE ON norm_usage\(when) BEGIN \(remove("old")); \(add("new")); END"),
            ("norm_usage_by_day_session_insert", "AFTER INSERT ON norm_sessions\(when) BEGIN \(onto); END"),
            ("norm_usage_by_day_session_update", """
                AFTER UPDATE OF \(watched.joined(separator: ", ")) ON norm_sessions
                WHEN \(condition.map { "\($0) AND (\(changed))" } ?? changed) BEGIN \(onto); END
                """),
        ].map { name, body in (name, "CREATE TRIGGER \(name) \(body)") }
    }

    /// SQLite, migration 31: the daily sums stand still while a whole reparse runs (with the
    /// search index and the session totals, `norm_search_state.live`), and are summed again in
    /// one pass when it ends (``rebuild``): kept row by row, they cost about 2% of a reparse.
    static let pausedDuringReparse: [String] = {
        let triggers = sqliteTriggers(when: FullTextSearch.isLive)
        return triggers.map { "DROP TRIGGER \($0.name)" } + triggers.map(\.sql)
    }()

    /// SQLite: every day's sums made again from the usage rows and their sessions.
    package static let rebuild = [
        "DELETE FROM norm_usage_by_day",
        """
        INSERT INTO norm_usage_by_day(day, session_key, model, tokens, cost, rows, \(facets.map(\.column).joined(separator: ", ")))
        SELECT coalesce(substr(u.created_at, 1, 10), ''), u.session_key, coalesce(u.model, ''), sum(u.total_tokens),
               sum(coalesce(u.cost, u.estimated_cost, 0)), count(*), \(facets.map { facet($0, of: "s") }.joined(separator: ", "))
        FROM norm_usage u LEFT JOIN norm_sessions s ON s.session_key = u.session_key
        GROUP BY 1, 2, 3
        """,
    ]

    /// A usage row's values taken out again (an update's old row, a deleted row).
    static func remove(_ row: String) -> String {
        """
        UPDATE norm_usage_by_day SET tokens = tokens - \(row).total_tokens, cost = cost - coalesce(\(row).cost, \(row).estimated_cost, 0),
          rows = rows - 1
        WHERE day = coalesce(substr(\(row).created_at, 1, 10), '') AND session_key = \(row).session_key AND model = coalesce(\(row).model, '')
        """
    }

    package static func schema(_ dialect: SQLDialect) -> [String] {
        let real = dialect == .sqlite ? "REAL" : "DOUBLE PRECISION"
        let int = dialect == .sqlite ? "INTEGER" : "BIGINT"
        let table = """
            CREATE TABLE norm_usage_by_day (
                day TEXT NOT NULL, session_key TEXT NOT NULL, model TEXT NOT NULL, tokens \(int) NOT NULL, cost \(real) NOT NULL,
                rows \(int) NOT NULL, PRIMARY KEY (day, session_key, model))
            """
        func add(_ row: String) -> String {
            """
            INSERT INTO norm_usage_by_day(day, session_key, model, tokens, cost, rows)
            VALUES (coalesce(substr(\(row).created_at, 1, 10), ''), \(row).session_key, coalesce(\(row).model, ''), \(row).total_tokens,
                    coalesce(\(row).cost, \(row).estimated_cost, 0), 1)
            ON CONFLICT (day, session_key, model) DO UPDATE SET tokens = norm_usage_by_day.tokens + excluded.tokens,
              cost = norm_usage_by_day.cost + excluded.cost, rows = norm_usage_by_day.rows + 1
            """
        }
        let fill = """
            INSERT INTO norm_usage_by_day(day, session_key, model, tokens, cost, rows)
            SELECT coalesce(substr(created_at, 1, 10), ''), session_key, coalesce(model, ''), sum(total_tokens),
                   sum(coalesce(cost, estimated_cost, 0)), count(*)
            FROM norm_usage GROUP BY 1, 2, 3
            """
        switch dialect {
        case .sqlite:
            return [
                table, fill,
                "CREATE TRIGGER norm_usage_by_day_insert AFTER INSERT ON norm_usage BEGIN \(add("new")); END",
                "CREATE TRIGGER norm_usage_by_day_delete AFTER DELETE ON norm_usage BEGIN \(remove("old")); END",
                "CREATE TRIGGER norm_usage_by_day_update AFTER UPDATE ON norm_usage BEGIN \(remove("old")); \(add("new")); END",
            ]
        case .postgres:
            return [
                table, fill,
                "CREATE " + applyFunction(add),
                """
                CREATE TRIGGER norm_usage_by_day_apply AFTER INSERT OR UPDATE OR DELETE ON norm_usage
                FOR EACH ROW EXECUTE FUNCTION norm_usage_by_day_apply()
                """,
            ]
        }
    }
}
