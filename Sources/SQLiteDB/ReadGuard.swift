import CSQLite

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Holds a local policy's deny lists on another application's database whatever a query says,
/// and bounds what a query may do.
///
/// Each table with a key column or a denied column is shadowed by a temporary view of the same
/// name that leaves out the rows whose key matches a denied glob and reads every denied column
/// as NULL; SQLite's authorizer then refuses any read of such a table that does not go through
/// its view, so an alias, a subquery, a UNION, a CTE, another view or `main.` reaches nothing
/// denied. With `allowedFunctions` set, a query may call only those SQL functions: none that
/// can re-encode or cut a value (`hex`, `substr`, `replace`…) past the redactor.
public struct ReadGuard: Sendable, Equatable {
    /// Globs (`*`, `?`, `[…]`) of row keys never read.
    public var deniedKeys: [String]
    /// The columns whose values are row keys.
    public var keyColumns: [String]
    /// Columns never read, in any table.
    public var deniedColumns: [String]
    /// nil: any function; else only these (lower-case names).
    public var allowedFunctions: Set<String>?

    public init(deniedKeys: [String], keyColumns: [String], deniedColumns: [String], allowedFunctions: Set<String>? = nil) {
        self.deniedKeys = deniedKeys
        self.keyColumns = keyColumns
        self.deniedColumns = deniedColumns
        self.allowedFunctions = allowedFunctions
    }

    /// Whether installing it changes anything: deny lists to hold, or functions to limit.
    public var guardsAnything: Bool { !deniedKeys.isEmpty || !deniedColumns.isEmpty || allowedFunctions != nil }

    /// Functions that compare, aggregate, test or pass a value on whole: what a query from a
    /// server may call. Anything that re-encodes (`hex`, `quote`, `char`, `unicode`, `printf`),
    /// cuts (`substr`, `trim`, `replace`, `instr`) or changes case is left out.
    public static let wholeValueFunctions: Set<String> = [
        "count", "max", "min", "sum", "total", "avg", "coalesce", "ifnull", "nullif", "iif", "length", "typeof", "like", "glob",
        "json", "json_valid", "json_type", "json_extract", "->", "->>", "json_array_length", "json_each", "json_tree",
        "json_object", "json_array", "json_group_array", "json_group_object", "datetime", "date", "time", "julianday",
        "strftime", "unixepoch", "abs", "round", "likely", "unlikely",
    ]
}

/// What the authorizer and the progress handler of one connection read.
final class GuardState {
    var shadowed: Set<String> = []
    var allowedFunctions: Set<String>?
    /// Monotonic nanoseconds past which a running statement is interrupted; 0: none.
    var deadline: UInt64 = 0

    static func now() -> UInt64 {
        var time = timespec()
        clock_gettime(CLOCK_MONOTONIC, &time)
        return UInt64(time.tv_sec) * 1_000_000_000 + UInt64(time.tv_nsec)
    }
}

private let authorize: @convention(c) (UnsafeMutableRawPointer?, Int32, UnsafePointer<CChar>?, UnsafePointer<CChar>?,
                                       UnsafePointer<CChar>?, UnsafePointer<CChar>?) -> Int32 = { context, action, first, second, database, inner in
    guard let context else { return SQLITE_OK }
    let state = Unmanaged<GuardState>.fromOpaque(context).takeUnretainedValue()
    switch action {
    case SQLITE_READ:
        // first: the table; database: its schema; inner: the view or trigger reading it.
        guard let first, database.map({ String(cString: $0) }) == "main" else { return SQLITE_OK }
        let table = String(cString: first).lowercased()
        guard state.shadowed.contains(table) else { return SQLITE_OK }
        return inner.map { String(cString: $0).lowercased() } == table ? SQLITE_OK : SQLITE_DENY
    case SQLITE_FUNCTION:
        guard let allowed = state.allowedFunctions else { return SQLITE_OK }
        return second.map { allowed.contains(String(cString: $0).lowercased()) } == true ? SQLITE_OK : SQLITE_DENY
    case SQLITE_SELECT, SQLITE_RECURSIVE:
        return SQLITE_OK
    default:
        // Nothing but reading: no PRAGMA, ATTACH, write or schema change from a guarded query.
        return SQLITE_DENY
    }
}

private let progress: @convention(c) (UnsafeMutableRawPointer?) -> Int32 = { context in
    guard let context else { return 0 }
    let state = Unmanaged<GuardState>.fromOpaque(context).takeUnretainedValue()
    return state.deadline != 0 && GuardState.now() > state.deadline ? 1 : 0
}

extension Database {
    /// Installs `rules` on this (read-only) connection: the shadowing views first, then the
    /// authorizer. Statements prepared before this are not guarded.
    public func install(_ rules: ReadGuard) throws {
        let state = guardState
        var shadowed: Set<String> = []
        let tables = try prepare("SELECT name FROM main.sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\'")
        var names: [String] = []
        while try tables.step() { if let name = tables.string(at: 0) { names.append(name) } }
        let keyColumns = Set(rules.keyColumns.map { $0.lowercased() })
        let deniedColumns = Set(rules.deniedColumns.map { $0.lowercased() })
        let info = try prepare("SELECT name FROM pragma_table_info(?1, 'main')")
        for table in names {
            try info.reset()
            try info.bind(.text(table), at: 1)
            var columns: [String] = []
            while try info.step() { if let name = info.string(at: 0) { columns.append(name) } }
            let keys = rules.deniedKeys.isEmpty ? [] : columns.filter { keyColumns.contains($0.lowercased()) }
            let denied = columns.filter { deniedColumns.contains($0.lowercased()) }
            guard !keys.isEmpty || !denied.isEmpty else { continue }
            let hasRowID = (try? prepare("SELECT rowid FROM main.\(Self.quoted(table)) LIMIT 0")) != nil
                && !columns.contains { $0.lowercased() == "rowid" }
            let selected = (hasRowID ? ["rowid AS rowid"] : []) + columns.map { column in
                denied.contains(column) ? "NULL AS \(Self.quoted(column))" : Self.quoted(column)
            }
            let hidden = keys.flatMap { column in
                rules.deniedKeys.map { "coalesce(\(Self.quoted(column)), '') GLOB '\($0.replacingOccurrences(of: "'", with: "''"))'" }
            }
            try execute("""
                CREATE TEMP VIEW \(Self.quoted(table)) AS SELECT \(selected.joined(separator: ", ")) FROM main.\(Self.quoted(table))
                \(hidden.isEmpty ? "" : "WHERE NOT (" + hidden.joined(separator: " OR ") + ")")
                """)
            shadowed.insert(table.lowercased())
        }
        state.shadowed = shadowed
        state.allowedFunctions = rules.allowedFunctions
        sqlite3_set_authorizer(handle, authorize, Unmanaged.passUnretained(state).toOpaque())
    }

    /// Interrupts any statement of this connection still running `seconds` from now (checked
    /// every thousand virtual-machine steps); nil lifts the limit.
    public func limitTime(_ seconds: Double?) {
        let state = guardState
        if !progressInstalled {
            sqlite3_progress_handler(handle, 1000, progress, Unmanaged.passUnretained(state).toOpaque())
            progressInstalled = true
        }
        state.deadline = seconds.map { GuardState.now() + UInt64(max(0, $0) * 1e9) } ?? 0
    }

    static func quoted(_ identifier: String) -> String {
        "\"" + identifier.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }
}
