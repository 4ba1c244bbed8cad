import SQLiteDB

/// Many rows upserted into one table, written the way each store takes them best: SQLite
/// prepares the statement for one row once and runs it for every row (a multi-row statement of
/// thousands of parameters is parsed and planned anew each time, a tenth of a reparse's CPU);
/// PostgreSQL is sent multi-row statements of a few thousand parameters, one round trip each.
///
/// A column named `name:int` or `name:real` is not text: every parameter is cast to its
/// column's type, so a column that is NULL in every row of a statement still has a type
/// PostgreSQL accepts. A column named `name:packed` is text written through `pack_text` (see
/// ``PackedText``).
public struct RowInsert: Sendable {
    public let table: String
    public let columns: [String]
    /// Each column's SQL type (`TEXT`, `BIGINT`, `DOUBLE PRECISION`).
    package let types: [String]
    /// The columns written through `pack_text`.
    let packed: [Bool]
    /// What follows the values: `ON CONFLICT …`.
    package let conflict: String
    /// The rows, one after another: `columns.count` values each.
    public let values: [SQLiteValue]

    package init(_ table: String, _ typedColumns: [String], _ rows: [[SQLiteValue]], conflict: String) {
        self.table = table
        columns = typedColumns.map { String($0.prefix { $0 != ":" }) }
        types = typedColumns.map { column in
            if column.hasSuffix(":int") { return "BIGINT" }
            if column.hasSuffix(":real") { return "DOUBLE PRECISION" }
            return "TEXT"
        }
        packed = typedColumns.map { $0.hasSuffix(":packed") }
        self.conflict = conflict
        var values: [SQLiteValue] = []
        values.reserveCapacity(rows.count * columns.count)
        for row in rows { values += row }
        self.values = values
    }

    public var rowCount: Int { columns.isEmpty ? 0 : values.count / columns.count }

    /// The statement for one row, its values `$1…$N`.
    public var oneRowSQL: String { sql(rows: 1) }

    /// Multi-row statements of at most about 8,000 parameters each.
    public var multiRowStatements: [SQLStatement] {
        let rowsPerStatement = max(1, 8000 / columns.count)
        var statements: [SQLStatement] = []
        var start = 0
        while start < rowCount {
            let count = min(rowCount - start, rowsPerStatement)
            statements.append(SQLStatement(sql(rows: count), Array(values[(start * columns.count)..<((start + count) * columns.count)])))
            start += count
        }
        return statements
    }

    private func sql(rows: Int) -> String {
        var sql = "INSERT INTO \(table)(\(columns.joined(separator: ", "))) VALUES "
        var parameter = 0
        for row in 0..<rows {
            if row > 0 { sql += ", " }
            sql += "("
            for (column, type) in types.enumerated() {
                parameter += 1
                let value = "CAST($\(parameter) AS \(type))"
                sql += (column > 0 ? ", " : "") + (packed[column] ? "pack_text(\(value))" : value)
            }
            sql += ")"
        }
        return sql + " " + conflict
    }
}
