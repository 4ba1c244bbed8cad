import IngestStore
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

extension String {
    /// Whether `part` occurs in the string, byte for byte. With Foundation imported, `contains`
    /// bridges both strings to `NSString` and compares them by canonical equivalence, a cost
    /// the normalisers paid on every record for a fixed ASCII part (`/archived_sessions/`).
    package func containsBytes(_ part: String) -> Bool {
        guard !part.isEmpty else { return true }
        var text = self
        var part = part
        return text.withUTF8 { text in
            part.withUTF8 { part in
                guard text.count >= part.count, let haystack = text.baseAddress, let needle = part.baseAddress else { return false }
                let last = text.count - part.count
                var start = 0
                while start <= last {
                    guard let hit = memchr(haystack + start, Int32(needle[0]), last - start + 1) else { return false }
                    let offset = UnsafeRawPointer(haystack).distance(to: UnsafeRawPointer(hit))
                    if memcmp(haystack + offset, needle, part.count) == 0 { return true }
                    start = offset + 1
                }
                return false
            }
        }
    }
}
