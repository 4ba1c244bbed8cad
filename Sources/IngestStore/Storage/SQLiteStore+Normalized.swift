import SQLiteDB

extension SQLiteStore {
    public func query(_ statement: SQLStatement) throws -> [[SQLiteValue]] {
        try withTextDictionaries {
            let prepared = try prepare(statement)
            var rows: [[SQLiteValue]] = []
            while try prepared.step() { rows.append((0..<prepared.columnCount).map { prepared.value(at: $0) }) }
            return rows
        }
    }

    public func execute(_ statements: [SQLStatement]) throws {
        try commitHeldSteps()
        try withTextDictionaries {
            try database.transaction("IMMEDIATE") {
                for statement in statements { try run(statement) }
            }
        }
    }

    /// Runs `body`, and once more after loading the store's dictionaries when it met packed text
    /// made with one this process has not loaded (another process trained it meanwhile).
    private func withTextDictionaries<T>(_ body: () throws -> T) throws -> T {
        do {
            return try body()
        } catch let error as SQLiteError where error.message.hasPrefix(PackedText.missingDictionary) {
            try loadDictionaries()
            return try body()
        }
    }

    /// A table with triggers is emptied row by row (each row read, each trigger asked whether it
    /// fires); without any, SQLite frees its pages whole: 1.7 -> 0.6 CPU s for the normalised
    /// tables of a 187 MB corpus. The tables' triggers are set aside and made again as they were,
    /// in the same transaction.
    ///
    /// Their freed pages are not overwritten with zeros (`secure_delete=FAST` for this
    /// transaction; Debian's SQLite zeroes every freed page): the rows are built again from the
    /// raw envelopes, which hold all they held. Zeroing them made a reparse of the 195 MB corpus
    /// write 936 MB instead of 597, and took 1.3 s of its 13 (0.1 s now).
    public func empty(_ tables: [String], after statements: [SQLStatement]) throws {
        try commitHeldSteps()
        let secureDelete = try query(SQLStatement("PRAGMA secure_delete")).first?.first?.int ?? 0
        try database.execute("PRAGMA secure_delete=FAST")
        defer { try? database.execute("PRAGMA secure_delete=\(secureDelete)") }
        try database.transaction("IMMEDIATE") {
            for statement in statements { try run(statement) }
            let names = (1...max(1, tables.count)).map { "$\($0)" }.joined(separator: ", ")
            let triggers = try query(SQLStatement("SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name IN (\(names))",
                                                  tables.map { .text($0) }))
            for trigger in triggers { try run(SQLStatement("DROP TRIGGER \"\(trigger[0].text ?? "")\"")) }
            let keeping = try !query(SQLStatement("SELECT 1 FROM kept_sessions LIMIT 1")).isEmpty
            for statement in keeping ? KeptSessions.emptying(tables) : tables.map({ SQLStatement("DELETE FROM \($0)") }) { try run(statement) }
            for trigger in triggers { try run(SQLStatement(trigger[1].text ?? "")) }
        }
    }

    /// Statement journals stay in memory while steps are held (`temp_store=MEMORY`): each
    /// statement of a long transaction journals the pages it changes that earlier statements had
    /// changed, and past 64 KiB SQLite spilled them to a temporary file: a reparse of the 195 MB
    /// corpus wrote 310 MB there (1.3-1.6 s of system CPU; 0.8-0.9 s now). A step's statements
    /// are small: what they journal is a few pages each.
    ///
    /// Committed without waiting for the disk (`synchronous=NORMAL` for this transaction): the
    /// rows and the watermark are lost or kept together, and what a crash loses is normalised
    /// again from the raw store; the next raw batch's commit syncs the log with them in it.
    /// Each step is held until ``commitNormalizedSteps(atMostEvery:)``'s interval has passed
    /// since the first one held: with the interval zero (the default), it commits at once.
    public func applyNormalized(_ statements: [SQLStatement], lane: Int, expected: Int64, next: Int64) throws -> Bool {
        if stepsHeldSince == nil {
            try database.execute("PRAGMA synchronous=NORMAL")
            try database.execute("PRAGMA temp_store=MEMORY")
            try database.execute("BEGIN IMMEDIATE")
            stepsHeldSince = .now
        }
        do {
            let applied = try applyStep(statements, expected: expected, next: next)  // false: nothing written
            if let since = stepsHeldSince, since.duration(to: .now) >= stepCommitInterval { try commitHeldSteps() }
            return applied
        } catch {
            // A step that fails takes the steps held with it, watermark and all (a savepoint per
            // step would undo it alone, but copies every page a step touches: 4.9 -> 6.9 CPU s).
            // They are taken again, each committed on its own, so the failing one is met alone.
            stepCommitInterval = .zero
            stepsHeldSince = nil
            try? database.execute("ROLLBACK")
            try? database.execute("PRAGMA synchronous=FULL")
            try? database.execute("PRAGMA temp_store=DEFAULT")
            throw error
        }
    }

    private func applyStep(_ statements: [SQLStatement], expected: Int64, next: Int64) throws -> Bool {
        try run(SQLStatement("UPDATE norm_progress SET last_seq = $1 WHERE id = 1 AND last_seq = $2",
                             [.integer(next), .integer(expected)]))
        guard database.changes == 1 else { return false }
        for statement in statements { try run(statement) }
        return true
    }

    /// Steps committed together rewrite each page of the tables' random-keyed indexes once per
    /// commit, not once per step: a reparse of the 195 MB corpus, steps committed at most every
    /// 250 ms, 4.7 -> 4.5 CPU s (four runs each). Meanwhile this connection holds the write
    /// lock, so other processes' writes wait for the commit (up to `interval`), and every other
    /// write of this store (a batch of raw envelopes, a token, a sign-in) commits the held steps
    /// first. Committed without waiting for the disk, as a step is.
    public func commitNormalizedSteps(atMostEvery interval: Duration) throws {
        stepCommitInterval = interval
        if interval == .zero { try commitHeldSteps() }
    }

    /// Commits the steps held since ``commitNormalizedSteps(atMostEvery:)`` (if any); a
    /// commit that fails undoes them, watermark and all, to be taken again.
    func commitHeldSteps() throws {
        guard stepsHeldSince != nil else { return }
        stepsHeldSince = nil
        defer {
            try? database.execute("PRAGMA synchronous=FULL")
            try? database.execute("PRAGMA temp_store=DEFAULT")
        }
        do {
            try database.execute("COMMIT")
        } catch {
            try? database.execute("ROLLBACK")
            throw error
        }
        trainTextDictionaryWhenDue()
    }

    /// Arrival order is the rowid: one writer, so a lower rowid never commits after a higher one.
    /// One lane: `lane` is the whole store.
    /// (A VACUUM may renumber rowids: run `sensor-ingest reparse` after one.)
    public func rawEnvelopes(afterSeq seq: Int64, lane: Int?, source: String?, limit: Int, maxBytes: Int) throws -> [RawEnvelope] {
        let statement = if let source {
            SQLStatement(RawStreams.rows(source: true), [.integer(seq), .integer(Int64(limit)), .text(source)])
        } else {
            SQLStatement(RawStreams.rows(source: false), [.integer(seq), .integer(Int64(limit))])
        }
        let prepared = try prepare(statement)
        var rows: [RawEnvelope] = []
        var bytes = 0
        let decompressor = Zstd.Decompressor()
        while bytes < maxBytes, try prepared.step() {
            let json = try unpack(prepared, at: 1, with: decompressor)
            bytes += json.utf8.count
            rows.append(RawEnvelope(seq: prepared.int64(at: 0), tenant: prepared.int64(at: 2), json: json))
        }
        return rows
    }

    func prepare(_ statement: SQLStatement) throws -> Statement {
        let prepared = try database.prepare(statement.sqliteSQL)
        for (index, value) in statement.values.enumerated() { try prepared.bind(value, at: Int32(index + 1)) }
        return prepared
    }

    func run(_ statement: SQLStatement) throws {
        if let rows = statement.rows { return try run(rows, sql: statement.sql) }
        let prepared = try prepare(statement)
        while try prepared.step() {}
    }

    /// Rows upserted by one prepared statement, run once per row.
    private func run(_ rows: RowInsert, sql: String) throws {
        let prepared = try preparedStatement(SQLStatement(sql).sqliteSQL)
        defer { try? prepared.reset() }  // kept for the next batch: holding nothing
        let width = rows.columns.count
        var offset = 0
        for _ in 0..<rows.rowCount {
            try prepared.reset()
            for column in 0..<width { try prepared.bind(rows.values[offset + column], at: Int32(column + 1)) }
            offset += width
            while try prepared.step() {}
        }
    }
}
