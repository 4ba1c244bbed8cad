import Foundation
import SQLiteDB

/// How long a tenant keeps words and figures, and the legal holds that suspend deletion.
///
/// Words (messages' text, tool calls' input and result, diffs, titles, the raw envelopes
/// they came from, and the compression dictionaries that learned from those) and figures
/// (usage rows and their daily sums, hence cost) have windows of their own: "keep the numbers for two years, the words for 90 days". A conversation's words go
/// once its last activity is older than the words window; a raw envelope once it was received
/// longer ago than that (and normalised). Figures go by their own day. A hold on the tenant, a
/// team or a person keeps everything of theirs, whatever the windows.
public struct RetentionPolicy: Codable, Sendable, Equatable {
    public var tenant: Int64
    /// Days words are kept; nil: forever.
    public var wordsDays: Int?
    /// Days figures are kept; nil: forever.
    public var figuresDays: Int?

    public init(tenant: Int64, wordsDays: Int? = nil, figuresDays: Int? = nil) {
        self.tenant = tenant
        self.wordsDays = wordsDays
        self.figuresDays = figuresDays
    }
}

/// A legal hold: `tenant` (target empty), `team` or `person` (their ids).
public struct LegalHold: Codable, Sendable, Equatable {
    public var tenant: Int64
    public var kind: String
    public var target: String
    public var reason: String
    public var since: String
}

/// What one retention pass removed, per tenant.
public struct RetentionOutcome: Codable, Sendable, Equatable {
    public var tenant: Int64
    /// Sessions whose words were removed.
    public var conversations: Int = 0
    public var rawEnvelopes: Int = 0
    public var usageRows: Int = 0
    /// Sessions removed whole: no words and no figures left.
    public var sessions: Int = 0

    public init(tenant: Int64) {
        self.tenant = tenant
    }
}

/// The retention windows and holds, and the passes that enforce them (in bounded batches, each
/// its own short transaction, so ingest goes on between them).
public enum Retention {
    package static func schema(_ dialect: SQLDialect) -> [String] {
        let int = dialect == .sqlite ? "INTEGER" : "BIGINT"
        return [
            "CREATE TABLE retention_policies (tenant_id \(int) PRIMARY KEY, words_days \(int), figures_days \(int), updated_at TEXT NOT NULL)",
            """
            CREATE TABLE legal_holds (
                tenant_id \(int) NOT NULL, kind TEXT NOT NULL, target TEXT NOT NULL, reason TEXT NOT NULL, since TEXT NOT NULL,
                PRIMARY KEY (tenant_id, kind, target))
            """,
            "CREATE INDEX raw_envelopes_received ON raw_envelopes(tenant_id, received_at)",
            "CREATE INDEX norm_usage_created ON norm_usage(created_at)",
        ] + KeptSessions.schema(dialect)
    }

    /// Rows per transaction: small enough that an insert waiting behind one waits milliseconds.
    package static let batch = 500

    public static func set(_ policy: RetentionPolicy, in store: any NormalizedStore) async throws {
        try await store.execute([SQLStatement("""
            INSERT INTO retention_policies(tenant_id, words_days, figures_days, updated_at) VALUES ($1, $2, $3, $4)
            ON CONFLICT (tenant_id) DO UPDATE SET words_days = excluded.words_days, figures_days = excluded.figures_days,
              updated_at = excluded.updated_at
            """, [.integer(policy.tenant), policy.wordsDays.map { .integer(Int64($0)) } ?? .null,
                  policy.figuresDays.map { .integer(Int64($0)) } ?? .null, .text(DeviceDirectory.timestamp())])])
    }

    public static func policies(in store: any NormalizedStore) async throws -> [RetentionPolicy] {
        try await store.query(SQLStatement("SELECT tenant_id, words_days, figures_days FROM retention_policies ORDER BY tenant_id")).map {
            RetentionPolicy(tenant: $0[0].int ?? 0, wordsDays: $0[1].int.map(Int.init), figuresDays: $0[2].int.map(Int.init))
        }
    }

    public static func hold(tenant: Int64, kind: String, target: String, reason: String, in store: any NormalizedStore) async throws {
        try await store.execute([SQLStatement("""
            INSERT INTO legal_holds(tenant_id, kind, target, reason, since) VALUES ($1, $2, $3, $4, $5)
            ON CONFLICT (tenant_id, kind, target) DO UPDATE SET reason = excluded.reason
            """, [.integer(tenant), .text(kind), .text(target), .text(reason), .text(DeviceDirectory.timestamp())])])
    }

    /// Lifts a hold; false when there was none.
    public static func release(tenant: Int64, kind: String, target: String, in store: any NormalizedStore) async throws -> Bool {
        let found = try await store.query(SQLStatement("SELECT 1 FROM legal_holds WHERE tenant_id = $1 AND kind = $2 AND target = $3",
                                                       [.integer(tenant), .text(kind), .text(target)]))
        try await store.execute([SQLStatement("DELETE FROM legal_holds WHERE tenant_id = $1 AND kind = $2 AND target = $3",
                                              [.integer(tenant), .text(kind), .text(target)])])
        return !found.isEmpty
    }

    public static func holds(in store: any NormalizedStore) async throws -> [LegalHold] {
        try await store.query(SQLStatement("SELECT tenant_id, kind, target, reason, since FROM legal_holds ORDER BY tenant_id, kind, target")).map {
            LegalHold(tenant: $0[0].int ?? 0, kind: $0[1].text ?? "", target: $0[2].text ?? "", reason: $0[3].text ?? "", since: $0[4].text ?? "")
        }
    }

    /// True where nothing of device `device` (a column or expression) of tenant `tenant` is held.
    static func unheld(tenant: String, device: String) -> String {
        """
        NOT EXISTS (SELECT 1 FROM legal_holds h WHERE h.tenant_id = \(tenant) AND (h.kind = 'tenant'
          OR (h.kind = 'person' AND h.target IN (SELECT dp.person_id FROM device_people dp WHERE dp.tenant_id = \(tenant) AND dp.device = \(device)))
          OR (h.kind = 'team' AND h.target IN (SELECT tm.team_id FROM team_members tm JOIN device_people dp ON dp.person_id = tm.person_id
                                               WHERE dp.tenant_id = \(tenant) AND dp.device = \(device)))))
        """
    }

    /// The day `days` before `now`, as stored times compare with it.
    static func cutoff(_ days: Int, before now: Date) -> String {
        DeviceDirectory.timestamp(now.addingTimeInterval(-Double(days) * 86_400))
    }

    /// One pass over every tenant with a policy: what is past its window goes, in batches of
    /// ``batch`` rows. `now` is the clock's (a test moves it).
    public static func enforce(in store: any NormalizedStore, now: Date = Date()) async throws -> [RetentionOutcome] {
        var outcomes: [RetentionOutcome] = []
        let policies = try await policies(in: store)
        let droppedRaw = try await dropMonths(policies, now: now, in: store)
        for policy in policies {
            var outcome = RetentionOutcome(tenant: policy.tenant)
            if let days = policy.wordsDays {
                let cutoff = cutoff(days, before: now)
                outcome.conversations = try await removeWords(tenant: policy.tenant, before: cutoff, in: store)
                outcome.rawEnvelopes = try await removeRaw(tenant: policy.tenant, before: cutoff, in: store) + (droppedRaw[policy.tenant] ?? 0)
                // Compression dictionaries whose samples are past the window leave with them.
                var retiring = [DictionaryRetirement.retire(tenant: policy.tenant, samplesBefore: cutoff,
                                                            unheld: unheld(tenant: "raw_dictionaries.tenant_id", device: "raw_dictionaries.device"))]
                if outcome.conversations > 0 { retiring.append(DictionaryRetirement.retireText) }
                try await store.execute(retiring)
            }
            if let days = policy.figuresDays {
                let cutoff = cutoff(days, before: now)
                (outcome.usageRows, outcome.sessions) = try await removeFigures(tenant: policy.tenant, before: cutoff,
                                                                                wordsGone: policy.wordsDays.map { $0 <= days } ?? false, in: store)
            }
            outcomes.append(outcome)
        }
        if let raw = store as? any RawEnvelopeStore { _ = try await raw.repackRetiredDictionaries() }
        return outcomes
    }

    /// Sessions started before the window are kept through a reparse (their oldest envelopes may
    /// go); those whose last activity is before it lose their words, a batch at a time.
    private static func removeWords(tenant: Int64, before cutoff: String, in store: any NormalizedStore) async throws -> Int {
        try await store.execute([SQLStatement("""
            INSERT INTO kept_sessions(session_key, tenant_id, why)
            SELECT s.session_key, s.tenant_id, 'window' FROM norm_sessions s
            WHERE s.tenant_id = $1 AND s.started_at < $2 AND \(unheld(tenant: "s.tenant_id", device: "s.device"))
            ON CONFLICT (session_key) DO NOTHING
            """, [.integer(tenant), .text(cutoff)])])
        var removed = 0
        while true {
            let rows = try await store.query(SQLStatement("""
                SELECT s.session_key, coalesce(s.ended_at, s.started_at) FROM norm_sessions s JOIN kept_sessions k ON k.session_key = s.session_key
                WHERE s.tenant_id = $1 AND coalesce(s.ended_at, s.started_at, '') < $2
                  AND (k.words_gone_through IS NULL OR k.words_gone_through < coalesce(s.ended_at, s.started_at, ''))
                  AND \(unheld(tenant: "s.tenant_id", device: "s.device"))
                ORDER BY s.session_key LIMIT \(batch)
                """, [.integer(tenant), .text(cutoff)]))
            guard !rows.isEmpty else { return removed }
            var statements: [SQLStatement] = []
            for row in rows {
                let key = SQLiteValue.text(row[0].text ?? "")
                statements += [
                    SQLStatement("UPDATE norm_messages SET text = NULL WHERE session_key = $1 AND text IS NOT NULL", [key]),
                    SQLStatement("UPDATE norm_tool_calls SET input = NULL, result = NULL WHERE session_key = $1 AND (input IS NOT NULL OR result IS NOT NULL)", [key]),
                    SQLStatement("UPDATE norm_file_changes SET diff = NULL, old_text = NULL, new_text = NULL WHERE session_key = $1", [key]),
                    SQLStatement("UPDATE norm_sessions SET title = NULL WHERE session_key = $1", [key]),
                    SQLStatement("UPDATE kept_sessions SET words_gone_through = $2 WHERE session_key = $1", [key, .text(row[1].text ?? "")]),
                ]
            }
            try await store.execute(statements)
            removed += rows.count
        }
    }

    /// PostgreSQL: each month of raw custody (``RawPartitions``) that every tenant with
    /// envelopes in it may lose whole (its words window passed the month's end, every envelope
    /// normalised, none of them held) is dropped in one statement. Returns the envelopes dropped,
    /// per tenant; what is left past a window goes row by row (``removeRaw``).
    static func dropMonths(_ policies: [RetentionPolicy], now: Date, in store: any NormalizedStore) async throws -> [Int64: Int] {
        let windows = policies.compactMap { policy in policy.wordsDays.map { (policy.tenant, $0) } }
        guard let postgres = store as? PostgresStore, let shortest = windows.map(\.1).min() else { return [:] }
        var dropped: [Int64: Int] = [:]
        // A month still receiving (by the real clock, whatever `now` a test passes) is never
        // dropped: its rows go one by one, beside the inserts.
        let ended = min(now.addingTimeInterval(-Double(shortest) * 86_400), Date())
        for month in try await RawPartitions.months(in: store) where month.end <= ended {
            // The tenants whose windows have passed the month's end.
            let done = windows.filter { month.end <= now.addingTimeInterval(-Double($0.1) * 86_400) }.map { String($0.0) }
            let kept = """
                r.tenant_id NOT IN (\(done.joined(separator: ", ")))
                OR NOT (\(NormalizationLanes.normalized("r", dialect: store.dialect)))
                OR NOT (\(unheld(tenant: "r.tenant_id", device: "r.device")))
                """
            do {
                guard let counts = try await postgres.dropRawMonth(month.table, unless: kept) else { continue }
                for (tenant, count) in counts { dropped[tenant, default: 0] += count }
            } catch where PostgresStore.serverError(error)?.serverInfo?[.sqlState] == "55P03" {  // lock_not_available
                continue  // busy: the next pass
            }
        }
        return dropped
    }

    /// Raw envelopes received before the window and already normalised, a batch at a time.
    private static func removeRaw(tenant: Int64, before cutoff: String, in store: any NormalizedStore) async throws -> Int {
        let (key, received) = store.dialect == .sqlite
            ? ("rowid", "r.received_at < $2")
            : ("seq", "r.received_at < CAST($2 AS TIMESTAMPTZ)")
        var removed = 0
        while true {
            let rows = try await store.query(SQLStatement("""
                SELECT r.\(key) FROM raw_envelopes r
                WHERE r.tenant_id = $1 AND \(received) AND \(NormalizationLanes.normalized("r", dialect: store.dialect))
                  AND \(unheld(tenant: "r.tenant_id", device: "r.device"))
                LIMIT \(batch)
                """, [.integer(tenant), .text(cutoff)]))
            guard !rows.isEmpty else {
                // SQLite: the batch ids, file names and streams no envelope names any more go
                // with the envelopes (`RawStrings`, `RawStreams`).
                if removed > 0 && store.dialect == .sqlite { try await store.execute([RawStrings.unused, RawStreams.unused]) }
                return removed
            }
            let keys = rows.compactMap { $0[0].int }.map(String.init).joined(separator: ", ")
            try await store.execute([SQLStatement("DELETE FROM raw_envelopes WHERE \(key) IN (\(keys))")])
            removed += rows.count
        }
    }

    /// Usage rows of days before the window, a batch at a time; then sessions with nothing left
    /// (when words go no later than figures).
    private static func removeFigures(tenant: Int64, before cutoff: String, wordsGone: Bool,
                                      in store: any NormalizedStore) async throws -> (usage: Int, sessions: Int) {
        let day = String(cutoff.prefix(10))
        var usage = 0
        // By the row's own day (through its index), then rows without a time by their session's.
        for past in ["u.created_at < $2", "u.created_at IS NULL AND s.started_at < $2"] {
            while true {
                let rows = try await store.query(SQLStatement("""
                    SELECT u.usage_key, u.session_key FROM norm_usage u JOIN norm_sessions s ON s.session_key = u.session_key
                    WHERE \(past) AND s.tenant_id = $1 AND \(unheld(tenant: "s.tenant_id", device: "s.device"))
                    LIMIT \(batch)
                    """, [.integer(tenant), .text(day)]))
                guard !rows.isEmpty else { break }
                let sessions = Set(rows.compactMap { $0[1].text })
                try await store.execute(rows.map { SQLStatement("DELETE FROM norm_usage WHERE usage_key = $1", [$0[0]]) }
                                        + sessions.map { SQLStatement("DELETE FROM norm_usage_by_day WHERE session_key = $1 AND rows <= 0", [.text($0)]) })
                usage += rows.count
            }
        }
        guard wordsGone else { return (usage, 0) }
        var sessions = 0
        while true {
            let rows = try await store.query(SQLStatement("""
                SELECT s.session_key FROM norm_sessions s
                WHERE s.tenant_id = $1 AND coalesce(s.ended_at, s.started_at, '') < $2
                  AND NOT EXISTS (SELECT 1 FROM norm_usage u WHERE u.session_key = s.session_key)
                  AND \(unheld(tenant: "s.tenant_id", device: "s.device"))
                LIMIT \(batch)
                """, [.integer(tenant), .text(cutoff)]))
            guard !rows.isEmpty else { break }
            try await store.execute(rows.flatMap { Erasure.deleteSession($0[0].text ?? "") })
            sessions += rows.count
        }
        return (usage, sessions)
    }

    /// Per tenant: the policy, the holds, and what is kept now (oldest word, oldest figure).
    public struct Status: Codable, Sendable {
        public var policy: RetentionPolicy
        public var holds: [LegalHold]
        public var oldestRawEnvelope: String?
        public var oldestConversation: String?
        public var oldestFigure: String?
        public var sessionsKept: Int64
    }

    public static func status(in store: any NormalizedStore) async throws -> [Status] {
        let holds = try await holds(in: store)
        var statuses: [Status] = []
        let policies = Dictionary(try await policies(in: store).map { ($0.tenant, $0) }, uniquingKeysWith: { first, _ in first })
        let tenants = Set(policies.keys).union(holds.map(\.tenant))
        for tenant in tenants.sorted() {
            let value = SQLiteValue.integer(tenant)
            let raw = try await store.query(SQLStatement("SELECT CAST(min(received_at) AS TEXT) FROM raw_envelopes WHERE tenant_id = $1", [value]))
            let words = try await store.query(SQLStatement("""
                SELECT min(s.started_at) FROM norm_sessions s WHERE s.tenant_id = $1
                  AND EXISTS (SELECT 1 FROM norm_messages m WHERE m.session_key = s.session_key AND m.text IS NOT NULL)
                """, [value]))
            let figures = try await store.query(SQLStatement("""
                SELECT min(u.day) FROM norm_usage_by_day u JOIN norm_sessions s ON s.session_key = u.session_key
                WHERE s.tenant_id = $1 AND u.day <> '' AND u.rows > 0
                """, [value]))
            let kept = try await store.query(SQLStatement("SELECT count(*) FROM kept_sessions WHERE tenant_id = $1", [value]))
            statuses.append(Status(policy: policies[tenant] ?? RetentionPolicy(tenant: tenant), holds: holds.filter { $0.tenant == tenant },
                                   oldestRawEnvelope: raw.first?.first?.text, oldestConversation: words.first?.first?.text,
                                   oldestFigure: figures.first?.first?.text, sessionsKept: kept.first?.first?.int ?? 0))
        }
        return statuses
    }
}
