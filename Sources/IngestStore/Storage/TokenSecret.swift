import Crypto
import SensorModel

/// Bearer token secrets: 256 random bits, shown once at creation, stored only as SHA-256.
public enum TokenSecret {
    /// A new secret, `sst_` and 64 hex digits.
    public static func generate() -> String {
        var generator = SystemRandomNumberGenerator()
        return "sst_" + Hex.lowercase((0..<32).map { _ in UInt8.random(in: .min ... .max, using: &generator) })
    }

    /// What the store keeps of a secret.
    public static func hash(_ secret: String) -> String {
        Hex.lowercase(SHA256.hash(data: Array(secret.utf8)))
    }
}
