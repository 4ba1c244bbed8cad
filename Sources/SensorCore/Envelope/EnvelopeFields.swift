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
            return quotedString(in: head, from: found + marker.utf8CodeUnitCount)?.value
        }
    }

    /// The JSON string whose text starts at `start` (just after its opening quote) and where
    /// it ends (its closing quote); nil when it does not end within `bytes`. Escapes (a quote or
    /// a control character in a path: rare) are decoded by JSON's own rules.
    static func quotedString(in bytes: UnsafeRawBufferPointer, from start: Int) -> (value: String, end: Int)? {
        var end = start
        var escaped = false
        while end < bytes.count, bytes[end] != UInt8(ascii: "\"") {
            if bytes[end] == UInt8(ascii: "\\") {
                escaped = true
                end += 1
            }
            end += 1
        }
        guard end < bytes.count else { return nil }
        let text = UnsafeRawBufferPointer(rebasing: bytes[start..<end])
        guard escaped else { return (String(decoding: text, as: UTF8.self), end) }
        let quoted = Data([UInt8(ascii: "\"")] + Array(text) + [UInt8(ascii: "\"")])
        guard let value = (try? JSONSerialization.jsonObject(with: quoted, options: .fragmentsAllowed)) as? String else { return nil }
        return (value, end)
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
