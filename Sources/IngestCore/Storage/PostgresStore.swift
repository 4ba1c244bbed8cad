import Foundation
import Logging
import PostgresNIO

/// The fleet store: PostgreSQL through PostgresNIO's connection pool. Several `sensor-ingest`
/// processes can share one database: inserts are `ON CONFLICT (id) DO NOTHING`, and
/// migrations run under an advisory lock.
public final class PostgresStore: IngestStore {
    let client: PostgresClient
    let runner: Task<Void, Never>
    let logger: Logger

    static let migrations: [String] = [
        """
        CREATE TABLE raw_envelopes (
            id TEXT PRIMARY KEY,
            source TEXT NOT NULL,
            kind TEXT NOT NULL,
            device TEXT NOT NULL,
            token_id BIGINT NOT NULL,
            batch_id TEXT NOT NULL,
            received_at TIMESTAMPTZ NOT NULL DEFAULT now(),
            envelope TEXT NOT NULL
        );
        CREATE INDEX raw_envelopes_source ON raw_envelopes(source, kind);
        CREATE TABLE tokens (
            id BIGSERIAL PRIMARY KEY,
            name TEXT NOT NULL,
            hash TEXT NOT NULL UNIQUE,
            created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
            revoked_at TIMESTAMPTZ
        );
        """,
    ]

    /// Connects to `postgres://user:password@host:port/database` and migrates.
    public static func connect(url: String, logger: Logger = Logger(label: "sensor-ingest.postgres")) async throws -> PostgresStore {
        guard let components = URLComponents(string: url), let host = components.host else {
            throw StoreError("not a PostgreSQL URL: \(url)")
        }
        let database = components.path.hasPrefix("/") ? String(components.path.dropFirst()) : components.path
        let configuration = PostgresClient.Configuration(
            host: host, port: components.port ?? 5432, username: components.user ?? "postgres",
            password: components.password, database: database.isEmpty ? nil : database, tls: .disable)
        let store = PostgresStore(client: PostgresClient(configuration: configuration), logger: logger)
        try await store.migrate()
        return store
    }

    /// Creates a new, empty database next to the one `url` names and returns its URL (tests).
    public static func createDatabase(near url: String, name: String) async throws -> String {
        guard var components = URLComponents(string: url), let host = components.host else {
            throw StoreError("not a PostgreSQL URL: \(url)")
        }
        let configuration = PostgresClient.Configuration(
            host: host, port: components.port ?? 5432, username: components.user ?? "postgres",
            password: components.password, database: String(components.path.dropFirst()), tls: .disable)
        let client = PostgresClient(configuration: configuration)
        let runner = Task { await client.run() }
        defer { runner.cancel() }
        try await client.query(PostgresQuery(unsafeSQL: "CREATE DATABASE \"\(name)\""))
        components.path = "/" + name
        return components.string ?? url
    }

    init(client: PostgresClient, logger: Logger) {
        self.client = client
        self.logger = logger
        runner = Task { await client.run() }
    }

    public func migrate() async throws {
        try await client.withTransaction(logger: logger) { connection in
            // One process migrates at a time; the others wait, then find nothing to do.
            try await connection.query("SELECT pg_advisory_xact_lock(7414212)", logger: logger)
            try await connection.query(
                "CREATE TABLE IF NOT EXISTS schema_migrations (version INT PRIMARY KEY, applied_at TIMESTAMPTZ NOT NULL DEFAULT now())",
                logger: logger)
            var applied = 0
            for try await version in try await connection.query("SELECT coalesce(max(version), 0) FROM schema_migrations",
                                                                logger: logger).decode(Int.self) {
                applied = version
            }
            for (index, sql) in Self.migrations.enumerated() where index + 1 > applied {
                for statement in sql.split(separator: ";") where !statement.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty {
                    try await connection.query(PostgresQuery(unsafeSQL: String(statement)), logger: logger)
                }
                let version = index + 1
                try await connection.query("INSERT INTO schema_migrations(version) VALUES (\(version))", logger: logger)
            }
        }
    }

    public func insert(_ envelopes: [ReceivedEnvelope], tokenID: Int64, batchID: String) async throws -> (accepted: Int, duplicates: Int) {
        guard !envelopes.isEmpty else { return (0, 0) }
        let ids = envelopes.map(\.id)
        let sources = envelopes.map(\.source)
        let kinds = envelopes.map(\.kind)
        let devices = envelopes.map(\.device)
        let bodies = envelopes.map { String(decoding: $0.bytes, as: UTF8.self) }
        let rows = try await client.query("""
            INSERT INTO raw_envelopes(id, source, kind, device, token_id, batch_id, envelope)
            SELECT id, source, kind, device, \(tokenID), \(batchID), envelope
            FROM unnest(\(ids)::text[], \(sources)::text[], \(kinds)::text[], \(devices)::text[], \(bodies)::text[])
                AS batch(id, source, kind, device, envelope)
            ON CONFLICT (id) DO NOTHING RETURNING id
            """, logger: logger)
        var accepted = 0
        for try await _ in rows { accepted += 1 }
        return (accepted, envelopes.count - accepted)
    }

    public func tokenID(forHash hash: String) async throws -> Int64? {
        for try await id in try await client.query("SELECT id FROM tokens WHERE hash = \(hash) AND revoked_at IS NULL",
                                                   logger: logger).decode(Int64.self) {
            return id
        }
        return nil
    }

    public func createToken(name: String, hash: String) async throws -> Int64 {
        for try await id in try await client.query("INSERT INTO tokens(name, hash) VALUES (\(name), \(hash)) RETURNING id",
                                                   logger: logger).decode(Int64.self) {
            return id
        }
        throw StoreError("token not created")
    }

    public func listTokens() async throws -> [TokenRecord] {
        var tokens: [TokenRecord] = []
        let rows = try await client.query("""
            SELECT id, name, to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'),
                   to_char(revoked_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"')
            FROM tokens ORDER BY id
            """, logger: logger)
        for try await (id, name, created, revoked) in rows.decode((Int64, String, String, String?).self) {
            tokens.append(TokenRecord(id: id, name: name, createdAt: created, revokedAt: revoked))
        }
        return tokens
    }

    public func revokeToken(_ nameOrID: String) async throws -> Int {
        var count = 0
        for try await _ in try await client.query("""
            UPDATE tokens SET revoked_at = now() WHERE revoked_at IS NULL AND (name = \(nameOrID) OR id::text = \(nameOrID))
            RETURNING id
            """, logger: logger) { count += 1 }
        return count
    }

    public func counts() async throws -> [SourceCount] {
        var counts: [SourceCount] = []
        let rows = try await client.query("""
            SELECT source, kind, count(*)::bigint, coalesce(sum(length(envelope)), 0)::bigint
            FROM raw_envelopes GROUP BY source, kind ORDER BY source, kind
            """, logger: logger)
        for try await (source, kind, envelopes, bytes) in rows.decode((String, String, Int64, Int64).self) {
            counts.append(SourceCount(source: source, kind: kind, envelopes: Int(envelopes), bytes: bytes))
        }
        return counts
    }

    public func envelopes() async throws -> [[UInt8]] {
        var result: [[UInt8]] = []
        for try await text in try await client.query("SELECT envelope FROM raw_envelopes ORDER BY id COLLATE \"C\"",
                                                     logger: logger).decode(String.self) {
            result.append(Array(text.utf8))
        }
        return result
    }

    public func close() async {
        runner.cancel()
    }
}

public struct StoreError: Error, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}
