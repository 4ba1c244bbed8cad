import CSQLite
import Foundation

/// A connection to one SQLite database file.
///
/// A thin wrapper over the C API: it adds nothing SQLite does not do, and hides nothing the
/// caller must decide (open mode, busy timeout, transaction boundaries). Not thread-safe: use
/// one connection from one task at a time.
public final class Database {
    /// How a database is opened.
    public enum Mode: Sendable {
        /// Another application's database: `mode=ro` through a URI. Never creates a file, never
        /// writes; locking is respected, so committed WAL frames are seen. A WAL database that no
        /// process has open (no `-wal`, no `-shm`: the last connection checkpointed and removed
        /// them) is read `immutable`, as `mode=ro` would create both files beside it: its main
        /// file changes only at a checkpoint, and a checkpoint needs a WAL first.
        case readOnly
        /// A database this process owns: created when missing.
        case readWriteCreate
    }

    let handle: OpaquePointer
    public let path: String
    /// What ``install(_:)``'s authorizer and ``limitTime(_:)``'s progress handler read (kept
    /// alive as long as the connection).
    let guardState = GuardState()
    var progressInstalled = false

    /// Opens `path`. A read-only open of a missing file fails instead of creating it.
    public init(path: String, mode: Mode, busyTimeoutMilliseconds: Int32 = 2000) throws {
        var db: OpaquePointer?
        let flags: Int32
        let name: String
        switch mode {
        case .readOnly:
            flags = SQLITE_OPEN_READONLY | SQLITE_OPEN_URI | SQLITE_OPEN_NOMUTEX
            name = Database.readOnlyURI(for: path)
        case .readWriteCreate:
            flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX
            name = path
        }
        let rc = sqlite3_open_v2(name, &db, flags, nil)
        guard rc == SQLITE_OK, let db else {
            let message = db.map { String(cString: sqlite3_errmsg($0)) } ?? "cannot open"
            if let db { sqlite3_close_v2(db) }
            throw SQLiteError(code: rc, message: message, sql: nil)
        }
        self.handle = db
        self.path = path
        sqlite3_busy_timeout(db, busyTimeoutMilliseconds)
        sqlite3_extended_result_codes(db, 1)
    }

    deinit {
        sqlite3_close_v2(handle)
    }

    /// Whether `path` is a WAL-mode database (its header's read and write versions are 2) with
    /// neither a `-wal` nor a `-shm` beside it.
    static func isIdleWAL(_ path: String) -> Bool {
        guard !FileManager.default.fileExists(atPath: path + "-wal"), !FileManager.default.fileExists(atPath: path + "-shm"),
              let file = FileHandle(forReadingAtPath: path) else { return false }
        defer { try? file.close() }
        guard let header = try? file.read(upToCount: 20), header.count == 20 else { return false }
        return header.starts(with: Array("SQLite format 3\0".utf8)) && header[18] == 2 && header[19] == 2
    }

    /// `file:` URI for a read-only open; percent-escapes what a URI path may not hold.
    static func readOnlyURI(for path: String) -> String {
        var allowed = CharacterSet.urlPathAllowed
        allowed.remove(charactersIn: "?#%")
        let escaped = path.addingPercentEncoding(withAllowedCharacters: allowed) ?? path
        return "file:\(escaped)?mode=ro" + (isIdleWAL(path) ? "&immutable=1" : "")
    }

    /// Runs one or more statements that return no rows.
    public func execute(_ sql: String) throws {
        var error: UnsafeMutablePointer<CChar>?
        let rc = sqlite3_exec(handle, sql, nil, nil, &error)
        if rc != SQLITE_OK {
            let message = error.map { String(cString: $0) } ?? lastErrorMessage
            sqlite3_free(error)
            throw SQLiteError(code: rc, message: message, sql: sql)
        }
    }

    /// Compiles `sql` into a statement.
    public func prepare(_ sql: String) throws -> Statement {
        try Statement(database: self, sql: sql)
    }

    /// Runs `body` inside `BEGIN` … `COMMIT` (rolled back when it throws).
    public func transaction<T>(_ kind: String = "DEFERRED", _ body: () throws -> T) throws -> T {
        try execute("BEGIN \(kind)")
        do {
            let result = try body()
            try execute("COMMIT")
            return result
        } catch {
            try? execute("ROLLBACK")
            throw error
        }
    }

    /// Rows changed by the last INSERT, UPDATE or DELETE.
    public var changes: Int { Int(sqlite3_changes(handle)) }

    /// The rowid of the last successful INSERT.
    public var lastInsertRowID: Int64 { sqlite3_last_insert_rowid(handle) }

    /// `PRAGMA data_version`: changes whenever another connection commits.
    public func dataVersion() throws -> Int64 {
        let statement = try prepare("PRAGMA data_version")
        guard try statement.step() else { return 0 }
        return statement.int64(at: 0)
    }

    /// Whether a table (or view) of that name exists.
    public func tableExists(_ name: String) throws -> Bool {
        let statement = try prepare("SELECT 1 FROM sqlite_master WHERE name = ?1 AND type IN ('table','view')")
        try statement.bind(.text(name), at: 1)
        return try statement.step()
    }

    var lastErrorMessage: String { String(cString: sqlite3_errmsg(handle)) }
}

/// An error reported by SQLite, with its (extended) result code.
public struct SQLiteError: Error, CustomStringConvertible, Sendable {
    public let code: Int32
    public let message: String
    public let sql: String?

    /// The database was locked or busy past the busy timeout.
    public var isBusy: Bool {
        let primary = code & 0xff
        return primary == SQLITE_BUSY || primary == SQLITE_LOCKED
    }

    /// The file is not a database, or is damaged.
    public var isCorrupt: Bool {
        let primary = code & 0xff
        return primary == SQLITE_CORRUPT || primary == SQLITE_NOTADB
    }

    public var description: String {
        let text = String(cString: sqlite3_errstr(code))
        return message == text ? "\(message) (code \(code))" : "\(message) (\(text), code \(code))"
    }
}
