import Foundation
import SQLiteDB

/// PostgreSQL's raw custody partitioned by the month it was received, so that retention drops a
/// month whole (no row-by-row delete, no bloat left behind) and a query over a window reads only
/// its months.
///
/// A unique index of a partitioned table must hold the partition key, and an envelope sent
/// again next month must still be a repeat: the ids are kept apart, in `raw_ids` (tenant, id),
/// unpartitioned. An insert claims its ids there first and stores only the envelopes whose id it
/// claimed. The ids outlive their envelopes (a month dropped, an erasure), so a resend of what
/// is gone is acknowledged as a repeat and stores nothing: the tombstone an erasure needs,
/// without a trigger on every insert.
///
/// Months are created three ahead (at start-up and hourly while ingesting); a row whose month
/// has none lands in the default partition, and is moved into its month when the month is made.
/// Normalised messages are not partitioned by time: their retention goes by conversation (a
/// conversation's words go when its last activity passes the window), which no month of
/// messages lines up with.
package enum RawPartitions {
    /// Months made ahead of the current one.
    package static let monthsAhead = 3

    /// The columns an envelope row is written with (the lane is computed).
    static let columns = "tenant_id, id, source, kind, device, token_id, batch_id, received_at, envelope, seq, envelope_zstd, envelope_bytes, locator_path"

    package static let schema: [String] = [
        "CREATE TABLE raw_ids (tenant_id BIGINT NOT NULL, id TEXT NOT NULL, PRIMARY KEY (tenant_id, id))",
        "ALTER TABLE raw_envelopes RENAME TO raw_envelopes_unpartitioned",
        """
        CREATE TABLE raw_envelopes (
            tenant_id BIGINT NOT NULL DEFAULT 1, id TEXT NOT NULL, source TEXT NOT NULL, kind TEXT NOT NULL, device TEXT NOT NULL,
            token_id BIGINT NOT NULL, batch_id TEXT NOT NULL, received_at TIMESTAMPTZ NOT NULL DEFAULT now(), envelope TEXT,
            seq BIGINT NOT NULL DEFAULT nextval('raw_envelopes_seq_seq'), envelope_zstd BYTEA, envelope_bytes BIGINT, locator_path TEXT,
            \(NormalizationLanes.postgresColumn)
        ) PARTITION BY RANGE (received_at)
        """,
        "ALTER TABLE raw_envelopes ALTER COLUMN envelope_zstd SET STORAGE EXTERNAL",
        "ALTER SEQUENCE raw_envelopes_seq_seq OWNED BY raw_envelopes.seq",
        "CREATE TABLE raw_envelopes_default PARTITION OF raw_envelopes DEFAULT",
        "CREATE INDEX raw_envelopes_by_id ON raw_envelopes(tenant_id, id)",
        "CREATE INDEX raw_envelopes_by_seq ON raw_envelopes(seq)",
        "CREATE INDEX raw_envelopes_by_lane ON raw_envelopes(lane, seq)",
        "CREATE INDEX raw_envelopes_by_kind ON raw_envelopes(source, kind)",
        "CREATE INDEX raw_envelopes_by_device ON raw_envelopes(tenant_id, device, received_at)",
        "CREATE INDEX raw_envelopes_by_received ON raw_envelopes(tenant_id, received_at)",
        // Makes the month starting at `month` (UTC), once, moving into it whatever the default
        // partition holds of it. Concurrent servers: the first makes it, the others find it.
        """
        CREATE FUNCTION raw_envelopes_month(month DATE) RETURNS void LANGUAGE plpgsql AS $$
        DECLARE
          name TEXT := 'raw_envelopes_' || to_char(month, 'YYYY_MM');
          low TIMESTAMPTZ := (month::text || ' 00:00:00+00')::timestamptz;
          high TIMESTAMPTZ := ((month + interval '1 month')::date::text || ' 00:00:00+00')::timestamptz;
        BEGIN
          IF to_regclass(name) IS NOT NULL THEN RETURN; END IF;
          PERFORM pg_advisory_xact_lock(7414212507);
          IF to_regclass(name) IS NOT NULL THEN RETURN; END IF;
          IF EXISTS (SELECT 1 FROM raw_envelopes_default WHERE received_at >= low AND received_at < high) THEN
            EXECUTE format('CREATE TABLE %I (LIKE raw_envelopes INCLUDING DEFAULTS INCLUDING GENERATED INCLUDING STORAGE)', name);
            EXECUTE format('WITH moved AS (DELETE FROM raw_envelopes_default WHERE received_at >= %L AND received_at < %L RETURNING \(columns)) '
                           'INSERT INTO %I (\(columns)) SELECT \(columns) FROM moved', low, high, name);
            EXECUTE format('ALTER TABLE raw_envelopes ATTACH PARTITION %I FOR VALUES FROM (%L) TO (%L)', name, low, high);
          ELSE
            EXECUTE format('CREATE TABLE %I PARTITION OF raw_envelopes FOR VALUES FROM (%L) TO (%L)', name, low, high);
          END IF;
        END $$
        """,
        // The months the rows already stored fall in, and the months ahead; then the rows.
        """
        SELECT raw_envelopes_month(month::date) FROM generate_series(
            date_trunc('month', coalesce((SELECT min(received_at) FROM raw_envelopes_unpartitioned), now()) AT TIME ZONE 'UTC'),
            greatest(date_trunc('month', now() AT TIME ZONE 'UTC') + interval '\(monthsAhead) months',
                     date_trunc('month', (SELECT max(received_at) FROM raw_envelopes_unpartitioned) AT TIME ZONE 'UTC')),
            interval '1 month') AS month
        """,
        "INSERT INTO raw_envelopes (\(columns)) SELECT \(columns) FROM raw_envelopes_unpartitioned",
        "INSERT INTO raw_ids (tenant_id, id) SELECT tenant_id, id FROM raw_envelopes_unpartitioned",
        "INSERT INTO raw_ids (tenant_id, id) SELECT tenant_id, id FROM erased_envelopes ON CONFLICT DO NOTHING",
        "DROP TABLE raw_envelopes_unpartitioned",
        // An erased id is in raw_ids for good: the per-row check on every insert is not needed.
        "DROP FUNCTION raw_envelopes_not_erased()",
    ]

    /// Makes this month and the ``monthsAhead`` after it, where missing.
    package static let ensureMonths = """
        SELECT raw_envelopes_month(month::date) FROM generate_series(
            date_trunc('month', now() AT TIME ZONE 'UTC'), date_trunc('month', now() AT TIME ZONE 'UTC') + interval '\(monthsAhead) months',
            interval '1 month') AS month
        """

    /// A month of raw custody: its table and the instant it ends.
    package struct Month: Sendable, Equatable {
        package var table: String
        package var end: Date
    }

    /// The months that exist, oldest first (the default partition is none of them).
    package static func months(in store: any NormalizedStore) async throws -> [Month] {
        guard store.dialect == .postgres else { return [] }
        let calendar = Self.calendar
        return try await store.query(SQLStatement("""
            SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
            WHERE i.inhparent = 'raw_envelopes'::regclass AND c.relname ~ '^raw_envelopes_[0-9]{4}_[0-9]{2}$' ORDER BY c.relname
            """)).compactMap { row -> Month? in
            guard let table = row[0].text else { return nil }
            let parts = table.split(separator: "_").suffix(2).compactMap { Int($0) }
            guard parts.count == 2, let start = calendar.date(from: DateComponents(year: parts[0], month: parts[1], day: 1)),
                  let end = calendar.date(byAdding: .month, value: 1, to: start) else { return nil }
            return Month(table: table, end: end)
        }
    }

    static var calendar: Calendar {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        return calendar
    }
}
