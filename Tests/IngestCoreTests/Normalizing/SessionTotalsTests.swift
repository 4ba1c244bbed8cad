import Foundation
@testable import Explorer
@testable import IngestCore
@testable import IngestStore
@testable import Normalization
import SQLiteDB
import Testing

/// Each session's totals (messages, tokens, cost) kept by triggers equal what its rows add up
/// to, through every way rows change: normalising, a new estimate, a session erased, a reparse;
/// the tenant and start each carries are its session's (the overview counts sessions by them);
/// and the sessions list sorted by them is the order the rows give.
@Suite struct SessionTotalsTests {
    struct Totals: Equatable, CustomStringConvertible {
        var messages: Int64 = 0, tokens: Int64 = 0, cost: Double = 0
        static func == (a: Self, b: Self) -> Bool {
            a.messages == b.messages && a.tokens == b.tokens && abs(a.cost - b.cost) < 1e-6
        }
        var description: String { "\(messages) messages, \(tokens) tokens, $\(cost)" }
    }

    /// What the rows add up to, per session.
    static func counted(_ store: any IngestStore) async throws -> [String: Totals] {
        var totals: [String: Totals] = [:]
        for row in try await store.query(SQLStatement("SELECT session_key, count(*) FROM norm_messages GROUP BY session_key")) {
            totals[row[0].text ?? "", default: Totals()].messages = row[1].int ?? 0
        }
        for row in try await store.query(SQLStatement("""
            SELECT session_key, CAST(sum(total_tokens) AS BIGINT), sum(coalesce(cost, estimated_cost, 0)) FROM norm_usage GROUP BY session_key
            """)) {
            totals[row[0].text ?? "", default: Totals()].tokens = row[1].int ?? 0
            totals[row[0].text ?? "", default: Totals()].cost = row[2].double ?? 0
        }
        return totals
    }

    /// What the totals table says, sessions with nothing left out.
    static func kept(_ store: any IngestStore) async throws -> [String: Totals] {
        var totals: [String: Totals] = [:]
        for row in try await store.query(SQLStatement("SELECT session_key, messages, tokens, cost FROM norm_session_totals")) {
            let value = Totals(messages: row[1].int ?? 0, tokens: row[2].int ?? 0, cost: row[3].double ?? 0)
            if value != Totals() { totals[row[0].text ?? ""] = value }
        }
        return totals
    }

    /// Totals rows with messages whose tenant, start, device, tool or last activity is not their
    /// session's, and whether the overview's count (the totals alone) is the count of sessions
    /// holding messages (the join).
    static func facetsHold(_ store: any IngestStore, _ moment: Comment) async throws {
        let differs = SessionTotals.facets.map { "t.\($0) IS DISTINCT FROM s.\($0)" }.joined(separator: " OR ")
        let wrong = try await store.query(SQLStatement("""
            SELECT t.session_key FROM norm_session_totals t JOIN norm_sessions s ON s.session_key = t.session_key
            WHERE t.messages > 0 AND (\(differs))
            """))
        #expect(wrong.isEmpty, moment)
        for since in ["", "2026-11-24T19:02:30"] {
            let joined = try await store.query(SQLStatement("""
                SELECT count(*) FROM norm_sessions s WHERE coalesce(s.started_at, '') >= $1 AND \(NormalizedReader.holdsMessages)
                """, [.text(since)])).first?.first?.int ?? -1
            let counted = try await ExplorerQueries(store: store).totals(tenant: Tenant.defaultID, since: since).sessions
            #expect(counted == joined, moment)
        }
    }

    @Test(arguments: StoreKind.available)
    func eachSessionsTotalsEqualItsRowsThroughEveryChange(_ kind: StoreKind) async throws {
        try await kind.withFreshStore { store in
            let envelopes = try NormalizationLanesTests.fleet(devices: 3, linesPerDevice: 500)
            try await RawCustodyTests.insert(envelopes, into: store)
            let normalizer = Normalizer(store: store, chunkSize: 200)
            try await NormalizationLanesTests.drain([normalizer], store, within: 120)

            let first = try await Self.counted(store)
            #expect(first.count >= 3 && first.values.contains { $0.tokens > 0 && $0.cost > 0 }, "sessions with messages and priced usage")
            #expect(try await Self.kept(store) == first, "as normalised")
            try await Self.facetsHold(store, "as normalised")

            // A session starting earlier (an older line arrived): its totals row follows.
            let moved = try #require(first.keys.sorted().last)
            try await store.execute([SQLStatement("UPDATE norm_sessions SET started_at = '2026-11-01T00:00:00Z' WHERE session_key = $1", [.text(moved)])])
            try await Self.facetsHold(store, "after a session's start moved")
            try await store.execute([SQLStatement("UPDATE norm_sessions SET ended_at = '2026-12-31T00:00:00Z', tool = 'other' WHERE session_key = $1",
                                                  [.text(moved)])])
            try await Self.facetsHold(store, "after a session's last activity and tool changed")

            // A new price: every estimate changes in one statement.
            try await store.execute([SQLStatement("UPDATE norm_usage SET estimated_cost = coalesce(estimated_cost, 0) * 2 + 0.001")])
            #expect(try await Self.kept(store) == Self.counted(store), "after new estimates")

            // One session erased.
            let erased = try #require(first.keys.sorted().first)
            try await store.execute(Erasure.deleteSession(erased))
            #expect(try await Self.kept(store) == Self.counted(store), "after an erasure")
            #expect(try await store.query(SQLStatement("SELECT 1 FROM norm_session_totals WHERE session_key = $1", [.text(erased)])).isEmpty)

            // Everything normalised again: the totals are the first ones.
            _ = try await normalizer.reparse()
            #expect(try await Self.kept(store) == first, "after a reparse")
            try await Self.facetsHold(store, "after a reparse")

            // The lists sort and filter by them: most tokens first, as the rows order them.
            let expected = first.filter { $0.value.messages > 0 }
                .sorted { $0.value.tokens != $1.value.tokens ? $0.value.tokens > $1.value.tokens : $0.key < $1.key }.map(\.key)
            let listed = try await NormalizedReader(store: store).sessions(NormalizedReader.Filter(), limit: 1_000, order: .tokens)
            #expect(listed.sessions.map(\.id) == expected)
            let byMessages = try await NormalizedReader(store: store).sessions(NormalizedReader.Filter(), limit: 1_000, order: .messages)
            #expect(byMessages.sessions.map { first[$0.id]?.messages ?? -1 } == expected.map { first[$0]!.messages }.sorted(by: >))
        }
    }
}
