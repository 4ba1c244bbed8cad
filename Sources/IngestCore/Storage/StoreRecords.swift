/// One checked envelope, ready to store: the columns it is filed under and its own bytes.
public struct ValidEnvelope: Sendable, Equatable {
    public var id: String
    public var source: String
    public var kind: String
    public var device: String
    /// The envelope exactly as it was in the batch (valid UTF-8 JSON, never re-encoded).
    public var json: String

    public init(id: String, source: String, kind: String, device: String, json: String) {
        self.id = id
        self.source = source
        self.kind = kind
        self.device = device
        self.json = json
    }
}

/// Who sent a batch: the token it came with and the batch's own id.
public struct BatchOrigin: Sendable, Equatable {
    public var tokenID: Int64
    public var batchID: String

    public init(tokenID: Int64, batchID: String) {
        self.tokenID = tokenID
        self.batchID = batchID
    }
}

/// What an insert did: envelopes new to the store, and repeats of ids already stored.
public struct InsertOutcome: Sendable, Equatable {
    public var accepted: Int
    public var duplicates: Int

    public init(accepted: Int, duplicates: Int) {
        self.accepted = accepted
        self.duplicates = duplicates
    }
}

/// A raw envelope as stored.
public struct StoredEnvelope: Sendable, Equatable {
    public var id: String
    public var json: String

    public init(id: String, json: String) {
        self.id = id
        self.json = json
    }
}

/// A token as listed: never its secret, which is only ever kept hashed.
public struct TokenRecord: Sendable, Codable, Equatable {
    public var id: Int64
    /// What the token is bound to: a device, a person, a tenant.
    public var name: String
    public var createdAt: String
    public var revokedAt: String?
}

/// Raw envelopes stored for one source and kind.
public struct SourceCount: Sendable, Codable, Equatable {
    public var source: String
    public var kind: String
    public var envelopes: Int
    /// Bytes of the stored envelopes.
    public var bytes: Int64
}

/// A store that cannot be opened or used as asked.
public struct StoreError: Error, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}
