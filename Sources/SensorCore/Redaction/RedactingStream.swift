import SensorModel

/// A ``Redactor`` over a record that arrives a window at a time (records too large to hold).
///
/// Each window is scanned together with the unsent tail of the one before; bytes are passed on
/// only once no match can still begin in them, so a secret that straddles two windows is found
/// whole. A prefixed rule's match is at most ``Redactor/windowBytes`` long, which the carried
/// tail (``overlap``) exceeds; rules without a prefix see up to a window plus the tail at once.
struct RedactingStream {
    let redactor: Redactor
    /// Bytes kept back from each window, to be scanned again with the next.
    static let overlap = 64 * 1024
    private var carry: [UInt8] = []
    /// Replacements made so far, by rule.
    private(set) var counts = RedactionCounts()

    init(redactor: Redactor) {
        self.redactor = redactor
    }

    /// Feeds the next window; `emit` receives the redacted bytes that are final.
    mutating func feed(_ window: UnsafeRawBufferPointer, emit: (UnsafeRawBufferPointer) -> Void) {
        if redactor.isEmpty {
            emit(window)
            return
        }
        carry.append(contentsOf: window)
        let keep = carry.withUnsafeBytes { process($0, final: false, emit: emit) }
        carry.removeSubrange(0..<(carry.count - keep))
    }

    /// Passes on what is still held.
    mutating func finish(emit: (UnsafeRawBufferPointer) -> Void) {
        _ = carry.withUnsafeBytes { process($0, final: true, emit: emit) }
        carry = []
    }

    /// Redacts and emits the settled part of `bytes`; returns how many trailing bytes to keep.
    private mutating func process(_ bytes: UnsafeRawBufferPointer, final: Bool,
                                  emit: (UnsafeRawBufferPointer) -> Void) -> Int {
        if !final && bytes.count <= Self.overlap { return bytes.count }
        // Cut at a character boundary, so each scan sees whole UTF-8 sequences.
        var cut = final ? bytes.count : bytes.count - Self.overlap
        while cut > 0 && cut < bytes.count && bytes[cut] & 0xC0 == 0x80 { cut -= 1 }
        var position = 0
        for match in redactor.matches(in: bytes) where match.range.lowerBound >= position && match.range.lowerBound < cut {
            emit(UnsafeRawBufferPointer(rebasing: bytes[position..<match.range.lowerBound]))
            match.replacement.withUnsafeBytes { emit($0) }
            position = match.range.upperBound
            counts.add(match.rule)
        }
        let settled = max(position, cut)
        if position < settled { emit(UnsafeRawBufferPointer(rebasing: bytes[position..<settled])) }
        return bytes.count - settled
    }
}
