import SQLiteDB

/// Values raw custody keeps once and names by number (``RawStrings``, ``RawStreams``).
enum InternedValues {
    /// The number of the row holding `values`: found by `find`, else added by `add` (both take
    /// `values` as their parameters, in order). Runs in the inserting transaction.
    static func number(of values: [SQLiteValue], find: Statement, add: Statement, in database: Database) throws -> Int64 {
        try find.reset()
        defer { try? find.reset() }
        for (offset, value) in values.enumerated() { try find.bind(value, at: Int32(offset + 1)) }
        if try find.step() { return find.int64(at: 0) }
        try add.run(values)
        return database.lastInsertRowID
    }
}
