import Foundation
import HTTPTypes
import HummingbirdTesting
import IngestCore
import IngestStore
import NIOCore
import SQLiteDB
import Testing

/// Retention with the clock moved: words past their window leave every table and the search
/// index, figures stay until theirs, a held person keeps everything, a reparse brings nothing
/// back, and ingest is answered while a pass runs.
@Suite struct RetentionTests {
    @Test(arguments: StoreKind.available)
    func wordsGoBeforeFiguresAndAHeldPersonKeepsBoth(_ kind: StoreKind) async throws {
        try await TestServer.with(kind) { test in
            let store = test.store
            let people = try await TwoPeople.make(test)
            let tenant = Tenant.defaultID
            try await Retention.set(RetentionPolicy(tenant: tenant, wordsDays: 30, figuresDays: 365), in: store)
            try await Retention.hold(tenant: tenant, kind: "person", target: people.bob.id, reason: "litigation 2026-17", in: store)
            let before = try await TwoPeople.dailySums(store)

            // Today nothing is past a window.
            let today = try #require(try await Retention.enforce(in: store).first)
            #expect(today == RetentionOutcome(tenant: tenant))

            // Sixty days on: Ada's conversations (last active 2026-12-01/02) lose their words, and every
            // envelope she sent (received today) goes; Bob is held.
            let later = Date().addingTimeInterval(60 * 86_400)
            let sixty = try #require(try await Retention.enforce(in: store, now: later).first)
            #expect(sixty.conversations == 4 && sixty.rawEnvelopes == 12 && sixty.usageRows == 0 && sixty.sessions == 0)
            if kind == .sqlite {
                // The file names, batch ids and streams of the envelopes that went, go with them.
                let named = try await store.query(SQLStatement("SELECT device FROM raw_strings UNION SELECT device FROM raw_streams"))
                    .compactMap { $0[0].text }
                #expect(named == [TwoPeople.bobDevice], "only the held device's names and streams stay: \(named)")
            }
            #expect(try await TwoPeople.mentions(of: [TwoPeople.adaWords], in: store).isEmpty)
            #expect(try await FullTextSearch(store: store).search(TwoPeople.adaWords, tenant: tenant, limit: 10).isEmpty)
            #expect(try await FullTextSearch(store: store).search(TwoPeople.bobWords, tenant: tenant, limit: 10).count >= 2)
            #expect(try await TwoPeople.dailySums(store) == before, "figures stay")
            // Ada's sessions are still listed with their figures, without their words.
            let messages = try await store.query(SQLStatement("""
                SELECT count(*), count(m.text) FROM norm_messages m JOIN norm_sessions s ON s.session_key = m.session_key WHERE s.device = $1
                """, [.text(TwoPeople.adaDevices[0])])).first
            #expect(messages?[0].int ?? 0 > 0 && messages?[1].int == 0)

            // A reparse from what raw custody still holds brings no word back and loses no figure.
            _ = try await test.server.normalizer.reparse()
            #expect(try await TwoPeople.dailySums(store) == before)
            #expect(try await TwoPeople.mentions(of: [TwoPeople.adaWords], in: store).isEmpty)
            #expect(try await FullTextSearch(store: store).search(TwoPeople.bobWords, tenant: tenant, limit: 10).count >= 2)
            // (The next pass looks at the kept conversations again, in case the reparse wrote words back; none are left.)
            let again = try #require(try await Retention.enforce(in: store, now: later).first)
            #expect(again.rawEnvelopes == 0 && again.usageRows == 0 && again.sessions == 0)
            #expect(try await TwoPeople.mentions(of: [TwoPeople.adaWords], in: store).isEmpty)

            // Four hundred days on, Ada's figures go too, and her sessions with them; Bob's stay.
            let status = try #require(try await Retention.status(in: store).first)
            #expect(status.holds.map(\.target) == [people.bob.id] && status.oldestFigure == "2026-12-01")
            let much = try #require(try await Retention.enforce(in: store, now: Date().addingTimeInterval(400 * 86_400)).first)
            #expect(much.usageRows == 4 && much.sessions == 4)
            let after = try await TwoPeople.dailySums(store)
            let tokensLeft: Double = after.values.map { $0[0] }.reduce(0, +)
            #expect(tokensLeft == 300 + 1000, "only Bob's tokens: \(after)")

            // The hold lifted, Bob's go the same way.
            #expect(try await Retention.release(tenant: tenant, kind: "person", target: people.bob.id, in: store))
            _ = try await Retention.enforce(in: store, now: Date().addingTimeInterval(400 * 86_400))
            #expect(try await TwoPeople.dailySums(store).isEmpty)
            #expect(try await TwoPeople.mentions(of: [TwoPeople.bobWords], in: store).isEmpty)
        }
    }

    /// A pass over many rows runs in short transactions: batches sent meanwhile are all stored.
    @Test(arguments: StoreKind.available)
    func ingestIsAnsweredWhileAPassRuns(_ kind: StoreKind) async throws {
        try await TestServer.with(kind) { test in
            let store = test.store
            try await test.withRouterClient { client in
                for batch in 0..<8 {
                    let records = (0..<40).flatMap { TwoPeople.conversation(device: "d-old", session: "b\(batch)-\($0)", words: "old", tokens: 50) }
                    let answer = try await client.postBatch(Envelopes.batch(records, device: "d-old"), token: test.token).answer()
                    #expect(answer.accepted == records.count)
                }
            }
            try await test.server.normalizer.catchUp()
            try await Retention.set(RetentionPolicy(tenant: Tenant.defaultID, wordsDays: 1), in: store)
            async let pass = Retention.enforce(in: store, now: Date().addingTimeInterval(30 * 86_400))
            var stored = 0
            try await test.withRouterClient { client in
                for batch in 0..<5 {
                    let records = TwoPeople.conversation(device: "d-old", session: "new-\(batch)", words: "fresh", tokens: 50)
                    let answer = try await client.postBatch(Envelopes.batch(records, device: "d-old"), token: test.token)
                    #expect(answer.status == .ok)
                }
            }
            let outcome = try #require(try await pass.first)
            #expect(outcome.conversations == 320 && outcome.rawEnvelopes >= 960)
            stored = Int(try await store.query(SQLStatement("SELECT count(*) FROM raw_envelopes")).first?.first?.int ?? 0)
            // Every envelope is either kept or counted as removed: the fresh ones are past the
            // window too (the clock moved 30 days), and go if the pass met them normalised (on
            // PostgreSQL with their whole month).
            #expect(stored + outcome.rawEnvelopes == 960 + 15)
        }
    }
}
