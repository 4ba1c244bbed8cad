import CZstd
import Foundation
import HummingbirdTesting
@testable import Access
@testable import Explorer
@testable import IngestCore
@testable import IngestStore
@testable import Normalization
import Testing

/// Batches compressed with zstd (RFC 8878): taken whole, refused past the inflated cap and
/// when damaged, and announced on the sensor-config answer.
@Suite struct ZstdBodyTests {
    static func zstd(_ bytes: [UInt8], level: Int32 = 1) -> [UInt8] {
        var output = [UInt8](repeating: 0, count: ZSTD_compressBound(bytes.count))
        let written = output.withUnsafeMutableBytes { out in
            bytes.withUnsafeBytes { ZSTD_compress(out.baseAddress, out.count, $0.baseAddress, $0.count, level) }
        }
        precondition(ZSTD_isError(written) == 0)
        return Array(output.prefix(written))
    }

    static func post(_ client: any TestClientProtocol, _ body: [UInt8], token: String, encoding: String = "zstd") async throws -> TestResponse {
        try await client.postRaw(body, headers: [.authorization: "Bearer \(token)", .contentEncoding: encoding, .contentType: "application/json"])
    }

    @Test func aZstdBatchIsStoredExactlyAsSent() async throws {
        try await TestServer.with(.sqlite) { test in
            let envelopes = Envelopes.many(50)
            try await test.withRouterClient { client in
                let answer = try await Self.post(client, Self.zstd(Envelopes.batch(envelopes)), token: test.token)
                #expect(try answer.answer().accepted == 50)
                // Two frames in a row are one body, as two gzip members are.
                let batch = Envelopes.batch(Envelopes.many(3))
                let split = batch.count / 2
                let twoFrames = Self.zstd(Array(batch[..<split])) + Self.zstd(Array(batch[split...]))
                #expect(try await Self.post(client, twoFrames, token: test.token).answer().accepted == 3)
            }
            #expect(Set(try await test.storedEnvelopes()).isSuperset(of: envelopes))
            #expect(test.server.metrics.render().contains("sensor_ingest_batches_total{encoding=\"zstd\"} 2"))
        }
    }

    @Test func aZstdBombOrADamagedFrameIsRefused() async throws {
        try await TestServer.with(.sqlite) { test in  // 8 MiB inflated at most
            try await test.withRouterClient { client in
                let bomb = Self.zstd([UInt8](repeating: 0x20, count: 64 << 20), level: 3)
                #expect(bomb.count < 1 << 20)
                #expect(try await Self.post(client, bomb, token: test.token).status == .contentTooLarge)
                let frame = Self.zstd(Envelopes.batch(Envelopes.many(5)))
                #expect(try await Self.post(client, Array(frame.dropLast(3)), token: test.token).status == .badRequest, "truncated")
                #expect(try await Self.post(client, Array("not zstd at all".utf8), token: test.token).status == .badRequest)
                #expect(try await Self.post(client, frame + [0x00, 0x01], token: test.token).status == .badRequest, "trailing bytes")
                let refused = try await Self.post(client, frame, token: test.token, encoding: "br")
                #expect(refused.status == .unsupportedMediaType && refused.errorMessage?.contains("zstd, gzip or identity") == true)
            }
            #expect(try await test.storedCount() == 0)
        }
    }

    @Test func theSensorConfigAnswerSaysWhichEncodingsIngestTakes() async throws {
        try await TestServer.with(.sqlite) { test in
            try await test.withRouterClient { client in
                let answer = try await client.execute(uri: IngestServer.Paths.sensorConfig, method: .get, headers: [.authorization: "Bearer \(test.token)"])
                #expect(answer.headers[.acceptEncoding] == "zstd, gzip")
                let unchanged = try await client.execute(uri: IngestServer.Paths.sensorConfig, method: .get,
                                                         headers: [.authorization: "Bearer \(test.token)", .ifNoneMatch: answer.headers[.eTag] ?? ""])
                #expect(unchanged.status == .notModified && unchanged.headers[.acceptEncoding] == "zstd, gzip")
            }
        }
    }
}
