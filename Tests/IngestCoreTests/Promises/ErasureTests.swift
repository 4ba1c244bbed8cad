import Foundation
import HTTPTypes
import HummingbirdTesting
import IngestCore
import IngestStore
import NIOCore
import SQLiteDB
import Testing

/// `sensor-ingest erase`: a person's words and ids leave every table, index and (SQLite) file
/// byte; the tenant's daily sums stay; a laptop resending the same envelopes stores nothing.
@Suite struct ErasureTests {
    @Test(arguments: StoreKind.available)
    func anErasedPersonLeavesNoWordOrIdAndTheSumsStay(_ kind: StoreKind) async throws {
        try await kind.withFreshLocation { location in
            try await location.withTestStore { store in
                try await TestServer.with(store: store) { test in
                    let people = try await TwoPeople.make(test)
                    let reader = try await SignedInReader.make(test, scope: .read)
                    // A read of Ada's session is logged under her name.
                    let adaSession = try #require(try await store.query(SQLStatement(
                        "SELECT session_key FROM norm_sessions WHERE device = $1 LIMIT 1", [.text(TwoPeople.adaDevices[0])])).first?.first?.text)
                    try await test.withRouterClient { client in
                        let answer = try await client.execute(uri: IngestServer.Paths.sessions + "/" + adaSession, method: .get,
                                                              headers: [.authorization: "Bearer \(reader.token)"])
                        #expect(answer.status == .ok)
                    }
                    let before = try await TwoPeople.dailySums(store)
                    let needles = [TwoPeople.adaWords, "ada@acme.com", people.ada.id] + TwoPeople.adaDevices
                    #expect(try await TwoPeople.mentions(of: needles, in: store).count > 5, "the planted words and ids are there to find")
                    if case .sqlite(let path) = location {
                        let bytes = [path, path + "-wal"].compactMap { FileManager.default.contents(atPath: $0) }
                        #expect(bytes.contains { $0.range(of: Data(TwoPeople.adaWords.utf8)) != nil }, "the words are in the files before")
                    }

                    // A dry run counts and deletes nothing.
                    let dry = try await Erasure.erase(.person(email: "Ada@acme.com"), tenant: Tenant.defaultID, requestedBy: "dpo",
                                                      dryRun: true, in: store)
                    #expect(dry.devices == TwoPeople.adaDevices.sorted())
                    #expect(dry.counts["sessions"] == 4 && dry.counts["messages"] ?? 0 >= 8 && dry.counts["raw_envelopes"] == 12)
                    #expect(dry.tokensKept == 100 + 200 + 2 * 1000)
                    #expect(try await TwoPeople.mentions(of: [TwoPeople.adaWords], in: store).isEmpty == false)

                    let report = try await Erasure.erase(.person(email: "ada@acme.com"), tenant: Tenant.defaultID, requestedBy: "dpo",
                                                         dryRun: false, in: store)
                    #expect(report.counts == dry.counts)
                    let left = try await TwoPeople.mentions(of: needles, in: store)
                    #expect(left.isEmpty, "after the erasure: \(left)")
                    #expect(try await TwoPeople.dailySums(store) == before, "the daily sums stay, unattributed")
                    // Bob is untouched, and findable.
                    let bob = try await FullTextSearch(store: store).search(TwoPeople.bobWords, tenant: Tenant.defaultID, limit: 10)
                    #expect(bob.count >= 2)
                    #expect(try await FullTextSearch(store: store).search(TwoPeople.adaWords, tenant: Tenant.defaultID, limit: 10).isEmpty)

                    // The laptop resends what it sent: acknowledged as repeats, nothing stored.
                    let rawBefore = try await store.query(SQLStatement("SELECT count(*) FROM raw_envelopes")).first?.first?.int
                    try await test.withRouterClient { client in
                        let token = TokenSecret.generate()
                        _ = try await store.createToken(NewToken(name: "resend", hash: TokenSecret.hash(token), tenantID: Tenant.defaultID))
                        let records = people.sent[TwoPeople.adaDevices[0]] ?? []
                        let answer = try await client.postBatch(Envelopes.batch(records, device: TwoPeople.adaDevices[0]), token: token).answer()
                        #expect(answer.accepted == 0 && answer.duplicates == records.count)
                    }
                    try await test.server.normalizer.catchUp()
                    #expect(try await store.query(SQLStatement("SELECT count(*) FROM raw_envelopes")).first?.first?.int == rawBefore)
                    // (The machine spoke again, so the device directory knows it again; nothing it had sent is back.)
                    let words = [TwoPeople.adaWords, "ada@acme.com", people.ada.id]
                    #expect(try await TwoPeople.mentions(of: words, in: store).isEmpty)
                    #expect(try await store.query(SQLStatement("SELECT count(*) FROM norm_sessions WHERE device = $1",
                                                               [.text(TwoPeople.adaDevices[0])])).first?.first?.int == 0)

                    // A reparse builds everything again from what is left: the sums still stay.
                    _ = try await test.server.normalizer.reparse()
                    #expect(try await TwoPeople.dailySums(store) == before)
                    #expect(try await TwoPeople.mentions(of: words, in: store).isEmpty)

                    // The admin audit keeps who asked, when and how much, naming Ada by a hash only.
                    let record = try #require(try await Erasure.records(tenant: Tenant.defaultID, in: store).first)
                    #expect(record.requestedBy == "dpo" && record.kind == "person" && record.counts == report.counts)
                    #expect(record.subjectHash.count == 64 && !record.subjectHash.contains("ada"))
                    // The access log kept the read, without whose it was.
                    let reads = try await store.query(SQLStatement("SELECT reader, session_key, owner FROM access_log"))
                    #expect(reads.count == 1 && reads.first?[1].text == "erased" && reads.first?[2] == .null)
                    await #expect(throws: (any Error).self) {
                        try await store.execute([SQLStatement("DELETE FROM access_log")])
                    }
                }
                // SQLite: not a byte of Ada's words in the database file or its log.
                if case .sqlite(let path) = location {
                    for file in [path, path + "-wal"] {
                        guard let bytes = FileManager.default.contents(atPath: file) else { continue }
                        #expect(bytes.range(of: Data(TwoPeople.adaWords.utf8)) == nil, "\(file) still holds the words")
                        #expect(bytes.range(of: Data("ada@acme.com".utf8)) == nil, "\(file) still holds the email")
                    }
                }
            }
        }
    }

    @Test(arguments: StoreKind.available)
    func anErasedDeviceTakesItsSessionsAndLeavesTheOwnersOtherDevices(_ kind: StoreKind) async throws {
        try await TestServer.with(kind) { test in
            _ = try await TwoPeople.make(test)
            let before = try await TwoPeople.dailySums(test.store)
            let report = try await Erasure.erase(.device(TwoPeople.adaDevices[0]), tenant: Tenant.defaultID, requestedBy: "it",
                                                 dryRun: false, in: test.store)
            #expect(report.counts["sessions"] == 2 && report.counts["people"] == nil)
            #expect(try await TwoPeople.mentions(of: [TwoPeople.adaDevices[0]], in: test.store).isEmpty)
            // Her other device, and she herself, are still there.
            #expect(try await TwoPeople.mentions(of: [TwoPeople.adaDevices[1], "ada@acme.com"], in: test.store).count >= 2)
            #expect(try await TwoPeople.dailySums(test.store) == before)
            await #expect(throws: StoreError.self) {
                _ = try await Erasure.erase(.device("d-nobody"), tenant: Tenant.defaultID, requestedBy: "it", dryRun: true, in: test.store)
            }
        }
    }
}
