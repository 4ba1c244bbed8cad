/// Secrets the sensors redacted, by record and rule: a row per rule of every stored envelope
/// whose flags say its record lost something (never a value; the rule's name and how many).
/// Written with the raw envelope, in its transaction, only when the envelope is new, so a
/// batch sent twice counts once. The read API and the explorer sum it by rule, device and day.
package enum RawRedactions {
    package static func schema(_ dialect: SQLDialect) -> [String] {
        let int = dialect == .sqlite ? "INTEGER" : "BIGINT"
        return [
            """
            CREATE TABLE raw_redactions (
                tenant_id \(int) NOT NULL, record_id TEXT NOT NULL, rule TEXT NOT NULL, device TEXT NOT NULL, path TEXT,
                day TEXT NOT NULL, count \(int) NOT NULL, PRIMARY KEY (tenant_id, record_id, rule))
            """,
            "CREATE INDEX raw_redactions_device_day ON raw_redactions(tenant_id, device, day)",
        ]
    }

    /// One row (SQLite's placeholders).
    static let insertSQLite = """
        INSERT INTO raw_redactions(tenant_id, record_id, rule, device, path, day, count) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
        ON CONFLICT(tenant_id, record_id, rule) DO NOTHING
        """
}
