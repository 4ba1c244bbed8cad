import AsyncHTTPClient
import Foundation
import NIOCore
@testable import IngestCore
import IngestStore
import SensorTestSupport
import Testing

/// OTLP intake with the OpenTelemetry Python SDK's exporter as the sender (and OTLP/JSON built
/// with the official definitions): Claude Code's `api_request` events for a transcript the
/// sensor also sends are joined to its responses by request id (their cost recorded, nothing
/// counted twice, whichever arrives first); an event no transcript holds still counts; a retry
/// stores nothing twice; protobuf and JSON both.
@Suite struct TelemetryIntakeTests {
    /// A Claude Code transcript line: an answer of `tokens` (input `tokens - 20`, output 20) to request `request`.
    static func answer(session: String, request: String, tokens: Int, device: String) -> String {
        Envelopes.make(source: "claude-code.transcripts", kind: "claude-code.transcript", device: device, record: """
            {"type":"assistant","sessionId":"\(session)","uuid":"a-\(request)","timestamp":"2026-12-01T10:00:05.000Z","requestId":"\(request)",\
            "message":{"id":"msg-\(request)","type":"message","role":"assistant","model":"claude-sonnet-4-5-20250929",\
            "content":[{"type":"text","text":"done"}],"usage":{"input_tokens":\(tokens - 20),"output_tokens":20}}}
            """)
    }

    /// Claude Code's documented `api_request` event.
    static func event(session: String, request: String, tokens: Int, cost: Double) -> [String: Any] {
        ["body": "claude_code.api_request", "time_ns": 1_764_583_205_000_000_000 as Int64,
         "attributes": ["event.name": "api_request", "session.id": session, "request_id": request, "model": "claude-sonnet-4-5-20250929",
                        "input_tokens": tokens - 20, "output_tokens": 20, "cache_read_tokens": 0, "cache_creation_tokens": 0,
                        "cost_usd": cost, "duration_ms": 1200, "user.email": "ada@acme.com", "organization.id": "org-acme"] as [String: Any]]
    }

    static func send(_ mode: String, _ url: String, _ token: String, _ events: [[String: Any]],
                     resource: String = #"{"service.name":"claude-code","service.version":"2.1.0","user.email":"ada@acme.com"}"#) async throws {
        let python = try #require(SCIMTests.python, SCIMTests.missing)
        let run = try await ProcessRunner.run(python, [FixtureHome.repositoryRoot.appendingPathComponent("scripts/otel-send.py").path, mode, url,
                                                       token, resource, String(decoding: try JSONSerialization.data(withJSONObject: events), as: UTF8.self)])
        #expect(run.status == 0, "\(run.stderr.suffix(1500))")
    }

    @Test(arguments: StoreKind.available)
    func eventsJoinTheirTranscriptsResponsesAndCountOnce(_ kind: StoreKind) async throws {
        try await TestServer.with(kind) { test in
            let store = test.store
            try await PeopleDirectory.setDomains(["acme.com"], tenant: Tenant.defaultID, in: store)
            // The sensor sends the transcript of session S1: two responses.
            let laptop = TokenSecret.generate()
            _ = try await store.createToken(NewToken(name: "laptop", hash: TokenSecret.hash(laptop), tenantID: Tenant.defaultID))
            try await test.withRouterClient { client in
                let lines = [Self.answer(session: "S1", request: "req_A", tokens: 1000, device: "d-ada"),
                             Self.answer(session: "S1", request: "req_B", tokens: 2000, device: "d-ada")]
                let answer = try await client.postBatch(Envelopes.batch(lines, device: "d-ada"), token: laptop).answer()
                #expect(answer.accepted == 2)
            }
            try await test.server.normalizer.catchUp()
            func figures() async throws -> (tokens: Int64, cost: Double, rows: Int64) {
                let row = try await store.query(SQLStatement("SELECT CAST(sum(tokens) AS BIGINT), sum(cost), CAST(sum(rows) AS BIGINT) FROM norm_usage_by_day")).first
                return (row?[0].int ?? 0, ((row?[1].double ?? 0) * 1e6).rounded() / 1e6, row?[2].int ?? 0)
            }
            #expect(try await figures().tokens == 3000)

            try await LiveServer.with(test.server) { url in
                // Telemetry (protobuf, gzip, through the SDK): the two requests, and one of a session no transcript holds.
                let events = [Self.event(session: "S1", request: "req_A", tokens: 1000, cost: 0.05),
                              Self.event(session: "S1", request: "req_B", tokens: 2000, cost: 0.07),
                              Self.event(session: "S2", request: "req_C", tokens: 500, cost: 0.11)]
                try await Self.send("protobuf", url, test.token, events)
                try await test.server.normalizer.catchUp()
                var now = try await figures()
                #expect(now.tokens == 3500 && now.rows == 3, "the two joined count once, the third counts: \(now)")
                #expect(now.cost == 0.23, "the vendor's costs: \(now.cost)")
                let joined = try await store.query(SQLStatement("SELECT request_id, cost, source FROM norm_usage ORDER BY request_id"))
                #expect(joined.map { $0[0].text } == ["req_A", "req_B", "req_C"])
                #expect(joined[0][2].text != "otlp" && joined[0][1].double == 0.05 && joined[2][2].text == "otlp", "\(joined)")
                #expect(try await store.query(SQLStatement("SELECT count(*) FROM raw_envelopes WHERE source = 'otlp'")).first?.first?.int == 3)

                // Claude Code's metrics: kept raw, counted nowhere (the events count them).
                try await Self.send("metrics", url, test.token, [["name": "claude_code.token.usage", "value": 980.0, "time_ns": 1_764_583_205_000_000_000 as Int64,
                                                                  "attributes": ["type": "input", "model": "claude-sonnet-4-5-20250929"]]])
                try await test.server.normalizer.catchUp()
                #expect(try await store.query(SQLStatement("SELECT count(*) FROM raw_envelopes WHERE kind = 'otlp.metric-point'")).first?.first?.int == 1)
                #expect(try await figures().tokens == 3500)

                // The exporter retries the same export: nothing new.
                try await Self.send("protobuf", url, test.token, events)
                try await test.server.normalizer.catchUp()
                #expect(try await figures().tokens == 3500)
                #expect(try await store.query(SQLStatement("SELECT count(*) FROM raw_envelopes WHERE kind = 'otlp.log-record'")).first?.first?.int == 3)

                // OTLP/JSON, telemetry first this time: S3's events, then its transcript.
                try await Self.send("json", url, test.token, [Self.event(session: "S3", request: "req_D", tokens: 400, cost: 0.02)])
                try await test.server.normalizer.catchUp()
                #expect(try await figures().tokens == 3900)
                try await test.withRouterClient { client in
                    let answer = try await client.postBatch(Envelopes.batch([Self.answer(session: "S3", request: "req_D", tokens: 400, device: "d-ada")],
                                                                            device: "d-ada"), token: laptop).answer()
                    #expect(answer.accepted == 1)
                }
                try await test.server.normalizer.catchUp()
                now = try await figures()
                #expect(now.tokens == 3900 && now.rows == 4 && now.cost == 0.25, "\(now)")
                // Another tool's inference event in the GenAI conventions: its own session, named by its service.
                let inference: [String: Any] = ["body": "gen_ai.client.inference.operation.details", "time_ns": 1_764_583_205_000_000_000 as Int64,
                                                "attributes": ["gen_ai.conversation.id": "conv-1", "gen_ai.response.id": "resp-1",
                                                               "gen_ai.response.model": "gpt-5", "gen_ai.usage.input_tokens": 300,
                                                               "gen_ai.usage.cache_read.input_tokens": 100, "gen_ai.usage.output_tokens": 50] as [String: Any]]
                try await Self.send("json", url, test.token, [inference], resource: #"{"service.name":"acme-agent","user.email":"bob@acme.com"}"#)
                try await test.server.normalizer.catchUp()
                let acme = try await store.query(SQLStatement("""
                    SELECT s.tool, s.native_id, CAST(sum(u.total_tokens) AS BIGINT) FROM norm_usage u JOIN norm_sessions s ON s.session_key = u.session_key
                    WHERE s.tool = 'acme-agent' GROUP BY s.tool, s.native_id
                    """))
                #expect(acme.count == 1 && acme.first?[1].text == "conv-1" && acme.first?[2].int == 350, "\(acme)")
                #expect(try await figures().tokens == 3900 + 350)
                // The telemetry-only session is Ada's, and so is the transcripts' laptop: the events named her
                // (email and organisation) and their requests were the laptop's.
                let owners = try await PeopleDirectory.owners(tenant: Tenant.defaultID, in: store)
                #expect(owners["d-ada"]?.person.email == "ada@acme.com", "\(owners.keys)")
                #expect(owners.filter { $0.value.person.email == "ada@acme.com" }.count == 2, "\(owners.keys)")
                let organisation = try await store.query(SQLStatement("SELECT DISTINCT organization FROM norm_accounts WHERE device = 'd-ada'"))
                #expect(organisation.first?.first?.text == "org-acme")
                // A laptop's token is what sends telemetry; a read token is refused, a bad body named.
                var request = HTTPClientRequest(url: url + IngestServer.Paths.otlpLogs)
                request.method = .POST
                request.headers.add(name: "Content-Type", value: "application/x-protobuf")
                request.headers.add(name: "Authorization", value: "Bearer \(test.token)")
                request.body = .bytes(ByteBuffer(string: "not protobuf at all"))
                #expect(try await HTTPClient.shared.execute(request, timeout: .seconds(120)).status == .badRequest)
                let reader = try await SignedInReader.make(test, scope: .read)
                for (token, status) in [(reader.token, 403), ("not-a-token", 401)] {
                    request.headers.replaceOrAdd(name: "Authorization", value: "Bearer \(token)")
                    #expect(try await HTTPClient.shared.execute(request, timeout: .seconds(120)).status.code == status, "\(status)")
                }
            }
            // A reparse gives the same figures (the GenAI event's cost is the price table's estimate).
            let before = try await figures()
            _ = try await test.server.normalizer.reparse()
            let after = try await figures()
            #expect(after.tokens == 3900 + 350 && after.rows == 5 && after.cost == before.cost && before.cost > 0.25, "\(before) \(after)")
        }
    }

    /// An export holds at most as many records as a batch holds envelopes: more is refused whole.
    @Test func anExportLargerThanABatchIsRefusedWhole() async throws {
        var limits = TestServer.testLimits
        limits.maxEnvelopesPerBatch = 2
        try await TestServer.with(.sqlite, limits: limits) { test in
            try await LiveServer.with(test.server) { url in
                let python = try #require(SCIMTests.python, SCIMTests.missing)
                let events = (0..<3).map { Self.event(session: "S", request: "req_\($0)", tokens: 100, cost: 0.01) }
                let run = try await ProcessRunner.run(python, [FixtureHome.repositoryRoot.appendingPathComponent("scripts/otel-send.py").path, "json", url,
                                                               test.token, "{}", String(decoding: try JSONSerialization.data(withJSONObject: events), as: UTF8.self)])
                #expect(run.status != 0 && run.stderr.contains("413"), "\(run.stderr.suffix(500))")
            }
            #expect(try await test.store.query(SQLStatement("SELECT count(*) FROM raw_envelopes")).first?.first?.int == 0)
        }
    }
}
