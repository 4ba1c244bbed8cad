import Foundation
@testable import IngestCore
@testable import IngestStore
@testable import Normalization
import SQLiteDB
import Testing

/// A zstd dictionary is made of pieces of its samples, people's words among them: each learns
/// from one device of one tenant, leaves with that device's erasure, is retired once its samples
/// pass the words window (its frames made again first), and no insert, here or in another
/// process, ever packs with one that is retired or gone. On both stores, every envelope read
/// back byte for byte throughout.
@Suite struct DictionaryRetirementTests {
    /// `count` envelopes of `device` around real Claude Code lines; the device's name is in
    /// every one of them, so a dictionary trained on them holds it.
    static func envelopes(_ count: Int, device: String) throws -> [ValidEnvelope] {
        try RawCustodyTests.envelopes(count).map { envelope in
            ValidEnvelope(id: envelope.id, source: envelope.source, kind: envelope.kind, device: device,
                          json: envelope.json.replacingOccurrences(of: #""device":"d-test""#, with: #""device":"\#(device)""#))
        }
    }

    static func insert(_ envelopes: [ValidEnvelope], tenant: Int64 = Tenant.defaultID, into store: any IngestStore) async throws {
        for start in stride(from: 0, to: envelopes.count, by: 500) {
            _ = try await store.insert(Array(envelopes[start..<min(envelopes.count, start + 500)]),
                                       from: BatchOrigin(tokenID: 1, tenantID: tenant, batchID: "b\(start)-\(UUID().uuidString)"))
        }
    }

    /// Each dictionary's owner ("tenant device source") and whether its bytes hold `word`.
    static func dictionaries(_ store: any IngestStore, holding word: String) async throws -> [String: Bool] {
        var owners: [String: Bool] = [:]
        for row in try await store.query(SQLStatement("SELECT tenant_id, device, source, dictionary FROM raw_dictionaries")) {
            guard case .blob(let bytes) = row[3] else { continue }
            owners["\(row[0].int.map(String.init) ?? "-") \(row[1].text ?? "-") \(row[2].text ?? "")"] = String(decoding: bytes, as: UTF8.self).contains(word)
        }
        return owners
    }

    /// The dictionary ids the stored frames name, with how many name each (0: none).
    static func frameDictionaries(_ store: any IngestStore) async throws -> [Int64: Int] {
        var named: [Int64: Int] = [:]
        for row in try await store.query(SQLStatement("SELECT \(RawCustody.column(store.dialect)) FROM raw_envelopes")) {
            guard case .blob(let frame) = row[0] else { continue }
            named[frame.withUnsafeBytes { Int64(Zstd.dictionaryID(ofFrame: $0)) }, default: 0] += 1
        }
        return named
    }

    static func expected(_ envelopes: [ValidEnvelope]) -> [String: String] {
        Dictionary(uniqueKeysWithValues: envelopes.map { ($0.id, $0.json) })
    }

    @Test(arguments: StoreKind.available)
    func eachDeviceOfEachTenantTrainsItsOwnAndAnErasureTakesItsAlong(_ kind: StoreKind) async throws {
        let mine = try Self.envelopes(RawCustody.trainAfter + 300, device: "d-quokkazanzibar")
        let theirs = try Self.envelopes(RawCustody.trainAfter + 300, device: "d-pangolinorbit")
        let elsewhere = try Self.envelopes(RawCustody.trainAfter + 300, device: "d-quokkazanzibar")
        try await kind.withFreshStore { store in
            let other = try await store.createTenant(name: "other")
            try await Self.insert(mine, into: store)
            try await Self.insert(theirs, into: store)
            // Another tenant's device of the same name: its own dictionary, never the first one's.
            try await Self.insert(elsewhere, tenant: other.id, into: store)
            let before = try await Self.dictionaries(store, holding: "quokkazanzibar")
            #expect(before == ["1 d-quokkazanzibar claude-code.transcripts": true, "1 d-pangolinorbit claude-code.transcripts": false,
                               "\(other.id) d-quokkazanzibar claude-code.transcripts": true], "the device's name is in its own dictionaries only")
            #expect(try await RawCustodyTests.dump(store) == Self.expected(mine + theirs + elsewhere))

            let report = try await Erasure.erase(.device("d-quokkazanzibar"), tenant: Tenant.defaultID, requestedBy: "admin@example.com",
                                                 dryRun: false, in: store)
            #expect(report.counts["compression_dictionaries"] == 1)
            let after = try await Self.dictionaries(store, holding: "quokkazanzibar")
            #expect(after == ["1 d-pangolinorbit claude-code.transcripts": false, "\(other.id) d-quokkazanzibar claude-code.transcripts": true])
            #expect(try await RawCustodyTests.dump(store) == Self.expected(theirs + elsewhere))

            // The erased device sends again: packed without the deleted dictionary, read back.
            let again = try Self.envelopes(50, device: "d-quokkazanzibar")
            try await Self.insert(again, into: store)
            #expect(try await RawCustodyTests.dump(store) == Self.expected(theirs + elsewhere + again))
        }
    }

    @Test(arguments: StoreKind.available)
    func aDictionaryPastTheWordsWindowIsRetiredItsFramesMadeAgainThenDeleted(_ kind: StoreKind) async throws {
        let kept = try Self.envelopes(RawCustody.trainAfter + 400, device: "d-laptop")
        try await kind.withFreshStore { store in
            try await Self.insert(kept, into: store)
            let id = try #require(try await store.query(SQLStatement("SELECT id FROM raw_dictionaries")).first?.first?.int)
            #expect(try await Self.frameDictionaries(store)[id] == 400)
            try await Retention.set(RetentionPolicy(tenant: Tenant.defaultID, wordsDays: 30), in: store)

            // Within the window: nothing moves.
            _ = try await Retention.enforce(in: store)
            #expect(try await Self.frameDictionaries(store)[id] == 400)

            // Forty days on (none of the envelopes normalised, so none may go): the dictionary's
            // samples are past the window; its frames are made again without it, and it goes.
            _ = try await Retention.enforce(in: store, now: Date().addingTimeInterval(40 * 86_400))
            #expect(try await store.query(SQLStatement("SELECT count(*) FROM raw_dictionaries")).first?.first?.int == 0)
            #expect(try await Self.frameDictionaries(store)[id] == nil)
            #expect(try await RawCustodyTests.dump(store) == Self.expected(kept))
        }
    }

    /// A second process retires the dictionary the first packs with: the first's next batch is
    /// packed again without it, and the sweep (here of a dictionary of the kind trained before
    /// dictionaries had owners) leaves every frame readable and the dictionary gone.
    @Test(arguments: StoreKind.available)
    func noInsertPacksWithADictionaryAnotherProcessRetired(_ kind: StoreKind) async throws {
        let first = try Self.envelopes(RawCustody.trainAfter + 200, device: "d-laptop")
        let later = try Self.envelopes(300, device: "d-laptop")
        try await kind.withFreshLocation { location in
            try await location.withTestStore { writer in
                try await Self.insert(first, into: writer)
                let id = try #require(try await writer.query(SQLStatement("SELECT id FROM raw_dictionaries")).first?.first?.int)
                try await location.withTestStore { other in
                    try await other.execute([SQLStatement("UPDATE raw_dictionaries SET retired = 1, tenant_id = NULL, device = NULL, first_use = NULL")])
                }
                // The writer still holds it as current: its insert finds it retired and packs again.
                try await Self.insert(later, into: writer)
                #expect(try await Self.frameDictionaries(writer)[id] == 200, "only the frames made before it was retired")
                let swept = try await location.withTestStore { other in try await other.repackRetiredDictionaries() }
                #expect(swept == 1)
                // The device has enough envelopes for one of its own: trained first, and the
                // retired one's frames made with it.
                let owned = try await writer.query(SQLStatement("SELECT id, tenant_id, device FROM raw_dictionaries"))
                #expect(owned.map { [$0[1], $0[2]] } == [[.integer(1), .text("d-laptop")]])
                let successor = try #require(owned.first?[0].int)
                #expect(try await Self.frameDictionaries(writer) == [successor: 200, 0: RawCustody.trainAfter + 300])
                #expect(try await RawCustodyTests.dump(writer) == Self.expected(first + later))
            }
        }
    }

    /// SQLite packs long normalised text with one dictionary trained on everyone's messages:
    /// an erasure retires it, the others' text is packed again without it, and it is deleted.
    @Test func anErasureTakesTheNormalisedTextsDictionaryAlong() async throws {
        try await StoreKind.sqlite.withFreshStore { store in
            func envelopes(_ device: String, _ word: String, _ range: ClosedRange<Int>) throws -> [ValidEnvelope] {
                try range.map { n in
                    let text = "Message \(n) from \(word): please run the integration suite against module \(n % 13), then report which "
                        + "of the \(n % 7 + 2) failing cases still time out after the retry change, with the full log of case \(n)."
                    let made = PoisonRecordTests.envelope(n, record: try PackedTextTests.line(n, type: "user", content: text))
                    return ValidEnvelope(id: made.id, source: made.source, kind: made.kind, device: device,
                                         json: made.json.replacingOccurrences(of: #""device":"d-test""#, with: #""device":"\#(device)""#))
                }
            }
            let half = RawCustody.trainAfter / 2
            // Theirs first: the text dictionary learns from the newest messages, mine.
            try await Self.insert(try envelopes("d-theirs", "ocelotnebula", 1...half + 200), into: store)
            try await Self.insert(try envelopes("d-mine", "wombatquasar", (half + 201)...(2 * half + 400)), into: store)
            _ = try await Normalizer(store: store, chunkSize: 500).catchUp()
            #expect(try await Self.dictionaries(store, holding: "wombatquasar")["- - \(PackedText.dictionarySource)"] == true)

            _ = try await Erasure.erase(.device("d-mine"), tenant: Tenant.defaultID, requestedBy: "admin@example.com", dryRun: false, in: store)
            #expect(try await Self.dictionaries(store, holding: "wombatquasar").values.allSatisfy { !$0 })
            #expect(try await store.query(SQLStatement("SELECT count(*) FROM raw_dictionaries WHERE source = $1",
                                                       [.text(PackedText.dictionarySource)])).first?.first?.int == 0)
            let texts = try await store.query(SQLStatement("SELECT unpack_text(text) FROM norm_messages")).compactMap { $0[0].text }
            #expect(texts.count == half + 200 && texts.allSatisfy { $0.contains("ocelotnebula") })
            #expect(try await FullTextSearch(store: store).search("ocelotnebula", tenant: nil).count > 0)
            #expect(try await FullTextSearch(store: store).search("wombatquasar", tenant: nil).isEmpty)
        }
    }
}
