import SQLiteDB

/// SQLite: what every envelope of one device, source and kind repeats, kept once.
///
/// Raw custody's rows live in `raw_envelope_rows`, each naming its stream (tenant, device,
/// source and kind: `raw_streams`) by number; `raw_envelopes` is a view that joins them, so
/// every read of raw custody is unchanged. Deleting from the view deletes the rows (an INSTEAD
/// OF trigger); the store's own insert writes the rows directly (``numbers(for:tenant:find:add:in:)``),
/// and an insert into the view works too. On the 195 MB generated corpus the three strings
/// were about 70 bytes on each of 96,652 rows and most of two indexes' 11 MB; an index on the
/// stream number and arrival time now serves what those two served (a device's envelopes, a
/// source's). PostgreSQL keeps the strings on each row (its lane is computed from the device).
package enum RawStreams {
    /// Migration 30: the streams, the rows moved under them (with their rowids: watermarks
    /// count them), the view, and the triggers that keep it writable.
    static let schema: [String] = [
        "CREATE TABLE raw_streams (id INTEGER PRIMARY KEY, tenant_id INTEGER NOT NULL, device TEXT NOT NULL, source TEXT NOT NULL, kind TEXT NOT NULL)",
        "CREATE UNIQUE INDEX raw_streams_key ON raw_streams(tenant_id, device, source, kind)",
        "CREATE INDEX raw_streams_source ON raw_streams(source, kind)",
        """
        INSERT INTO raw_streams(tenant_id, device, source, kind)
        SELECT DISTINCT tenant_id, device, source, kind FROM raw_envelopes ORDER BY 1, 2, 3, 4
        """,
        // The envelope last: the columns before it are read without touching its bytes. The
        // key starts with the id and no index of the rows starts with the tenant, so that with
        // no statistics SQLite still finds a tenant's or a device's rows through their streams
        // (a row's tenant is its stream's; the view shows the stream's).
        """
        CREATE TABLE raw_envelope_rows (
            id TEXT NOT NULL,
            tenant_id INTEGER NOT NULL DEFAULT 1,
            stream INTEGER NOT NULL,
            token_id INTEGER NOT NULL,
            received_at TEXT NOT NULL,
            envelope_bytes INTEGER,
            batch_ref INTEGER,
            path_ref INTEGER,
            batch_id TEXT NOT NULL DEFAULT '',
            locator_path TEXT,
            envelope TEXT NOT NULL,
            PRIMARY KEY (id, tenant_id)
        )
        """,
        """
        INSERT INTO raw_envelope_rows(rowid, tenant_id, id, stream, token_id, received_at, envelope_bytes, batch_ref, path_ref,
                                      batch_id, locator_path, envelope)
        SELECT r.rowid, r.tenant_id, r.id, s.id, r.token_id, r.received_at, r.envelope_bytes, r.batch_ref, r.path_ref,
               r.batch_id, r.locator_path, r.envelope
        FROM raw_envelopes r JOIN raw_streams s
          ON s.tenant_id = r.tenant_id AND s.device = r.device AND s.source = r.source AND s.kind = r.kind
        ORDER BY r.rowid
        """,
        "DROP TABLE raw_envelopes",
        "CREATE INDEX raw_envelope_rows_stream ON raw_envelope_rows(stream, received_at)",
        """
        CREATE VIEW raw_envelopes AS
        SELECT r.rowid AS rowid, s.tenant_id, r.id, s.source, s.kind, s.device, r.token_id, r.batch_id, r.received_at,
               r.envelope, r.envelope_bytes, r.locator_path, r.batch_ref, r.path_ref
        FROM raw_envelope_rows r JOIN raw_streams s ON s.id = r.stream
        """,
        """
        CREATE TRIGGER raw_envelope_rows_not_erased BEFORE INSERT ON raw_envelope_rows
        WHEN EXISTS (SELECT 1 FROM erased_envelopes e WHERE e.tenant_id = new.tenant_id AND e.id = new.id)
        BEGIN SELECT RAISE(IGNORE); END
        """,
        """
        CREATE TRIGGER raw_envelopes_delete INSTEAD OF DELETE ON raw_envelopes
        BEGIN DELETE FROM raw_envelope_rows WHERE rowid = old.rowid; END
        """,
        """
        CREATE TRIGGER raw_envelopes_insert INSTEAD OF INSERT ON raw_envelopes
        BEGIN
          INSERT OR IGNORE INTO raw_streams(tenant_id, device, source, kind)
          VALUES (coalesce(new.tenant_id, 1), new.device, new.source, new.kind);
          INSERT INTO raw_envelope_rows(tenant_id, id, stream, token_id, received_at, envelope_bytes, batch_ref, path_ref,
                                        batch_id, locator_path, envelope)
          VALUES (coalesce(new.tenant_id, 1), new.id,
                  (SELECT id FROM raw_streams WHERE tenant_id = coalesce(new.tenant_id, 1) AND device = new.device
                     AND source = new.source AND kind = new.kind),
                  new.token_id, new.received_at, new.envelope_bytes, new.batch_ref, new.path_ref,
                  coalesce(new.batch_id, ''), new.locator_path, new.envelope);
        END
        """,
    ]

    /// Deletes the streams no row names any more (after retention removed envelopes), along the
    /// stream index.
    static let unused = SQLStatement("DELETE FROM raw_streams WHERE NOT EXISTS (SELECT 1 FROM raw_envelope_rows r WHERE r.stream = raw_streams.id)")

    /// The statements ``numbers(for:tenant:find:add:in:)`` runs (prepared once by the store).
    static let find = "SELECT id FROM raw_streams WHERE tenant_id = ?1 AND device = ?2 AND source = ?3 AND kind = ?4"
    static let add = "INSERT INTO raw_streams(tenant_id, device, source, kind) VALUES (?1, ?2, ?3, ?4)"

    /// The stream a row of raw custody names.
    struct Key: Hashable {
        var device: String
        var source: String
        var kind: String
    }

    /// The stream numbers of `envelopes`, each stream added when new. Runs in the inserting
    /// transaction.
    static func numbers(for envelopes: [ValidEnvelope], tenant: Int64,
                        find: Statement, add: Statement, in database: Database) throws -> [Key: Int64] {
        var numbers: [Key: Int64] = [:]
        for envelope in envelopes {
            let key = Key(device: envelope.device, source: envelope.source, kind: envelope.kind)
            guard numbers[key] == nil else { continue }
            numbers[key] = try InternedValues.number(of: [.integer(tenant), .text(key.device), .text(key.source), .text(key.kind)],
                                                     find: find, add: add, in: database)
        }
        return numbers
    }

    /// The newest `?4` envelopes of device `?2`'s source `?3` in tenant `?1` (a dictionary's
    /// samples), newest first, with their arrival: their rowids sorted along the stream index,
    /// then only those rows read.
    static let newest = """
        SELECT envelope, received_at FROM raw_envelope_rows WHERE rowid IN (
            SELECT rowid FROM raw_envelope_rows
            WHERE stream IN (SELECT id FROM raw_streams WHERE tenant_id = ?1 AND device = ?2 AND source = ?3) ORDER BY rowid DESC LIMIT ?4)
        ORDER BY rowid DESC
        """

    /// The rows of raw custody in arrival order, for a reader that needs none of the stream's
    /// strings (no join); `source` narrows them to one source's streams.
    static func rows(source: Bool) -> String {
        source
            ? "SELECT rowid, envelope, tenant_id FROM raw_envelope_rows WHERE rowid > $1 AND stream IN (SELECT id FROM raw_streams WHERE source = $3) ORDER BY rowid LIMIT $2"
            : "SELECT rowid, envelope, tenant_id FROM raw_envelope_rows WHERE rowid > $1 ORDER BY rowid LIMIT $2"
    }
}
