import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A file the sensor writes in its own spool directory, through a small buffer.
final class SpoolFile {
    let path: String
    private let descriptor: Int32
    private var pending: [UInt8] = []
    private(set) var length = 0

    /// Creates (or empties) `path`, readable by the owner only.
    init(path: String) throws {
        let descriptor = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else { throw ReadError(path: path, errno: errno, isTransient: true) }
        self.path = path
        self.descriptor = descriptor
        pending.reserveCapacity(Self.flushBytes)
    }

    deinit {
        close(descriptor)
    }

    static let flushBytes = 256 * 1024

    func write(_ bytes: UnsafeRawBufferPointer) throws {
        length += bytes.count
        if pending.count + bytes.count > Self.flushBytes {
            try flush()
            if bytes.count >= Self.flushBytes { return try writeAll(bytes) }
        }
        pending.append(contentsOf: bytes)
    }

    func write(_ bytes: [UInt8]) throws {
        try bytes.withUnsafeBytes { try write($0) }
    }

    /// Writes what is buffered.
    func flush() throws {
        let bytes = pending
        pending.removeAll(keepingCapacity: true)
        try bytes.withUnsafeBytes { try writeAll($0) }
    }

    /// Empties the file, to write it again.
    func restart() throws {
        pending.removeAll(keepingCapacity: true)
        length = 0
        guard ftruncate(descriptor, 0) == 0, lseek(descriptor, 0, SEEK_SET) == 0 else {
            throw ReadError(path: path, errno: errno, isTransient: true)
        }
    }

    private func writeAll(_ bytes: UnsafeRawBufferPointer) throws {
        guard FileIO.writeAll(descriptor, bytes) else { throw ReadError(path: path, errno: errno) }
    }
}
