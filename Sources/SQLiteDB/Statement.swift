import CSQLite
import Foundation

/// A value read from or bound to SQLite.
public enum SQLiteValue: Sendable, Equatable {
    case null
    case integer(Int64)
    case real(Double)
    case text(String)
    case blob([UInt8])
}

/// The storage class SQLite reports for a column of the current row.
public enum SQLiteColumnType: Sendable {
    case integer, real, text, blob, null
}

private let transientDestructor = unsafeBitCast(-1, to: sqlite3_destructor_type.self)

/// A prepared statement. Step it with ``step()``; read columns of the current row.
public final class Statement {
    let handle: OpaquePointer
    let database: Database
    public let sql: String

    init(database: Database, sql: String) throws {
        var statement: OpaquePointer?
        let rc = sqlite3_prepare_v3(database.handle, sql, -1, 0, &statement, nil)
        guard rc == SQLITE_OK, let statement else {
            throw SQLiteError(code: rc, message: database.lastErrorMessage, sql: sql)
        }
        self.handle = statement
        self.database = database
        self.sql = sql
    }

    deinit {
        sqlite3_finalize(handle)
    }

    /// Names of the named parameters (`:cursor`, `$x`, `@y`), without their prefix.
    public var parameterNames: [String] {
        let count = sqlite3_bind_parameter_count(handle)
        guard count > 0 else { return [] }
        return (1...count).compactMap { index in
            guard let name = sqlite3_bind_parameter_name(handle, index) else { return nil }
            return String(String(cString: name).dropFirst())
        }
    }

    /// Binds `value` to the 1-based parameter `index`.
    public func bind(_ value: SQLiteValue, at index: Int32) throws {
        let rc: Int32
        switch value {
        case .null: rc = sqlite3_bind_null(handle, index)
        case .integer(let v): rc = sqlite3_bind_int64(handle, index, v)
        case .real(let v): rc = sqlite3_bind_double(handle, index, v)
        case .text(let v): rc = sqlite3_bind_text(handle, index, v, -1, transientDestructor)
        case .blob(let v):
            rc = v.withUnsafeBytes { sqlite3_bind_blob(handle, index, $0.baseAddress, Int32($0.count), transientDestructor) }
        }
        guard rc == SQLITE_OK else { throw SQLiteError(code: rc, message: database.lastErrorMessage, sql: sql) }
    }

    /// Binds `value` to a named parameter given without its prefix; returns false when the
    /// statement has no such parameter.
    @discardableResult
    public func bind(_ value: SQLiteValue, named name: String) throws -> Bool {
        for prefix in [":", "$", "@"] {
            let index = sqlite3_bind_parameter_index(handle, prefix + name)
            if index > 0 {
                try bind(value, at: index)
                return true
            }
        }
        return false
    }

    /// Advances to the next row; false when there are no more.
    public func step() throws -> Bool {
        let rc = sqlite3_step(handle)
        switch rc {
        case SQLITE_ROW: return true
        case SQLITE_DONE: return false
        default: throw SQLiteError(code: rc, message: database.lastErrorMessage, sql: sql)
        }
    }

    /// Runs a statement that returns no rows.
    public func run(_ values: SQLiteValue...) throws {
        try run(values)
    }

    /// Runs a statement that returns no rows, `values` bound to its parameters in order.
    public func run(_ values: [SQLiteValue]) throws {
        try reset()
        for (offset, value) in values.enumerated() { try bind(value, at: Int32(offset + 1)) }
        while try step() {}
    }

    /// Resets the statement so it can run again and clears its bindings.
    public func reset() throws {
        sqlite3_reset(handle)
        sqlite3_clear_bindings(handle)
    }

    public var columnCount: Int { Int(sqlite3_column_count(handle)) }

    public func columnName(at index: Int) -> String {
        String(cString: sqlite3_column_name(handle, Int32(index)))
    }

    public func columnType(at index: Int) -> SQLiteColumnType {
        switch sqlite3_column_type(handle, Int32(index)) {
        case SQLITE_INTEGER: return .integer
        case SQLITE_FLOAT: return .real
        case SQLITE_TEXT: return .text
        case SQLITE_BLOB: return .blob
        default: return .null
        }
    }

    public func int64(at index: Int) -> Int64 { sqlite3_column_int64(handle, Int32(index)) }
    public func double(at index: Int) -> Double { sqlite3_column_double(handle, Int32(index)) }

    public func string(at index: Int) -> String? {
        guard let text = sqlite3_column_text(handle, Int32(index)) else { return nil }
        return String(cString: text)
    }

    /// The raw bytes of a TEXT or BLOB column, valid until the next step; empty for NULL.
    public func withBytes<T>(at index: Int, _ body: (UnsafeRawBufferPointer) throws -> T) rethrows -> T {
        let column = Int32(index)
        let pointer: UnsafeRawPointer?
        if sqlite3_column_type(handle, column) == SQLITE_TEXT {
            pointer = sqlite3_column_text(handle, column).map { UnsafeRawPointer($0) }
        } else {
            pointer = sqlite3_column_blob(handle, column)
        }
        let count = Int(sqlite3_column_bytes(handle, column))
        return try body(UnsafeRawBufferPointer(start: pointer, count: pointer == nil ? 0 : count))
    }

    /// The column as a ``SQLiteValue``.
    public func value(at index: Int) -> SQLiteValue {
        switch columnType(at: index) {
        case .null: return .null
        case .integer: return .integer(int64(at: index))
        case .real: return .real(double(at: index))
        case .text: return .text(string(at: index) ?? "")
        case .blob: return .blob(withBytes(at: index) { Array($0) })
        }
    }
}
