/// One versioned step of a store's schema, applied once, in a transaction, recorded in
/// `schema_migrations`.
struct Migration: Sendable {
    var version: Int
    var name: String
    /// Run in order; one statement each (PostgreSQL's extended protocol takes one at a time).
    var statements: [String]
}

/// The schema of each store, oldest first. Append only: a released migration is never edited,
/// a change is a new version.
enum Migrations {
    static let sqlite: [Migration] = [
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
    ]

    static let postgres: [Migration] = [
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
    ]
}