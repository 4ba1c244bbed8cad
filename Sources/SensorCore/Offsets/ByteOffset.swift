import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The `byte` offset strategy: a file's identity is the fingerprint of its first complete line,
/// or first few where a tool begins every file alike (`fingerprint_lines`), with device and
/// inode as a fast path; its position the end of the last complete line.
///
/// - A file renamed (same bytes) keeps its fingerprint: reading continues where it stopped.
/// - A file copied or atomically replaced with the same first line continues too, once the
///   bytes just before the stored offset are verified unchanged (the anchor).
/// - A file that shrank, or whose anchor changed, was rewritten: read again from the start.
/// - A file without a complete first line has no identity yet: it waits for the next poll.
public enum ByteOffset {
    /// Bytes of the first lines that make the fingerprint.
    static let fingerprintBytes = 64 * 1024
    /// Bytes before the offset that make the anchor.
    static let anchorBytes: Int64 = 4096

    public enum Start: Equatable {
        /// No complete first line yet.
        case waiting
        /// Read from `offset`.
        case read(key: String, fingerprint: String, offset: Int64)
    }

    /// The stamp of `file`'s checkpoint when it was read to its end and its size and mtime have
    /// not moved since (same inode); nil otherwise. Costs no system call.
    static func unchanged(file: MatchedFile, source: String, state: CheckpointState) -> InodeStamp? {
        guard let stamp = state.inodeStamps[source]?[FileIdentity(device: file.stat.device, inode: file.stat.inode)],
              stamp.size == file.stat.size, stamp.modified == file.stat.modified else { return nil }
        return stamp
    }

    /// Where to start reading `file`, which is not ``unchanged(file:source:state:)``.
    static func start(file: MatchedFile, descriptor: Int32, source: String, state: CheckpointState, lines: Int = 1) -> Start {
        start(file: file, descriptor: descriptor, source: source, state: state, fingerprint: fingerprint(descriptor: descriptor, lines: lines))
    }

    /// Where to start reading `file` known by `fingerprint` (nil: it has no identity yet).
    static func start(file: MatchedFile, descriptor: Int32, source: String, state: CheckpointState, fingerprint: String?) -> Start {
        guard let fingerprint else { return .waiting }
        let key = CheckpointState.fileKey(source: source, fingerprint: fingerprint)
        guard let position = state.files[key] else { return .read(key: key, fingerprint: fingerprint, offset: 0) }
        if position.offset > file.stat.size {
            return .read(key: key, fingerprint: fingerprint, offset: 0)  // truncated
        }
        if let anchor = position.anchor, anchor != Self.anchor(descriptor: descriptor, before: position.offset) {
            return .read(key: key, fingerprint: fingerprint, offset: 0)  // rewritten behind the offset
        }
        return .read(key: key, fingerprint: fingerprint, offset: position.offset)
    }

    /// Hash of the first `lines` complete lines (within the first 64 KiB; the newline ending the
    /// last is left out, so one line hashes as it always has), or nil while fewer are complete.
    static func fingerprint(descriptor: Int32, lines: Int = 1) -> String? {
        var buffer = [UInt8](repeating: 0, count: fingerprintBytes)
        var filled = 0
        var found = 0
        while filled < buffer.count {
            let count = buffer.withUnsafeMutableBytes { pread(descriptor, $0.baseAddress! + filled, $0.count - filled, off_t(filled)) }
            if count < 0 && errno == EINTR { continue }
            guard count > 0 else { break }
            var from = filled
            while let newline = buffer[from..<(filled + count)].firstIndex(of: 0x0A) {
                found += 1
                if found == lines {
                    return buffer.withUnsafeBytes { contentHash(UnsafeRawBufferPointer(rebasing: $0[0..<newline])) }
                }
                from = newline + 1
            }
            filled += count
        }
        // First lines longer than the fingerprint window are identified by that window, once a
        // newline follows somewhere.
        guard filled == buffer.count, hasNewline(descriptor: descriptor, from: Int64(filled)) else { return nil }
        return buffer.withUnsafeBytes { contentHash($0) }
    }

    private static func hasNewline(descriptor: Int32, from start: Int64) -> Bool {
        var buffer = [UInt8](repeating: 0, count: 1 << 20)
        var offset = start
        while true {
            let count = buffer.withUnsafeMutableBytes { pread(descriptor, $0.baseAddress!, $0.count, off_t(offset)) }
            if count < 0 && errno == EINTR { continue }
            guard count > 0 else { return false }
            if buffer[0..<count].contains(0x0A) { return true }
            offset += Int64(count)
        }
    }

    /// Hash of the bytes just before `offset` (empty at 0).
    static func anchor(descriptor: Int32, before offset: Int64) -> String {
        let length = Int(min(offset, anchorBytes))
        var buffer = [UInt8](repeating: 0, count: length)
        let filled = buffer.withUnsafeMutableBytes { FileIO.fill(descriptor, $0, at: offset - Int64(length)) }
        return buffer.withUnsafeBytes { contentHash(UnsafeRawBufferPointer(rebasing: $0[0..<filled])) }
    }
}
