import Foundation
@testable import IngestCore
import Testing

/// Estimated costs follow the price table: rows normalised before a price change are re-priced
/// once when the server starts with the new table; recorded costs are never touched.
@Suite struct CostEstimatesTests {
    static func assistant(_ session: String, _ n: Int, model: String) -> String {
        #"{"type":"assistant","sessionId":"\#(session)","uuid":"a-\#(n)","requestId":"r-\#(n)","timestamp":"2026-11-24T19:02:\#(String(format: "%02d", n)).000Z","cwd":"/home/me/app","message":{"id":"m-\#(n)","role":"assistant","model":"\#(model)","content":[{"type":"text","text":"done \#(n)"}],"usage":{"input_tokens":1000,"output_tokens":1000,"cache_read_input_tokens":0,"cache_creation_input_tokens":0}}}"#
    }

    @Test(arguments: StoreKind.available)
    func aChangedTableRepricesWhatIsStored(_ kind: StoreKind) async throws {
        try await kind.withFreshStore { store in
            let envelopes = (1...2500).map { n in
                PoisonRecordTests.envelope(n, record: Self.assistant("s-\(n % 7)", n, model: n % 2 == 0 ? "claude-sonnet-4-5" : "house-model"))
            }
            _ = try await store.insert(envelopes, from: BatchOrigin(tokenID: 1, batchID: "b1"))
            let builtIn = PriceTable.builtIn
            _ = try await Normalizer(store: store, prices: builtIn).catchUp()
            func total() async throws -> (cost: Double, priced: Int64) {
                let row = try #require(try await store.query(SQLStatement(
                    "SELECT sum(estimated_cost), count(estimated_cost) FROM norm_usage")).first)
                return (row[0].double ?? 0, row[1].int ?? 0)
            }
            // Built in: Sonnet 4.5 at $3 in and $15 out per million; the in-house model has no price.
            var now = try await total()
            #expect(now.priced == 1250)
            #expect(abs(now.cost - 1250 * 0.018) < 1e-6)
            let estimates = CostEstimates(store: store, prices: builtIn)
            #expect(try await estimates.refreshIfStale(logger: .quiet) == 2500, "the first start records the table's fingerprint")
            #expect(try await estimates.refreshIfStale(logger: .quiet) == 0, "an unchanged table costs one query")

            let file = #"{"models": {"house-model": {"input": 1, "output": 2}, "claude-sonnet-4-5": {"input": 6, "output": 30}}}"#
            let operatorTable = builtIn.overlaid(with: try PriceTable(json: Data(file.utf8), origin: "prices.json"))
            #expect(try await CostEstimates(store: store, prices: operatorTable).refreshIfStale(logger: .quiet) == 2500)
            now = try await total()
            #expect(now.priced == 2500)
            #expect(abs(now.cost - (1250 * 0.036 + 1250 * 0.003)) < 1e-6)
            try await Self.expectDailySumsMatch(store)

            // A reparse deletes and writes every row again: the sums by day follow.
            _ = try await Normalizer(store: store, prices: operatorTable).reparse()
            try await Self.expectDailySumsMatch(store)
            _ = try await Normalizer(store: store, prices: operatorTable).reparse(source: "claude-code.transcripts")
            try await Self.expectDailySumsMatch(store)
        }
    }

    /// `norm_usage_by_day`, kept by triggers, says what summing `norm_usage` says.
    static func expectDailySumsMatch(_ store: any IngestStore) async throws {
        let rows = try await store.query(SQLStatement("""
            SELECT coalesce(substr(created_at, 1, 10), ''), CAST(sum(total_tokens) AS BIGINT), sum(coalesce(cost, estimated_cost, 0)), count(*)
            FROM norm_usage GROUP BY 1 ORDER BY 1
            """))
        let daily = try await store.query(SQLStatement(
            "SELECT day, CAST(sum(tokens) AS BIGINT), sum(cost), CAST(sum(rows) AS BIGINT) FROM norm_usage_by_day WHERE rows > 0 GROUP BY 1 ORDER BY 1"))
        #expect(rows.count == daily.count && rows.count > 0)
        for (left, right) in zip(rows, daily) {
            #expect(left[0].text == right[0].text && left[1].int == right[1].int && left[3].int == right[3].int)
            #expect(abs((left[2].double ?? 0) - (right[2].double ?? 0)) < 1e-6)
        }
    }
}
