import Foundation
import HummingbirdTesting
@testable import Access
@testable import Explorer
@testable import IngestCore
@testable import IngestStore
@testable import Normalization
import SensorTestSupport
import Testing

/// Numbers from outside never trap (probe F1, F2): token counts whose sums overflow Int64, and
/// every number of real transcripts made extreme, are normalised bounded; pages, offsets and
/// limits past any real list are answered, never a crash. A trap here ends the test process.
@Suite struct ExtremeNumberTests {
    static let extremes = ["9223372036854775807", "4611686018427387904", "-9223372036854775808", "1e308", "-1e308",
                           "18446744073709551615", "1e30", "5e18", "NaN"]

    /// A Claude Code assistant line whose counts each fit Int64 and whose sum does not (F1).
    static func overflowingUsage(session: String, message: String, input: String, output: String) -> String {
        #"{"type":"assistant","sessionId":"\#(session)","uuid":"u-\#(message)","timestamp":"2026-11-24T19:02:04.000Z","requestId":"req_\#(message)","message":{"id":"msg_\#(message)","role":"assistant","model":"claude-sonnet-4-5","content":[{"type":"text","text":"hello"}],"usage":{"input_tokens":\#(input),"output_tokens":\#(output),"cache_read_input_tokens":9223372036854775807,"cache_creation_input_tokens":9223372036854775807}}}"#
    }

    @Test(arguments: StoreKind.available)
    func tokenCountsWhoseSumOverflowsAreBoundedAndTheServerStaysUp(_ kind: StoreKind) async throws {
        try await TestServer.with(kind) { test in
            let lines = [
                Self.overflowingUsage(session: "s-1", message: "1", input: "4611686018427387904", output: "4611686018427387904"),
                Self.overflowingUsage(session: "s-1", message: "2", input: "5000000000000000000", output: "5000000000000000000"),
                Self.overflowingUsage(session: "s-2", message: "3", input: "9223372036854775807", output: "9223372036854775807"),
            ]
            let reader = try await SignedInReader.make(test)
            try await test.withRouterClient { client in
                let envelopes = lines.map { Envelopes.make(source: "claude-code.transcripts", kind: "claude-code.transcript", record: $0) }
                let answer = try await client.postBatch(Envelopes.batch(envelopes), token: test.token).answer()
                #expect(answer.accepted == 3)
            }
            try await test.server.normalizer.catchUp()
            _ = try await test.server.normalizer.reparse()  // on every start and on reparse, as the probe did
            try await test.withRouterClient { client in
                let usage = try await client.execute(uri: IngestServer.Paths.usage + "?group=tool", method: .get,
                                                     headers: [.authorization: "Bearer \(reader.token)"])
                #expect(usage.status == .ok)
                let buckets = try #require((try JSONSerialization.jsonObject(with: Data(buffer: usage.body)) as? [String: Any])?["usage"] as? [[String: Any]])
                let total = try #require((buckets.first?["tokens"] as? [String: Any])?["total"] as? Int64)
                // Three responses, each count held at 2^32: a total of 3 × 4 × 2^32.
                #expect(total == 3 * 4 * BoundedNumber.tokenLimit)
                for page in ["/", "/?days=all", "/sessions?sort=tokens", "/devices"] {
                    let response = try await reader.get(client, page)
                    #expect(response.status == .ok, "\(page)")
                }
            }
        }
    }

    @Test func sumsOfExtremeRowsSaturateInsteadOfTrapping() {
        #expect(Int64.max.addingSaturated(1) == .max)
        #expect(Int64.min.addingSaturated(-1) == .min)
        #expect(BoundedNumber.integer(1e30) == BoundedNumber.positionLimit)
        #expect(BoundedNumber.integer(.nan) == nil)
        #expect(BoundedNumber.integer(-.infinity, within: 0...10) == 0)
        #expect(BoundedNumber.cost(.infinity) == BoundedNumber.costLimit && BoundedNumber.cost(.nan) == nil)
        var row = UsageRow(key: "k", sessionKey: "s", source: "x")
        row.input = .max
        row.output = .max
        row.cacheRead = .min
        #expect(row.input == BoundedNumber.tokenLimit && row.cacheRead == 0 && row.total == 2 * BoundedNumber.tokenLimit)
        #expect(UsageChart.number(9.3e18) == "9300000000000000000" && UsageChart.niceCeiling(.infinity) == 1)
        #expect(DisplayFormat.duration(seconds: 1e300) != "" && DisplayFormat.duration(seconds: .nan) == "0s")
    }

    /// Every number in the real transcripts of eight tools replaced by an extreme one, each line
    /// its own envelope: normalising them (and reading them back) never traps; what a record
    /// cannot give is drift, the rest is stored within bounds.
    @Test func everyNumberOfRealTranscriptsMadeExtremeIsNormalisedWithoutATrap() async throws {
        let files: [(String, String, String)] = [
            ("claude/claude-code-log/representative_messages.jsonl", "claude-code.transcripts", "claude-code.transcript"),
            ("codex/agent-sessions/codex_051_usage.jsonl", "codex.rollouts", "codex.rollout"),
            ("codex/agent-sessions/codex_053_rate_limit.jsonl", "codex.rollouts", "codex.rollout"),
            ("gemini-cli/home-layout/.gemini/tmp/agent-sessions/chats/session-2026-04-29T21-39-gemini_s.jsonl", "gemini-cli.chats", "gemini-cli.chat"),
            ("copilot-cli/home-layout/.copilot/session-state/copilot_stage0_small/events.jsonl", "copilot-cli.events", "copilot-cli.events"),
            ("droid/home-layout/.factory/sessions/-tmp/droid_s1.jsonl", "droid.sessions", "droid.session"),
            ("openclaw/4geeks/agents/main/sessions/103d47df-5ad4-4d86-b2e5-98080dd2102a.jsonl", "openclaw.transcripts", "openclaw.transcript"),
            ("qwen-code/home-layout/.qwen/projects/-tmp-as-qwen-fixture-project/chats/019f0000-0000-7000-8000-000000000001.jsonl",
             "qwen-code.chats", "qwen-code.chat"),
        ]
        for (round, extreme) in Self.extremes.enumerated() where extreme != "NaN" {
            let harness = try await NormalizingHarness()
            for (index, (fixture, source, kind)) in files.enumerated() {
                let text = try String(contentsOf: NormalizingHarness.fixture(fixture), encoding: .utf8)
                let extremeText = Self.replacingNumbers(in: text, with: extreme)
                try await harness.ingestLines(extremeText, path: "~/.t/\(round)-\(index).jsonl", source: source, kind: kind)
            }
            try await harness.normalize()
            for tool in ["claude-code", "codex", "gemini-cli", "copilot-cli", "droid", "openclaw", "qwen-code"] {
                for session in try await harness.sessions(tool) {
                    #expect(session.tokens.total >= 0, "\(tool) with \(extreme)")
                    _ = try await harness.reader.session(id: session.id)
                }
            }
            _ = try await harness.reader.usage(group: ["day", "tool", "model"], filter: .init())
        }
    }

    /// `text` with every JSON number outside strings replaced by `number`.
    static func replacingNumbers(in text: String, with number: String) -> String {
        var output = ""
        var inString = false, escaped = false
        var index = text.startIndex
        while index < text.endIndex {
            let character = text[index]
            if inString {
                output.append(character)
                if escaped { escaped = false } else if character == "\\" { escaped = true } else if character == "\"" { inString = false }
                index = text.index(after: index)
            } else if character == "\"" {
                inString = true
                output.append(character)
                index = text.index(after: index)
            } else if character == "-" || character.isNumber {
                var end = text.index(after: index)
                while end < text.endIndex, "0123456789.eE+-".contains(text[end]) { end = text.index(after: end) }
                output += number
                index = end
            } else {
                output.append(character)
                index = text.index(after: index)
            }
        }
        return output
    }

    @Test(arguments: StoreKind.available)
    func pagesOffsetsAndLimitsPastAnyListAreAnsweredNotTrapped(_ kind: StoreKind) async throws {
        try await TestServer.with(kind) { test in
            let reader = try await SignedInReader.make(test)
            try await test.withRouterClient { client in
                for page in ["/sessions?page=200000000000000000", "/sessions?page=9223372036854775807", "/sessions?page=99999999999999999999999",
                             "/sessions?page=-9223372036854775808", "/sessions?page=abc", "/?days=9223372036854775807"] {
                    #expect(try await reader.get(client, page).status == .ok, "\(page)")
                }
                for query in ["offset=9223372036854775807", "offset=-1", "limit=9223372036854775807", "offset=1e9", "limit=0"] {
                    let response = try await client.execute(uri: IngestServer.Paths.sessions + "?" + query, method: .get,
                                                            headers: [.authorization: "Bearer \(reader.token)"])
                    #expect(response.status == .badRequest, "\(query)")
                }
                let search = try await client.execute(uri: IngestServer.Paths.search + "?q=x&limit=9223372036854775807", method: .get,
                                                      headers: [.authorization: "Bearer \(reader.token)"])
                #expect(search.status == .badRequest)
                let largest = try await client.execute(uri: IngestServer.Paths.sessions + "?offset=\(QueryNumber.maxOffset)&limit=1000",
                                                       method: .get, headers: [.authorization: "Bearer \(reader.token)"])
                #expect(largest.status == .ok)
            }
        }
    }
}
