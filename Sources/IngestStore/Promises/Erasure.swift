import Crypto
import Foundation
import SQLiteDB
import SensorModel

/// Whose data an erasure removes: a person (every device linked to them) or one device.
public enum ErasureSubject: Sendable, Equatable {
    case person(email: String)
    case device(String)

    var kind: String {
        switch self {
        case .person: "person"
        case .device: "device"
        }
    }

    var name: String {
        switch self {
        case .person(let email): email.lowercased()
        case .device(let device): device
        }
    }
}

/// What an erasure removed (or, dry, would remove), row counts by what they were.
public struct ErasureReport: Codable, Sendable, Equatable {
    public var tenant: Int64
    public var subject: String
    public var dryRun: Bool
    public var devices: [String] = []
    public var counts: [String: Int64] = [:]
    /// Tokens and cost kept, without a name, so that the tenant's daily sums stay as they were.
    public var tokensKept: Int64 = 0
    public var costKept: Double = 0
}

/// One erasure as the admin audit keeps it: who asked, when, what kind of subject (named by a
/// hash, never by its email or id), and how many rows went.
public struct ErasureRecord: Codable, Sendable, Equatable {
    public var id: Int64
    public var tenant: Int64
    public var kind: String
    public var subjectHash: String
    public var requestedBy: String
    public var at: String
    public var counts: [String: Int64]
}

/// The right to be forgotten: every raw envelope, compression dictionary that learned from
/// them, normalised row, search entry, account, link and access-log mention of a person or
/// device is deleted in one transaction (the normalised text packed with a dictionary that
/// learned from everyone's messages is packed again without it, then it goes too); the figures are
/// kept as sums per day and model under the tenant's unattributed session, so totals do not
/// change; the envelopes' ids are kept as tombstones, so a laptop resending them stores nothing
/// (its batch is acknowledged as duplicates); and the erasure itself is recorded.
///
/// SQLite: the deletes overwrite freed pages (`secure_delete`), the search index is merged so no
/// segment keeps the words, and the log is checkpointed and truncated. PostgreSQL: the touched
/// tables are vacuumed.
public enum Erasure {
    package static func schema(_ dialect: SQLDialect) -> [String] {
        let int = dialect == .sqlite ? "INTEGER" : "BIGINT"
        let id = dialect == .sqlite ? "INTEGER PRIMARY KEY AUTOINCREMENT" : "BIGSERIAL PRIMARY KEY"
        let tables = [
            "CREATE TABLE erased_envelopes (tenant_id \(int) NOT NULL, id TEXT NOT NULL, PRIMARY KEY (tenant_id, id))",
            """
            CREATE TABLE erasures (
                id \(id), tenant_id \(int) NOT NULL, kind TEXT NOT NULL, subject_hash TEXT NOT NULL, requested_by TEXT NOT NULL,
                at TEXT NOT NULL, counts TEXT NOT NULL)
            """,
        ]
        switch dialect {
        case .sqlite:
            return tables + [
                // A tombstoned id is skipped as if it were a repeat.
                """
                CREATE TRIGGER raw_envelopes_not_erased BEFORE INSERT ON raw_envelopes
                WHEN EXISTS (SELECT 1 FROM erased_envelopes e WHERE e.tenant_id = new.tenant_id AND e.id = new.id)
                BEGIN SELECT RAISE(IGNORE); END
                """,
                // The access log stays append-only, but for an erasure's own transaction.
                "CREATE TABLE erasure_in_progress (id INTEGER PRIMARY KEY)",
                "DROP TRIGGER access_log_no_update",
                "DROP TRIGGER access_log_no_delete",
            ] + ["UPDATE", "DELETE"].map { verb in
                """
                CREATE TRIGGER access_log_no_\(verb.lowercased()) BEFORE \(verb) ON access_log
                WHEN NOT EXISTS (SELECT 1 FROM erasure_in_progress) BEGIN SELECT RAISE(ABORT, 'the access log is append-only'); END
                """
            }
        case .postgres:
            return tables + [
                """
                CREATE FUNCTION raw_envelopes_not_erased() RETURNS trigger LANGUAGE plpgsql AS $$
                BEGIN
                  IF EXISTS (SELECT 1 FROM erased_envelopes e WHERE e.tenant_id = NEW.tenant_id AND e.id = NEW.id) THEN RETURN NULL; END IF;
                  RETURN NEW;
                END $$
                """,
                "CREATE TRIGGER raw_envelopes_not_erased BEFORE INSERT ON raw_envelopes FOR EACH ROW EXECUTE FUNCTION raw_envelopes_not_erased()",
                """
                CREATE OR REPLACE FUNCTION access_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
                BEGIN
                  IF current_setting('session_sensor.erasing', true) = 'on' AND TG_OP = 'UPDATE' THEN RETURN NEW; END IF;
                  RAISE EXCEPTION 'the access log is append-only';
                END $$
                """,
            ]
        }
    }

    /// The tenant's session that holds erased people's figures, unattributed.
    package static func unattributedSession(tenant: Int64) -> String { "erased:\(tenant)" }

    /// Statements deleting one session's normalised rows (search entries go with them, by trigger).
    package static func deleteSession(_ key: String) -> [SQLStatement] {
        let value = SQLiteValue.text(key)
        return [SQLStatement("DELETE FROM norm_message_positions WHERE message_key IN (SELECT message_key FROM norm_messages WHERE session_key = $1)", [value])]
            + ["norm_messages", "norm_tool_calls", "norm_usage", "norm_file_changes", "norm_session_files", "norm_session_models",
               "norm_usage_by_day", "norm_session_totals", "kept_sessions", "exported_sessions", "norm_sessions"].map { SQLStatement("DELETE FROM \($0) WHERE session_key = $1", [value]) }
            + [SQLStatement("DELETE FROM norm_session_links WHERE child_key = $1 OR parent_key = $1", [value])]
    }

    /// Erases `subject` of `tenant`; with `dryRun`, only counts. Holds the normaliser's lease
    /// meanwhile, so no step writes the subject's rows again halfway.
    public static func erase(_ subject: ErasureSubject, tenant: Int64, requestedBy: String, dryRun: Bool,
                             in store: any NormalizedStore) async throws -> ErasureReport {
        var report = ErasureReport(tenant: tenant, subject: subject.name, dryRun: dryRun)
        let person: String?
        switch subject {
        case .person(let email):
            person = try await store.query(SQLStatement("SELECT id FROM people WHERE tenant_id = $1 AND lower(email) = $2",
                                                        [.integer(tenant), .text(email.lowercased())])).first?.first?.text
            guard let person else { throw StoreError("no person \(email) in tenant \(tenant)") }
            report.devices = try await store.query(SQLStatement("SELECT device FROM device_people WHERE tenant_id = $1 AND person_id = $2 ORDER BY device",
                                                                [.integer(tenant), .text(person)])).compactMap { $0[0].text }
        case .device(let device):
            person = nil
            let known = try await store.query(SQLStatement("""
                SELECT 1 FROM devices WHERE tenant_id = $1 AND device = $2
                UNION ALL SELECT 1 FROM norm_sessions WHERE tenant_id = $1 AND device = $2
                UNION ALL SELECT 1 FROM raw_envelopes WHERE tenant_id = $1 AND device = $2
                """, [.integer(tenant), .text(device)]))
            guard !known.isEmpty else { throw StoreError("no device \(device) in tenant \(tenant)") }
            report.devices = [device]
        }
        return try await NormalizerLease(store: store).holding("erasure") {
            try await apply(report, subject: subject, person: person, requestedBy: requestedBy, in: store)
        }
    }

    private static func apply(_ report: ErasureReport, subject: ErasureSubject, person: String?, requestedBy: String,
                              in store: any NormalizedStore) async throws -> ErasureReport {
        var report = report
        let tenant = report.tenant
        let devices = report.devices
        let sessions = try await store.query(SQLStatement(
            "SELECT session_key FROM norm_sessions WHERE tenant_id = $1 AND device IN \(list(devices, from: 2))",
            [.integer(tenant)] + devices.map { .text($0) })).compactMap { $0[0].text }
        report.counts = try await counts(tenant: tenant, devices: devices, sessions: sessions, person: person, in: store)
        let kept = try await figures(of: sessions, in: store)
        report.tokensKept = kept.reduce(0) { $0 + $1.total }
        report.costKept = kept.reduce(0) { $0 + $1.cost }
        if report.dryRun { return report }

        let stamp = DeviceDirectory.timestamp()
        let hash = Hex.lowercase(SHA256.hash(data: Data("\(tenant):\(subject.kind):\(subject.name)".utf8)))
        var statements: [SQLStatement] = store.dialect == .sqlite
            ? [SQLStatement("INSERT INTO erasure_in_progress(id) VALUES (1)")]
            : [SQLStatement("SET LOCAL session_sensor.erasing = 'on'")]
        // The figures, kept without a name.
        if !kept.isEmpty {
            let unattributed = unattributedSession(tenant: tenant)
            statements += [
                SQLStatement("""
                    INSERT INTO norm_sessions(session_key, tool, device, native_id, source, tenant_id)
                    VALUES ($1, '(erased)', '(erased)', 'erased', '(erased)', $2) ON CONFLICT (session_key) DO NOTHING
                    """, [.text(unattributed), .integer(tenant)]),
                SQLStatement("INSERT INTO kept_sessions(session_key, tenant_id, why) VALUES ($1, $2, 'erased') ON CONFLICT (session_key) DO NOTHING",
                             [.text(unattributed), .integer(tenant)]),
            ]
            for figure in kept {
                let key = "\(unattributed):\(hash.prefix(16)):\(stamp):\(figure.day):\(figure.model ?? "")"
                let model: SQLiteValue = figure.model.map { .text($0) } ?? .null
                let created: SQLiteValue = figure.day.isEmpty ? .null : .text(figure.day + "T00:00:00Z")
                let tokens: [SQLiteValue] = [figure.input, figure.output, figure.cacheRead, figure.cacheWrite, figure.reasoning, figure.total]
                    .map { .integer($0) }
                statements.append(SQLStatement("""
                    INSERT INTO norm_usage(usage_key, session_key, model, created_at, input_tokens, output_tokens, cache_read_tokens,
                                           cache_write_tokens, reasoning_tokens, total_tokens, cost, source)
                    VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, '(erased)')
                    """, [.text(key), .text(unattributed), model, created] + tokens + [.real(figure.cost)]))
            }
        }
        let scope: [SQLiteValue] = [.integer(tenant)] + devices.map { .text($0) }
        let inDevices = "tenant_id = $1 AND device IN \(list(devices, from: 2))"
        // The dictionaries that learned from the devices' words, before their envelopes.
        statements += DictionaryRetirement.erasing(inDevices: inDevices, scope: scope)
        statements.append(
            SQLStatement("INSERT INTO erased_envelopes(tenant_id, id) SELECT tenant_id, id FROM raw_envelopes WHERE \(inDevices) ON CONFLICT DO NOTHING", scope))
        if store.dialect == .sqlite {
            // The rows of the device's streams, the streams, its batch ids and file names
            // (`RawStreams`, `RawStrings`).
            statements += [
                SQLStatement("DELETE FROM raw_envelope_rows WHERE stream IN (SELECT id FROM raw_streams WHERE \(inDevices))", scope),
                SQLStatement("DELETE FROM raw_streams WHERE \(inDevices)", scope),
                SQLStatement("DELETE FROM raw_strings WHERE \(inDevices)", scope),
            ]
        } else {
            statements.append(SQLStatement("DELETE FROM raw_envelopes WHERE \(inDevices)", scope))
        }
        statements += [
            SQLStatement("DELETE FROM raw_redactions WHERE \(inDevices)", scope),
            SQLStatement("DELETE FROM device_days WHERE \(inDevices)", scope),
            SQLStatement("DELETE FROM norm_accounts WHERE \(inDevices)", scope),
            SQLStatement("DELETE FROM devices WHERE \(inDevices)", scope),
            SQLStatement("DELETE FROM device_people WHERE \(inDevices)", scope),
            SQLStatement("DELETE FROM enrolled_devices WHERE \(inDevices)", scope),
            SQLStatement("DELETE FROM sign_in_links WHERE \(inDevices)", scope),
            store.dialect == .sqlite
                ? SQLStatement("UPDATE tokens SET device = NULL, name = 'erased', revoked_at = coalesce(revoked_at, $\(devices.count + 2)) WHERE \(inDevices)",
                               scope + [.text(stamp)])
                : SQLStatement("UPDATE tokens SET device = NULL, name = 'erased', revoked_at = coalesce(revoked_at, now()) WHERE \(inDevices)", scope),
        ]
        // What the normalisers remember of the devices' files (keys begin with the tenant and device).
        for device in devices {
            let prefix = "\(tenant)\u{1F}\(device)|"
            statements.append(SQLStatement("DELETE FROM norm_file_memory WHERE substr(memory_key, 1, \(prefix.count)) = $1", [.text(prefix)]))
        }
        for session in sessions {
            statements.append(SQLStatement("""
                UPDATE access_log SET session_key = 'erased', owner_id = NULL, owner = NULL WHERE tenant_id = $1 AND session_key = $2
                """, [.integer(tenant), .text(session)]))
            statements += deleteSession(session)
        }
        if let person {
            let email = SQLiteValue.text(subject.name)
            statements += [
                SQLStatement("UPDATE access_log SET owner_id = NULL, owner = NULL, session_key = 'erased' WHERE tenant_id = $1 AND owner_id = $2",
                             [.integer(tenant), .text(person)]),
                SQLStatement("UPDATE access_log SET reader = 'erased' WHERE tenant_id = $1 AND lower(reader) = $2", [.integer(tenant), email]),
                SQLStatement("DELETE FROM team_members WHERE person_id = $1", [.text(person)]),
                SQLStatement("DELETE FROM sso_memberships WHERE person_id = $1", [.text(person)]),
                SQLStatement("DELETE FROM sign_in_links WHERE person_id = $1", [.text(person)]),
                SQLStatement("DELETE FROM token_grants WHERE target = $1", [.text(person)]),
                SQLStatement("DELETE FROM legal_holds WHERE tenant_id = $1 AND kind = 'person' AND target = $2", [.integer(tenant), .text(person)]),
                SQLStatement("DELETE FROM people WHERE id = $1", [.text(person)]),
            ]
        }
        let counts = String(decoding: try JSONEncoder(outputFormatting: .sortedKeys).encode(report.counts), as: UTF8.self)
        statements.append(SQLStatement("""
            INSERT INTO erasures(tenant_id, kind, subject_hash, requested_by, at, counts) VALUES ($1, $2, $3, $4, $5, $6)
            """, [.integer(tenant), .text(subject.kind), .text(hash), .text(String(requestedBy.prefix(200))), .text(stamp), .text(counts)]))
        if store.dialect == .sqlite { statements.append(SQLStatement("DELETE FROM erasure_in_progress")) }

        if store.dialect == .sqlite { _ = try await store.query(SQLStatement("PRAGMA secure_delete = ON")) }
        try await store.execute(statements)
        // The normalised text packed with a dictionary that learned from anyone's messages.
        if let raw = store as? any RawEnvelopeStore { _ = try await raw.repackRetiredDictionaries() }
        try await scrub(store)
        return report
    }

    /// Leaves no copy of what was deleted where the database could still hold it.
    private static func scrub(_ store: any NormalizedStore) async throws {
        switch store.dialect {
        case .sqlite:
            // Deleted entries stay in an FTS5 index's segments until they are merged.
            try await store.execute(["norm_messages_fts", "norm_tool_calls_fts"].map { SQLStatement("INSERT INTO \($0)(\($0)) VALUES ('optimize')") })
            _ = try await store.query(SQLStatement("PRAGMA wal_checkpoint(TRUNCATE)"))
        case .postgres:
            _ = try await store.query(SQLStatement("""
                VACUUM raw_envelopes, raw_dictionaries, norm_messages, norm_tool_calls, norm_file_changes, norm_sessions, norm_usage, norm_accounts, access_log, people
                """))
        }
    }

    /// The erasures of a tenant (nil: every tenant's), newest first.
    public static func records(tenant: Int64?, in store: any NormalizedStore) async throws -> [ErasureRecord] {
        try await store.query(SQLStatement("""
            SELECT id, tenant_id, kind, subject_hash, requested_by, at, counts FROM erasures WHERE ($1 < 0 OR tenant_id = $1) ORDER BY id DESC
            """, [.integer(tenant ?? -1)])).map { row in
            ErasureRecord(id: row[0].int ?? 0, tenant: row[1].int ?? 0, kind: row[2].text ?? "", subjectHash: row[3].text ?? "",
                          requestedBy: row[4].text ?? "", at: row[5].text ?? "",
                          counts: (try? JSONDecoder().decode([String: Int64].self, from: Data((row[6].text ?? "{}").utf8))) ?? [:])
        }
    }

    /// `($first, $first+1, …)` for `values` (an impossible value when empty).
    static func list(_ values: [String], from first: Int) -> String {
        values.isEmpty ? "(NULL)" : "(" + values.indices.map { "$\(first + $0)" }.joined(separator: ", ") + ")"
    }

    private struct Figure {
        var day: String
        var model: String?
        var input: Int64, output: Int64, cacheRead: Int64, cacheWrite: Int64, reasoning: Int64, total: Int64
        var cost: Double
    }

    /// The sessions' usage summed per day and model.
    private static func figures(of sessions: [String], in store: any NormalizedStore) async throws -> [Figure] {
        var sums: [String: Figure] = [:]
        let rows = try await store.query("""
            SELECT coalesce(substr(created_at, 1, 10), ''), model, CAST(sum(input_tokens) AS BIGINT), CAST(sum(output_tokens) AS BIGINT),
                   CAST(sum(cache_read_tokens) AS BIGINT), CAST(sum(cache_write_tokens) AS BIGINT), CAST(sum(reasoning_tokens) AS BIGINT),
                   CAST(sum(total_tokens) AS BIGINT), sum(coalesce(cost, estimated_cost, 0))
            FROM norm_usage WHERE session_key IN
            """, in: sessions, then: "GROUP BY 1, 2")
        for row in rows {
            let key = "\(row[0].text ?? "")\u{0}\(row[1].text ?? "\u{1}")"
            var figure = sums[key] ?? Figure(day: row[0].text ?? "", model: row[1].text, input: 0, output: 0, cacheRead: 0, cacheWrite: 0,
                                             reasoning: 0, total: 0, cost: 0)
            figure.input += row[2].int ?? 0
            figure.output += row[3].int ?? 0
            figure.cacheRead += row[4].int ?? 0
            figure.cacheWrite += row[5].int ?? 0
            figure.reasoning += row[6].int ?? 0
            figure.total += row[7].int ?? 0
            figure.cost += row[8].double ?? 0
            sums[key] = figure
        }
        return sums.values.sorted { ($0.day, $0.model ?? "") < ($1.day, $1.model ?? "") }
    }

    private static func counts(tenant: Int64, devices: [String], sessions: [String], person: String?,
                               in store: any NormalizedStore) async throws -> [String: Int64] {
        let scope: [SQLiteValue] = [.integer(tenant)] + devices.map { .text($0) }
        let inDevices = "tenant_id = $1 AND device IN \(list(devices, from: 2))"
        var counts: [String: Int64] = [:]
        func count(_ name: String, _ sql: String, _ values: [SQLiteValue]) async throws {
            counts[name] = try await store.query(SQLStatement(sql, values)).first?.first?.int ?? 0
        }
        func perSession(_ name: String, _ table: String) async throws {
            var total: Int64 = 0
            for row in try await store.query("SELECT count(*) FROM \(table) WHERE session_key IN", in: sessions) { total += row[0].int ?? 0 }
            counts[name] = total
        }
        try await count("raw_envelopes", "SELECT count(*) FROM raw_envelopes WHERE \(inDevices)", scope)
        try await count("redaction_counts", "SELECT count(*) FROM raw_redactions WHERE \(inDevices)", scope)
        try await count("compression_dictionaries", "SELECT count(*) FROM raw_dictionaries WHERE \(inDevices)", scope)
        try await count("accounts", "SELECT count(*) FROM norm_accounts WHERE \(inDevices)", scope)
        counts["devices"] = Int64(devices.count)
        counts["sessions"] = Int64(sessions.count)
        if !sessions.isEmpty {
            try await perSession("messages", "norm_messages")
            try await perSession("tool_calls", "norm_tool_calls")
            try await perSession("usage_rows", "norm_usage")
            try await perSession("file_changes", "norm_file_changes")
            try await perSession("access_log_entries", "access_log")
        }
        if let person {
            try await count("people", "SELECT count(*) FROM people WHERE id = $1", [.text(person)])
            try await count("team_memberships", "SELECT count(*) FROM team_members WHERE person_id = $1", [.text(person)])
        }
        return counts
    }
}
