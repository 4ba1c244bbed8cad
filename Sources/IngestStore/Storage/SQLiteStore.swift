import Foundation
import SQLiteDB
import ServiceLifecycle

/// The default store: one SQLite file in WAL mode and one connection, the only writer.
///
/// The actor runs on a thread of its own (``DedicatedThreadExecutor``): SQLite's calls block,
/// and must not hold up Swift's cooperative threads, which serve the HTTP requests meanwhile.
public actor SQLiteStore: IngestStore {
    public nonisolated let path: String
    public nonisolated var dialect: SQLDialect { .sqlite }
    package let database: Database
    private let executor: DedicatedThreadExecutor
    private let timestamps = ISO8601DateFormatter()
    private var insertStatement: Statement?
    private var redactionStatement: Statement?
    /// Statements run again and again (a table's row upsert), prepared once, by their SQL.
    private var preparedStatements: [String: Statement] = [:]
    public nonisolated let custody = RawCustody()
    /// How far apart the normaliser's steps are committed (zero: each on its own), and since
    /// when the uncommitted ones are held: see ``commitNormalizedSteps(atMostEvery:)``.
    package var stepCommitInterval: Duration = .zero
    var stepsHeldSince: ContinuousClock.Instant?

    public nonisolated var unownedExecutor: UnownedSerialExecutor { executor.asUnownedSerialExecutor() }

    /// Opens (creating when missing) the database at `path`. Call ``migrate()`` before use.
    public init(path: String) throws {
        let directory = URL(fileURLWithPath: path).deletingLastPathComponent().path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        self.path = path
        database = try Database(path: path, mode: .readWriteCreate, busyTimeoutMilliseconds: 10_000)
        // Envelope ids are random, so every insert dirties a different page of the id index:
        // a 64 MiB WAL between checkpoints writes a page rewritten by many batches once, and a
        // 64 MiB page cache keeps the index from being re-read (measured: 35k → 50k envelopes/s
        // at 500k envelopes, reads 6.3 → 1.4 GB).
        try database.execute("""
            PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;
            PRAGMA wal_autocheckpoint=16384; PRAGMA cache_size=-65536
            """)
        // Prompts and tool output are in here: only the server's own user may read it (the WAL and
        // shared-memory files SQLite makes take the same mode).
        chmod(path, 0o600)
        try PackedText.define(on: database, custody: custody)
        executor = DedicatedThreadExecutor(label: "sensor-ingest.sqlite")
        timestamps.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
    }

    /// Keeps the store open until the service group shuts down (the file closes with the store).
    public nonisolated func run() async throws {
        try await gracefulShutdown()
    }

    public func migrate() throws {
        try commitHeldSteps()
        // IMMEDIATE: the write lock first, so two processes starting at once take turns.
        try database.transaction("IMMEDIATE") {
            try database.execute(
                "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL)")
            let current = try database.prepare("SELECT coalesce(max(version), 0) FROM schema_migrations")
            _ = try current.step()
            let applied = current.int64(at: 0)
            // Done with it: an active statement would keep a migration from dropping a table.
            try current.reset()
            for migration in Migrations.sqlite where migration.version > applied {
                for statement in migration.statements { try database.execute(statement) }
                try database.prepare("INSERT INTO schema_migrations(version, applied_at) VALUES (?1, ?2)")
                    .run(.integer(Int64(migration.version)), .text(now()))
            }
        }
        try loadDictionaries()
    }

    /// The statement for `sql`, prepared the first time it is asked for.
    func preparedStatement(_ sql: String) throws -> Statement {
        if let prepared = preparedStatements[sql] { return prepared }
        let prepared = try database.prepare(sql)
        preparedStatements[sql] = prepared
        return prepared
    }

    public func appliedMigrations() throws -> [Int] {
        let statement = try database.prepare("SELECT version FROM schema_migrations ORDER BY version")
        var versions: [Int] = []
        while try statement.step() { versions.append(Int(statement.int64(at: 0))) }
        return versions
    }

    public func insert(_ envelopes: [ValidEnvelope], from origin: BatchOrigin) throws -> InsertOutcome {
        try commitHeldSteps()
        guard !envelopes.isEmpty else { return InsertOutcome(accepted: 0, duplicates: 0) }
        let statement = try insertStatement ?? database.prepare("""
            INSERT INTO raw_envelope_rows(id, stream, token_id, received_at, envelope, tenant_id, envelope_bytes, batch_ref, path_ref)
            VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9) ON CONFLICT(tenant_id, id) DO NOTHING
            """)
        insertStatement = statement
        let redactions = try redactionStatement ?? database.prepare(RawRedactions.insertSQLite)
        redactionStatement = redactions
        let receivedAt = now()
        var packed = custody.pack(envelopes, tenant: origin.tenantID)
        let accepted = try database.transaction("IMMEDIATE") {
            if try !dictionariesInUse(packed.dictionaries) {
                // Retired or deleted since this process loaded them (another process's erasure
                // or retention pass): packed again with what the store holds now.
                try loadDictionaries()
                packed = custody.pack(envelopes, tenant: origin.tenantID)
                guard try dictionariesInUse(packed.dictionaries) else { throw RawCustody.RetiredDictionary() }
            }
            var accepted = 0
            var kept: [ValidEnvelope] = []
            let strings = try RawStrings.numbers(for: envelopes, batchID: origin.batchID, tenant: origin.tenantID,
                                                 find: preparedStatement(RawStrings.find), add: preparedStatement(RawStrings.add),
                                                 in: database)
            let streams = try RawStreams.numbers(for: envelopes, tenant: origin.tenantID,
                                                 find: preparedStatement(RawStreams.find), add: preparedStatement(RawStreams.add),
                                                 in: database)
            for (envelope, stored) in zip(envelopes, packed.frames) {
                let numbers = strings[envelope.device] ?? [:]
                let stream = streams[RawStreams.Key(device: envelope.device, source: envelope.source, kind: envelope.kind)]
                try statement.run(.text(envelope.id), .optional(stream), .integer(origin.tokenID), .text(receivedAt), .blob(stored),
                                  .integer(origin.tenantID), .integer(Int64(envelope.bytes.count)),
                                  .optional(numbers[origin.batchID]), .optional(envelope.path.flatMap { numbers[$0] }))
                let inserted = database.changes
                accepted += inserted
                guard inserted > 0 else { continue }
                kept.append(envelope)
                for entry in envelope.redactions.entries {
                    try redactions.run(.integer(origin.tenantID), .text(envelope.id), .text(entry.rule), .text(envelope.device),
                                       .optional(envelope.path), .text(envelope.day), .integer(Int64(entry.count)))
                }
            }
        for arrival in DeviceDays.arrivals(kept) { try run(DeviceDays.add(arrival, tenant: origin.tenantID, now: receivedAt)) }
            if let sensor = origin.sensor { try run(DeviceDirectory.upsert(sensor, tenant: origin.tenantID, now: receivedAt)) }
            return accepted
        }
        for owner in custody.ownersWantingDictionary where owner != .normalisedText { try trainDictionary(for: owner) }
        return InsertOutcome(accepted: accepted, duplicates: envelopes.count - accepted)
    }

    /// Whether every dictionary in `ids` is still held and not retired (in the inserting
    /// transaction, so no erasure or retirement comes between the check and the rows).
    private func dictionariesInUse(_ ids: [UInt32]) throws -> Bool {
        guard !ids.isEmpty else { return true }
        let statement = try database.prepare(
            "SELECT count(*) FROM raw_dictionaries WHERE retired = 0 AND id IN (\(ids.map(String.init).joined(separator: ", ")))")
        _ = try statement.step()
        return statement.int64(at: 0) == Int64(ids.count)
    }

    /// Trains a zstd dictionary on the owner's newest values and keeps it: its values stored
    /// from now on are compressed with it (after ``RawCustody/trainAfter`` values without
    /// one). An owner's values are its device's envelopes of its source; packed text's
    /// (``PackedText``) are the newest packed messages and tool results.
    func trainDictionary(for owner: DictionaryOwner) throws {
        var samples: [String] = []
        var oldest: String?
        if owner == .normalisedText {
            for sql in PackedText.samples {
                let statement = try database.prepare(sql)
                while try statement.step() { samples.append(statement.string(at: 0) ?? "") }
            }
        } else {
            let statement = try database.prepare(RawStreams.newest)
            try statement.bind(.integer(owner.tenant), at: 1)
            try statement.bind(.text(owner.device), at: 2)
            try statement.bind(.text(owner.source), at: 3)
            try statement.bind(.integer(Int64(RawCustody.sampleCount)), at: 4)
            let decompressor = Zstd.Decompressor()
            while try statement.step() {
                samples.append(try unpack(statement, at: 0, with: decompressor))
                oldest = statement.string(at: 1)
            }
            try statement.reset()
        }
        guard let dictionary = RawCustody.train(samples) else { return custody.trainingFailed(for: owner) }
        try run(RawCustody.storeDictionary(dictionary, owner: owner, oldestSample: oldest))
        try loadDictionaries()
    }

    /// Trains the dictionary of packed text once enough values were packed without one; called
    /// after the normaliser commits (raw envelopes' are trained after the batch that makes them
    /// due). A failure (another process holding the write lock past the timeout) is not the
    /// commit's: the text is packed without a dictionary until the next try, another
    /// ``RawCustody/trainAfter`` values later.
    func trainTextDictionaryWhenDue() {
        guard custody.ownersWantingDictionary.contains(.normalisedText) else { return }
        do {
            try trainDictionary(for: .normalisedText)
        } catch {
            custody.trainingFailed(for: .normalisedText)
        }
    }

    public func loadDictionaries() throws {
        let statement = try database.prepare(RawCustody.loadDictionaries)
        var stored: [RawCustody.StoredDictionary] = []
        while try statement.step() {
            let id = statement.int64(at: 0)
            // A dictionary held already: its blob is not read (nor its overflow pages).
            let bytes = custody.holds(UInt32(truncatingIfNeeded: id)) ? nil : statement.withBytes(at: 4) { Array($0) }
            stored.append(RawCustody.stored(id: id, tenant: statement.columnType(at: 1) == .null ? nil : statement.int64(at: 1),
                                            device: statement.string(at: 2), source: statement.string(at: 3) ?? "", bytes: bytes,
                                            retired: statement.int64(at: 5) != 0))
        }
        custody.adopt(stored)
    }

    public func counts() throws -> [SourceCount] {
        let statement = try database.prepare("""
            SELECT source, kind, count(*), coalesce(sum(coalesce(envelope_bytes, length(CAST(envelope AS BLOB)))), 0),
                   coalesce(sum(length(CAST(envelope AS BLOB))), 0)
            FROM raw_envelopes GROUP BY source, kind ORDER BY source, kind
            """)
        var counts: [SourceCount] = []
        while try statement.step() {
            counts.append(SourceCount(source: statement.string(at: 0) ?? "", kind: statement.string(at: 1) ?? "",
                                      envelopes: Int(statement.int64(at: 2)), bytes: statement.int64(at: 3),
                                      storedBytes: statement.int64(at: 4)))
        }
        return counts
    }

    public func envelopes(after last: StoredEnvelope?, limit: Int) throws -> [StoredEnvelope] {
        let statement = try database.prepare("""
            SELECT tenant_id, id, envelope FROM raw_envelope_rows WHERE (id, tenant_id) > (?2, ?1) ORDER BY id, tenant_id LIMIT ?3
            """)
        try statement.bind(.integer(last?.tenantID ?? 0), at: 1)
        try statement.bind(.text(last?.id ?? ""), at: 2)
        try statement.bind(.integer(Int64(limit)), at: 3)
        var rows: [StoredEnvelope] = []
        let decompressor = Zstd.Decompressor()
        while try statement.step() {
            rows.append(StoredEnvelope(tenantID: statement.int64(at: 0), id: statement.string(at: 1) ?? "",
                                       json: try unpack(statement, at: 2, with: decompressor)))
        }
        return rows
    }

    /// An envelope column of the current row, as received.
    package func unpack(_ statement: Statement, at column: Int, with decompressor: Zstd.Decompressor) throws -> String {
        do {
            return try statement.withBytes(at: column) { try custody.unpack($0, with: decompressor) }
        } catch is RawCustody.MissingDictionary {
            try loadDictionaries()
            return try statement.withBytes(at: column) { try custody.unpack($0, with: decompressor) }
        }
    }

    public func createTenant(name: String) throws -> Tenant {
        try commitHeldSteps()
        let createdAt = now()
        try database.prepare("INSERT INTO tenants(name, created_at) VALUES (?1, ?2)").run(.text(name), .text(createdAt))
        return Tenant(id: database.lastInsertRowID, name: name, createdAt: createdAt)
    }

    public func tenants() throws -> [Tenant] {
        let statement = try database.prepare("SELECT id, name, created_at FROM tenants ORDER BY id")
        var tenants: [Tenant] = []
        while try statement.step() {
            tenants.append(Tenant(id: statement.int64(at: 0), name: statement.string(at: 1) ?? "", createdAt: statement.string(at: 2) ?? ""))
        }
        return tenants
    }

    static let tokenColumns = "id, name, scope, created_at, expires_at, revoked_at, device, tenant_id"

    public func token(withHash hash: String) throws -> TokenRecord? {
        let statement = try database.prepare(
            "SELECT \(Self.tokenColumns) FROM tokens WHERE hash = ?1 AND revoked_at IS NULL")
        try statement.bind(.text(hash), at: 1)
        return try statement.step() ? Self.token(statement) : nil
    }

    public func createToken(_ token: NewToken) throws -> TokenRecord {
        try commitHeldSteps()
        let createdAt = now()
        let expiresAt = token.expiresAt.map { timestamps.string(from: $0) }
        try database.prepare("""
            INSERT INTO tokens(name, hash, created_at, scope, expires_at, device, tenant_id) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
            """)
            .run(.text(token.name), .text(token.hash), .text(createdAt), .text(token.scope.rawValue),
                 expiresAt.map(SQLiteValue.text) ?? .null, token.device.map(SQLiteValue.text) ?? .null, .integer(token.tenantID))
        return TokenRecord(id: database.lastInsertRowID, name: token.name, scope: token.scope, tenantID: token.tenantID,
                           createdAt: createdAt, expiresAt: expiresAt, device: token.device)
    }

    public func listTokens() throws -> [TokenRecord] {
        let statement = try database.prepare("SELECT \(Self.tokenColumns) FROM tokens ORDER BY id")
        var tokens: [TokenRecord] = []
        while try statement.step() { tokens.append(Self.token(statement)) }
        return tokens
    }

    public func revokeTokens(_ selector: TokenSelector) throws -> Int {
        try updateLiveTokens(selector, values: [.text(now())]) { "revoked_at = $\($0)" }
    }

    public func bindDevice(tokenID: Int64, device: String) throws -> String {
        try commitHeldSteps()
        try database.prepare("UPDATE tokens SET device = ?2 WHERE id = ?1 AND device IS NULL").run(.integer(tokenID), .text(device))
        let statement = try database.prepare("SELECT device FROM tokens WHERE id = ?1")
        try statement.bind(.integer(tokenID), at: 1)
        guard try statement.step(), let bound = statement.string(at: 0) else { throw StoreError("token \(tokenID) is gone") }
        return bound
    }

    public func unbindDevice(_ selector: TokenSelector) throws -> Int {
        try updateLiveTokens(selector, values: []) { _ in "device = NULL" }
    }

    /// Sets an assignment on the live tokens `selector` names; `assignment` gets the number of
    /// the first parameter after the selector's, for its `values`. Returns how many changed.
    private func updateLiveTokens(_ selector: TokenSelector, values: [SQLiteValue], _ assignment: (Int) -> String) throws -> Int {
        try commitHeldSteps()
        let (condition, conditionValues) = selector.condition
        try run(SQLStatement("UPDATE tokens SET \(assignment(conditionValues.count + 1)) WHERE revoked_at IS NULL AND \(condition)",
                             conditionValues + values))
        return database.changes
    }

    private static func token(_ row: Statement) -> TokenRecord {
        TokenRecord(id: row.int64(at: 0), name: row.string(at: 1) ?? "", scope: TokenScope(rawValue: row.string(at: 2) ?? "") ?? .ingest,
                    tenantID: row.int64(at: 7), createdAt: row.string(at: 3) ?? "", expiresAt: row.string(at: 4),
                    revokedAt: row.string(at: 5), device: row.string(at: 6))
    }

    private func now() -> String {
        timestamps.string(from: Date())
    }
}
