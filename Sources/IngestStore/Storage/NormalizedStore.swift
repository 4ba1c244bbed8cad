import SQLiteDB

/// The normalised tables' access to a store: the SQL is written once (``SQLStatement``);
/// each store runs it and adds what only it can do (a safe horizon over concurrent inserts).
public protocol NormalizedStore: Sendable {
    /// Which SQL the store speaks, for the statements written per dialect.
    var dialect: SQLDialect { get }
    /// Rows of a query, each column as a value.
    func query(_ statement: SQLStatement) async throws -> [[SQLiteValue]]
    /// Runs `statements` in one transaction, but only while the watermark of `lane` (see
    /// ``NormalizationLanes``) is still `expected` (then it becomes `next`): false, and nothing
    /// written, when another process moved it first.
    func applyNormalized(_ statements: [SQLStatement], lane: Int, expected: Int64, next: Int64) async throws -> Bool
    /// From now on, commits the steps ``applyNormalized(_:expected:next:)`` takes together, at
    /// most `interval` apart (each step still all or nothing); zero commits each on its own, and
    /// whatever is held now. PostgreSQL commits each step on its own whatever the interval.
    func commitNormalizedSteps(atMostEvery interval: Duration) async throws
    /// Runs `statements` in one transaction.
    func execute(_ statements: [SQLStatement]) async throws
    /// Runs `statements` and deletes every row of `tables`, in one transaction (a reparse's start).
    func empty(_ tables: [String], after statements: [SQLStatement]) async throws
    /// Up to `limit` raw envelopes after arrival number `seq`, in arrival order, of `lane` and
    /// from `source` only when given, and no more once `maxBytes` of them are read (at least
    /// one): memory is bounded by bytes, whatever the records' sizes. Never skips an envelope
    /// whose insert commits later with a lower number.
    func rawEnvelopes(afterSeq seq: Int64, lane: Int?, source: String?, limit: Int, maxBytes: Int) async throws -> [RawEnvelope]
}

extension NormalizedStore {
    /// The lanes of this store (see ``NormalizationLanes``).
    package var lanes: [Int] { NormalizationLanes.all(dialect) }

    /// ``applyNormalized(_:lane:expected:next:)`` on lane 1 (all of a SQLite store).
    package func applyNormalized(_ statements: [SQLStatement], expected: Int64, next: Int64) async throws -> Bool {
        try await applyNormalized(statements, lane: 1, expected: expected, next: next)
    }

    /// ``rawEnvelopes(afterSeq:lane:source:limit:maxBytes:)`` of every lane.
    package func rawEnvelopes(afterSeq seq: Int64, source: String?, limit: Int, maxBytes: Int) async throws -> [RawEnvelope] {
        try await rawEnvelopes(afterSeq: seq, lane: nil, source: source, limit: limit, maxBytes: maxBytes)
    }

    /// The watermark of `lane`: every envelope of the lane up to it is normalised.
    package func watermark(lane: Int) async throws -> Int64 {
        try await query(SQLStatement("SELECT last_seq FROM norm_progress WHERE id = $1", [.integer(Int64(lane))])).first?.first?.int ?? 0
    }

    /// The lanes holding envelopes past their watermark, in lane order.
    package func lanesWithWork() async throws -> [Int] {
        try await query(SQLStatement("""
            SELECT p.id FROM norm_progress p
            WHERE EXISTS (SELECT 1 FROM raw_envelopes r WHERE \(NormalizationLanes.pending("r", in: "p", dialect: dialect))) ORDER BY p.id
            """)).compactMap { $0.first?.int.map(Int.init) }
    }
}

extension NormalizedStore {
    /// The rows of `sql`, which ends in `IN`, for every one of `keys`: asked five hundred at a
    /// time, so that no statement has more parameters than a store takes. `then`: what follows
    /// the list (a `GROUP BY`).
    package func query(_ sql: String, in keys: some Collection<String>, then rest: String = "") async throws -> [[SQLiteValue]] {
        let sorted = keys.sorted()
        var rows: [[SQLiteValue]] = []
        for start in stride(from: 0, to: sorted.count, by: 500) {
            let chunk = sorted[start..<min(sorted.count, start + 500)]
            let placeholders = (1...chunk.count).map { "$\($0)" }.joined(separator: ", ")
            rows += try await query(SQLStatement("\(sql) (\(placeholders)) \(rest)", chunk.map { .text($0) }))
        }
        return rows
    }
}

/// A raw envelope as the normaliser reads it: its arrival number, its tenant, its bytes.
public struct RawEnvelope: Sendable {
    public var seq: Int64
    public var tenant: Int64
    public var json: String
    /// Its lane (see ``NormalizationLanes``).
    public var lane: Int

    public init(seq: Int64, tenant: Int64 = Tenant.defaultID, json: String, lane: Int = 1) {
        self.seq = seq
        self.tenant = tenant
        self.json = json
        self.lane = lane
    }
}
