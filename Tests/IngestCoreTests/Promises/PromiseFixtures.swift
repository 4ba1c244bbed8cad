import Foundation
import HummingbirdTesting
import IngestCore
import IngestStore
import SQLiteDB
import Testing

/// A tenant of two people: Ada with two devices, Bob with one, each device's conversations
/// holding words of its own (a phrase planted per person), tokens and a tool call.
struct TwoPeople {
    static let adaWords = "zanzibarquokka"
    static let bobWords = "kilimanjarowombat"
    static let adaDevices = ["d-ada-laptop", "d-ada-desktop"]
    static let bobDevice = "d-bob-laptop"

    let ada: PersonRecord
    let bob: PersonRecord
    /// The envelopes each device sent, to send again.
    let sent: [String: [String]]

    /// What makes a prompt long enough to be stored compressed (``PackedText``), so that
    /// erasure is shown to reach packed text too.
    static let longEnoughToBePacked = String(repeating: "the retry loop, the backoff and the logs of the last run; ", count: 3)

    /// A Gemini CLI conversation on `day`: a prompt holding `words`, an answer of `tokens` tokens.
    static func conversation(device: String, session: String, words: String, tokens: Int, day: String = "2026-12-01") -> [String] {
        let path = "~/.gemini/tmp/p/chats/session-\(session).jsonl"
        return [
            #"{"sessionId":"\#(session)","projectHash":"p","startTime":"\#(day)T10:00:00Z","lastUpdated":"\#(day)T10:05:00Z"}"#,
            #"{"id":"\#(session)-u","timestamp":"\#(day)T10:00:01Z","type":"user","content":"please look at \#(words) now: \#(longEnoughToBePacked)"}"#,
            #"{"id":"\#(session)-a","timestamp":"\#(day)T10:00:02Z","type":"gemini","content":"\#(words) looked at","model":"gemini-2.5-pro","toolCalls":[{"id":"\#(session)-t","name":"read_file","args":{"path":"/home/\#(words).txt"},"result":[{"text":"\#(words) inside"}],"status":"success"}],"tokens":{"input":\#(tokens - 10),"output":10,"cached":0,"thoughts":0,"total":\#(tokens)}}"#,
        ].enumerated().map { PeopleTests.envelope("gemini-cli.chat", device: device, record: $1, offset: $0 * 400, path: path) }
    }

    /// Sends every device's conversations, links the devices to their people and normalises.
    static func make(_ test: TestServer) async throws -> TwoPeople {
        let tenant = Tenant.defaultID
        var sent: [String: [String]] = [:]
        for (index, device) in (adaDevices + [bobDevice]).enumerated() {
            let words = device == bobDevice ? bobWords : adaWords
            sent[device] = conversation(device: device, session: "s\(index)", words: words, tokens: 100 * (index + 1))
                + conversation(device: device, session: "t\(index)", words: words, tokens: 1000, day: "2026-12-02")
        }
        let batches = sent
        try await test.withRouterClient { client in
            for device in adaDevices + [bobDevice] {
                let token = TokenSecret.generate()
                _ = try await test.store.createToken(NewToken(name: "laptop-\(device)", hash: TokenSecret.hash(token), tenantID: tenant))
                let records = batches[device] ?? []
                #expect(try await client.postBatch(Envelopes.batch(records, device: device), token: token).answer().accepted == records.count)
            }
        }
        try await test.server.normalizer.catchUp()
        let ada = try await PeopleDirectory.upsert(.init(email: "ada@acme.com", name: "Ada"), origin: "admin", tenant: tenant, in: test.store)
        let bob = try await PeopleDirectory.upsert(.init(email: "bob@acme.com", name: "Bob"), origin: "admin", tenant: tenant, in: test.store)
        try await test.store.execute(adaDevices.map { PeopleDirectory.link(device: $0, to: ada.id, by: .admin, tenant: tenant) }
                                     + [PeopleDirectory.link(device: bobDevice, to: bob.id, by: .admin, tenant: tenant)])
        let team = try await PeopleDirectory.upsertTeam(named: "Platform", tenant: tenant, in: test.store)
        try await PeopleDirectory.setMembers(of: team.id, to: [ada.id, bob.id], tenant: tenant, in: test.store)
        return TwoPeople(ada: ada, bob: bob, sent: sent)
    }

    /// Tokens and cost per day for the tenant, from the daily sums every figure is read from.
    static func dailySums(_ store: any IngestStore) async throws -> [String: [Double]] {
        var sums: [String: [Double]] = [:]
        for row in try await store.query(SQLStatement("""
            SELECT u.day, CAST(sum(u.tokens) AS BIGINT), sum(u.cost) FROM norm_usage_by_day u JOIN norm_sessions s ON s.session_key = u.session_key
            WHERE s.tenant_id = 1 AND u.rows > 0 GROUP BY u.day
            """)) {
            sums[row[0].text ?? ""] = [Double(row[1].int ?? 0), ((row[2].double ?? 0) * 1e6).rounded() / 1e6]
        }
        return sums
    }

    /// Every place in every table (each column read as text) where one of `needles` appears:
    /// `table.column` for each.
    static func mentions(of needles: [String], in store: any IngestStore) async throws -> [String] {
        let columns: [(String, String)]
        switch store.dialect {
        case .sqlite:
            var found: [(String, String)] = []
            for table in try await store.query(SQLStatement("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")) {
                let name = table[0].text ?? ""
                for column in try await store.query(SQLStatement("SELECT name FROM pragma_table_info($1)", [.text(name)])) {
                    found.append((name, column[0].text ?? ""))
                }
            }
            columns = found
        case .postgres:
            columns = try await store.query(SQLStatement("""
                SELECT table_name, column_name FROM information_schema.columns WHERE table_schema = current_schema() ORDER BY 1, 2
                """)).map { ($0[0].text ?? "", $0[1].text ?? "") }
        }
        // SQLite: packed text and raw envelopes are read as written (`unpack_text` takes the
        // store's dictionaries, raw custody's too).
        func value(_ column: String) -> String { store.dialect == .sqlite ? "unpack_text(\(column))" : column }
        var mentions: [String] = []
        for (table, column) in columns {
            for needle in needles {
                let rows = try await store.query(SQLStatement(
                    "SELECT count(*) FROM \"\(table)\" WHERE lower(CAST(\(value("\"\(column)\"")) AS TEXT)) LIKE $1", [.text("%\(needle.lowercased())%")]))
                if (rows.first?.first?.int ?? 0) > 0 { mentions.append("\(table).\(column) holds \(needle)") }
            }
        }
        return mentions
    }
}
