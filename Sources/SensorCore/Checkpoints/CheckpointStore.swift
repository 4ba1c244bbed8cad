import Foundation
import Logging

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The checkpoint file: loaded once, written atomically (temp file, fsync, rename, fsync dir).
///
/// A missing, unreadable or corrupt file means starting over: everything is read again and
/// the server's dedupe absorbs the repeats. Nothing is ever skipped because of a bad file.
public struct CheckpointStore: Sendable {
    public let url: URL

    public init(url: URL) {
        self.url = url
    }

    /// The saved state, or an empty one (with a warning) when the file is missing or corrupt.
    public func load(logger: Logger? = nil) -> CheckpointState {
        guard let data = try? Data(contentsOf: url) else { return CheckpointState() }
        do {
            let state = try JSONDecoder().decode(CheckpointState.self, from: data)
            guard state.version == CheckpointState.currentVersion else {
                logger?.warning("checkpoint file has version \(state.version); starting over", metadata: ["path": "\(url.path)"])
                return CheckpointState()
            }
            return state
        } catch {
            let aside = url.appendingPathExtension("corrupt")
            try? FileManager.default.removeItem(at: aside)
            try? FileManager.default.moveItem(at: url, to: aside)
            logger?.warning("checkpoint file is corrupt; moved aside, everything will be read again",
                            metadata: ["path": "\(url.path)", "error": "\(error)"])
            return CheckpointState()
        }
    }

    /// Writes `state` atomically.
    public func save(_ state: CheckpointState) throws {
        var buffer: [UInt8] = []
        try save(state, buffer: &buffer)
    }

    /// Saves `state`, encoding it into `buffer` (whose storage a caller that saves often keeps).
    public func save(_ state: CheckpointState, buffer: inout [UInt8]) throws {
        buffer.removeAll(keepingCapacity: true)
        try CheckpointEncoder.encode(state, into: &buffer)
        try buffer.withUnsafeBytes { try AtomicFile.write($0, to: url) }
    }
}

/// Atomic replacement of a small file.
public enum AtomicFile {
    public static func write(_ data: Data, to url: URL, permissions: mode_t = 0o600) throws {
        try data.withUnsafeBytes { try write($0, to: url, permissions: permissions) }
    }

    public static func write(_ data: UnsafeRawBufferPointer, to url: URL, permissions: mode_t = 0o600) throws {
        let directory = url.deletingLastPathComponent()
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let temporary = directory.appendingPathComponent(".\(url.lastPathComponent).\(getpid()).tmp")
        let descriptor = open(temporary.path, O_WRONLY | O_CREAT | O_TRUNC, permissions)
        guard descriptor >= 0 else { throw POSIXFailure("open", temporary.path) }
        var written = 0
        let success = { (buffer: UnsafeRawBufferPointer) -> Bool in
            while written < buffer.count {
                let result = Glibc_write(descriptor, buffer.baseAddress! + written, buffer.count - written)
                if result < 0 {
                    if errno == EINTR { continue }
                    return false
                }
                written += result
            }
            return fsync(descriptor) == 0
        }(data)
        close(descriptor)
        guard success else {
            unlink(temporary.path)
            throw POSIXFailure("write", temporary.path)
        }
        guard rename(temporary.path, url.path) == 0 else {
            unlink(temporary.path)
            throw POSIXFailure("rename", url.path)
        }
        let directoryDescriptor = open(directory.path, O_RDONLY)
        if directoryDescriptor >= 0 {
            fsync(directoryDescriptor)
            close(directoryDescriptor)
        }
    }
}

@inline(__always)
func Glibc_write(_ fd: Int32, _ buffer: UnsafeRawPointer, _ count: Int) -> Int {
    write(fd, buffer, count)
}

/// A failed system call, with `errno`'s text.
public struct POSIXFailure: Error, CustomStringConvertible {
    public let call: String
    public let path: String
    public let code: Int32

    public init(_ call: String, _ path: String, code: Int32 = errno) {
        self.call = call
        self.path = path
        self.code = code
    }

    public var description: String { "\(call) \(path): \(String(cString: strerror(code)))" }
}
