import Foundation
@testable import Explorer
@testable import IngestStore
@testable import Normalization
import Testing

/// A vendor's usage report (a mapping's `usage.joins`) moves each request into the conversation
/// of that tool the sensor collected on the same person's devices at that time; a request at a
/// time no conversation spans stays in the report's own session; the daily sums follow, and a
/// reparse gives the same.
@Suite struct UsageIntoConversationsTests {
    @Test(arguments: StoreKind.available)
    func aReportedRequestMovesIntoThePersonsConversationOfThatTime(_ kind: StoreKind) async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("report-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        try """
            kinds: [report.usage]
            tool: gemini-cli
            session:
              id: {concat: [{value: report}, user], separator: ":"}
            rules:
              - timestamp: at
                accounts:
                  - email: user
                usage:
                  - id: id
                    input: tokens
                    cost: usd
                    joins: gemini-cli
            """.write(to: folder.appendingPathComponent("report.yaml"), atomically: true, encoding: .utf8)
        let (registry, problems) = NormalizerRegistry.loading(directory: folder)
        #expect(problems.isEmpty, "\(problems)")
        try await TestServer.with(kind) { test in
            let store = test.store
            _ = try await TwoPeople.make(test)  // Ada's Gemini conversations on 2026-12-01 10:00–10:05 and 2026-12-02
            let normalizer = Normalizer(store: store, registry: registry)
            func report(_ id: String, at: String, tokens: Int) -> ValidEnvelope {
                let json = """
                    {"schema_version":1,"id":"\(id)","source":"report","kind":"report.usage","device":"report-ada","sensor":"0.1.0",\
                    "collected_at":"2026-12-03T00:00:00Z","locator":{"path":"api/report"},"encoding":"json",\
                    "record":{"id":"\(id)","user":"ada@acme.com","at":"\(at)","tokens":\(tokens),"usd":0.5}}
                    """
                return ValidEnvelope(id: id, source: "report", kind: "report.usage", device: "report-ada", bytes: Array(json.utf8)[...], path: "api/report")
            }
            let before = try await TwoPeople.dailySums(store)
            _ = try await store.insert([report("r1", at: "2026-12-01T10:02:00Z", tokens: 7), report("r2", at: "2026-11-20T08:00:00Z", tokens: 11)],
                                       from: BatchOrigin(tokenID: 0, batchID: "report"))
            _ = try await normalizer.catchUp()
            func placement() async throws -> [String: String] {
                var placed: [String: String] = [:]
                for row in try await store.query(SQLStatement("""
                    SELECT u.total_tokens, s.tool, s.native_id, s.device FROM norm_usage u JOIN norm_sessions s ON s.session_key = u.session_key
                    WHERE u.source = 'report'
                    """)) {
                    placed["\(row[0].int ?? 0)"] = "\(row[2].text ?? "")@\(row[3].text ?? "")"
                }
                return placed
            }
            // Ada's two laptops each hold a conversation spanning 10:00–10:05 that day: the same one is chosen each time.
            let adas = ["s0@" + TwoPeople.adaDevices[0], "s1@" + TwoPeople.adaDevices[1]]
            var placed = try await placement()
            let chosen = placed["7"]
            #expect(chosen.map(adas.contains) == true, "\(placed)")
            #expect(placed["11"] == "report:ada@acme.com@report-ada", "\(placed)")
            // The conversation's cost now names where it was recorded.
            let conversation = try #require(try await NormalizedReader(store: store).sessions(.init(tenant: Tenant.defaultID)).sessions
                .first { "\($0.nativeId)@\($0.device)" == chosen })
            #expect(conversation.costRecordedBy == "report" && ExplorerHandler.cost(conversation).hasSuffix(" recorded (Report)"),
                    "\(ExplorerHandler.cost(conversation))")
            // A row left in the other laptop's conversation (a reparse's lanes can leave it there when
            // the report's lane runs before this laptop's) is settled where it belongs once all is normalised.
            let keys = Dictionary(uniqueKeysWithValues: try await store.query(SQLStatement("SELECT native_id || '@' || device, session_key FROM norm_sessions"))
                .map { ($0[0].text ?? "", $0[1].text ?? "") })
            let other = try #require(adas.first { $0 != chosen }.flatMap { keys[$0] })
            try await store.execute([SQLStatement("UPDATE norm_usage SET session_key = $1 WHERE source = 'report' AND total_tokens = 7", [.text(other)])])
            #expect(try await placement()["7"] != chosen)
            try await store.execute(UsageIntoConversations.settleAll)
            let settled = try await placement()
            #expect(settled == placed, "settled back where it belongs")
            var after = try await TwoPeople.dailySums(store)
            #expect(after["2026-12-01"]?[0] == (before["2026-12-01"]?[0] ?? 0) + 7 && after["2026-11-20"]?[0] == 11, "\(after)")
            _ = try await normalizer.reparse()
            placed = try await placement()
            #expect(placed["7"] == chosen && placed["11"] == "report:ada@acme.com@report-ada", "\(placed)")
            after = try await TwoPeople.dailySums(store)
            #expect(after["2026-12-01"]?[0] == (before["2026-12-01"]?[0] ?? 0) + 7)
        }
    }
}
