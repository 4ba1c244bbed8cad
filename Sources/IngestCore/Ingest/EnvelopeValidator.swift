import Access
import Explorer
import IngestStore
import Normalization
import SensorModel

/// Checks one envelope against the rules of `schemas/envelope.schema.json` (schema_version 1),
/// written out by hand over the envelope's bytes: a bad envelope is named with a precise
/// reason while the rest of its batch is stored, and the record itself (which may be large)
/// is never parsed beyond what its encoding requires.
enum EnvelopeValidator {
    /// Why one envelope was refused.
    struct Rejection: Error, Sendable, Equatable {
        /// The envelope's `id` when it could be read as a string, valid or not.
        var id: String?
        var reason: String
    }

    static let required = ["schema_version", "id", "source", "kind", "device", "sensor", "collected_at", "locator",
                           "encoding", "record"]
    static let optional: Set<String> = ["columns", "flags"]
    static let encodings: Set<String> = ["json", "text", "base64", "row"]
    static let columnEncodings: Set<String> = ["json", "text", "base64", "integer", "real", "null"]
    /// The longest locator field, as written in the envelope (a path, a row key, a cursor).
    static let maxLocatorBytes = 4096
    /// Names with a maximum length in characters.
    static let labels: [(name: String, maxLength: Int)] = [("source", 200), ("kind", 200), ("device", 200), ("sensor", 100)]

    /// The envelope's columns, or why it is refused. `bytes` holds exactly the envelope.
    static func validate(_ bytes: UnsafeRawBufferPointer) -> Result<EnvelopeColumns, Rejection> {
        guard let members = JSONSlices.members(of: bytes) else {
            return .failure(Rejection(id: nil, reason: "not a JSON object"))
        }
        var fields: [String: UnsafeRawBufferPointer] = [:]
        var duplicate: String?
        for member in members {
            if fields.updateValue(UnsafeRawBufferPointer(rebasing: bytes[member.value]), forKey: member.key) != nil {
                duplicate = duplicate ?? member.key
            }
        }
        let id = fields["id"].flatMap { JSONSlices.kind($0) == .string ? JSONSlices.string($0) : nil }
        if let reason = problem(fields, duplicate: duplicate, members: members) {
            return .failure(Rejection(id: id, reason: reason))
        }
        let text = { (name: String) in JSONSlices.string(fields[name]!)! }
        return .success(EnvelopeColumns(id: text("id"), source: text("source"), kind: text("kind"), device: text("device"),
                                        path: JSONSlices.locatorPath(fields["locator"]!), collectedAt: text("collected_at"),
                                        redactions: redactions(flags: fields["flags"], record: fields["record"]!)))
    }

    /// What the envelope's flags say its record lost to redaction, by rule.
    static func redactions(flags: UnsafeRawBufferPointer?, record: UnsafeRawBufferPointer) -> RedactionCounts {
        guard let flags, let members = JSONSlices.members(of: flags) else { return RedactionCounts() }
        if let named = members.first(where: { $0.key == "redacted_by" }) {
            return RedactionCounts(redactedBy: UnsafeRawBufferPointer(rebasing: flags[named.value]))
        }
        guard let count = members.first(where: { $0.key == "redactions" }),
              let total = JSONSlices.number(UnsafeRawBufferPointer(rebasing: flags[count.value])), total >= 1 else { return RedactionCounts() }
        return RedactionCounts(marksIn: record, limit: Int(min(total, 10_000)))
    }

    /// The first rule the envelope breaks, as `field: reason`.
    private static func problem(_ fields: [String: UnsafeRawBufferPointer], duplicate: String?,
                                members: [JSONSlices.Member]) -> String? {
        if let duplicate { return "\(duplicate): duplicate field" }
        for name in required where fields[name] == nil { return "\(name): required field is missing" }
        if let unknown = members.first(where: { !required.contains($0.key) && !optional.contains($0.key) }) {
            return "\(unknown.key): unknown field"
        }
        guard let version = fields["schema_version"], JSONSlices.kind(version) == .number,
              JSONSlices.number(version) == 1 else { return "schema_version: must be 1" }
        guard let id = string(fields["id"]), isLowerHex(id, count: 32) else {
            return "id: must be 32 lower-case hex digits"
        }
        for (name, maxLength) in labels {
            guard let value = string(fields[name]), (1...maxLength).contains(value.unicodeScalars.count) else {
                return "\(name): must be a string of 1 to \(maxLength) characters"
            }
        }
        // Labels become metric labels and index keys: the declarations' id alphabet only.
        for name in ["source", "kind"] where !isLabel(string(fields[name])!) {
            return "\(name): must match ^[a-z0-9][a-z0-9._-]*$"
        }
        // The device is a part of every normalised key, beside its tenant: it may not carry a
        // separator that could make it read as another tenant's or another device's.
        if let device = string(fields["device"]), !isDeviceName(device) {
            return "device: must not contain '/', '|' or control characters"
        }
        guard let collectedAt = string(fields["collected_at"]), isTimestamp(collectedAt) else {
            return "collected_at: must be an RFC 3339 UTC date-time (YYYY-MM-DDThh:mm:ss[.fff]Z)"
        }
        if let problem = locatorProblem(fields["locator"]!) { return problem }
        guard let encoding = string(fields["encoding"]), encodings.contains(encoding) else {
            return "encoding: must be one of json, text, base64, row"
        }
        if let problem = recordProblem(fields["record"]!, encoding: encoding, columns: fields["columns"]) { return problem }
        if let columns = fields["columns"], let problem = columnsProblem(columns) { return problem }
        if let flags = fields["flags"], let problem = flagsProblem(flags) { return problem }
        return nil
    }

    static func isLabel(_ text: String) -> Bool {
        var first = true
        for byte in text.utf8 {
            let alphanumeric = (0x61...0x7A).contains(byte) || (0x30...0x39).contains(byte)
            guard alphanumeric || (!first && (byte == 0x2E || byte == 0x5F || byte == 0x2D)) else { return false }
            first = false
        }
        return !first
    }

    private static func locatorProblem(_ locator: UnsafeRawBufferPointer) -> String? {
        guard JSONSlices.kind(locator) == .object, let members = JSONSlices.members(of: locator) else {
            return "locator: must be an object"
        }
        for member in members {
            let value = UnsafeRawBufferPointer(rebasing: locator[member.value])
            let kind = JSONSlices.kind(value)
            switch member.key {
            case "path", "file_id", "device_inode", "key", "content_hash":
                guard kind == .string, value.count <= maxLocatorBytes else {
                    return "locator.\(member.key): must be a string of at most \(maxLocatorBytes) bytes"
                }
            case "offset", "length":
                guard kind == .number, JSONSlices.isInteger(value), JSONSlices.number(value)! >= 0 else {
                    return "locator.\(member.key): must be a non-negative integer"
                }
            case "cursor":
                guard [.number, .string, .null].contains(kind), value.count <= maxLocatorBytes else {
                    return "locator.cursor: must be a number, a string or null of at most \(maxLocatorBytes) bytes"
                }
            default:
                return "locator.\(member.key): unknown field"
            }
        }
        return nil
    }

    private static func recordProblem(_ record: UnsafeRawBufferPointer, encoding: String,
                                      columns: UnsafeRawBufferPointer?) -> String? {
        switch encoding {
        case "text":
            guard JSONSlices.kind(record) == .string else { return "record: must be a string when encoding is text" }
        case "base64":
            guard JSONSlices.kind(record) == .string, let text = JSONSlices.string(record), isBase64(text) else {
                return "record: must be a base64 string when encoding is base64"
            }
        case "row":
            guard JSONSlices.kind(record) == .object else { return "record: must be an object when encoding is row" }
            guard columns != nil else { return "columns: required when encoding is row" }
        default:
            break  // json: any JSON value, already checked by the scanner
        }
        return nil
    }

    private static func columnsProblem(_ columns: UnsafeRawBufferPointer) -> String? {
        guard JSONSlices.kind(columns) == .object, let members = JSONSlices.members(of: columns) else {
            return "columns: must be an object"
        }
        for member in members {
            guard let encoding = string(UnsafeRawBufferPointer(rebasing: columns[member.value])),
                  columnEncodings.contains(encoding) else {
                return "columns.\(member.key): must be one of json, text, base64, integer, real, null"
            }
        }
        return nil
    }

    private static func flagsProblem(_ flags: UnsafeRawBufferPointer) -> String? {
        guard JSONSlices.kind(flags) == .object, let members = JSONSlices.members(of: flags) else {
            return "flags: must be an object"
        }
        for member in members {
            let value = UnsafeRawBufferPointer(rebasing: flags[member.value])
            switch member.key {
            case "truncated", "nul_stripped", "not_json":
                guard JSONSlices.kind(value) == .bool else { return "flags.\(member.key): must be true or false" }
            case "original_length", "redactions":
                guard JSONSlices.kind(value) == .number, JSONSlices.isInteger(value), JSONSlices.number(value)! >= 0 else {
                    return "flags.\(member.key): must be a non-negative integer"
                }
            case "redacted_by":
                guard JSONSlices.kind(value) == .object, let rules = JSONSlices.members(of: value),
                      rules.count <= RedactionCounts.maxRules else {
                    return "flags.redacted_by: must be an object of at most \(RedactionCounts.maxRules) rules"
                }
                for rule in rules {
                    let count = UnsafeRawBufferPointer(rebasing: value[rule.value])
                    guard RedactionCounts.isRuleName(rule.key) else {
                        return "flags.redacted_by: a rule name is 1 to \(RedactionCounts.maxRuleName) letters, digits, '.', '_' or '-'"
                    }
                    guard JSONSlices.kind(count) == .number, JSONSlices.isInteger(count), JSONSlices.number(count)! >= 1 else {
                        return "flags.redacted_by.\(rule.key): must be a positive integer"
                    }
                }
            default:
                return "flags.\(member.key): unknown field"
            }
        }
        return nil
    }

    // MARK: - Scalars

    private static func string(_ value: UnsafeRawBufferPointer?) -> String? {
        guard let value, JSONSlices.kind(value) == .string else { return nil }
        return JSONSlices.string(value)
    }

    /// A device name that cannot pose as a key separator: no `/`, `|` or control character.
    static func isDeviceName(_ text: String) -> Bool {
        !text.unicodeScalars.contains { $0 == "/" || $0 == "|" || $0.value < 0x20 || (0x7F...0x9F).contains($0.value) }
    }

    static func isLowerHex(_ text: String, count: Int) -> Bool {
        text.utf8.count == count && text.utf8.allSatisfy { (0x30...0x39).contains($0) || (0x61...0x66).contains($0) }
    }

    /// `^[A-Za-z0-9+/]*={0,2}$`, as the schema says (padding is not required).
    static func isBase64(_ text: String) -> Bool {
        let bytes = Array(text.utf8)
        let body = bytes.prefix { $0 != UInt8(ascii: "=") }
        let padding = bytes.count - body.count
        return padding <= 2 && bytes[body.count...].allSatisfy { $0 == UInt8(ascii: "=") }
            && body.allSatisfy { byte in
                (0x41...0x5A).contains(byte) || (0x61...0x7A).contains(byte) || (0x30...0x39).contains(byte)
                    || byte == UInt8(ascii: "+") || byte == UInt8(ascii: "/")
            }
    }

    /// `^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$` with a real date and time (RFC 3339 `date-time`).
    static func isTimestamp(_ text: String) -> Bool {
        let bytes = Array(text.utf8)
        guard bytes.count >= 20, bytes.last == UInt8(ascii: "Z") else { return false }
        func digits(_ range: Range<Int>) -> Int? {
            var value = 0
            for byte in bytes[range] {
                guard (0x30...0x39).contains(byte) else { return nil }
                value = value * 10 + Int(byte - 0x30)
            }
            return value
        }
        guard let year = digits(0..<4), bytes[4] == UInt8(ascii: "-"), let month = digits(5..<7), bytes[7] == UInt8(ascii: "-"),
              let day = digits(8..<10), bytes[10] == UInt8(ascii: "T"), let hour = digits(11..<13), bytes[13] == UInt8(ascii: ":"),
              let minute = digits(14..<16), bytes[16] == UInt8(ascii: ":"), let second = digits(17..<19) else { return false }
        let fraction = bytes[19..<(bytes.count - 1)]
        if !fraction.isEmpty {
            guard fraction.count >= 2, fraction.first == UInt8(ascii: "."),
                  fraction.dropFirst().allSatisfy({ (0x30...0x39).contains($0) }) else { return false }
        }
        let leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)
        let monthDays = [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]
        guard (1...12).contains(month), (1...monthDays[month - 1]).contains(day) else { return false }
        return hour < 24 && minute < 60 && second <= 60  // 60: a leap second
    }
}

/// The columns an envelope is stored under, read from its own fields.
struct EnvelopeColumns: Sendable, Equatable {
    var id: String
    var source: String
    var kind: String
    var device: String
    var path: String?
    /// `collected_at` (RFC 3339, UTC).
    var collectedAt: String
    var redactions: RedactionCounts
}
