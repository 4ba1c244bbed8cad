import CZstd

/// zstd through libzstd: one frame per buffer, with or without a trained dictionary. Every
/// frame records its content size and the id of the dictionary it needs.
package enum Zstd {
    /// Whether `bytes` begin like a zstd frame (JSON text never does).
    package static func isFrame(_ bytes: UnsafeRawBufferPointer) -> Bool {
        bytes.count >= 4 && bytes[0] == 0x28 && bytes[1] == 0xB5 && bytes[2] == 0x2F && bytes[3] == 0xFD
    }

    /// The id a trained dictionary carries (0: none: raw content, not a zstd dictionary).
    package static func dictionaryID(of dictionary: [UInt8]) -> UInt32 {
        dictionary.withUnsafeBytes { ZDICT_getDictID($0.baseAddress, $0.count) }
    }

    /// The dictionary a frame was made with (0: none).
    package static func dictionaryID(ofFrame bytes: UnsafeRawBufferPointer) -> UInt32 {
        guard let base = bytes.baseAddress else { return 0 }
        return ZSTD_getDictID_fromFrame(base, bytes.count)
    }

    /// A dictionary prepared once for compressing at `level` and for decompressing; shared
    /// read-only by every context.
    package final class Dictionary: @unchecked Sendable {
        package let id: UInt32
        private let compression: OpaquePointer
        private let decompression: OpaquePointer

        package init?(_ bytes: [UInt8], level: Int32) {
            let id = Zstd.dictionaryID(of: bytes)
            guard id != 0,
                  let compression = bytes.withUnsafeBytes({ ZSTD_createCDict($0.baseAddress, $0.count, level) }),
                  let decompression = bytes.withUnsafeBytes({ ZSTD_createDDict($0.baseAddress, $0.count) })
            else { return nil }
            self.id = id
            self.compression = compression
            self.decompression = decompression
        }

        deinit {
            ZSTD_freeCDict(compression)
            ZSTD_freeDDict(decompression)
        }

        func withCompression<T>(_ body: (OpaquePointer) -> T) -> T { body(compression) }
        func withDecompression<T>(_ body: (OpaquePointer) -> T) -> T { body(decompression) }
    }

    /// What went wrong with a frame.
    package struct Failure: Error, CustomStringConvertible {
        package var description: String
    }

    /// A compression context, reused for many buffers (it holds a few MB of tables). One thread.
    package final class Compressor {
        private let context: OpaquePointer
        package let level: Int32

        package init(level: Int32) {
            context = ZSTD_createCCtx()
            self.level = level
        }

        deinit { ZSTD_freeCCtx(context) }

        package func compress(_ source: UnsafeRawBufferPointer, dictionary: Dictionary?) -> [UInt8] {
            let capacity = ZSTD_compressBound(source.count)
            return [UInt8](unsafeUninitializedCapacity: capacity) { buffer, count in
                let written = if let dictionary {
                    dictionary.withCompression {
                        ZSTD_compress_usingCDict(context, buffer.baseAddress, capacity, source.baseAddress, source.count, $0)
                    }
                } else {
                    ZSTD_compressCCtx(context, buffer.baseAddress, capacity, source.baseAddress, source.count, level)
                }
                // Cannot fail with a bound-sized buffer and a valid context.
                precondition(ZSTD_isError(written) == 0, String(cString: ZSTD_getErrorName(written)))
                count = written
            }
        }
    }

    /// A decompression context, reused for many frames. One thread.
    package final class Decompressor {
        private let context: OpaquePointer
        /// The largest content a frame may claim (the server takes no batch larger).
        package let limit: Int

        package init(limit: Int = 1 << 30) {
            context = ZSTD_createDCtx()
            self.limit = limit
        }

        deinit { ZSTD_freeDCtx(context) }

        /// The frame's content as text (invalid UTF-8 repaired, as `String(decoding:)` does),
        /// decompressed straight into the string's storage: no byte array to copy it from.
        package func decompressText(_ frame: UnsafeRawBufferPointer, dictionary: Dictionary?) throws -> String {
            let size = try contentSize(of: frame)
            var failure: String?
            let text = String(unsafeUninitializedCapacity: size) { buffer in
                decompress(frame, into: UnsafeMutableRawBufferPointer(buffer), dictionary: dictionary, failure: &failure)
            }
            if let failure { throw Failure(description: "zstd: \(failure)") }
            return text
        }

        /// The frame's content.
        package func decompress(_ frame: UnsafeRawBufferPointer, dictionary: Dictionary? = nil) throws -> [UInt8] {
            let size = try contentSize(of: frame)
            var failure: String?
            let bytes = [UInt8](unsafeUninitializedCapacity: size) { buffer, count in
                count = decompress(frame, into: UnsafeMutableRawBufferPointer(buffer), dictionary: dictionary, failure: &failure)
            }
            if let failure { throw Failure(description: "zstd: \(failure)") }
            return bytes
        }

        private func contentSize(of frame: UnsafeRawBufferPointer) throws -> Int {
            let size = ZSTD_getFrameContentSize(frame.baseAddress, frame.count)
            guard size != ZSTD_CONTENTSIZE_ERROR, size != ZSTD_CONTENTSIZE_UNKNOWN, size <= UInt64(limit) else {
                throw Failure(description: "not a complete zstd frame of at most \(limit) bytes")
            }
            return Int(size)
        }

        /// Decompresses into `buffer`, sized to the frame's content; the bytes written (0 and
        /// `failure` set when the frame is damaged).
        private func decompress(_ frame: UnsafeRawBufferPointer, into buffer: UnsafeMutableRawBufferPointer,
                                dictionary: Dictionary?, failure: inout String?) -> Int {
            let written = if let dictionary {
                dictionary.withDecompression {
                    ZSTD_decompress_usingDDict(context, buffer.baseAddress, buffer.count, frame.baseAddress, frame.count, $0)
                }
            } else {
                ZSTD_decompressDCtx(context, buffer.baseAddress, buffer.count, frame.baseAddress, frame.count)
            }
            if ZSTD_isError(written) != 0 {
                failure = String(cString: ZSTD_getErrorName(written))
                return 0
            }
            if written != buffer.count { failure = "the frame holds fewer bytes than it says" }
            return written
        }
    }

    /// The content of zstd frames written by another program, whether or not they record their
    /// size (streamed), up to `limit` bytes; nil when they are not zstd or are damaged.
    package static func decompressStream(_ input: [UInt8], limit: Int = 256 << 20) -> [UInt8]? {
        guard input.withUnsafeBytes({ isFrame($0) }), let context = ZSTD_createDStream() else { return nil }
        defer { ZSTD_freeDStream(context) }
        var output: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 1 << 17)
        return input.withUnsafeBytes { source -> [UInt8]? in
            var inBuffer = ZSTD_inBuffer(src: source.baseAddress, size: source.count, pos: 0)
            while true {
                let produced = chunk.withUnsafeMutableBytes { target -> Int? in
                    var outBuffer = ZSTD_outBuffer(dst: target.baseAddress, size: target.count, pos: 0)
                    let result = ZSTD_decompressStream(context, &outBuffer, &inBuffer)
                    return ZSTD_isError(result) != 0 ? nil : outBuffer.pos
                }
                guard let produced else { return nil }
                output += chunk.prefix(produced)
                guard output.count <= limit else { return nil }
                if inBuffer.pos == inBuffer.size && produced < chunk.count { return output }
            }
        }
    }

    /// A dictionary of at most `capacity` bytes trained on `samples`; nil when they are too
    /// few or too alike to train on.
    ///
    /// fastCover with fixed parameters (segments of 1,000 bytes, 8-byte d-mers): zstd's
    /// `ZDICT_trainFromBuffer` tries several segment sizes and kept the best, three times the
    /// CPU (1.6 s against 0.5 s on 16 MB of transcript lines) for a dictionary that compressed
    /// the rest of them to the same 22.4%.
    package static func train(_ samples: [[UInt8]], capacity: Int) -> [UInt8]? {
        guard samples.count >= 8 else { return nil }
        let joined = samples.flatMap { $0 }
        let sizes = samples.map { $0.count }
        var dictionary = [UInt8](repeating: 0, count: capacity)
        let size = dictionary.withUnsafeMutableBytes { out in
            joined.withUnsafeBytes { input in
                sizes.withUnsafeBufferPointer { sizes in
                    ZDICT_trainFromBuffer_fastCover(out.baseAddress, capacity, input.baseAddress, sizes.baseAddress,
                                                    UInt32(sizes.count), trainingParameters)
                }
            }
        }
        guard ZDICT_isError(size) == 0 else { return nil }
        return Array(dictionary.prefix(size))
    }

    private static var trainingParameters: ZDICT_fastCover_params_t {
        var parameters = ZDICT_fastCover_params_t()
        parameters.k = 1000
        parameters.d = 8
        parameters.f = 20
        parameters.accel = 1
        parameters.zParams.compressionLevel = RawCustody.level
        return parameters
    }
}
