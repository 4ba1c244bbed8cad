import CDeflate
import CZlib

/// gzip (RFC 1952), one whole buffer at a time, for tests and tools: libdeflate's compression,
/// zlib's streaming inflate with a cap. The sensor's own batches go through its
/// `BatchCompressor` (ISA-L or libdeflate, with reused buffers).
public enum Gzip {
    /// Compresses `input` at `level` (0–12, libdeflate's scale; 1–9 mean what they mean in zlib).
    public static func compress(_ input: [UInt8], level: Int) -> [UInt8] {
        guard let compressor = libdeflate_alloc_compressor(Int32(max(0, min(level, 12)))) else {
            return zlibCompress(input, level: level)
        }
        defer { libdeflate_free_compressor(compressor) }
        let bound = libdeflate_gzip_compress_bound(compressor, input.count)
        var output = [UInt8](repeating: 0, count: bound)
        let written = input.withUnsafeBytes { source in
            output.withUnsafeMutableBytes { destination in
                libdeflate_gzip_compress(compressor, source.baseAddress, source.count, destination.baseAddress, destination.count)
            }
        }
        precondition(written > 0, "libdeflate with a bound-sized buffer must succeed")
        output.removeSubrange(written...)
        return output
    }

    /// zlib's deflate, for comparison in benchmarks and as a fallback.
    public static func zlibCompress(_ input: [UInt8], level: Int) -> [UInt8] {
        var stream = z_stream()
        let windowBits: Int32 = 15 + 16  // gzip wrapper
        guard deflateInit2_(&stream, Int32(max(0, min(level, 9))), Z_DEFLATED, windowBits, 8, Z_DEFAULT_STRATEGY,
                            ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size)) == Z_OK else {
            fatalError("zlib deflateInit2 failed")
        }
        defer { deflateEnd(&stream) }
        let bound = Int(deflateBound(&stream, uLong(input.count))) + 32
        var output = [UInt8](repeating: 0, count: bound)
        let written: Int = input.withUnsafeBytes { source in
            output.withUnsafeMutableBytes { destination in
                stream.next_in = UnsafeMutablePointer(mutating: source.bindMemory(to: Bytef.self).baseAddress)
                stream.avail_in = uInt(source.count)
                stream.next_out = destination.bindMemory(to: Bytef.self).baseAddress
                stream.avail_out = uInt(destination.count)
                let status = deflate(&stream, Z_FINISH)
                precondition(status == Z_STREAM_END, "deflate with a bound-sized buffer must finish")
                return Int(stream.total_out)
            }
        }
        output.removeSubrange(written...)
        return output
    }

    /// What inflating a body gave.
    public enum Inflated: Equatable, Sendable {
        case bytes([UInt8])
        /// It would inflate past the limit (a gzip bomb, or just too big); inflation stopped there.
        case exceedsLimit
        /// Not gzip, or damaged.
        case invalid
    }

    /// Decompresses a gzip buffer, streaming, never producing more than `limit` bytes.
    public static func decompress(_ input: [UInt8], limit: Int) -> Inflated {
        var stream = z_stream()
        guard inflateInit2_(&stream, 15 + 16, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size)) == Z_OK else { return .invalid }
        defer { inflateEnd(&stream) }
        var output: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 64 * 1024)
        return input.withUnsafeBytes { source -> Inflated in
            stream.next_in = UnsafeMutablePointer(mutating: source.bindMemory(to: Bytef.self).baseAddress)
            stream.avail_in = uInt(source.count)
            while true {
                let (status, produced) = chunk.withUnsafeMutableBytes { destination -> (Int32, Int) in
                    stream.next_out = destination.bindMemory(to: Bytef.self).baseAddress
                    stream.avail_out = uInt(destination.count)
                    let status = inflate(&stream, Z_NO_FLUSH)
                    return (status, destination.count - Int(stream.avail_out))
                }
                guard status == Z_OK || status == Z_STREAM_END else { return .invalid }
                if output.count + produced > limit { return .exceedsLimit }
                output.append(contentsOf: chunk[0..<produced])
                if status == Z_STREAM_END { return .bytes(output) }
                if produced == 0 && stream.avail_in == 0 { return .invalid }
            }
        }
    }
}
