import Foundation
@testable import Explorer
@testable import IngestCore
@testable import IngestStore
@testable import Normalization
import SQLiteDB
import Testing

/// The daily usage rows carry their session's tenant, tool, project, device, model and first
/// day (migration 24), so that the overview sums a window without joining the sessions: they
/// stay their session's through every order of writing and every change, and the overview read
/// from them equals what the usage rows and their sessions add up to.
@Suite struct UsageByDayFacetsTests {
    /// `day|session|model` → the facets a row carries.
    static func carried(_ store: any IngestStore) async throws -> [String: [String]] {
        try await rows(store, """
            SELECT day, session_key, model, tenant_id, tool, project, device, session_model, started_day FROM norm_usage_by_day
            """)
    }

    /// The same rows' facets as their sessions say them now (none for a row without a session).
    static func expected(_ store: any IngestStore) async throws -> [String: [String]] {
        try await rows(store, """
            SELECT u.day, u.session_key, u.model, s.tenant_id, s.tool, s.project, s.device, s.model, substr(s.started_at, 1, 10)
            FROM norm_usage_by_day u LEFT JOIN norm_sessions s ON s.session_key = u.session_key
            """)
    }

    /// `day|session|model` → the tokens, cost and count a row sums.
    static func sums(_ store: any IngestStore) async throws -> [String: [String]] {
        try await rows(store, "SELECT day, session_key, model, tokens, CAST(round(CAST(cost AS NUMERIC), 9) AS TEXT), rows FROM norm_usage_by_day")
    }

    static func rows(_ store: any IngestStore, _ sql: String) async throws -> [String: [String]] {
        var rows: [String: [String]] = [:]
        for row in try await store.query(SQLStatement(sql)) {
            let text = row.map { value -> String in
                switch value {
                case .null: "∅"
                case .integer(let number): String(number)
                default: value.text ?? "?"
                }
            }
            rows[text[0..<3].joined(separator: "|")] = Array(text[3...])
        }
        return rows
    }

    /// The overview's figures, summed here from every usage row and its session.
    struct Direct {
        var tokensByDay: [String: [String: Int64]] = [:]
        var models: [String: (tokens: Int64, sessions: Set<String>)] = [:]
        var projects: [String: (tokens: Int64, sessions: Set<String>)] = [:]
        var devices: [String: (tokens: Int64, sessions: Set<String>)] = [:]
    }

    static func direct(_ store: any IngestStore) async throws -> Direct {
        var direct = Direct()
        for row in try await store.query(SQLStatement("""
            SELECT coalesce(substr(u.created_at, 1, 10), substr(s.started_at, 1, 10)), s.tool, coalesce(nullif(u.model, ''), s.model),
                   s.project, s.device, u.session_key, u.total_tokens
            FROM norm_usage u JOIN norm_sessions s ON s.session_key = u.session_key
            """)) {
            guard let day = row[0].text, let tool = row[1].text, let session = row[5].text else { continue }
            let tokens = row[6].int ?? 0
            direct.tokensByDay[day, default: [:]][tool, default: 0] += tokens
            for (name, keyPath) in [(row[2].text ?? "(none)", \Direct.models), (row[3].text ?? "(none)", \Direct.projects),
                                    (row[4].text ?? "(none)", \Direct.devices)] {
                direct[keyPath: keyPath][name, default: (0, [])].tokens += tokens
                direct[keyPath: keyPath][name, default: (0, [])].sessions.insert(session)
            }
        }
        return direct
    }

    /// The overview's window over all time equals the direct sums: tokens per day and tool, and
    /// each leader's tokens and sessions.
    static func expectOverviewEqualsRows(_ store: any IngestStore, _ comment: Comment) async throws {
        let window = try await ExplorerQueries(store: store).usageWindow(tenant: nil, since: nil, leaders: 1_000)
        let direct = try await direct(store)
        #expect(window.tokens == direct.tokensByDay, comment)
        for (leaders, expected) in [(window.models, direct.models), (window.projects, direct.projects), (window.devices, direct.devices)] {
            let shown = Dictionary(uniqueKeysWithValues: leaders.map { ($0.name ?? "(none)", "\($0.tokens) tokens, \($0.sessions) sessions") })
            #expect(shown == expected.mapValues { "\($0.tokens) tokens, \($0.sessions.count) sessions" }, comment)
        }
    }

    @Test(arguments: StoreKind.available)
    func eachDaysUsageCarriesItsSessionThroughEveryChange(_ kind: StoreKind) async throws {
        try await kind.withFreshStore { store in
            let envelopes = try NormalizationLanesTests.fleet(devices: 3, linesPerDevice: 400)
            try await RawCustodyTests.insert(envelopes, into: store)
            let normalizer = Normalizer(store: store, chunkSize: 150)
            try await NormalizationLanesTests.drain([normalizer], store, within: 120)

            let first = try await Self.carried(store)
            let firstSums = try await Self.sums(store)
            #expect(first.count >= 3 && first.values.allSatisfy { $0[0] != "∅" && $0[1] != "∅" && $0[3] != "∅" },
                    "every row has its session's tenant, tool and device")
            #expect(first == (try await Self.expected(store)), "as normalised")
            try await Self.expectOverviewEqualsRows(store, "as normalised")

            // A session learns its project and model later, and moves to another tenant.
            let session = try #require(try await store.query(SQLStatement("SELECT session_key FROM norm_usage_by_day ORDER BY session_key"))
                .first?.first?.text)
            try await store.execute([SQLStatement("""
                UPDATE norm_sessions SET project = '/work/moved', model = 'a-later-model', tenant_id = 7 WHERE session_key = $1
                """, [.text(session)])])
            let moved = try await Self.carried(store).filter { $0.key.contains("|\(session)|") }
            #expect(!moved.isEmpty && moved.values.allSatisfy { $0[0] == "7" && $0[2] == "/work/moved" && $0[4] == "a-later-model" })
            #expect(try await Self.carried(store) == (try await Self.expected(store)), "after a session changed")

            // Usage written before its session (a report that arrives first): the session brings its facets.
            try await store.execute([
                SQLStatement("""
                    INSERT INTO norm_usage(usage_key, session_key, model, created_at, input_tokens, output_tokens, cache_read_tokens,
                      cache_write_tokens, reasoning_tokens, total_tokens, source) VALUES ('early-usage', 'early-session', NULL, NULL, 5, 6, 0, 0, 0, 11, 'test')
                    """),
            ])
            #expect(try await Self.carried(store)["|early-session|"] == ["∅", "∅", "∅", "∅", "∅", "∅"], "no session yet")
            try await store.execute([SQLStatement("""
                INSERT INTO norm_sessions(session_key, tool, device, native_id, source, project, model, started_at)
                VALUES ('early-session', 'claude-code', 'device-9', 'n', 'test', '/work/late', 'claude-late', '2026-11-30T10:00:00Z')
                """)])
            #expect(try await Self.carried(store)["|early-session|"] == ["1", "claude-code", "/work/late", "device-9", "claude-late", "2026-11-30"])
            try await Self.expectOverviewEqualsRows(store, "after usage before its session")

            // Everything normalised again: the rows are the first ones (the hand-written ones are gone),
            // summed in one pass at the reparse's end (SQLite) to the same figures.
            _ = try await normalizer.reparse()
            #expect(try await Self.carried(store) == first, "after a reparse")
            #expect(try await Self.sums(store) == firstSums, "after a reparse")
            try await Self.expectOverviewEqualsRows(store, "after a reparse")

            if kind == .sqlite {
                // While a reparse runs (the store paused), a usage row adds nothing to the daily
                // sums; the end of the pause sums it in.
                let before = try await Self.sums(store)
                try await store.execute([
                    SQLStatement("UPDATE norm_search_state SET live = 0 WHERE id = 1"),
                    SQLStatement("""
                        INSERT INTO norm_usage(usage_key, session_key, model, created_at, input_tokens, output_tokens, cache_read_tokens,
                          cache_write_tokens, reasoning_tokens, total_tokens, source)
                        VALUES ('paused-usage', $1, 'claude-paused', '2026-12-01T10:00:00Z', 500, 500, 0, 0, 0, 1000, 'test')
                        """, [.text(session)]),
                ])
                #expect(try await Self.sums(store) == before, "nothing summed while paused")
                try await FullTextSearch(store: store).resumeIfPaused()
                #expect(try await Self.sums(store)["2026-12-01|\(session)|claude-paused"] == ["1000", "0.0", "1"])
                #expect(try await Self.carried(store) == (try await Self.expected(store)), "its session's facets, summed in")
                try await Self.expectOverviewEqualsRows(store, "after a pause")
            }
        }
    }
}
