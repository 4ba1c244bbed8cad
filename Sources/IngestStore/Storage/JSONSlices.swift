import SensorModel

/// Reads the structure of a JSON document as byte ranges, building no values: an object's
/// members (decoded key, range of the value), an array's elements, a value's kind. Validation
/// of every value is `SensorModel.JSONScanner`'s (RFC 8259, UTF-8 checked in strings).
///
/// Every function takes a buffer holding exactly the value concerned (whitespace allowed around
/// it) and returns ranges into that buffer, or nil when it is not valid JSON of the right shape.
package enum JSONSlices {
    /// One member of an object.
    package struct Member {
        package var key: String
        package var value: Range<Int>

        package init(key: String, value: Range<Int>) {
            self.key = key
            self.value = value
        }
    }

    /// What a JSON value is, told by its first byte.
    package enum Kind: Equatable {
        case object, array, string, number, bool, null
    }

    package static func members(of bytes: UnsafeRawBufferPointer) -> [Member]? {
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

    package static func elements(of bytes: UnsafeRawBufferPointer) -> [Range<Int>]? {
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
    package static func kind(_ bytes: UnsafeRawBufferPointer) -> Kind {
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
    package static func number(_ bytes: UnsafeRawBufferPointer) -> Double? {
        Double(String(decoding: bytes, as: UTF8.self))
    }

    /// Whether a (valid) number is an integer in JSON Schema's sense (no fractional part).
    package static func isInteger(_ bytes: UnsafeRawBufferPointer) -> Bool {
        guard let value = number(bytes) else { return false }
        return value.isFinite && value.rounded(.towardZero) == value
    }

    /// The text of a (valid) JSON string, quotes included in `bytes`; escapes decoded.
    package static func string(_ bytes: UnsafeRawBufferPointer) -> String? {
        guard bytes.count >= 2, bytes.first == UInt8(ascii: "\""), bytes.last == UInt8(ascii: "\"") else { return nil }
        let inner = UnsafeRawBufferPointer(rebasing: bytes[1..<(bytes.count - 1)])
        guard inner.contains(UInt8(ascii: "\\")) else { return String(decoding: inner, as: UTF8.self) }
        // Decoded into UTF-8 bytes, runs without escapes copied whole, and made a String once.
        var malformed = false
        let text = String(unsafeUninitializedCapacity: inner.count) { output in
            var written = 0
            var index = 0
            func hex4(at start: Int) -> UInt32? {
                guard start + 4 <= inner.count else { return nil }
                var code: UInt32 = 0
                for byte in inner[start..<(start + 4)] {
                    let digit: UInt8
                    switch byte {
                    case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = byte - UInt8(ascii: "0")
                    case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = byte - UInt8(ascii: "a") + 10
                    case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = byte - UInt8(ascii: "A") + 10
                    default: return nil
                    }
                    code = code << 4 | UInt32(digit)
                }
                return code
            }
            while index < inner.count {
                var run = index
                while run < inner.count, inner[run] != UInt8(ascii: "\\") { run += 1 }
                if run > index {
                    UnsafeMutableRawBufferPointer(start: output.baseAddress! + written, count: run - index)
                        .copyMemory(from: UnsafeRawBufferPointer(rebasing: inner[index..<run]))
                    written += run - index
                    index = run
                }
                guard index + 1 < inner.count else {
                    if index < inner.count { output[written] = inner[index]; written += 1; index += 1 }
                    break
                }
                let escape = inner[index + 1]
                index += 2
                let byte: UInt8
                switch escape {
                case UInt8(ascii: "b"): byte = 0x08
                case UInt8(ascii: "f"): byte = 0x0C
                case UInt8(ascii: "n"): byte = 0x0A
                case UInt8(ascii: "r"): byte = 0x0D
                case UInt8(ascii: "t"): byte = 0x09
                case UInt8(ascii: "u"):
                    guard var code = hex4(at: index) else {
                        malformed = true
                        return 0
                    }
                    index += 4
                    if (0xD800..<0xDC00).contains(code), index + 6 <= inner.count,
                       inner[index] == UInt8(ascii: "\\"), inner[index + 1] == UInt8(ascii: "u"),
                       let low = hex4(at: index + 2), (0xDC00..<0xE000).contains(low) {
                        code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00)
                        index += 6
                    }
                    // A lone surrogate has no scalar: it becomes U+FFFD, as JSONSerialization does.
                    // An escape of six bytes is never shorter than its UTF-8 (at most four).
                    for unit in UTF8.encode(Unicode.Scalar(code) ?? "\u{FFFD}")! {
                        output[written] = unit
                        written += 1
                    }
                    continue
                default: byte = escape  // \" \\ \/
                }
                output[written] = byte
                written += 1
            }
            return written
        }
        return malformed ? nil : text
    }
}

/// Where an envelope says its record came from.
extension JSONSlices {
    /// `locator.path` of a locator object, when it has one.
    package static func locatorPath(_ locator: UnsafeRawBufferPointer) -> String? {
        guard let member = JSONSlices.members(of: locator)?.first(where: { $0.key == "path" }) else { return nil }
        let value = UnsafeRawBufferPointer(rebasing: locator[member.value])
        return JSONSlices.kind(value) == .string ? JSONSlices.string(value) : nil
    }

    /// `locator.path` of a whole envelope, when it has one.
    package static func locatorPath(envelope bytes: UnsafeRawBufferPointer) -> String? {
        guard let member = JSONSlices.members(of: bytes)?.first(where: { $0.key == "locator" }) else { return nil }
        return locatorPath(UnsafeRawBufferPointer(rebasing: bytes[member.value]))
    }
}
