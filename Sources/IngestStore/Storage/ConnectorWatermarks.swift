import SQLiteDB

/// How far each connector has read, per tenant (epoch milliseconds); and which sessions each
/// exporter has sent (`exported_sessions`).
public enum ConnectorWatermarks {
    package static func schema(_ dialect: SQLDialect) -> [String] {
        let int = dialect == .sqlite ? "INTEGER" : "BIGINT"
        return [
            "CREATE TABLE connector_watermarks (name TEXT NOT NULL, tenant_id \(int) NOT NULL, watermark \(int) NOT NULL, updated_at TEXT NOT NULL, PRIMARY KEY (name, tenant_id))",
            // What an exporter sent of each session: the session's last activity then (sent again when it grows).
            "CREATE TABLE exported_sessions (exporter TEXT NOT NULL, session_key TEXT NOT NULL, activity TEXT NOT NULL, PRIMARY KEY (exporter, session_key))",
        ]
    }

    public static func get(_ name: String, tenant: Int64, in store: any NormalizedStore) async throws -> Int64? {
        try await store.query(SQLStatement("SELECT watermark FROM connector_watermarks WHERE name = $1 AND tenant_id = $2",
                                           [.text(name), .integer(tenant)])).first?.first?.int
    }

    public static func set(_ name: String, tenant: Int64, to watermark: Int64, in store: any NormalizedStore) async throws {
        try await store.execute([SQLStatement("""
            INSERT INTO connector_watermarks(name, tenant_id, watermark, updated_at) VALUES ($1, $2, $3, $4)
            ON CONFLICT (name, tenant_id) DO UPDATE SET watermark = excluded.watermark, updated_at = excluded.updated_at
            """, [.text(name), .integer(tenant), .integer(watermark), .text(DeviceDirectory.timestamp())])])
    }
}
