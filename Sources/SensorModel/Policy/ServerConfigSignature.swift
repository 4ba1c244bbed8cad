import Crypto
import Foundation

/// The detached Ed25519 signature of a sensor-config document: over its exact bytes, sent in
/// the `Sensor-Config-Signature` response header as base64, checked against the key pinned in
/// the local policy.
public enum ServerConfigSignature {
    public static let header = "Sensor-Config-Signature"

    public struct Problem: Error, CustomStringConvertible {
        public var description: String
    }

    /// Whether `signature` (base64) signs `document` under `publicKey` (base64 of the raw key).
    public static func verify(_ document: Data, signature: String?, publicKey: String) -> Result<Void, Problem> {
        guard let keyBytes = Data(base64Encoded: publicKey),
              let key = try? Curve25519.Signing.PublicKey(rawRepresentation: keyBytes) else {
            return .failure(Problem(description: "the pinned public key is not a base64 Ed25519 key"))
        }
        guard let signature = signature?.trimmingCharacters(in: .whitespacesAndNewlines), !signature.isEmpty else {
            return .failure(Problem(description: "the document carries no \(header) and the local policy pins a key"))
        }
        guard let bytes = Data(base64Encoded: signature), key.isValidSignature(bytes, for: document) else {
            return .failure(Problem(description: "its signature does not verify against the key pinned in the local policy"))
        }
        return .success(())
    }

    /// Signs `document` (base64 signature).
    public static func sign(_ document: Data, with key: Curve25519.Signing.PrivateKey) throws -> String {
        try key.signature(for: document).base64EncodedString()
    }
}
