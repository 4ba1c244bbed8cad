import Foundation
import SensorModel
import Testing
@testable import SensorCore

/// Every level writes gzip that zlib inflates back to the batch, reusing its buffers.
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
}
