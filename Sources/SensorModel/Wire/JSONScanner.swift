/// A byte-level JSON validator (RFC 8259, UTF-8) that builds nothing.
///
/// Records that are already JSON are embedded in envelopes verbatim; this is how the sensor
/// knows it may do so, at memory speed and without allocating. Nesting is tracked on an
/// explicit stack, so deep documents cannot exhaust the call stack.
public enum JSONScanner {
    /// Whether `bytes` hold exactly one JSON value, optionally surrounded by whitespace.
    public static func isValid(_ bytes: UnsafeRawBufferPointer) -> Bool {
        guard let end = scanValue(bytes, from: 0) else { return false }
        return skipWhitespace(bytes, from: end) == bytes.count
    }

    /// Whether `bytes` hold exactly one JSON value.
    public static func isValid(_ bytes: [UInt8]) -> Bool {
        bytes.withUnsafeBytes { isValid($0) }
    }

    /// Scans the JSON value that starts at `start` (after optional whitespace) and returns the
    /// index just past it, or nil when it is not valid JSON.
    public static func scanValue(_ bytes: UnsafeRawBufferPointer, from start: Int) -> Int? {
        guard let base = bytes.baseAddress?.assumingMemoryBound(to: UInt8.self) else { return nil }
        let count = bytes.count
        var index = start
        var stack: [UInt8] = []
        var state = State.value

        while true {
            index = skipWhitespace(base, count, from: index)
            guard index < count else { return nil }
            let byte = base[index]
            switch state {
            case .value, .valueOrClose:
                if state == .valueOrClose && byte == ascii("]") {
                    stack.removeLast()
                    index += 1
                } else {
                    switch byte {
                    case ascii("{"):
                        stack.append(byte)
                        index += 1
                        state = .keyOrClose
                        continue
                    case ascii("["):
                        stack.append(byte)
                        index += 1
                        state = .valueOrClose
                        continue
                    case ascii("\""):
                        guard let end = scanString(base, count, from: index) else { return nil }
                        index = end
                    case ascii("t"):
                        guard let end = scanLiteral(base, count, from: index, "true") else { return nil }
                        index = end
                    case ascii("f"):
                        guard let end = scanLiteral(base, count, from: index, "false") else { return nil }
                        index = end
                    case ascii("n"):
                        guard let end = scanLiteral(base, count, from: index, "null") else { return nil }
                        index = end
                    default:
                        guard let end = scanNumber(base, count, from: index) else { return nil }
                        index = end
                    }
                }
                if stack.isEmpty { return index }
                state = .commaOrClose
            case .keyOrClose, .key:
                if state == .keyOrClose && byte == ascii("}") {
                    stack.removeLast()
                    index += 1
                    if stack.isEmpty { return index }
                    state = .commaOrClose
                } else {
                    guard byte == ascii("\""), let end = scanString(base, count, from: index) else { return nil }
                    index = end
                    state = .colon
                }
            case .colon:
                guard byte == ascii(":") else { return nil }
                index += 1
                state = .value
            case .commaOrClose:
                let top = stack[stack.count - 1]
                if byte == ascii(",") {
                    index += 1
                    state = top == ascii("{") ? .key : .value
                } else if (top == ascii("{") && byte == ascii("}")) || (top == ascii("[") && byte == ascii("]")) {
                    stack.removeLast()
                    index += 1
                    if stack.isEmpty { return index }
                } else {
                    return nil
                }
            }
        }
    }

    /// The index of the first non-whitespace byte at or after `start`.
    public static func skipWhitespace(_ bytes: UnsafeRawBufferPointer, from start: Int) -> Int {
        guard let base = bytes.baseAddress?.assumingMemoryBound(to: UInt8.self) else { return start }
        return skipWhitespace(base, bytes.count, from: start)
    }

    // MARK: - Pieces

    private enum State {
        case value, valueOrClose, keyOrClose, key, colon, commaOrClose
    }

    @inline(__always)
    private static func ascii(_ character: Unicode.Scalar) -> UInt8 { UInt8(character.value) }

    @inline(__always)
    private static func skipWhitespace(_ base: UnsafePointer<UInt8>, _ count: Int, from start: Int) -> Int {
        var index = start
        while index < count {
            switch base[index] {
            case 0x20, 0x0A, 0x0D, 0x09: index += 1
            default: return index
            }
        }
        return index
    }

    private static func scanLiteral(_ base: UnsafePointer<UInt8>, _ count: Int, from start: Int,
                                    _ literal: StaticString) -> Int? {
        let length = literal.utf8CodeUnitCount
        guard start + length <= count else { return nil }
        let expected = literal.utf8Start
        for offset in 0..<length where base[start + offset] != expected[offset] { return nil }
        return start + length
    }

    private static func scanNumber(_ base: UnsafePointer<UInt8>, _ count: Int, from start: Int) -> Int? {
        var index = start
        func digits() -> Bool {
            let first = index
            while index < count, base[index] &- 0x30 < 10 { index += 1 }
            return index > first
        }
        if index < count, base[index] == ascii("-") { index += 1 }
        guard index < count else { return nil }
        if base[index] == ascii("0") {
            index += 1
        } else {
            guard digits() else { return nil }
        }
        if index < count, base[index] == ascii(".") {
            index += 1
            guard digits() else { return nil }
        }
        if index < count, base[index] | 0x20 == ascii("e") {
            index += 1
            if index < count, base[index] == ascii("+") || base[index] == ascii("-") { index += 1 }
            guard digits() else { return nil }
        }
        return index
    }

    /// Scans a string starting at its opening quote; returns the index after the closing quote.
    private static func scanString(_ base: UnsafePointer<UInt8>, _ count: Int, from start: Int) -> Int? {
        var index = start + 1
        while index < count {
            // Eight plain ASCII bytes at a time: no quote, backslash, control or non-ASCII byte.
            if index + 8 <= count {
                let word = UnsafeRawPointer(base + index).loadUnaligned(as: UInt64.self)
                if !needsAttention(word) {
                    index += 8
                    continue
                }
            }
            let byte = base[index]
            if byte >= 0x20 && byte < 0x80 && byte != ascii("\"") && byte != ascii("\\") {
                index += 1
                continue
            }
            switch byte {
            case ascii("\""):
                return index + 1
            case ascii("\\"):
                guard index + 1 < count else { return nil }
                switch base[index + 1] {
                case ascii("\""), ascii("\\"), ascii("/"), ascii("b"), ascii("f"), ascii("n"), ascii("r"), ascii("t"):
                    index += 2
                case ascii("u"):
                    guard index + 6 <= count else { return nil }
                    for offset in 2..<6 where !isHexDigit(base[index + offset]) { return nil }
                    index += 6
                default:
                    return nil
                }
            case 0..<0x20:
                return nil
            default:
                guard let length = UTF8Check.sequenceLength(base, count, at: index) else { return nil }
                index += length
            }
        }
        return nil
    }

    private static let ones: UInt64 = 0x0101_0101_0101_0101
    private static let highs: UInt64 = 0x8080_8080_8080_8080

    /// Whether any byte of `word` is a quote, a backslash, below 0x20 or above 0x7F (SWAR).
    @inline(__always)
    static func needsAttention(_ word: UInt64) -> Bool {
        func hasZero(_ x: UInt64) -> UInt64 { (x &- ones) & ~x & highs }
        let control = (word &- ones &* 0x20) & ~word & highs
        let quote = hasZero(word ^ (ones &* 0x22))
        let backslash = hasZero(word ^ (ones &* 0x5C))
        return (control | quote | backslash | (word & highs)) != 0
    }

    @inline(__always)
    private static func isHexDigit(_ byte: UInt8) -> Bool {
        byte &- 0x30 < 10 || (byte | 0x20) &- 0x61 < 6
    }
}

/// UTF-8 well-formedness (no overlongs, no surrogates, nothing past U+10FFFF).
public enum UTF8Check {
    /// Whether all of `bytes` is well-formed UTF-8.
    public static func isValid(_ bytes: UnsafeRawBufferPointer) -> Bool {
        guard let base = bytes.baseAddress?.assumingMemoryBound(to: UInt8.self) else { return true }
        let count = bytes.count
        var index = 0
        while index < count {
            // Eight ASCII bytes at a time.
            if index + 8 <= count {
                let word = UnsafeRawPointer(base + index).loadUnaligned(as: UInt64.self)
                if word & 0x8080_8080_8080_8080 == 0 {
                    index += 8
                    continue
                }
            }
            if base[index] < 0x80 {
                index += 1
                continue
            }
            guard let length = sequenceLength(base, count, at: index) else { return false }
            index += length
        }
        return true
    }

    /// Length of the multi-byte sequence starting at `index` (lead byte ≥ 0x80), or nil if malformed.
    @inline(__always)
    static func sequenceLength(_ base: UnsafePointer<UInt8>, _ count: Int, at index: Int) -> Int? {
        let lead = base[index]
        @inline(__always) func continuation(_ offset: Int) -> Bool {
            index + offset < count && base[index + offset] & 0xC0 == 0x80
        }
        switch lead {
        case 0xC2...0xDF:
            return continuation(1) ? 2 : nil
        case 0xE0...0xEF:
            guard continuation(1), continuation(2) else { return nil }
            let second = base[index + 1]
            if lead == 0xE0 && second < 0xA0 { return nil }  // overlong
            if lead == 0xED && second >= 0xA0 { return nil }  // surrogate
            return 3
        case 0xF0...0xF4:
            guard continuation(1), continuation(2), continuation(3) else { return nil }
            let second = base[index + 1]
            if lead == 0xF0 && second < 0x90 { return nil }  // overlong
            if lead == 0xF4 && second >= 0x90 { return nil }  // above U+10FFFF
            return 4
        default:
            return nil
        }
    }
}
