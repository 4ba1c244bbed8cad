import Foundation
@testable import Access
@testable import Explorer
@testable import IngestCore
@testable import IngestStore
@testable import Normalization
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

    /// A tool whose usage rows name no model and whose session's model comes in a record of
    /// its own (as Cursor's bubbles and composers): its rows are priced with the session's
    /// model whether it came before them, after them or in the same step, so a running server
    /// and a reparse give the same estimates.
    @Test(arguments: StoreKind.available)
    func usageWithoutAModelIsPricedWithItsSessionsModelWhicheverStepBroughtIt(_ kind: StoreKind) async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("tally-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        try """
            kinds: [tally.turn, tally.meta]
            session:
              id: session
            rules:
              - kinds: [tally.meta]
                session:
                  model: model
              - kinds: [tally.turn]
                timestamp: at
                message:
                  id: id
                  role: {value: assistant}
                  text: text
                usage:
                  - input: in
                    output: out
            """.write(to: folder.appendingPathComponent("tally.yaml"), atomically: true, encoding: .utf8)
        let (registry, problems) = NormalizerRegistry.loading(directory: folder)
        #expect(problems.isEmpty, "\(problems)")
        func envelope(_ n: Int, kind: String, _ record: String) -> ValidEnvelope {
            let id = String(repeating: "0", count: 31) + String(n)
            return ValidEnvelope(id: id, source: "tally.sessions", kind: kind, device: "d-test", json: """
                {"schema_version":1,"id":"\(id)","source":"tally.sessions","kind":"\(kind)","device":"d-test","sensor":"0.1.0",\
                "collected_at":"2026-11-24T19:02:03.120Z","locator":{"path":"~/.tally/s.jsonl","file_id":"f1","offset":\(n * 100),\
                "length":99},"encoding":"json","record":\(record)}
                """)
        }
        let turn = { (n: Int) in
            envelope(n, kind: "tally.turn", #"{"session":"s","id":"t\#(n)","at":"2026-11-24T19:0\#(n):00.000Z","text":"ok","in":1000,"out":1000}"#)
        }
        let steps = [turn(1), envelope(2, kind: "tally.meta", #"{"session":"s","model":"claude-sonnet-4-5"}"#), turn(3)]
        try await kind.withFreshStore { store in
            let normalizer = Normalizer(store: store, registry: registry)
            for (n, step) in steps.enumerated() {  // a running server: one step each
                _ = try await store.insert([step], from: BatchOrigin(tokenID: 1, batchID: "b\(n)"))
                _ = try await normalizer.catchUp()
            }
            let estimates = SQLStatement("SELECT usage_key, estimated_cost FROM norm_usage ORDER BY usage_key")
            let incremental = try await store.query(estimates)
            #expect(incremental.count == 2)
            // Claude Sonnet 4.5: $3 in and $15 out per million tokens.
            for row in incremental { #expect(abs((row[1].double ?? 0) - 0.018) < 1e-9, "\(row)") }
            _ = try await normalizer.reparse()  // all three in one step
            #expect(try await store.query(estimates).map { $0.map(\.double) } == incremental.map { $0.map(\.double) })
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
