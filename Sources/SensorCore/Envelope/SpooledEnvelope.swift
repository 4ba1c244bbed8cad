import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// An envelope too large to hold in memory: the record value lives in a spool file in the
/// sensor's state directory, between a head and a tail that are small.
///
/// Its bytes are `head`, the file, `tail`; they are read a window at a time wherever they go
/// (a gzip stream, the `--output` file, the quarantine), so memory stays bounded whatever the
/// size of the record.
public struct SpooledEnvelope: Sendable {
    /// The envelope up to and including `"record":`.
    public var head: [UInt8]
    /// The encoded record value.
    public var recordPath: String
    public var recordLength: Int
    /// What follows the record: flags and the closing brace.
    public var tail: [UInt8]

    public var length: Int { head.count + recordLength + tail.count }

    /// Calls `body` with the envelope's bytes in order, at most `window` bytes at a time.
    public func forEachWindow(window: Int = 1 << 20, _ body: (UnsafeRawBufferPointer) throws -> Void) throws {
        try head.withUnsafeBytes(body)
        let descriptor = try ReadError.openReadOnly(recordPath)
        defer { close(descriptor) }
        var buffer = [UInt8](repeating: 0, count: window)
        var offset = 0
        while offset < recordLength {
            let count = try buffer.withUnsafeMutableBytes { raw in
                try FileIO.read(descriptor, into: raw, at: Int64(offset), path: recordPath)
            }
            guard count > 0 else { throw ReadError(path: recordPath, reason: "spool file shorter than its record") }
            try buffer.withUnsafeBytes { try body(UnsafeRawBufferPointer(rebasing: $0[0..<min(count, recordLength - offset)])) }
            offset += count
        }
        try tail.withUnsafeBytes(body)
    }

    /// Removes the spool file (once the envelope was delivered or written out).
    public func remove() {
        unlink(recordPath)
    }
}
