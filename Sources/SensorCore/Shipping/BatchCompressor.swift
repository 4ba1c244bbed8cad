import CDeflate
import NIOCore
import SensorModel

/// gzips batch bodies with one libdeflate compressor and one output buffer, both reused from
/// batch to batch (a fresh compressor and a fresh bound-sized output per batch cost page
/// faults on every batch).
///
/// Used by one batch at a time: the shipper compresses, uploads and only then compresses the
/// next; that order is what makes the unchecked sendability sound.
final class BatchCompressor: @unchecked Sendable {
    private let compressor: OpaquePointer?
    private let level: Int
    /// Kept after each batch; once the HTTP client has let go of it, the next batch writes into
    /// the same storage.
    private var output = ByteBuffer()

    init(level: Int) {
        self.level = level
        compressor = libdeflate_alloc_compressor(Int32(max(0, min(level, 12))))
    }

    deinit {
        if let compressor { libdeflate_free_compressor(compressor) }
    }

    /// `body` as one gzip member.
    func compress(_ body: UnsafeRawBufferPointer) -> ByteBuffer {
        guard let compressor else {
            return ByteBuffer(bytes: Gzip.zlibCompress(Array(body), level: level))
        }
        var buffer = output
        output = ByteBuffer()
        buffer.clear()  // keeps the storage when nobody else holds it
        let bound = libdeflate_gzip_compress_bound(compressor, body.count)
        buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: bound) { destination in
            let written = libdeflate_gzip_compress(compressor, body.baseAddress, body.count,
                                                   destination.baseAddress, destination.count)
            precondition(written > 0, "libdeflate with a bound-sized buffer must succeed")
            return written
        }
        output = buffer
        return buffer
    }
}
