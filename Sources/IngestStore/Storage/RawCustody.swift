import CZstd
import Foundation
import SQLiteDB
import Synchronization

/// How a store keeps raw envelopes at rest: each one a zstd frame of its own, made with a
/// dictionary of its source, trained on that source's own envelopes once it has a few
/// thousand (until then, without one). An envelope is read back byte for byte as received;
/// rows stored before compression (plain text) are read as they are.
///
/// Measured on a 187 MB generated corpus (96,651 envelopes of four sources, 238 MB as
/// received): one frame per envelope keeps 57% of the bytes; with one 112 KB dictionary
/// trained on the first source's envelopes 41%, with one per source (each trained on its first
/// 2,000) 40%; blocks of a hundred envelopes would keep 34% but make every read decompress its
/// neighbours. Retraining each source's dictionary on a random sample after it grew eightfold
/// was tried and measured no gain (still 40%), so a source keeps its first dictionary.
public final class RawCustody: Sendable {
    /// zstd's level for new envelopes: 3 compresses at about 150 MB/s a core here, higher
    /// levels cost 4 to 7 times that for 1 to 3% fewer bytes.
    package static let level: Int32 = 3
    /// A source's envelopes compressed without a dictionary before one is trained for it.
    package static let trainAfter = 2_000
    /// The dictionary's size: zstd's default. A 1 MB one saved 0.2% more.
    static let dictionaryCapacity = 112_640
    /// Samples taken for training: the source's newest envelopes, each at most 256 KB, 16 MB
    /// in all.
    static let sampleCount = 4_000
    static let sampleLimit = 256 << 10
    static let samplesTotal = 16 << 20

    private struct State {
        var dictionaries: [UInt32: Zstd.Dictionary] = [:]
        /// Each source's newest dictionary: its new envelopes are compressed with it.
        package var current: [String: Zstd.Dictionary] = [:]
        /// Envelopes of each source compressed without a dictionary (in this process).
        var packedWithoutDictionary: [String: Int] = [:]
    }

    private let state = Mutex(State())

    public init() {}

    /// Takes the dictionaries stored in the store, oldest first: each source's newest becomes
    /// its current one.
    func adopt(_ stored: [(source: String, bytes: [UInt8])]) {
        let dictionaries = stored.compactMap { entry in
            let level = entry.source == PackedText.dictionarySource ? PackedText.level : Self.level
            return Zstd.Dictionary(entry.bytes, level: level).map { (entry.source, $0) }
        }
        state.withLock { state in
            for (source, dictionary) in dictionaries {
                let kept = state.dictionaries[dictionary.id] ?? dictionary
                state.dictionaries[dictionary.id] = kept
                state.current[source] = kept
            }
        }
    }

    /// The statement that keeps a newly trained dictionary of `source`.
    static func storeDictionary(_ dictionary: [UInt8], source: String) -> SQLStatement {
        let created = Int64(Date().timeIntervalSince1970 * 1000)
        return SQLStatement("""
            INSERT INTO raw_dictionaries(id, source, dictionary, created) VALUES ($1, $2, $3, $4) ON CONFLICT (id) DO NOTHING
            """, [.integer(Int64(Zstd.dictionaryID(of: dictionary))), .text(source), .blob(dictionary), .integer(created)])
    }
    static let loadDictionaries = "SELECT source, dictionary FROM raw_dictionaries ORDER BY created, id"

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

    /// The sources with enough envelopes stored without a dictionary that one should be
    /// trained for them now.
    var sourcesWantingDictionary: [String] {
        state.withLock { state in
            state.packedWithoutDictionary.filter { state.current[$0.key] == nil && $0.value >= Self.trainAfter }.keys.sorted()
        }
    }

    /// No dictionary could be trained for `source` (its envelopes too few or too alike): try
    /// again after another ``trainAfter`` of them, not after every batch.
    func trainingFailed(for source: String) {
        state.withLock { $0.packedWithoutDictionary[source] = 0 }
    }

    /// Envelopes as stored: each a zstd frame, made with its source's dictionary.
    package func pack(_ envelopes: [ValidEnvelope]) -> [[UInt8]] {
        let dictionaries = state.withLock { state in
            var used: [String: Zstd.Dictionary] = [:]
            for envelope in envelopes {
                if let dictionary = state.current[envelope.source] {
                    used[envelope.source] = dictionary
                } else {
                    state.packedWithoutDictionary[envelope.source, default: 0] += 1
                }
            }
            return used
        }
        let compressor = Zstd.Compressor(level: Self.level)
        return envelopes.map { envelope in
            envelope.bytes.withUnsafeBytes { compressor.compress($0, dictionary: dictionaries[envelope.source]) }
        }
    }

    /// `source`'s current dictionary, to compress one more of its values with; nil (and the
    /// value counted toward training one) until one is trained.
    func compressionDictionary(for source: String) -> Zstd.Dictionary? {
        state.withLock { state in
            if let dictionary = state.current[source] { return dictionary }
            state.packedWithoutDictionary[source, default: 0] += 1
            return nil
        }
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

    /// A frame needs a dictionary this process has not loaded.
    package struct MissingDictionary: Error, CustomStringConvertible {
        package var id: UInt32
        package var description: String { "a stored envelope needs zstd dictionary \(id), which the store does not hold" }
    }
}
