import AsyncHTTPClient
import Foundation
import Access
import Explorer
import IngestCore
import IngestStore
import Normalization
import Testing

/// Several servers on one database, over real sockets: every envelope stored once.
@Suite struct ConcurrentServersTests {
    @Test(arguments: StoreKind.available)
    func twoServersReceivingTheSameBatchesAtOnceStoreEachEnvelopeOnce(_ kind: StoreKind) async throws {
        let batches = (0..<12).map { _ in Envelopes.batch(Envelopes.many(150)) }
        let unique = batches.count * 150
        try await kind.withFreshLocation { location in
            // Two stores (two SQLite connections, or two PostgreSQL pools) and two servers,
            // started together: their migrations race too.
            // Four workers share each server's token: give it every slot (the per-token share is
            // OverloadTests' and SlowClientTests' business).
            var limits = TestServer.testLimits
            limits.maxConcurrentIngestsPerToken = limits.maxConcurrentIngests
            let shared = limits
            async let first = location.withTestStore { store in
                try await TestServer.with(store: store, limits: shared) { try await Self.serve($0, batches: batches) }
            }
            async let second = location.withTestStore { store in
                try await TestServer.with(store: store, limits: shared) { try await Self.serve($0, batches: batches) }
            }
            let answers = try await first + second
            #expect(answers.count == batches.count * 2 * 2)
            #expect(answers.reduce(0) { $0 + $1.accepted } == unique)
            #expect(answers.reduce(0) { $0 + $1.duplicates } == unique * 3)
            #expect(answers.allSatisfy { $0.rejected.isEmpty })

            try await location.withTestStore { store in
                #expect(try await store.counts().map(\.envelopes) == [unique])
                let stored = try await store.envelopes(after: nil, limit: unique + 1)
                #expect(stored.count == unique)
            }
        }
    }

    /// Serves on a socket and posts every batch twice (two of four concurrent tasks post each).
    static func serve(_ test: TestServer, batches: [[UInt8]]) async throws -> [IngestAnswer] {
        try await LiveServer.with(test.server) { url in
            try await withThrowingTaskGroup(of: [IngestAnswer].self) { group in
                for worker in 0..<4 {
                    group.addTask {
                        var answers: [IngestAnswer] = []
                        // Workers walk the batches from different ends, so both servers and all
                        // workers overlap on the same ids.
                        let order = worker % 2 == 0 ? Array(batches.indices) : batches.indices.reversed()
                        for index in order where index % 2 == worker / 2 {
                            // A 503 says "come back later" (the suite's load can fill the slots): the
                            // sensor would retry, and so does the test.
                            var (status, body) = try await LiveServer.post(batches[index], to: url, token: test.token)
                            for _ in 0..<100 where status == 503 {
                                try await Task.sleep(for: .milliseconds(200))
                                (status, body) = try await LiveServer.post(batches[index], to: url, token: test.token)
                            }
                            #expect(status == 200)
                            answers.append(try JSONDecoder().decode(IngestAnswer.self, from: body))
                        }
                        return answers
                    }
                }
                return try await group.reduce(into: []) { $0 += $1 }
            }
        }
    }
}
