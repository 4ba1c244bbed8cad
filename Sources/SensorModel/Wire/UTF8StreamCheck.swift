/// ``UTF8Check`` fed in pieces: whether bytes that arrive a window at a time are well-formed
/// UTF-8 (a sequence may straddle two windows).
public struct UTF8StreamCheck: Sendable {
    /// Continuation bytes still to come, and the bounds of the next one.
    private var remaining: UInt8 = 0
    private var low: UInt8 = 0x80
    private var high: UInt8 = 0xBF
    private var failed = false

    public init() {}

    public mutating func feed(_ bytes: UnsafeRawBufferPointer) {
        guard !failed, let base = bytes.baseAddress?.assumingMemoryBound(to: UInt8.self) else { return }
        var index = 0
        let count = bytes.count
        // Finish a sequence the previous window began.
        while remaining > 0 && index < count {
            guard continues(base[index]) else { return }
            index += 1
        }
        // Whole sequences: the one-shot check, up to the last lead byte whose sequence is cut.
        var tail = count
        var back = 0
        while back < 3 && tail > index && base[tail - 1] & 0xC0 == 0x80 {
            tail -= 1
            back += 1
        }
        if tail > index && base[tail - 1] >= 0xC0 { tail -= 1 } else { tail = count }
        guard UTF8Check.isValid(UnsafeRawBufferPointer(start: base + index, count: tail - index)) else {
            failed = true
            return
        }
        // The cut sequence, if any, byte by byte.
        for position in tail..<count {
            let byte = base[position]
            if remaining > 0 {
                guard continues(byte) else { return }
            } else {
                lead(byte)
            }
            if failed { return }
        }
    }

    /// Whether everything fed was well-formed, ending on a whole character.
    public func finish() -> Bool { !failed && remaining == 0 }

    private mutating func continues(_ byte: UInt8) -> Bool {
        guard byte >= low && byte <= high else {
            failed = true
            return false
        }
        remaining -= 1
        low = 0x80
        high = 0xBF
        return true
    }

    private mutating func lead(_ byte: UInt8) {
        switch byte {
        case 0..<0x80: break
        case 0xC2...0xDF: remaining = 1
        case 0xE0: (remaining, low) = (2, 0xA0)
        case 0xED: (remaining, high) = (2, 0x9F)
        case 0xE1...0xEF: remaining = 2
        case 0xF0: (remaining, low) = (3, 0x90)
        case 0xF4: (remaining, high) = (3, 0x8F)
        case 0xF1...0xF3: remaining = 3
        default: failed = true
        }
    }
}
