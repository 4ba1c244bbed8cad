import Foundation
@testable import IngestCore
@testable import IngestStore
@testable import Normalization
import PostgresNIO
import SQLiteDB
import Testing

/// PostgreSQL's raw custody by month received: retention drops a month whole (unless a hold, a
/// tenant without a window or an envelope not yet normalised keeps it), a query over a window
/// reads only its months, a repeat of a dropped envelope stays a repeat, and a store from before
/// the partitions keeps every envelope.
@Suite(.enabled(if: StoreKind.available.contains(.postgres)))
struct RawPartitionsTests {
    static func envelopes(_ count: Int, device: String) -> [ValidEnvelope] {
        (1...count).map { n in
            let id = Envelopes.randomID()
            let record = PoisonRecordTests.claudeLine("s-\(device)-\(n % 7)", n, text: #""line \#(n)""#)
            return ValidEnvelope(id: id, source: "claude-code.transcripts", kind: "claude-code.transcript", device: device,
                                 json: Envelopes.make(id: id, source: "claude-code.transcripts", kind: "claude-code.transcript",
                                                      device: device, record: record))
        }
    }

    static func count(_ sql: String, _ store: any IngestStore) async throws -> Int64 {
        try await store.query(SQLStatement(sql)).first?.first?.int ?? -1
    }

    /// Moves a device's envelopes back in time to `month` (made first, as the server makes them).
    static func age(device: String, to day: String, _ store: any IngestStore) async throws {
        try await store.execute([SQLStatement("SELECT raw_envelopes_month(date_trunc('month', CAST($1 AS DATE))::date)", [.text(day)]),
                                 SQLStatement("UPDATE raw_envelopes SET received_at = CAST($1 AS TIMESTAMPTZ) WHERE device = $2",
                                              [.text(day + " 12:00:00+00"), .text(device)])])
    }

    @Test func retentionDropsAWholeMonthUnlessSomethingInItMustStay() async throws {
        try await StoreKind.postgres.withFreshStore { store in
            let old = Self.envelopes(300, device: "old-laptop")
            let held = Self.envelopes(200, device: "held-laptop")
            let fresh = Self.envelopes(100, device: "new-laptop")
            for batch in [old, held, fresh] { _ = try await store.insert(batch, from: BatchOrigin(tokenID: 1, batchID: Envelopes.randomID())) }
            try await Self.age(device: "old-laptop", to: "2025-01-15", store)
            try await Self.age(device: "held-laptop", to: "2025-02-15", store)
            #expect(try await Self.count("SELECT count(*) FROM raw_envelopes_2025_01", store) == 300)
            #expect(try await Self.count("SELECT count(*) FROM raw_envelopes_2025_02", store) == 200)

            // A query over a window reads only its months.
            let plan = try await store.query(SQLStatement("EXPLAIN SELECT count(*) FROM raw_envelopes WHERE received_at >= now() - interval '7 days'"))
                .compactMap { $0.first?.text }.joined(separator: "\n")
            #expect(!plan.contains("raw_envelopes_2025_01") && !plan.contains("raw_envelopes_2025_02"), "\(plan)")
            #expect(plan.contains("raw_envelopes_20"), "the current month is read: \(plan)")

            // Not normalised yet: nothing goes.
            try await Retention.set(RetentionPolicy(tenant: Tenant.defaultID, wordsDays: 90), in: store)
            #expect(try await Retention.enforce(in: store).first?.rawEnvelopes == 0)
            #expect(try await Self.count("SELECT count(*) FROM raw_envelopes", store) == 600)

            try await Normalizer(store: store).catchUp()
            let person = try await PeopleDirectory.upsert(.init(email: "held@example.com"), origin: "admin", tenant: Tenant.defaultID, in: store)
            try await store.execute([PeopleDirectory.link(device: "held-laptop", to: person.id, by: .admin, tenant: Tenant.defaultID)])
            try await Retention.hold(tenant: Tenant.defaultID, kind: "person", target: person.id, reason: "litigation", in: store)
            let outcome = try #require(try await Retention.enforce(in: store).first)
            #expect(outcome.rawEnvelopes == 300)
            let months = try await RawPartitions.months(in: store).map(\.table)
            #expect(!months.contains("raw_envelopes_2025_01"), "the old month is dropped whole")
            #expect(months.contains("raw_envelopes_2025_02"), "the held person's month stays")
            #expect(try await Self.count("SELECT count(*) FROM raw_envelopes", store) == 300)

            // A repeat of a dropped envelope is still a repeat: nothing is stored again.
            let again = try await store.insert(Array(old.prefix(50)), from: BatchOrigin(tokenID: 1, batchID: Envelopes.randomID()))
            #expect(again.accepted == 0 && again.duplicates == 50)

            // The hold lifted, the month goes too; this month's envelopes stay.
            #expect(try await Retention.release(tenant: Tenant.defaultID, kind: "person", target: person.id, in: store))
            #expect(try await Retention.enforce(in: store).first?.rawEnvelopes == 200)
            #expect(try await Self.count("SELECT count(*) FROM raw_envelopes", store) == 100)
        }
    }

    @Test func anEnvelopeOfAMonthNotMadeYetIsMovedIntoItWhenItIsMade() async throws {
        try await StoreKind.postgres.withFreshStore { store in
            _ = try await store.insert(Self.envelopes(5, device: "far"), from: BatchOrigin(tokenID: 1, batchID: "b"))
            try await store.execute([SQLStatement("UPDATE raw_envelopes SET received_at = '2031-05-10 08:00:00+00' WHERE device = 'far'")])
            #expect(try await Self.count("SELECT count(*) FROM raw_envelopes_default", store) == 5)
            try await store.execute([SQLStatement("SELECT raw_envelopes_month('2031-05-01')")])
            #expect(try await Self.count("SELECT count(*) FROM raw_envelopes_default", store) == 0)
            #expect(try await Self.count("SELECT count(*) FROM raw_envelopes_2031_05", store) == 5)
            #expect(try await Self.count("SELECT count(DISTINCT lane) FROM raw_envelopes_2031_05", store) == 1)
        }
    }

    @Test func aStoreFromBeforeThePartitionsKeepsEveryEnvelopeAndItsLane() async throws {
        try await StoreKind.postgres.withFreshLocation { location in
            guard case .postgres(let url) = location else { return }
            // The schema as it was (every migration before the partitions), and envelopes in it.
            let before = Migrations.postgres.filter { $0.version < 20 }
            try await StoreKind.withAdmin(url) { client in
                try await client.query("CREATE TABLE schema_migrations (version INT PRIMARY KEY, applied_at TIMESTAMPTZ NOT NULL DEFAULT now())")
                for migration in before {
                    for statement in migration.statements { try await client.query(PostgresQuery(unsafeSQL: statement)) }
                    try await client.query("INSERT INTO schema_migrations(version) VALUES (\(migration.version))")
                }
                try await client.query("""
                    INSERT INTO raw_envelopes(tenant_id, id, source, kind, device, token_id, batch_id, received_at, envelope)
                    SELECT 1, 'id-' || n, 'test.transcripts', 'test.transcript', 'dev-' || (n % 5), 1, 'b',
                           timestamptz '2026-03-05 10:00:00+00' + n * interval '1 day', '{"n":' || n || '}'
                    FROM generate_series(1, 400) AS n
                    """)
                try await client.query("INSERT INTO erased_envelopes(tenant_id, id) VALUES (1, 'erased-1')")
                try await client.query("UPDATE norm_progress SET last_seq = 250")
            }
            try await location.withTestStore { store in
                #expect(try await Self.count("SELECT count(*) FROM raw_envelopes", store) == 400)
                #expect(try await Self.count("SELECT count(*) FROM raw_ids", store) == 401)
                #expect(try await Self.count("SELECT count(*) FROM raw_envelopes_default", store) == 0)
                #expect(try await Self.count("SELECT count(*) FROM raw_envelopes_2026_03", store) == 26)  // 6 to 31 March
                #expect(try await Self.count("SELECT max(seq) FROM raw_envelopes", store) == 400)
                #expect(try await Self.count("SELECT count(*) FROM norm_progress WHERE last_seq = 250", store) == 16)
                // New envelopes number on from the old ones; an erased id is a repeat.
                let erased = ValidEnvelope(id: "erased-1", source: "test.transcripts", kind: "test.transcript", device: "dev-1",
                                           json: Envelopes.make(id: "erased-1", device: "dev-1"))
                let outcome = try await store.insert(Self.envelopes(3, device: "dev-9") + [erased], from: BatchOrigin(tokenID: 1, batchID: "c"))
                #expect(outcome.accepted == 3 && outcome.duplicates == 1)
                #expect(try await Self.count("SELECT min(seq) FROM raw_envelopes WHERE device = 'dev-9'", store) == 401)
                let dump = try await RawCustodyTests.dump(store)
                #expect(dump.count == 403 && dump["id-17"] == #"{"n":17}"#)
            }
        }
    }
}
