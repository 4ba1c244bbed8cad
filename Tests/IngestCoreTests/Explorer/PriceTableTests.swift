import Foundation
@testable import Access
@testable import Explorer
@testable import IngestCore
@testable import IngestStore
@testable import Normalization
import Testing

/// The price table: names as tools record them find their model, periods apply by date, long
/// prompts take the higher rates, an operator's file overrides, and a bad file is refused with
/// where and why.
@Suite struct PriceTableTests {
    let table = PriceTable.builtIn

    @Test func modelNamesAsToolsWriteThemFindTheirPrices() throws {
        let sonnet = try #require(table.prices(model: "claude-sonnet-4-5"))
        #expect(sonnet.input == 3 && sonnet.output == 15 && sonnet.cacheRead == 0.3 && sonnet.cacheWrite == 3.75)
        for alias in ["claude-sonnet-4-5-20250929", "Claude-Sonnet-4-5", "anthropic/claude-sonnet-4-5", "openrouter/anthropic/claude-sonnet-4-5",
                      "eu.anthropic.claude-sonnet-4-5-20250929-v7:0", "jp.anthropic.claude-sonnet-4-5@20250929"] {
            #expect(table.prices(model: alias)?.input == sonnet.input, "\(alias)")
        }
        // A name the table holds as it is keeps its own price (Bedrock's regional endpoints cost 10% more).
        #expect(table.prices(model: "us.anthropic.claude-sonnet-4-5-20250929-v1:0")?.input == 3.3)
        #expect(table.prices(model: "gpt-5")?.output == 10)
        #expect(table.prices(model: "no-such-model-anywhere") == nil)
        #expect(table.cost(model: nil, at: nil, tokens: .init(input: 1, output: 1, cacheRead: 0, cacheWrite: 0)) == nil)
    }

    @Test func costIsEachTokenKindAtItsRate() throws {
        // 1,000 in at $3, 500 out at $15, 2,000 cache reads at $0.30, 100 cache writes at $3.75 per million.
        let cost = try #require(table.cost(model: "claude-sonnet-4-5", at: "2026-01-01T00:00:00Z",
                                           tokens: .init(input: 1000, output: 500, cacheRead: 2000, cacheWrite: 100)))
        #expect(abs(cost - 0.011475) < 1e-12)
    }

    @Test func promptsOverTwoHundredThousandTokensTakeTheHigherRates() throws {
        let model = "claude-sonnet-4-20250514"
        let prices = try #require(table.prices(model: model))
        let high = try #require(prices.inputAbove200k)
        let small = try #require(table.cost(model: model, at: nil, tokens: .init(input: 200_000, output: 0, cacheRead: 0, cacheWrite: 0)))
        let large = try #require(table.cost(model: model, at: nil, tokens: .init(input: 200_001, output: 0, cacheRead: 0, cacheWrite: 0)))
        #expect(abs(small - 200_000 * prices.input / 1e6) < 1e-9)
        #expect(abs(large - 200_001 * high / 1e6) < 1e-9)
    }

    @Test func anOperatorsFileOverridesByModelAndDate() throws {
        let file = """
            {"models": {"claude-sonnet-4-5": [{"input": 2, "output": 10}, {"since": "2026-06-01", "input": 1, "output": 5}],
                        "in-house-model": {"input": 0.5, "output": 1}},
             "aliases": {"house": "in-house-model"}}
            """
        let overlaid = table.overlaid(with: try PriceTable(json: Data(file.utf8), origin: "prices.json"))
        #expect(overlaid.prices(model: "claude-sonnet-4-5", at: "2026-05-31T23:59:59Z")?.input == 2)
        #expect(overlaid.prices(model: "claude-sonnet-4-5", at: "2026-06-01T00:00:00Z")?.input == 1)
        #expect(overlaid.prices(model: "claude-sonnet-4-5-20250929", at: "2027-01-01")?.output == 5)
        #expect(overlaid.prices(model: "house")?.output == 1)
        #expect(overlaid.prices(model: "gpt-5")?.output == 10, "models the file does not name keep the built-in prices")
        #expect(overlaid.fingerprint != table.fingerprint)
    }

    @Test func aBadFileIsRefusedWithWhereAndWhy() {
        #expect(throws: PriceTableError.self) { try PriceTable(json: Data("{\"models\": 3}".utf8), origin: "p.json") }
        do {
            _ = try PriceTable(json: Data(#"{"models": {"m": {"input": "cheap", "output": 1}}}"#.utf8), origin: "p.json")
            Issue.record("a price given as text was accepted")
        } catch {
            #expect("\(error)".hasPrefix("p.json: models.m.input"), "\(error)")
        }
    }
}
