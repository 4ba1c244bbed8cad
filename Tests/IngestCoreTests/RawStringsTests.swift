import Foundation
@testable import Explorer
@testable import IngestStore
@testable import Normalization
import SQLiteDB
import Testing

/// SQLite keeps raw custody's batch ids and file names once per device (`RawStrings`): no row
/// repeats them, every envelope's file is still known (the explorer lists a session's raw
/// envelopes by it), erasing a device takes its names, and rows stored before migration 29
/// are moved over.
@Suite struct RawStringsTests {
    static let path = "~/.claude/projects/-a/s.jsonl"

    static func envelope(_ n: Int, device: String) -> ValidEnvelope {
        let made = PoisonRecordTests.envelope(n, record: PoisonRecordTests.claudeLine("s-\(device)", n, text: #""line \#(n)""#))
        return ValidEnvelope(id: made.id, source: made.source, kind: made.kind, device: device,
                             json: made.json.replacingOccurrences(of: #""device":"d-test""#, with: #""device":"\#(device)""#))
    }

    static func names(_ store: any IngestStore) async throws -> [String] {
        try await store.query(SQLStatement("SELECT device || ' ' || value FROM raw_strings ORDER BY 1")).compactMap { $0[0].text }
    }

    @Test func batchIdsAndFileNamesAreKeptOncePerDeviceAndGoWithAnErasedDevice() async throws {
        try await StoreKind.sqlite.withFreshStore { store in
            _ = try await store.insert((1...3).map { Self.envelope($0, device: "d-ada") } + (4...5).map { Self.envelope($0, device: "d-bob") },
                                       from: BatchOrigin(tokenID: 1, batchID: "batch-one"))
            _ = try await store.insert((6...7).map { Self.envelope($0, device: "d-ada") }, from: BatchOrigin(tokenID: 1, batchID: "batch-two"))

            #expect(try await store.query(SQLStatement("SELECT count(*) FROM raw_envelopes WHERE batch_id != '' OR locator_path IS NOT NULL"))
                .first?.first?.int == 0, "no row repeats them")
            #expect(try await Self.names(store) == ["d-ada batch-one", "d-ada batch-two", "d-ada \(Self.path)",
                                                    "d-bob batch-one", "d-bob \(Self.path)"])
            let paths = try await store.query(SQLStatement("SELECT DISTINCT \(RawCustody.path(.sqlite)) FROM raw_envelopes"))
            #expect(paths.map { $0[0].text } == [Self.path])

            _ = try await Normalizer(store: store).catchUp()
            let sessions = try await NormalizedReader(store: store).sessions(.init(device: "d-ada", includeEmpty: true), limit: 10).sessions
            let first = try #require(sessions.first)
            let (session, files) = try #require(try await NormalizedReader(store: store).summary(id: first.id))
            #expect(files == [Self.path])
            let listed = try await ExplorerQueries(store: store).rawEnvelopes(session: session, files: files, tenant: nil)
            #expect(listed.count == 5, "the explorer finds the session's envelopes by their file")

            _ = try await Erasure.erase(.device("d-bob"), tenant: Tenant.defaultID, requestedBy: "test", dryRun: false, in: store)
            #expect(try await Self.names(store) == ["d-ada batch-one", "d-ada batch-two", "d-ada \(Self.path)"])
        }
    }

    @Test func rowsStoredBeforeTheMigrationAreMovedOver() async throws {
        try await StoreKind.sqlite.withFreshStore { store in
            _ = try await store.insert((1...3).map { Self.envelope($0, device: "d-ada") }, from: BatchOrigin(tokenID: 1, batchID: "batch-one"))
            let sqlite = try #require(store as? SQLiteStore)
            // The rows as they were: each with its strings, no table of them.
            try await sqlite.execute([
                "UPDATE raw_envelopes SET batch_id = (SELECT value FROM raw_strings WHERE id = batch_ref), locator_path = (SELECT value FROM raw_strings WHERE id = path_ref)",
                "DROP TABLE raw_strings", "ALTER TABLE raw_envelopes DROP COLUMN batch_ref", "ALTER TABLE raw_envelopes DROP COLUMN path_ref",
            ].map { SQLStatement($0) })
            #expect(try await store.query(SQLStatement("SELECT count(*) FROM raw_envelopes WHERE batch_id = 'batch-one' AND locator_path = $1",
                                                       [.text(Self.path)])).first?.first?.int == 3)
            try await sqlite.execute(RawStrings.schema.map { SQLStatement($0) })  // migration 29
            #expect(try await Self.names(store) == ["d-ada batch-one", "d-ada \(Self.path)"])
            #expect(try await store.query(SQLStatement("SELECT count(*) FROM raw_envelopes WHERE batch_id = '' AND locator_path IS NULL AND \(RawCustody.path(.sqlite)) = $1",
                                                       [.text(Self.path)])).first?.first?.int == 3)
        }
    }
}
