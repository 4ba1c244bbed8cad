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
