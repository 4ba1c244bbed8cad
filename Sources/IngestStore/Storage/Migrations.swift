/// One versioned step of a store's schema, applied once, in a transaction, recorded in
/// `schema_migrations`.
package struct Migration: Sendable {
    package var version: Int
    package var name: String
    /// Run in order; one statement each (PostgreSQL's extended protocol takes one at a time).
    package var statements: [String]
}

/// The schema of each store, oldest first. Append only: a released migration is never edited,
/// a change is a new version.
package enum Migrations {
    package static let sqlite: [Migration] = [
        Migration(version: 1, name: "raw envelopes and tokens", statements: [
            """
            CREATE TABLE raw_envelopes (
                id TEXT PRIMARY KEY,
                source TEXT NOT NULL,
                kind TEXT NOT NULL,
                device TEXT NOT NULL,
                token_id INTEGER NOT NULL,
                batch_id TEXT NOT NULL,
                received_at TEXT NOT NULL,
                envelope TEXT NOT NULL
            )
            """,
            "CREATE INDEX raw_envelopes_source_kind ON raw_envelopes(source, kind)",
            """
            CREATE TABLE tokens (
                id INTEGER PRIMARY KEY AUTOINCREMENT,
                name TEXT NOT NULL,
                hash TEXT NOT NULL UNIQUE,
                created_at TEXT NOT NULL,
                revoked_at TEXT
            )
            """,
        ]),
        Migration(version: 2, name: "normalised sessions", statements: NormalizedSchema.statements(.sqlite)),
        Migration(version: 3, name: "token scopes, expiry and device binding", statements: [
            // Tokens made before scopes existed were laptop tokens: they can send, nothing more.
            "ALTER TABLE tokens ADD COLUMN scope TEXT NOT NULL DEFAULT 'ingest'",
            "ALTER TABLE tokens ADD COLUMN expires_at TEXT",
            "ALTER TABLE tokens ADD COLUMN device TEXT",
        ]),
        Migration(version: 4, name: "tenants", statements: [
            "CREATE TABLE tenants (id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT NOT NULL UNIQUE, created_at TEXT NOT NULL)",
            // A single-tenant install needs no step of its own: everything so far is the default tenant's.
            "INSERT INTO tenants(id, name, created_at) VALUES (1, 'default', strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))",
            "ALTER TABLE tokens ADD COLUMN tenant_id INTEGER NOT NULL DEFAULT 1",
            // Envelope ids are unique per tenant: one tenant cannot suppress another's record by
            // sending its id first. The table is rebuilt with its rows in arrival order (rowid),
            // so the normaliser's watermark still holds.
            """
            CREATE TABLE raw_envelopes_by_tenant (
                tenant_id INTEGER NOT NULL DEFAULT 1,
                id TEXT NOT NULL,
                source TEXT NOT NULL,
                kind TEXT NOT NULL,
                device TEXT NOT NULL,
                token_id INTEGER NOT NULL,
                batch_id TEXT NOT NULL,
                received_at TEXT NOT NULL,
                envelope TEXT NOT NULL,
                PRIMARY KEY (tenant_id, id)
            )
            """,
            """
            INSERT INTO raw_envelopes_by_tenant(rowid, tenant_id, id, source, kind, device, token_id, batch_id, received_at, envelope)
            SELECT rowid, 1, id, source, kind, device, token_id, batch_id, received_at, envelope FROM raw_envelopes ORDER BY rowid
            """,
            "DROP TABLE raw_envelopes",
            "ALTER TABLE raw_envelopes_by_tenant RENAME TO raw_envelopes",
            "CREATE INDEX raw_envelopes_source_kind ON raw_envelopes(source, kind)",
            "ALTER TABLE norm_sessions ADD COLUMN tenant_id INTEGER NOT NULL DEFAULT 1",
            "CREATE INDEX norm_sessions_tenant ON norm_sessions(tenant_id, started_at)",
            """
            CREATE TABLE norm_drift_by_tenant (
                tenant_id INTEGER NOT NULL DEFAULT 1, source TEXT NOT NULL, tool TEXT NOT NULL, tool_version TEXT NOT NULL,
                kind TEXT NOT NULL, reason TEXT NOT NULL, name TEXT NOT NULL, count INTEGER NOT NULL,
                PRIMARY KEY (tenant_id, source, tool, tool_version, kind, reason, name))
            """,
            "INSERT INTO norm_drift_by_tenant SELECT 1, source, tool, tool_version, kind, reason, name, count FROM norm_drift",
            "DROP TABLE norm_drift",
            "ALTER TABLE norm_drift_by_tenant RENAME TO norm_drift",
        ]),
        Migration(version: 5, name: "normaliser lease", statements: NormalizerLease.schema),
        Migration(version: 6, name: "explorer: search, cost estimates, sign-ins, drift detail", statements: explorer(.sqlite)),
        Migration(version: 7, name: "search index paused during a whole reparse", statements: FullTextSearch.pausable),
        Migration(version: 8, name: "raw envelopes compressed with zstd", statements: RawCustody.schema(.sqlite)),
        Migration(version: 9, name: "search index: larger segments, merged sixteen at a time", statements: FullTextSearch.tuning),
        Migration(version: 10, name: "usage rows priced by their session's model", statements: [usageModelsIndex]),
        Migration(version: 11, name: "search index: new rows indexed many at a time", statements: FullTextSearch.deferred),
        Migration(version: 12, name: "normalised keys carry the tenant as a part of their own", statements: renormalizeAll),
        Migration(version: 13, name: "secrets redacted, by record and rule", statements: RawRedactions.schema(.sqlite)),
        Migration(version: 14, name: "devices: what each sensor says of its machine", statements: DeviceDirectory.schema(.sqlite)),
        Migration(version: 15, name: "enrollment: secrets and the devices they enrolled", statements: Enrollments.schema(.sqlite)),
        Migration(version: 16, name: "people, teams, device owners and accounts in use",
                  statements: PeopleDirectory.schema(.sqlite) + AccountsInUse.schema(.sqlite) + renormalizeAll),
        Migration(version: 17, name: "roles: grants, the smallest group shown, the access log, one-time sign-in links, single sign-on",
                  statements: Grants.schema(.sqlite) + AccessLog.schema(.sqlite) + SignInLinks.schema(.sqlite)
                      + SingleSignOnStore.schema(.sqlite)),
        Migration(version: 18, name: "an organisation's promises: retention, legal holds, erasure, budgets and alerts",
                  statements: promises(.sqlite)),
        Migration(version: 19, name: "how far each connector has read", statements: ConnectorWatermarks.schema(.sqlite)),
        Migration(version: 20, name: "a response counted once whether a transcript or telemetry reports it", statements: OneUsagePerRequest.schema(.sqlite)),
        Migration(version: 21, name: "envelopes received per device and day", statements: DeviceDays.schema(.sqlite)),
        // SQLite's index lists matches in rowid order already. The version keeps both stores in step.
        Migration(version: 22, name: "search: the newest matches first without sorting every match", statements: []),
        Migration(version: 23, name: "each session's messages, tokens and cost, kept as they are written", statements: SessionTotals.schema(.sqlite)),
        Migration(version: 24, name: "daily usage carries its session's tenant, tool, project, device, model and first day",
                  statements: UsageByDay.sessionFacets(.sqlite)),
        Migration(version: 25, name: "a reported row keeps the tool whose conversation it joins", statements: UsageIntoConversations.schema),
        Migration(version: 26, name: "the overview's leaders read along an index", statements: UsageByDay.leaderIndexes(.sqlite)),
        Migration(version: 27, name: "search index: which rows hold a word, not where in them", statements: FullTextSearch.withoutPlaces),
        Migration(version: 28, name: "long text kept compressed", statements: PackedText.packStored),
        Migration(version: 29, name: "raw custody's batch ids and file names kept once per device", statements: RawStrings.schema),
        Migration(version: 30, name: "raw custody's device, source and kind kept once per stream", statements: RawStreams.schema),
        Migration(version: 31, name: "the daily sums stand still during a whole reparse, summed once at its end",
                  statements: UsageByDay.pausedDuringReparse),
        Migration(version: 32, name: "each zstd dictionary learns from one device's envelopes, and leaves with them",
                  statements: DictionaryRetirement.schema(.sqlite)),
        Migration(version: 33, name: "each session's totals carry its tenant and start",
                  statements: SessionTotals.sessionFacets(.sqlite, adding: SessionTotals.firstFacets, to: [])),
        Migration(version: 34, name: "each session's totals carry its device, tool and last activity",
                  statements: SessionTotals.sessionFacets(.sqlite, adding: SessionTotals.laterFacets, to: SessionTotals.firstFacets)),
    ]

    package static let postgres: [Migration] = [
        Migration(version: 1, name: "raw envelopes and tokens", statements: [
            """
            CREATE TABLE raw_envelopes (
                id TEXT PRIMARY KEY,
                source TEXT NOT NULL,
                kind TEXT NOT NULL,
                device TEXT NOT NULL,
                token_id BIGINT NOT NULL,
                batch_id TEXT NOT NULL,
                received_at TIMESTAMPTZ NOT NULL DEFAULT now(),
                envelope TEXT NOT NULL
            )
            """,
            "CREATE INDEX raw_envelopes_source_kind ON raw_envelopes(source, kind)",
            """
            CREATE TABLE tokens (
                id BIGSERIAL PRIMARY KEY,
                name TEXT NOT NULL,
                hash TEXT NOT NULL UNIQUE,
                created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
                revoked_at TIMESTAMPTZ
            )
            """,
        ]),
        Migration(version: 2, name: "normalised sessions", statements: [
            // Arrival order, for normalising in the order records came.
            "ALTER TABLE raw_envelopes ADD COLUMN seq BIGSERIAL",
            "CREATE UNIQUE INDEX raw_envelopes_seq ON raw_envelopes(seq)",
        ] + NormalizedSchema.statements(.postgres)),
        Migration(version: 3, name: "token scopes, expiry and device binding", statements: [
            "ALTER TABLE tokens ADD COLUMN scope TEXT NOT NULL DEFAULT 'ingest'",
            "ALTER TABLE tokens ADD COLUMN expires_at TIMESTAMPTZ",
            "ALTER TABLE tokens ADD COLUMN device TEXT",
        ]),
        Migration(version: 4, name: "tenants", statements: [
            "CREATE TABLE tenants (id BIGSERIAL PRIMARY KEY, name TEXT NOT NULL UNIQUE, created_at TIMESTAMPTZ NOT NULL DEFAULT now())",
            "INSERT INTO tenants(id, name) VALUES (1, 'default')",
            "SELECT setval(pg_get_serial_sequence('tenants', 'id'), 1)",
            "ALTER TABLE tokens ADD COLUMN tenant_id BIGINT NOT NULL DEFAULT 1",
            "ALTER TABLE raw_envelopes ADD COLUMN tenant_id BIGINT NOT NULL DEFAULT 1",
            "ALTER TABLE raw_envelopes DROP CONSTRAINT raw_envelopes_pkey",
            "ALTER TABLE raw_envelopes ADD PRIMARY KEY (tenant_id, id)",
            "ALTER TABLE norm_sessions ADD COLUMN tenant_id BIGINT NOT NULL DEFAULT 1",
            "CREATE INDEX norm_sessions_tenant ON norm_sessions(tenant_id, started_at)",
            "ALTER TABLE norm_drift ADD COLUMN tenant_id BIGINT NOT NULL DEFAULT 1",
            "ALTER TABLE norm_drift DROP CONSTRAINT norm_drift_pkey",
            "ALTER TABLE norm_drift ADD PRIMARY KEY (tenant_id, source, tool, tool_version, kind, reason, name)",
        ]),
        Migration(version: 5, name: "normaliser lease", statements: NormalizerLease.schema),
        Migration(version: 6, name: "explorer: search, cost estimates, sign-ins, drift detail", statements: explorer(.postgres)),
        // PostgreSQL's index is a generated column: nothing to pause. The version keeps both stores in step.
        Migration(version: 7, name: "search index paused during a whole reparse", statements: []),
        Migration(version: 8, name: "raw envelopes compressed with zstd", statements: RawCustody.schema(.postgres)),
        Migration(version: 9, name: "usage rows priced by their session's model", statements: [usageModelsIndex]),
        Migration(version: 10, name: "normalised keys carry the tenant as a part of their own", statements: renormalizeAll),
        Migration(version: 11, name: "secrets redacted, by record and rule", statements: RawRedactions.schema(.postgres)),
        Migration(version: 12, name: "devices: what each sensor says of its machine", statements: DeviceDirectory.schema(.postgres)),
        Migration(version: 13, name: "enrollment: secrets and the devices they enrolled", statements: Enrollments.schema(.postgres)),
        Migration(version: 14, name: "people, teams, device owners and accounts in use",
                  statements: PeopleDirectory.schema(.postgres) + AccountsInUse.schema(.postgres) + renormalizeAll),
        Migration(version: 15, name: "roles: grants, the smallest group shown, the access log, one-time sign-in links, single sign-on",
                  statements: Grants.schema(.postgres) + AccessLog.schema(.postgres) + SignInLinks.schema(.postgres)
                      + SingleSignOnStore.schema(.postgres)),
        Migration(version: 16, name: "an organisation's promises: retention, legal holds, erasure, budgets and alerts",
                  statements: promises(.postgres)),
        Migration(version: 17, name: "how far each connector has read", statements: ConnectorWatermarks.schema(.postgres)),
        Migration(version: 18, name: "a response counted once whether a transcript or telemetry reports it", statements: OneUsagePerRequest.schema(.postgres)),
        Migration(version: 19, name: "lanes: raw custody divided by device, normalised by several servers at once",
                  statements: NormalizationLanes.postgresSchema),
        Migration(version: 20, name: "raw custody partitioned by month received; ids kept apart, for good", statements: RawPartitions.schema),
        Migration(version: 21, name: "envelopes received per device and day", statements: DeviceDays.schema(.postgres)),
        Migration(version: 22, name: "search: the newest matches first without sorting every match", statements: FullTextSearch.newestFirst),
        Migration(version: 23, name: "each session's messages, tokens and cost, kept as they are written", statements: SessionTotals.schema(.postgres)),
        Migration(version: 24, name: "daily usage carries its session's tenant, tool, project, device, model and first day",
                  statements: UsageByDay.sessionFacets(.postgres)),
        Migration(version: 25, name: "a reported row keeps the tool whose conversation it joins", statements: UsageIntoConversations.schema),
        Migration(version: 26, name: "the overview's leaders read along an index", statements: UsageByDay.leaderIndexes(.postgres)),
        Migration(version: 27, name: "long text kept compressed (by PostgreSQL itself: the same SQL as SQLite's)", statements: PackedText.identities),
        Migration(version: 28, name: "each zstd dictionary learns from one device's envelopes, and leaves with them",
                  statements: DictionaryRetirement.schema(.postgres)),
        Migration(version: 29, name: "each session's totals carry its tenant and start",
                  statements: SessionTotals.sessionFacets(.postgres, adding: SessionTotals.firstFacets, to: [])),
        Migration(version: 30, name: "each session's totals carry its device, tool and last activity",
                  statements: SessionTotals.sessionFacets(.postgres, adding: SessionTotals.laterFacets, to: SessionTotals.firstFacets)),
    ]

    static func promises(_ dialect: SQLDialect) -> [String] {
        Retention.schema(dialect) + Erasure.schema(dialect) + Budgets.schema(dialect)
    }

    /// The usage rows that may need their session's model (see `UsageModels` in the
    /// normalisation module), found without reading every usage row of a session at every step.
    static let usageModelsIndex = "CREATE INDEX norm_usage_unmodelled ON norm_usage(session_key) WHERE model IS NULL AND cost IS NULL"

    /// Empties every normalised table and sets the normaliser back to the first raw envelope:
    /// the server then builds them again from raw custody, as a reparse does, with the keys
    /// the current code makes (the raw envelopes are the truth; the rest is derived). The
    /// tables are named as they were at this version, not read from `NormalizedSchema.tables`:
    /// a table added later does not exist yet when an older store runs this migration.
    package static let renormalizeAll: [String] = [
        "norm_sessions", "norm_session_files", "norm_session_links", "norm_messages", "norm_message_positions", "norm_tool_calls",
        "norm_usage", "norm_file_changes", "norm_session_models", "norm_drift", "norm_file_memory", "norm_usage_by_day",
    ].map { "DELETE FROM \($0)" } + [
        "UPDATE norm_progress SET last_seq = 0",
    ]

    /// What the explorer needs: full-text search, estimated costs (and the price table they were
    /// made with), browser sign-ins, when drift was first and last seen with an example record,
    /// usage summed per day, and an index for the per-device view.
    package static func explorer(_ dialect: SQLDialect) -> [String] {
        let real = dialect == .sqlite ? "REAL" : "DOUBLE PRECISION"
        let int = dialect == .sqlite ? "INTEGER" : "BIGINT"
        return [
            "ALTER TABLE norm_usage ADD COLUMN estimated_cost \(real)",
            "CREATE TABLE norm_prices (id \(int) PRIMARY KEY, fingerprint TEXT NOT NULL)",
            "CREATE TABLE web_sessions (id_hash TEXT PRIMARY KEY, token_hash TEXT NOT NULL, created_at TEXT NOT NULL, expires_at TEXT NOT NULL)",
            "ALTER TABLE norm_drift ADD COLUMN first_seen TEXT",
            "ALTER TABLE norm_drift ADD COLUMN last_seen TEXT",
            "ALTER TABLE norm_drift ADD COLUMN example_id TEXT",
            "CREATE INDEX raw_envelopes_device ON raw_envelopes(tenant_id, device, received_at)",
        ] + FullTextSearch.schema(dialect) + UsageByDay.schema(dialect)
    }
}