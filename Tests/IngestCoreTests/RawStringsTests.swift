import Foundation
@testable import Explorer
@testable import IngestStore
@testable import Normalization
import SQLiteDB
import Testing

/// SQLite keeps raw custody's batch ids and file names once per device (`RawStrings`): no row
/// repeats them, every envelope's file is still known (the explorer lists a session's raw
/// envelopes by it), erasing a device takes its names, and rows stored before migrations 29
/// and 30 are moved over. Device, source and kind are kept once per stream (`RawStreams`).
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

    @Test func rowsStoredBeforeTheMigrationsAreMovedOver() async throws {
        try await StoreKind.sqlite.withFreshStore { store in
            _ = try await store.insert((1...3).map { Self.envelope($0, device: "d-ada") } + (4...5).map { Self.envelope($0, device: "d-bob") },
                                       from: BatchOrigin(tokenID: 1, batchID: "batch-one"))
            let sqlite = try #require(store as? SQLiteStore)
            let before = try await Self.rows(store)
            // The table as it was before migrations 29 and 30: each row with all its strings.
            try await sqlite.execute([
                """
                CREATE TABLE raw_envelopes_then AS
                SELECT rowid AS old_rowid, tenant_id, id, source, kind, device, token_id,
                       (SELECT value FROM raw_strings WHERE id = batch_ref) AS batch_id, received_at, envelope, envelope_bytes,
                       (SELECT value FROM raw_strings WHERE id = path_ref) AS locator_path
                FROM raw_envelopes
                """,
                "DROP VIEW raw_envelopes", "DROP TABLE raw_envelope_rows", "DROP TABLE raw_streams", "DROP TABLE raw_strings",
                """
                CREATE TABLE raw_envelopes (tenant_id INTEGER NOT NULL DEFAULT 1, id TEXT NOT NULL, source TEXT NOT NULL, kind TEXT NOT NULL,
                    device TEXT NOT NULL, token_id INTEGER NOT NULL, batch_id TEXT NOT NULL, received_at TEXT NOT NULL,
                    envelope TEXT NOT NULL, envelope_bytes INTEGER, locator_path TEXT, PRIMARY KEY (tenant_id, id))
                """,
                // Rowids with gaps (deleted rows): the watermarks count them, so they stay.
                """
                INSERT INTO raw_envelopes(rowid, tenant_id, id, source, kind, device, token_id, batch_id, received_at, envelope,
                                          envelope_bytes, locator_path)
                SELECT old_rowid * 7, tenant_id, id, source, kind, device, token_id, batch_id, received_at, envelope, envelope_bytes, locator_path
                FROM raw_envelopes_then
                """,
                "DROP TABLE raw_envelopes_then",
            ].map { SQLStatement($0) })
            #expect(try await store.query(SQLStatement("SELECT count(*) FROM raw_envelopes WHERE batch_id = 'batch-one' AND locator_path = $1",
                                                       [.text(Self.path)])).first?.first?.int == 5)
            try await sqlite.execute((RawStrings.schema + RawStreams.schema).map { SQLStatement($0) })  // migrations 29 and 30
            #expect(try await Self.names(store) == ["d-ada batch-one", "d-ada \(Self.path)", "d-bob batch-one", "d-bob \(Self.path)"])
            #expect(try await store.query(SQLStatement("SELECT count(*) FROM raw_envelopes WHERE batch_id = '' AND locator_path IS NULL AND \(RawCustody.path(.sqlite)) = $1",
                                                       [.text(Self.path)])).first?.first?.int == 5)
            #expect(try await Self.rows(store) == before.map { Row(($0.rowid * 7, $0.rest)) }, "every row, at its rowid, with its stream")
            #expect(try await store.query(SQLStatement("SELECT count(*) FROM raw_streams")).first?.first?.int == 2)
        }
    }

    /// A row of raw custody as the view shows it: its rowid and everything else.
    struct Row: Equatable {
        var rowid: Int
        var rest: String
        init(_ row: (Int, String)) { (rowid, rest) = row }
    }

    static func rows(_ store: any IngestStore) async throws -> [Row] {
        try await store.query(SQLStatement("""
            SELECT rowid, tenant_id || ' ' || id || ' ' || source || ' ' || kind || ' ' || device || ' ' || token_id || ' ' || received_at
                   || ' ' || hex(envelope) || ' ' || \(RawCustody.path(.sqlite))
            FROM raw_envelopes ORDER BY rowid
            """)).map { Row((Int($0[0].int ?? -1), $0[1].text ?? "")) }
    }

    /// Device, source and kind are kept once per stream (`RawStreams`): every read sees them
    /// on each row as before, a device's rows and a source's are found along an index, an
    /// insert into the view and a deletion from it reach the rows, and an erased device's
    /// stream goes with its rows.
    @Test func devicesSourcesAndKindsAreKeptOncePerStream() async throws {
        try await StoreKind.sqlite.withFreshStore { store in
            _ = try await store.insert((1...3).map { Self.envelope($0, device: "d-ada") } + (4...5).map { Self.envelope($0, device: "d-bob") },
                                       from: BatchOrigin(tokenID: 1, batchID: "batch-one"))
            let streams = try await store.query(SQLStatement("SELECT device || ' ' || source || ' ' || kind FROM raw_streams ORDER BY 1"))
            #expect(streams.compactMap { $0[0].text } == ["d-ada claude-code.transcripts claude-code.transcript",
                                                          "d-bob claude-code.transcripts claude-code.transcript"])
            #expect(try await store.query(SQLStatement("SELECT device, count(*) FROM raw_envelopes GROUP BY device ORDER BY 1"))
                .map { "\($0[0].text ?? "") \($0[1].int ?? 0)" } == ["d-ada 3", "d-bob 2"])
            let sqlite = try #require(store as? SQLiteStore)
            let plan = try await sqlite.query(SQLStatement("EXPLAIN QUERY PLAN SELECT id FROM raw_envelopes WHERE tenant_id = 1 AND device = 'd-ada'"))
                .compactMap { $0[3].text }.joined(separator: "; ")
            #expect(plan.contains("raw_envelope_rows_stream"), "a device's rows are found along the stream index: \(plan)")

            // Through the view: a row of a new stream, then a deletion.
            try await store.execute([SQLStatement("""
                INSERT INTO raw_envelopes(tenant_id, id, source, kind, device, token_id, batch_id, received_at, envelope)
                VALUES (1, 'e-by-hand', 'test.transcripts', 'test.transcript', 'd-cy', 1, 'b', '2026-12-07T10:00:00.000Z', '{}')
                """)])
            #expect(try await store.query(SQLStatement("SELECT source, device FROM raw_envelopes WHERE id = 'e-by-hand'"))
                .first.map { "\($0[0].text ?? "") \($0[1].text ?? "")" } == "test.transcripts d-cy")
            try await store.execute([SQLStatement("DELETE FROM raw_envelopes WHERE device = 'd-cy'")])
            #expect(try await store.query(SQLStatement("SELECT count(*) FROM raw_envelope_rows")).first?.first?.int == 5)

            _ = try await Erasure.erase(.device("d-bob"), tenant: Tenant.defaultID, requestedBy: "test", dryRun: false, in: store)
            #expect(try await store.query(SQLStatement("SELECT group_concat(device) FROM raw_streams")).first?.first?.text == "d-ada,d-cy")
            #expect(try await store.query(SQLStatement("SELECT count(*) FROM raw_envelope_rows")).first?.first?.int == 3)
            // The erased device's envelopes are refused if they come again.
            let again = try await store.insert((4...5).map { Self.envelope($0, device: "d-bob") }, from: BatchOrigin(tokenID: 1, batchID: "batch-three"))
            #expect(again.accepted == 0)
        }
    }
}
