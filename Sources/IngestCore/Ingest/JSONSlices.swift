import SensorModel

/// Reads the structure of a JSON document as byte ranges, building no values: an object's
/// members (decoded key, range of the value), an array's elements, a value's kind. Validation
/// of every value is `SensorModel.JSONScanner`'s (RFC 8259, UTF-8 checked in strings).
///
/// Every function takes a buffer holding exactly the value concerned (whitespace allowed around
/// it) and returns ranges into that buffer, or nil when it is not valid JSON of the right shape.
enum JSONSlices {
    /// One member of an object.
    struct Member {
        var key: String
        var value: Range<Int>
    }

    /// What a JSON value is, told by its first byte.
    enum Kind: Equatable {
        case object, array, string, number, bool, null
    }

    static func members(of bytes: UnsafeRawBufferPointer) -> [Member]? {
        var members: [Member] = []
        let valid = walk(bytes, open: UInt8(ascii: "{"), close: UInt8(ascii: "}")) { index in
            guard index < bytes.count, bytes[index] == UInt8(ascii: "\""),
                  let keyEnd = JSONScanner.scanValue(bytes, from: index),
                  let key = string(UnsafeRawBufferPointer(rebasing: bytes[index..<keyEnd])) else { return nil }
            let colon = JSONScanner.skipWhitespace(bytes, from: keyEnd)
            guard colon < bytes.count, bytes[colon] == UInt8(ascii: ":") else { return nil }
            let start = JSONScanner.skipWhitespace(bytes, from: colon + 1)
            guard let end = JSONScanner.scanValue(bytes, from: start) else { return nil }
            members.append(Member(key: key, value: start..<end))
            return end
        }
        return valid ? members : nil
    }

    static func elements(of bytes: UnsafeRawBufferPointer) -> [Range<Int>]? {
        var elements: [Range<Int>] = []
        let valid = walk(bytes, open: UInt8(ascii: "["), close: UInt8(ascii: "]")) { index in
            guard let end = JSONScanner.scanValue(bytes, from: index) else { return nil }
            elements.append(index..<end)
            return end
        }
        return valid ? elements : nil
    }

    /// The items of an object or array, separated by commas; `item` reads one from an index
    /// (whitespace skipped) and returns the index past it.
    private static func walk(_ bytes: UnsafeRawBufferPointer, open: UInt8, close: UInt8,
                             item: (Int) -> Int?) -> Bool {
        var index = JSONScanner.skipWhitespace(bytes, from: 0)
        guard index < bytes.count, bytes[index] == open else { return false }
        index = JSONScanner.skipWhitespace(bytes, from: index + 1)
        if index < bytes.count, bytes[index] == close {
            return JSONScanner.skipWhitespace(bytes, from: index + 1) == bytes.count
        }
        while true {
            guard let end = item(index) else { return false }
            index = JSONScanner.skipWhitespace(bytes, from: end)
            guard index < bytes.count else { return false }
            if bytes[index] == close { break }
            guard bytes[index] == UInt8(ascii: ",") else { return false }
            index = JSONScanner.skipWhitespace(bytes, from: index + 1)
        }
        return JSONScanner.skipWhitespace(bytes, from: index + 1) == bytes.count
    }

    /// The kind of the (valid) value that starts at the first byte.
    static func kind(_ bytes: UnsafeRawBufferPointer) -> Kind {
        switch bytes.first {
        case UInt8(ascii: "{"): return .object
        case UInt8(ascii: "["): return .array
        case UInt8(ascii: "\""): return .string
        case UInt8(ascii: "t"), UInt8(ascii: "f"): return .bool
        case UInt8(ascii: "n"): return .null
        default: return .number
        }
    }

    /// The value of a (valid) number.
    static func number(_ bytes: UnsafeRawBufferPointer) -> Double? {
        Double(String(decoding: bytes, as: UTF8.self))
    }

    /// Whether a (valid) number is an integer in JSON Schema's sense (no fractional part).
    static func isInteger(_ bytes: UnsafeRawBufferPointer) -> Bool {
        guard let value = number(bytes) else { return false }
        return value.isFinite && value.rounded(.towardZero) == value
    }

    /// The text of a (valid) JSON string, quotes included in `bytes`; escapes decoded.
    static func string(_ bytes: UnsafeRawBufferPointer) -> String? {
        guard bytes.count >= 2, bytes.first == UInt8(ascii: "\""), bytes.last == UInt8(ascii: "\"") else { return nil }
        let inner = UnsafeRawBufferPointer(rebasing: bytes[1..<(bytes.count - 1)])
        guard inner.contains(UInt8(ascii: "\\")) else { return String(decoding: inner, as: UTF8.self) }
        var scalars = String.UnicodeScalarView()
        var decoded: [UInt8] = []
        var index = 0
        func flush() {
            scalars.append(contentsOf: String(decoding: decoded, as: UTF8.self).unicodeScalars)
            decoded.removeAll(keepingCapacity: true)
        }
        func hex4(at start: Int) -> UInt32? {
            guard start + 4 <= inner.count else { return nil }
            return UInt32(String(decoding: UnsafeRawBufferPointer(rebasing: inner[start..<(start + 4)]), as: UTF8.self), radix: 16)
        }
        while index < inner.count {
            let byte = inner[index]
            guard byte == UInt8(ascii: "\\"), index + 1 < inner.count else {
                decoded.append(byte)
                index += 1
                continue
            }
            let escape = inner[index + 1]
            index += 2
            switch escape {
            case UInt8(ascii: "b"): decoded.append(0x08)
            case UInt8(ascii: "f"): decoded.append(0x0C)
            case UInt8(ascii: "n"): decoded.append(0x0A)
            case UInt8(ascii: "r"): decoded.append(0x0D)
            case UInt8(ascii: "t"): decoded.append(0x09)
            case UInt8(ascii: "u"):
                guard var code = hex4(at: index) else { return nil }
                index += 4
                if (0xD800..<0xDC00).contains(code), index + 6 <= inner.count,
                   inner[index] == UInt8(ascii: "\\"), inner[index + 1] == UInt8(ascii: "u"),
                   let low = hex4(at: index + 2), (0xDC00..<0xE000).contains(low) {
                    code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00)
                    index += 6
                }
                flush()
                // A lone surrogate has no scalar: it becomes U+FFFD, as JSONSerialization does.
                scalars.append(Unicode.Scalar(code) ?? "\u{FFFD}")
            default: decoded.append(escape)  // \" \\ \/
            }
        }
        flush()
        return String(scalars)
    }
}
