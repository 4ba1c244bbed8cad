import SQLiteDB

/// SQLite: the strings raw custody repeated row after row, the batch an envelope came in and
/// the file it was read from, kept once per device in `raw_strings`; each envelope names them
/// by number (`batch_ref`, `path_ref`). On the 195 MB generated corpus they were 12 MB of the
/// raw table (a batch id of 36 characters and a path of about 90 on each of 96,652 rows) and
/// are now about 0.4 MB. Kept per device, so that erasing a device takes its file names with
/// it. PostgreSQL keeps both strings on each row, as before.
package enum RawStrings {
    /// Migration 29: the table, the columns that name its rows, and every stored row's strings
    /// moved into it.
    static let schema: [String] = [
        "CREATE TABLE raw_strings (id INTEGER PRIMARY KEY, tenant_id INTEGER NOT NULL, device TEXT NOT NULL, value TEXT NOT NULL)",
        "CREATE UNIQUE INDEX raw_strings_value ON raw_strings(tenant_id, device, value)",
        "ALTER TABLE raw_envelopes ADD COLUMN batch_ref INTEGER",
        "ALTER TABLE raw_envelopes ADD COLUMN path_ref INTEGER",
        """
        INSERT OR IGNORE INTO raw_strings(tenant_id, device, value)
        SELECT DISTINCT tenant_id, device, batch_id FROM raw_envelopes WHERE batch_id != ''
        UNION SELECT DISTINCT tenant_id, device, locator_path FROM raw_envelopes WHERE locator_path IS NOT NULL
        """,
        """
        UPDATE raw_envelopes SET
          batch_ref = (SELECT s.id FROM raw_strings s WHERE s.tenant_id = raw_envelopes.tenant_id AND s.device = raw_envelopes.device
                       AND s.value = raw_envelopes.batch_id),
          path_ref = (SELECT s.id FROM raw_strings s WHERE s.tenant_id = raw_envelopes.tenant_id AND s.device = raw_envelopes.device
                      AND s.value = raw_envelopes.locator_path),
          batch_id = '', locator_path = NULL
        WHERE batch_id != '' OR locator_path IS NOT NULL
        """,
    ]

    /// The column expression of an envelope's file (`locator.path`).
    static let path = "coalesce((SELECT s.value FROM raw_strings s WHERE s.id = path_ref), locator_path, json_extract(envelope, '$.locator.path'))"

    /// Deletes the strings no envelope names any more (after retention removed envelopes): each
    /// list of names read once, not a search of every row per string.
    static let unused = SQLStatement("""
        DELETE FROM raw_strings WHERE id NOT IN (SELECT batch_ref FROM raw_envelope_rows WHERE batch_ref IS NOT NULL)
          AND id NOT IN (SELECT path_ref FROM raw_envelope_rows WHERE path_ref IS NOT NULL)
        """)

    /// The statements ``numbers(for:batchID:tenant:find:add:in:)`` runs (prepared once by the store).
    static let find = "SELECT id FROM raw_strings WHERE tenant_id = ?1 AND device = ?2 AND value = ?3"
    static let add = "INSERT INTO raw_strings(tenant_id, device, value) VALUES (?1, ?2, ?3)"

    /// The numbers of the batch id and the paths of `envelopes`, by device, each added when
    /// new. Runs in the inserting transaction.
    static func numbers(for envelopes: [ValidEnvelope], batchID: String, tenant: Int64,
                        find: Statement, add: Statement, in database: Database) throws -> [String: [String: Int64]] {
        var wanted: [String: Set<String>] = [:]
        for envelope in envelopes { wanted[envelope.device, default: [batchID]].insert(envelope.path ?? batchID) }
        var numbers: [String: [String: Int64]] = [:]
        for (device, values) in wanted {
            for value in values {
                numbers[device, default: [:]][value] = try InternedValues.number(of: [.integer(tenant), .text(device), .text(value)],
                                                                                 find: find, add: add, in: database)
            }
        }
        return numbers
    }
}
