import SQLiteDB

/// Full-text search over message text and tool calls (name, input, result).
///
/// SQLite: two FTS5 tables over the normalised tables (external content, `unicode61` with
/// diacritics folded), kept current by triggers on every insert, update and delete; new rows
/// are indexed many at a time, at the end of each catch-up (``indexQueued()``). PostgreSQL: a
/// generated `tsvector` column (`simple` configuration, first 100,000 characters) with a GIN index on each
/// table. Neither stems words: a search finds the words as written, in any case. Both split text
/// into words at every character that is not a letter or digit (PostgreSQL's own parser would
/// take `<user_query>` for an HTML tag and drop it, and `window.__pwned` for one file name), and
/// PostgreSQL's snippets are cut here, the same way as SQLite's.
public struct FullTextSearch: Sendable {
    public let store: any NormalizedStore

    public init(store: any NormalizedStore) {
        self.store = store
    }

    /// Marks around a match in a snippet: control characters no text shows, so the snippet can be
    /// HTML-escaped first and marked up after.
    public static let matchStart = "\u{1}"
    public static let matchEnd = "\u{2}"

    /// One place a search matched.
    public struct Hit: Codable, Sendable {
        public var sessionId: String
        /// The message (or, for a tool call, the message that made it) to link to.
        public var messageId: String?
        public var toolCallId: String?
        /// `message` or `tool_call`.
        public var kind: String
        public var role: String?
        public var tool: String
        public var title: String?
        public var createdAt: String?
        /// The text around the match; matches between ``matchStart`` and ``matchEnd``.
        public var snippet: String
    }

    /// The migration that creates the index and fills it from what is stored.
    package static func schema(_ dialect: NormalizedSchema.Dialect) -> [String] {
        switch dialect {
        case .sqlite:
            let tokenizer = "tokenize = 'unicode61 remove_diacritics 2'"
            return [
                "CREATE VIRTUAL TABLE norm_messages_fts USING fts5(text, content = 'norm_messages', content_rowid = 'rowid', \(tokenizer))",
                "CREATE VIRTUAL TABLE norm_tool_calls_fts USING fts5(name, input, result, content = 'norm_tool_calls', content_rowid = 'rowid', \(tokenizer))",
            ] + triggers(when: nil) + rebuild
        case .postgres:
            return [
                """
                ALTER TABLE norm_messages ADD COLUMN search tsvector
                  GENERATED ALWAYS AS (to_tsvector('simple', \(words("left(coalesce(text, ''), 100000)")))) STORED
                """,
                "CREATE INDEX norm_messages_search ON norm_messages USING gin (search)",
                """
                ALTER TABLE norm_tool_calls ADD COLUMN search tsvector
                  GENERATED ALWAYS AS (to_tsvector('simple', \(words("left(coalesce(name, '') || ' ' || coalesce(input, '') || ' ' || coalesce(result, ''), 100000)")))) STORED
                """,
                "CREATE INDEX norm_tool_calls_search ON norm_tool_calls USING gin (search)",
            ]
        }
    }

    /// SQLite: the triggers that keep both indexes current, each taking effect only `when` the
    /// condition holds (nil: always).
    package static func triggers(when condition: String?) -> [String] {
        let when = condition.map { " WHEN \($0)" } ?? ""
        let calls = "name, input, result"
        return [
            "CREATE TRIGGER norm_messages_fts_insert AFTER INSERT ON norm_messages\(when) BEGIN INSERT INTO norm_messages_fts(rowid, text) VALUES (new.rowid, new.text); END",
            "CREATE TRIGGER norm_messages_fts_delete AFTER DELETE ON norm_messages\(when) BEGIN INSERT INTO norm_messages_fts(norm_messages_fts, rowid, text) VALUES ('delete', old.rowid, old.text); END",
            """
            CREATE TRIGGER norm_messages_fts_update AFTER UPDATE OF text ON norm_messages\(when) BEGIN
              INSERT INTO norm_messages_fts(norm_messages_fts, rowid, text) VALUES ('delete', old.rowid, old.text);
              INSERT INTO norm_messages_fts(rowid, text) VALUES (new.rowid, new.text);
            END
            """,
            "CREATE TRIGGER norm_tool_calls_fts_insert AFTER INSERT ON norm_tool_calls\(when) BEGIN INSERT INTO norm_tool_calls_fts(rowid, \(calls)) VALUES (new.rowid, new.name, new.input, new.result); END",
            """
            CREATE TRIGGER norm_tool_calls_fts_delete AFTER DELETE ON norm_tool_calls\(when) BEGIN
              INSERT INTO norm_tool_calls_fts(norm_tool_calls_fts, rowid, \(calls)) VALUES ('delete', old.rowid, old.name, old.input, old.result);
            END
            """,
            """
            CREATE TRIGGER norm_tool_calls_fts_update AFTER UPDATE OF \(calls) ON norm_tool_calls\(when) BEGIN
              INSERT INTO norm_tool_calls_fts(norm_tool_calls_fts, rowid, \(calls)) VALUES ('delete', old.rowid, old.name, old.input, old.result);
              INSERT INTO norm_tool_calls_fts(rowid, \(calls)) VALUES (new.rowid, new.name, new.input, new.result);
            END
            """,
        ]
    }

    /// SQLite: the tables each index covers, their indexed columns, the queue of rows not
    /// yet in it (see `DeferredIndexing.swift`), and the view it reads them through (their
    /// text unpacked, rowid as `row`: see ``PackedText``).
    static let indexedTables: [(table: String, index: String, columns: [String], queue: String, content: String)] = [
        ("norm_messages", "norm_messages_fts", ["text"], "norm_messages_unindexed", "norm_messages_text"),
        ("norm_tool_calls", "norm_tool_calls_fts", ["name", "input", "result"], "norm_tool_calls_unindexed", "norm_tool_calls_text"),
    ]

    /// SQLite: the condition under which the triggers act (the index is not paused).
    static let isLive = "(SELECT live FROM norm_search_state WHERE id = 1) = 1"

    /// SQLite: the three triggers of each index, as named since migration 6.
    static let triggerNames = indexedTables.flatMap { table in ["insert", "delete", "update"].map { "\(table.index)_\($0)" } }

    /// SQLite: both indexes built again from their tables, one pass over the text.
    package static let rebuild = indexedTables.map { "INSERT INTO \($0.index)(\($0.index)) VALUES ('rebuild')" }

    /// SQLite, migration 9: how both indexes write and merge their segments (kept in each
    /// index's config table). Measured on the 195 MB generated corpus:
    /// - `hashsize` 16 MB: FTS5 gathers terms in memory and writes a segment each time they pass
    ///   it (1 MB by default), merging segments as it goes; a whole rebuild took 2.7 -> 1.8 CPU s.
    /// - `automerge` 16 (`crisismerge` above it): a running server commits each normalised
    ///   batch, and each commit writes a small segment; merging them four at a time (the
    ///   default) rewrote every term's list at every level. Sixteen at a time: storing and
    ///   normalising the corpus as it arrives 28.4 -> 25.8 CPU s; a search of a common word still
    ///   40 ms.
    static let tuning = indexedTables.map(\.index).flatMap { index in
        [("hashsize", 16 << 20), ("automerge", 16), ("crisismerge", 64)].map { setting, value in
            "INSERT INTO \(index)(\(index), rank) VALUES ('\(setting)', \(value))"
        }
    }

    /// SQLite, migration 27: both indexes keep which rows hold a word, not where in them
    /// (`detail = none`), and are built again so. A search takes every word it is given in any
    /// place of a row (as PostgreSQL's does), so the places were never read, and they were most
    /// of the index: on the 195 MB generated corpus 23.1 -> 4.5 MB, and a whole rebuild 1.45 ->
    /// 1.13 CPU s. Snippets are cut from the row's text as before.
    static let withoutPlaces: [String] = indexedTables.map { "DROP TABLE \($0.index)" }
        + indexedTables.map { indexWithoutPlaces($0.index, columns: $0.columns, content: $0.table, rowid: "rowid") }
        + tuning + rebuild + indexedTables.map { "DELETE FROM \($0.queue)" }

    /// An index keeping which rows hold a word, reading its rows from `content` by `rowid`.
    private static func indexWithoutPlaces(_ index: String, columns: [String], content: String, rowid: String) -> String {
        """
        CREATE VIRTUAL TABLE \(index) USING fts5(\(columns.joined(separator: ", ")), content = '\(content)', content_rowid = '\(rowid)', \
        tokenize = 'unicode61 remove_diacritics 2', detail = none)
        """
    }

    /// SQLite, migration 28: both indexes and their triggers dropped before the text is packed
    /// (the old triggers would take packed text out of the index) ...
    static let droppedBeforePacking: [String] = triggerNames.map { "DROP TRIGGER \($0)" } + indexedTables.map { "DROP TABLE \($0.index)" }

    /// ... and made again over the views that unpack it, built again from what is stored.
    static let overPackedText: [String] = indexedTables.map { table, _, columns, _, content in
        "CREATE VIEW \(content) AS SELECT rowid AS row, \(columns.map { "unpack_text(\($0)) AS \($0)" }.joined(separator: ", ")) FROM \(table)"
    } + indexedTables.map { indexWithoutPlaces($0.index, columns: $0.columns, content: $0.content, rowid: "row") } + tuning + rebuild + indexedTables.map { "DELETE FROM \($0.queue)" } + deferredTriggers(unpacking: true)

    /// The words of a query as both indexes split text: at every character that is not a
    /// letter or a digit (`user_id` is `user` and `id`).
    package static func terms(_ query: String) -> [String] {
        query.split(whereSeparator: { !($0.isLetter || $0.isNumber) }).map(String.init)
    }

    /// SQLite, migration 7: the triggers stand still while the index is paused
    /// (`norm_search_state.live = 0`), as during a whole reparse.
    static let pausable: [String] = [
        "CREATE TABLE norm_search_state (id INTEGER PRIMARY KEY, live INTEGER NOT NULL)",
        "INSERT INTO norm_search_state(id, live) VALUES (1, 1)",
    ] + triggerNames.map { "DROP TRIGGER \($0)" } + triggers(when: isLive)

    /// The statements that pause the index and empty it (SQLite; run with the tables' own
    /// deletion). Maintaining the index row by row as a whole store is normalised again costs
    /// three times one pass over the finished tables: 11 s against 3.4 s of CPU for a
    /// 187 MB corpus.
    package static func pause(_ dialect: SQLDialect) -> [SQLStatement] {
        guard dialect == .sqlite else { return [] }
        return [SQLStatement("UPDATE norm_search_state SET live = 0 WHERE id = 1")]
            + indexedTables.map { SQLStatement("INSERT INTO \($0.index)(\($0.index)) VALUES ('delete-all')") } + forgetQueued
    }

    /// Builds a paused index from the tables and makes it live again, in one transaction
    /// (SQLite; nothing to do when it is live or on PostgreSQL). Also what mends an index left
    /// paused by a reparse that was stopped half way.
    public func resumeIfPaused() async throws {
        guard store.dialect == .sqlite,
              try await store.query(SQLStatement("SELECT live FROM norm_search_state WHERE id = 1")).first?.first?.int == 0
        else { return }
        try await store.execute(Self.rebuild.map { SQLStatement($0) } + Self.forgetQueued
            + (SessionTotals.rebuild + [SessionTotals.facetsFromSessions()] + UsageByDay.rebuild).map { SQLStatement($0) }
            + [SQLStatement("UPDATE norm_search_state SET live = 1 WHERE id = 1")])
    }

    /// PostgreSQL, migration 22: messages and tool calls in the order a search lists them (newest
    /// first). A common word matches a third of a fleet's ten million messages; from the GIN
    /// index alone the newest fifty are a sort of every match (seconds), along this index they
    /// are the first fifty that match (under a millisecond). A rare word still goes by the GIN
    /// index: PostgreSQL chooses by the word's frequency, which ANALYZE keeps for `tsvector`s.
    package static let newestFirst = [
        "CREATE INDEX norm_messages_newest ON norm_messages (created_at DESC NULLS LAST, message_key)",
        "CREATE INDEX norm_tool_calls_newest ON norm_tool_calls (started_at DESC NULLS LAST, call_key)",
    ]

    /// A PostgreSQL expression: `text` with every run of characters that are not letters or digits
    /// made one space.
    package static func words(_ text: String) -> String {
        "regexp_replace(\(text), '[^[:alnum:]]+', ' ', 'g')"
    }

    /// Messages and tool calls matching every word of `query`, newest first (at most `limit` of
    /// each), in the tenant's sessions (nil: every tenant's). Newest, not best: ranking every
    /// match of a common word costs time in proportion to the matches (1.5 s for a word in a
    /// fifth of a million messages), the newest fifty cost the same whatever the word.
    /// `owner`: only in sessions of one person's or one team's devices.
    public func search(_ query: String, tenant: Int64?, owner: OwnerFilter = OwnerFilter(), limit: Int = 50) async throws -> [Hit] {
        let words = Self.terms(query)
        guard !words.isEmpty else { return [] }
        let tenantValue = SQLiteValue.integer(tenant ?? -1)
        let owned = owner.conditions(sessions: "s", first: 3)
        let ownedSQL = owned.conditions.map { " AND " + $0 }.joined()
        let messages: [[SQLiteValue]]
        let calls: [[SQLiteValue]]
        switch store.dialect {
        case .sqlite:
            // Each word quoted: what people type is never taken as FTS5 syntax (a word holds no
            // quote: it is letters and digits).
            let match = SQLiteValue.text(words.map { "\"" + $0 + "\"" }.joined(separator: " "))
            messages = try await store.query(SQLStatement("""
                SELECT m.session_key, m.message_key, m.role, s.tool, s.title, m.created_at,
                       snippet(norm_messages_fts, 0, char(1), char(2), '…', 24)
                FROM norm_messages_fts JOIN norm_messages m ON m.rowid = norm_messages_fts.rowid
                JOIN norm_sessions s ON s.session_key = m.session_key
                WHERE norm_messages_fts MATCH $1 AND ($2 < 0 OR s.tenant_id = $2)\(ownedSQL)
                ORDER BY norm_messages_fts.rowid DESC LIMIT \(limit)
                """, [match, tenantValue] + owned.values))
            calls = try await store.query(SQLStatement("""
                SELECT c.session_key, c.message_key, c.call_key, s.tool, s.title, c.started_at,
                       coalesce(c.name, '') || ': ' || snippet(norm_tool_calls_fts, -1, char(1), char(2), '…', 24)
                FROM norm_tool_calls_fts JOIN norm_tool_calls c ON c.rowid = norm_tool_calls_fts.rowid
                JOIN norm_sessions s ON s.session_key = c.session_key
                WHERE norm_tool_calls_fts MATCH $1 AND ($2 < 0 OR s.tenant_id = $2)\(ownedSQL)
                ORDER BY norm_tool_calls_fts.rowid DESC LIMIT \(limit)
                """, [match, tenantValue] + owned.values))
        case .postgres:
            let tsquery = "plainto_tsquery('simple', \(Self.words("$1")))"
            messages = try await store.query(SQLStatement("""
                SELECT m.session_key, m.message_key, m.role, s.tool, s.title, m.created_at, left(m.text, 20000)
                FROM norm_messages m JOIN norm_sessions s ON s.session_key = m.session_key
                WHERE m.search @@ \(tsquery) AND ($2 < 0 OR s.tenant_id = $2)\(ownedSQL)
                ORDER BY m.created_at DESC NULLS LAST, m.message_key LIMIT \(limit)
                """, [.text(query), tenantValue] + owned.values)).map { row in
                row.enumerated().map { $0.offset == 6 ? .text(Self.snippet(row[6].text ?? "", words: words)) : $0.element }
            }
            calls = try await store.query(SQLStatement("""
                SELECT c.session_key, c.message_key, c.call_key, s.tool, s.title, c.started_at, coalesce(c.name, ''),
                       left(coalesce(c.input, '') || ' ' || coalesce(c.result, ''), 20000)
                FROM norm_tool_calls c JOIN norm_sessions s ON s.session_key = c.session_key
                WHERE c.search @@ \(tsquery) AND ($2 < 0 OR s.tenant_id = $2)\(ownedSQL)
                ORDER BY c.started_at DESC NULLS LAST, c.call_key LIMIT \(limit)
                """, [.text(query), tenantValue] + owned.values)).map { row in
                Array(row[0..<6]) + [.text((row[6].text ?? "") + ": " + Self.snippet(row[7].text ?? "", words: words))]
            }
        }
        return messages.map {
            Hit(sessionId: $0[0].text ?? "", messageId: $0[1].text, toolCallId: nil, kind: "message", role: $0[2].text,
                tool: $0[3].text ?? "", title: $0[4].text, createdAt: $0[5].text, snippet: $0[6].text ?? "")
        } + calls.map {
            Hit(sessionId: $0[0].text ?? "", messageId: $0[1].text, toolCallId: $0[2].text, kind: "tool_call", role: nil,
                tool: $0[3].text ?? "", title: $0[4].text, createdAt: $0[5].text, snippet: $0[6].text ?? "")
        }
    }
}

extension FullTextSearch {
    /// About `width` characters of `text` around the first of `words` found in it, each word
    /// found marked (whole words, any case), `…` where the text was cut: the snippet SQLite's
    /// FTS5 gives, made for stores that give none of their own.
    package static func snippet(_ text: String, words: [String], width: Int = 200) -> String {
        let wanted = Set(words.flatMap { $0.lowercased().split(whereSeparator: { !$0.isLetter && !$0.isNumber }).map(String.init) })
        // The text's words and where they are.
        var ranges: [Range<String.Index>] = []
        var start: String.Index?
        var index = text.startIndex
        while index < text.endIndex {
            let character = text[index]
            if character.isLetter || character.isNumber {
                if start == nil { start = index }
            } else if let from = start {
                ranges.append(from..<index)
                start = nil
            }
            index = text.index(after: index)
        }
        if let from = start { ranges.append(from..<text.endIndex) }
        let matches = ranges.filter { wanted.contains(text[$0].lowercased()) }
        let first = matches.first?.lowerBound ?? text.startIndex
        let from = text.index(first, offsetBy: -width / 3, limitedBy: text.startIndex) ?? text.startIndex
        let to = text.index(from, offsetBy: width, limitedBy: text.endIndex) ?? text.endIndex
        var snippet = from > text.startIndex ? "…" : ""
        var cursor = from
        for match in matches where match.lowerBound >= from && match.upperBound <= to {
            snippet += text[cursor..<match.lowerBound] + matchStart + text[match] + matchEnd
            cursor = match.upperBound
        }
        snippet += text[cursor..<to]
        return to < text.endIndex ? snippet + "…" : snippet
    }
}
