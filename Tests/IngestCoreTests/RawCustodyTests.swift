import Foundation
@testable import Access
@testable import Explorer
@testable import IngestCore
@testable import IngestStore
@testable import Normalization
import Logging
import SQLiteDB
import Testing

/// Raw envelopes at rest: zstd frames, with a dictionary trained on the store's own envelopes,
/// read back byte for byte by every path that reads them (dump, normaliser, explorer), on both
/// stores; by a second server that did not train the dictionary; and rows stored as text
/// before compression existed.
@Suite struct RawCustodyTests {
    /// Envelopes around real Claude Code lines (the fixtures), as many as asked, in file order.
    static func envelopes(_ count: Int) throws -> [ValidEnvelope] {
        let lines = try claudeCodeLines()
        return (0..<count).map { index in
            let id = Envelopes.randomID()
            return ValidEnvelope(id: id, source: "claude-code.transcripts", kind: "claude-code.transcript", device: "d-test",
                                 json: Envelopes.make(id: id, source: "claude-code.transcripts", kind: "claude-code.transcript",
                                                      record: lines[index % lines.count]))
        }
    }

    /// Every line of the Claude Code fixtures that is a JSON object, in a stable order.
    static func claudeCodeLines() throws -> [String] {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../../shared/fixtures/claude")
        var lines: [String] = []
        let files = FileManager.default.enumerator(at: root, includingPropertiesForKeys: nil)!.compactMap { $0 as? URL }
            .filter { $0.pathExtension == "jsonl" }.sorted { $0.path < $1.path }
        for url in files {
            for line in try String(contentsOf: url, encoding: .utf8).split(separator: "\n")
            where JSONSerialization.isValidJSONObject((try? JSONSerialization.jsonObject(with: Data(line.utf8))) ?? 0) {
                lines.append(String(line))
            }
        }
        precondition(lines.count > 100, "the Claude Code fixtures are missing")
        return lines
    }

    static func insert(_ envelopes: [ValidEnvelope], into store: any IngestStore) async throws {
        for start in stride(from: 0, to: envelopes.count, by: 500) {
            _ = try await store.insert(Array(envelopes[start..<min(envelopes.count, start + 500)]), from: BatchOrigin(tokenID: 1, batchID: "b\(start)"))
        }
    }

    /// Every stored envelope through the dump's paging.
    static func dump(_ store: any IngestStore) async throws -> [String: String] {
        var all: [String: String] = [:]
        var last: StoredEnvelope?
        while true {
            let page = try await store.envelopes(after: last, limit: 700)
            guard let end = page.last else { return all }
            for envelope in page { all[envelope.id] = envelope.json }
            last = end
        }
    }

    @Test(arguments: StoreKind.available)
    func envelopesAreKeptAsZstdFramesAndReadBackByteForByte(_ kind: StoreKind) async throws {
        let envelopes = try Self.envelopes(RawCustody.trainAfter + 1_000)
        try await kind.withFreshStore { store in
            try await Self.insert(envelopes, into: store)
            let expected = Dictionary(uniqueKeysWithValues: envelopes.map { ($0.id, $0.json) })
            #expect(try await Self.dump(store) == expected)

            // One dictionary for the source, trained after `trainAfter` envelopes; the newest frames use it.
            #expect(try await store.query(SQLStatement("SELECT source FROM raw_dictionaries")) == [[.text("claude-code.transcripts")]])
            let newest = try await store.query(SQLStatement(
                "SELECT \(RawCustody.column(store.dialect)) FROM raw_envelopes ORDER BY \(store.dialect == .sqlite ? "rowid" : "seq") DESC LIMIT 1"))
            guard case .blob(let frame) = newest.first?.first else { Issue.record("not stored as bytes: \(newest)"); return }
            #expect(frame.withUnsafeBytes { Zstd.isFrame($0) && Zstd.dictionaryID(ofFrame: $0) != 0 })

            // Sizes as received, and far fewer bytes at rest.
            let counts = try await store.counts()
            let received = counts.reduce(Int64(0)) { $0 + $1.bytes }
            let stored = counts.reduce(Int64(0)) { $0 + $1.storedBytes }
            #expect(received == Int64(envelopes.reduce(0) { $0 + $1.json.utf8.count }))
            #expect(stored * 3 < received, "stored \(stored) of \(received) bytes")

            // The normaliser reads them in arrival order, as received.
            let raw = try await store.rawEnvelopes(afterSeq: 0, source: nil, limit: envelopes.count + 1, maxBytes: 1 << 30)
            #expect(raw.map(\.json) == envelopes.map(\.json))
        }
    }

    @Test(arguments: StoreKind.available)
    func eachSourceGetsADictionaryOfItsOwn(_ kind: StoreKind) async throws {
        // Batches of 300 of each: a dictionary after the seventh, two more batches made with it.
        let claude = try Self.envelopes(RawCustody.trainAfter + 700)
        let other = try Self.envelopes(RawCustody.trainAfter + 700).map { envelope in
            let json = envelope.json.replacingOccurrences(of: "claude-code.transcripts", with: "other.logs")
            return ValidEnvelope(id: envelope.id, source: "other.logs", kind: envelope.kind, device: envelope.device, json: json)
        }
        try await kind.withFreshStore { store in
            // Interleaved, as two tools' files arrive.
            for start in stride(from: 0, to: claude.count, by: 300) {
                let end = min(claude.count, start + 300)
                _ = try await store.insert(Array(claude[start..<end]) + Array(other[start..<end]), from: BatchOrigin(tokenID: 1, batchID: "b\(start)"))
            }
            let sources = try await store.query(SQLStatement("SELECT source, id FROM raw_dictionaries ORDER BY source"))
            #expect(sources.map { $0[0] } == [.text("claude-code.transcripts"), .text("other.logs")])
            // The newest frame of each source names its source's dictionary.
            for row in sources {
                let newest = try await store.query(SQLStatement("""
                    SELECT \(RawCustody.column(store.dialect)) FROM raw_envelopes WHERE source = $1
                    ORDER BY \(store.dialect == .sqlite ? "rowid" : "seq") DESC LIMIT 1
                    """, [row[0]]))
                guard case .blob(let frame) = newest.first?.first else { Issue.record("not bytes: \(newest)"); continue }
                #expect(frame.withUnsafeBytes { Int64(Zstd.dictionaryID(ofFrame: $0)) } == row[1].int)
            }
            #expect(try await Self.dump(store) == Dictionary(uniqueKeysWithValues: (claude + other).map { ($0.id, $0.json) }))
        }
    }

    @Test(arguments: StoreKind.available)
    func aSecondServerReadsFramesMadeWithADictionaryItDidNotTrain(_ kind: StoreKind) async throws {
        let envelopes = try Self.envelopes(RawCustody.trainAfter + 300)
        try await kind.withFreshLocation { location in
            try await location.withTestStore { reader in
                try await location.withTestStore { writer in
                    try await Self.insert(envelopes, into: writer)
                }
                // Opened before the dictionary existed: it loads it on meeting a frame that needs it.
                #expect(try await Self.dump(reader) == Dictionary(uniqueKeysWithValues: envelopes.map { ($0.id, $0.json) }))
            }
        }
    }

    @Test func envelopesStoredAsTextBeforeCompressionAreReadAsTheyAre() async throws {
        try await StoreKind.sqlite.withFreshStore { store in
            let id = Envelopes.randomID()
            let text = Envelopes.make(id: id, record: #"{"type":"user","note":"stored in 2026-11, before migration 8"}"#)
            try await store.execute([SQLStatement("""
                INSERT INTO raw_envelopes(tenant_id, id, source, kind, device, token_id, batch_id, received_at, envelope)
                VALUES (1, $1, 'test.transcripts', 'test.transcript', 'd-test', 1, 'b-old', '2026-11-20T10:00:00.000Z', $2)
                """, [.text(id), .text(text)])])
            let fresh = try Self.envelopes(3)
            try await Self.insert(fresh, into: store)
            #expect(try await Self.dump(store)[id] == text)
            #expect(try await store.rawEnvelopes(afterSeq: 0, source: nil, limit: 10, maxBytes: 1 << 30).map(\.json) == [text] + fresh.map(\.json))
            let counts = try await store.counts()
            #expect(counts.first { $0.source == "test.transcripts" }?.bytes == Int64(text.utf8.count))
            // The explorer finds it by its file, read from its text.
            let path = try await store.query(SQLStatement("SELECT \(RawCustody.path(.sqlite)) FROM raw_envelopes WHERE id = $1", [.text(id)]))
            #expect(path.first?.first?.text == "~/.test/s.jsonl")
        }
    }

    @Test func aDamagedFrameIsAnErrorNotAnEmptyEnvelope() throws {
        let custody = RawCustody()
        var frame = custody.pack([ValidEnvelope(id: "x", source: "s", kind: "k", device: "d", json: Envelopes.make())], tenant: 1).frames[0]
        frame[frame.count / 2] ^= 0xFF
        frame.removeLast(3)
        #expect(throws: (any Error).self) { try frame.withUnsafeBytes { try custody.unpack($0, with: Zstd.Decompressor()) } }
    }

    /// Decompressed straight into a string, bytes that are not UTF-8 are repaired as
    /// `String(decoding:)` repairs them; every size, empty and small strings included.
    @Test func textIsDecompressedAsStringDecodingWouldReadIt() throws {
        let inputs: [[UInt8]] = [[], Array("{}".utf8), [0x7B, 0xFF, 0x22, 0xC3, 0x7D], Array(String(repeating: "é✓x", count: 5000).utf8)]
        let compressor = Zstd.Compressor(level: 3)
        let decompressor = Zstd.Decompressor()
        for input in inputs {
            let frame = input.withUnsafeBytes { compressor.compress($0, dictionary: nil) }
            let text = try frame.withUnsafeBytes { try decompressor.decompressText($0, dictionary: nil) }
            #expect(text == String(decoding: input, as: UTF8.self), "\(input.count) bytes")
        }
    }
}
