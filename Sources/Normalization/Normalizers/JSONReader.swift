import Foundation
import IngestStore

/// Parses JSON text into the values the normalisers read (`[String: Any]`, `[Any]`, `String`,
/// `NSNumber`, `NSNull`): the values `JSONSerialization` gives, in one pass over the bytes.
///
/// Foundation's parser builds a tree of its own and converts it, and makes each string through
/// a generic initialiser: it was a quarter of a reparse's CPU. Stored envelopes were checked as
/// JSON (and UTF-8) when they arrived; this still refuses anything that is not JSON, and nests
/// at most 512 deep.
package enum JSONReader {
    /// The value of `text`, or nil when it is not one JSON value.
    package static func parse(_ text: String) -> Any? {
        var text = text
        return text.withUTF8 { parse(UnsafeRawBufferPointer($0)) }
    }

    package static func parse(_ bytes: UnsafeRawBufferPointer) -> Any? {
        guard let base = bytes.baseAddress?.assumingMemoryBound(to: UInt8.self) else { return nil }
        var parser = Parser(bytes: base, count: bytes.count)
        guard let value = parser.value(depth: 0) else { return nil }
        parser.skipWhitespace()
        return parser.index == parser.count ? value : nil
    }

    /// The values of text holding several JSON values one after another (`{…}{…}`: two
    /// records a writer glued onto one line), or nil when any part is not JSON.
    static func parseSequence(_ text: String) -> [Any]? {
        var text = text
        return text.withUTF8 { buffer -> [Any]? in
            guard let base = buffer.baseAddress else { return nil }
            var parser = Parser(bytes: base, count: buffer.count)
            var values: [Any] = []
            parser.skipWhitespace()
            while parser.index < parser.count {
                guard let value = parser.value(depth: 0) else { return nil }
                values.append(value)
                parser.skipWhitespace()
            }
            return values.isEmpty ? nil : values
        }
    }

    private struct Parser {
        package let bytes: UnsafePointer<UInt8>
        package let count: Int
        package var index = 0

        package init(bytes: UnsafePointer<UInt8>, count: Int) {
            self.bytes = bytes
            self.count = count
        }

        package mutating func skipWhitespace() {
            while index < count {
                switch bytes[index] {
                case 0x20, 0x0A, 0x0D, 0x09: index += 1
                default: return
                }
            }
        }

        package mutating func value(depth: Int) -> Any? {
            skipWhitespace()
            guard index < count, depth < 512 else { return nil }
            switch bytes[index] {
            case UInt8(ascii: "{"): return object(depth: depth)
            case UInt8(ascii: "["): return array(depth: depth)
            case UInt8(ascii: "\""): return string()
            case UInt8(ascii: "t"): return literal("true") ? NSNumber(value: true) : nil
            case UInt8(ascii: "f"): return literal("false") ? NSNumber(value: false) : nil
            case UInt8(ascii: "n"): return literal("null") ? NSNull() : nil
            default: return number()
            }
        }

        package mutating func object(depth: Int) -> [String: Any]? {
            index += 1
            // Records' objects mostly hold a handful of fields: room for eight spares the first
            // three rehashes of each.
            var object = [String: Any](minimumCapacity: 8)
            skipWhitespace()
            if index < count, bytes[index] == UInt8(ascii: "}") {
                index += 1
                return object
            }
            while true {
                skipWhitespace()
                guard index < count, bytes[index] == UInt8(ascii: "\""), let key = string() else { return nil }
                skipWhitespace()
                guard index < count, bytes[index] == UInt8(ascii: ":") else { return nil }
                index += 1
                guard let member = value(depth: depth + 1) else { return nil }
                object[key] = member
                skipWhitespace()
                guard index < count else { return nil }
                if bytes[index] == UInt8(ascii: ",") {
                    index += 1
                } else if bytes[index] == UInt8(ascii: "}") {
                    index += 1
                    return object
                } else {
                    return nil
                }
            }
        }

        package mutating func array(depth: Int) -> [Any]? {
            index += 1
            var array: [Any] = []
            skipWhitespace()
            if index < count, bytes[index] == UInt8(ascii: "]") {
                index += 1
                return array
            }
            while true {
                guard let element = value(depth: depth + 1) else { return nil }
                array.append(element)
                skipWhitespace()
                guard index < count else { return nil }
                if bytes[index] == UInt8(ascii: ",") {
                    index += 1
                } else if bytes[index] == UInt8(ascii: "]") {
                    index += 1
                    return array
                } else {
                    return nil
                }
            }
        }

        /// A string at `index` (its opening quote).
        package mutating func string() -> String? {
            let start = index + 1
            var end = start
            while end < count {
                let byte = bytes[end]
                if byte == UInt8(ascii: "\"") {
                    index = end + 1
                    return String(decoding: UnsafeBufferPointer(start: bytes + start, count: end - start), as: UTF8.self)
                }
                if byte == UInt8(ascii: "\\") { return escapedString(from: start, plain: end) }
                if byte < 0x20 { return nil }
                end += 1
            }
            return nil
        }

        /// The rest of a string that holds escapes; `plain` is where the first one is. Decoded
        /// as the ingest server decodes envelope fields (a lone surrogate becomes U+FFFD).
        mutating func escapedString(from start: Int, plain: Int) -> String? {
            var position = plain
            while position < count, bytes[position] != UInt8(ascii: "\"") {
                if bytes[position] < 0x20 { return nil }
                position += bytes[position] == UInt8(ascii: "\\") ? 2 : 1
            }
            guard position < count,
                  let text = JSONSlices.string(UnsafeRawBufferPointer(start: bytes + start - 1, count: position - start + 2))
            else { return nil }
            index = position + 1
            return text
        }

        /// A number: an integer that fits 64 bits (signed, else unsigned) as one, anything else as
    /// a double.
        package mutating func number() -> NSNumber? {
            let start = index
            var position = index
            if position < count, bytes[position] == UInt8(ascii: "-") { position += 1 }
            let digitsStart = position
            while position < count, (0x30...0x39).contains(bytes[position]) { position += 1 }
            guard position > digitsStart, bytes[digitsStart] != 0x30 || position == digitsStart + 1 else { return nil }
            var integral = true
            if position < count, bytes[position] == UInt8(ascii: ".") {
                integral = false
                position += 1
                let fraction = position
                while position < count, (0x30...0x39).contains(bytes[position]) { position += 1 }
                guard position > fraction else { return nil }
            }
            if position < count, bytes[position] == UInt8(ascii: "e") || bytes[position] == UInt8(ascii: "E") {
                integral = false
                position += 1
                if position < count, bytes[position] == UInt8(ascii: "+") || bytes[position] == UInt8(ascii: "-") { position += 1 }
                let exponent = position
                while position < count, (0x30...0x39).contains(bytes[position]) { position += 1 }
                guard position > exponent else { return nil }
            }
            index = position
            let text = String(decoding: UnsafeBufferPointer(start: bytes + start, count: position - start), as: UTF8.self)
            if integral, let integer = Int64(text) { return NSNumber(value: integer) }
            if integral, let integer = UInt64(text) { return NSNumber(value: integer) }
            return Double(text).map { NSNumber(value: $0) }
        }

        package mutating func literal(_ word: StaticString) -> Bool {
            let length = word.utf8CodeUnitCount
            guard index + length <= count, memcmp(bytes + index, word.utf8Start, length) == 0 else { return false }
            index += length
            return true
        }
    }
}
