import Crypto

/// Bearer token secrets: 256 random bits, shown once at creation, stored only as SHA-256.
public enum TokenSecret {
    /// A new secret, `sst_` and 64 hex digits.
    public static func generate() -> String {
        var generator = SystemRandomNumberGenerator()
        return "sst_" + hex((0..<32).map { _ in UInt8.random(in: .min ... .max, using: &generator) })
    }

    /// What the store keeps of a secret.
    public static func hash(_ secret: String) -> String {
        hex(SHA256.hash(data: Array(secret.utf8)))
    }

    static func hex(_ bytes: some Sequence<UInt8>) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var text: [UInt8] = []
        for byte in bytes {
            text.append(digits[Int(byte >> 4)])
            text.append(digits[Int(byte & 0x0F)])
        }
        return String(decoding: text, as: UTF8.self)
    }
}
