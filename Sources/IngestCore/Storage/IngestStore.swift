import Crypto
import Foundation

/// One envelope as received, ready to store.
public struct ReceivedEnvelope: Sendable {
    public var id: String
    public var source: String
    public var kind: String
    public var device: String
    /// The envelope's own bytes, exactly as they were in the batch.
    public var bytes: [UInt8]

    public init(id: String, source: String, kind: String, device: String, bytes: [UInt8]) {
        self.id = id
        self.source = source
        self.kind = kind
        self.device = device
        self.bytes = bytes
    }
}

/// A token as listed (never its secret, which is kept only hashed).
public struct TokenRecord: Sendable, Codable {
    public var id: Int64
    public var name: String
    public var createdAt: String
    public var revokedAt: String?
}

/// Raw envelopes per source and kind.
public struct SourceCount: Sendable, Codable {
    public var source: String
    public var kind: String
    public var envelopes: Int
    public var bytes: Int64
}

/// Where the server keeps raw envelopes and tokens: SQLite by default, PostgreSQL for a fleet.
/// Inserts are idempotent by envelope id: a repeat is counted, never stored twice.
public protocol IngestStore: Sendable {
    /// Applies the migrations not yet applied (each once, in order).
    func migrate() async throws
    /// Stores the envelopes whose id is new; returns how many were new and how many repeats.
    func insert(_ envelopes: [ReceivedEnvelope], tokenID: Int64, batchID: String) async throws -> (accepted: Int, duplicates: Int)
    /// The id of the live (not revoked) token with this hash.
    func tokenID(forHash hash: String) async throws -> Int64?
    func createToken(name: String, hash: String) async throws -> Int64
    func listTokens() async throws -> [TokenRecord]
    /// Revokes by name or id; returns how many tokens were revoked.
    func revokeToken(_ nameOrID: String) async throws -> Int
    func counts() async throws -> [SourceCount]
    /// Every stored envelope's bytes, in id order (tests, reparse).
    func envelopes() async throws -> [[UInt8]]
    func close() async
}

/// Tokens: random secrets, stored as SHA-256.
public enum TokenSecret {
    public static func generate() -> String {
        var generator = SystemRandomNumberGenerator()
        let bytes = (0..<32).map { _ in UInt8.random(in: 0...255, using: &generator) }
        return "sst_" + bytes.map { String(format: "%02x", $0) }.joined()
    }

    public static func hash(_ token: String) -> String {
        SHA256.hash(data: Data(token.utf8)).map { String(format: "%02x", $0) }.joined()
    }
}

/// Opens the store a `--database` value names: `postgres://…` or a SQLite path
/// (`sqlite:///path`, `sqlite:path` or a plain path).
public enum StoreLocation {
    public static func open(_ location: String) async throws -> any IngestStore {
        if location.hasPrefix("postgres://") || location.hasPrefix("postgresql://") {
            return try await PostgresStore.connect(url: location)
        }
        var path = location
        for prefix in ["sqlite://", "sqlite:"] where path.hasPrefix(prefix) {
            path = String(path.dropFirst(prefix.count))
            break
        }
        let store = try SQLiteStore(path: path)
        try await store.migrate()
        return store
    }
}

/// RFC 3339 UTC now.
func timestampNow() -> String {
    let formatter = ISO8601DateFormatter()
    formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
    return formatter.string(from: Date())
}
