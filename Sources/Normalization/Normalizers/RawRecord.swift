import Foundation
import IngestStore

/// A stored envelope opened for normalising: its labels, where it came from, and its record
/// decoded as JSON (for SQL rows, an object of columns with `json` columns embedded).
public struct RawRecord {
    /// Arrival order in the raw store: normalising replays records in this order.
    public var seq: Int64
    /// The tenant it was sent to.
    public var tenant: Int64 = Tenant.defaultID
    public var id: String
    public var source: String
    /// The declared record kind (`claude-code.transcript`): the only thing that picks a normaliser.
    public var kind: String
    public var device: String
    public var collectedAt: String
    /// `locator.path` as the sensor shows it (`~/.claude/projects/…`).
    public var path: String
    /// `locator.file_id`: the fingerprint of a file's first line, the same for a renamed file
    /// and for a copy that begins like it.
    public var fileID: String?
    /// `locator.offset` (byte offset of a line) or `locator.cursor` when it is a number.
    public var position: Int64
    public var encoding: String
    /// The record: any JSON value (`json`), a string (`text`, `base64`), or the columns of a row.
    /// Decoded when the envelope is opened, except for the kinds a normaliser reads in place
    /// (decoded when asked for, then).
    public var record: Any {
        get { decodedRecord ?? storedRecord }
        set { decodedRecord = newValue }
    }
    /// The record as the envelope holds it, decoded.
    private var storedRecord: Any { envelopeText.withBytes(recordRange) { JSONReader.parse($0) } ?? NSNull() }
    /// How each column of a row is encoded (`row` only).
    public var columns: [String: String]

    /// The stored envelope's text and where its record lies in it.
    private let envelopeText: String
    private let recordRange: Range<Int>?
    private var decodedRecord: Any?

    /// The tool is the kind's first label: `cursor-agent.blob` → `cursor-agent`; for a kind
    /// read as another's (a fork writing its parent's format), the tool that wrote it.
    public var tool: String { forkTool ?? Self.tool(ofKind: kind) }
    /// A kind's tool: its first label.
    public static func tool(ofKind kind: String) -> String { String(kind.prefix { $0 != "." }) }
    /// The tool named on the rows of a kind read as another's (see ``readAs(kind:tool:)``).
    public private(set) var forkTool: String?

    /// Makes this record one of `kind` (its format) written by `tool`: the normaliser of `kind`
    /// reads it, and the rows it makes name `tool`.
    public mutating func readAs(kind: String, tool: String) {
        self.kind = kind
        forkTool = tool
    }

    /// The record as an object, when it is one.
    public var object: [String: Any]? { record as? [String: Any] }

    /// The device as normalised keys see it: its tenant and itself, two key parts apart
    /// (U+001F, the separator ``NormalKey`` puts between parts), for every tenant alike. A
    /// device name holds no separator (the envelope validator refuses one), so no envelope of
    /// one tenant can make another tenant's keys.
    public var scopedDevice: String { "\(tenant)\u{1F}\(device)" }

    /// A key for what normalisers remember about the file this record came from.
    public var fileKey: String { "\(scopedDevice)|\(fileID ?? path)" }

    /// A key for what normalisers remember about a path, whatever its content: a document
    /// re-sent whole (its `file_id` is its content hash) keeps it across versions.
    public var pathKey: String { "\(scopedDevice)|path:\(path)" }

    /// Opens one stored envelope; nil when it is not a JSON object with the envelope's fields.
    /// The record is decoded now unless its kind is in `readInPlace`.
    public init?(seq: Int64, json: String, readInPlace: Set<String> = []) {
        var json = json
        guard let fields = json.withUTF8({ Self.fields(UnsafeRawBufferPointer($0)) }),
              let id = fields.id, let source = fields.source, let kind = fields.kind, let device = fields.device
        else { return nil }
        self.seq = seq
        self.id = id
        self.source = source
        self.kind = kind
        self.device = device
        collectedAt = fields.collectedAt ?? ""
        path = fields.path ?? ""
        fileID = fields.fileID
        position = BoundedNumber.position(fields.position ?? 0)
        encoding = fields.encoding ?? "json"
        columns = fields.columns ?? [:]
        envelopeText = json
        recordRange = fields.record
        if !readInPlace.contains(kind) { decodedRecord = storedRecord }
    }

    /// The record as stored, read in place (see ``JSONSpan``); nil when the envelope has none.
    package func withRecordInPlace<Result>(_ body: (JSONSpan) -> Result) -> Result? {
        envelopeText.withBytes(recordRange) { body(JSONSpan(bytes: $0)) }
    }

    /// The envelope's fields other than the record, which is only located (its range).
    private struct Fields {
        package var id, source, kind, device, collectedAt, encoding: String?
        /// `locator`'s.
        package var path, fileID: String?
        package var position: Int64?
        package var columns: [String: String]?
        package var record: Range<Int>?
    }

    private static func fields(_ bytes: UnsafeRawBufferPointer) -> Fields? {
        guard let members = JSONSlices.members(of: bytes) else { return nil }
        var fields = Fields()
        // The last of a repeated field wins, as in a decoded object. Read in place (validated with
        // the rest): no dictionary and number objects per envelope.
        for member in members {
            let value = JSONSpan(bytes: UnsafeRawBufferPointer(rebasing: bytes[member.value]))
            switch member.key {
            case "id": fields.id = value.string
            case "source": fields.source = value.string
            case "kind": fields.kind = value.string
            case "device": fields.device = value.string
            case "collected_at": fields.collectedAt = value.string
            case "encoding": fields.encoding = value.string
            case "locator":
                let locator = value.object
                fields.path = locator?["path"]?.string
                fields.fileID = locator?["file_id"]?.string
                fields.position = locator?["offset"]?.int ?? locator?["cursor"]?.int
            case "columns": fields.columns = value.decoded as? [String: String]
            case "record": fields.record = member.value
            default: break
            }
        }
        return fields
    }

    /// A row's column as decoded (an embedded `json` column is its JSON value); nil when the
    /// column is absent or NULL.
    public func column(_ name: String) -> Any? {
        guard let value = object?[name], !JSON.isNull(value) else { return nil }
        return value
    }

    /// The path's components after `~/` (or `/`), for normalisers that read ids from folder names.
    public var pathComponents: [String] { path.split(separator: "/").map(String.init) }
}

/// Small accessors over `JSONSerialization` values.
public enum JSON {
    public static func int(_ value: Any?) -> Int64? {
        if let number = number(value) { return number.int64Value }
        return (value as? String).flatMap { Int64($0) }
    }

    public static func double(_ value: Any?) -> Double? {
        number(value)?.doubleValue ?? (value as? String).flatMap(Double.init)
    }

    public static func bool(_ value: Any?) -> Bool? {
        number(value).map(\.boolValue)
    }

    /// The value when it is a JSON number (or `true`/`false`).
    ///
    /// `value as? NSNumber` is not asked of strings, objects and arrays: casting a Swift value
    /// to a class first bridges it to Foundation (a whole `[String: Any]` copied into an
    /// `NSDictionary` only to learn it is not a number), which was an eighth of a reparse.
    @inline(__always)
    public static func number(_ value: Any?) -> NSNumber? {
        guard let value else { return nil }
        let type = ObjectIdentifier(Swift.type(of: value))
        guard type != Types.string, type != Types.object, type != Types.array, type != Types.null else { return nil }
        return value as? NSNumber
    }

    /// JSON's `true` and `false` (read as `NSNumber(value: Bool)`).
    public static func isBoolean(_ number: NSNumber) -> Bool {
        let type = number.objCType
        return type[0] == CChar(UInt8(ascii: "c")) && type[1] == 0
    }

    /// Whether the value is JSON's `null`, asked without bridging it (see ``number(_:)``).
    @inline(__always)
    public static func isNull(_ value: Any?) -> Bool {
        guard let value else { return false }
        return ObjectIdentifier(Swift.type(of: value)) == Types.null
    }

    private enum Types {
        package static let string = ObjectIdentifier(String.self)
        package static let object = ObjectIdentifier([String: Any].self)
        package static let array = ObjectIdentifier([Any].self)
        package static let null = ObjectIdentifier(NSNull.self)
    }

    /// A non-empty string.
    public static func string(_ value: Any?) -> String? {
        guard let string = value as? String, !string.isEmpty else { return nil }
        return string
    }

    /// `value` at a dotted path of object keys (`message.usage.output_tokens`).
    public static func at(_ value: Any?, _ path: String) -> Any? {
        var current = value
        for key in path.split(separator: ".") {
            guard let object = current as? [String: Any] else { return nil }
            current = object[String(key)]
        }
        return JSON.isNull(current) ? nil : current
    }

    /// Compact JSON text of any value (strings as they are).
    public static func text(_ value: Any?) -> String? {
        switch value {
        case let string as String: return string
        case let value? where JSON.isNull(value): return nil
        case nil: return nil
        case let value?: return CompactJSON.text(value) ?? "\(value)"
        }
    }

    /// Parses JSON text (a `text` column holding JSON, a hex-decoded blob).
    public static func parse(_ text: String) -> Any? {
        JSONReader.parse(text)
    }

    /// The string when it reads as an RFC 3339 date-time (`2026-02-12T16:02:23.545Z`); records
    /// sanitised or damaged by hand carry other text in timestamp fields.
    public static func timestamp(_ value: Any?) -> String? {
        guard let string = value as? String, string.utf8.count >= 19 else { return nil }
        let bytes = Array(string.utf8.prefix(19))
        let digits = [0, 1, 2, 3, 5, 6, 8, 9, 11, 12, 14, 15, 17, 18]
        guard digits.allSatisfy({ (0x30...0x39).contains(bytes[$0]) }), bytes[4] == 0x2D, bytes[7] == 0x2D,
              bytes[10] == 0x54 || bytes[10] == 0x20, bytes[13] == 0x3A, bytes[16] == 0x3A else { return nil }
        return string
    }

    /// Epoch milliseconds (or seconds, when small) → RFC 3339 UTC.
    public static func timestamp(epoch value: Any?) -> String? {
        guard let number = double(value), number > 0 else { return nil }
        let seconds = number > 1e11 ? number / 1000 : number
        return formatter.string(from: Date(timeIntervalSince1970: seconds))
    }

    nonisolated(unsafe) private static let formatter: ISO8601DateFormatter = {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return formatter
    }()
}

private extension String {
    /// `body` over the UTF-8 bytes in `range`; nil when there is no range.
    func withBytes<Result>(_ range: Range<Int>?, _ body: (UnsafeRawBufferPointer) -> Result?) -> Result? {
        guard let range else { return nil }
        if let result = utf8.withContiguousStorageIfAvailable({ body(UnsafeRawBufferPointer(rebasing: UnsafeRawBufferPointer($0)[range])) }) {
            return result
        }
        var copy = self
        return copy.withUTF8 { body(UnsafeRawBufferPointer(rebasing: UnsafeRawBufferPointer($0)[range])) }
    }
}
