import Access
import Explorer
import IngestStore
import Normalization
import Hummingbird
import Logging

/// `POST /api/v1/ingest/local-sessions`: authenticates, reads the batch within its limits,
/// checks every envelope, stores the good ones idempotently, and answers
/// `{"accepted":N,"duplicates":N,"rejected":[{"id":"…","index":N,"reason":"…"}]}`.
struct IngestHandler: Sendable {
    /// The answer to a batch that was read.
    struct Answer: Encodable, Equatable {
        var accepted: Int
        var duplicates: Int
        var rejected: [Rejected]
    }

    /// One envelope refused on its own; the rest of its batch is stored.
    struct Rejected: Encodable, Equatable {
        /// Its `id` as sent ("" when it had none that could be read).
        var id: String
        /// Its position in `records`.
        var index: Int
        var reason: String
    }

    let store: any IngestStore
    let authenticator: BearerAuthenticator
    let gate: AdmissionGate
    let bodyReader: RequestBodyReader
    /// Envelopes one batch may hold.
    let maxEnvelopes: Int
    let metrics: IngestMetrics
    let normalizer: Normalizer
    let logger: Logger

    func handle(_ request: Request, context: IngestRequestContext) async throws -> Response {
        let token: TokenRecord
        switch await authenticator.authorize(request, context: context, scope: .ingest) {
        case .failure(let refusal): return refusal.response
        case .success(let found): token = found
        }
        let admitted = try await gate.withAdmission(key: token.id, group: token.tenantID) {
            metrics.ingestsInProgress(add: 1)
            defer { metrics.ingestsInProgress(add: -1) }
            return try await ingest(request, token: token)
        }
        guard let response = admitted else {
            logger.notice("ingest refused: busy", metadata: ["limit": "\(gate.limit)", "token": "\(token.name)"])
            return JSONAnswer.error(.serviceUnavailable,
                                    "busy: \(gate.limit) batches in progress, at most \(gate.perKey) per token and \(gate.perGroup) per tenant",
                                    retryAfter: 1)
        }
        return response
    }

    private func ingest(_ request: Request, token: TokenRecord) async throws -> Response {
        var wireBytes = 0
        let body: [UInt8]
        do {
            body = try await bodyReader.read(request, wireBytes: &wireBytes)
        } catch let refusal as BodyRefusal {
            metrics.received(bytes: wireBytes)
            logger.notice("batch refused", metadata: ["reason": "\(refusal)", "token": "\(token.name)"])
            switch refusal {
            case .tooLarge(let reason): return JSONAnswer.error(.contentTooLarge, reason)
            case .unsupportedEncoding(let encoding):
                return JSONAnswer.error(.unsupportedMediaType, "Content-Encoding must be zstd, gzip or identity, not \(encoding)")
            case .badEncoding: return JSONAnswer.error(.badRequest, "malformed batch: the body is not valid \(RequestBodyReader.encoding(of: request))")
            case .tooSlow(let reason): return JSONAnswer.error(.requestTimeout, reason)
            }
        }
        let batch: SplitBatch
        do {
            batch = try BatchSplitter.split(body)
        } catch {
            metrics.received(bytes: wireBytes)
            logger.notice("batch refused", metadata: ["reason": "\(error)", "token": "\(token.name)"])
            return JSONAnswer.error(.badRequest, "malformed batch: \(error)")
        }
        guard batch.records.count <= maxEnvelopes else {
            metrics.received(bytes: wireBytes)
            return JSONAnswer.error(.contentTooLarge, "a batch of \(batch.records.count) envelopes exceeds \(maxEnvelopes); send smaller batches")
        }

        var (valid, indexes, rejected) = Self.check(batch)
        do {
            try await bindDevices(&valid, indexes, &rejected, token: token)
        } catch {
            metrics.received(bytes: wireBytes)
            logger.error("binding the token to its device failed", metadata: ["error": "\(error)"])
            return JSONAnswer.error(.serviceUnavailable, "storage unavailable, retry later", retryAfter: 5)
        }
        let outcome: InsertOutcome
        do {
            outcome = try await store.insert(valid, from: BatchOrigin(tokenID: token.id, tenantID: token.tenantID, batchID: batch.batchID,
                                                                             sensor: batch.sensor))
        } catch {
            metrics.received(bytes: wireBytes)
            logger.error("storing a batch failed", metadata: ["error": "\(error)", "batch": "\(batch.batchID)"])
            return JSONAnswer.error(.serviceUnavailable, "storage unavailable, retry later", retryAfter: 5)
        }
        metrics.ingested(outcome, rejected: rejected.count, receivedBytes: wireBytes, inflatedBytes: body.count,
                         encoding: RequestBodyReader.encoding(of: request))
        if outcome.accepted > 0 { normalizer.wake() }
        logger.debug("batch stored", metadata: [
            "batch": "\(batch.batchID)", "device": "\(batch.device)", "token": "\(token.name)",
            "accepted": "\(outcome.accepted)", "duplicates": "\(outcome.duplicates)", "rejected": "\(rejected.count)",
        ])
        for rejection in rejected.prefix(3) {
            logger.notice("envelope rejected", metadata: ["id": "\(rejection.id)", "reason": "\(rejection.reason)",
                                                          "batch": "\(batch.batchID)", "token": "\(token.name)"])
        }
        return JSONAnswer.json(.ok, Answer(accepted: outcome.accepted, duplicates: outcome.duplicates, rejected: rejected))
    }

    /// An ingest token is bound to one device: the one it was made for, or the first it sends
    /// for. Envelopes claiming another device are rejected one by one (`device_mismatch`); the
    /// rest of the batch is stored. Admin tokens are not bound (imports, replays).
    private func bindDevices(_ valid: inout [ValidEnvelope], _ indexes: [Int], _ rejected: inout [Rejected],
                             token: TokenRecord) async throws {
        guard token.scope == .ingest, let first = valid.first?.device else { return }
        let bound: String
        if let device = token.device {
            bound = device
        } else if try await Enrollments.isHeld(device: first, tenant: token.tenantID, in: store) {
            // An enrolled device, or a person's, is not there for the taking: sending as it would
            // put records in its person's name.
            for (envelope, index) in zip(valid, indexes) {
                rejected.append(Rejected(id: envelope.id, index: index,
                                         reason: "device_held: device \(first) is enrolled or a person's; an admin binds a token to it with `token create --device`"))
            }
            metrics.deviceMismatches(add: valid.count)
            logger.notice("a token's first device is another credential's", metadata: ["token": "\(token.name)"])
            valid = []
            return
        } else {
            bound = try await store.bindDevice(tokenID: token.id, device: first)
        }
        guard valid.contains(where: { $0.device != bound }) else { return }
        var kept: [ValidEnvelope] = []
        kept.reserveCapacity(valid.count)
        for (envelope, index) in zip(valid, indexes) {
            if envelope.device == bound {
                kept.append(envelope)
            } else {
                rejected.append(Rejected(id: envelope.id, index: index, reason: "device_mismatch: this token is bound to another device"))
            }
        }
        rejected.sort { $0.index < $1.index }
        metrics.deviceMismatches(add: valid.count - kept.count)
        logger.notice("envelopes for another device rejected", metadata: ["token": "\(token.name)", "count": "\(valid.count - kept.count)"])
        valid = kept
    }

    /// Splits a batch's envelopes into those to store (their own bytes) and those refused.
    static func check(_ batch: SplitBatch) -> (valid: [ValidEnvelope], indexes: [Int], rejected: [Rejected]) {
        var valid: [ValidEnvelope] = []
        var indexes: [Int] = []
        var rejected: [Rejected] = []
        valid.reserveCapacity(batch.records.count)
        batch.bytes.withUnsafeBytes { body in
            for (index, range) in batch.records.enumerated() {
                let bytes = UnsafeRawBufferPointer(rebasing: body[range])
                switch EnvelopeValidator.validate(bytes) {
                case .success(let columns):
                    // Scanned as JSON, so valid UTF-8: the bytes are kept as they came, a slice
                    // of the body (no copy per envelope).
                    var envelope = ValidEnvelope(id: columns.id, source: columns.source, kind: columns.kind,
                                                 device: columns.device, bytes: batch.bytes[range], path: columns.path)
                    envelope.collectedAt = columns.collectedAt
                    envelope.redactions = columns.redactions
                    valid.append(envelope)
                    indexes.append(index)
                case .failure(let rejection):
                    rejected.append(Rejected(id: rejection.id ?? "", index: index, reason: rejection.reason))
                }
            }
        }
        return (valid, indexes, rejected)
    }
}
