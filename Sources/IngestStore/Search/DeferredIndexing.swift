/// SQLite: rows written to the normalised tables wait in a queue (their rowids) and are put
/// into the search index many at a time, at the end of each catch-up and every
/// ``Normalizer/searchLag`` during a long one.
///
/// Indexed row by row from triggers, storing and normalising the 195 MB generated corpus as it
/// arrived took 29.5 CPU s, of which the index was 10.6 s; the same rows indexed in one pass
/// over the finished tables take 1.7 s. Only new rows wait: an edit of a row already indexed
/// reaches the index at once (its old text must be deleted while it is still known), and a
/// row deleted before it was indexed just leaves the queue.
extension FullTextSearch {
    /// SQLite, migration 11: the queues, and triggers that fill them in place of those that
    /// indexed each row as it was written. Like those, they stand still while the index is
    /// paused.
    static let deferred: [String] = triggerNames.map { "DROP TRIGGER \($0)" }
        + indexedTables.map { "CREATE TABLE \($0.queue) (row INTEGER PRIMARY KEY)" } + deferredTriggers(unpacking: false)

    /// The queueing triggers; `unpacking` (since migration 28): the old text a deletion takes
    /// out of the index is the text as written, not as packed (see ``PackedText``).
    static func deferredTriggers(unpacking: Bool) -> [String] {
        indexedTables.flatMap { table, index, columns, queue, _ in
            let names = columns.joined(separator: ", ")
            let value = { (column: String) in unpacking ? "unpack_text(\(column))" : column }
            let old = columns.map { value("old.\($0)") }.joined(separator: ", ")
            let new = columns.map { value("new.\($0)") }.joined(separator: ", ")
            let indexed = "NOT EXISTS (SELECT 1 FROM \(queue) WHERE row = old.rowid)"
            return [
                "CREATE TRIGGER \(index)_insert AFTER INSERT ON \(table) WHEN \(isLive) BEGIN INSERT OR IGNORE INTO \(queue)(row) VALUES (new.rowid); END",
                """
                CREATE TRIGGER \(index)_delete AFTER DELETE ON \(table) WHEN \(isLive) BEGIN
                  INSERT INTO \(index)(\(index), rowid, \(names)) SELECT 'delete', old.rowid, \(old) WHERE \(indexed);
                  DELETE FROM \(queue) WHERE row = old.rowid;
                END
                """,
                """
                CREATE TRIGGER \(index)_update AFTER UPDATE OF \(names) ON \(table) WHEN \(isLive) AND \(indexed) BEGIN
                  INSERT INTO \(index)(\(index), rowid, \(names)) VALUES ('delete', old.rowid, \(old));
                  INSERT INTO \(index)(rowid, \(names)) VALUES (new.rowid, \(new));
                END
                """,
            ]
        }
    }

    /// SQLite: the statements that index every queued row and empty the queues (one
    /// transaction: a row is in the index or in its queue, never both, never neither).
    package static let indexQueued: [SQLStatement] = indexedTables.flatMap { _, index, columns, queue, content in
        let names = columns.joined(separator: ", ")
        return [
            SQLStatement("""
                INSERT INTO \(index)(rowid, \(names))
                SELECT t.row, \(columns.map { "t.\($0)" }.joined(separator: ", ")) FROM \(queue) q JOIN \(content) t ON t.row = q.row
                """),
            SQLStatement("DELETE FROM \(queue)"),
        ]
    }

    /// SQLite: the queues emptied, when the index is built from the whole tables.
    static let forgetQueued: [SQLStatement] = indexedTables.map { SQLStatement("DELETE FROM \($0.queue)") }

    /// SQLite: whether any row waits (1) or none (0).
    private static let anyQueued = SQLStatement("SELECT " + indexedTables.map { "EXISTS (SELECT 1 FROM \($0.queue))" }.joined(separator: " OR "))

    /// Puts the rows written since the last time into the index (SQLite; nothing on PostgreSQL,
    /// whose index is a column of each row).
    public func indexQueued() async throws {
        guard store.dialect == .sqlite else { return }
        // Read first: an idle server's catch-ups (one every few seconds) take no write lock.
        guard try await store.query(Self.anyQueued).first?.first?.int == 1 else { return }
        try await store.execute(Self.indexQueued)
    }
}
