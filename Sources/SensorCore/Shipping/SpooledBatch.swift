import CZlib
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

/// The batch of one ``SpooledEnvelope``: gzipped a window at a time (zlib's streaming
/// deflate) into a file beside the record, uploaded from there, removed after the attempt.
enum SpooledBatch {
    static func compress(header: [UInt8], envelope: SpooledEnvelope, footer: [UInt8], level: Int) throws -> GzippedBatch {
        let path = envelope.recordPath + ".gz"
        let file = try SpoolFile(path: path)
        var stream = z_stream()
        guard deflateInit2_(&stream, Int32(max(1, min(level, 9))), Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY,
                            ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size)) == Z_OK else {
            throw ReadError(path: path, reason: "zlib deflateInit2 failed")
        }
        defer { deflateEnd(&stream) }
        var output = [UInt8](repeating: 0, count: 256 * 1024)

        func deflateAll(_ input: UnsafeRawBufferPointer, finish: Bool) throws {
            stream.next_in = UnsafeMutablePointer(mutating: input.bindMemory(to: Bytef.self).baseAddress)
            stream.avail_in = uInt(input.count)
            while true {
                let (status, produced) = output.withUnsafeMutableBytes { raw -> (Int32, Int) in
                    stream.next_out = raw.bindMemory(to: Bytef.self).baseAddress
                    stream.avail_out = uInt(raw.count)
                    let status = deflate(&stream, finish ? Z_FINISH : Z_NO_FLUSH)
                    return (status, raw.count - Int(stream.avail_out))
                }
                guard status == Z_OK || status == Z_STREAM_END || status == Z_BUF_ERROR else {
                    throw ReadError(path: path, reason: "zlib deflate failed (\(status))")
                }
                try output.withUnsafeBytes { try file.write(UnsafeRawBufferPointer(rebasing: $0[0..<produced])) }
                if finish ? status == Z_STREAM_END : (stream.avail_in == 0 && stream.avail_out > 0) { return }
            }
        }

        do {
            try header.withUnsafeBytes { try deflateAll($0, finish: false) }
            try envelope.forEachWindow { try deflateAll($0, finish: false) }
            try footer.withUnsafeBytes { try deflateAll($0, finish: true) }
            try file.flush()
        } catch {
            unlink(path)
            throw error
        }
        return .file(path: path, length: file.length)
    }
}

/// A file's bytes as an async sequence of buffers: an upload body streamed from disk.
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
                try SpoolFile.read(descriptor, into: UnsafeMutableRawBufferPointer(rebasing: raw[0..<window]), at: offset, path: path)
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
