import Foundation
import Access
import Explorer
import IngestCore
import IngestStore
import Normalization
import Testing

/// The dedupe and linking rules of each tool's normaliser, on the real fixtures (and, where
/// no real file exists, on records shaped as formats.md shows them).
@Suite struct NormalizerRuleTests {
    static let spotter = "claude/marot-spotter/projects/-home-USER-projects-spotter-worktrees-spotter-dov/4d5611e5-241a-462a-8d15-5122611a9569"

    static func jsonLines(_ fixture: String) throws -> [[String: Any]] {
        try String(contentsOf: NormalizingHarness.fixture(fixture), encoding: .utf8).split(separator: "\n")
            .compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
    }

    @Test func claudeStreamedResponsesCountOnceWithTheirFinalUsage() async throws {
        let harness = try await NormalizingHarness()
        try await harness.ingestFile(Self.spotter + ".jsonl", path: "~/.claude/projects/p/4d5611e5.jsonl",
                                     source: "claude-code.transcripts", kind: "claude-code.transcript")
        try await harness.normalize()
        let detail = try #require(try await harness.session("claude-code", "4d5611e5-241a-462a-8d15-5122611a9569"))

        // Independently: the largest usage snapshot per (message.id, requestId).
        var largest: [String: Int64] = [:]
        var outputs: [String: Set<Int64>] = [:]
        for line in try Self.jsonLines(Self.spotter + ".jsonl") where line["type"] as? String == "assistant" {
            let message = line["message"] as! [String: Any]
            guard let id = message["id"] as? String, let usage = message["usage"] as? [String: Any] else { continue }
            let key = id + "|" + (line["requestId"] as? String ?? "")
            let total = ["input_tokens", "output_tokens", "cache_read_input_tokens", "cache_creation_input_tokens"]
                .reduce(Int64(0)) { $0 + ((usage[$1] as? NSNumber)?.int64Value ?? 0) }
            largest[key] = max(largest[key] ?? 0, total)
            outputs[key, default: []].insert((usage["output_tokens"] as? NSNumber)?.int64Value ?? 0)
        }
        #expect(outputs.values.contains { $0.count > 1 }, "the fixture streams usage snapshots that grow")
        #expect(detail.usage.count == largest.count)
        #expect(detail.session.tokens.total == largest.values.reduce(0, +))
        // Compaction boundaries are kept.
        #expect(detail.messages.contains { $0.kind == "compaction" })
        #expect(detail.messages.contains { $0.kind == "summary" })
    }

    @Test func claudeForkedSessionsDoNotCountCopiedLinesTwice() async throws {
        let harness = try await NormalizingHarness()
        let original = "claude/marot-spotter/projects/-home-marco-projects-spotter/d6e0bada-1959-4eec-a9d2-0bfade768d8f.jsonl"
        try await harness.ingestFile(original, path: "~/.claude/projects/p/d6e0bada.jsonl", source: "claude-code.transcripts",
                                     kind: "claude-code.transcript")
        try await harness.normalize()
        let alone = try #require(try await harness.session("claude-code", "d6e0bada-1959-4eec-a9d2-0bfade768d8f"))

        // --fork-session: the whole chain again in a new file, byte-identical but for sessionId,
        // then one new exchange.
        let text = try String(contentsOf: NormalizingHarness.fixture(original), encoding: .utf8)
        let fork = text.replacingOccurrences(of: "d6e0bada-1959-4eec-a9d2-0bfade768d8f", with: "f0f0f0f0-0000-4000-8000-000000000001")
            + #"{"type":"user","uuid":"new-1","sessionId":"f0f0f0f0-0000-4000-8000-000000000001","timestamp":"2026-02-11T10:00:00Z","message":{"role":"user","content":"and now?"}}"#
            + "\n"
        try await harness.ingestLines(fork, path: "~/.claude/projects/p/f0f0f0f0.jsonl", source: "claude-code.transcripts",
                                      kind: "claude-code.transcript")
        try await harness.normalize()
        let original2 = try #require(try await harness.session("claude-code", "d6e0bada-1959-4eec-a9d2-0bfade768d8f"))
        let forked = try #require(try await harness.session("claude-code", "f0f0f0f0-0000-4000-8000-000000000001"))
        #expect(original2.session.messages == alone.session.messages)
        #expect(forked.session.messages == 1)
        #expect(forked.session.tokens.total == 0)
        #expect(alone.session.tokens.total > 0)
    }

    @Test func claudeSubagentsAreLinkedToTheirParentAndTheSpawningToolCall() async throws {
        let harness = try await NormalizingHarness()
        try await harness.ingestFile(Self.spotter + ".jsonl", path: "~/.claude/projects/p/4d5611e5.jsonl",
                                     source: "claude-code.transcripts", kind: "claude-code.transcript")
        for agent in ["a2898e3", "acompact-e1f845"] {
            try await harness.ingestFile(Self.spotter + "/subagents/agent-\(agent).jsonl",
                                         path: "~/.claude/projects/p/4d5611e5/subagents/agent-\(agent).jsonl",
                                         source: "claude-code.subagents", kind: "claude-code.transcript")
        }
        try await harness.normalize()
        let parent = try #require(try await harness.session("claude-code", "4d5611e5-241a-462a-8d15-5122611a9569"))
        let child = try #require(try await harness.session("claude-code", "4d5611e5-241a-462a-8d15-5122611a9569/a2898e3"))
        #expect(child.session.parentId == parent.session.id)
        #expect(child.session.parentToolCallId == "toolu_017pLRuPHYTX5t99EnLyV53m")
        #expect(parent.toolCalls.contains { $0.callId == "toolu_017pLRuPHYTX5t99EnLyV53m" })
        #expect(Set(parent.children.map(\.id)).count == 2)
        #expect(child.session.messages > 0)
        #expect(!parent.fileChanges.isEmpty, "Edit and Write results carry file changes")
    }

    @Test func codexCumulativeTokenCountsBecomeDeltasAndRepeatsAreDropped() async throws {
        let harness = try await NormalizingHarness()
        try await harness.ingestFile("codex/agent-sessions/codex_053_rate_limit.jsonl", path: "~/.codex/sessions/r-53.jsonl",
                                     source: "codex.rollouts", kind: "codex.rollout")
        // The same token_count written twice in a row (REAL: 286 of 572) adds nothing.
        let lines = try String(contentsOf: NormalizingHarness.fixture("codex/agent-sessions/codex_053_rate_limit.jsonl"), encoding: .utf8)
        let repeated = lines.split(separator: "\n").filter { $0.contains(#""total_token_usage""#) }.map(String.init)
        try await harness.normalize()
        let first = try #require(try await harness.session("codex", "test-ratelimit-session"))
        var totals: [[String: Any]] = []
        for line in repeated {
            let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as! [String: Any]
            totals.append(((object["payload"] as! [String: Any])["info"] as! [String: Any])["total_token_usage"] as! [String: Any])
        }
        let last = try #require(totals.last)
        #expect(first.usage.count == Set(totals.map { "\($0["total_tokens"]!)" }).count)
        #expect(first.session.tokens.total == (last["total_tokens"] as! NSNumber).int64Value)
        #expect(first.session.tokens.reasoning == (last["reasoning_output_tokens"] as! NSNumber).int64Value)
    }

    @Test func codexForkReplaysOfTheParentAreNotCountedTwice() async throws {
        let harness = try await NormalizingHarness()
        let parentFile = "codex/agent-sessions/codex_053_rate_limit.jsonl"
        try await harness.ingestFile(parentFile, path: "~/.codex/sessions/parent.jsonl", source: "codex.rollouts", kind: "codex.rollout")
        try await harness.normalize()
        let parent = try #require(try await harness.session("codex", "test-ratelimit-session"))

        // A fork: its own session_meta, the parent's history re-stamped, then one turn of its own.
        let history = try String(contentsOf: NormalizingHarness.fixture(parentFile), encoding: .utf8)
            .replacingOccurrences(of: "2025-10-31T17:00", with: "2025-11-01T09:00")
        #expect(parent.session.tokens.total > 0)
        let fork = #"{"timestamp":"2025-11-01T09:00:00.000Z","type":"session_meta","payload":{"id":"fork-1","forked_from_id":"test-ratelimit-session","cwd":"/tmp/test","cli_version":"0.60.0"}}"#
            + "\n" + history
            + #"{"timestamp":"2025-11-01T09:10:00.000Z","type":"response_item","payload":{"type":"message","role":"user","content":[{"type":"input_text","text":"only in the fork"}]}}"#
            + "\n"
        try await harness.ingestLines(fork, path: "~/.codex/sessions/fork.jsonl", source: "codex.rollouts", kind: "codex.rollout")
        try await harness.normalize()
        let forked = try #require(try await harness.session("codex", "fork-1"))
        let parentAfter = try #require(try await harness.session("codex", "test-ratelimit-session"))
        #expect(forked.session.parentId == parent.session.id)
        #expect(forked.session.relation == "fork")
        #expect(forked.session.tokens.total == 0, "the replayed token counts stay the parent's")
        #expect(parentAfter.session.tokens == parent.session.tokens)
        #expect(forked.messages.map(\.text) == ["only in the fork"])
    }

    @Test func codexCompactedRecordsAreKept() async throws {
        let harness = try await NormalizingHarness()
        try await harness.ingestFile("codex/agent-sessions/stage0-codex-small.jsonl", path: "~/.codex/sessions/stage0.jsonl",
                                     source: "codex.rollouts", kind: "codex.rollout")
        try await harness.normalize()
        let session = try #require(try await harness.session("codex", "019fc8be-3658-7ca3-9e29-000000000000"))
        let compacted = try Self.jsonLines("codex/agent-sessions/stage0-codex-small.jsonl").filter { $0["type"] as? String == "compacted" }
        #expect(session.messages.filter { $0.kind == "compaction" }.count == compacted.count)
        #expect(compacted.count == 6)
    }

    @Test func openClawUsageAndCostPerMessageArchivesAndCheckpoints() async throws {
        let harness = try await NormalizingHarness()
        let sessions = "openclaw/4geeks/agents/main/sessions/"
        for file in ["103d47df-5ad4-4d86-b2e5-98080dd2102a.jsonl", "60480e1e-6d95-473d-8adf-d5816f52e268.jsonl.reset.2026-06-03T22-45-31.372Z",
                     "b6613141-de65-4b4e-b095-f5095b7c585f.jsonl.deleted.2026-06-29T17-41-11.188Z"] {
            try await harness.ingestFile(sessions + file, path: "~/.openclaw/agents/main/sessions/" + file,
                                         source: "openclaw.transcripts", kind: "openclaw.transcript")
        }
        try await harness.normalize()
        let live = try #require(try await harness.session("openclaw", "103d47df-5ad4-4d86-b2e5-98080dd2102a"))
        // The checkpoint copy (a byte prefix of the live file, same first line) adds nothing.
        let checkpoint = "103d47df-5ad4-4d86-b2e5-98080dd2102a.checkpoint.d3e61746-59ed-4c7f-ba6b-1d12db47a834.jsonl"
        let liveText = try String(contentsOf: NormalizingHarness.fixture(sessions + "103d47df-5ad4-4d86-b2e5-98080dd2102a.jsonl"), encoding: .utf8)
        let checkpointText = try String(contentsOf: NormalizingHarness.fixture(sessions + checkpoint), encoding: .utf8)
        #expect(liveText.hasPrefix(String(checkpointText.prefix(1000))))
        try await harness.ingestFile(sessions + checkpoint, path: "~/.openclaw/agents/main/sessions/" + checkpoint,
                                     source: "openclaw.transcripts", kind: "openclaw.transcript")
        try await harness.normalize()
        let after = try #require(try await harness.session("openclaw", "103d47df-5ad4-4d86-b2e5-98080dd2102a"))
        #expect(after.session.messages == live.session.messages)
        #expect(after.messages.count == live.messages.count)

        // Archives are sessions of their own, marked.
        #expect(try await harness.session("openclaw", "60480e1e-6d95-473d-8adf-d5816f52e268")?.session.status == "reset")
        #expect(try await harness.session("openclaw", "b6613141-de65-4b4e-b095-f5095b7c585f")?.session.status == "deleted")

        // Usage and cost per assistant message (the REAL bedrock line of formats.md §4.3); a
        // gateway-injected message is not a model call.
        let transcript = """
            {"type":"session","version":3,"id":"cost-1","timestamp":"2026-04-06T04:48:00.000Z","cwd":"/root"}
            {"type":"message","id":"049c68a7","parentId":null,"timestamp":"2026-04-06T04:48:48.197Z","message":{"role":"assistant","content":[{"type":"text","text":"Product naming"}],"api":"bedrock-converse-stream","provider":"amazon-bedrock","model":"us.anthropic.claude-opus-4-6-v1","usage":{"input":3,"output":1046,"cacheRead":0,"cacheWrite":20548,"totalTokens":21597,"cost":{"input":1.5e-05,"output":0.02615,"cacheRead":0,"cacheWrite":0.128425,"total":0.15459}},"stopReason":"stop","timestamp":1775450903968}}
            {"type":"message","id":"049c68a8","parentId":"049c68a7","timestamp":"2026-04-06T04:49:00.000Z","message":{"role":"assistant","content":[{"type":"text","text":"mirror"}],"provider":"openclaw","model":"delivery-mirror","usage":{"input":5,"output":5,"cacheRead":0,"cacheWrite":0,"totalTokens":10}}}

            """
        try await harness.ingestLines(transcript, path: "~/.openclaw/agents/main/sessions/cost-1.jsonl", source: "openclaw.transcripts",
                                      kind: "openclaw.transcript")
        try await harness.normalize()
        let priced = try #require(try await harness.session("openclaw", "cost-1"))
        #expect(priced.usage.count == 1)
        #expect(priced.session.tokens.total == 21597)
        #expect(priced.session.tokens.cost == 0.15459)
        #expect(priced.session.messages == 2)
    }

    @Test func cursorComposersJoinTheirBubblesInHeaderOrderUpdatesReplaceAndTombstonesEnd() async throws {
        let harness = try await NormalizingHarness()
        let path = "~/.config/Cursor/User/globalStorage/state.vscdb"
        func kv(_ key: String, _ value: String?, cursor: Int) async throws {
            try await harness.ingestRow(#"{"key":\#(NormalizingHarness.quoted(key)),"value":\#(value ?? "null")}"#,
                                        encodings: #"{"key":"text","value":"\#(value == nil ? "null" : "json")"}"#,
                                        path: path, cursor: cursor, source: "cursor.kv-inserts", kind: "cursor.kv")
        }
        // Bubbles first (rowids 17–19), the composer header after them; shapes as in formats.md §2.2.
        try await kv("bubbleId:c1:b2", #"{"_v":3,"type":2,"bubbleId":"b2","text":"","tokenCount":{"inputTokens":0,"outputTokens":0}}"#, cursor: 17)
        try await kv("bubbleId:c1:b1", #"{"_v":3,"type":1,"bubbleId":"b1","text":"why can't I see my history?"}"#, cursor: 18)
        try await kv("bubbleId:c1:b3", #"{"_v":3,"type":1,"bubbleId":"b3","text":"thanks","createdAt":"2025-09-13T02:35:10.120Z"}"#, cursor: 19)
        try await kv("composerData:c1", #"{"_v":9,"composerId":"c1","name":"History","createdAt":1757730112697,"lastUpdatedAt":1757730933105,"fullConversationHeadersOnly":[{"bubbleId":"b1","type":1},{"bubbleId":"b2","type":2},{"bubbleId":"b3","type":1}]}"#, cursor: 16)
        // The assistant bubble is updated in place: text streamed in, tokens filled later.
        try await kv("bubbleId:c1:b2", #"{"_v":3,"type":2,"bubbleId":"b2","text":"I understand","tokenCount":{"inputTokens":5098,"outputTokens":500}}"#, cursor: 17)
        try await harness.normalize()
        var detail = try #require(try await harness.session("cursor", "c1"))
        #expect(detail.messages.map(\.text) == ["why can't I see my history?", "I understand", "thanks"])
        #expect(detail.messages.map(\.role) == ["user", "assistant", "user"])
        #expect(detail.session.tokens.total == 5598)
        #expect(detail.session.title == "History")
        #expect(detail.session.status == "active")
        #expect(detail.session.toolVersion == nil, "_v is the record's schema, not Cursor's version")
        #expect(detail.messages.last?.createdAt == "2025-09-13T02:35:10.120Z", "a newer bubble's ISO time")

        // Deleted: the composer's value becomes NULL.
        try await kv("composerData:c1", nil, cursor: 16)
        try await harness.normalize()
        detail = try #require(try await harness.session("cursor", "c1"))
        #expect(detail.session.status == "deleted")
        #expect(detail.session.messages == 3)
    }

    @Test func antigravityRunningStepsCollapseIntoDoneAndEncryptedBlobsAreCounted() async throws {
        let harness = try await NormalizingHarness()
        let fixture = "antigravity/agent-sessions/antigravity-cli/brain/00000000-0000-4000-8000-0000000000a1/.system_generated/logs/transcript.jsonl"
        let path = "~/.gemini/antigravity-cli/brain/00000000-0000-4000-8000-0000000000a1/.system_generated/logs/transcript.jsonl"
        let text = try String(contentsOf: NormalizingHarness.fixture(fixture), encoding: .utf8)
        let steps = Set(try Self.jsonLines(fixture).compactMap { ($0["step_index"] as? NSNumber)?.intValue })
        let next = (steps.max() ?? 0) + 1
        let running = #"{"step_index":\#(next),"source":"MODEL","type":"RUN_COMMAND","status":"RUNNING","created_at":"2026-06-26T21:16:30Z","content":"running"}"#
        let done = #"{"step_index":\#(next),"source":"MODEL","type":"RUN_COMMAND","status":"DONE","created_at":"2026-06-26T21:16:31Z","content":"done: 2 files"}"#
        try await harness.ingestLines(text + running + "\n" + done + "\n" + running + "\n", path: path, source: "antigravity.transcripts",
                                      kind: "antigravity.transcript")
        try await harness.ingestRow(#"{"data":"AAECAw=="}"#, encodings: #"{"data":"base64"}"#,
                                    path: "~/.gemini/antigravity/implicit/x.pb", cursor: 0, source: "antigravity.encrypted",
                                    kind: "antigravity.encrypted")
        try await harness.normalize()
        let detail = try #require(try await harness.session("antigravity", "00000000-0000-4000-8000-0000000000a1"))
        #expect(detail.session.messages == Int64(steps.count + 1))
        #expect(detail.messages.last?.text == "done: 2 files")
        let drift = try await harness.reader.drift()
        #expect(drift.contains { $0.reason == "opaque" && $0.kind == "antigravity.encrypted" && $0.count == 1 })
    }

    @Test func anUnknownKindOrFieldIsCountedAndTheRestOfItsSessionNormalised() async throws {
        let harness = try await NormalizingHarness()
        let lines = """
            {"type":"user","uuid":"u1","sessionId":"s1","version":"9.9.9","timestamp":"2026-11-01T10:00:00Z","message":{"role":"user","content":"hi"}}
            {"type":"hologram","uuid":"u2","sessionId":"s1","version":"9.9.9","timestamp":"2026-11-01T10:00:01Z"}
            {"type":"assistant","uuid":"u3","sessionId":"s1","version":"9.9.9","newField":true,"timestamp":"2026-11-01T10:00:02Z","requestId":"r1","message":{"id":"m1","role":"assistant","model":"claude-x","content":[{"type":"text","text":"hello"}],"usage":{"input_tokens":3,"output_tokens":4}}}

            """
        try await harness.ingestLines(lines, path: "~/.claude/projects/p/s1.jsonl", source: "claude-code.transcripts", kind: "claude-code.transcript")
        try await harness.ingestLines(#"{"anything":1}"# + "\n", path: "~/.newtool/x.jsonl", source: "newtool.logs", kind: "newtool.event")
        try await harness.ingestLines("""
            {"sessionId":"g1","projectHash":"ab","startTime":"2026-11-01T10:00:00.000Z","lastUpdated":"2026-11-01T10:00:00.000Z","kind":"main"}
            {"id":"h1","timestamp":"2026-11-01T10:00:01.000Z","type":"hologram","content":"?"}

            """, path: "~/.gemini/tmp/p/chats/session-g1.jsonl", source: "gemini-cli.chats", kind: "gemini-cli.chat")
        try await harness.normalize()
        let session = try #require(try await harness.session("claude-code", "s1"))
        #expect(session.session.messages == 2)
        #expect(session.session.tokens.total == 7)
        let drift = try await harness.reader.drift()
        #expect(drift.contains { $0.tool == "claude-code" && $0.toolVersion == "9.9.9" && $0.reason == "unknown_type" && $0.name == "hologram" })
        #expect(drift.contains { $0.tool == "claude-code" && $0.reason == "unknown_field" && $0.name == "newField" })
        #expect(drift.contains { $0.tool == "newtool" && $0.reason == "unknown_kind" && $0.kind == "newtool.event" && $0.count == 1 })

        // Each line names the normaliser that met the records and the change that would take them.
        let hologram = try #require(drift.first { $0.tool == "claude-code" && $0.name == "hologram" })
        #expect(hologram.normalizer == "ClaudeCodeNormalizer (Swift)" && hologram.action.contains("type hologram"), "\(hologram)")
        let newKind = try #require(drift.first { $0.kind == "newtool.event" })
        #expect(newKind.normalizer == nil && newKind.action.hasPrefix("No normaliser takes kind newtool.event: add a mapping"), "\(newKind)")
        let mapped = try #require(drift.first { $0.tool == "gemini-cli" && $0.reason == "unknown_type" }, "\(drift)")
        #expect(mapped.name == "hologram" && mapped.normalizer == "normalizers.d/gemini-cli.yaml", "\(mapped)")
        #expect(mapped.action.contains("No rule of normalizers.d/gemini-cli.yaml takes records of type hologram")
                && mapped.action.contains("reparse --source"), "\(mapped.action)")
    }
}
