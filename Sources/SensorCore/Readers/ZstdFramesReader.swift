import CZstd
import Foundation
import SensorModel

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// `format: jsonl` with `jsonl.compression: zstd`: a log kept as a concatenation of zstd frames
/// (RFC 8878), each frame whole lines, appended a frame at a time (a tool's compressed
/// session log). Reads whole frames from the end of the last one read, decompressing each as a
/// stream and cutting it into lines, so memory is the frame's compressed bytes and one line.
///
/// - A torn last frame (being written, or left by a crash) waits: nothing of it is sent until
///   it is whole; a tool that repairs it by truncating and writing it again is read after that.
/// - Each line's locator offset and length are its place in the decompressed lines (what the
///   same log written plain would say), kept in the checkpoint beside the frame offset.
/// - The file's identity is the fingerprint of its first frame (its header, written once).
/// - A frame that is not zstd, or fails its checksum, stops the file there with an error
///   naming the file and the frame's offset; nothing after it is read, nothing before it lost.
final class ZstdFramesReader: RecordReader {
    /// The most compressed bytes one frame may take; a larger frame is an error (the lines it
    /// holds are then longer than any record this source takes).
    let maxFrame: Int
    let file: MatchedFile
    let descriptor: Int32
    let key: String
    let fingerprint: String
    let context: ReadContext
    var emitter: LineEmitter
    let maxRecord: Int
    /// End of the last whole frame read, in the file.
    var frameOffset: Int64
    /// Where the next frame's lines begin in the decompressed lines.
    var logicalOffset: Int64
    var atEnd = false
    /// A frame that failed after whole frames were read this call: told on the next one.
    private var damage: (any Error)?
    private let decoder: OpaquePointer
    /// Compressed bytes from `bufferOffset`: whole frames and the start of the next, grown as
    /// far as `maxFrame` for one large frame.
    private var buffer: [UInt8]
    private var bufferOffset: Int64
    private var filled = 0
    /// Decompressed bytes, a window at a time.
    private var window = [UInt8](repeating: 0, count: 128 << 10)
    /// The line being assembled across windows (at most `maxRecord` bytes of it).
    private var line: [UInt8] = []

    init(file: MatchedFile, descriptor: Int32, key: String, fingerprint: String, offset: Int64, logical: Int64,
         context: ReadContext) throws {
        guard let decoder = ZSTD_createDCtx() else {
            throw ReadError(path: file.path, reason: "zstd: no memory for a decompression context", isTransient: true)
        }
        self.decoder = decoder
        self.file = file
        self.descriptor = descriptor
        self.key = key
        self.fingerprint = fingerprint
        self.context = context
        self.emitter = LineEmitter(file: file, fingerprint: fingerprint, context: context)
        self.maxRecord = context.declaration.maxRecordBytes
        self.maxFrame = max(context.declaration.maxRecordBytes, 1 << 20)
        self.frameOffset = offset
        self.logicalOffset = logical
        self.bufferOffset = offset
        // Room for what the file holds now (a small file gets a small buffer), at most 1 MiB to start.
        let size = Int(min(Int64(1 << 20), max(0, file.stat.size - offset) + 4096))
        self.buffer = [UInt8](repeating: 0, count: min(size, maxFrame))
    }

    deinit {
        ZSTD_freeDCtx(decoder)
        close(descriptor)
    }

    func next(state: CheckpointState) throws -> EnvelopeChunk? {
        if let damage {
            self.damage = nil
            throw damage
        }
        guard !atEnd else { return nil }
        var chunk = context.makeChunk()
        let startOffset = frameOffset
        while chunk.bytes.count < context.chunkBytes && chunk.count < context.chunkRecords {
            let (bytes, ends, carry) = (chunk.bytes.count, chunk.ends.count, emitter.redactionCarry)
            do {
                guard let (start, size) = try wholeFrame() else {
                    atEnd = true
                    break
                }
                try emitLines(ofFrameAt: start, size: size, into: &chunk)
                frameOffset += Int64(size)
            } catch {
                // Nothing of the frame that failed (its checksum is checked at its end); the
                // frames before it go out, then the error is told.
                guard frameOffset > startOffset else { throw error }
                chunk.bytes.removeSubrange(bytes...)
                chunk.ends.removeSubrange(ends...)
                emitter.redactionCarry = carry
                damage = error
                atEnd = true
                break
            }
        }
        chunk.inputBytes = frameOffset - startOffset
        let position = FilePosition(source: context.declaration.id, path: file.path, fingerprint: fingerprint,
                                    device: file.stat.device, inode: file.stat.inode, offset: frameOffset,
                                    logical: logicalOffset, size: atEnd ? file.stat.size : -1, modified: file.stat.modified,
                                    anchor: ByteOffset.anchor(descriptor: descriptor, before: frameOffset),
                                    lastSeen: context.now)
        chunk.update = .file(key: key, position)
        return chunk
    }

    /// The next whole frame, at `frameOffset`: where it starts in `buffer` and its size; nil
    /// while the file ends inside it (or at it).
    private func wholeFrame() throws -> (start: Int, size: Int)? {
        while true {
            let start = Int(frameOffset - bufferOffset)
            if filled > start {
                let size = buffer.withUnsafeBytes { ZSTD_findFrameCompressedSize($0.baseAddress! + start, filled - start) }
                if ZSTD_isError(size) == 0 { return (start, size) }
                guard ZSTD_getErrorCode(size) == ZSTD_error_srcSize_wrong else { throw Self.broken(file.path, frameOffset, size) }
            }
            // The frame goes on past what is held: keep it, make room, read more.
            if start > 0 {
                buffer.withUnsafeMutableBytes { raw in
                    if start < filled { memmove(raw.baseAddress!, raw.baseAddress! + start, filled - start) }
                }
                filled = max(0, filled - start)
                bufferOffset = frameOffset
            }
            if filled == buffer.count {
                guard buffer.count < maxFrame else {
                    throw ReadError(path: file.path, reason: "zstd frame at byte \(frameOffset) is larger than max_record_bytes (\(maxFrame)); not read")
                }
                buffer.append(contentsOf: repeatElement(0, count: min(buffer.count * 3, maxFrame - buffer.count)))
            }
            let count = try buffer.withUnsafeMutableBytes { raw in
                try FileIO.read(descriptor, into: UnsafeMutableRawBufferPointer(rebasing: raw[filled...]),
                                at: bufferOffset + Int64(filled), path: file.path)
            }
            if count == 0 { return nil }
            filled += count
        }
    }

    /// Decompresses the frame in `buffer[start..<start + size]` a window at a time and emits its lines.
    private func emitLines(ofFrameAt start: Int, size: Int, into chunk: inout EnvelopeChunk) throws {
        ZSTD_DCtx_reset(decoder, ZSTD_reset_session_only)
        var lineStart = logicalOffset
        var lineLength = 0  // the whole line's, even past what `line` keeps
        line.removeAll(keepingCapacity: true)
        try buffer.withUnsafeBytes { compressed in
            var input = ZSTD_inBuffer(src: compressed.baseAddress! + start, size: size, pos: 0)
            var finished = false
            while !finished {
                let produced = try window.withUnsafeMutableBytes { raw -> Int in
                    var output = ZSTD_outBuffer(dst: raw.baseAddress, size: raw.count, pos: 0)
                    let left = ZSTD_decompressStream(decoder, &output, &input)
                    if ZSTD_isError(left) != 0 { throw Self.broken(file.path, frameOffset, left) }
                    finished = left == 0
                    if !finished && output.pos == 0 && input.pos == input.size {
                        throw ReadError(path: file.path, reason: "zstd frame at byte \(frameOffset) ends before its content")
                    }
                    return output.pos
                }
                var from = 0
                while from < produced {
                    let newline = window.withUnsafeBytes { raw in
                        memchr(raw.baseAddress! + from, 0x0A, produced - from).map { raw.baseAddress!.distance(to: UnsafeRawPointer($0)) }
                    }
                    let end = newline ?? produced
                    let room = max(0, maxRecord + 1 - line.count)
                    line.append(contentsOf: window[from..<min(end, from + room)])
                    lineLength += end - from
                    from = end
                    if newline != nil {
                        emitLine(at: lineStart, length: lineLength, into: &chunk)
                        lineStart += Int64(lineLength) + 1
                        lineLength = 0
                        from += 1
                    }
                }
            }
        }
        // A frame's last line without its newline is still a whole line: frames hold whole lines.
        if lineLength > 0 { emitLine(at: lineStart, length: lineLength, into: &chunk) }
        logicalOffset = lineStart + Int64(lineLength)
    }

    private func emitLine(at offset: Int64, length: Int, into chunk: inout EnvelopeChunk) {
        var flags = RecordFlags()
        if length > maxRecord {
            flags.truncated = true
            flags.originalLength = length
        }
        let kept = min(line.count, maxRecord)
        line.withUnsafeBytes { raw in
            emitter.emit(UnsafeRawBufferPointer(rebasing: raw[0..<kept]), offset: offset, length: length, flags: flags, into: &chunk)
        }
        line.removeAll(keepingCapacity: true)
    }

    private static func broken(_ path: String, _ offset: Int64, _ code: Int) -> ReadError {
        ReadError(path: path, reason: "zstd frame at byte \(offset) cannot be read (\(String(cString: ZSTD_getErrorName(code)))); "
                  + "the file is read up to it and no further")
    }

    /// The fingerprint of a file of zstd frames: the hash of its first frame (the first 64 KiB
    /// of a larger one), or nil while the first frame is not whole.
    static func fingerprint(descriptor: Int32) -> String? {
        var buffer = [UInt8](repeating: 0, count: ByteOffset.fingerprintBytes)
        let filled = buffer.withUnsafeMutableBytes { FileIO.fill(descriptor, $0, at: 0) }
        guard filled > 0 else { return nil }
        let size = buffer.withUnsafeBytes { ZSTD_findFrameCompressedSize($0.baseAddress, filled) }
        if ZSTD_isError(size) == 0 {
            return buffer.withUnsafeBytes { contentHash(UnsafeRawBufferPointer(rebasing: $0[0..<size])) }
        }
        // A first frame larger than the window is known by the window once the file is longer;
        // one that is no zstd at all by its bytes, for the reader to say so.
        guard ZSTD_getErrorCode(size) != ZSTD_error_srcSize_wrong || filled == buffer.count else { return nil }
        return buffer.withUnsafeBytes { contentHash(UnsafeRawBufferPointer(rebasing: $0[0..<filled])) }
    }
}
