import Access
import Explorer
import IngestStore
import Normalization
import Hummingbird
import NIOCore

/// Why a request body is refused before any envelope in it is looked at.
enum BodyRefusal: Error, Equatable {
    /// On the wire or once inflated, past a limit (413).
    case tooLarge(String)
    /// A `Content-Encoding` other than zstd, gzip or identity (415).
    case unsupportedEncoding(String)
    /// Says gzip (or zstd), is not (400).
    case badEncoding
    /// Arriving slower than the minimum rate (408): the slot goes to someone else.
    case tooSlow(String)
}

/// Reads a batch body as it streams in, within two limits: bytes on the wire, and bytes once
/// inflated. A gzip body is inflated chunk by chunk as it arrives and abandoned at the cap, so
/// neither a huge upload nor a gzip bomb is ever held in memory whole.
struct RequestBodyReader: Sendable {
    var maxWireBytes: Int
    var maxInflatedBytes: Int
    /// Once `grace` has passed, the body must have come at this average rate.
    var minimumBytesPerSecond = 16 << 10
    var grace: Duration = .seconds(30)
    /// The whole body must have come within this long, whatever its rate: a slot is never
    /// held longer by one request.
    var deadline: Duration = .seconds(120)

    /// Refuses a body that trickles in (checked as each chunk arrives; a body that stops
    /// altogether is ended by the connection's idle timeout).
    private func checkRate(_ wireBytes: Int, since start: ContinuousClock.Instant) throws(BodyRefusal) {
        let elapsed = ContinuousClock.now - start
        if elapsed > deadline { throw .tooSlow("body not complete within \(deadline.components.seconds) s") }
        guard elapsed > grace else { return }
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        if Double(wireBytes) / seconds < Double(minimumBytesPerSecond) {
            throw .tooSlow("body arriving at \(Int(Double(wireBytes) / seconds)) bytes/s, below \(minimumBytesPerSecond)")
        }
    }

    /// The request's `Content-Encoding`, lower-case (`identity` when it names none).
    static func encoding(of request: Request) -> String {
        let encoding = request.headers[.contentEncoding]?.trimmingCharacters(in: .whitespaces).lowercased() ?? ""
        return encoding.isEmpty ? "identity" : encoding
    }

    /// The body's JSON bytes. `wireBytes` counts what was read off the connection, refused or not.
    func read(_ request: Request, wireBytes: inout Int) async throws -> [UInt8] {
        if let declared = request.headers[.contentLength].flatMap(Int.init), declared > maxWireBytes {
            throw BodyRefusal.tooLarge("body of \(declared) bytes exceeds \(maxWireBytes)")
        }
        let encoding = Self.encoding(of: request)
        switch encoding {
        case "gzip", "x-gzip":
            return try await inflate(request.body, with: try mapped { () throws(GzipInflater.Failure) in
                try GzipInflater(limit: maxInflatedBytes)
            }, wireBytes: &wireBytes)
        case "zstd":
            return try await inflate(request.body, with: try mapped { () throws(BodyInflaterFailure) in
                try ZstdInflater(limit: maxInflatedBytes)
            }, wireBytes: &wireBytes)
        case "identity":
            return try await collect(request.body, wireBytes: &wireBytes)
        default:
            throw BodyRefusal.unsupportedEncoding(encoding)
        }
    }

    private func inflate(_ body: RequestBody, with inflater: any BodyInflater, wireBytes: inout Int) async throws -> [UInt8] {
        let start = ContinuousClock.now
        for try await chunk in body {
            wireBytes += chunk.readableBytes
            try checkRate(wireBytes, since: start)
            guard wireBytes <= maxWireBytes else { throw BodyRefusal.tooLarge("body exceeds \(maxWireBytes) bytes") }
            try chunk.withUnsafeReadableBytes { bytes in
                try mapped { () throws(BodyInflaterFailure) in try inflater.append(bytes) }
            }
        }
        return try mapped { () throws(BodyInflaterFailure) in try inflater.finish() }
    }

    private func collect(_ body: RequestBody, wireBytes: inout Int) async throws -> [UInt8] {
        let limit = min(maxWireBytes, maxInflatedBytes)
        var bytes: [UInt8] = []
        let start = ContinuousClock.now
        for try await chunk in body {
            wireBytes += chunk.readableBytes
            try checkRate(wireBytes, since: start)
            guard wireBytes <= limit else { throw BodyRefusal.tooLarge("body exceeds \(limit) bytes") }
            bytes.append(contentsOf: chunk.readableBytesView)
        }
        return bytes
    }

    private func mapped<T>(_ body: () throws(GzipInflater.Failure) -> T) throws(BodyRefusal) -> T {
        do {
            return try body()
        } catch .exceedsLimit {
            throw .tooLarge("inflated body exceeds \(maxInflatedBytes) bytes")
        } catch {
            throw .badEncoding
        }
    }
}
