import CZstd
import Foundation
import SQLiteDB
import Synchronization

/// How a store keeps raw envelopes at rest: each one a zstd frame of its own, made with a
/// dictionary of its device's envelopes of its source, trained on them once the device has sent
/// a couple of thousand (until then, without one). An envelope is read back byte for byte as
/// received; rows stored before compression (plain text) are read as they are.
///
/// A dictionary is made of pieces of its samples, people's words among them: so it learns from
/// one device of one tenant only (``DictionaryOwner``), an erasure of the device deletes its
/// dictionaries with its envelopes, and one whose samples passed the tenant's words window is
/// retired (``DictionaryRetirement``): the frames made with it are made again without it, then
/// it is deleted.
///
/// Measured on a 187 MB generated corpus (96,651 envelopes of four sources, 238 MB as
/// received): one frame per envelope keeps 57% of the bytes; with one 112 KB dictionary
/// trained on the first source's envelopes 41%, with one per source (each trained on its first
/// 2,000) 40%; blocks of a hundred envelopes would keep 34% but make every read decompress its
/// neighbours. Retraining each source's dictionary on a random sample after it grew eightfold
/// was tried and measured no gain (still 40%).
public final class RawCustody: Sendable {
    /// zstd's level for new envelopes: 3 compresses at about 150 MB/s a core here, higher
    /// levels cost 4 to 7 times that for 1 to 3% fewer bytes.
    package static let level: Int32 = 3
    /// An owner's envelopes compressed without a dictionary before one is trained for it.
    package static let trainAfter = 2_000
    /// The dictionary's size: zstd's default. A 1 MB one saved 0.2% more.
    static let dictionaryCapacity = 112_640
    /// Samples taken for training: the owner's newest envelopes (those packed without a
    /// dictionary, so a retired dictionary's successor learns from what came after it), each
    /// at most 256 KB, 16 MB in all.
    static let sampleCount = trainAfter
    static let sampleLimit = 256 << 10
    static let samplesTotal = 16 << 20

    /// A dictionary as the store keeps it.
    struct StoredDictionary {
        var id: UInt32
        /// Nil for one trained before dictionaries had owners (retired by migration).
        var owner: DictionaryOwner?
        /// Nil when this process holds it already (``heldIDs``): not read again.
        var bytes: [UInt8]?
        var retired: Bool
    }

    private struct State {
        /// Every dictionary the store holds, retired ones too (their frames are still read).
        var dictionaries: [UInt32: Zstd.Dictionary] = [:]
        /// Each owner's newest dictionary not retired: its new values are compressed with it.
        var current: [DictionaryOwner: Zstd.Dictionary] = [:]
        /// Values of each owner compressed without a dictionary (in this process).
        var packedWithoutDictionary: [DictionaryOwner: Int] = [:]
    }

    private let state = Mutex(State())

    public init() {}

    /// Takes the dictionaries the store holds, oldest first, in place of those held before
    /// (a deleted one is forgotten): each owner's newest not retired becomes its current one.
    /// Only the dictionaries not held yet are prepared (zstd's tables for both directions,
    /// about 0.6 MB each): the store loads them after every training, one per device and source.
    func adopt(_ stored: [StoredDictionary]) {
        let held = state.withLock { $0.dictionaries }
        let loaded = stored.compactMap { entry -> (StoredDictionary, Zstd.Dictionary)? in
            if let dictionary = held[entry.id] { return (entry, dictionary) }
            let level = entry.owner == .normalisedText ? PackedText.level : Self.level
            return entry.bytes.flatMap { Zstd.Dictionary($0, level: level) }.map { (entry, $0) }
        }
        state.withLock { state in
            var dictionaries: [UInt32: Zstd.Dictionary] = [:]
            var current: [DictionaryOwner: Zstd.Dictionary] = [:]
            for (entry, dictionary) in loaded {
                let kept = state.dictionaries[dictionary.id] ?? dictionary
                dictionaries[dictionary.id] = kept
                if let owner = entry.owner, !entry.retired { current[owner] = kept }
            }
            // An owner's count starts again when it gets a dictionary: once that one is retired,
            // its successor learns from what came after it.
            for owner in current.keys { state.packedWithoutDictionary[owner] = nil }
            state.dictionaries = dictionaries
            state.current = current
        }
    }

    /// The statement that keeps a newly trained dictionary of `owner`, whose oldest sample
    /// arrived at `oldestSample` (ISO 8601; nil for normalised text).
    static func storeDictionary(_ dictionary: [UInt8], owner: DictionaryOwner, oldestSample: String?) -> SQLStatement {
        let created = Int64(Date().timeIntervalSince1970 * 1000)
        let isText = owner == .normalisedText
        return SQLStatement("""
            INSERT INTO raw_dictionaries(id, source, dictionary, created, tenant_id, device, oldest_sample, first_use)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (id) DO NOTHING
            """, [.integer(Int64(Zstd.dictionaryID(of: dictionary))), .text(owner.source), .blob(dictionary), .integer(created),
                  isText ? .null : .integer(owner.tenant), isText ? .null : .text(owner.device), .optional(oldestSample),
                  .text(DictionaryRetirement.firstUse(created: created))])
    }
    static let loadDictionaries = "SELECT id, tenant_id, device, source, dictionary, retired FROM raw_dictionaries ORDER BY created, id"

    /// The dictionaries this process holds (prepared): ``loadDictionaries`` need not read their bytes.
    func holds(_ id: UInt32) -> Bool {
        state.withLock { $0.dictionaries[id] != nil }
    }
    var heldIDs: [UInt32] {
        state.withLock { Array($0.dictionaries.keys) }
    }

    /// A row of ``loadDictionaries``.
    static func stored(id: Int64, tenant: Int64?, device: String?, source: String, bytes: [UInt8]?, retired: Bool) -> StoredDictionary {
        let owner: DictionaryOwner? = source == PackedText.dictionarySource ? .normalisedText
            : tenant.flatMap { tenant in device.map { DictionaryOwner(tenant: tenant, device: $0, source: source) } }
        return StoredDictionary(id: UInt32(truncatingIfNeeded: id), owner: owner, bytes: bytes, retired: retired)
    }

    /// The column expression that reads an envelope as stored (text or a zstd frame).
    public static func column(_ dialect: SQLDialect) -> String {
        dialect == .sqlite ? "envelope" : "coalesce(envelope_zstd, convert_to(envelope, 'UTF8'))"
    }

    /// The column expression of an envelope's `locator.path` (read from the text of envelopes
    /// stored before migration 8).
    public static func path(_ dialect: SQLDialect) -> String {
        dialect == .sqlite ? RawStrings.path
            : "coalesce(locator_path, envelope::json -> 'locator' ->> 'path')"
    }

    /// Migration 8: where dictionaries are kept, and beside each envelope its size as received
    /// and its `locator.path` (the explorer finds a session's envelopes by their files).
    package static func schema(_ dialect: SQLDialect) -> [String] {
        switch dialect {
        case .sqlite:
            return [
                "CREATE TABLE raw_dictionaries (id INTEGER PRIMARY KEY, source TEXT NOT NULL, dictionary BLOB NOT NULL, created INTEGER NOT NULL)",
                "ALTER TABLE raw_envelopes ADD COLUMN envelope_bytes INTEGER",
                "ALTER TABLE raw_envelopes ADD COLUMN locator_path TEXT",
            ]
        case .postgres:
            return [
                "CREATE TABLE raw_dictionaries (id BIGINT PRIMARY KEY, source TEXT NOT NULL, dictionary BYTEA NOT NULL, created BIGINT NOT NULL)",
                "ALTER TABLE raw_envelopes ALTER COLUMN envelope DROP NOT NULL",
                "ALTER TABLE raw_envelopes ADD COLUMN envelope_zstd BYTEA",
                // Frames do not compress again: TOAST stores them as they are.
                "ALTER TABLE raw_envelopes ALTER COLUMN envelope_zstd SET STORAGE EXTERNAL",
                "ALTER TABLE raw_envelopes ADD COLUMN envelope_bytes BIGINT",
                "ALTER TABLE raw_envelopes ADD COLUMN locator_path TEXT",
            ]
        }
    }

    /// The owners with enough values stored without a dictionary that one should be trained
    /// for them now.
    var ownersWantingDictionary: [DictionaryOwner] {
        state.withLock { state in
            state.packedWithoutDictionary.filter { state.current[$0.key] == nil && $0.value >= Self.trainAfter }.keys
                .sorted { ($0.tenant, $0.device, $0.source) < ($1.tenant, $1.device, $1.source) }
        }
    }

    /// No dictionary could be trained for `owner` (its values too few or too alike): try
    /// again after another ``trainAfter`` of them, not after every batch.
    func trainingFailed(for owner: DictionaryOwner) {
        state.withLock { $0.packedWithoutDictionary[owner] = 0 }
    }

    /// Envelopes of `tenant` as stored: each a zstd frame, made with its owner's dictionary;
    /// and the ids of the dictionaries used (the insert checks that none was retired meanwhile).
    package func pack(_ envelopes: [ValidEnvelope], tenant: Int64) -> (frames: [[UInt8]], dictionaries: [UInt32]) {
        let dictionaries = state.withLock { state in
            var used: [DictionaryOwner: Zstd.Dictionary] = [:]
            for envelope in envelopes {
                let owner = DictionaryOwner(tenant: tenant, device: envelope.device, source: envelope.source)
                if let dictionary = state.current[owner] {
                    used[owner] = dictionary
                } else {
                    state.packedWithoutDictionary[owner, default: 0] += 1
                }
            }
            return used
        }
        let compressor = Zstd.Compressor(level: Self.level)
        let frames = envelopes.map { envelope in
            let dictionary = dictionaries[DictionaryOwner(tenant: tenant, device: envelope.device, source: envelope.source)]
            return envelope.bytes.withUnsafeBytes { compressor.compress($0, dictionary: dictionary) }
        }
        return (frames, Set(dictionaries.values.map(\.id)).sorted())
    }

    /// `owner`'s current dictionary, to compress one more of its values with; nil (and the
    /// value counted toward training one) until one is trained.
    func compressionDictionary(for owner: DictionaryOwner) -> Zstd.Dictionary? {
        state.withLock { state in
            if let dictionary = state.current[owner] { return dictionary }
            state.packedWithoutDictionary[owner, default: 0] += 1
            return nil
        }
    }

    /// `owner`'s current dictionary, without counting anything.
    func currentDictionary(of owner: DictionaryOwner) -> Zstd.Dictionary? {
        state.withLock { $0.current[owner] }
    }

    /// The dictionary a frame names, if loaded.
    func dictionary(id: UInt32) -> Zstd.Dictionary? {
        state.withLock { $0.dictionaries[id] }
    }

    /// A stored envelope read back as received: a zstd frame decompressed, plain text as it is.
    /// Throws ``MissingDictionary`` for a frame made with a dictionary this process has not
    /// loaded (another server trained it): load the store's dictionaries and ask again.
    package func unpack(_ stored: UnsafeRawBufferPointer, with decompressor: Zstd.Decompressor) throws -> String {
        guard Zstd.isFrame(stored) else { return String(decoding: stored, as: UTF8.self) }
        let id = Zstd.dictionaryID(ofFrame: stored)
        var dictionary: Zstd.Dictionary?
        if id != 0 {
            dictionary = state.withLock { $0.dictionaries[id] }
            guard dictionary != nil else { throw MissingDictionary(id: id) }
        }
        return try decompressor.decompressText(stored, dictionary: dictionary)
    }

    /// A stored envelope as a query returned it (text, or a blob).
    package func unpack(_ value: SQLiteValue, with decompressor: Zstd.Decompressor) throws -> String {
        switch value {
        case .blob(let bytes): return try bytes.withUnsafeBytes { try unpack($0, with: decompressor) }
        case .text(let text): return text
        default: return ""
        }
    }

    /// A dictionary trained on `samples` (stored envelopes, as received), or nil when they are
    /// too few to train on.
    package static func train(_ samples: [String]) -> [UInt8]? {
        var chosen: [[UInt8]] = []
        var total = 0
        for sample in samples where sample.utf8.count <= sampleLimit {
            guard total + sample.utf8.count <= samplesTotal else { break }
            chosen.append(Array(sample.utf8))
            total += sample.utf8.count
        }
        return Zstd.train(chosen, capacity: dictionaryCapacity)
    }

    /// An insert packed with a dictionary retired (or deleted) since this process loaded it:
    /// the store loads them again and packs the batch once more.
    package struct RetiredDictionary: Error {}

    /// A frame needs a dictionary this process has not loaded.
    package struct MissingDictionary: Error, CustomStringConvertible {
        package var id: UInt32
        package var description: String { "a stored envelope needs zstd dictionary \(id), which the store does not hold" }
    }
}
