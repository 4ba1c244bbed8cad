import Crypto
import SensorModel
import Foundation

/// One checked envelope, ready to store: the columns it is filed under and its own bytes.
public struct ValidEnvelope: Sendable, Equatable {
    public var id: String
    public var source: String
    public var kind: String
    public var device: String
    /// The envelope exactly as it was in the batch (valid UTF-8 JSON, never re-encoded): a
    /// slice of the batch's body, which it shares rather than copies.
    public var bytes: ArraySlice<UInt8>
    /// `locator.path`: the file it was read from (kept beside the compressed envelope).
    public var path: String?
    /// When it was collected (its `collected_at`, RFC 3339 UTC) and what its record lost to
    /// redaction, by rule.
    package var collectedAt = ""
    package var redactions = RedactionCounts()
    /// The day it was collected (YYYY-MM-DD).
    package var day: String { String(collectedAt.prefix(10)) }

    /// An envelope the server makes itself for a record it fetched or was sent outside a batch (a
    /// vendor's usage event, a telemetry record): `record` is the record's JSON, `identity` the
    /// bytes its id is derived from (the same record made again is the same envelope, a repeat).
    package init(made record: Data, identity: Data, source: String, kind: String, device: String, path: String, offset: Int64? = nil) {
        let id = Hex.lowercase(SHA256.hash(data: Data("\(source)|\(kind)|".utf8) + identity).prefix(16))
        var text = #"{"schema_version":1,"id":"\#(id)","source":"\#(source)","kind":"\#(kind)","device":"\#(device)","#
        text += #""sensor":"sensor-ingest","collected_at":"\#(DeviceDirectory.timestamp())","locator":{"path":"\#(path)""#
        text += (offset.map { #","offset":\#($0)"# } ?? "") + #"},"encoding":"json","record":"#
        text += String(decoding: record, as: UTF8.self) + "}"
        self.init(id: id, source: source, kind: kind, device: device, bytes: Array(text.utf8)[...], path: path)
    }

    /// The envelope's text (a copy: for tests and messages).
    public var json: String { String(decoding: bytes, as: UTF8.self) }

    /// An envelope of a batch: `bytes` is its slice of the body.
    public init(id: String, source: String, kind: String, device: String, bytes: ArraySlice<UInt8>, path: String?) {
        self.id = id
        self.source = source
        self.kind = kind
        self.device = device
        self.bytes = bytes
        self.path = path
    }

    /// An envelope whose `locator.path` the caller has read already (nil: it has none).
    public init(id: String, source: String, kind: String, device: String, json: String, path: String?) {
        self.init(id: id, source: source, kind: kind, device: device, bytes: ArraySlice(json.utf8), path: path)
    }

    /// An envelope whose `locator.path` is read from `json`.
    public init(id: String, source: String, kind: String, device: String, json: String) {
        var text = json
        let path = text.withUTF8 { JSONSlices.locatorPath(envelope: UnsafeRawBufferPointer($0)) }
        self.init(id: id, source: source, kind: kind, device: device, json: json, path: path)
    }
}

/// Who sent a batch: the token it came with and the batch's own id.
public struct BatchOrigin: Sendable, Equatable {
    public var tokenID: Int64
    /// The tenant of the token: envelope ids are unique per tenant.
    public var tenantID: Int64
    public var batchID: String
    /// What the batch's `sensor` says of its machine (kept in `devices`), when it was read.
    public var sensor: SensorInfo?

    public init(tokenID: Int64, tenantID: Int64 = Tenant.defaultID, batchID: String, sensor: SensorInfo? = nil) {
        self.tokenID = tokenID
        self.tenantID = tenantID
        self.batchID = batchID
        self.sensor = sensor
    }
}

/// An organisation: every token belongs to one, and everything its tokens send is its own.
public struct Tenant: Sendable, Codable, Equatable {
    /// The tenant a single-tenant install uses (made by the first migration that knew tenants).
    public static let defaultID: Int64 = 1
    public var id: Int64
    public var name: String
    public var createdAt: String

    public init(id: Int64, name: String, createdAt: String) {
        self.id = id
        self.name = name
        self.createdAt = createdAt
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
    public var tenantID: Int64
    public var id: String
    public var json: String

    public init(tenantID: Int64 = Tenant.defaultID, id: String, json: String) {
        self.tenantID = tenantID
        self.id = id
        self.json = json
    }
}

/// What a token may do. A laptop holds an `ingest` token: it can send, nothing more.
public enum TokenScope: String, Sendable, Codable, CaseIterable {
    /// `POST /api/v1/ingest/local-sessions` and `GET /api/v1/sensor-config`.
    case ingest
    /// The read API (and the web UI): every conversation and figure of its tenant.
    case read
    /// Figures only (sessions, tokens, cost, tools, models per day, team and tool): no text,
    /// title, path, command or diff; teams smaller than the tenant's minimum fold into "other".
    case usage
    /// Figures, and the conversations of the people and teams its grants name.
    case content
    /// Figures, and everything about one person's own sessions (the grant names the person).
    case selfOnly = "self"
    /// Everything, every tenant: tokens, tenants, reparse, stats.
    case admin
    /// An enrollment secret: `POST /api/v1/enroll` only, for a device credential.
    case enroll
    /// A device credential: `POST /api/v1/token` only, for short-lived ingest tokens of its device.
    case device
    /// SCIM (`/scim/v2`) for its tenant's people and teams, nothing else: what an identity
    /// provider holds (an admin token would also read every tenant).
    case directory

    /// Whether a token of this scope may use a route that needs `needed`: every reader's scope
    /// gets through to the read routes, which then show each only what its role allows.
    public func allows(_ needed: TokenScope) -> Bool {
        self == .admin || self == needed || (needed == .read && Self.readers.contains(self))
    }

    /// The scopes that read (each within its role).
    public static let readers: Set<TokenScope> = [.read, .usage, .content, .selfOnly]
}

/// A token as listed: never its secret, which is only ever kept hashed.
public struct TokenRecord: Sendable, Codable, Equatable {
    public var id: Int64
    /// What the token is bound to: a device, a person, a tenant.
    public var name: String
    public var scope: TokenScope
    /// The tenant it belongs to: what it sends is filed under it, what it reads is limited to it.
    public var tenantID: Int64
    public var createdAt: String
    /// RFC 3339; past it the token is refused like an unknown one.
    public var expiresAt: String?
    public var revokedAt: String?
    /// The device an ingest token is bound to (the first it sent for, or the one it was made
    /// for); envelopes claiming another are rejected one by one.
    public var device: String?

    public init(id: Int64, name: String, scope: TokenScope, tenantID: Int64 = Tenant.defaultID, createdAt: String,
                expiresAt: String? = nil, revokedAt: String? = nil, device: String? = nil) {
        self.id = id
        self.name = name
        self.scope = scope
        self.tenantID = tenantID
        self.createdAt = createdAt
        self.expiresAt = expiresAt
        self.revokedAt = revokedAt
        self.device = device
    }

    /// Whether the token has expired at `now`.
    public func isExpired(at now: Date = Date()) -> Bool {
        guard let expiresAt else { return false }
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        guard let date = formatter.date(from: expiresAt) ?? ISO8601DateFormatter().date(from: expiresAt) else { return true }
        return date <= now
    }
}

/// What `token create` asks for.
public struct NewToken: Sendable {
    public var name: String
    public var hash: String
    public var scope: TokenScope
    public var expiresAt: Date?
    public var device: String?
    public var tenantID: Int64

    public init(name: String, hash: String, scope: TokenScope = .ingest, tenantID: Int64 = Tenant.defaultID,
                expiresAt: Date? = nil, device: String? = nil) {
        self.name = name
        self.hash = hash
        self.scope = scope
        self.tenantID = tenantID
        self.expiresAt = expiresAt
        self.device = device
    }
}

/// Raw envelopes stored for one source and kind.
public struct SourceCount: Sendable, Codable, Equatable {
    public var source: String
    public var kind: String
    public var envelopes: Int
    /// Bytes of the envelopes as received.
    public var bytes: Int64
    /// Bytes they take at rest (compressed).
    public var storedBytes: Int64
}

/// A store that cannot be opened or used as asked.
public struct StoreError: Error, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}
