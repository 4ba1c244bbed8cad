import Foundation
import NIOCore

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// How a batch body is compressed on the wire (its `Content-Encoding`).
public enum BatchEncoding: String, Sendable {
    /// zstd (RFC 8878), to a server that says it takes it.
    case zstd
    /// gzip: what every server takes.
    case gzip
}

/// A compressed batch body: in memory, or (gzip) in a file when it carries a spooled envelope.
public enum CompressedBatch: Sendable {
    case memory(ByteBuffer, encoding: BatchEncoding)
    case file(path: String, length: Int)

    public var length: Int {
        switch self {
        case .memory(let buffer, _): buffer.readableBytes
        case .file(_, let length): length
        }
    }

    public var encoding: BatchEncoding {
        switch self {
        case .memory(_, let encoding): encoding
        case .file: .gzip
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
                         with compressor: BatchCompressor) throws -> CompressedBatch {
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
/// The HTTP client hands each buffer to its event loop and asks for the next at once; it pauses
/// only when that loop finds the channel unwritable, so a fast reader got dozens of windows
/// (8 MiB of a 50 MB record) in flight. Here a ring of `depth` windows is reused: a window is
/// refilled only once the client has let go of it, which bounds memory at `depth × window`
/// whatever the file's size or the server's pace.
struct FileWindows: AsyncSequence, Sendable {
    typealias Element = ByteBuffer
    let path: String
    var window = 256 * 1024
    var depth = 4

    final class AsyncIterator: AsyncIteratorProtocol {
        let path: String
        let window: Int
        let depth: Int
        private var descriptor: Int32 = -1
        private var offset = 0
        private var ring: [ByteBuffer] = []

        init(path: String, window: Int, depth: Int) {
            self.path = path
            self.window = window
            self.depth = depth
        }

        deinit {
            if descriptor >= 0 { close(descriptor) }
        }

        func next() async throws -> ByteBuffer? {
            if descriptor < 0 { descriptor = try ReadError.openReadOnly(path) }
            var pause: UInt64 = 50_000
            while true {
                for index in ring.indices {
                    // Unique: the client has written this window out and dropped its copy.
                    if let count = try ring[index].modifyIfUniquelyOwned({ try fill(&$0) }) {
                        return count > 0 ? ring[index] : nil
                    }
                }
                if ring.count < depth {
                    var buffer = ByteBufferAllocator().buffer(capacity: window)
                    let count = try fill(&buffer)
                    ring.append(buffer)
                    return count > 0 ? buffer : nil
                }
                try await Task.sleep(nanoseconds: pause)
                pause = Swift.min(pause * 2, 5_000_000)
            }
        }

        /// Reads the next window of the file into `buffer`; returns how many bytes.
        private func fill(_ buffer: inout ByteBuffer) throws -> Int {
            buffer.clear()
            let count = try buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: window) { raw in
                try FileIO.read(descriptor, into: UnsafeMutableRawBufferPointer(rebasing: raw[0..<window]), at: Int64(offset), path: path)
            }
            offset += count
            return count
        }
    }

    func makeAsyncIterator() -> AsyncIterator {
        AsyncIterator(path: path, window: window, depth: depth)
    }
}
