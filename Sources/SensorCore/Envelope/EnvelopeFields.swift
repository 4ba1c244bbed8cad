import Foundation

/// Fields read straight out of an envelope written by ``EnvelopeWriter``, whose field order is
/// fixed: found by their marker in its first bytes, never by parsing the whole envelope (these
/// run for every envelope of every acknowledged batch).
enum EnvelopeFields {
    /// The JSON string value that follows `marker` (which ends with the opening quote) within
    /// the first `limit` bytes of `envelope`.
    static func string(after marker: StaticString, in envelope: ArraySlice<UInt8>, limit: Int = 8192) -> String? {
        envelope.prefix(limit).withUnsafeBytes { head -> String? in
            guard let found = firstIndex(of: marker, in: head) else { return nil }
            let start = found + marker.utf8CodeUnitCount
            var end = start
            var escaped = false
            while end < head.count, head[end] != UInt8(ascii: "\"") {
                if head[end] == UInt8(ascii: "\\") {
                    escaped = true
                    end += 1
                }
                end += 1
            }
            guard end < head.count else { return nil }
            let value = UnsafeRawBufferPointer(rebasing: head[start..<end])
            guard escaped else { return String(decoding: value, as: UTF8.self) }
            // Escapes (a quote or a control character in a path): JSON's own rules decode them.
            let quoted = Data([UInt8(ascii: "\"")] + Array(value) + [UInt8(ascii: "\"")])
            return (try? JSONSerialization.jsonObject(with: quoted, options: .fragmentsAllowed)) as? String
        }
    }

    /// Where `marker` first occurs in `bytes` (memchr for its first byte, memcmp for the rest).
    static func firstIndex(of marker: StaticString, in bytes: UnsafeRawBufferPointer) -> Int? {
        let count = marker.utf8CodeUnitCount
        guard let base = bytes.baseAddress, count > 0, bytes.count >= count else { return nil }
        let first = Int32(marker.utf8Start[0])
        var index = 0
        while index <= bytes.count - count {
            guard let hit = memchr(base + index, first, bytes.count - count + 1 - index) else { return nil }
            let position = base.distance(to: UnsafeRawPointer(hit))
            if memcmp(base + position, marker.utf8Start, count) == 0 { return position }
            index = position + 1
        }
        return nil
    }
}
