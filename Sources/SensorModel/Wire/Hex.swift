/// Lower-case hexadecimal text of bytes: digests, ids, token secrets.
public enum Hex {
    @inlinable
    public static func lowercase(_ bytes: some Sequence<UInt8>) -> String {
        if let text = bytes.withContiguousStorageIfAvailable({ lowercase(UnsafeRawBufferPointer($0)) }) { return text }
        return Array(bytes).withUnsafeBytes { lowercase($0) }
    }

    /// Written straight into the string's storage: no intermediate array.
    @inlinable
    public static func lowercase(_ bytes: UnsafeRawBufferPointer) -> String {
        String(unsafeUninitializedCapacity: bytes.count * 2) { text in
            let digits: StaticString = "0123456789abcdef"
            for (index, byte) in bytes.enumerated() {
                text[2 * index] = digits.utf8Start[Int(byte >> 4)]
                text[2 * index + 1] = digits.utf8Start[Int(byte & 0x0F)]
            }
            return bytes.count * 2
        }
    }
}
