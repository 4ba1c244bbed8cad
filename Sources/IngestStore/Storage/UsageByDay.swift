/// Tokens and cost summed per day, session and model, kept by triggers on `norm_usage` as rows
/// are inserted, updated (a larger snapshot, a new estimate) and deleted (a reparse), in the
/// same transaction. The overview's window is a read of this table instead of a pass over every
/// usage row (a million-message store: 30 days in 0.5 s, 90 days in 1.5 s before; see the
/// README). A row without a time of its own is kept under day `''`.
package enum UsageByDay {
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
        func remove(_ row: String) -> String {
            """
            UPDATE norm_usage_by_day SET tokens = tokens - \(row).total_tokens, cost = cost - coalesce(\(row).cost, \(row).estimated_cost, 0),
              rows = rows - 1
            WHERE day = coalesce(substr(\(row).created_at, 1, 10), '') AND session_key = \(row).session_key AND model = coalesce(\(row).model, '')
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
                """
                CREATE FUNCTION norm_usage_by_day_apply() RETURNS trigger LANGUAGE plpgsql AS $body$
                BEGIN
                  IF TG_OP IN ('UPDATE', 'DELETE') THEN \(remove("OLD")); END IF;
                  IF TG_OP IN ('UPDATE', 'INSERT') THEN \(add("NEW")); END IF;
                  RETURN NULL;
                END
                $body$
                """,
                """
                CREATE TRIGGER norm_usage_by_day_apply AFTER INSERT OR UPDATE OR DELETE ON norm_usage
                FOR EACH ROW EXECUTE FUNCTION norm_usage_by_day_apply()
                """,
            ]
        }
    }
}
