import Foundation
@testable import Access
@testable import Explorer
@testable import IngestCore
@testable import IngestStore
@testable import Normalization
import Testing

/// Normalisation never wedges: a record the store cannot take (on PostgreSQL, a NUL in text) is
/// counted as drift `unreadable` with its envelope id and skipped; every later record is
/// normalised. And a step reads a bounded number of bytes, not a count of envelopes.
@Suite struct PoisonRecordTests {
    static func claudeLine(_ session: String, _ n: Int, text: String) -> String {
        #"{"type":"user","sessionId":"\#(session)","uuid":"u-\#(n)","timestamp":"2026-11-24T19:02:\#(String(format: "%02d", n % 60)).000Z","cwd":"/home/me/app","message":{"role":"user","content":\#(text)}}"#
    }

    static func envelope(_ n: Int, record: String) -> ValidEnvelope {
        let hex = String(n, radix: 16)
        let id = String(repeating: "0", count: 32 - hex.count) + hex
        let json = """
            {"schema_version":1,"id":"\(id)","source":"claude-code.transcripts","kind":"claude-code.transcript","device":"d-test",\
            "sensor":"0.1.0","collected_at":"2026-11-24T19:02:03.120Z","locator":{"path":"~/.claude/projects/-a/s.jsonl","file_id":"f1",\
            "offset":\(n * 100),"length":99},"encoding":"json","record":\(record)}
            """
        return ValidEnvelope(id: id, source: "claude-code.transcripts", kind: "claude-code.transcript", device: "d-test", json: json)
    }

    @Test(arguments: StoreKind.available)
    func aNULInTextIsSetAsideAndTheNextThousandRecordsAreNormalised(_ kind: StoreKind) async throws {
        try await kind.withFreshStore { store in
            var envelopes = [Self.envelope(1, record: Self.claudeLine("s-poison", 1, text: #""a\u0000b""#))]
            for n in 2...1001 { envelopes.append(Self.envelope(n, record: Self.claudeLine("s-next", n, text: #""line \#(n)""#))) }
            _ = try await store.insert(envelopes, from: BatchOrigin(tokenID: 1, batchID: "b1"))
            let taken = try await Normalizer(store: store).catchUp()
            #expect(taken == 1001)
            let reader = NormalizedReader(store: store)
            let next = try await reader.sessions(.init(tool: "claude-code", includeEmpty: true), limit: 10).sessions
                .first { $0.nativeId == "s-next" }
            #expect(next?.messages == 1000)
            let unreadable = try await reader.drift().filter { $0.reason == "unreadable" }
            if kind == .postgres {
                // PostgreSQL's text cannot hold U+0000: the record is set aside, by its id.
                #expect(unreadable.map(\.name) == ["envelope \(envelopes[0].id)"])
            } else {
                #expect(unreadable.isEmpty, "SQLite stores the NUL; nothing is set aside")
            }
            // The watermark moved past everything: nothing is retried for ever.
            #expect(try await Normalizer(store: store).catchUp() == 0)
        }
    }

    @Test func aStepReadsABoundedNumberOfBytes() async throws {
        try await StoreKind.sqlite.withFreshStore { store in
            let big = String(repeating: "x", count: 200_000)
            let envelopes = (1...20).map { Self.envelope($0, record: Self.claudeLine("s-big", $0, text: "\"\(big)\"")) }
            _ = try await store.insert(envelopes, from: BatchOrigin(tokenID: 1, batchID: "b1"))
            let step = try await store.rawEnvelopes(afterSeq: 0, source: nil, limit: 1000, maxBytes: 1 << 20)
            #expect(step.count == 6, "1 MiB of 200 KB envelopes: five, and the one that crosses the line")
            #expect(try await store.rawEnvelopes(afterSeq: 0, source: nil, limit: 1000, maxBytes: 1).count == 1)
            #expect(try await Normalizer(store: store, chunkBytes: 1 << 20).catchUp() == 20)
        }
    }
}
