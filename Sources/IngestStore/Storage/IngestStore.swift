import SQLiteDB
import ServiceLifecycle

/// Raw envelopes, kept forever exactly as received; idempotent by envelope id.
public protocol RawEnvelopeStore: Sendable {
    /// Stores the envelopes whose id is new. A repeat (stored before, or earlier in the same
    /// call) is counted as a duplicate and never stored twice, also when several servers
    /// insert the same envelopes at once.
    func insert(_ envelopes: [ValidEnvelope], from origin: BatchOrigin) async throws -> InsertOutcome
    /// Envelope count and bytes per source and kind.
    func counts() async throws -> [SourceCount]
    /// Up to `limit` envelopes in the order of the store's key (PostgreSQL: tenant, id; SQLite:
    /// id, tenant), after `last` (from the start when nil): for paging through everything
    /// stored (dumps).
    func envelopes(after last: StoredEnvelope?, limit: Int) async throws -> [StoredEnvelope]
    /// How envelopes are compressed at rest, with the dictionaries loaded so far.
    var custody: RawCustody { get }
    /// Loads the store's zstd dictionaries into ``custody`` (one trained by another server).
    func loadDictionaries() async throws
    /// Makes again the frames made with retired dictionaries and deletes those
    /// (``DictionaryRetirement``); returns how many were deleted.
    func repackRetiredDictionaries() async throws -> Int
}

extension RawEnvelopeStore {
    /// An envelope as a query returned its ``RawCustody/column(_:)``, as received.
    public func envelopeText(_ stored: SQLiteValue) async throws -> String {
        try await envelopeText(stored, with: Zstd.Decompressor())
    }

    /// The same with a decompression context of the caller's, reused for every row it reads.
    package func envelopeText(_ stored: SQLiteValue, with decompressor: Zstd.Decompressor) async throws -> String {
        do {
            return try custody.unpack(stored, with: decompressor)
        } catch is RawCustody.MissingDictionary {
            try await loadDictionaries()
            return try custody.unpack(stored, with: decompressor)
        }
    }
}

/// The organisations a store serves.
public protocol TenantStore: Sendable {
    func createTenant(name: String) async throws -> Tenant
    func tenants() async throws -> [Tenant]
}

/// Bearer tokens, kept as SHA-256 hashes, each bound to a name.
public protocol TokenStore: Sendable {
    /// The token with this hash that was never revoked (expiry is the caller's to check).
    func token(withHash hash: String) async throws -> TokenRecord?
    func createToken(_ token: NewToken) async throws -> TokenRecord
    func listTokens() async throws -> [TokenRecord]
    /// Revokes the live tokens `selector` names; returns how many.
    func revokeTokens(_ selector: TokenSelector) async throws -> Int
    /// Binds the token to `device` unless it is bound already (atomically, also across
    /// servers); returns the device it is bound to now.
    func bindDevice(tokenID: Int64, device: String) async throws -> String
    /// Unbinds the live tokens `selector` names, for a re-keyed laptop; returns how many.
    func unbindDevice(_ selector: TokenSelector) async throws -> Int
}

extension TokenStore {
    public func createToken(name: String, hash: String) async throws -> TokenRecord {
        try await createToken(NewToken(name: name, hash: hash))
    }
}

/// Where `sensor-ingest` keeps what it receives: SQLite by default, PostgreSQL for a fleet.
///
/// A store is a `Service`: `run()` keeps its connections open until cancelled or shut down
/// gracefully, so it runs in the server's service group beside the HTTP server (and shuts
/// down after it). Other issues add normalised tables: keep this protocol small and the
/// migration lists append-only.
public protocol IngestStore: RawEnvelopeStore, TokenStore, TenantStore, NormalizedStore, Service {
    /// Applies, in order, each migration not applied yet. Safe when several processes start
    /// at once on the same database.
    func migrate() async throws
    /// The versions recorded in `schema_migrations`, in order.
    func appliedMigrations() async throws -> [Int]
}
