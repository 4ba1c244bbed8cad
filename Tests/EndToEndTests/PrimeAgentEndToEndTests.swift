import Foundation
import SensorTestSupport
import Testing

/// Prime Agent, built from its documented session format (prime-agent's
/// packages/coding-agent/docs/session-format.md): Pi's lines, flat in the sessions folder, the
/// file's name not the session's. Pi's mapping reads them with one rule of Prime's own laid
/// over it (`read_as` with `rules`): `child_usage_attributed` gives an answer's aggregate usage
/// once its sub-agents' work is folded in, and the answer's row takes the last (largest) one,
/// keeping its model, whether it arrives in the answer's batch or a later one. The sub-agents'
/// own transcripts in `session-artifacts/` are not read, so their spend counts once.
@Suite struct PrimeAgentEndToEndTests {
    static let sessionID = "019c1234-5678-7abc-8def-0123456789ab"

    static func usage(_ input: Int, _ output: Int, _ cacheRead: Int, _ cacheWrite: Int, cost: Double) -> String {
        #"{"input":\#(input),"output":\#(output),"cacheRead":\#(cacheRead),"cacheWrite":\#(cacheWrite),"totalTokens":\#(input + output + cacheRead + cacheWrite),"cost":{"input":0,"output":0,"cacheRead":0,"cacheWrite":0,"total":\#(cost)}}"#
    }

    static let first = [
        #"{"type":"session","version":3,"id":"\#(sessionID)","timestamp":"2026-12-05T10:00:00.000Z","cwd":"/home/me/scheduler"}"#,
        #"{"type":"session_info","id":"i1","parentId":null,"timestamp":"2026-12-05T10:00:01.000Z","name":"Investigate the scheduler"}"#,
        #"{"type":"message","id":"u1","parentId":"i1","timestamp":"2026-12-05T10:00:02.000Z","message":{"role":"user","content":"Why does the scheduler skip jobs?"}}"#,
        #"{"type":"message","id":"a1","parentId":"u1","timestamp":"2026-12-05T10:00:03.000Z","message":{"role":"assistant","content":[{"type":"text","text":"Two reviewers will look."},{"type":"toolCall","id":"c1","name":"rlm","arguments":{"code":"await rlm('review the queue')"}}],"provider":"prime-inference","model":"intellect-3","usage":\#(usage(100, 10, 1000, 50, cost: 0.002)),"stopReason":"toolUse"}}"#,
        #"{"type":"message","id":"r1","parentId":"a1","timestamp":"2026-12-05T10:00:09.000Z","message":{"role":"toolResult","toolCallId":"c1","toolName":"rlm","content":[{"type":"text","text":"queue reviewed"}],"isError":false}}"#,
        // The first sub-agent's work folded into the answer, in the same scan.
        #"{"type":"child_usage_attributed","id":"cu1","parentId":"r1","timestamp":"2026-12-05T10:00:10.000Z","targetId":"a1","childUsage":\#(usage(40, 20, 400, 0, cost: 0.001)),"aggregateUsage":\#(usage(140, 30, 1400, 50, cost: 0.003))}"#,
    ]

    /// The second sub-agent, finished after the first scan: the aggregate in a later batch.
    static let more = [
        #"{"type":"child_usage_attributed","id":"cu2","parentId":"cu1","timestamp":"2026-12-05T10:01:00.000Z","targetId":"a1","childUsage":\#(usage(60, 5, 600, 10, cost: 0.0015)),"aggregateUsage":\#(usage(200, 35, 2000, 60, cost: 0.0045))}"#,
        #"{"type":"message","id":"a2","parentId":"cu2","timestamp":"2026-12-05T10:01:01.000Z","message":{"role":"assistant","content":[{"type":"text","text":"The lock expires before the job runs."}],"provider":"prime-inference","model":"intellect-3","usage":\#(usage(20, 8, 2100, 0, cost: 0.0005)),"stopReason":"stop"}}"#,
    ]

    @Test(arguments: SensorIntoIngestTests.databases)
    func attributedUsageReplacesTheAnswersOwnAndCountsOnce(_ kind: String) async throws {
        let scratch = ScratchHome("prime-agent")
        defer { scratch.remove() }
        let home = scratch.home, work = scratch.work
        // The file's name is not the session's id (Prime allocates it first).
        let file = try scratch.writeLines(Self.first, to: ".prime/agent/sessions/019c1111-file.jsonl")
        // A sub-agent's own transcript: its usage is in the parent's aggregate already.
        try scratch.writeLines([#"{"type":"session","version":3,"id":"child","timestamp":"2026-12-05T10:00:04.000Z","cwd":"/home/me/scheduler"}"#],
                               to: ".prime/agent/session-artifacts/\(Self.sessionID)/sub-0a1b2c3d/child.jsonl")

        #expect(try await DocumentedToolRun.matchedFiles(source: "prime-agent.sessions", home: home) == 1)
        let server = try await scratch.server(kind)
        defer { server.stop() }
        #expect(try await DocumentedToolRun.scanTwice(home: home, work: work, into: server, source: "prime-agent.sessions") == 6)
        func session() async throws -> [String: Any] {
            let listed = try await NormalizationEndToEndTests.allSessions(server).filter { $0["tool"] as? String == "prime-agent" }
            #expect(listed.count == 1, "\(listed)")
            return try #require(listed.first)
        }
        var tokens = try #require(try await session()["tokens"] as? [String: Any])
        #expect(tokens["input"] as? Int == 140 && tokens["output"] as? Int == 30, "the first aggregate, not added to the answer's own: \(tokens)")

        try DocumentedToolRun.appendLines(Self.more, to: file)
        #expect(try await DocumentedToolRun.scanTwice(home: home, work: work, into: server, source: "prime-agent.sessions") == 8)

        let listed = try await session()
        #expect(listed["native_id"] as? String == Self.sessionID, "the header names the session, not the file: \(listed)")
        #expect(listed["title"] as? String == "Investigate the scheduler")
        #expect(listed["project"] as? String == "/home/me/scheduler")
        tokens = try #require(listed["tokens"] as? [String: Any])
        #expect(tokens["input"] as? Int == 220 && tokens["output"] as? Int == 43, "\(tokens)")
        #expect(tokens["cache_read"] as? Int == 4100 && tokens["cache_write"] as? Int == 60, "\(tokens)")
        #expect(abs((tokens["cost"] as? Double ?? 0) - 0.005) < 1e-9, "the last aggregate's cost and the second answer's: \(tokens)")

        let detail = try #require(try await NormalizationEndToEndTests.get(server, "/api/v1/sessions/\(listed["id"] as! String)") as? [String: Any])
        let usage = try #require(detail["usage"] as? [[String: Any]])
        #expect(usage.count == 2, "one row an answer: \(usage)")
        #expect(usage.allSatisfy { $0["model"] as? String == "intellect-3" }, "the answer's model stays on its amended row: \(usage)")
        let messages = try #require(detail["messages"] as? [[String: Any]])
        #expect(messages.first?["text"] as? String == "Why does the scheduler skip jobs?")
        #expect((detail["tool_calls"] as? [[String: Any]])?.first?["result"] as? String == "queue reviewed")
    }
}
