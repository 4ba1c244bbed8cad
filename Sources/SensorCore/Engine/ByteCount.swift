/// Byte sizes for people: `0 B`, `999 B`, `12.3 KB`, `4.1 MB`, `1.2 GB` (powers of 1000).
public enum ByteCount {
    public static func text<Count: BinaryInteger>(_ count: Count) -> String {
        let bytes = Double(count)
        guard abs(bytes) >= 1000 else { return "\(count) B" }
        var value = bytes / 1000
        for unit in ["KB", "MB", "GB", "TB"] {
            // 999.96 KB rounds to "1000.0 KB": say 1.0 MB instead.
            if abs(value) < 999.95 || unit == "TB" {
                let tenths = Int((value * 10).rounded())
                return "\(tenths / 10).\(abs(tenths % 10)) \(unit)"
            }
            value /= 1000
        }
        return "\(count) B"
    }
}
