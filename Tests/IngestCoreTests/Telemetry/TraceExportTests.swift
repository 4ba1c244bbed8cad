import Foundation
@testable import IngestCore
import IngestStore
import SensorTestSupport
import Testing

/// Sessions pushed as OTLP traces to a receiver on 127.0.0.1 that decodes them with the official
/// OpenTelemetry protobuf definitions (PyPI opentelemetry-proto): one trace per session, span
/// counts and token sums equal the read API's, no words, through a 503; what was sent is not sent
/// again, a late session is; the same session sent again is the same trace.
@Suite struct TraceExportTests {
    static func received(_ log: URL) -> [[String: Any]] {
        ((try? String(contentsOf: log, encoding: .utf8)) ?? "").split(separator: "\n").flatMap { line -> [[String: Any]] in
            let request = (try? JSONSerialization.jsonObject(with: Data(line.utf8))) as? [String: Any]
            return request?["resources"] as? [[String: Any]] ?? []
        }
    }

    @Test(arguments: StoreKind.available)
    func eachSessionIsOneTraceWhoseSpansAndTokensEqualTheReadAPIs(_ kind: StoreKind) async throws {
        try await TestServer.with(kind) { test in
            _ = try await TwoPeople.make(test)
            let python = try #require(SCIMTests.python, SCIMTests.missing)
            let work = FileManager.default.temporaryDirectory.appendingPathComponent("otlp-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: work, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(at: work) }
            let port = freeLoopbackPort()
            let log = work.appendingPathComponent("received.jsonl")
            let receiver = try ProcessRunner.start(python, [FixtureHome.repositoryRoot.appendingPathComponent("scripts/otlp-receiver.py").path,
                                                            "--port", "\(port)", "--log", log.path, "--fail-first", "1"],
                                                   log: work.appendingPathComponent("receiver.log"))
            defer { receiver.terminate() }
            try await ProcessRunner.wait(seconds: 20, "the OTLP receiver") { loopbackPortAccepts(port) }

            var settings = TraceExporter.Settings(endpoint: "http://127.0.0.1:\(port)", tenant: Tenant.defaultID)
            settings.quiet = 0
            settings.sessionsPerRequest = 4
            settings.firstBackoff = 0.05
            settings.headers = [("Authorization", "Bearer collector-token")]
            let exporter = TraceExporter(store: test.store, settings: settings, logger: .quiet)
            let outcome = try await exporter.export()
            #expect(outcome.sessions == 6 && outcome.retried == 1 && outcome.requests == 3, "\(outcome)")

            let resources = Self.received(log)
            let spans = resources.flatMap { $0["spans"] as? [[String: Any]] ?? [] }
            #expect(Set(spans.compactMap { $0["trace_id"] as? String }).count == 6, "one trace per session")
            let roots = spans.filter { ($0["parent_span_id"] as? String ?? "").isEmpty }
            #expect(roots.count == 6 && roots.allSatisfy { ($0["name"] as? String ?? "").hasPrefix("invoke_agent ") })
            let chats = spans.filter { ($0["attributes"] as? [String: Any])?["gen_ai.operation.name"] as? String == "chat" }
            let tools = spans.filter { ($0["attributes"] as? [String: Any])?["gen_ai.operation.name"] as? String == "execute_tool" }
            let usageRows = try await test.store.query(SQLStatement("SELECT count(*), CAST(sum(total_tokens) AS BIGINT) FROM norm_usage")).first
            let callRows = try await test.store.query(SQLStatement("SELECT count(*) FROM norm_tool_calls")).first?.first?.int
            #expect(chats.count == Int(usageRows?[0].int ?? -1) && tools.count == Int(callRows ?? -1))
            let tokens = chats.reduce(0) { sum, span in
                let attributes = span["attributes"] as? [String: Any] ?? [:]
                return sum + (Int(attributes["gen_ai.usage.input_tokens"] as? String ?? "") ?? attributes["gen_ai.usage.input_tokens"] as? Int ?? 0)
                    + (Int(attributes["gen_ai.usage.output_tokens"] as? String ?? "") ?? attributes["gen_ai.usage.output_tokens"] as? Int ?? 0)
            }
            #expect(tokens == Int(usageRows?[1].int ?? -1) && tokens == 100 + 200 + 300 + 3 * 1000, "\(tokens)")
            // Every child's parent is its trace's root; no words, and no one named without --people.
            let rootOf = Dictionary(roots.map { ($0["trace_id"] as? String ?? "", $0["span_id"] as? String ?? "") }, uniquingKeysWith: { a, _ in a })
            #expect((chats + tools).allSatisfy { rootOf[$0["trace_id"] as? String ?? ""] == $0["parent_span_id"] as? String })
            let text = (try? String(contentsOf: log, encoding: .utf8)) ?? ""
            #expect(!text.contains(TwoPeople.adaWords) && !text.contains(TwoPeople.bobWords) && !text.contains("@acme.com"))
            #expect(text.contains("Bearer collector-token"))

            // Nothing new: nothing sent. A conversation arriving late (older than what was sent): only it.
            #expect(try await exporter.export().sessions == 0)
            let laptop = TokenSecret.generate()
            _ = try await test.store.createToken(NewToken(name: "bob-again", hash: TokenSecret.hash(laptop), tenantID: Tenant.defaultID))
            try await test.withRouterClient { client in
                let records = TwoPeople.conversation(device: "d-bob-desktop", session: "later", words: "new", tokens: 70)
                let answer = try await client.postBatch(Envelopes.batch(records, device: "d-bob-desktop"), token: laptop).answer()
                #expect(answer.accepted == 3, "\(answer)")
            }
            try await test.server.normalizer.catchUp()
            let bob = try #require(try await PeopleDirectory.person(email: "bob@acme.com", tenant: Tenant.defaultID, in: test.store))
            try await test.store.execute([PeopleDirectory.link(device: "d-bob-desktop", to: bob.id, by: .admin, tenant: Tenant.defaultID)])
            #expect(try await exporter.export().sessions == 1)

            // From the start again, naming people: the same traces and spans, now with the email and teams.
            try await exporter.resend()
            var named = settings
            named.people = true
            let before = Set(spans.compactMap { $0["span_id"] as? String })
            try? FileManager.default.removeItem(at: log)
            #expect(try await TraceExporter(store: test.store, settings: named, logger: .quiet).export().sessions == 7)
            let again = Self.received(log)
            #expect(before.isSubset(of: Set(again.flatMap { $0["spans"] as? [[String: Any]] ?? [] }.compactMap { $0["span_id"] as? String })))
            let emails = Set(again.compactMap { ($0["attributes"] as? [String: Any])?["user.email"] as? String })
            #expect(emails == ["ada@acme.com", "bob@acme.com"])
            #expect(again.allSatisfy { (($0["attributes"] as? [String: Any])?["session_sensor.teams"] as? [String]) == ["Platform"] })
        }
    }
}
