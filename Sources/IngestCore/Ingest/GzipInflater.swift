import Access
import Explorer
import IngestStore
import Normalization
import CZlib

/// Why a compressed body is refused.
enum BodyInflaterFailure: Error, Equatable {
    /// Not of its encoding, damaged, truncated, or followed by trailing bytes.
    case invalid
    /// The decompressed body would exceed the cap.
    case exceedsLimit
}

/// Decompresses a request body as it arrives, within a cap on what it produces.
protocol BodyInflater: AnyObject {
    func append(_ compressed: UnsafeRawBufferPointer) throws(BodyInflaterFailure)
    /// The whole body; fails when the stream did not reach its end.
    func finish() throws(BodyInflaterFailure) -> [UInt8]
}

extension Array where Element == UInt8 {
    /// Appends what an inflater produced, refusing to go past `limit` and growing the storage
    /// geometrically but never past it either: a body near the cap holds at most the cap, not
    /// the next power of two (88 MiB took 128).
    mutating func append(inflated bytes: ArraySlice<UInt8>, limit: Int) throws(BodyInflaterFailure) {
        let needed = count + bytes.count
        guard needed <= limit else { throw .exceedsLimit }
        if needed > capacity { reserveCapacity(Swift.min(limit, Swift.max(capacity * 2, needed))) }
        append(contentsOf: bytes)
    }
}

/// Inflates one gzip stream as its compressed bytes arrive, and stops at a cap.
///
/// The output never grows past `limit`: a gzip bomb (a few kilobytes that would inflate to
/// gigabytes) is refused after at most `limit` bytes were produced. Not thread-safe; one
/// request body at a time.
final class GzipInflater: BodyInflater {
    typealias Failure = BodyInflaterFailure

    let limit: Int
    /// What was inflated so far.
    private(set) var output: [UInt8] = []
    private let stream: UnsafeMutablePointer<z_stream>
    private var scratch = [UInt8](repeating: 0, count: 64 * 1024)
    private var ended = false

    /// - Parameter limit: the largest inflated size accepted, in bytes.
    init(limit: Int) throws(Failure) {
        self.limit = limit
        // zlib keeps a pointer back to its z_stream: the stream needs a stable address.
        stream = .allocate(capacity: 1)
        stream.initialize(to: z_stream())
        // 15 window bits, +16: a gzip wrapper (not zlib, not raw deflate).
        guard inflateInit2_(stream, 15 + 16, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size)) == Z_OK else {
            stream.deallocate()
            throw .invalid
        }
    }

    deinit {
        inflateEnd(stream)
        stream.deallocate()
    }

    /// Inflates the next compressed bytes.
    func append(_ compressed: UnsafeRawBufferPointer) throws(Failure) {
        guard !compressed.isEmpty else { return }
        if ended { try nextMember() }  // more bytes after a whole member: the next member
        stream.pointee.next_in = UnsafeMutablePointer(mutating: compressed.bindMemory(to: Bytef.self).baseAddress)
        stream.pointee.avail_in = uInt(compressed.count)
        defer {
            stream.pointee.next_in = nil
            stream.pointee.avail_in = 0
        }
        while true {
            let (status, produced) = scratch.withUnsafeMutableBytes { buffer -> (Int32, Int) in
                stream.pointee.next_out = buffer.bindMemory(to: Bytef.self).baseAddress
                stream.pointee.avail_out = uInt(buffer.count)
                let status = inflate(stream, Z_NO_FLUSH)
                return (status, buffer.count - Int(stream.pointee.avail_out))
            }
            guard status == Z_OK || status == Z_STREAM_END || status == Z_BUF_ERROR else { throw .invalid }
            try output.append(inflated: scratch[0..<produced], limit: limit)
            if status == Z_STREAM_END {
                ended = true
                if stream.pointee.avail_in == 0 { return }
                try nextMember()
                continue
            }
            // Input used up and room left over: zlib holds nothing back, wait for more input.
            if stream.pointee.avail_in == 0 && produced < scratch.count { return }
            if status == Z_BUF_ERROR && produced == 0 { throw .invalid }
        }
    }

    /// The whole inflated stream; fails when the stream did not reach its end.
    /// A gzip body may be a series of members (RFC 1952, 2.2): a streamed batch is written as
    /// one member per window. Whatever follows a member must be a whole member too.
    private func nextMember() throws(Failure) {
        guard inflateReset(stream) == Z_OK else { throw .invalid }
        ended = false
    }

    func finish() throws(Failure) -> [UInt8] {
        guard ended else { throw .invalid }
        return output
    }
}
