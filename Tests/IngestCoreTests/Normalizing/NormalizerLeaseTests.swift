import Foundation
@testable import Access
@testable import Explorer
@testable import IngestCore
@testable import IngestStore
@testable import Normalization
import Testing

/// One normaliser at a time per store: a second one beside a running server (another process's
/// `sessions` or `reparse`, another server) does no duplicate work and never races it.
@Suite struct NormalizerLeaseTests {
    static func envelopes(_ count: Int) -> [ValidEnvelope] {
        (1...count).map { n in
            PoisonRecordTests.envelope(n, record: PoisonRecordTests.claudeLine("s-\(n % 50)", n, text: #""line \#(n)""#))
        }
    }

    @Test(arguments: StoreKind.available)
    func twoNormalisersOnOneStoreNormaliseEachRecordOnce(_ kind: StoreKind) async throws {
        try await kind.withFreshLocation { location in
            try await location.withTestStore { first in
                try await location.withTestStore { second in
                    _ = try await first.insert(Self.envelopes(3000), from: BatchOrigin(tokenID: 1, batchID: "b"))
                    let one = Normalizer(store: first, chunkSize: 100)
                    let two = Normalizer(store: second, chunkSize: 100)
                    async let a = one.catchUp()
                    async let b = two.catchUp()
                    let taken = try await a + b
                    // Whoever held the lease did the work; the other skipped it, or took over
                    // after the holder let go, and nothing was normalised twice.
                    _ = try await one.catchUp() + two.catchUp()
                    #expect(taken <= 3000)
                    #expect(one.recordsNormalized + two.recordsNormalized == 3000)
                    let sessions = try await NormalizedReader(store: first).sessions(.init(includeEmpty: true), limit: 100).sessions
                    #expect(sessions.reduce(0) { $0 + $1.messages } == 3000)
                }
            }
        }
    }

    @Test func aReparseWaitsForTheHolderAndHoldsTheLeaseWhileItRebuilds() async throws {
        try await StoreKind.sqlite.withFreshStore { store in
            _ = try await store.insert(Self.envelopes(200), from: BatchOrigin(tokenID: 1, batchID: "b"))
            let server = NormalizerLease(store: store, holder: "server", duration: .seconds(120))
            #expect(try await server.acquire())
            let cli = Normalizer(store: store)
            #expect(try await cli.catchUp() == 0, "the server holds the store: the CLI does not normalise")
            try await server.release()
            let rebuilt = try await cli.reparse()
            #expect(rebuilt == 200)
            #expect(try await server.acquire(), "given back after the reparse")
        }
    }
}
