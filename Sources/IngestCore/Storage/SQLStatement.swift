import SQLiteDB

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

    /// `sql` with `$N` parameters written as SQLite's `?N`.
    public var sqliteSQL: String {
        var result = ""
        result.reserveCapacity(sql.utf8.count)
        var previous: Character = " "
        for character in sql {
            if character == "$", !previous.isLetter, !previous.isNumber { result.append("?") } else { result.append(character) }
            previous = character
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
