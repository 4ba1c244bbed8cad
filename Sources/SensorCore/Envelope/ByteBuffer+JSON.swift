import Foundation

/// Appending JSON pieces to a byte buffer, without going through `String`.
extension Array where Element == UInt8 {
    @inline(__always)
    mutating func append(_ text: StaticString) {
        append(contentsOf: UnsafeBufferPointer(start: text.utf8Start, count: text.utf8CodeUnitCount))
    }

    mutating func append(utf8 text: String) {
        var text = text
        text.withUTF8 { append(contentsOf: $0) }
    }

    mutating func appendDecimal<T: BinaryInteger>(_ value: T) {
        if value < 0 {
            append(UInt8(ascii: "-"))
            appendDigits(UInt64(value.magnitude))
        } else {
            appendDigits(UInt64(value))
        }
    }

    /// Decimal digits without going through `String` (checkpoints write thousands of numbers).
    private mutating func appendDigits(_ value: UInt64) {
        var digits: (UInt64, UInt64, UInt64) = (0, 0, 0)  // 24 bytes: room for 20 digits
        Swift.withUnsafeMutableBytes(of: &digits) { buffer in
            var index = buffer.count
            var rest = value
            repeat {
                index -= 1
                buffer[index] = UInt8(ascii: "0") + UInt8(rest % 10)
                rest /= 10
            } while rest > 0
            append(contentsOf: UnsafeRawBufferPointer(rebasing: buffer[index...]))
        }
    }

    /// Appends `bytes` (valid UTF-8) as a JSON string literal, quotes included.
    mutating func appendJSONString(_ bytes: UnsafeRawBufferPointer) {
        append(UInt8(ascii: "\""))
        appendJSONStringContent(bytes)
        append(UInt8(ascii: "\""))
    }

    /// Appends `bytes` escaped for the inside of a JSON string (a piece of a longer string may
    /// end inside a UTF-8 sequence: bytes are escaped one by one).
    mutating func appendJSONStringContent(_ bytes: UnsafeRawBufferPointer) {
        var runStart = 0
        let hex: StaticString = "0123456789abcdef"
        for index in 0..<bytes.count {
            let byte = bytes[index]
            guard byte < 0x20 || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") else { continue }
            if runStart < index { append(contentsOf: UnsafeRawBufferPointer(rebasing: bytes[runStart..<index])) }
            switch byte {
            case UInt8(ascii: "\""): append("\\\"")
            case UInt8(ascii: "\\"): append("\\\\")
            case 0x0A: append("\\n")
            case 0x0D: append("\\r")
            case 0x09: append("\\t")
            default:
                append("\\u00")
                append(hex.utf8Start[Int(byte >> 4)])
                append(hex.utf8Start[Int(byte & 0x0F)])
            }
            runStart = index + 1
        }
        if runStart < bytes.count { append(contentsOf: UnsafeRawBufferPointer(rebasing: bytes[runStart...])) }
    }

    mutating func appendJSONString(_ text: String) {
        var text = text
        text.withUTF8 { appendJSONString(UnsafeRawBufferPointer($0)) }
    }

    /// Appends `bytes` as a base64 JSON string literal.
    mutating func appendBase64String(_ bytes: UnsafeRawBufferPointer) {
        append(UInt8(ascii: "\""))
        appendBase64Digits(bytes)
        append(UInt8(ascii: "\""))
    }

    /// Appends the base64 digits of `bytes`, padded (a piece of a longer value must hold a
    /// multiple of three bytes).
    mutating func appendBase64Digits(_ bytes: UnsafeRawBufferPointer) {
        let table: StaticString = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
        let alphabet = table.utf8Start
        var index = 0
        reserveCapacity(count + (bytes.count + 2) / 3 * 4)
        while index + 3 <= bytes.count {
            let value = UInt32(bytes[index]) << 16 | UInt32(bytes[index + 1]) << 8 | UInt32(bytes[index + 2])
            append(alphabet[Int(value >> 18 & 63)])
            append(alphabet[Int(value >> 12 & 63)])
            append(alphabet[Int(value >> 6 & 63)])
            append(alphabet[Int(value & 63)])
            index += 3
        }
        let remaining = bytes.count - index
        if remaining > 0 {
            var value = UInt32(bytes[index]) << 16
            if remaining == 2 { value |= UInt32(bytes[index + 1]) << 8 }
            append(alphabet[Int(value >> 18 & 63)])
            append(alphabet[Int(value >> 12 & 63)])
            if remaining == 2 { append(alphabet[Int(value >> 6 & 63)]) } else { append(UInt8(ascii: "=")) }
            append(UInt8(ascii: "="))
        }
    }
}
