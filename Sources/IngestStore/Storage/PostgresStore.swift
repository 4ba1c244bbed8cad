import Foundation
import Logging
import NIOSSL
import PostgresNIO
import Synchronization

/// The fleet store: PostgreSQL through PostgresNIO's connection pool.
///
/// Several `sensor-ingest` processes can share one database: ids are claimed with
/// `ON CONFLICT DO NOTHING` (in id order, so concurrent batches never deadlock) and only what
/// was claimed is stored and counted; migrations run under an advisory lock. Given several
/// hosts (a primary and its standbys), the store follows the one that takes writes.
public final class PostgresStore: IngestStore {
    public var dialect: SQLDialect { .postgres }
    public let custody = RawCustody()
    /// The pool of the server in use (with several hosts, the primary's: it changes on failover).
    package var client: PostgresClient { pool.withLock { $0.client } }
    package let logger: Logger
    /// `host:port/database`, for messages.
    package let address: String
    /// How long ``migrate()`` waits for the database to answer before giving up.
    package let startTimeout: Duration
    /// When raw custody's coming months were last made (see ``RawPartitions``).
    private let monthsMade = Mutex<ContinuousClock.Instant?>(nil)
    /// Where the store may connect.
    package let targets: PostgresTargets
    private let pool: Mutex<Pool>

    /// A pool, the host it is for, and the task running it.
    private struct Pool {
        var client: PostgresClient
        var host: Int
        var running: Task<Void, Never>?
        /// With several hosts: whether the one taking writes has been found.
        var found = false
    }

    /// A store on `postgres://user:password@host:port/database` (`?sslmode=require` for TLS), or
    /// on `host1:port1,host2:port2` with `target_session_attrs=read-write` (see
    /// ``PostgresTargets``). Nothing connects until ``run()`` runs; connection failures are
    /// logged to `logger`.
    public init(url: String, logger: Logger = Logger(label: "sensor-ingest.postgres"),
                startTimeout: Duration = .seconds(30)) throws {
        targets = try PostgresTargets(url: url)
        pool = Mutex(Pool(client: PostgresClient(configuration: targets.configuration(0), backgroundLogger: logger), host: 0))
        self.logger = logger
        self.startTimeout = startTimeout
        address = targets.address
    }

    /// How often the host in use is asked whether it still takes writes (several hosts).
    package static let primaryCheckInterval: Duration = .seconds(1)

    /// Runs the connection pool until cancelled or shut down gracefully. With several hosts:
    /// finds the one taking writes, runs a pool on it, and every second asks it whether it still
    /// does; when it does not (it died, or a failover made it a standby), the pool moves to the
    /// host that does, and requests in flight on the old one fail (a sensor sends them again).
    public func run() async {
        guard targets.followsPrimary else { return await client.run() }
        await withTaskCancellationHandler {
            while !Task.isCancelled {
                let (host, found) = pool.withLock { ($0.host, $0.found) }
                let writable = found ? await targets.takesWrites(host, logger: logger) : false
                if !writable { await follow(from: host) }
                try? await Task.sleep(for: Self.primaryCheckInterval)
            }
        } onCancel: {
            pool.withLock { $0.running?.cancel() }
        }
    }

    /// Moves the pool to the host taking writes, if one does (the current one first).
    private func follow(from current: Int) async {
        let order = [current] + targets.hosts.indices.filter { $0 != current }
        for host in order {
            guard await targets.takesWrites(host, logger: logger) else { continue }
            // Said once per host taken: a check that timed out under load and found the same
            // host again moves nothing and says nothing.
            let moved = pool.withLock { pool -> Bool in
                let moving = pool.host != host || pool.running == nil
                if moving {
                    pool.running?.cancel()
                    let client = pool.host == host ? pool.client
                        : PostgresClient(configuration: targets.configuration(host), backgroundLogger: logger)
                    pool.client = client
                    pool.host = host
                    pool.running = Task { await client.run() }
                }
                pool.found = true
                return moving
            }
            if moved { logger.notice("using the PostgreSQL host that takes writes", metadata: ["host": "\(targets.hosts[host].name):\(targets.hosts[host].port)"]) }
            return
        }
        let wasFound = pool.withLock { pool in
            defer { pool.found = false }
            return pool.found
        }
        if wasFound { logger.warning("no PostgreSQL host takes writes now; asking every second", metadata: ["hosts": "\(targets.address)"]) }
    }

    /// With several hosts, waits until the one taking writes is found (``run()`` looks).
    private func primaryFound() async throws {
        while targets.followsPrimary && !pool.withLock({ $0.found }) {
            try await Task.sleep(for: .milliseconds(50))
        }
    }

    /// Fails after `startTimeout` when the database does not answer (the pool itself would
    /// keep retrying): a server or a command pointed at the wrong place says so.
    public func migrate() async throws {
        let (timeout, address) = (startTimeout, address)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                do {
                    try await self.primaryFound()
                    try await self.applyMigrations()
                    try await self.makeComingMonths()
                    try await self.loadDictionaries()
                } catch {
                    throw StoreError("PostgreSQL at \(address): \(Self.describe(error))")
                }
            }
            group.addTask {
                try await Task.sleep(for: timeout)
                throw StoreError("PostgreSQL at \(address) did not answer within \(timeout): is it running, and are the host, port, user and password right?")
            }
            defer { group.cancelAll() }
            try await group.next()
        }
    }

    private func applyMigrations() async throws {
        try await client.withTransaction(logger: logger) { connection in
            // Per database: one process migrates, the others wait here and then find nothing to do.
            try await connection.query("SELECT pg_advisory_xact_lock(7414212505)", logger: logger)
            try await connection.query("""
                CREATE TABLE IF NOT EXISTS schema_migrations (
                    version INT PRIMARY KEY, applied_at TIMESTAMPTZ NOT NULL DEFAULT now())
                """, logger: logger)
            var applied = 0
            let rows = try await connection.query("SELECT coalesce(max(version), 0) FROM schema_migrations", logger: logger)
            for try await version in rows.decode(Int.self) { applied = version }
            for migration in Migrations.postgres where migration.version > applied {
                for statement in migration.statements {
                    try await connection.query(PostgresQuery(unsafeSQL: statement), logger: logger)
                }
                try await connection.query("INSERT INTO schema_migrations(version) VALUES (\(migration.version))",
                                           logger: logger)
                logger.notice("migrated", metadata: ["version": "\(migration.version)", "migration": "\(migration.name)"])
            }
        }
    }

    /// The server's own message when there is one, rather than the whole error value.
    static func describe(_ error: any Error) -> String {
        serverError(error)?.serverInfo?[.message] ?? "\(unwrapped(error))"
    }

    /// The error inside a transaction's error (PostgresNIO wraps what a transaction's begin,
    /// body or commit threw).
    static func unwrapped(_ error: any Error) -> any Error {
        guard let transaction = error as? PostgresTransactionError else { return error }
        return transaction.beginError ?? transaction.closureError ?? transaction.commitError ?? error
    }

    /// PostgreSQL's own error, wrapped in a transaction's or not: nil for any other.
    package static func serverError(_ error: any Error) -> PSQLError? {
        unwrapped(error) as? PSQLError
    }

    public func appliedMigrations() async throws -> [Int] {
        var versions: [Int] = []
        let rows = try await client.query("SELECT version FROM schema_migrations ORDER BY version", logger: logger)
        for try await version in rows.decode(Int.self) { versions.append(version) }
        return versions
    }

    /// Makes raw custody's months from this one to ``RawPartitions/monthsAhead`` ahead (at
    /// start-up, and at most hourly while envelopes arrive: a server that runs for months
    /// keeps making them).
    package func makeComingMonths() async throws {
        let due = monthsMade.withLock { made in
            guard made.map({ $0.duration(to: .now) > .seconds(3600) }) ?? true else { return false }
            made = .now
            return true
        }
        guard due else { return }
        do {
            try await client.query(PostgresQuery(unsafeSQL: RawPartitions.ensureMonths), logger: logger)
        } catch {
            monthsMade.withLock { $0 = nil }
            throw error
        }
    }

    public func insert(_ envelopes: [ValidEnvelope], from origin: BatchOrigin) async throws -> InsertOutcome {
        guard !envelopes.isEmpty else { return InsertOutcome(accepted: 0, duplicates: 0) }
        // Never in the way of an insert: a row of a month not made yet lands in the default partition.
        do { try await makeComingMonths() } catch { logger.warning("raw custody's coming months could not be made", metadata: ["error": "\(Self.describe(error))"]) }
        // Arrival numbers (seq) follow the batch's order, which is each file's order: the
        // normalisers read a file's first line before the rest. Ids are claimed in id order, so
        // every server takes row locks in the same order and concurrent overlapping batches wait
        // for one another instead of deadlocking. (A volatile function in the
        // select list is evaluated after its ORDER BY.) The arrival lock, shared, lets the
        // normaliser wait for inserts in flight (rawEnvelopes).
        var outcome: InsertOutcome?
        for attempt in 0..<2 {
            do {
                outcome = try await insert(envelopes, packed: custody.pack(envelopes, tenant: origin.tenantID), from: origin)
                break
            } catch let error as PostgresTransactionError where attempt == 0 && error.closureError is RawCustody.RetiredDictionary {
                // Retired or deleted since this server loaded them (an erasure or a retention
                // pass, here or on another server): packed again with what the store holds now.
                try await loadDictionaries()
            }
        }
        for owner in custody.ownersWantingDictionary { try await trainDictionary(for: owner) }
        return outcome ?? InsertOutcome(accepted: 0, duplicates: 0)
    }

    private func insert(_ envelopes: [ValidEnvelope], packed: (frames: [[UInt8]], dictionaries: [UInt32]),
                        from origin: BatchOrigin) async throws -> InsertOutcome {
        let frames = packed.frames.map { ByteBuffer(bytes: $0) }
        let dictionaries = packed.dictionaries.map { Int64($0) }
        return try await client.withTransaction(logger: logger) { connection in
            try await connection.query("SELECT pg_advisory_xact_lock_shared(\(Self.arrivalLock))", logger: self.logger)
            if !dictionaries.isEmpty {
                // Held until the commit: an erasure or retirement writing them waits for it, and
                // one that wrote them first is seen here.
                let live = try await connection.query("""
                    SELECT count(*) FROM (SELECT id FROM raw_dictionaries WHERE id = ANY(\(dictionaries)) AND retired = 0 FOR SHARE) AS held
                    """, logger: self.logger)
                var count: Int64 = 0
                for try await value in live.decode(Int64.self) { count = value }
                guard count == dictionaries.count else { throw RawCustody.RetiredDictionary() }
            }
            // Ids are claimed in raw_ids first (see RawPartitions): the envelopes whose id this
            // insert claimed are stored (the first of an id the batch holds twice), the rest are
            // repeats.
            let rows = try await connection.query("""
                WITH batch AS (
                    SELECT * FROM unnest(\(envelopes.map(\.id))::text[], \(envelopes.map(\.source))::text[], \(envelopes.map(\.kind))::text[],
                                         \(envelopes.map(\.device))::text[], \(frames)::bytea[], \(envelopes.map { Int64($0.bytes.count) })::int8[],
                                         \(envelopes.map { $0.path ?? "" })::text[])
                         WITH ORDINALITY AS batch(id, source, kind, device, envelope_zstd, envelope_bytes, locator_path, position)
                ), claimed AS (
                    INSERT INTO raw_ids(tenant_id, id) SELECT \(origin.tenantID), id FROM batch ORDER BY id
                    ON CONFLICT DO NOTHING RETURNING id
                )
                INSERT INTO raw_envelopes(tenant_id, id, source, kind, device, token_id, batch_id, envelope_zstd, envelope_bytes, locator_path, seq)
                SELECT \(origin.tenantID), id, source, kind, device, \(origin.tokenID), \(origin.batchID), envelope_zstd, envelope_bytes,
                       nullif(locator_path, ''), seq
                FROM (SELECT first.*, nextval(pg_get_serial_sequence('raw_envelopes', 'seq')) AS seq
                      FROM (SELECT DISTINCT ON (id) * FROM batch WHERE id IN (SELECT id FROM claimed) ORDER BY id, position) AS first
                      ORDER BY position) AS numbered
                RETURNING id
                """, logger: self.logger)
            var inserted = Set<String>()
            for try await id in rows.decode(String.self) { inserted.insert(id) }
            // What the new envelopes' records lost to redaction, by rule (a repeat counts nothing).
            let redacted = envelopes.filter { !$0.redactions.isEmpty && inserted.contains($0.id) }
                .flatMap { envelope in envelope.redactions.entries.map { (envelope, $0) } }
            if !redacted.isEmpty {
                try await connection.query("""
                    INSERT INTO raw_redactions(tenant_id, record_id, rule, device, path, day, count)
                    SELECT \(origin.tenantID), record_id, rule, device, nullif(path, ''), day, count
                    FROM unnest(\(redacted.map(\.0.id))::text[], \(redacted.map(\.1.rule))::text[], \(redacted.map(\.0.device))::text[],
                                \(redacted.map { $0.0.path ?? "" })::text[], \(redacted.map(\.0.day))::text[],
                                \(redacted.map { Int64($0.1.count) })::int8[]) AS r(record_id, rule, device, path, day, count)
                    ON CONFLICT (tenant_id, record_id, rule) DO NOTHING
                    """, logger: self.logger)
            }
            let now = DeviceDirectory.timestamp()
            var fresh = inserted  // an id the batch holds twice was stored once
            for arrival in DeviceDays.arrivals(envelopes.filter { fresh.remove($0.id) != nil }) {
                try await connection.query(Self.query(DeviceDays.add(arrival, tenant: origin.tenantID, now: now)), logger: self.logger)
            }
            if let sensor = origin.sensor {
                try await connection.query(Self.query(DeviceDirectory.upsert(sensor, tenant: origin.tenantID, now: now)), logger: self.logger)
            }
            return InsertOutcome(accepted: inserted.count, duplicates: envelopes.count - inserted.count)
        }
    }

    /// Trains a zstd dictionary on the owner's newest envelopes (its device's of its source)
    /// and keeps it (see ``RawCustody``). Two servers may each train one: both are kept, frames
    /// name the one they need.
    func trainDictionary(for owner: DictionaryOwner) async throws {
        let rows = try await client.query("""
            SELECT \(unescaped: RawCustody.column(.postgres)), received_at FROM raw_envelopes
            WHERE tenant_id = \(owner.tenant) AND device = \(owner.device) AND source = \(owner.source)
            ORDER BY received_at DESC LIMIT \(RawCustody.sampleCount)
            """, logger: logger)
        var samples: [String] = []
        var oldest: Date?
        let decompressor = Zstd.Decompressor()
        for try await (stored, received) in rows.decode((ByteBuffer, Date).self) {
            samples.append(try await envelopeText(.blob(Array(buffer: stored)), with: decompressor))
            oldest = min(oldest ?? received, received)
        }
        guard let dictionary = RawCustody.train(samples) else { return custody.trainingFailed(for: owner) }
        try await execute([RawCustody.storeDictionary(dictionary, owner: owner, oldestSample: oldest.map { DeviceDirectory.timestamp($0) })])
        try await loadDictionaries()
    }

    public func loadDictionaries() async throws {
        // The bytes of those this server holds already are not sent again.
        let held = custody.heldIDs.map { Int64($0) }
        let rows = try await client.query("""
            SELECT id, tenant_id, device, source, CASE WHEN id = ANY(\(held)) THEN NULL ELSE dictionary END, retired
            FROM raw_dictionaries ORDER BY created, id
            """, logger: logger)
        var stored: [RawCustody.StoredDictionary] = []
        for try await (id, tenant, device, source, dictionary, retired) in rows.decode((Int64, Int64?, String?, String, ByteBuffer?, Int64).self) {
            stored.append(RawCustody.stored(id: id, tenant: tenant, device: device, source: source, bytes: dictionary.map { Array(buffer: $0) },
                                            retired: retired != 0))
        }
        custody.adopt(stored)
    }

    public func counts() async throws -> [SourceCount] {
        let rows = try await client.query("""
            SELECT source, kind, count(*)::bigint, coalesce(sum(coalesce(envelope_bytes, octet_length(envelope))), 0)::bigint,
                   coalesce(sum(coalesce(octet_length(envelope_zstd), octet_length(envelope))), 0)::bigint
            FROM raw_envelopes GROUP BY source, kind ORDER BY source, kind
            """, logger: logger)
        var counts: [SourceCount] = []
        for try await (source, kind, envelopes, bytes, stored) in rows.decode((String, String, Int64, Int64, Int64).self) {
            counts.append(SourceCount(source: source, kind: kind, envelopes: Int(envelopes), bytes: bytes, storedBytes: stored))
        }
        return counts
    }

    public func envelopes(after last: StoredEnvelope?, limit: Int) async throws -> [StoredEnvelope] {
        let rows = try await client.query("""
            SELECT tenant_id, id, \(unescaped: RawCustody.column(.postgres)) FROM raw_envelopes
            WHERE (tenant_id, id COLLATE "C") > (\(last?.tenantID ?? 0), \(last?.id ?? "") COLLATE "C")
            ORDER BY tenant_id, id COLLATE "C" LIMIT \(limit)
            """, logger: logger)
        var envelopes: [StoredEnvelope] = []
        let decompressor = Zstd.Decompressor()
        for try await (tenant, id, stored) in rows.decode((Int64, String, ByteBuffer).self) {
            envelopes.append(StoredEnvelope(tenantID: tenant, id: id, json: try await envelopeText(.blob(Array(buffer: stored)), with: decompressor)))
        }
        return envelopes
    }

    public func createTenant(name: String) async throws -> Tenant {
        let rows = try await client.query("""
            INSERT INTO tenants(name) VALUES (\(name))
            RETURNING id, name, to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')
            """, logger: logger)
        for try await (id, name, created) in rows.decode((Int64, String, String).self) { return Tenant(id: id, name: name, createdAt: created) }
        throw StoreError("the tenant was not created")
    }

    public func tenants() async throws -> [Tenant] {
        let rows = try await client.query("""
            SELECT id, name, to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') FROM tenants ORDER BY id
            """, logger: logger)
        var tenants: [Tenant] = []
        for try await (id, name, created) in rows.decode((Int64, String, String).self) { tenants.append(Tenant(id: id, name: name, createdAt: created)) }
        return tenants
    }

    static let tokenColumns = """
        id, name, scope, to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
        to_char(expires_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
        to_char(revoked_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'), device, tenant_id
        """

    public func token(withHash hash: String) async throws -> TokenRecord? {
        try await tokens("SELECT \(unescaped: Self.tokenColumns) FROM tokens WHERE hash = \(hash) AND revoked_at IS NULL").first
    }

    public func createToken(_ token: NewToken) async throws -> TokenRecord {
        let expires = token.expiresAt.map { Self.rfc3339($0) }
        guard let created = try await tokens("""
            INSERT INTO tokens(name, hash, scope, expires_at, device, tenant_id)
            VALUES (\(token.name), \(token.hash), \(token.scope.rawValue), \(expires)::timestamptz, \(token.device), \(token.tenantID))
            RETURNING \(unescaped: Self.tokenColumns)
            """).first
        else { throw StoreError("the token was not created") }
        return created
    }

    public func listTokens() async throws -> [TokenRecord] {
        try await tokens("SELECT \(unescaped: Self.tokenColumns) FROM tokens ORDER BY id")
    }

    public func revokeTokens(_ selector: TokenSelector) async throws -> Int {
        try await updateLiveTokens(set: "revoked_at = now()", selector)
    }

    public func bindDevice(tokenID: Int64, device: String) async throws -> String {
        _ = try await count("UPDATE tokens SET device = \(device) WHERE id = \(tokenID) AND device IS NULL RETURNING id")
        let rows = try await client.query("SELECT device FROM tokens WHERE id = \(tokenID)", logger: logger)
        for try await bound in rows.decode(String?.self) {
            if let bound { return bound }
        }
        throw StoreError("token \(tokenID) is gone")
    }

    public func unbindDevice(_ selector: TokenSelector) async throws -> Int {
        try await updateLiveTokens(set: "device = NULL", selector)
    }

    /// Sets `assignment` (a constant SQL assignment of this file's) on the live tokens `selector` names.
    private func updateLiveTokens(set assignment: String, _ selector: TokenSelector) async throws -> Int {
        switch selector {
        case .id(let id):
            return try await count("UPDATE tokens SET \(unescaped: assignment) WHERE revoked_at IS NULL AND id = \(id) RETURNING id")
        case .name(let name, let tenant):
            return try await count("""
                UPDATE tokens SET \(unescaped: assignment) WHERE revoked_at IS NULL AND name = \(name) AND tenant_id = \(tenant) RETURNING id
                """)
        }
    }

    private func count(_ query: PostgresQuery) async throws -> Int {
        let rows = try await client.query(query, logger: logger)
        var count = 0
        for try await _ in rows { count += 1 }
        return count
    }

    static func rfc3339(_ date: Date) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return formatter.string(from: date)
    }

    private func tokens(_ query: PostgresQuery) async throws -> [TokenRecord] {
        var tokens: [TokenRecord] = []
        let rows = try await client.query(query, logger: logger)
        for try await (id, name, scope, created, expires, revoked, device, tenant)
            in rows.decode((Int64, String, String, String, String?, String?, String?, Int64).self) {
            tokens.append(TokenRecord(id: id, name: name, scope: TokenScope(rawValue: scope) ?? .ingest, tenantID: tenant,
                                      createdAt: created, expiresAt: expires, revokedAt: revoked, device: device))
        }
        return tokens
    }
}
