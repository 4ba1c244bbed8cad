import Foundation
import HTTPTypes
import HummingbirdTesting
@testable import Access
@testable import Explorer
@testable import IngestCore
@testable import IngestStore
@testable import Normalization
import Testing

/// What the sensors redacted, summed on the server by rule, device and day: from
/// `flags.redacted_by`, or from the marks older sensors leave; a batch sent twice counts once;
/// read tokens of the tenant read it, nobody else; the values were never there.
@Suite struct RedactionReportTests {
    /// Yesterday and today (UTC, YYYY-MM-DD): the explorer shows the last fourteen days, so the
    /// records are collected yesterday whatever day the test runs.
    static let yesterday = String(ISO8601DateFormatter().string(from: Date().addingTimeInterval(-86_400)).prefix(10))
    static let today = String(ISO8601DateFormatter().string(from: Date()).prefix(10))

    static func claudeLine(_ text: String, session: String = "s-keys", uuid: String = UUID().uuidString, flags: String) -> String {
        let record = #"{"type":"user","sessionId":"\#(session)","uuid":"\#(uuid)","timestamp":"2026-11-24T19:02:03.000Z","message":{"role":"user","content":"\#(text)"}}"#
        return Envelopes.make(source: "claude-code.transcripts", kind: "claude-code.transcript", device: "d-laptop", record: record,
                              collectedAt: yesterday + "T19:02:03.120Z", extra: #""flags":\#(flags)"#)
    }

    @Test(arguments: StoreKind.available)
    func secretsAreSummedByRuleDeviceAndDayAndShownWithoutAValue(_ kind: StoreKind) async throws {
        try await TestServer.with(kind) { test in
            let reader = try await SignedInReader.make(test)
            let other = try await TenantTests.member(test, try await test.store.createTenant(name: "other"))
            let named = Self.claudeLine("key [REDACTED:aws-access-token] and [REDACTED:generic-secret] and [REDACTED:generic-secret]",
                                        flags: #"{"redactions":3,"redacted_by":{"aws-access-token":1,"generic-secret":2}}"#)
            // An older sensor: the count only; the marks in the record name the rules (no more than the count).
            let marked = Self.claudeLine("token [REDACTED:github-token] and a pasted [REDACTED:fake-mark]", flags: #"{"redactions":1}"#)
            let clean = Self.claudeLine("nothing secret here", flags: #"{"truncated":false}"#)
            try await test.withRouterClient { client in
                let batch = Envelopes.batch([named, marked, clean], device: "d-laptop")
                #expect(try await client.postBatch(batch, token: test.token).answer().accepted == 3)
                #expect(try await client.postBatch(batch, token: test.token).answer().duplicates == 3, "a batch sent twice counts once")
                // Another tenant's secrets stay its own.
                let theirs = Self.claudeLine("[REDACTED:stripe-access-token]", flags: #"{"redactions":1,"redacted_by":{"stripe-access-token":1}}"#)
                #expect(try await client.postBatch(Envelopes.batch([theirs], device: "d-laptop"), token: other.ingest).answer().accepted == 1)

                for bad in [#"{"redactions":1,"redacted_by":{"bad name!":1}}"#, #"{"redactions":1,"redacted_by":{"x":0}}"#,
                            #"{"redactions":1,"redacted_by":[1]}"#] {
                    let answer = try await client.postBatch(Envelopes.batch([Self.claudeLine("x", flags: bad)]), token: test.token).answer()
                    #expect(answer.rejected.first?.reason.hasPrefix("flags.redacted_by") == true, "\(bad): \(answer.rejected)")
                }
            }
            try await test.server.normalizer.catchUp()
            try await test.withRouterClient { client in
                func get(_ path: String, _ token: String) async throws -> TestResponse {
                    try await client.execute(uri: path, method: .get, headers: [.authorization: "Bearer \(token)"])
                }
                let answer = try await get(IngestServer.Paths.redactions, reader.token)
                #expect(answer.status == .ok)
                let sums = try #require(try JSONSerialization.jsonObject(with: Data(buffer: answer.body)) as? [String: [[String: Any]]])["redactions"]
                let byRule = Dictionary(uniqueKeysWithValues: (sums ?? []).map { ($0["rule"] as! String, $0["count"] as! Int) })
                #expect(byRule == ["aws-access-token": 1, "generic-secret": 2, "github-token": 1], "\(sums ?? [])")
                #expect((sums ?? []).allSatisfy { $0["day"] as? String == Self.yesterday && $0["device"] as? String == "d-laptop" })
                #expect(String(buffer: try await get(IngestServer.Paths.redactions, other.read).body).contains("stripe-access-token"))
                #expect(!String(buffer: try await get(IngestServer.Paths.redactions, other.read).body).contains("generic-secret"))
                #expect(String(buffer: try await get(IngestServer.Paths.redactions + "?since=\(Self.today)", reader.token).body) == #"{"redactions":[]}"#)
                #expect(try await get(IngestServer.Paths.redactions + "?since=yesterday", reader.token).status == .badRequest)
                #expect(try await get(IngestServer.Paths.redactions, test.token).status == .forbidden, "a laptop's ingest token reads nothing")
                #expect(try await client.execute(uri: IngestServer.Paths.redactions, method: .get).status == .unauthorized)

                // The explorer: a line on the device's row and on the session's page.
                let devices = String(buffer: try await reader.get(client, "/devices").body)
                #expect(devices.contains("4 secrets redacted: generic-secret, aws-access-token, github-token"), "\(devices)")
                let sessions = try JSONSerialization.jsonObject(with: Data(buffer: try await get(IngestServer.Paths.sessions, reader.token).body)) as? [String: Any]
                let id = try #require((sessions?["sessions"] as? [[String: Any]])?.first?["id"] as? String)
                let page = String(buffer: try await reader.get(client, "/sessions/\(id)").body)
                #expect(page.contains(#"<dd id="redactions">4 secrets redacted: generic-secret, aws-access-token, github-token</dd>"#))
            }
        }
    }

    @Test func theSensorConfigAnswerSaysTheServerTakesRuleNames() async throws {
        try await TestServer.with(.sqlite) { test in
            try await test.withRouterClient { client in
                let answer = try await client.execute(uri: IngestServer.Paths.sensorConfig, method: .get,
                                                      headers: [.authorization: "Bearer \(test.token)"])
                #expect(answer.headers[HTTPField.Name("Accept-Envelope-Flags")!] == "redacted_by")
            }
        }
    }
}
