import CZlib

/// A gzip stream that inflates to `megabytes` MiB of zeros from about a thousandth of that on
/// the wire, built without ever holding the inflated bytes: one MiB of zeros is deflated once
/// (ending on a full flush, so the block stands alone) and the block is repeated.
enum GzipBomb {
    static func make(megabytes: Int) -> [UInt8] {
        var stream = z_stream()
        // Raw deflate (-15): the gzip header and trailer are written by hand below.
        precondition(deflateInit2_(&stream, 9, Z_DEFLATED, -15, 9, Z_DEFAULT_STRATEGY, ZLIB_VERSION,
                                   Int32(MemoryLayout<z_stream>.size)) == Z_OK)
        defer { deflateEnd(&stream) }
        let zeros = [UInt8](repeating: 0, count: 1 << 20)
        func deflateChunk(_ input: [UInt8], flush: Int32) -> [UInt8] {
            var output = [UInt8](repeating: 0, count: 64 << 10)
            let written = input.withUnsafeBytes { source in
                output.withUnsafeMutableBytes { destination in
                    stream.next_in = UnsafeMutablePointer(mutating: source.bindMemory(to: Bytef.self).baseAddress)
                    stream.avail_in = uInt(source.count)
                    stream.next_out = destination.bindMemory(to: Bytef.self).baseAddress
                    stream.avail_out = uInt(destination.count)
                    _ = deflate(&stream, flush)
                    precondition(stream.avail_in == 0)
                    return destination.count - Int(stream.avail_out)
                }
            }
            return Array(output[0..<written])
        }
        let block = deflateChunk(zeros, flush: Z_FULL_FLUSH)
        let end = deflateChunk([], flush: Z_FINISH)

        let crcOfBlock = zeros.withUnsafeBytes { crc32(0, $0.bindMemory(to: Bytef.self).baseAddress, uInt($0.count)) }
        var crc: uLong = 0
        for _ in 0..<megabytes { crc = crc32_combine(crc, crcOfBlock, 1 << 20) }
        let size = UInt32(truncatingIfNeeded: megabytes << 20)

        var bomb: [UInt8] = [0x1F, 0x8B, 8, 0, 0, 0, 0, 0, 0, 3]  // gzip header: deflate, no name, Unix
        bomb.reserveCapacity(10 + block.count * megabytes + end.count + 8)
        for _ in 0..<megabytes { bomb += block }
        bomb += end
        for shift in stride(from: 0, to: 32, by: 8) { bomb.append(UInt8(truncatingIfNeeded: UInt32(crc) >> UInt32(shift))) }
        for shift in stride(from: 0, to: 32, by: 8) { bomb.append(UInt8(truncatingIfNeeded: size >> UInt32(shift))) }
        return bomb
    }
}
