import Foundation
import SensorModel

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// `format: jsonl`: one record a line, read with the `byte` offset strategy (from zstd frames
/// with `jsonl.compression: zstd`: ``ZstdFramesReader``). Also the lines of
/// `format: text` read with `byte` (an append-only log in Markdown): each non-blank line a text
/// record at its byte offset.
public enum JSONLinesFormat: RecordFormatPlugin {
    public static let format = RecordFormat.jsonl
    public static let strategies = [OffsetStrategy.byte]

    public static func makeReader(file: MatchedFile, context: ReadContext, state: CheckpointState) throws -> (any RecordReader)? {
        let source = context.declaration.id
        if let stamp = ByteOffset.unchanged(file: file, source: source, state: state) {
            // Same inode, size and mtime: not even opened.
            guard stamp.pathHash != PathHash.of(file.path) || context.isStale(lastSeen: stamp.lastSeen),
                  let key = state.fileKeysByInode[source]?[FileIdentity(device: file.stat.device, inode: file.stat.inode)],
                  var position = state.files[key] else { return nil }
            position.path = file.path  // renamed: same bytes, nothing to read
            position.lastSeen = context.now
            return OneUpdateReader(update: .file(key: key, position), source: source)
        }
        let descriptor = try ReadError.openListed(file, followSymlinks: context.declaration.followSymlinks)
        if context.declaration.compression == .zstd {
            switch ByteOffset.start(file: file, descriptor: descriptor, source: source, state: state,
                                    fingerprint: ZstdFramesReader.fingerprint(descriptor: descriptor)) {
            case .waiting:
                close(descriptor)
                return nil
            case .read(let key, let fingerprint, let offset):
                let logical = offset == 0 ? 0 : state.files[key]?.logical ?? 0
                do {
                    return try ZstdFramesReader(file: file, descriptor: descriptor, key: key, fingerprint: fingerprint,
                                                offset: offset, logical: logical, context: context)
                } catch {
                    close(descriptor)
                    throw error
                }
            }
        }
        switch ByteOffset.start(file: file, descriptor: descriptor, source: source, state: state,
                                lines: context.declaration.fingerprintLines) {
        case .waiting:
            close(descriptor)
            return nil
        case .read(let key, let fingerprint, let offset):
            return JSONLinesReader(file: file, descriptor: descriptor, key: key, fingerprint: fingerprint,
                                   offset: offset, context: context)
        }
    }
}

/// Hands over a single checkpoint update (a rename, a refreshed `lastSeen`) with no records.
final class OneUpdateReader: RecordReader {
    var update: CheckpointUpdate?
    let source: String

    init(update: CheckpointUpdate, source: String) {
        self.update = update
        self.source = source
    }

    func next(state: CheckpointState) throws -> EnvelopeChunk? {
        guard let update else { return nil }
        self.update = nil
        var chunk = EnvelopeChunk()
        chunk.update = update
        chunk.sourceID = source
        return chunk
    }
}

/// Streams complete lines from a byte offset. Memory is one buffer, which grows only as far
/// as the declared maximum record size; a longer line is sent cut and flagged, and its rest
/// is skipped without being held.
final class JSONLinesReader: RecordReader {
    let file: MatchedFile
    let descriptor: Int32
    let key: String
    let fingerprint: String
    let context: ReadContext
    var emitter: LineEmitter
    let maxRecord: Int
    /// The most of one line the buffer holds: past it the line is spooled or, without a spool
    /// directory, cut at `maxRecord`.
    let bufferLimit: Int

    /// File offset of `buffer[0]`.
    var bufferOffset: Int64
    var buffer: [UInt8]
    var filled = 0
    var atEnd = false

    init(file: MatchedFile, descriptor: Int32, key: String, fingerprint: String, offset: Int64, context: ReadContext) {
        self.file = file
        self.descriptor = descriptor
        self.key = key
        self.fingerprint = fingerprint
        self.context = context
        self.bufferOffset = offset
        self.maxRecord = context.declaration.maxRecordBytes
        self.bufferLimit = context.spoolDirectory == nil ? maxRecord + 1 : min(context.spoolThreshold, maxRecord + 1)
        self.emitter = LineEmitter(file: file, fingerprint: fingerprint, context: context)
        // Room for what the file holds now (a small file gets a small buffer), at most 1 MiB to start.
        let remaining = max(0, file.stat.size - offset)
        let size = min(1 << 20, bufferLimit, Int(remaining) + 4096)
        self.buffer = [UInt8](unsafeUninitializedCapacity: size) { _, count in count = size }
    }

    deinit {
        close(descriptor)
    }

    func next(state: CheckpointState) throws -> EnvelopeChunk? {
        guard !atEnd else { return nil }
        var chunk = context.makeChunk()
        let startOffset = bufferOffset
        var lineStart = 0  // index in buffer of the next line
        var scanFrom = 0

        reading: while chunk.bytes.count < context.chunkBytes && chunk.count < context.chunkRecords {
            // Complete lines already in the buffer.
            while scanFrom < filled {
                let found = buffer.withUnsafeBytes { memchr($0.baseAddress! + scanFrom, 0x0A, filled - scanFrom) }
                guard let found else {
                    scanFrom = filled
                    break
                }
                let newline = buffer.withUnsafeBytes { $0.baseAddress!.distance(to: UnsafeRawPointer(found)) }
                emitLine(in: lineStart..<newline, into: &chunk)
                lineStart = newline + 1
                scanFrom = lineStart
                if chunk.bytes.count >= context.chunkBytes || chunk.count >= context.chunkRecords { break reading }
            }
            // Keep the incomplete tail, make room, read more.
            if lineStart > 0 {
                buffer.withUnsafeMutableBytes { raw in
                    if lineStart < filled { memmove(raw.baseAddress!, raw.baseAddress! + lineStart, filled - lineStart) }
                }
                filled -= lineStart
                scanFrom -= lineStart
                bufferOffset += Int64(lineStart)
                lineStart = 0
            }
            if filled == buffer.count {
                if let directory = context.spoolDirectory, buffer.count >= bufferLimit {
                    // Longer than records held in memory: the line gets a chunk of its own.
                    if chunk.isEmpty { try spoolLongLine(into: &chunk, directory: directory) }
                    break reading
                }
                if buffer.count <= maxRecord {
                    buffer.append(contentsOf: repeatElement(0, count: min(buffer.count, bufferLimit - buffer.count)))
                } else {
                    try skipOversizedLine(into: &chunk)
                    scanFrom = 0
                    continue
                }
            }
            let count = try readMore()
            if count == 0 {
                atEnd = true
                break
            }
        }
        // Drop consumed lines so the next call starts at a line boundary.
        if lineStart > 0 {
            buffer.withUnsafeMutableBytes { raw in
                if lineStart < filled { memmove(raw.baseAddress!, raw.baseAddress! + lineStart, filled - lineStart) }
            }
            filled -= lineStart
            bufferOffset += Int64(lineStart)
        }
        chunk.inputBytes = bufferOffset - startOffset
        return finalUpdate(into: chunk)
    }

    /// Attaches the position after the last complete line.
    private func finalUpdate(into chunk: EnvelopeChunk) -> EnvelopeChunk? {
        var chunk = chunk
        let position = FilePosition(source: context.declaration.id, path: file.path, fingerprint: fingerprint,
                                    device: file.stat.device, inode: file.stat.inode, offset: bufferOffset,
                                    size: atEnd ? file.stat.size : -1, modified: file.stat.modified,
                                    anchor: ByteOffset.anchor(descriptor: descriptor, before: bufferOffset),
                                    lastSeen: context.now)
        chunk.update = .file(key: key, position)
        return chunk
    }

    private func readMore() throws -> Int {
        let count = try buffer.withUnsafeMutableBytes { raw in
            try FileIO.read(descriptor, into: UnsafeMutableRawBufferPointer(rebasing: raw[filled...]),
                            at: bufferOffset + Int64(filled), path: file.path)
        }
        filled += count
        return count
    }

    /// The buffer holds `maxRecord + 1` bytes of one line: send the first `maxRecord` bytes,
    /// flagged, and skip to the end of the line. If the line has no end yet, wait for it.
    private func skipOversizedLine(into chunk: inout EnvelopeChunk) throws {
        var scanOffset = bufferOffset + Int64(filled)
        var scratch = [UInt8](repeating: 0, count: 1 << 20)
        while true {
            let count = try scratch.withUnsafeMutableBytes { try FileIO.read(descriptor, into: $0, at: scanOffset, path: file.path) }
            if count == 0 {
                // No newline yet: a line being written. Leave it for a later poll.
                filled = 0
                atEnd = true
                return
            }
            if let newline = scratch[0..<count].firstIndex(of: 0x0A) {
                let lineEnd = scanOffset + Int64(newline)
                let originalLength = Int(lineEnd - bufferOffset)
                var flags = RecordFlags()
                flags.truncated = true
                flags.originalLength = originalLength
                buffer.withUnsafeBytes { raw in
                    emitter.emit(UnsafeRawBufferPointer(rebasing: raw[0..<maxRecord]), offset: bufferOffset, length: originalLength,
                         flags: flags, into: &chunk)
                }
                chunk.inputBytes += Int64(originalLength + 1)
                bufferOffset = lineEnd + 1
                filled = 0
                return
            }
            scanOffset += Int64(count)
        }
    }

    /// The line starting at `buffer[0]` fills the buffer: find its end (hashing it on the way,
    /// for the id), then stream it into a spooled envelope, which becomes the chunk's one
    /// envelope. Same id, locator and flags as if it had been held; a line without its newline
    /// yet waits for a later pass.
    private func spoolLongLine(into chunk: inout EnvelopeChunk, directory: URL) throws {
        let lineStart = bufferOffset
        var nulStripped = false
        var lead = 0
        while lead < filled, emitter.isBlank(buffer[lead]) {
            if buffer[lead] == 0 { nulStripped = true }
            lead += 1
        }

        var id = RecordID(device: context.writer.device, scope: fingerprint)
        id.update(lineStart)
        let hashLimit = lineStart + Int64(maxRecord)
        func hash(_ bytes: UnsafeRawBufferPointer, at offset: Int64) {
            guard offset < hashLimit else { return }
            let count = Int(min(Int64(bytes.count), hashLimit - offset))
            id.update(UnsafeRawBufferPointer(rebasing: bytes[0..<count]))
        }
        buffer.withUnsafeBytes { hash(UnsafeRawBufferPointer(rebasing: $0[0..<filled]), at: lineStart) }
        var scanOffset = lineStart + Int64(filled)
        var lineEnd: Int64 = 0
        while true {
            let count = try buffer.withUnsafeMutableBytes {
                try FileIO.read(descriptor, into: $0, at: scanOffset, path: file.path)
            }
            if count == 0 {
                filled = 0
                atEnd = true
                return
            }
            let newline = buffer.withUnsafeBytes { raw in
                memchr(raw.baseAddress!, 0x0A, count).map { raw.baseAddress!.distance(to: UnsafeRawPointer($0)) }
            }
            buffer.withUnsafeBytes { hash(UnsafeRawBufferPointer(rebasing: $0[0..<(newline ?? count)]), at: scanOffset) }
            if let newline {
                lineEnd = scanOffset + Int64(newline)
                break
            }
            scanOffset += Int64(count)
        }

        let length = Int(lineEnd - lineStart)
        var flags = RecordFlags()
        var recordEnd = lineEnd
        if length > maxRecord {
            flags.truncated = true
            flags.originalLength = length
            recordEnd = hashLimit
        }
        // Trailing blanks, read back from the end.
        let recordStart = lineStart + Int64(lead)
        var trimmedEnd = recordEnd
        trimming: while trimmedEnd > recordStart {
            let step = Int(min(4096, trimmedEnd - recordStart))
            let count = try buffer.withUnsafeMutableBytes {
                try FileIO.read(descriptor, into: UnsafeMutableRawBufferPointer(rebasing: $0[0..<step]),
                                at: trimmedEnd - Int64(step), path: file.path)
            }
            guard count == step else { break }
            for index in stride(from: step - 1, through: 0, by: -1) {
                guard emitter.isBlank(buffer[index]) else { break trimming }
                if buffer[index] == 0 { nulStripped = true }
                trimmedEnd -= 1
            }
        }
        flags.nulStripped = nulStripped
        bufferOffset = lineEnd + 1
        filled = 0
        // The buffer grew to the spool threshold for this line; the lines after it need less.
        if buffer.count > 1 << 20 { buffer = [UInt8](unsafeUninitializedCapacity: 1 << 20) { _, count in count = 1 << 20 } }
        guard trimmedEnd > recordStart else { return }  // blank line: not a record

        let locator = emitter.locator(offset: lineStart, length: length)
        let spooler = RecordSpooler(directory: directory, writer: context.writer, redactor: context.redactor)
        chunk.spooled = try spooler.spool(source: file.path, id: id.finalize(), locator: locator,
                                          length: Int(trimmedEnd - recordStart), expectJSON: context.declaration.format != .text,
                                          flags: flags) { offset, into in
            try FileIO.read(self.descriptor, into: into, at: recordStart + Int64(offset), path: self.file.path)
        }
    }

    private func emitLine(in range: Range<Int>, into chunk: inout EnvelopeChunk) {
        buffer.withUnsafeBytes { raw in
            emitter.emit(UnsafeRawBufferPointer(rebasing: raw[range]), offset: bufferOffset + Int64(range.lowerBound),
                 length: range.count, flags: RecordFlags(), into: &chunk)
        }
    }
}
