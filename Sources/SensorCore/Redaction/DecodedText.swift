/// A record's text with its JSON string escapes decoded (`\"` is `"`, `\n` a newline, `\/`
/// a slash, `\u0041` an `A`), and where each decoded byte came from: rules written for plain
/// text (a scanner's `key\s*=\s*"(…)"`) then match what a person pasted, and what they find
/// is replaced in the record as it is.
struct DecodedText {
    /// The decoded bytes.
    let bytes: [UInt8]
    /// `origin[i]`: the offset in the record of decoded byte `i`; `origin[bytes.count]` is the
    /// record's length, so a decoded range `a..<b` is `origin[a]..<origin[b]` in the record.
    let origin: [Int]

    init(_ record: UnsafeRawBufferPointer) {
        var bytes: [UInt8] = []
        var origin: [Int] = []
        bytes.reserveCapacity(record.count)
        origin.reserveCapacity(record.count + 1)
        var index = 0
        while index < record.count {
            let byte = record[index]
            guard byte == UInt8(ascii: "\\"), index + 1 < record.count else {
                bytes.append(byte)
                origin.append(index)
                index += 1
                continue
            }
            let decoded: UInt8?
            var length = 2
            switch record[index + 1] {
            case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): decoded = record[index + 1]
            case UInt8(ascii: "n"): decoded = 0x0A
            case UInt8(ascii: "t"): decoded = 0x09
            case UInt8(ascii: "r"): decoded = 0x0D
            case UInt8(ascii: "u") where index + 6 <= record.count:
                // ASCII only: a wider character stays as written (one rule or another never
                // needs it, and byte offsets stay simple).
                let hex = (index + 2..<index + 6).map { record[$0] }
                if let value = UInt32(String(decoding: hex, as: UTF8.self), radix: 16), value < 0x80 {
                    decoded = UInt8(value)
                    length = 6
                } else {
                    decoded = nil
                }
            default: decoded = nil
            }
            if let decoded {
                bytes.append(decoded)
                origin.append(index)
                index += length
            } else {
                bytes.append(byte)
                origin.append(index)
                index += 1
            }
        }
        origin.append(record.count)
        self.bytes = bytes
        self.origin = origin
    }

    /// A decoded range as a range of the record.
    func recordRange(_ range: Range<Int>) -> Range<Int> {
        origin[range.lowerBound]..<origin[range.upperBound]
    }
}
