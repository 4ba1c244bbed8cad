import NIOCore
import PostgresNIO
import SQLiteDB

extension PostgresStore {
    /// Inserts hold this advisory lock shared; the normaliser takes it alone for a moment to
    /// learn a sequence number below which every insert has committed.
    static let arrivalLock: Int64 = 7_414_212_506

    public func query(_ statement: SQLStatement) async throws -> [[SQLiteValue]] {
        try await Self.values(client.query(Self.query(statement), logger: logger))
    }

    public func execute(_ statements: [SQLStatement]) async throws {
        try await client.withTransaction(logger: logger) { connection in
            for statement in statements.flatMap(Self.expanded) { try await connection.query(Self.query(statement), logger: self.logger) }
        }
    }

    public func empty(_ tables: [String], after statements: [SQLStatement]) async throws {
        try await execute(statements + KeptSessions.emptying(tables))
    }

    public func applyNormalized(_ statements: [SQLStatement], lane: Int, expected: Int64, next: Int64) async throws -> Bool {
        try await client.withTransaction(logger: logger) { connection in
            let moved = try await Self.values(connection.query(
                "UPDATE norm_progress SET last_seq = \(next) WHERE id = \(lane) AND last_seq = \(expected) RETURNING id", logger: self.logger))
            guard moved.count == 1 else { return false }
            for statement in statements.flatMap(Self.expanded) { try await connection.query(Self.query(statement), logger: self.logger) }
            return true
        }
    }

    /// Each step is a transaction on a connection of the pool, committed on its own: a pool
    /// connection held between steps would serve the server's other work meanwhile.
    public func commitNormalizedSteps(atMostEvery interval: Duration) async throws {}

    /// Sequence numbers are drawn when an insert runs, not when it commits: a higher one can
    /// commit first. Taking the arrival lock alone waits out the inserts in flight, so every
    /// number up to the largest seen then is final.
    public func rawEnvelopes(afterSeq seq: Int64, lane: Int?, source: String?, limit: Int, maxBytes: Int) async throws -> [RawEnvelope] {
        // A lane of -1 is no lane: every lane's envelopes.
        let lane = lane ?? -1
        // Nothing committed past `seq`: no need to hold inserts up (the idle tick lands here).
        guard try await !Self.values(client.query(
            "SELECT 1 FROM raw_envelopes WHERE seq > \(seq) AND (lane = \(lane) OR \(lane) = -1) LIMIT 1", logger: logger)).isEmpty
        else { return [] }
        let horizon = try await client.withTransaction(logger: logger) { connection in
            try await connection.query("SELECT pg_advisory_xact_lock(\(Self.arrivalLock))", logger: self.logger)
            return try await Self.values(connection.query("SELECT coalesce(max(seq), 0) FROM raw_envelopes", logger: self.logger))
                .first?.first?.int ?? 0
        }
        let rows: PostgresRowSequence
        if let source {
            rows = try await client.query("""
                SELECT seq, \(unescaped: RawCustody.column(.postgres)), tenant_id, lane FROM raw_envelopes
                WHERE seq > \(seq) AND seq <= \(horizon) AND source = \(source) AND (lane = \(lane) OR \(lane) = -1)
                ORDER BY seq LIMIT \(limit)
                """, logger: logger)
        } else {
            rows = try await client.query("""
                SELECT seq, \(unescaped: RawCustody.column(.postgres)), tenant_id, lane FROM raw_envelopes
                WHERE seq > \(seq) AND seq <= \(horizon) AND (lane = \(lane) OR \(lane) = -1) ORDER BY seq LIMIT \(limit)
                """, logger: logger)
        }
        var envelopes: [RawEnvelope] = []
        var bytes = 0
        let decompressor = Zstd.Decompressor()
        for try await (seq, stored, tenant, lane) in rows.decode((Int64, ByteBuffer, Int64, Int32).self) {
            let json = try await envelopeText(.blob(Array(buffer: stored)), with: decompressor)
            envelopes.append(RawEnvelope(seq: seq, tenant: tenant, json: json, lane: Int(lane)))
            bytes += json.utf8.count
            if bytes >= maxBytes { break }  // the rest of the rows are discarded, not held
        }
        return envelopes
    }

    /// Rows to upsert as multi-row statements; any other statement as it is.
    package static func expanded(_ statement: SQLStatement) -> [SQLStatement] {
        statement.rows?.multiRowStatements ?? [statement]
    }

    package static func query(_ statement: SQLStatement) -> PostgresQuery {
        var bindings = PostgresBindings(capacity: statement.values.count)
        for value in statement.values {
            switch value {
            case .null: bindings.appendNull()
            case .integer(let value): bindings.append(value)
            case .real(let value): bindings.append(value)
            case .text(let value): bindings.append(value)
            case .blob(let bytes): bindings.append(ByteBuffer(bytes: bytes))
            }
        }
        return PostgresQuery(unsafeSQL: statement.sql, binds: bindings)
    }

    package static func values(_ rows: PostgresRowSequence) async throws -> [[SQLiteValue]] {
        var result: [[SQLiteValue]] = []
        for try await row in rows {
            var values: [SQLiteValue] = []
            for cell in row {
                guard cell.bytes != nil else {
                    values.append(.null)
                    continue
                }
                switch cell.dataType {
                case .int2, .int4, .int8: values.append(.integer(try cell.decode(Int64.self)))
                case .float4, .float8: values.append(.real(try cell.decode(Double.self)))
                case .numeric: values.append(.real(Double(try cell.decode(String.self)) ?? 0))
                case .bytea: values.append(.blob(Array(buffer: try cell.decode(ByteBuffer.self))))
                default: values.append(.text(try cell.decode(String.self)))
                }
            }
            result.append(values)
        }
        return result
    }

    /// Drops the month of raw custody `table` (see ``RawPartitions``) unless a row of it meets
    /// `kept` (a condition on alias `r`), in one transaction that first locks the month against
    /// writes, so that what is counted is what goes. Returns the envelopes dropped per tenant, or
    /// nil when the month stays. Waits at most two seconds for a lock (a long query on raw custody
    /// holds the drop up, not the ingest queued behind it); the next pass tries again.
    package func dropRawMonth(_ table: String, unless kept: String) async throws -> [Int64: Int]? {
        try await client.withTransaction(logger: logger) { connection in
            try await connection.query("SET LOCAL lock_timeout = '2s'", logger: self.logger)
            try await connection.query(PostgresQuery(unsafeSQL: "LOCK TABLE \(table) IN SHARE MODE"), logger: self.logger)
            let held = try await Self.values(connection.query(PostgresQuery(unsafeSQL: "SELECT 1 FROM \(table) r WHERE \(kept) LIMIT 1"),
                                                              logger: self.logger))
            guard held.isEmpty else { return nil }
            var counts: [Int64: Int] = [:]
            let rows = try await connection.query(PostgresQuery(unsafeSQL: "SELECT tenant_id, count(*) FROM \(table) GROUP BY tenant_id"),
                                                  logger: self.logger)
            for try await (tenant, count) in rows.decode((Int64, Int64).self) { counts[tenant] = Int(count) }
            try await connection.query(PostgresQuery(unsafeSQL: "DROP TABLE \(table)"), logger: self.logger)
            return counts
        }
    }
}
