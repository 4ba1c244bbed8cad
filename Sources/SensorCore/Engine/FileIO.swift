#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// `pread` and `write` on a descriptor, retried when a signal interrupts them: what the
/// readers, the spool and the checkpoint files all need.
enum FileIO {
    /// Reads into `buffer` at `offset`; 0 at the end of the file. A failure is a transient
    /// ``ReadError`` naming `path`.
    static func read(_ descriptor: Int32, into buffer: UnsafeMutableRawBufferPointer, at offset: Int64, path: String) throws -> Int {
        while true {
            let count = pread(descriptor, buffer.baseAddress!, buffer.count, off_t(offset))
            if count >= 0 { return count }
            if errno != EINTR { throw ReadError(path: path, errno: errno) }
        }
    }

    /// Fills `buffer` from `offset` as far as the file goes: the bytes read, fewer than asked at
    /// its end or where a read fails (what was read by then is kept).
    static func fill(_ descriptor: Int32, _ buffer: UnsafeMutableRawBufferPointer, at offset: Int64) -> Int {
        var filled = 0
        while filled < buffer.count {
            let count = pread(descriptor, buffer.baseAddress! + filled, buffer.count - filled, off_t(offset + Int64(filled)))
            if count < 0 && errno == EINTR { continue }
            guard count > 0 else { break }
            filled += count
        }
        return filled
    }

    /// Writes all of `bytes`; false, with `errno` set, when the system refuses.
    static func writeAll(_ descriptor: Int32, _ bytes: UnsafeRawBufferPointer) -> Bool {
        var written = 0
        while written < bytes.count {
            let result = write(descriptor, bytes.baseAddress! + written, bytes.count - written)
            if result < 0 {
                if errno == EINTR { continue }
                return false
            }
            written += result
        }
        return true
    }
}
