import Foundation
import IngestStore

/// A JSON value read where it lies in a stored envelope: nothing is decoded until it is asked
/// for, and a value nobody asks for (a tool's stdout, a file's whole text) is only stepped over.
///
/// A normaliser that reads its records this way (``RecordNormalizer/readsInPlace``) builds no
/// `[String: Any]` tree for them: for Claude Code transcripts, two thirds of a corpus's bytes,
/// that tree was most of the cost of normalising. Values read here are the values the decoded
/// tree would hold: strings decoded alike, the last of a repeated key winning, numbers read as
/// `JSONReader` reads them.
///
/// A span points into bytes it does not own: it is valid only inside the closure that gave it
/// (``RawRecord/withRecordInPlace(_:)``). Its bytes were validated as JSON when the envelope was
/// opened, so finding where a nested value ends is a walk over its strings' quotes, not a
/// second validation.
package struct JSONSpan {
    /// Exactly the value's bytes.
    package let bytes: UnsafeRawBufferPointer

    package var kind: JSONSlices.Kind { JSONSlices.kind(bytes) }

    package var isNull: Bool { kind == .null }

    /// The text, when the value is a string.
    package var string: String? {
        kind == .string ? JSONSlices.string(bytes) : nil
    }

    /// The text, when the value is a string and not empty (``JSON/string(_:)``).
    var nonEmptyString: String? {
        guard bytes.count > 2, let string, !string.isEmpty else { return nil }
        return string
    }

    /// The value decoded (`[String: Any]`, `[Any]`, `String`, `NSNumber`, `NSNull`), for the
    /// few small values a normaliser wants whole (a tool's input, a number).
    package var decoded: Any? { JSONReader.parse(bytes) }

    /// ``JSON/int(_:)`` of the value.
    package var int: Int64? {
        switch kind {
        case .number where bytes.count <= 18 && bytes.allSatisfy({ (0x30...0x39).contains($0) || $0 == UInt8(ascii: "-") }):
            // A plain integer (most token counts and offsets): read without an NSNumber.
            Int64(String(decoding: bytes, as: UTF8.self))
        case .number, .string, .bool: JSON.int(decoded)
        default: nil
        }
    }

    /// ``JSON/bool(_:)`` of the value.
    package var bool: Bool? {
        switch kind {
        case .number, .bool: JSON.bool(decoded)
        default: nil
        }
    }

    /// The members, when the value is an object.
    package var object: JSONSpanObject? {
        guard kind == .object else { return nil }
        var members: [JSONSlices.Member] = []
        var index = 1
        while let start = nextItem(after: &index) {
            let keyEnd = skip(from: start)
            guard let key = JSONSlices.string(UnsafeRawBufferPointer(rebasing: bytes[start..<keyEnd])) else { return nil }
            index = skipWhitespace(from: keyEnd) + 1  // past the colon
            let valueStart = skipWhitespace(from: index)
            index = skip(from: valueStart)
            members.append(JSONSlices.Member(key: key, value: valueStart..<index))
        }
        return JSONSpanObject(bytes: bytes, members: members)
    }

    /// The elements, when the value is an array.
    package var elements: [JSONSpan]? {
        guard kind == .array else { return nil }
        var elements: [JSONSpan] = []
        var index = 1
        while let start = nextItem(after: &index) {
            index = skip(from: start)
            elements.append(JSONSpan(bytes: UnsafeRawBufferPointer(rebasing: bytes[start..<index])))
        }
        return elements
    }

    /// The start of the next member or element of this object or array, `index` being just past
    /// its opening bracket or the previous item; nil at the closing bracket.
    private func nextItem(after index: inout Int) -> Int? {
        index = skipWhitespace(from: index)
        if index < bytes.count, bytes[index] == UInt8(ascii: ",") { index = skipWhitespace(from: index + 1) }
        guard index < bytes.count else { return nil }
        let byte = bytes[index]
        return byte == UInt8(ascii: "}") || byte == UInt8(ascii: "]") ? nil : index
    }

    private func skipWhitespace(from start: Int) -> Int {
        var index = start
        while index < bytes.count, bytes[index] == 0x20 || bytes[index] == 0x0A || bytes[index] == 0x0D || bytes[index] == 0x09 {
            index += 1
        }
        return index
    }

    /// The index just past the (valid) value that starts at `start`.
    private func skip(from start: Int) -> Int {
        switch bytes[start] {
        case UInt8(ascii: "\""):
            return skipString(from: start)
        case UInt8(ascii: "{"), UInt8(ascii: "["):
            var depth = 0
            var index = start
            while true {
                switch bytes[index] {
                case UInt8(ascii: "\""):
                    index = skipString(from: index)
                    continue
                case UInt8(ascii: "{"), UInt8(ascii: "["): depth += 1
                case UInt8(ascii: "}"), UInt8(ascii: "]"):
                    depth -= 1
                    if depth == 0 { return index + 1 }
                default: break
                }
                index += 1
            }
        default:
            var index = start
            while index < bytes.count {
                switch bytes[index] {
                case UInt8(ascii: ","), UInt8(ascii: "}"), UInt8(ascii: "]"), 0x20, 0x0A, 0x0D, 0x09: return index
                default: index += 1
                }
            }
            return index
        }
    }

    /// The index just past the string whose opening quote is at `start`: the next quote not
    /// escaped (preceded by an even run of backslashes), found with `memchr`.
    private func skipString(from start: Int) -> Int {
        let base = bytes.baseAddress!
        var index = start + 1
        while let found = memchr(base + index, Int32(UInt8(ascii: "\"")), bytes.count - index) {
            let quote = base.distance(to: UnsafeRawPointer(found))
            var backslashes = 0
            while bytes[quote - 1 - backslashes] == UInt8(ascii: "\\") { backslashes += 1 }
            if backslashes % 2 == 0 { return quote + 1 }
            index = quote + 1
        }
        return bytes.count
    }
}

/// The members of a JSON object read in place (see ``JSONSpan``).
package struct JSONSpanObject {
    package let bytes: UnsafeRawBufferPointer
    package let members: [JSONSlices.Member]

    /// The value of `key`; when a key is repeated, the last one (as a decoded object keeps it).
    package subscript(key: String) -> JSONSpan? {
        guard let member = members.last(where: { $0.key == key }) else { return nil }
        return JSONSpan(bytes: UnsafeRawBufferPointer(rebasing: bytes[member.value]))
    }

    /// The keys not in `known`, each once (what ``NormalizationContext/unknownFields`` counts).
    package func keys(notIn known: Set<String>) -> [String] {
        var unknown: [String] = []
        for member in members where !known.contains(member.key) && !unknown.contains(member.key) { unknown.append(member.key) }
        return unknown
    }

    /// The keys, each once.
    package var keys: [String] { keys(notIn: []) }
}
