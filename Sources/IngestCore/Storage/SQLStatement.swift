import SQLiteDB

/// The two SQL databases a store runs on, for the few statements they spell differently
/// (full-text search, date arithmetic, JSON paths).
public enum SQLDialect: Sendable {
    case sqlite, postgres
}

/// One SQL statement written once for both stores: parameters are `$1`, `$2`… (PostgreSQL's
/// form; the SQLite store rewrites them to `?1`, `?2`…), values are SQLite's value type.
/// Only the SQL both databases share is used: `ON CONFLICT … DO UPDATE`, `excluded`,
/// `coalesce`, `CASE`, `CAST(… AS BIGINT)`.
public struct SQLStatement: Sendable {
    public var sql: String
    public var values: [SQLiteValue]

    public init(_ sql: String, _ values: [SQLiteValue] = []) {
        self.sql = sql
        self.values = values
    }

    /// `sql` with `$N` parameters written for SQLite: as plain `?` when they appear once each in
    /// order (`$1, $2, $3…`: multi-row inserts), else as `?N`. SQLite looks each `?N` up in a
    /// list of the names seen so far, which makes a statement with thousands of them quadratic
    /// to prepare; a plain `?` is just the next number.
    public var sqliteSQL: String {
        var result = ""
        result.reserveCapacity(sql.utf8.count)
        var inOrder = true
        var expected = 1
        var previous: Character = " "
        var index = sql.startIndex
        var marks: [String.Index] = []
        while index < sql.endIndex {
            let character = sql[index]
            if character == "$", !previous.isLetter, !previous.isNumber {
                var end = sql.index(after: index)
                while end < sql.endIndex, sql[end].isASCII, sql[end].isNumber { end = sql.index(after: end) }
                if Int(sql[sql.index(after: index)..<end]) != expected { inOrder = false }
                expected += 1
                marks.append(index)
            }
            previous = character
            index = sql.index(after: index)
        }
        previous = " "
        index = sql.startIndex
        var next = marks.makeIterator()
        var mark = next.next()
        while index < sql.endIndex {
            if index == mark {
                result.append("?")
                var end = sql.index(after: index)
                if inOrder {
                    while end < sql.endIndex, sql[end].isASCII, sql[end].isNumber { end = sql.index(after: end) }
                }
                index = end
                mark = next.next()
                continue
            }
            result.append(sql[index])
            index = sql.index(after: index)
        }
        return result
    }
}

/// Values in SQL results.
extension SQLiteValue {
    public var text: String? {
        switch self {
        case .text(let value): return value
        case .integer(let value): return String(value)
        case .real(let value): return String(value)
        default: return nil
        }
    }

    public var int: Int64? {
        switch self {
        case .integer(let value): return value
        case .real(let value): return Int64(value)
        case .text(let value): return Int64(value)
        default: return nil
        }
    }

    public var double: Double? {
        switch self {
        case .integer(let value): return Double(value)
        case .real(let value): return value
        case .text(let value): return Double(value)
        default: return nil
        }
    }

    static func optional(_ value: String?) -> SQLiteValue { value.map { .text($0) } ?? .null }
    static func optional(_ value: Int64?) -> SQLiteValue { value.map { .integer($0) } ?? .null }
    static func optional(_ value: Double?) -> SQLiteValue { value.map { .real($0) } ?? .null }
    static func optional(_ value: Bool?) -> SQLiteValue { value.map { .integer($0 ? 1 : 0) } ?? .null }
}
