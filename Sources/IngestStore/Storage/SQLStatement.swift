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
    /// Set for many rows to upsert (then `sql` is the statement for one row): each store writes
    /// them its own way.
    public var rows: RowInsert?

    public init(_ sql: String, _ values: [SQLiteValue] = []) {
        self.sql = sql
        self.values = values
    }

    public init(inserting rows: RowInsert) {
        sql = rows.oneRowSQL
        values = []
        self.rows = rows
    }

    /// `sql` with `$N` parameters written for SQLite: as plain `?` when they appear once each in
    /// order (`$1, $2, $3…`: multi-row inserts), else as `?N`. SQLite looks each `?N` up in a
    /// list of the names seen so far, which makes a statement with thousands of them quadratic
    /// to prepare; a plain `?` is just the next number.
    public var sqliteSQL: String {
        let bytes = Array(sql.utf8)
        func isWordByte(_ byte: UInt8) -> Bool {
            (0x30...0x39).contains(byte) || (0x41...0x5A).contains(byte) || (0x61...0x7A).contains(byte) || byte == 0x5F || byte >= 0x80
        }
        // Each parameter: where its `$` is and where its digits end.
        var marks: [(start: Int, end: Int)] = []
        var inOrder = true
        var index = 0
        while index < bytes.count {
            if bytes[index] == UInt8(ascii: "$"), index == 0 || !isWordByte(bytes[index - 1]) {
                var end = index + 1
                var number = 0
                while end < bytes.count, (0x30...0x39).contains(bytes[end]) {
                    number = number &* 10 &+ Int(bytes[end] - 0x30)
                    end += 1
                }
                if end > index + 1 {
                    if number != marks.count + 1 { inOrder = false }
                    marks.append((index, end))
                }
                index = end
            } else {
                index += 1
            }
        }
        guard !marks.isEmpty else { return sql }
        var result: [UInt8] = []
        result.reserveCapacity(bytes.count)
        var copied = 0
        for mark in marks {
            result += bytes[copied..<mark.start]
            result.append(UInt8(ascii: "?"))
            copied = inOrder ? mark.end : mark.start + 1
        }
        result += bytes[copied...]
        return String(decoding: result, as: UTF8.self)
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

    package static func optional(_ value: String?) -> SQLiteValue { value.map { .text($0) } ?? .null }
    package static func optional(_ value: Int64?) -> SQLiteValue { value.map { .integer($0) } ?? .null }
    package static func optional(_ value: Double?) -> SQLiteValue { value.map { .real($0) } ?? .null }
    package static func optional(_ value: Bool?) -> SQLiteValue { value.map { .integer($0 ? 1 : 0) } ?? .null }
}
