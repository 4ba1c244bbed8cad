import CDeflate
import CIsal
import CZstd
import NIOCore
import SensorModel

/// gzips batch bodies, reusing one compressor and one output buffer from batch to batch (a
/// fresh compressor and a fresh bound-sized output per batch cost page faults every time).
///
/// A batch comes as pieces (header, envelopes, commas): igzip deflates them as they come
/// through a staging buffer of ``stagingBytes`` that stays in cache, so no batch-sized body is
/// ever assembled; libdeflate, one-shot only, gets them assembled whole.
///
/// Levels 0-3 are ISA-L's igzip (the default is 2: on the sensor's envelopes about three
/// times faster than libdeflate's fastest level for ~1% more bytes); 4-12 are libdeflate's,
/// for whoever wants fewer bytes at more CPU.
///
/// Used by one batch at a time: the shipper compresses, uploads and only then compresses the
/// next; that order is what makes the unchecked sendability sound.
public final class BatchCompressor: @unchecked Sendable {
    private enum Engine {
        case isal(stream: UnsafeMutablePointer<isal_zstream>, levelBuffer: UnsafeMutableRawBufferPointer)
        case libdeflate(OpaquePointer)
        case zlib
    }

    private let engine: Engine
    private let level: Int
    /// zstd's context, made at the first zstd batch and reused.
    private var zstd: OpaquePointer?
    /// zstd's level (`upload.zstd_level`).
    private let zstdLevel: Int32
    /// Kept after each batch; once the HTTP client has let go of it, the next batch writes into
    /// the same storage.
    private var output = ByteBuffer()
    /// Pieces waiting to be deflated (igzip), or the whole body (libdeflate, zlib).
    private var staging: [UInt8] = []
    static let stagingBytes = 256 << 10

    public init(level: Int, zstdLevel: Int = UploadSettings().zstdLevel) {
        self.level = max(0, min(level, 12))
        self.zstdLevel = Int32(max(1, min(zstdLevel, 19)))
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
        if let zstd { ZSTD_freeCCtx(zstd) }
    }

    /// One zstd frame (RFC 8878) of the pieces `produce` passes to its argument; `count` is at
    /// least their total size. Written straight into a bound-sized buffer, piece by piece.
    private func compressZstd(count: Int, _ produce: (_ write: (UnsafeRawBufferPointer) -> Void) -> Void) -> ByteBuffer {
        if zstd == nil { zstd = ZSTD_createCCtx() }
        guard let context = zstd else { preconditionFailure("zstd cannot allocate its context") }
        ZSTD_CCtx_reset(context, ZSTD_reset_session_and_parameters)
        ZSTD_CCtx_setParameter(context, ZSTD_c_compressionLevel, zstdLevel)
        var buffer = output
        output = ByteBuffer()
        buffer.clear()
        let capacity = ZSTD_compressBound(count)
        buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: capacity) { destination in
            var out = ZSTD_outBuffer(dst: destination.baseAddress, size: capacity, pos: 0)
            func feed(_ piece: UnsafeRawBufferPointer, _ directive: ZSTD_EndDirective) {
                var input = ZSTD_inBuffer(src: piece.baseAddress, size: piece.count, pos: 0)
                while true {
                    let left = ZSTD_compressStream2(context, &out, &input, directive)
                    precondition(ZSTD_isError(left) == 0, String(cString: ZSTD_getErrorName(left)))
                    if directive == ZSTD_e_end ? left == 0 : input.pos == input.size { return }
                    // `count` is at least the pieces' total, so the bound-sized buffer never fills.
                    precondition(out.pos < out.size, "zstd output past its bound: count was less than the pieces")
                }
            }
            produce { piece in if !piece.isEmpty { feed(piece, ZSTD_e_continue) } }
            feed(UnsafeRawBufferPointer(start: nil, count: 0), ZSTD_e_end)
            return out.pos
        }
        output = buffer
        return buffer
    }

    /// One gzip member (or zstd frame) of the pieces `produce` passes to its argument, in
    /// order; `count` is their total size.
    func compress(count: Int, encoding: BatchEncoding = .gzip, _ produce: (_ write: (UnsafeRawBufferPointer) -> Void) -> Void) -> ByteBuffer {
        if encoding == .zstd { return compressZstd(count: count, produce) }
        guard case .isal(let stream, let levelBuffer) = engine else {
            staging.removeAll(keepingCapacity: true)
            staging.reserveCapacity(count)
            produce { staging.append(contentsOf: $0) }
            return staging.withUnsafeBytes { compress($0) }
        }
        var buffer = output
        output = ByteBuffer()
        buffer.clear()
        buffer.reserveCapacity(minimumWritableBytes: Self.bound(count))
        isal_deflate_init(stream)
        configure(stream, levelBuffer: levelBuffer)
        stream.pointee.end_of_stream = 0
        staging.removeAll(keepingCapacity: true)
        staging.reserveCapacity(Self.stagingBytes)

        func deflate(_ input: UnsafeRawBufferPointer, last: Bool) {
            stream.pointee.next_in = UnsafeMutablePointer(mutating: input.baseAddress?.assumingMemoryBound(to: UInt8.self))
            stream.pointee.avail_in = UInt32(input.count)
            stream.pointee.end_of_stream = last ? 1 : 0
            while stream.pointee.avail_in > 0 || (last && sensor_isal_finished(stream) == 0) {
                if buffer.writableBytes == 0 { buffer.reserveCapacity(minimumWritableBytes: 64 << 10) }
                let written = buffer.withUnsafeMutableWritableBytes { destination in
                    stream.pointee.next_out = destination.baseAddress!.assumingMemoryBound(to: UInt8.self)
                    stream.pointee.avail_out = UInt32(destination.count)
                    let status = isal_deflate(stream)
                    precondition(status == COMP_OK, "ISA-L deflate failed (\(status))")
                    return destination.count - Int(stream.pointee.avail_out)
                }
                buffer.moveWriterIndex(forwardBy: written)
            }
        }
        func flushStaging(last: Bool) {
            staging.withUnsafeBytes { deflate($0, last: last) }
            staging.removeAll(keepingCapacity: true)
        }
        produce { piece in
            if staging.count + piece.count > Self.stagingBytes {
                flushStaging(last: false)
                // A piece larger than the staging buffer goes to the compressor as it is.
                if piece.count > Self.stagingBytes { return deflate(piece, last: false) }
            }
            staging.append(contentsOf: piece)
        }
        flushStaging(last: true)
        output = buffer
        return buffer
    }

    /// What compression may write at most for `count` bytes: stored blocks cost 5 bytes per
    /// 64 KiB, plus the gzip header and trailer.
    private static func bound(_ count: Int) -> Int { count + count / 64 + 1024 }

    private func configure(_ stream: UnsafeMutablePointer<isal_zstream>, levelBuffer: UnsafeMutableRawBufferPointer) {
        stream.pointee.level = UInt32(level)
        if levelBuffer.count > 1 {
            stream.pointee.level_buf = levelBuffer.baseAddress!.assumingMemoryBound(to: UInt8.self)
            stream.pointee.level_buf_size = UInt32(levelBuffer.count)
        }
        stream.pointee.gzip_flag = UInt16(IGZIP_GZIP)
        stream.pointee.flush = UInt16(NO_FLUSH)
    }

    /// `body` as one gzip member.
    public func compress(_ body: UnsafeRawBufferPointer) -> ByteBuffer {
        var buffer = output
        output = ByteBuffer()
        buffer.clear()  // keeps the storage when nobody else holds it
        switch engine {
        case .isal(let stream, let levelBuffer):
            buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: Self.bound(body.count)) { destination in
                isal_deflate_stateless_init(stream)
                configure(stream, levelBuffer: levelBuffer)
                stream.pointee.end_of_stream = 1
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
