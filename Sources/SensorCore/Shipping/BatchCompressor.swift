import CDeflate
import CIsal
import NIOCore
import SensorModel

/// gzips batch bodies, reusing one compressor and one output buffer from batch to batch (a
/// fresh compressor and a fresh bound-sized output per batch cost page faults every time).
///
/// Levels 0-3 are ISA-L's igzip (the default, 1, compresses about four times faster than
/// libdeflate's fastest level for ~1% more bytes); 4-12 are libdeflate's, for whoever wants
/// fewer bytes at more CPU.
///
/// Used by one batch at a time: the shipper compresses, uploads and only then compresses the
/// next; that order is what makes the unchecked sendability sound.
final class BatchCompressor: @unchecked Sendable {
    private enum Engine {
        case isal(stream: UnsafeMutablePointer<isal_zstream>, levelBuffer: UnsafeMutableRawBufferPointer)
        case libdeflate(OpaquePointer)
        case zlib
    }

    private let engine: Engine
    private let level: Int
    /// Kept after each batch; once the HTTP client has let go of it, the next batch writes into
    /// the same storage.
    private var output = ByteBuffer()

    init(level: Int) {
        self.level = max(0, min(level, 12))
        if self.level <= 3 {
            let stream = UnsafeMutablePointer<isal_zstream>.allocate(capacity: 1)
            let size = Int(sensor_isal_level_buffer_size(Int32(self.level)))
            engine = .isal(stream: stream, levelBuffer: .allocate(byteCount: max(size, 1), alignment: 64))
        } else if let compressor = libdeflate_alloc_compressor(Int32(self.level)) {
            engine = .libdeflate(compressor)
        } else {
            engine = .zlib
        }
    }

    deinit {
        switch engine {
        case .isal(let stream, let levelBuffer):
            stream.deallocate()
            levelBuffer.deallocate()
        case .libdeflate(let compressor):
            libdeflate_free_compressor(compressor)
        case .zlib:
            break
        }
    }

    /// `body` as one gzip member.
    func compress(_ body: UnsafeRawBufferPointer) -> ByteBuffer {
        var buffer = output
        output = ByteBuffer()
        buffer.clear()  // keeps the storage when nobody else holds it
        switch engine {
        case .isal(let stream, let levelBuffer):
            // Stored blocks bound what stateless compression may write: 5 bytes per 64 KiB.
            let bound = body.count + body.count / 64 + 1024
            buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: bound) { destination in
                isal_deflate_stateless_init(stream)
                stream.pointee.level = UInt32(level)
                if levelBuffer.count > 1 {
                    stream.pointee.level_buf = levelBuffer.baseAddress!.assumingMemoryBound(to: UInt8.self)
                    stream.pointee.level_buf_size = UInt32(levelBuffer.count)
                }
                stream.pointee.gzip_flag = UInt16(IGZIP_GZIP)
                stream.pointee.end_of_stream = 1
                stream.pointee.flush = UInt16(NO_FLUSH)
                stream.pointee.next_in = UnsafeMutablePointer(mutating: body.baseAddress?.assumingMemoryBound(to: UInt8.self))
                stream.pointee.avail_in = UInt32(body.count)
                stream.pointee.next_out = destination.baseAddress!.assumingMemoryBound(to: UInt8.self)
                stream.pointee.avail_out = UInt32(destination.count)
                let status = isal_deflate_stateless(stream)
                precondition(status == COMP_OK, "ISA-L stateless deflate failed (\(status)) with a bound-sized buffer")
                return destination.count - Int(stream.pointee.avail_out)
            }
        case .libdeflate(let compressor):
            let bound = libdeflate_gzip_compress_bound(compressor, body.count)
            buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: bound) { destination in
                let written = libdeflate_gzip_compress(compressor, body.baseAddress, body.count,
                                                       destination.baseAddress, destination.count)
                precondition(written > 0, "libdeflate with a bound-sized buffer must succeed")
                return written
            }
        case .zlib:
            buffer.writeBytes(Gzip.zlibCompress(Array(body), level: level))
        }
        output = buffer
        return buffer
    }
}
