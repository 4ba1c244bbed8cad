import Crypto
import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import SensorModel

/// Envelopes read from one file or database, with the checkpoint that becomes true once the
/// server has acknowledged all of them.
public struct EnvelopeChunk: Sendable {
    /// The envelopes, each a complete JSON object, back to back.
    public var bytes: [UInt8] = []
    /// End offset of each envelope in `bytes`.
    public var ends: [Int] = []
    /// What to commit when every envelope here (and every earlier one) is acknowledged.
    public var update: CheckpointUpdate?
    /// Source bytes consumed (for progress and benchmarks).
    public var inputBytes: Int64 = 0
    /// `inputBytes` were not known before the read (rows a query selected): progress adds them
    /// to its total as they arrive, rather than counting a database's size up front.
    public var discoveredInput = false
    public var sourceID: String = ""
    /// The file was written so recently that it should be read again soon.
    public var unsettled = false
    /// A record too large to hold: when set, it is this chunk's one envelope (and `bytes` is empty).
    public var spooled: SpooledEnvelope?

    public init() {}

    public var count: Int { spooled == nil ? ends.count : 1 }
    public var isEmpty: Bool { count == 0 }

    /// The byte range of in-memory envelope `index`.
    public func range(of index: Int) -> Range<Int> {
        (index == 0 ? 0 : ends[index - 1])..<ends[index]
    }
}

/// What a record's bytes are, for the envelope's `encoding`.
public enum RecordEncoding: String, Sendable {
    case json, text, base64, row
}

/// Flags carried in an envelope.
public struct RecordFlags: Sendable {
    public var truncated = false
    public var originalLength: Int?
    /// What the redaction rules replaced, by rule.
    public var redactedBy = RedactionCounts()
    /// How many secrets the redaction rules replaced.
    public var redactions: Int { redactedBy.total }
    public var nulStripped = false
    public var notJSON = false

    public init() {}

    var isEmpty: Bool { !truncated && redactions == 0 && !nulStripped && !notJSON }
}

/// Writes envelopes straight into a chunk's byte buffer: constant fields are rendered once per
/// source and pass, a record that is already JSON is copied in as-is, never re-encoded.
public struct EnvelopeWriter: Sendable {
    let prefix: [UInt8]
    public let device: String
    /// Write `flags.redacted_by` (which rules replaced what) beside `flags.redactions`: only
    /// for a server that said it takes the field (see ``IngestClient/acceptsRuleNames``), since
    /// the seed's servers refuse an envelope with a flag they do not know.
    public var namesRedactionRules = true

    /// - Parameters:
    ///   - collectedAt: one timestamp for the whole pass, RFC 3339 UTC.
    public init(source: String, kind: String, device: String, sensorVersion: String, collectedAt: String) {
        var prefix: [UInt8] = []
        prefix.append("{\"schema_version\":1,\"source\":")
        prefix.appendJSONString(source)
        prefix.append(",\"kind\":")
        prefix.appendJSONString(kind)
        prefix.append(",\"device\":")
        prefix.appendJSONString(device)
        prefix.append(",\"sensor\":")
        prefix.appendJSONString(sensorVersion)
        prefix.append(",\"collected_at\":")
        prefix.appendJSONString(collectedAt)
        self.prefix = prefix
        self.device = device
    }

    /// Appends one envelope. `locator` is the rendered inside of the locator object; `record`
    /// writes the record value (already encoded as `encoding` says).
    public func append(to chunk: inout EnvelopeChunk, id: String, locator: [UInt8], encoding: RecordEncoding,
                       columns: [UInt8]? = nil, flags: RecordFlags, record: (inout [UInt8]) -> Void) {
        let start = chunk.bytes.count
        appendHead(to: &chunk.bytes, id: id, locator: locator, encoding: encoding)
        record(&chunk.bytes)
        appendTail(to: &chunk.bytes, columns: columns, flags: flags)
        Self.keepOnOneLine(&chunk.bytes, from: start)
        chunk.ends.append(chunk.bytes.count)
    }

    /// One envelope, one line: a newline in valid JSON can only stand between tokens (inside a
    /// string it is escaped), so each one in an embedded document (a pretty-printed file, a
    /// JSON column) becomes a space: the same length, the same JSON value. JSONL lines hold
    /// none, so their bytes stay exactly as read.
    static func keepOnOneLine(_ bytes: inout [UInt8], from start: Int) {
        bytes.withUnsafeMutableBufferPointer { buffer in
            guard let base = buffer.baseAddress, start < buffer.count else { return }
            var position = base + start
            var left = buffer.count - start
            while left > 0, let found = memchr(position, 0x0A, left) {
                let newline = found.assumingMemoryBound(to: UInt8.self)
                newline.pointee = 0x20
                left -= newline - position + 1
                position = newline + 1
            }
        }
    }

    /// The envelope up to and including `"record":`, for a record written elsewhere.
    public func head(id: String, locator: [UInt8], encoding: RecordEncoding) -> [UInt8] {
        var bytes: [UInt8] = []
        appendHead(to: &bytes, id: id, locator: locator, encoding: encoding)
        return bytes
    }

    /// What follows the record: columns, flags, the closing brace.
    public func tail(columns: [UInt8]?, flags: RecordFlags) -> [UInt8] {
        var bytes: [UInt8] = []
        appendTail(to: &bytes, columns: columns, flags: flags)
        return bytes
    }

    private func appendHead(to bytes: inout [UInt8], id: String, locator: [UInt8], encoding: RecordEncoding) {
        bytes.append(contentsOf: prefix)
        bytes.append(",\"id\":\"")
        bytes.append(utf8: id)
        bytes.append("\",\"locator\":{")
        bytes.append(contentsOf: locator)
        bytes.append("},\"encoding\":\"")
        bytes.append(utf8: encoding.rawValue)
        bytes.append("\",\"record\":")
    }

    private func appendTail(to bytes: inout [UInt8], columns: [UInt8]?, flags: RecordFlags) {
        if let columns {
            bytes.append(",\"columns\":{")
            bytes.append(contentsOf: columns)
            bytes.append(UInt8(ascii: "}"))
        }
        if !flags.isEmpty {
            bytes.append(",\"flags\":{")
            var first = true
            func key(_ name: StaticString) {
                if !first { bytes.append(UInt8(ascii: ",")) }
                first = false
                bytes.append(name)
            }
            if flags.truncated { key("\"truncated\":true") }
            if let length = flags.originalLength { key("\"original_length\":"); bytes.appendDecimal(length) }
            if flags.redactions > 0 {
                key("\"redactions\":")
                bytes.appendDecimal(flags.redactions)
                if namesRedactionRules {
                    key("\"redacted_by\":{")
                    for (index, entry) in flags.redactedBy.entries.enumerated() {
                        if index > 0 { bytes.append(UInt8(ascii: ",")) }
                        bytes.appendJSONString(entry.rule)
                        bytes.append(UInt8(ascii: ":"))
                        bytes.appendDecimal(entry.count)
                    }
                    bytes.append(UInt8(ascii: "}"))
                }
            }
            if flags.nulStripped { key("\"nul_stripped\":true") }
            if flags.notJSON { key("\"not_json\":true") }
            bytes.append(UInt8(ascii: "}"))
        }
        bytes.append(UInt8(ascii: "}"))
    }

    /// Appends the envelope of a record whose bytes came from a file or a text column: JSON is
    /// embedded verbatim, valid UTF-8 becomes a string, anything else base64. Redaction is
    /// applied first.
    public func appendRaw(to chunk: inout EnvelopeChunk, id: String, locator: [UInt8], bytes: UnsafeRawBufferPointer,
                          expectJSON: Bool, flags: RecordFlags, redactor: Redactor) {
        var carry = RedactionCarry()
        appendRaw(to: &chunk, id: id, locator: locator, bytes: bytes, expectJSON: expectJSON, flags: flags,
                  redactor: redactor, carry: &carry)
    }

    /// ``appendRaw(to:id:locator:bytes:expectJSON:flags:redactor:)`` for one record of a
    /// sequence (a line of a file): `carry` holds what redaction of the record before left open.
    public func appendRaw(to chunk: inout EnvelopeChunk, id: String, locator: [UInt8], bytes: UnsafeRawBufferPointer,
                          expectJSON: Bool, flags: RecordFlags, redactor: Redactor, carry: inout RedactionCarry) {
        var flags = flags
        if let redacted = redactor.redact(bytes, carry: &carry) {
            flags.redactedBy = redacted.rules
            redacted.bytes.withUnsafeBytes { appendClassified(to: &chunk, id: id, locator: locator, bytes: $0,
                                                              expectJSON: expectJSON, flags: flags) }
        } else {
            appendClassified(to: &chunk, id: id, locator: locator, bytes: bytes, expectJSON: expectJSON, flags: flags)
        }
    }

    private func appendClassified(to chunk: inout EnvelopeChunk, id: String, locator: [UInt8],
                                  bytes: UnsafeRawBufferPointer, expectJSON: Bool, flags: RecordFlags) {
        var flags = flags
        if expectJSON && !flags.truncated && JSONScanner.isValid(bytes) {
            append(to: &chunk, id: id, locator: locator, encoding: .json, flags: flags) { $0.append(contentsOf: bytes) }
            return
        }
        if expectJSON && !flags.truncated { flags.notJSON = true }
        if UTF8Check.isValid(bytes) {
            append(to: &chunk, id: id, locator: locator, encoding: .text, flags: flags) { $0.appendJSONString(bytes) }
        } else {
            append(to: &chunk, id: id, locator: locator, encoding: .base64, flags: flags) { $0.appendBase64String(bytes) }
        }
    }
}

/// Deterministic record ids: SHA-256 over the device, the record's identity and its bytes,
/// cut to 128 bits.
public struct RecordID {
    var hasher = SHA256()

    public init(device: String, scope: String) {
        update(device)
        update(scope)
    }

    public mutating func update(_ text: String) {
        var text = text
        text.withUTF8 { hasher.update(bufferPointer: UnsafeRawBufferPointer($0)) }
        hasher.update(data: [0])
    }

    public mutating func update(_ value: Int64) {
        withUnsafeBytes(of: value.littleEndian) { hasher.update(bufferPointer: $0) }
    }

    public mutating func update(_ bytes: UnsafeRawBufferPointer) {
        hasher.update(bufferPointer: bytes)
    }

    public func finalize() -> String {
        Hex.lowercase(hasher.finalize().prefix(16))
    }
}

/// SHA-256 of bytes, as 32 hex digits (128 bits): content hashes and fingerprints.
public func contentHash(_ bytes: UnsafeRawBufferPointer) -> String {
    Hex.lowercase(SHA256.hash(data: bytes).prefix(16))
}
