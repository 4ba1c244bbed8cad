import Foundation
@testable import Access
@testable import Explorer
@testable import IngestCore
@testable import IngestStore
@testable import Normalization
import SQLiteDB
import Testing

/// A reparse on SQLite commits its steps a few at a time
/// (`commitNormalizedSteps(atMostEvery:)`): other connections see them only once committed,
/// every step is still all or nothing, a failing step undoes the held ones (watermark and all)
/// and the rest are taken one commit each, and any other write commits what is held first.
@Suite struct HeldStepsTests {
    static let table = SQLStatement("CREATE TABLE held_rows (n INTEGER NOT NULL)")
    static func row(_ n: Int64?) -> SQLStatement {
        SQLStatement("INSERT INTO held_rows (n) VALUES ($1)", [n.map(SQLiteValue.integer) ?? .null])
    }

    /// What another connection sees: the watermark and the rows, committed.
    static func seen(_ store: SQLiteStore) throws -> (watermark: Int64, rows: [Int64]) {
        let other = try Database(path: store.path, mode: .readOnly)
        let watermark = try other.prepare("SELECT last_seq FROM norm_progress WHERE id = 1")
        _ = try watermark.step()
        let rows = try other.prepare("SELECT n FROM held_rows ORDER BY n")
        var values: [Int64] = []
        while try rows.step() { values.append(rows.int64(at: 0)) }
        return (watermark.int64(at: 0), values)
    }

    /// A fresh SQLite store holding its steps for an hour, its first step (row 1) held.
    static func withFirstStepHeld(_ body: (SQLiteStore) async throws -> Void) async throws {
        try await StoreKind.sqlite.withFreshStore { store in
            let store = try #require(store as? SQLiteStore)
            try await store.execute([table])
            try await store.commitNormalizedSteps(atMostEvery: .seconds(3600))
            #expect(try await store.applyNormalized([row(1)], expected: 0, next: 1))
            try await body(store)
        }
    }

    @Test func heldStepsAreSeenOnlyOnceCommittedAndAnotherWriteCommitsThemFirst() async throws {
        try await Self.withFirstStepHeld { store in
            #expect(try await store.applyNormalized([Self.row(2)], expected: 1, next: 2))
            // A step whose watermark moved writes nothing, held or not.
            #expect(try await !store.applyNormalized([Self.row(99)], expected: 1, next: 3))
            #expect(try Self.seen(store) == (0, []))

            // A raw insert (any write but a step) commits the held steps before its own.
            _ = try await store.insert(FullTextSearchTests.envelopes(), from: BatchOrigin(tokenID: 1, batchID: "b1"))
            #expect(try Self.seen(store) == (2, [1, 2]))

            #expect(try await store.applyNormalized([Self.row(3)], expected: 2, next: 3))
            #expect(try Self.seen(store) == (2, [1, 2]))
            try await store.commitNormalizedSteps(atMostEvery: .zero)
            #expect(try Self.seen(store) == (3, [1, 2, 3]))
            // Back to a commit per step.
            #expect(try await store.applyNormalized([Self.row(4)], expected: 3, next: 4))
            #expect(try Self.seen(store) == (4, [1, 2, 3, 4]))
        }
    }

    @Test func aFailingStepUndoesTheHeldStepsAndTheRestCommitOneByOne() async throws {
        try await Self.withFirstStepHeld { (store) async throws in
            await #expect(throws: SQLiteError.self) {
                try await store.applyNormalized([Self.row(2), Self.row(nil)], expected: 1, next: 2)
            }
            // Nothing of either step is left, in this connection or any other.
            #expect(try await store.query(SQLStatement("SELECT last_seq FROM norm_progress")).first?.first?.int == 0)
            #expect(try await store.query(SQLStatement("SELECT count(*) FROM held_rows")).first?.first?.int == 0)
            #expect(try Self.seen(store) == (0, []))
            // Taken again, each step commits on its own.
            #expect(try await store.applyNormalized([Self.row(1)], expected: 0, next: 1))
            #expect(try Self.seen(store) == (1, [1]))
        }
    }

    /// A whole reparse with held steps leaves the same rows as the normalising that stored them.
    @Test func aReparseWithHeldStepsGivesTheRowsStepByStepNormalisingGave() async throws {
        try await StoreKind.sqlite.withFreshStore { store in
            _ = try await store.insert(NormalizerLeaseTests.envelopes(2500), from: BatchOrigin(tokenID: 1, batchID: "b"))
            _ = try await Normalizer(store: store, chunkSize: 100).catchUp()
            let tables = ["norm_sessions", "norm_messages", "norm_usage", "norm_usage_by_day"]
            func snapshot() async throws -> [[[SQLiteValue]]] {
                var rows: [[[SQLiteValue]]] = []
                for table in tables { rows.append(try await store.query(SQLStatement("SELECT * FROM \(table) ORDER BY 1, 2"))) }
                return rows
            }
            let before = try await snapshot()
            #expect(before[1].count == 2500)
            #expect(try await Normalizer(store: store, chunkSize: 100).reparse() == 2500)
            #expect(try await snapshot() == before)
            #expect(try await store.query(SQLStatement("SELECT last_seq FROM norm_progress")).first?.first?.int == 2500)
        }
    }
}
