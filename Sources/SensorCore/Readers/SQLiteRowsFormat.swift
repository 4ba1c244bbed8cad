import Foundation
import Crypto
import SQLiteDB
import SensorModel

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// `format: sqlite`: rows of the declared query, read with the `cursor` or `keyed` strategy.
///
/// Another application's database is opened read-only (`mode=ro`, so its WAL is honoured;
/// `immutable` only when it is a WAL database no process has open, so that nothing is created
/// next to it: see ``Database/Mode/readOnly``), with a busy timeout; every page is its
/// own short statement, so no lock or read transaction is held between pages.
public enum SQLiteRowsFormat: RecordFormatPlugin {
    public static let format = RecordFormat.sqlite
    public static let strategies = [OffsetStrategy.cursor, .keyed]
    /// The longest one page of a query may run before it is interrupted (a query that never
    /// ends, a recursive CTE, must not hold the sensor).
    public static let pageTimeLimit = 30.0

    public static func makeReader(file: MatchedFile, context: ReadContext, state: CheckpointState) throws -> (any RecordReader)? {
        guard let options = context.declaration.sqlite else { return nil }
        let key = CheckpointState.pathKey(source: context.declaration.id, path: file.path)
        let (probe, lastWrite) = DatabaseProbe.fingerprint(path: file.path)
        if let position = state.tables[key], position.probe == probe {
            guard context.isStale(lastSeen: position.lastSeen) else { return nil }
            var refreshed = position
            refreshed.lastSeen = context.now
            return OneUpdateReader(update: .table(key: key, refreshed, changedHashes: nil), source: context.declaration.id)
        }
        let database: Database
        try ReadError.checkListed(file, followSymlinks: context.declaration.followSymlinks)
        do {
            database = try Database(path: file.path, mode: .readOnly,
                                    busyTimeoutMilliseconds: Int32(options.busyTimeoutMilliseconds))
            for table in options.requiredTables where try !database.tableExists(table) {
                return nil  // this database predates (or postdates) the declared schema
            }
            let declaration = context.declaration
            let rules = ReadGuard(deniedKeys: declaration.deniedKeys, keyColumns: declaration.keyGuardColumns,
                                  deniedColumns: declaration.deniedColumns,
                                  allowedFunctions: declaration.sqlFromServer ? ReadGuard.wholeValueFunctions : nil)
            if rules.guardsAnything { try database.install(rules) }
            let statement = try database.prepare(options.query)
            // A write seen less than a second ago may not be committed yet (WAL frames land
            // before the commit is visible): read now, but do not trust the probe, and ask for
            // another pass soon.
            let settled = context.now - lastWrite >= DatabaseProbe.settleSeconds
            return SQLiteRowReader(file: file, database: database, statement: statement, key: key,
                                   probe: settled ? probe : nil, options: options, context: context)
        } catch let error as SQLiteError {
            throw ReadError(path: file.path, reason: error.description, isTransient: error.isBusy)
        }
    }
}

/// Detects change without opening the database: size and mtime of the file and its WAL.
enum DatabaseProbe {
    /// How long after the last write a database counts as settled.
    static let settleSeconds = 1.0

    /// The fingerprint, and the time of the newest write (seconds since the epoch).
    static func fingerprint(path: String) -> (String, Double) {
        var newest: Int64 = 0
        func part(_ path: String) -> String {
            guard let stat = FileStat(path: path) else { return "-" }
            newest = max(newest, stat.modified)
            return "\(stat.inode):\(stat.size):\(stat.modified)"
        }
        let text = part(path) + "|" + part(path + "-wal")
        return (text, Double(newest) / 1e9)
    }
}

final class SQLiteRowReader: RecordReader {
    let file: MatchedFile
    let database: Database
    let statement: Statement
    let key: String
    /// nil while the database is still settling: then nothing is skipped next time.
    let probe: String?
    let options: SQLiteOptions
    let context: ReadContext
    let encoder: RowEncoder
    let cursorIndex: Int
    let keyIndices: [Int]
    let keyed: Bool
    let pages: Bool
    let bindsCursor: Bool
    let locatorPrefix: [UInt8]
    var finished = false

    init(file: MatchedFile, database: Database, statement: Statement, key: String, probe: String?,
         options: SQLiteOptions, context: ReadContext) {
        self.file = file
        self.database = database
        self.statement = statement
        self.key = key
        self.probe = probe
        self.options = options
        self.context = context
        let declaration = context.declaration
        let names = (0..<statement.columnCount).map(statement.columnName(at:))
        let cursorIndex = options.cursorColumn.flatMap { names.firstIndex(of: $0) } ?? 0
        self.cursorIndex = cursorIndex
        encoder = RowEncoder(statement: statement, options: options, deniedColumns: declaration.deniedColumns,
                             cursorIndex: cursorIndex, redactor: context.redactor)
        keyIndices = options.keyColumns.compactMap { names.firstIndex(of: $0) }
        keyed = declaration.offset == .keyed
        let parameters = Set(statement.parameterNames)
        pages = parameters.contains("limit")
        bindsCursor = parameters.contains("cursor")
        var locator: [UInt8] = []
        locator.append("\"path\":")
        locator.appendJSONString(context.displayPath(file.path))
        locatorPrefix = locator
    }

    func next(state: CheckpointState) throws -> EnvelopeChunk? {
        guard !finished else { return nil }
        let stored = state.tables[key]
        let cursor = stored?.cursor ?? options.initialCursor
        var chunk = context.makeChunk()
        chunk.unsettled = probe == nil
        var rows = 0
        var lastCursor = cursor
        var highest = cursor
        var changedHashes: [String: String] = [:]
        var stoppedEarly = false
        database.limitTime(SQLiteRowsFormat.pageTimeLimit)
        defer { database.limitTime(nil) }
        do {
            try statement.reset()
            try statement.bind(cursor.sqliteValue, named: "cursor")
            try statement.bind(.integer(Int64(options.pageSize)), named: "limit")
            for (name, value) in options.params { try statement.bind(value.sqliteValue, named: name) }
            defer { try? statement.reset() }
            while try statement.step() {
                rows += 1
                let cursorValue = SQLValue(statement.value(at: cursorIndex))
                // The cursor is kept in the checkpoint and sent in the locator as it is: a value
                // the redaction rules match cannot be one.
                if case .text(let text) = cursorValue, redactedKey(text) != nil {
                    throw ReadError(path: file.path, reason: "the cursor column holds a value the redaction rules match; "
                                    + "\(context.declaration.id) is not read (choose another cursor column)")
                }
                lastCursor = cursorValue
                if SQLValue.isLess(highest, cursorValue) { highest = cursorValue }
                let rowKey = keyIndices.isEmpty ? nil : keyIndices.map { statement.string(at: $0) ?? "" }.joined(separator: "\u{1F}")
                // A key is kept in the checkpoint and sent in the locator: one that holds a secret
                // is kept as its hash and sent redacted.
                let keyShown = rowKey.flatMap(redactedKey)
                if let rowKey, context.declaration.deniedKeys.contains(where: { fnmatch($0, rowKey, 0) == 0 }) {
                    continue  // never read: the row's values are not even looked at
                }
                let row = encoder.encode(statement)
                if keyed {
                    let identity = keyShown.map { "sha256:" + Hex.lowercase(SHA256.hash(data: Array($0.original.utf8)).prefix(16)) }
                        ?? rowKey ?? cursorValue.description
                    if (changedHashes[identity] ?? stored?.rowHashes?[identity]) == row.contentHash { continue }
                    changedHashes[identity] = row.contentHash
                }
                if append(row, cursor: cursorValue, rowKey: rowKey, shownKey: keyShown?.redacted ?? rowKey, into: &chunk) {
                    chunk.inputBytes += Int64(row.record.count)
                    chunk.discoveredInput = true
                }
                if chunk.bytes.count >= context.chunkBytes || chunk.count >= context.chunkRecords {
                    stoppedEarly = true
                    break
                }
            }
        } catch let error as SQLiteError {
            if error.code & 0xff == 9 /* SQLITE_INTERRUPT */ {
                throw ReadError(path: file.path, reason: "the query of \(context.declaration.id) ran past its \(Int(SQLiteRowsFormat.pageTimeLimit)) s budget and was stopped")
            }
            throw ReadError(path: file.path, reason: error.description, isTransient: error.isBusy)
        }

        let newCursor: SQLValue
        if keyed {
            // A keyed pass that stopped early keeps its cursor: the rest is found again by hash.
            newCursor = stoppedEarly || !bindsCursor ? cursor : highest
            finished = !stoppedEarly
        } else {
            newCursor = lastCursor
            finished = rows == 0 || (!stoppedEarly && (!pages || rows < options.pageSize))
        }
        let position = TablePosition(source: context.declaration.id, path: file.path, cursor: newCursor, rowHashes: nil,
                                     probe: finished ? probe : stored?.probe, lastSeen: context.now)
        chunk.update = .table(key: key, position, changedHashes: changedHashes.isEmpty ? nil : changedHashes)
        return chunk
    }

    /// A row key the redaction rules match, with its redacted form; nil for an ordinary key.
    private func redactedKey(_ key: String) -> (original: String, redacted: String)? {
        var key = key
        guard let redacted = key.withUTF8({ context.redactor.redact(UnsafeRawBufferPointer($0)) }) else { return nil }
        return (key, String(decoding: redacted.bytes, as: UTF8.self))
    }

    /// Appends the row's envelope; false when another source already sent this row this pass.
    @discardableResult
    private func append(_ row: RowEncoder.Row, cursor: SQLValue, rowKey: String?, shownKey: String?, into chunk: inout EnvelopeChunk) -> Bool {
        var id = RecordID(device: context.writer.device, scope: context.displayPath(file.path))
        id.update(rowKey ?? cursor.description)
        id.update(row.contentHash)
        let envelopeID = id.finalize()
        if let shared = context.sharedRows, !shared.isFirst(envelopeID, in: file.stat) { return false }
        var locator = locatorPrefix
        locator.append(",\"cursor\":")
        switch cursor {
        case .integer(let v): locator.appendDecimal(v)
        case .real(let v): locator.append(utf8: v.isFinite ? "\(v)" : "null")
        case .text(let v): locator.appendJSONString(v)
        case .null: locator.append("null")
        }
        if let shownKey {
            locator.append(",\"key\":")
            locator.appendJSONString(shownKey)
        }
        locator.append(",\"content_hash\":\"")
        locator.append(utf8: row.contentHash)
        locator.append("\"")
        var flags = RecordFlags()
        flags.redactedBy = row.redactions
        context.writer.append(to: &chunk, id: envelopeID, locator: locator, encoding: .row, columns: row.columns,
                              flags: flags) { $0.append(contentsOf: row.record) }
        return true
    }
}
