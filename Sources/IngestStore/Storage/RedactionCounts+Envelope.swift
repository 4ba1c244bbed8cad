import SensorModel

/// What one envelope says the sensor's redaction rules replaced: by rule, never a value. From
/// `flags.redacted_by` when the sensor sent it, else from the `[REDACTED:<rule>]` marks in the
/// record (every sensor version writes them), at most `flags.redactions` of them. The same
/// ``RedactionCounts`` the sensor writes them from.
extension RedactionCounts {
    /// The longest rule name kept, and the most rules one envelope may name.
    package static let maxRuleName = 64
    package static let maxRules = 64

    /// A rule name as the sensors write them: letters, digits, `.`, `_`, `-`.
    package static func isRuleName(_ name: String) -> Bool {
        (1...maxRuleName).contains(name.utf8.count) && name.utf8.allSatisfy { byte in
            (0x61...0x7A).contains(byte) || (0x41...0x5A).contains(byte) || (0x30...0x39).contains(byte)
                || byte == 0x2E || byte == 0x5F || byte == 0x2D
        }
    }

    /// `flags.redacted_by`, already validated.
    package init(redactedBy object: UnsafeRawBufferPointer) {
        self.init()
        for member in JSONSlices.members(of: object) ?? [] {
            let value = UnsafeRawBufferPointer(rebasing: object[member.value])
            if let count = JSONSlices.number(value), count >= 1 { add(member.key, Int(min(count, 1e9))) }
        }
    }

    /// The marks in a record, at most `limit` of them.
    package init(marksIn record: UnsafeRawBufferPointer, limit: Int) {
        self.init()
        let mark = Array("[REDACTED:".utf8)
        var index = 0
        var found = 0
        while found < limit, index + mark.count < record.count {
            guard record[index] == mark[0], (1..<mark.count).allSatisfy({ record[index + $0] == mark[$0] }) else {
                index += 1
                continue
            }
            let nameStart = index + mark.count
            var end = nameStart
            while end < record.count, end - nameStart <= Self.maxRuleName, record[end] != UInt8(ascii: "]") { end += 1 }
            let name = String(decoding: UnsafeRawBufferPointer(rebasing: record[nameStart..<min(end, record.count)]), as: UTF8.self)
            if end < record.count, Self.isRuleName(name) {
                add(name)
                found += 1
            }
            index = end
        }
    }
}
