import Foundation
import SQLiteDB

/// Whose values a zstd dictionary learned from, and so whose words it holds pieces of: one
/// device's envelopes of one source in one tenant, or (SQLite) the store's normalised text.
public struct DictionaryOwner: Hashable, Sendable {
    public var tenant: Int64
    public var device: String
    public var source: String

    /// Long normalised text (``PackedText``): every tenant's messages.
    static let normalisedText = DictionaryOwner(tenant: 0, device: "", source: PackedText.dictionarySource)
}

/// How a dictionary leaves the store with the words it learned: an erasure deletes the erased
/// devices' dictionaries with their envelopes, and retires the normalised text's; a retention
/// pass retires a device's dictionary once its oldest sample is past the tenant's words window
/// (and the text's when it removed words). A retired dictionary packs nothing more; the
/// frames made with it are made again (with the owner's newer dictionary, or none) and then it
/// is deleted (``RawEnvelopeStore/repackRetiredDictionaries()``).
///
/// An insert checks, in its transaction, that none of the dictionaries it packed with was
/// retired or deleted meanwhile (on PostgreSQL holding them `FOR SHARE`, which an erasure's or
/// retirement's write waits for); when one was, it loads them again and packs once more. So a
/// frame never names a dictionary that is gone, whichever server wrote it.
public enum DictionaryRetirement {
    /// A frame made with a dictionary arrived no earlier than this before the dictionary was
    /// created (the servers' clocks and the database's may differ a little).
    static let clockMargin: TimeInterval = 3600

    /// SQLite 32, PostgreSQL 28: owners, the oldest sample, the earliest arrival of a frame made
    /// with it, and retirement. The dictionaries trained before had no owner and learned from
    /// every device and tenant of their source: they are retired, to be swept.
    package static func schema(_ dialect: SQLDialect) -> [String] {
        let int = dialect == .sqlite ? "INTEGER" : "BIGINT"
        return [
            "ALTER TABLE raw_dictionaries ADD COLUMN tenant_id \(int)",
            "ALTER TABLE raw_dictionaries ADD COLUMN device TEXT",
            "ALTER TABLE raw_dictionaries ADD COLUMN oldest_sample TEXT",
            "ALTER TABLE raw_dictionaries ADD COLUMN first_use TEXT",
            "ALTER TABLE raw_dictionaries ADD COLUMN retired \(int) NOT NULL DEFAULT 0",
            "UPDATE raw_dictionaries SET retired = 1 WHERE source <> '\(PackedText.dictionarySource)'",
            "CREATE INDEX raw_dictionaries_owner ON raw_dictionaries(tenant_id, device)",
        ]
    }

    /// The earliest arrival a frame made with a dictionary created at `created` (ms) can have.
    static func firstUse(created: Int64) -> String {
        DeviceDirectory.timestamp(Date(timeIntervalSince1970: Double(created) / 1000 - clockMargin))
    }

    /// An erasure's first statements (before it deletes envelopes: on PostgreSQL the delete
    /// waits for inserts that packed with these dictionaries, and their rows are then deleted
    /// with the rest): the devices' dictionaries deleted, the normalised text's retired.
    static func erasing(inDevices: String, scope: [SQLiteValue]) -> [SQLStatement] {
        [
            SQLStatement("DELETE FROM raw_dictionaries WHERE \(inDevices)", scope),
            SQLStatement("UPDATE raw_dictionaries SET retired = 1 WHERE source = $1", [.text(PackedText.dictionarySource)]),
        ]
    }

    /// Retires `tenant`'s device dictionaries whose oldest sample arrived before `cutoff`
    /// (devices on hold keep theirs, as they keep their envelopes).
    static func retire(tenant: Int64, samplesBefore cutoff: String, unheld: String) -> SQLStatement {
        SQLStatement("""
            UPDATE raw_dictionaries SET retired = 1
            WHERE tenant_id = $1 AND retired = 0 AND oldest_sample < $2 AND \(unheld)
            """, [.integer(tenant), .text(cutoff)])
    }

    /// Retires the normalised text's dictionary (words it may have learned were removed).
    static let retireText = SQLStatement("UPDATE raw_dictionaries SET retired = 1 WHERE source = $1 AND retired = 0",
                                         [.text(PackedText.dictionarySource)])

    /// The retired dictionaries, to sweep: id, owner (tenant and device nil for the text's and
    /// for those trained before owners), source, first use.
    static let retired = "SELECT id, tenant_id, device, source, first_use FROM raw_dictionaries WHERE retired = 1 ORDER BY id"

    /// A retired dictionary as ``retired`` lists it.
    struct Retired {
        var id: UInt32
        var tenant: Int64?
        var device: String?
        var source: String
        /// No frame made with it arrived before this (nil: trained before this was kept).
        var firstUse: String?

        init(_ row: [SQLiteValue]) {
            id = UInt32(truncatingIfNeeded: row[0].int ?? 0)
            tenant = row[1].int
            device = row[2].text
            source = row[3].text ?? ""
            firstUse = row[4].text
        }
    }

    /// Frames swept a batch at a time, each batch its own short transaction.
    static let batch = 500

    /// `frame` made again when it was made with `retired`: with `replacement` (the owner's
    /// newer dictionary) or none. Nil when the frame was not made with it.
    static func repack(_ frame: [UInt8], retired: Zstd.Dictionary, replacement: Zstd.Dictionary?,
                       decompressor: Zstd.Decompressor, compressor: Zstd.Compressor) throws -> [UInt8]? {
        guard frame.withUnsafeBytes({ Zstd.isFrame($0) && Zstd.dictionaryID(ofFrame: $0) == retired.id }) else { return nil }
        let bytes = try frame.withUnsafeBytes { try decompressor.decompress($0, dictionary: retired) }
        return bytes.withUnsafeBytes { compressor.compress($0, dictionary: replacement) }
    }
}
