import Foundation
@testable import Access
@testable import Explorer
@testable import IngestCore
@testable import IngestStore
@testable import Normalization
import Testing

/// OpenClaw is normalised by a mapping now (normalizers.d/openclaw.yaml): over every fixture
/// file, it gives the same rows as the Swift normaliser it replaced (``OpenClawReference``).
@Suite struct OpenClawPortTests {
    static let files = [
        "103d47df-5ad4-4d86-b2e5-98080dd2102a.jsonl", "913d0f7b-8fa1-4578-9105-3ef6710cc9d0.jsonl",
        "103d47df-5ad4-4d86-b2e5-98080dd2102a.checkpoint.d3e61746-59ed-4c7f-ba6b-1d12db47a834.jsonl",
        "60480e1e-6d95-473d-8adf-d5816f52e268.jsonl.reset.2026-06-03T22-45-31.372Z",
        "b6613141-de65-4b4e-b095-f5095b7c585f.jsonl.deleted.2026-06-29T17-41-11.188Z",
    ]

    /// Every normalised table, row by row, after normalising the fixtures with `registry`.
    static func rows(_ registry: NormalizerRegistry) async throws -> [String: [[String]]] {
        let harness = try await NormalizingHarness(registry: registry)
        for file in files {
            let text = try String(contentsOf: NormalizingHarness.fixture("openclaw/4geeks/agents/main/sessions/" + file), encoding: .utf8)
            // The checkpoint copy is a byte prefix of its live file: the same file id.
            let fileID = file.hasPrefix("103d47df") ? "f-103d47df" : nil
            try await harness.ingestLines(text, path: "~/.openclaw/agents/main/sessions/" + file, source: "openclaw.transcripts",
                                          kind: "openclaw.transcript", fileID: fileID)
        }
        // A database-first release: the same kind of line as a row.
        try await harness.ingestRow(#"{"session_id":"db-session","seq":1,"created_at":"2026-06-01T10:00:00Z","event_json":{"type":"message","id":"e1","timestamp":"2026-06-01T10:00:00Z","message":{"role":"assistant","model":"claude-sonnet-4","content":[{"type":"thinking","thinking":"hm"},{"type":"text","text":"hello"}],"usage":{"input":5,"output":7,"cacheRead":0,"cacheWrite":0,"cost":{"total":0.001}}}}}"#,
                                    encodings: #"{"event_json":"json"}"#, path: "~/.openclaw/agents/main/agent/openclaw-agent.sqlite", cursor: 1,
                                    source: "openclaw.transcript-events", kind: "openclaw.transcript-event")
        try await harness.normalize()
        var tables: [String: [[String]]] = [:]
        for table in ["norm_sessions", "norm_messages", "norm_tool_calls", "norm_usage", "norm_session_models", "norm_drift"] {
            let rows = try await harness.store.query(SQLStatement("SELECT * FROM \(table)"))
            tables[table] = rows.map { $0.map { "\($0)" } }.sorted { $0.lexicographicallyPrecedes($1) }
        }
        return tables
    }

    @Test func theMappingGivesTheRowsOfTheSwiftNormaliserItReplaced() async throws {
        let (reference, problems) = NormalizerRegistry.with([])
        #expect(problems.isEmpty)
        let swift = NormalizerRegistry(reference.normalizers + [OpenClawReference()])
        let expected = try await Self.rows(swift)
        let actual = try await Self.rows(.builtIn)
        #expect(expected["norm_sessions"]?.count ?? 0 >= 4)
        #expect(expected["norm_messages"]?.count ?? 0 > 100)
        #expect(expected["norm_usage"]?.count ?? 0 > 10)
        for table in expected.keys.sorted() {
            let missing = Set(expected[table]!.map { $0.joined(separator: "|") }).subtracting(actual[table]!.map { $0.joined(separator: "|") })
            let extra = Set(actual[table]!.map { $0.joined(separator: "|") }).subtracting(expected[table]!.map { $0.joined(separator: "|") })
            #expect(missing.isEmpty && extra.isEmpty, "\(table): missing \(missing.prefix(3)), extra \(extra.prefix(3))")
        }
    }
}
