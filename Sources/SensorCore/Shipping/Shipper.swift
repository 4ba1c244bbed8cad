import SensorModel
import Foundation
import Logging
import NIOCore

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Sends batches somewhere; ``IngestClient`` is the real one.
public protocol BatchTransport: Sendable {
    func upload(_ body: CompressedBatch, batchID: String, envelopes: Int) async -> UploadOutcome
    /// Whether the server said it takes zstd bodies (its sensor-config answer's `Accept-Encoding`).
    var acceptsZstd: Bool { get }
}

extension BatchTransport {
    public var acceptsZstd: Bool { false }
}

extension IngestClient: BatchTransport {}

/// Counters of what the shipper did.
public struct ShippingStats: Sendable {
    public var envelopesAcknowledged = 0
    public var envelopesQuarantined = 0
    public var batchesSent = 0
    public var retries = 0
    /// Answers that were neither an acknowledgement nor a known transient failure (a redirect,
    /// a 404, a 2xx that is not the ack): the batch was kept.
    public var unexpectedAnswers = 0
    public var bytesOnWire: Int64 = 0
    public var inputBytesAcknowledged: Int64 = 0
    /// Database rows handed over so far (progress adds them to its total).
    public var discoveredInputBytes: Int64 = 0
    public var bufferedBytes = 0
    public var lastUploadAt: Date?
    public var lastError: String?
}

/// The bounded buffer between the readers and the server.
///
/// Readers hand chunks over with ``accept(_:)``, which waits while the buffer (counted in
/// envelope bytes) is full: reading pauses, nothing is dropped, offsets stay put. One batch
/// at a time goes out, in order, gzipped; when the server acknowledges it, the checkpoints of
/// every chunk now fully delivered become durable. Failures are retried with exponential
/// backoff and full jitter, for ever; 413 splits a batch. Only an acknowledgement that
/// accounts for every envelope commits anything; an envelope the server rejects by id goes to
/// the quarantine file (`sensor quarantine replay` resends it). A redirect, a 404 or any other
/// answer that is not an acknowledgement keeps the batch: a one-shot scan stops there, a
/// running sensor backs off and tries again.
public actor Shipper: ChunkSink {
    public struct Settings: Sendable {
        public var bufferBytes = UploadSettings().bufferBytes
        public var batchMaxRecords = UploadSettings().batchMaxRecords
        public var batchMaxBytes = UploadSettings().batchMaxBytes
        public var batchMaxAge = Double(UploadSettings().batchMaxAgeMilliseconds) / 1000
        public var gzipLevel = UploadSettings().gzipLevel
        public var zstdLevel = UploadSettings().zstdLevel
        /// Stop at the first 401/403 (a one-shot scan) instead of pausing and retrying.
        public var failOnUnauthorized = true
        /// Stop at the first answer that is not an acknowledgement (a one-shot scan) instead of
        /// backing off and retrying.
        public var failOnUnexpected = true
        public var unauthorizedPause: Double = 60
        public var maxBackoff: Double = 60

        public init() {}
    }

    struct Pending {
        var chunk: EnvelopeChunk
        var sent = 0
        var done = 0
    }

    struct EnvelopeRef: Sendable {
        var sequence: Int
        var index: Int
    }

    let settings: Settings
    let transport: any BatchTransport
    let identity: SensorIdentity
    let store: CheckpointStore?
    let quarantineURL: URL?
    /// Where every acknowledged batch is recorded for the person at the laptop.
    let audit: AuditLog?
    let logger: Logger
    /// Where delivered chunks' memory goes back to the readers.
    let recycler: BufferRecycler?
    private let compressor: BatchCompressor

    /// What is durable: the checkpoints of fully acknowledged chunks.
    public private(set) var durable: CheckpointState
    public private(set) var stats = ShippingStats()

    private var queue: [Pending] = []
    private var baseSequence = 0
    private var bufferedBytes = 0
    private var spaceWaiters: [CheckedContinuation<Void, Never>] = []
    private var drainWaiters: [CheckedContinuation<Void, Never>] = []
    private var workWaiter: CheckedContinuation<Void, Never>?
    private var sender: Task<Void, Never>?
    private var flushRequested = false
    private var oldestUnsentAt: Date?
    private var failure: EndpointError?
    private var saveBuffer: [UInt8] = []
    private var journalBuffer: [UInt8] = []
    private var journalBytes = 0
    private var closed = false

    public init(settings: Settings, transport: any BatchTransport, identity: SensorIdentity, state: CheckpointState,
                store: CheckpointStore?, quarantineURL: URL?, audit: AuditLog? = nil, logger: Logger,
                recycler: BufferRecycler? = nil) {
        self.settings = settings
        self.audit = audit
        self.recycler = recycler
        self.compressor = BatchCompressor(level: settings.gzipLevel, zstdLevel: settings.zstdLevel)
        self.transport = transport
        self.identity = identity
        self.durable = state
        self.store = store
        self.quarantineURL = quarantineURL
        self.logger = logger
    }

    // MARK: - Readers' side

    public func accept(_ chunk: EnvelopeChunk) async throws {
        if let failure { throw failure }
        if closed { throw CancellationError() }
        while bufferedBytes > 0 && bufferedBytes + chunk.bytes.count > settings.bufferBytes {
            await withCheckedContinuation { spaceWaiters.append($0) }
            if let failure { throw failure }
            if closed { throw CancellationError() }
        }
        if chunk.discoveredInput { stats.discoveredInputBytes += chunk.inputBytes }
        queue.append(Pending(chunk: chunk))
        bufferedBytes += chunk.bytes.count
        stats.bufferedBytes = bufferedBytes
        if oldestUnsentAt == nil && !chunk.isEmpty { oldestUnsentAt = Date() }
        startSenderIfNeeded()
        wakeSender()
    }

    /// Sends everything accepted so far and waits until the server acknowledged it all.
    public func flush() async throws {
        flushRequested = true
        startSenderIfNeeded()
        wakeSender()
        while !queue.isEmpty && failure == nil && !Task.isCancelled {
            await withTaskCancellationHandler {
                await withCheckedContinuation { drainWaiters.append($0) }
            } onCancel: {
                Task { await self.releaseDrainWaiters() }
            }
        }
        flushRequested = false
        try saveDurable()
        if let failure { throw failure }
    }

    /// Refuses further chunks and releases readers waiting for room: a stopping run must not
    /// wait for a server that does not answer. What is queued can still be flushed.
    public func close() {
        closed = true
        let waiters = spaceWaiters
        spaceWaiters = []
        for waiter in waiters { waiter.resume() }
    }

    private func releaseDrainWaiters() {
        let waiters = drainWaiters
        drainWaiters = []
        for waiter in waiters { waiter.resume() }
    }

    /// Stops the sender (after its current request) without waiting for the queue.
    public func stop() {
        sender?.cancel()
        wakeSender()
        try? saveDurable()
    }

    // MARK: - Sender

    private func startSenderIfNeeded() {
        guard sender == nil else { return }
        sender = Task { await self.sendLoop() }
    }

    private func wakeSender() {
        workWaiter?.resume()
        workWaiter = nil
    }

    private func sendLoop() async {
        while !Task.isCancelled && failure == nil {
            commitLeadingDone()
            let (refs, full) = unsentEnvelopes()
            if refs.isEmpty {
                await withCheckedContinuation { workWaiter = $0 }
                continue
            }
            if !full && !flushRequested, let oldest = oldestUnsentAt,
               Date().timeIntervalSince(oldest) < settings.batchMaxAge {
                try? await Task.sleep(nanoseconds: 20_000_000)
                continue
            }
            for ref in refs { queue[ref.sequence - baseSequence].sent += 1 }
            oldestUnsentAt = hasUnsent() ? Date() : nil
            await deliver(refs)
        }
    }

    /// The next batch: unsent envelopes in order, within the batch limits, ending at a chunk
    /// boundary whenever possible (so an acknowledged batch commits whole chunks); `full` when
    /// a limit was reached (the batch should go now rather than wait for more).
    private func unsentEnvelopes() -> (refs: [EnvelopeRef], full: Bool) {
        var refs: [EnvelopeRef] = []
        var bytes = 0
        for (offset, pending) in queue.enumerated() where pending.sent < pending.chunk.count {
            if pending.chunk.spooled != nil {
                // A spooled envelope travels alone.
                return refs.isEmpty ? ([EnvelopeRef(sequence: baseSequence + offset, index: 0)], true) : (refs, true)
            }
            let remaining = pending.sent..<pending.chunk.count
            let chunkBytes = remaining.reduce(0) { $0 + pending.chunk.range(of: $1).count }
            if !refs.isEmpty && (refs.count + remaining.count > settings.batchMaxRecords || bytes + chunkBytes > settings.batchMaxBytes) {
                return (refs, true)
            }
            for index in remaining {
                let size = pending.chunk.range(of: index).count
                if !refs.isEmpty && (refs.count >= settings.batchMaxRecords || bytes + size > settings.batchMaxBytes) {
                    return (refs, true)  // one chunk larger than a batch: split it
                }
                refs.append(EnvelopeRef(sequence: baseSequence + offset, index: index))
                bytes += size
            }
        }
        return (refs, refs.count >= settings.batchMaxRecords || bytes >= settings.batchMaxBytes)
    }

    private func hasUnsent() -> Bool {
        queue.contains { $0.sent < $0.chunk.count }
    }

    /// Sends `refs` until they are acknowledged or quarantined.
    private func deliver(_ refs: [EnvelopeRef]) async {
        var attempt = 0
        while !Task.isCancelled {
            let batchID = UUID().uuidString.lowercased()
            let outcome: UploadOutcome
            var wireBytes = 0
            do {
                let started = ContinuousClock.now
                let compressed = try await gzipped(refs, batchID: batchID)
                let compressedAt = ContinuousClock.now
                stats.batchesSent += 1
                stats.bytesOnWire += Int64(compressed.length)
                wireBytes = compressed.length
                outcome = await transport.upload(compressed, batchID: batchID, envelopes: refs.count)
                if case .file(let path, _) = compressed { unlink(path) }
                logger.debug("batch sent", metadata: ["records": "\(refs.count)", "gzipped": "\(compressed.length)",
                                                      "compress": "\(compressedAt - started)", "upload": "\(ContinuousClock.now - compressedAt)"])
            } catch {
                // A spooled batch could not be written (a full disk?): retried like a failed upload.
                outcome = .retry(after: nil, reason: "cannot write the spooled batch: \(error)")
            }
            switch outcome {
            case .accepted(let rejected, let duplicates):
                writeAudit(refs, batchID: batchID, wireBytes: wireBytes, rejected: rejected.count, duplicates: duplicates)
                stats.lastUploadAt = Date()
                stats.lastError = nil
                let rejectedIDs = Dictionary(rejected.map { ($0.id, $0.reason) }, uniquingKeysWith: { a, _ in a })
                if !rejectedIDs.isEmpty {
                    for ref in refs {
                        if let id = envelopeID(of: ref), let reason = rejectedIDs[id] {
                            quarantine(ref, status: 200, reason: reason)
                        }
                    }
                }
                stats.envelopesAcknowledged += refs.count - rejectedIDs.count
                markDone(refs)
                return
            case .tooLarge where refs.count > 1:
                stats.lastError = "HTTP 413: too large"
                logger.notice("server refused a batch as too large; splitting it", metadata: ["records": "\(refs.count)"])
                let middle = refs.count / 2
                await deliver(Array(refs[..<middle]))
                await deliver(Array(refs[middle...]))
                return
            case .tooLarge, .unexpected:
                var reason = "HTTP 413: the server refuses a single envelope as too large (raise its body limit)"
                if case .unexpected(_, let text) = outcome { reason = text }
                stats.unexpectedAnswers += 1
                stats.lastError = reason
                if settings.failOnUnexpected {
                    fail(EndpointError("the server did not acknowledge the upload (\(reason)); nothing was committed and nothing is lost"))
                    return
                }
                attempt += 1
                let delay = Self.backoff(attempt: attempt, ceiling: settings.maxBackoff)
                logger.warning("the server did not acknowledge a batch; it is kept and sent again", metadata: [
                    "reason": "\(reason)", "attempt": "\(attempt)", "delay_s": "\(String(format: "%.2f", delay))"])
                try? await Task.sleep(nanoseconds: UInt64(delay * 1e9))
            case .unauthorized(let status):
                stats.lastError = "HTTP \(status): the server refused the token"
                if settings.failOnUnauthorized {
                    fail(EndpointError("the server refused the token (HTTP \(status)); uploads stopped, nothing was lost"))
                    return
                }
                logger.error("the server refused the token; uploads paused", metadata: ["status": "\(status)"])
                try? await Task.sleep(nanoseconds: UInt64(settings.unauthorizedPause * 1e9))
            case .retry(let after, let reason):
                attempt += 1
                stats.retries += 1
                stats.lastError = reason
                let delay = after.map(Self.jittered) ?? Self.backoff(attempt: attempt, ceiling: settings.maxBackoff)
                logger.info("upload failed; retrying", metadata: ["reason": "\(reason)", "attempt": "\(attempt)",
                                                                   "delay_s": "\(String(format: "%.2f", delay))"])
                try? await Task.sleep(nanoseconds: UInt64(delay * 1e9))
            }
        }
    }

    /// Exponential backoff with full jitter: anywhere up to 0.25 s × 2^attempt, at most `ceiling`.
    nonisolated static func backoff(attempt: Int, ceiling: Double) -> Double {
        Double.random(in: 0...min(ceiling, 0.25 * pow(2, Double(min(attempt, 20)))))
    }

    /// A server's `Retry-After`, honoured (never earlier, at most 10 minutes) and spread over as
    /// long again (at least a second), so a fleet told the same second does not return in it.
    nonisolated static func jittered(_ retryAfter: Double) -> Double {
        let wait = min(max(0, retryAfter), 600)
        return wait + Double.random(in: 0...max(1, wait))
    }

    private func fail(_ error: EndpointError) {
        failure = error
        for waiter in spaceWaiters + drainWaiters { waiter.resume() }
        spaceWaiters = []
        drainWaiters = []
    }

    private func markDone(_ refs: [EnvelopeRef]) {
        for ref in refs { queue[ref.sequence - baseSequence].done += 1 }
        commitLeadingDone()
    }

    /// Makes the checkpoints of fully delivered chunks at the head of the queue durable.
    private func commitLeadingDone() {
        var committed = false
        var updates: [CheckpointUpdate] = []
        while let first = queue.first, first.done == first.chunk.count {
            if let update = first.chunk.update {
                durable.apply(update)
                updates.append(update)
            }
            stats.inputBytesAcknowledged += first.chunk.inputBytes
            bufferedBytes -= first.chunk.bytes.count
            var done = queue.removeFirst()
            done.chunk.spooled?.remove()
            recycler?.give(&done.chunk.bytes)
            baseSequence += 1
            committed = true
        }
        guard committed else { return }
        stats.bufferedBytes = bufferedBytes
        do {
            try persist(updates)
        } catch {
            logger.error("cannot save checkpoints", metadata: ["error": "\(error)"])
        }
        let waiters = spaceWaiters
        spaceWaiters = []
        for waiter in waiters { waiter.resume() }
        if queue.isEmpty {
            let drained = drainWaiters
            drainWaiters = []
            for waiter in drained { waiter.resume() }
        }
    }

    /// Writes what is durable; the encoding buffer is reused from save to save (the file holds
    /// every file's position: megabytes on a machine with thousands of transcripts).
    private func saveDurable() throws {
        try store?.save(durable, buffer: &saveBuffer)
        journalBytes = 0
    }

    /// Makes acknowledged updates durable: appended to the checkpoint journal, or, once the
    /// journal has grown past the size of the whole file, by a full save that empties it.
    private func persist(_ updates: [CheckpointUpdate]) throws {
        guard let store, !updates.isEmpty else { return }
        if journalBytes > max(1 << 20, saveBuffer.count) {
            try saveDurable()
        } else {
            journalBytes += try store.append(updates, buffer: &journalBuffer)
        }
    }

    // MARK: - Batches

    private func chunk(of ref: EnvelopeRef) -> EnvelopeChunk {
        queue[ref.sequence - baseSequence].chunk
    }

    /// The bytes of an in-memory envelope.
    private func bytes(of ref: EnvelopeRef) -> ArraySlice<UInt8> {
        let chunk = chunk(of: ref)
        return chunk.bytes[chunk.range(of: ref.index)]
    }

    private func envelopeID(of ref: EnvelopeRef) -> String? {
        if let spooled = chunk(of: ref).spooled { return Self.envelopeID(spooled.head[...]) }
        return Self.envelopeID(bytes(of: ref))
    }

    /// The batch document up to its first record.
    private func batchHeader(_ batchID: String) -> [UInt8] {
        var header: [UInt8] = []
        header.append("{\"batch_id\":")
        header.appendJSONString(batchID)
        header.append(",\"sensor\":{\"device\":")
        header.appendJSONString(identity.device)
        header.append(",\"version\":")
        header.appendJSONString(SensorIdentity.version)
        header.append(",\"os\":")
        header.appendJSONString(identity.system)
        header.append(",\"host\":")
        header.appendJSONString(identity.host)
        header.append(",\"os_version\":")
        header.appendJSONString(identity.systemVersion)
        header.append(",\"user\":")
        header.appendJSONString(identity.user)
        header.append("},\"records\":[")
        return header
    }

    /// The gzipped batch of `refs`: compressed from the chunks' memory, or, for a spooled
    /// envelope (which travels alone), from its spool file.
    private func gzipped(_ refs: [EnvelopeRef], batchID: String) async throws -> CompressedBatch {
        if refs.count == 1, let spooled = chunk(of: refs[0]).spooled {
            return try await Self.compress(spooled, header: batchHeader(batchID), with: compressor)
        }
        let envelopes = refs.map { ref in
            let chunk = chunk(of: ref)
            return EnvelopeSlice(bytes: chunk.bytes, range: chunk.range(of: ref.index))
        }
        let encoding: BatchEncoding = transport.acceptsZstd ? .zstd : .gzip
        return .memory(await Self.compress(header: batchHeader(batchID), envelopes: envelopes, encoding: encoding, with: compressor),
                       encoding: encoding)
    }

    /// An envelope's bytes in its chunk, to be read off the actor.
    struct EnvelopeSlice: Sendable {
        var bytes: [UInt8]
        var range: Range<Int>
    }

    /// The batch document (header, envelopes separated by commas, footer), gzipped piece by
    /// piece: no batch-sized copy. Runs off the actor, so readers keep reading meanwhile.
    nonisolated static func compress(header: [UInt8], envelopes: [EnvelopeSlice], encoding: BatchEncoding = .gzip,
                                     with compressor: BatchCompressor) async -> ByteBuffer {
        let footer: StaticString = "]}"
        let count = envelopes.reduce(header.count + envelopes.count + footer.utf8CodeUnitCount) { $0 + $1.range.count }
        return compressor.compress(count: count, encoding: encoding) { write in
            header.withUnsafeBytes(write)
            let comma: UInt8 = UInt8(ascii: ",")
            for (offset, envelope) in envelopes.enumerated() {
                if offset > 0 { withUnsafeBytes(of: comma, write) }
                envelope.bytes.withUnsafeBytes { write(UnsafeRawBufferPointer(rebasing: $0[envelope.range])) }
            }
            write(UnsafeRawBufferPointer(start: footer.utf8Start, count: footer.utf8CodeUnitCount))
        }
    }

    /// The batch of one spooled envelope, gzipped into a file (off the actor too).
    nonisolated static func compress(_ envelope: SpooledEnvelope, header: [UInt8],
                                     with compressor: BatchCompressor) async throws -> CompressedBatch {
        try SpooledBatch.compress(header: header, envelope: envelope, footer: Array("]}".utf8), with: compressor)
    }

    // MARK: - Audit

    /// Records an acknowledged batch: when, how many envelopes and bytes, from which sources and
    /// files, and what the server said.
    private func writeAudit(_ refs: [EnvelopeRef], batchID: String, wireBytes: Int, rejected: Int, duplicates: Int) {
        guard let audit else { return }
        var sources: [String: Int] = [:]
        var files: [String] = []
        var seen = Set<String>()
        for ref in refs {
            let chunk = chunk(of: ref)
            sources[chunk.sourceID, default: 0] += 1
            let head = chunk.spooled.map { $0.head[...] } ?? bytes(of: ref)
            if let path = AuditLog.locatorPath(head), seen.insert(path).inserted { files.append(path) }
        }
        let entry = AuditLog.Entry(at: SourceScanner.timestamp(Date()), batch_id: batchID, endpoint: audit.endpoint,
                                   envelopes: refs.count, bytes: wireBytes, sources: sources, files: files,
                                   answer: .init(status: 200, accepted: refs.count - rejected - duplicates,
                                                 duplicates: duplicates, rejected: rejected))
        do {
            try audit.append(entry)
        } catch {
            logger.error("cannot write the audit log", metadata: ["error": "\(error)"])
        }
    }

    // MARK: - Quarantine

    private func quarantine(_ ref: EnvelopeRef, status: Int, reason: String) {
        stats.envelopesQuarantined += 1
        logger.warning("record quarantined", metadata: ["status": "\(status)", "reason": "\(reason)",
                                                         "id": "\(envelopeID(of: ref) ?? "?")"])
        guard let quarantineURL else { return }
        var line: [UInt8] = []
        line.append("{\"quarantined_at\":")
        line.appendJSONString(SourceScanner.timestamp(Date()))
        line.append(",\"status\":")
        line.appendDecimal(status)
        line.append(",\"reason\":")
        line.appendJSONString(reason)
        line.append(",\"envelope\":")
        let spooled = chunk(of: ref).spooled
        if spooled == nil { line.append(contentsOf: bytes(of: ref)) }
        do {
            try FileManager.default.createDirectory(at: quarantineURL.deletingLastPathComponent(), withIntermediateDirectories: true)
            if !FileManager.default.fileExists(atPath: quarantineURL.path) {
                _ = FileManager.default.createFile(atPath: quarantineURL.path, contents: nil, attributes: [.posixPermissions: 0o600])
            }
            let handle = try FileHandle(forWritingTo: quarantineURL)
            defer { try? handle.close() }
            try handle.seekToEnd()
            try handle.write(contentsOf: line)
            try spooled?.forEachWindow { try handle.write(contentsOf: Data($0)) }
            try handle.write(contentsOf: Array("}\n".utf8))
        } catch {
            logger.error("cannot write the quarantine file", metadata: ["error": "\(error)"])
        }
    }

    /// The `id` of an envelope written by ``EnvelopeWriter`` (its field order is fixed).
    static func envelopeID(_ envelope: ArraySlice<UInt8>) -> String? {
        EnvelopeFields.string(after: #","id":""#, in: envelope)
    }
}
