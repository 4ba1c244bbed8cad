import Foundation
import SQLiteDB

/// One read of someone's conversation: who read it, in which role, whose session, when, from where.
public struct AccessEntry: Codable, Sendable, Equatable {
    public var at: String
    /// The reader: a token's name, or the person a sign-in stands for.
    public var reader: String
    public var role: String
    public var session: String
    /// The email of the person whose session it is (nil when its device has no person).
    public var owner: String?
    /// `session` (a conversation, by page or API), `raw` (its raw envelopes).
    public var what: String
    public var from: String
}

/// The access log: every read of a conversation appended, never changed or deleted (both stores
/// refuse an UPDATE or DELETE on it). A person reads who looked at their sessions; an admin
/// exports it.
package enum AccessLog {
    package static func schema(_ dialect: SQLDialect) -> [String] {
        let int = dialect == .sqlite ? "INTEGER" : "BIGINT"
        let id = dialect == .sqlite ? "INTEGER PRIMARY KEY AUTOINCREMENT" : "BIGSERIAL PRIMARY KEY"
        let table = """
            CREATE TABLE access_log (
                id \(id), tenant_id \(int) NOT NULL, at TEXT NOT NULL, reader TEXT NOT NULL, role TEXT NOT NULL,
                session_key TEXT NOT NULL, owner_id TEXT, owner TEXT, what TEXT NOT NULL, source TEXT NOT NULL)
            """
        let index = "CREATE INDEX access_log_owner ON access_log(tenant_id, owner_id, at)"
        switch dialect {
        case .sqlite:
            return [table, index] + ["UPDATE", "DELETE"].map { verb in
                "CREATE TRIGGER access_log_no_\(verb.lowercased()) BEFORE \(verb) ON access_log BEGIN SELECT RAISE(ABORT, 'the access log is append-only'); END"
            }
        case .postgres:
            return [table, index,
                    """
                    CREATE FUNCTION access_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
                    BEGIN RAISE EXCEPTION 'the access log is append-only'; END $$
                    """,
                    "CREATE TRIGGER access_log_no_change BEFORE UPDATE OR DELETE ON access_log FOR EACH ROW EXECUTE FUNCTION access_log_append_only()",
                    "CREATE TRIGGER access_log_no_truncate BEFORE TRUNCATE ON access_log FOR EACH STATEMENT EXECUTE FUNCTION access_log_append_only()"]
        }
    }

    /// Appends one read of the session `key`.
    package static func record(session key: String, what: String, reader: String, role: String, from address: String,
                               in store: any NormalizedStore) async throws {
        try await store.execute([SQLStatement("""
            INSERT INTO access_log(tenant_id, at, reader, role, session_key, owner_id, owner, what, source)
            SELECT s.tenant_id, $2, $3, $4, s.session_key, p.id, p.email, $5, $6 FROM norm_sessions s
            LEFT JOIN device_people dp ON dp.tenant_id = s.tenant_id AND dp.device = s.device LEFT JOIN people p ON p.id = dp.person_id
            WHERE s.session_key = $1
            """, [.text(key), .text(DeviceDirectory.timestamp()), .text(String(reader.prefix(200))), .text(role), .text(what),
                  .text(String(address.prefix(100)))])])
    }

    /// The reads of one person's sessions (`owner`, an id), newest first.
    package static func entries(tenant: Int64?, owner: String, limit: Int = 1000, in store: any NormalizedStore) async throws -> [AccessEntry] {
        guard !owner.isEmpty else { return [] }
        return try await entries(SQLStatement("""
            SELECT at, reader, role, session_key, owner, what, source FROM access_log
            WHERE ($1 < 0 OR tenant_id = $1) AND owner_id = $2 ORDER BY id DESC LIMIT \(max(1, min(limit, 100_000)))
            """, [.integer(tenant ?? -1), .text(owner)]), in: store)
    }

    /// Every read of a tenant's sessions (nil: every tenant's), newest first: for an admin.
    package static func entries(tenant: Int64?, limit: Int = 1000, in store: any NormalizedStore) async throws -> [AccessEntry] {
        try await entries(SQLStatement("""
            SELECT at, reader, role, session_key, owner, what, source FROM access_log
            WHERE ($1 < 0 OR tenant_id = $1) ORDER BY id DESC LIMIT \(max(1, min(limit, 100_000)))
            """, [.integer(tenant ?? -1)]), in: store)
    }

    private static func entries(_ statement: SQLStatement, in store: any NormalizedStore) async throws -> [AccessEntry] {
        try await store.query(statement).map { row in
            AccessEntry(at: row[0].text ?? "", reader: row[1].text ?? "", role: row[2].text ?? "", session: row[3].text ?? "",
                        owner: row[4].text, what: row[5].text ?? "", from: row[6].text ?? "")
        }
    }
}
