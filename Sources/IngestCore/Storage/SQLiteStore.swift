import Foundation
import SQLiteDB

/// The default store: one SQLite file in WAL mode, one writer connection behind an actor.
public actor SQLiteStore: IngestStore {
    let database: Database

    /// Versioned migrations; append only.
    static let migrations: [String] = [
        """
        CREATE TABLE raw_envelopes (
            id TEXT PRIMARY KEY,
            source TEXT NOT NULL,
            kind TEXT NOT NULL,
            device TEXT NOT NULL,
            token_id INTEGER NOT NULL,
            batch_id TEXT NOT NULL,
            received_at TEXT NOT NULL,
            envelope TEXT NOT NULL
        ) WITHOUT ROWID;
        CREATE INDEX raw_envelopes_source ON raw_envelopes(source, kind);
        CREATE TABLE tokens (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            name TEXT NOT NULL,
            hash TEXT NOT NULL UNIQUE,
            created_at TEXT NOT NULL,
            revoked_at TEXT
        );
        """,
    ]

    public init(path: String) throws {
        if let directory = URL(fileURLWithPath: path).deletingLastPathComponent().path.nilIfEmpty {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        }
        database = try Database(path: path, mode: .readWriteCreate, busyTimeoutMilliseconds: 10_000)
        try database.execute("PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON")
    }

    public func migrate() throws {
        try database.execute("CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL)")
        try database.transaction("IMMEDIATE") {
            let statement = try database.prepare("SELECT coalesce(max(version), 0) FROM schema_migrations")
            _ = try statement.step()
            let applied = Int(statement.int64(at: 0))
            for (index, sql) in Self.migrations.enumerated() where index + 1 > applied {
                try database.execute(sql)
                try database.prepare("INSERT INTO schema_migrations(version, applied_at) VALUES (?1, ?2)")
                    .run(.integer(Int64(index + 1)), .text(timestampNow()))
            }
        }
    }

    public func insert(_ envelopes: [ReceivedEnvelope], tokenID: Int64, batchID: String) throws -> (accepted: Int, duplicates: Int) {
        let receivedAt = timestampNow()
        return try database.transaction("IMMEDIATE") {
            let statement = try database.prepare("""
                INSERT INTO raw_envelopes(id, source, kind, device, token_id, batch_id, received_at, envelope)
                VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8) ON CONFLICT(id) DO NOTHING
                """)
            var accepted = 0
            for envelope in envelopes {
                try statement.run(.text(envelope.id), .text(envelope.source), .text(envelope.kind), .text(envelope.device),
                                  .integer(tokenID), .text(batchID), .text(receivedAt),
                                  .text(String(decoding: envelope.bytes, as: UTF8.self)))
                accepted += database.changes
            }
            return (accepted, envelopes.count - accepted)
        }
    }

    public func tokenID(forHash hash: String) throws -> Int64? {
        let statement = try database.prepare("SELECT id FROM tokens WHERE hash = ?1 AND revoked_at IS NULL")
        try statement.bind(.text(hash), at: 1)
        return try statement.step() ? statement.int64(at: 0) : nil
    }

    public func createToken(name: String, hash: String) throws -> Int64 {
        try database.prepare("INSERT INTO tokens(name, hash, created_at) VALUES (?1, ?2, ?3)")
            .run(.text(name), .text(hash), .text(timestampNow()))
        return database.lastInsertRowID
    }

    public func listTokens() throws -> [TokenRecord] {
        let statement = try database.prepare("SELECT id, name, created_at, revoked_at FROM tokens ORDER BY id")
        var tokens: [TokenRecord] = []
        while try statement.step() {
            tokens.append(TokenRecord(id: statement.int64(at: 0), name: statement.string(at: 1) ?? "",
                                      createdAt: statement.string(at: 2) ?? "", revokedAt: statement.string(at: 3)))
        }
        return tokens
    }

    public func revokeToken(_ nameOrID: String) throws -> Int {
        try database.prepare("UPDATE tokens SET revoked_at = ?1 WHERE revoked_at IS NULL AND (name = ?2 OR CAST(id AS TEXT) = ?2)")
            .run(.text(timestampNow()), .text(nameOrID))
        return database.changes
    }

    public func counts() throws -> [SourceCount] {
        let statement = try database.prepare("""
            SELECT source, kind, count(*), sum(length(envelope)) FROM raw_envelopes GROUP BY source, kind ORDER BY source, kind
            """)
        var counts: [SourceCount] = []
        while try statement.step() {
            counts.append(SourceCount(source: statement.string(at: 0) ?? "", kind: statement.string(at: 1) ?? "",
                                      envelopes: Int(statement.int64(at: 2)), bytes: statement.int64(at: 3)))
        }
        return counts
    }

    public func envelopes() throws -> [[UInt8]] {
        let statement = try database.prepare("SELECT envelope FROM raw_envelopes ORDER BY id")
        var rows: [[UInt8]] = []
        while try statement.step() { rows.append(statement.withBytes(at: 0) { Array($0) }) }
        return rows
    }

    public func close() {}
}

extension String {
    var nilIfEmpty: String? { isEmpty ? nil : self }
}
