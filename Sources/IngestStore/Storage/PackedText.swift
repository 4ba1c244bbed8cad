import SQLiteDB

/// Long normalised text kept compressed: what PostgreSQL's TOAST does for its store, done for
/// SQLite's. A message's text and a tool call's input and result of at least ``threshold``
/// bytes are stored as one zstd frame when that is smaller; shorter ones stay text. As raw
/// custody does for each source, the store trains a dictionary for this text after its first
/// ``RawCustody/trainAfter`` values (on the newest ones) and keeps it in `raw_dictionaries`
/// under the name ``dictionarySource``; every frame names the dictionary it needs.
///
/// The dictionary learns from every tenant's messages: an erasure retires it, as does a
/// retention pass that removed words (``DictionaryRetirement``), and the text packed with it is
/// packed again (``repack(retired:)``).
///
/// Two SQL functions, the same SQL on both stores: `pack_text(value)` (what is written) and
/// `unpack_text(value)` (what is read: text as it was, whether or not it was packed). On
/// SQLite they are defined on the store's connection; on PostgreSQL they return their
/// argument (TOAST compresses long values itself). The search index reads its rows through
/// the views `norm_messages_text` and `norm_tool_calls_text`, which unpack them.
///
/// Measured on the 195 MB generated corpus: the text of messages and tool calls 62.4 -> 18.6 MB
/// (28.0 MB without the dictionary), the whole store 273 -> 225 MB, for 0.6 s more CPU in a
/// reparse of 7 s.
/// The `sqlite3` shell has neither function: there, packed values show as blobs.
package final class PackedText {
    /// Shorter text is kept as it is: a frame's header and the lost context cost more than
    /// compressing a sentence saves.
    static let threshold = 128
    /// zstd's level: the text is compressed once, on the normaliser's thread, and read far
    /// less often than it is written.
    static let level: Int32 = 3

    /// The name its dictionary is kept under. Declared sources have no space in their ids; an
    /// envelope that names this as its source (the envelope schema allows it) only shares the
    /// dictionary, which changes how well it compresses, never what is read back.
    static let dictionarySource = "normalised text"
    /// What an unpacking that needs a dictionary this process has not loaded fails with: the
    /// store loads them again and asks once more (another process trained it).
    static let missingDictionary = "unpack_text: needs a dictionary not loaded"

    private let custody: RawCustody
    private let compressor = Zstd.Compressor(level: level)
    private let decompressor = Zstd.Decompressor()

    private init(custody: RawCustody) {
        self.custody = custody
    }

    /// Defines both functions on `database` (one connection, one thread, as this object),
    /// compressing with the dictionaries `custody` holds.
    package static func define(on database: Database, custody: RawCustody) throws {
        let packed = PackedText(custody: custody)
        try database.defineFunction("pack_text") { packed.pack($0) }
        try database.defineFunction("unpack_text") { packed.unpack($0) }
        try database.defineFunction("packed_dictionary") { value in
            guard value.type == .blob, Zstd.isFrame(value.bytes) else { return .null }
            return .integer(Int64(Zstd.dictionaryID(ofFrame: value.bytes)))
        }
    }

    func pack(_ value: FunctionArgument) -> FunctionResult {
        guard value.type == .text, value.bytes.count >= Self.threshold else { return .argument }
        let frame = compressor.compress(value.bytes, dictionary: custody.compressionDictionary(for: .normalisedText))
        return frame.count < value.bytes.count ? .blob(frame) : .argument
    }

    func unpack(_ value: FunctionArgument) -> FunctionResult {
        guard value.type == .blob, Zstd.isFrame(value.bytes) else { return .argument }
        let id = Zstd.dictionaryID(ofFrame: value.bytes)
        var dictionary: Zstd.Dictionary?
        if id != 0 {
            dictionary = custody.dictionary(id: id)
            guard dictionary != nil else { return .error("\(Self.missingDictionary): \(id)") }
        }
        do {
            return .text(try decompressor.decompress(value.bytes, dictionary: dictionary))
        } catch {
            return .error("unpack_text: a stored text is damaged: \(error)")
        }
    }

    /// SQLite: the newest packed values, as written: what the dictionary is trained on.
    static let samples = [("norm_messages", "text"), ("norm_tool_calls", "result")].map { table, column in
        "SELECT unpack_text(\(column)) FROM \(table) WHERE typeof(\(column)) = 'blob' ORDER BY rowid DESC LIMIT \(RawCustody.sampleCount / 2)"
    }

    /// SQLite: the text packed with dictionary `$1` packed again (with the current dictionary,
    /// none while the retired one was the current), a batch of rows at a time.
    static let repackStatements = [("norm_messages", ["text"]), ("norm_tool_calls", ["input", "result"])].map { table, columns in
        let chosen = columns.map { "packed_dictionary(\($0)) = $1" }.joined(separator: " OR ")
        let sets = columns.map { "\($0) = CASE WHEN packed_dictionary(\($0)) = $1 THEN pack_text(unpack_text(\($0))) ELSE \($0) END" }
        return "UPDATE \(table) SET \(sets.joined(separator: ", ")) WHERE rowid IN (SELECT rowid FROM \(table) WHERE \(chosen) LIMIT 2000)"
    }

    /// SQLite, migration 28: the text already stored packed, and the search index made again
    /// over the views that unpack it.
    static let packStored: [String] = FullTextSearch.droppedBeforePacking + [
        "UPDATE norm_messages SET text = pack_text(text) WHERE \(long("text"))",
        "UPDATE norm_tool_calls SET input = pack_text(input), result = pack_text(result) WHERE \(long("input")) OR \(long("result"))",
    ] + FullTextSearch.overPackedText

    private static func long(_ column: String) -> String {
        "(typeof(\(column)) = 'text' AND length(CAST(\(column) AS BLOB)) >= \(threshold))"
    }

    /// PostgreSQL, migration 27: both functions as the identity, inlined by the planner.
    static let identities = ["pack_text", "unpack_text"].map {
        "CREATE FUNCTION \($0)(value text) RETURNS text LANGUAGE sql IMMUTABLE PARALLEL SAFE AS 'SELECT value'"
    }
}
