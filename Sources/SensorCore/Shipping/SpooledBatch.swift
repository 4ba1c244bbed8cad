import Foundation
import NIOCore

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A gzipped batch body: in memory, or in a file when it carries a spooled envelope.
public enum GzippedBatch: Sendable {
    case memory(ByteBuffer)
    case file(path: String, length: Int)

    public var length: Int {
        switch self {
        case .memory(let buffer): buffer.readableBytes
        case .file(_, let length): length
        }
    }
}

/// The batch of one ``SpooledEnvelope``: gzipped into a file beside the record, uploaded from
/// there, removed after the attempt. It is written as a series of gzip members (RFC 1952
/// allows it; every gzip reader inflates them as one stream), each 1 MiB of the batch
/// compressed whole by the shipper's compressor: bounded memory, whatever the record's size.
enum SpooledBatch {
    static let memberBytes = 1 << 20

    /// `compressor` is the shipper's (one batch at a time uses it).
    static func compress(header: [UInt8], envelope: SpooledEnvelope, footer: [UInt8],
                         with compressor: BatchCompressor) throws -> GzippedBatch {
        let path = envelope.recordPath + ".gz"
        let file = try SpoolFile(path: path)
        var piece: [UInt8] = []
        piece.reserveCapacity(memberBytes)

        func compressPiece() throws {
            guard !piece.isEmpty else { return }
            let member = piece.withUnsafeBytes { compressor.compress($0) }
            try member.withUnsafeReadableBytes { try file.write($0) }
            piece.removeAll(keepingCapacity: true)
        }
        func add(_ bytes: UnsafeRawBufferPointer) throws {
            var offset = 0
            while offset < bytes.count {
                let count = min(memberBytes - piece.count, bytes.count - offset)
                piece.append(contentsOf: UnsafeRawBufferPointer(rebasing: bytes[offset..<(offset + count)]))
                offset += count
                if piece.count == memberBytes { try compressPiece() }
            }
        }

        do {
            try header.withUnsafeBytes(add)
            try envelope.forEachWindow(add)
            try footer.withUnsafeBytes(add)
            try compressPiece()
            try file.flush()
        } catch {
            unlink(path)
            throw error
        }
        return .file(path: path, length: file.length)
    }
}

/// A file's bytes as an async sequence of buffers: an upload body streamed from disk.
///
/// The HTTP client pauses the sequence only once its channel reports it is not writable, so a
/// burst of windows is in flight at any time. Windows of 256 KiB (the allocator's mmap
/// threshold) go back to the system as soon as they are written; 64 KiB ones came from the
/// allocator's arenas and left several megabytes resident after a 50 MB record's upload.
struct FileWindows: AsyncSequence, Sendable {
    typealias Element = ByteBuffer
    let path: String
    var window = 256 * 1024

    final class AsyncIterator: AsyncIteratorProtocol {
        let path: String
        let window: Int
        private var descriptor: Int32 = -1
        private var offset = 0

        init(path: String, window: Int) {
            self.path = path
            self.window = window
        }

        deinit {
            if descriptor >= 0 { close(descriptor) }
        }

        func next() async throws -> ByteBuffer? {
            if descriptor < 0 { descriptor = try ReadError.openReadOnly(path) }
            var buffer = ByteBuffer()
            let count = try buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: window) { raw in
                try FileIO.read(descriptor, into: UnsafeMutableRawBufferPointer(rebasing: raw[0..<window]), at: Int64(offset), path: path)
            }
            guard count > 0 else { return nil }
            offset += count
            return buffer
        }
    }

    func makeAsyncIterator() -> AsyncIterator {
        AsyncIterator(path: path, window: window)
    }
}
