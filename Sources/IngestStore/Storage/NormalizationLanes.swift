import SQLiteDB

/// The raw store divided so that several servers can normalise it at once.
///
/// Every raw envelope belongs to one lane, decided by its tenant and device: a device's files,
/// and so each of its sessions, stay in one lane, and a lane is normalised in arrival order by
/// one normaliser at a time (it holds the lane's lease), from the lane's own watermark. N servers
/// on one PostgreSQL database then normalise up to N lanes at once, each record exactly once.
/// A lane is numbered from 1; its watermark is the row of `norm_progress` and its lease the row
/// of `norm_lease` with that id.
///
/// SQLite has one writer, so one lane: lane 1 is the whole store.
package enum NormalizationLanes {
    /// PostgreSQL's lanes: more than the servers a fleet runs, few enough that an idle check
    /// of all of them is one short query.
    package static let postgres = 16

    /// How many lanes a store of `dialect` has.
    package static func count(_ dialect: SQLDialect) -> Int { dialect == .sqlite ? 1 : postgres }

    /// Every lane of a store of `dialect`.
    package static func all(_ dialect: SQLDialect) -> [Int] { Array(1...count(dialect)) }

    /// PostgreSQL: the `lane` column of raw custody, stored, computed from the row itself (md5
    /// is the same on every server and version, so a device's lane never moves).
    package static let postgresColumn =
        "lane INT NOT NULL GENERATED ALWAYS AS (get_byte(decode(md5(tenant_id::text || '/' || device), 'hex'), 0) % \(postgres) + 1) STORED"

    /// PostgreSQL: the lane column, indexed with the arrival number; a watermark and a lease row
    /// for each lane, the watermarks starting where the one watermark was (everything up to it
    /// is normalised in every lane).
    package static let postgresSchema: [String] = [
        "ALTER TABLE raw_envelopes ADD COLUMN \(postgresColumn)",
        "CREATE INDEX raw_envelopes_lane ON raw_envelopes(lane, seq)",
        """
        INSERT INTO norm_progress(id, last_seq)
        SELECT lane, (SELECT last_seq FROM norm_progress WHERE id = 1) FROM generate_series(2, \(postgres)) AS lane
        """,
        "INSERT INTO norm_lease(id, holder, expires_at) SELECT lane, '', 0 FROM generate_series(2, \(postgres)) AS lane",
    ]

    /// The condition that raw envelope `alias` is normalised already (its lane's watermark is
    /// past it), for what may only touch normalised raw custody (retention).
    package static func normalized(_ alias: String, dialect: SQLDialect) -> String {
        "\(arrival(of: alias, dialect: dialect)) <= (SELECT last_seq FROM norm_progress WHERE id = \(lane(of: alias, dialect: dialect)))"
    }

    /// The condition that raw envelope `alias` waits in the lane of watermark row `progress`.
    package static func pending(_ alias: String, in progress: String, dialect: SQLDialect) -> String {
        "\(lane(of: alias, dialect: dialect)) = \(progress).id AND \(arrival(of: alias, dialect: dialect)) > \(progress).last_seq"
    }

    /// The lane of raw envelope `alias`, as SQL.
    package static func lane(of alias: String, dialect: SQLDialect) -> String {
        dialect == .sqlite ? "1" : "\(alias).lane"
    }

    /// The arrival number of raw envelope `alias` (what a watermark counts), as SQL.
    package static func arrival(of alias: String, dialect: SQLDialect) -> String {
        dialect == .sqlite ? "\(alias).rowid" : "\(alias).seq"
    }
}
