import Access
import Explorer
import IngestStore
import Normalization
import CZstd

/// Decompresses a zstd body (RFC 8878: one frame or several in a row) as its bytes arrive,
/// and stops at a cap, as ``GzipInflater`` does for gzip.
///
/// A frame may ask for a window of at most 8 MiB (the sensor's levels use 2 MiB at most): a
/// frame asking for more is refused rather than given the memory. Not thread-safe; one request
/// body at a time.
final class ZstdInflater: BodyInflater {
    let limit: Int
    private(set) var output: [UInt8] = []
    private let context: OpaquePointer
    private var scratch = [UInt8](repeating: 0, count: 128 * 1024)
    /// The last call ended a frame and flushed it: the body may end here.
    private var atFrameEnd = false
    static let windowLogMax: Int32 = 23

    init(limit: Int) throws(BodyInflaterFailure) {
        self.limit = limit
        guard let context = ZSTD_createDCtx() else { throw .invalid }
        self.context = context
        guard ZSTD_isError(ZSTD_DCtx_setParameter(context, ZSTD_d_windowLogMax, Self.windowLogMax)) == 0 else { throw .invalid }
    }

    deinit { ZSTD_freeDCtx(context) }

    func append(_ compressed: UnsafeRawBufferPointer) throws(BodyInflaterFailure) {
        guard let base = compressed.baseAddress, !compressed.isEmpty else { return }
        var input = ZSTD_inBuffer(src: base, size: compressed.count, pos: 0)
        while input.pos < input.size || !atFrameEnd {
            let (result, produced) = scratch.withUnsafeMutableBytes { buffer -> (Int, Int) in
                var out = ZSTD_outBuffer(dst: buffer.baseAddress, size: buffer.count, pos: 0)
                let result = ZSTD_decompressStream(context, &out, &input)
                return (result, out.pos)
            }
            guard ZSTD_isError(result) == 0 else { throw .invalid }
            try output.append(inflated: scratch[0..<produced], limit: limit)
            atFrameEnd = result == 0
            // Input used up and nothing more to flush for now: wait for more bytes.
            if input.pos == input.size && produced < scratch.count { return }
        }
    }

    func finish() throws(BodyInflaterFailure) -> [UInt8] {
        guard atFrameEnd else { throw .invalid }
        return output
    }
}
