import CZstd

/// zstd frames as a tool that compresses its log a write at a time makes them (libzstd, with
/// the content checksum on).
public enum ZstdFrame {
    /// One checksummed frame holding `lines`, each ended by a newline.
    public static func of(_ lines: [String]) -> [UInt8] {
        let text = Array(lines.map { $0 + "\n" }.joined().utf8)
        let context = ZSTD_createCCtx()!
        defer { ZSTD_freeCCtx(context) }
        ZSTD_CCtx_setParameter(context, ZSTD_c_checksumFlag, 1)
        var out = [UInt8](repeating: 0, count: ZSTD_compressBound(text.count))
        let size = out.withUnsafeMutableBytes { destination in
            text.withUnsafeBytes { ZSTD_compress2(context, destination.baseAddress, destination.count, $0.baseAddress, $0.count) }
        }
        precondition(ZSTD_isError(size) == 0, String(cString: ZSTD_getErrorName(size)))
        return Array(out[0..<size])
    }
}
