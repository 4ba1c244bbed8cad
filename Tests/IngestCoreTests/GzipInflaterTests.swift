@testable import Access
@testable import Explorer
@testable import IngestCore
@testable import IngestStore
@testable import Normalization
import SensorModel
import Testing

/// Streaming inflation with a cap: what the ingest route relies on against gzip bombs.
@Suite struct GzipInflaterTests {
    static func inflate(_ compressed: [UInt8], chunk: Int, limit: Int) throws -> [UInt8] {
        let inflater = try GzipInflater(limit: limit)
        var start = 0
        while start < compressed.count {
            let end = min(start + chunk, compressed.count)
            try compressed[start..<end].withUnsafeBytes { try inflater.append($0) }
            start = end
        }
        return try inflater.finish()
    }

    @Test(arguments: [1, 7, 4096, 1 << 20])
    func inflatesWhateverTheChunkSize(_ chunk: Int) throws {
        let original = Envelopes.batch(Envelopes.many(300))
        #expect(try Self.inflate(Envelopes.gzip(original), chunk: chunk, limit: 1 << 20) == original)
    }

    @Test func aBombStopsAtTheCap() throws {
        let bomb = GzipBomb.make(megabytes: 1024)
        let inflater = try GzipInflater(limit: 4 << 20)
        #expect(throws: GzipInflater.Failure.exceedsLimit) {
            try bomb.withUnsafeBytes { try inflater.append($0) }
        }
        #expect(inflater.output.count <= 4 << 20)
    }

    @Test func theBombIsRealGzip() throws {
        // The same bomb, smaller, inflates completely when the cap allows it: the 413 above is
        // the cap at work, not a damaged stream.
        let inflated = try Self.inflate(GzipBomb.make(megabytes: 3), chunk: 1000, limit: 3 << 20)
        #expect(inflated.count == 3 << 20 && inflated.allSatisfy { $0 == 0 })
    }

    @Test func aSeriesOfMembersInflatesToTheirConcatenation() throws {
        let original = Envelopes.batch(Envelopes.many(300))
        let cut = original.count / 3
        let members = Envelopes.gzip(Array(original[..<cut])) + Envelopes.gzip(Array(original[cut..<(2 * cut)]))
            + Envelopes.gzip(Array(original[(2 * cut)...]))
        for chunk in [1, 7, 4096] {
            #expect(try Self.inflate(members, chunk: chunk, limit: 1 << 20) == original)
        }
        #expect(throws: GzipInflater.Failure.invalid) { try Self.inflate(Array(members.dropLast(3)), chunk: 64, limit: 1 << 20) }
    }

    @Test func truncatedDamagedOrTrailingStreamsAreInvalid() throws {
        let gzip = Envelopes.gzip(Envelopes.batch(Envelopes.many(10)))
        #expect(throws: GzipInflater.Failure.invalid) { try Self.inflate(Array(gzip.dropLast(12)), chunk: 64, limit: 1 << 20) }
        #expect(throws: GzipInflater.Failure.invalid) { try Self.inflate(gzip + [1, 2, 3], chunk: 64, limit: 1 << 20) }
        #expect(throws: GzipInflater.Failure.invalid) { try Self.inflate(Array("{}".utf8), chunk: 64, limit: 1 << 20) }
        var damaged = gzip
        damaged[gzip.count - 6] ^= 0x55  // the CRC
        #expect(throws: GzipInflater.Failure.invalid) { try Self.inflate(damaged, chunk: 64, limit: 1 << 20) }
    }
}
