import Foundation
@testable import IngestStore
@testable import Normalization
import SQLiteDB
import Testing

/// Long text is kept compressed on SQLite (`PackedText`) and read as it was written on both
/// stores: the session page, the search index (found, snippets cut, edits and deletions taken
/// out with the words they held), text streamed over many records, and rows stored before
/// migration 28.
@Suite struct PackedTextTests {
    /// A transcript line, built as JSON so the long text may hold anything.
    static func line(_ n: Int, type: String, content: Any) throws -> String {
        let record: [String: Any] = ["type": type, "sessionId": "s-long", "uuid": "u-\(n)", "cwd": "/home/me/app",
                                     "timestamp": "2026-11-24T19:02:\(String(format: "%02d", n % 60)).000Z",
                                     "message": ["role": type, "content": content]]
        return String(decoding: try JSONSerialization.data(withJSONObject: record, options: [.sortedKeys]), as: UTF8.self)
    }

    static let prompt = "Why does the pangolinzeppelin build fail?\n" + (1...40).map { "step \($0): compile module \($0 % 7)" }.joined(separator: "\n")
    static let output = (1...120).map { "warning: unused variable 'axolotlquasar\($0 % 3)' in file \($0 % 11).swift" }.joined(separator: "\n")
        + "\nerror: build failed"

    static func envelopes() throws -> [ValidEnvelope] {
        [
            PoisonRecordTests.envelope(1, record: try line(1, type: "user", content: prompt)),
            PoisonRecordTests.envelope(2, record: try line(2, type: "assistant", content: [
                ["type": "tool_use", "id": "toolu_1", "name": "Bash", "input": ["command": "swift build 2>&1 | tail -n 400"]]])),
            PoisonRecordTests.envelope(3, record: try line(3, type: "user", content: [
                ["type": "tool_result", "tool_use_id": "toolu_1", "content": output]])),
        ]
    }

    /// FTS5's own check that the index holds exactly the words of the text it covers (fails
    /// when a deletion took out other words than those the row held).
    static func indexMatchesItsText(_ store: any IngestStore) async throws {
        guard store.dialect == .sqlite else { return }
        for index in ["norm_messages_fts", "norm_tool_calls_fts"] {
            try await store.execute([SQLStatement("INSERT INTO \(index)(\(index), rank) VALUES ('integrity-check', 1)")])
        }
    }

    @Test(arguments: StoreKind.available)
    func longTextIsStoredPackedAndReadSearchedEditedAndDeletedAsWritten(_ kind: StoreKind) async throws {
        try await kind.withFreshStore { store in
            _ = try await store.insert(try Self.envelopes(), from: BatchOrigin(tokenID: 1, batchID: "b1"))
            _ = try await Normalizer(store: store).catchUp()
            let search = FullTextSearch(store: store)

            let hit = try #require(try await search.search("pangolinzeppelin", tenant: nil).first)
            #expect(hit.snippet.contains("\u{1}pangolinzeppelin\u{2}"), "\(hit)")
            let call = try await search.search("axolotlquasar2", tenant: nil)
            #expect(call.count == 1 && call.first?.snippet.contains("\u{1}axolotlquasar2\u{2}") == true, "\(call)")

            let session = try #require(try await NormalizedReader(store: store).session(id: hit.sessionId))
            #expect(session.messages.first?.text == Self.prompt)
            #expect(session.toolCalls.first?.result == Self.output)
            #expect(session.session.firstPrompt == nil || Self.prompt.hasPrefix(session.session.firstPrompt ?? ""))

            if store.dialect == .sqlite {
                let stored = try await store.query(SQLStatement("""
                    SELECT typeof(m.text), length(m.text), (SELECT typeof(result) || ' ' || length(result) FROM norm_tool_calls)
                    FROM norm_messages m WHERE m.role = 'user' AND m.kind = 'text'
                    """))
                #expect(stored.first?[0].text == "blob")
                #expect((stored.first?[1].int ?? .max) < Self.prompt.utf8.count / 2, "\(stored)")
                let result = stored.first?[2].text?.split(separator: " ") ?? []
                #expect(result.first == "blob" && Int(result.last ?? "") ?? .max < Self.output.utf8.count / 10, "\(stored)")
            }
            try await Self.indexMatchesItsText(store)

            // Edited in place: the old words leave the index, the new ones come.
            let edited = Self.prompt.replacingOccurrences(of: "pangolinzeppelin", with: "tapirgondola")
            try await store.execute([SQLStatement("UPDATE norm_messages SET text = pack_text($1) WHERE unpack_text(text) = $2",
                                                  [.text(edited), .text(Self.prompt)])])
            #expect(try await search.search("pangolinzeppelin", tenant: nil).isEmpty)
            #expect(try await search.search("tapirgondola", tenant: nil).count == 1)
            try await Self.indexMatchesItsText(store)

            // Deleted: gone from the index with the words it held.
            try await store.execute([SQLStatement("DELETE FROM norm_tool_calls")])
            #expect(try await search.search("axolotlquasar2", tenant: nil).isEmpty)
            try await Self.indexMatchesItsText(store)
        }
    }

    /// A message streamed over many records is joined in SQL, part by part: parts that are short
    /// alone and long together, and a long one on the end of one already packed.
    @Test func aStreamedMessageIsJoinedAcrossThePackingThreshold() async throws {
        let harness = try await NormalizingHarness()
        func chunk(_ text: String) -> String {
            #"{"timestamp":1796400000,"method":"session/update","params":{"sessionId":"s1","update":{"sessionUpdate":"agent_message_chunk","content":{"type":"text","text":"\#(text)"}}}}"#
        }
        let parts = [String(repeating: "a short part. ", count: 6), String(repeating: "another one! ", count: 6),
                     String(repeating: "and a long tail of words. ", count: 40)]
        try await harness.ingestLines(parts.map(chunk).joined(separator: "\n"), path: "~/.grok/sessions/%2Fw/s1/updates.jsonl",
                                      source: "grok-build.updates", kind: "grok-build.updates")
        _ = try await Normalizer(store: harness.store, chunkSize: 1).catchUp()
        #expect(try #require(try await harness.session("grok-build", "s1")).messages.map(\.text) == [parts.joined()])
        let stored = try await harness.store.query(SQLStatement("SELECT typeof(text) FROM norm_messages"))
        #expect(stored.map { $0[0].text } == ["blob"])
        try await Self.indexMatchesItsText(harness.store)
    }

    /// Migration 28 packs what a store held before it and builds the search index again over
    /// the views that unpack it.
    @Test func rowsStoredBeforeTheMigrationArePackedAndFoundAgain() async throws {
        try await StoreKind.sqlite.withFreshStore { store in
            _ = try await store.insert(try Self.envelopes(), from: BatchOrigin(tokenID: 1, batchID: "b1"))
            _ = try await Normalizer(store: store).catchUp()
            let sqlite = try #require(store as? SQLiteStore)
            // The store as it was: text unpacked, no views, the migration not applied.
            try await sqlite.execute([
                "UPDATE norm_search_state SET live = 0",
                "UPDATE norm_messages SET text = unpack_text(text)",
                "UPDATE norm_tool_calls SET input = unpack_text(input), result = unpack_text(result)",
                "UPDATE norm_search_state SET live = 1",
                "DROP VIEW norm_messages_text", "DROP VIEW norm_tool_calls_text",
            ].map { SQLStatement($0) })
            #expect(try await sqlite.query(SQLStatement("SELECT count(*) FROM norm_messages WHERE typeof(text) = 'blob'")).first?.first?.int == 0)
            try await sqlite.execute(PackedText.packStored.map { SQLStatement($0) })  // migration 28
            #expect(try await sqlite.query(SQLStatement("SELECT count(*) FROM norm_messages WHERE typeof(text) = 'blob'")).first?.first?.int == 1)
            #expect(try await FullTextSearch(store: store).search("pangolinzeppelin", tenant: nil).count == 1)
            #expect(try await FullTextSearch(store: store).search("axolotlquasar1", tenant: nil).count == 1)
            try await Self.indexMatchesItsText(store)
        }
    }

    /// After its first few thousand packed values the store trains a dictionary for them, and
    /// later ones are packed with it; another process that opened the store before it existed
    /// reads them all the same (it loads the dictionary when it meets a frame that needs it).
    @Test func aDictionaryIsTrainedAndAnotherProcessReadsWhatItPacked() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("packed-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("ingest.db").path
        let writer = try SQLiteStore(path: path)
        try await writer.migrate()
        let reader = try SQLiteStore(path: path)
        try await reader.migrate()

        func text(_ n: Int) -> String {
            "Message \(n): please run the integration suite against module \(n % 13), then report which of the "
                + "\(n % 7 + 2) failing cases still time out after the retry change, with the full log of case \(n)."
        }
        func envelopes(_ range: ClosedRange<Int>) throws -> [ValidEnvelope] {
            try range.map { n in PoisonRecordTests.envelope(n, record: try Self.line(n, type: "user", content: text(n))) }
        }
        // Enough to train on, then more: those are packed with the dictionary.
        let count = RawCustody.trainAfter + 1_000
        _ = try await writer.insert(try envelopes(1...RawCustody.trainAfter), from: BatchOrigin(tokenID: 1, batchID: "b1"))
        _ = try await Normalizer(store: writer, chunkSize: 500).catchUp()
        _ = try await writer.insert(try envelopes((RawCustody.trainAfter + 1)...count), from: BatchOrigin(tokenID: 1, batchID: "b2"))
        _ = try await Normalizer(store: writer, chunkSize: 500).catchUp()

        let dictionaries = try await writer.query(SQLStatement("SELECT id FROM raw_dictionaries WHERE source = $1",
                                                               [.text(PackedText.dictionarySource)]))
        let id = try #require(dictionaries.first?.first?.int, "a dictionary was trained")
        let frames = try await writer.query(SQLStatement("SELECT text FROM norm_messages WHERE typeof(text) = 'blob'"))
        #expect(frames.count == count)
        let named = frames.filter { row in
            guard case .blob(let bytes) = row[0] else { return false }
            return bytes.withUnsafeBytes { Int64(Zstd.dictionaryID(ofFrame: $0)) } == id
        }
        #expect(named.count >= count - RawCustody.trainAfter, "\(named.count) of \(frames.count) made with the dictionary")

        let session = try #require(try await NormalizedReader(store: reader).sessions(.init(includeEmpty: true), limit: 10).sessions.first)
        let messages = try #require(try await NormalizedReader(store: reader).session(id: session.id)).messages
        #expect(Set(messages.compactMap(\.text)) == Set((1...count).map(text)))
    }
}
