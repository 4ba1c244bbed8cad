/// ``JSONScanner``'s grammar, fed in pieces: validates one JSON value whose bytes arrive a
/// window at a time, for records too large to hold in memory. Same rules (RFC 8259, UTF-8
/// well-formed, one value with optional surrounding whitespace); the state between two pieces
/// is a container stack and a few counters.
public struct JSONStreamValidator: Sendable {
    private enum Expect: UInt8 {
        case value, valueOrClose, keyOrClose, key, colon, commaOrClose, end
    }

    private enum Mode: Equatable {
        case structure(Expect)
        /// Inside a string: `key` says where the parser goes when it closes.
        case string(key: Bool)
        /// After a backslash.
        case escape(key: Bool)
        /// Inside `\uXXXX`, hex digits still to come.
        case unicode(key: Bool, remaining: UInt8)
        /// Inside a multi-byte UTF-8 sequence: continuation bytes still to come, and the
        /// bounds of the next one (tighter after E0, ED, F0 and F4).
        case utf8(key: Bool, remaining: UInt8, low: UInt8, high: UInt8)
        case number(NumberPhase)
        /// Inside `true`, `false` or `null`: the literal and how much of it was seen.
        case literal(Literal, matched: UInt8)
        case failed
    }

    private enum NumberPhase: Equatable {
        case minus, zero, integer, dot, fraction, exponent, exponentSign, exponentDigits

        var canEnd: Bool { self == .zero || self == .integer || self == .fraction || self == .exponentDigits }
    }

    private enum Literal: Equatable {
        case `true`, `false`, null

        var bytes: StaticString {
            switch self {
            case .true: "true"
            case .false: "false"
            case .null: "null"
            }
        }
    }

    private var mode = Mode.structure(.value)
    /// `{` or `[` of each open container.
    private var stack: [UInt8] = []

    public init() {}

    /// Whether everything fed so far could still begin a valid document.
    public var isViable: Bool { mode != .failed }

    /// Feeds the next piece of the document.
    public mutating func feed(_ bytes: UnsafeRawBufferPointer) {
        guard let base = bytes.baseAddress?.assumingMemoryBound(to: UInt8.self) else { return }
        let count = bytes.count
        var index = 0
        while index < count {
            switch mode {
            case .failed:
                return
            case .string(let key):
                index = scanStringRun(base, count, from: index, key: key)
            default:
                step(base[index])
                index += 1
            }
        }
    }

    /// Whether the whole document fed was exactly one JSON value.
    public mutating func finish() -> Bool {
        if case .number(let phase) = mode {
            guard phase.canEnd else { return false }
            valueEnded()
        }
        return mode == .structure(.end)
    }

    // MARK: - Strings

    /// Consumes plain string bytes eight at a time; stops at the first byte that needs the
    /// state machine (quote, backslash, control, non-ASCII), which it then steps.
    private mutating func scanStringRun(_ base: UnsafePointer<UInt8>, _ count: Int, from start: Int, key: Bool) -> Int {
        var index = start
        while index + 8 <= count {
            let word = UnsafeRawPointer(base + index).loadUnaligned(as: UInt64.self)
            if JSONScanner.needsAttention(word) { break }
            index += 8
        }
        while index < count {
            let byte = base[index]
            index += 1
            if byte >= 0x20 && byte < 0x80 && byte != 0x22 && byte != 0x5C { continue }
            step(byte)
            return index
        }
        return index
    }

    // MARK: - The state machine, one byte at a time

    private mutating func step(_ byte: UInt8) {
        switch mode {
        case .failed:
            return
        case .structure(let expect):
            structure(expect, byte)
        case .string(let key):
            switch byte {
            case 0x22: stringEnded(key: key)
            case 0x5C: mode = .escape(key: key)
            case 0..<0x20: mode = .failed
            case 0x20..<0x80: break
            case 0xC2...0xDF: mode = .utf8(key: key, remaining: 1, low: 0x80, high: 0xBF)
            case 0xE0: mode = .utf8(key: key, remaining: 2, low: 0xA0, high: 0xBF)  // no overlongs
            case 0xED: mode = .utf8(key: key, remaining: 2, low: 0x80, high: 0x9F)  // no surrogates
            case 0xE1...0xEF: mode = .utf8(key: key, remaining: 2, low: 0x80, high: 0xBF)
            case 0xF0: mode = .utf8(key: key, remaining: 3, low: 0x90, high: 0xBF)
            case 0xF4: mode = .utf8(key: key, remaining: 3, low: 0x80, high: 0x8F)  // nothing past U+10FFFF
            case 0xF1...0xF3: mode = .utf8(key: key, remaining: 3, low: 0x80, high: 0xBF)
            default: mode = .failed
            }
        case .utf8(let key, let remaining, let low, let high):
            guard byte >= low && byte <= high else { mode = .failed; return }
            mode = remaining == 1 ? .string(key: key) : .utf8(key: key, remaining: remaining - 1, low: 0x80, high: 0xBF)
        case .escape(let key):
            switch byte {
            case 0x22, 0x5C, 0x2F, 0x62, 0x66, 0x6E, 0x72, 0x74: mode = .string(key: key)
            case 0x75: mode = .unicode(key: key, remaining: 4)
            default: mode = .failed
            }
        case .unicode(let key, let remaining):
            guard byte &- 0x30 < 10 || (byte | 0x20) &- 0x61 < 6 else { mode = .failed; return }
            mode = remaining == 1 ? .string(key: key) : .unicode(key: key, remaining: remaining - 1)
        case .number(let phase):
            number(phase, byte)
        case .literal(let literal, let matched):
            let expected = literal.bytes
            guard byte == expected.utf8Start[Int(matched)] else { mode = .failed; return }
            if Int(matched) + 1 == expected.utf8CodeUnitCount {
                valueEnded()
            } else {
                mode = .literal(literal, matched: matched + 1)
            }
        }
    }

    private mutating func structure(_ expect: Expect, _ byte: UInt8) {
        if byte == 0x20 || byte == 0x0A || byte == 0x0D || byte == 0x09 { return }
        switch expect {
        case .value, .valueOrClose:
            if expect == .valueOrClose && byte == 0x5D {
                close()
                return
            }
            switch byte {
            case 0x7B:
                stack.append(byte)
                mode = .structure(.keyOrClose)
            case 0x5B:
                stack.append(byte)
                mode = .structure(.valueOrClose)
            case 0x22: mode = .string(key: false)
            case 0x74: mode = .literal(.true, matched: 1)
            case 0x66: mode = .literal(.false, matched: 1)
            case 0x6E: mode = .literal(.null, matched: 1)
            case 0x2D: mode = .number(.minus)
            case 0x30: mode = .number(.zero)
            case 0x31...0x39: mode = .number(.integer)
            default: mode = .failed
            }
        case .keyOrClose, .key:
            if expect == .keyOrClose && byte == 0x7D {
                close()
            } else if byte == 0x22 {
                mode = .string(key: true)
            } else {
                mode = .failed
            }
        case .colon:
            mode = byte == 0x3A ? .structure(.value) : .failed
        case .commaOrClose:
            let top = stack[stack.count - 1]
            if byte == 0x2C {
                mode = .structure(top == 0x7B ? .key : .value)
            } else if (top == 0x7B && byte == 0x7D) || (top == 0x5B && byte == 0x5D) {
                close()
            } else {
                mode = .failed
            }
        case .end:
            mode = .failed
        }
    }

    private mutating func number(_ phase: NumberPhase, _ byte: UInt8) {
        let digit = byte &- 0x30 < 10
        switch phase {
        case .minus:
            mode = byte == 0x30 ? .number(.zero) : digit ? .number(.integer) : .failed
        case .zero, .integer:
            if phase == .integer && digit { return }
            if byte == 0x2E { mode = .number(.dot); return }
            if byte | 0x20 == 0x65 { mode = .number(.exponent); return }
            endNumber(byte)
        case .dot:
            mode = digit ? .number(.fraction) : .failed
        case .fraction:
            if digit { return }
            if byte | 0x20 == 0x65 { mode = .number(.exponent); return }
            endNumber(byte)
        case .exponent:
            mode = digit ? .number(.exponentDigits) : (byte == 0x2B || byte == 0x2D) ? .number(.exponentSign) : .failed
        case .exponentSign:
            mode = digit ? .number(.exponentDigits) : .failed
        case .exponentDigits:
            if digit { return }
            endNumber(byte)
        }
    }

    /// A number ends at the first byte that cannot continue it; that byte is then read as
    /// what follows the value.
    private mutating func endNumber(_ byte: UInt8) {
        valueEnded()
        step(byte)
    }

    private mutating func stringEnded(key: Bool) {
        if key {
            mode = .structure(.colon)
        } else {
            valueEnded()
        }
    }

    private mutating func close() {
        stack.removeLast()
        valueEnded()
    }

    private mutating func valueEnded() {
        mode = .structure(stack.isEmpty ? .end : .commaOrClose)
    }
}
