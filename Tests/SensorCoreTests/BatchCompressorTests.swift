import Foundation
import SensorModel
import Testing
@testable import SensorCore

/// Every level writes gzip that zlib inflates back to the batch, whole or piece by piece,
/// reusing its buffers.
@Suite struct BatchCompressorTests {
    static let text: [UInt8] = Array(String(repeating: "{\"type\":\"assistant\",\"message\":{\"content\":\"hello, world\"}}\n",
                                            count: 20_000).utf8)
    static let noise: [UInt8] = {
        var generator = SystemRandomNumberGenerator()
        return (0..<(3 << 20)).map { _ in UInt8.random(in: 0...255, using: &generator) }
    }()

    @Test(arguments: [0, 1, 2, 3, 4, 6, 12])
    func roundTripsTextAndIncompressibleBytes(_ level: Int) throws {
        let compressor = BatchCompressor(level: level)
        for input in [Self.text, Self.noise, [], Array("x".utf8)] {
            let compressed = input.withUnsafeBytes { compressor.compress($0) }
            let bytes = Array(compressed.readableBytesView)
            #expect(bytes.prefix(2) == [0x1F, 0x8B])
            #expect(Gzip.decompress(bytes, limit: 8 << 20) == .bytes(input), "level \(level), \(input.count) bytes")
        }
        let compressed = Self.text.withUnsafeBytes { compressor.compress($0) }
        #expect(compressed.readableBytes < Self.text.count / (level == 0 ? 1 : 10))
    }

    /// Pieces as a batch comes: many small ones (envelopes, commas), one larger than the
    /// staging buffer, and the bytes either side of a staging boundary.
    @Test(arguments: [0, 1, 2, 3, 4, 12])
    func piecesCompressToTheirConcatenation(_ level: Int) throws {
        let compressor = BatchCompressor(level: level)
        let staging = BatchCompressor.stagingBytes
        let layouts: [[Range<Int>]] = [
            [],  // nothing at all
            stride(from: 0, to: Self.text.count, by: 997).map { $0..<min($0 + 997, Self.text.count) },
            [0..<10, 10..<(10 + staging + 1), (11 + staging)..<(12 + staging), (12 + staging)..<(3 << 20)],
            [0..<(staging - 1), (staging - 1)..<staging, staging..<(staging + 1), (staging + 1)..<(2 * staging)],
        ]
        for (index, ranges) in layouts.enumerated() {
            let source = index == 1 ? Self.text : Self.noise
            let count = ranges.reduce(0) { $0 + $1.count }
            let compressed = compressor.compress(count: count) { write in
                source.withUnsafeBytes { bytes in
                    for range in ranges { write(UnsafeRawBufferPointer(rebasing: bytes[range])) }
                }
            }
            let expected = ranges.flatMap { Array(source[$0]) }
            #expect(Gzip.decompress(Array(compressed.readableBytesView), limit: 8 << 20) == .bytes(expected),
                    "level \(level), layout \(index)")
        }
    }
}
