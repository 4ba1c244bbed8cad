import Foundation
import Hummingbird
import HummingbirdTesting
import IngestCore
import Testing

/// The ingest API through Hummingbird's test client, on SQLite and on PostgreSQL.
@Suite struct IngestAPITests {
    func post(_ client: some TestClientProtocol, _ body: [UInt8], token: String?, gzip: Bool = true) async throws -> TestResponse {
        var headers: HTTPFields = [.contentType: "application/json"]
        if let token { headers[.authorization] = "Bearer \(token)" }
        if gzip { headers[.contentEncoding] = "gzip" }
        return try await client.execute(uri: "/api/v1/ingest/local-sessions", method: .post, headers: headers,
                                        body: ByteBuffer(bytes: gzip ? Batches.gzip(body) : body))
    }

    func answer(_ response: TestResponse) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(buffer: response.body)) as? [String: Any])
    }

    @Test(arguments: StoreKind.available)
    func theSameBatchTwiceStoresNothingNew(_ kind: StoreKind) async throws {
        let test = try await TestServer.make(kind)
        let batch = Batches.batch((0..<50).map { _ in Batches.envelope() })
        let app = Application(router: test.server.router())
        try await app.test(.router) { client in
            let first = try answer(try await post(client, batch, token: test.token))
            #expect(first["accepted"] as? Int == 50)
            #expect(first["duplicates"] as? Int == 0)
            let second = try answer(try await post(client, batch, token: test.token))
            #expect(second["accepted"] as? Int == 0)
            #expect(second["duplicates"] as? Int == 50)
        }
        let stored = try await test.store.counts().reduce(0) { $0 + $1.envelopes }
        #expect(stored == 50)
        await test.store.close()
    }

    @Test(arguments: StoreKind.available)
    func envelopesAreStoredExactlyAsReceived(_ kind: StoreKind) async throws {
        let test = try await TestServer.make(kind)
        let envelopes = [Batches.envelope(record: #"{ "spaced" : [1, 2.50, "é\u00e9"] }"#),
                         Batches.envelope(record: #""torn {line""#, encoding: "text")]
        let app = Application(router: test.server.router())
        try await app.test(.router) { client in
            let response = try await post(client, Batches.batch(envelopes), token: test.token, gzip: false)
            #expect(response.status == .ok)
        }
        let stored = Set(try await test.store.envelopes().map { String(decoding: $0, as: UTF8.self) })
        #expect(stored == Set(envelopes))
        await test.store.close()
    }

    @Test(arguments: StoreKind.available)
    func tokensAreCheckedAndRevocable(_ kind: StoreKind) async throws {
        let test = try await TestServer.make(kind)
        let batch = Batches.batch([Batches.envelope()])
        let app = Application(router: test.server.router())
        try await app.test(.router) { client in
            let anonymous = try await post(client, batch, token: nil)
            #expect(anonymous.status == .unauthorized)
            let wrong = try await post(client, batch, token: "sst_not-a-real-token")
            #expect(wrong.status == .unauthorized)
            let valid = try await post(client, batch, token: test.token)
            #expect(valid.status == .ok)
            let revoked = try await test.store.revokeToken("test")
            #expect(revoked == 1)
            let afterRevoke = try await post(client, batch, token: test.token)
            #expect(afterRevoke.status == .unauthorized)
        }
        let tokens = try await test.store.listTokens()

        #expect(tokens.count == 1 && tokens[0].revokedAt != nil)
        await test.store.close()
    }

    @Test func badBodiesAreRefusedWithTheRightStatus() async throws {
        let test = try await TestServer.make(.sqlite)
        let app = Application(router: test.server.router())
        try await app.test(.router) { client in
            // Not JSON.
            let garbage = try await post(client, Array("this is not json".utf8), token: test.token)
            #expect(garbage.status == .badRequest)
            // JSON without records.
            let noRecords = try await post(client, Array(#"{"batch_id":"x"}"#.utf8), token: test.token)
            #expect(noRecords.status == .badRequest)
            // Says gzip, is not.
            var headers: HTTPFields = [.authorization: "Bearer \(test.token)", .contentEncoding: "gzip"]
            let badGzip = try await client.execute(uri: "/api/v1/ingest/local-sessions", method: .post, headers: headers,
                                                   body: ByteBuffer(bytes: Array("{\"records\":[]}".utf8)))
            #expect(badGzip.status == .badRequest)
            // A gzip bomb: 64 MiB of zeros, a few dozen KiB on the wire, refused at the 8 MiB cap.
            let bomb = Batches.gzip([UInt8](repeating: 0x20, count: 64 << 20))
            #expect(bomb.count < 100_000)
            headers = [.authorization: "Bearer \(test.token)", .contentEncoding: "gzip"]
            let bombed = try await client.execute(uri: "/api/v1/ingest/local-sessions", method: .post, headers: headers,
                                                  body: ByteBuffer(bytes: bomb))
            #expect(bombed.status == .contentTooLarge)
            // More than the 1 MiB body limit on the wire.
            var random = SystemRandomNumberGenerator()
            let large = (0..<(2 << 20)).map { _ in UInt8.random(in: 0...255, using: &random) }
            let oversized = try await client.execute(uri: "/api/v1/ingest/local-sessions", method: .post, headers: headers,
                                                     body: ByteBuffer(bytes: large))
            #expect(oversized.status == .contentTooLarge)
        }
    }

    @Test func aBadEnvelopeIsNamedAndTheRestAccepted() async throws {
        let test = try await TestServer.make(.sqlite)
        let good = (0..<3).map { _ in Batches.envelope() }
        let badID = "0123456789abcdef0123456789abcdef"
        let bad = [
            Batches.envelope(id: "NOT-HEX"),
            Batches.envelope(id: badID, encoding: "yaml"),
            Batches.envelope(record: "42", encoding: "text"),
            #"{"schema_version":1,"id":"\#(Batches.randomID())"}"#,
        ]
        let app = Application(router: test.server.router())
        try await app.test(.router) { client in
            let response = try await post(client, Batches.batch(good + bad), token: test.token)
            #expect(response.status == .ok)
            let result = try answer(response)
            #expect(result["accepted"] as? Int == 3)
            let rejected = try #require(result["rejected"] as? [[String: String]])
            #expect(rejected.count == 4)
            #expect(rejected.contains { $0["id"] == "NOT-HEX" && $0["reason"]!.contains("id must be") })
            #expect(rejected.contains { $0["id"] == badID && $0["reason"]!.contains("encoding") })
            #expect(rejected.contains { $0["reason"]!.contains("record must be a string") })
            #expect(rejected.contains { $0["reason"]!.hasPrefix("missing") })
        }
    }

    @Test func sensorConfigHasAnETagAndKeepsTheLastGoodDocument() async throws {
        let test = try await TestServer.make(.sqlite)
        let file = test.configDirectory.appendingPathComponent("fleet.yaml")
        try "version: r1\nsources:\n  - {id: openclaw.trajectories, enabled: false}\n".write(to: file, atomically: true, encoding: .utf8)
        #expect(await test.server.config.reload().isEmpty)
        let app = Application(router: test.server.router())
        try await app.test(.router) { client in
            let auth: HTTPFields = [.authorization: "Bearer \(test.token)"]
            let first = try await client.execute(uri: "/api/v1/sensor-config", method: .get, headers: auth)
            #expect(first.status == .ok)
            let etag = try #require(first.headers[.eTag])
            let document = try #require(try JSONSerialization.jsonObject(with: Data(buffer: first.body)) as? [String: Any])
            #expect(document["version"] as? String == "r1")
            var conditional = auth
            conditional[.ifNoneMatch] = etag
            let notModified = try await client.execute(uri: "/api/v1/sensor-config", method: .get, headers: conditional)
            #expect(notModified.status == .notModified)
            let anonymous = try await client.execute(uri: "/api/v1/sensor-config", method: .get)
            #expect(anonymous.status == .unauthorized)

            // A change reaches the next poll.
            try "version: r2\n".write(to: file, atomically: true, encoding: .utf8)
            try await Task.sleep(nanoseconds: 10_000_000)
            #expect(await test.server.config.reload().isEmpty)
            let changed = try await client.execute(uri: "/api/v1/sensor-config", method: .get, headers: conditional)
            #expect(changed.status == .ok)
            #expect(String(buffer: changed.body).contains("r2"))
            let newTag = try #require(changed.headers[.eTag])

            // An invalid edit is refused, with its line; the previous document stays served.
            try "version: r3\nupload: {gzip_level: fast}\n".write(to: file, atomically: true, encoding: .utf8)
            try await Task.sleep(nanoseconds: 10_000_000)
            let problems = await test.server.config.reload()
            #expect(problems.count == 1)
            #expect(problems.first?.contains("fleet.yaml:2:") == true)
            #expect(problems.first?.contains("upload.gzip_level") == true)
            let kept = try await client.execute(uri: "/api/v1/sensor-config", method: .get, headers: auth)
            #expect(kept.headers[.eTag] == newTag)
            #expect(String(buffer: kept.body).contains("r2"))
        }
    }

    @Test func healthAndMetrics() async throws {
        let test = try await TestServer.make(.sqlite)
        let app = Application(router: test.server.router())
        try await app.test(.router) { client in
            let health = try await client.execute(uri: "/healthz", method: .get)
            #expect(health.status == .ok)
            _ = try await post(client, Batches.batch([Batches.envelope(), Batches.envelope()]), token: test.token)
            let metrics = String(buffer: try await client.execute(uri: "/metrics", method: .get).body)
            #expect(metrics.contains(#"ingest_envelopes_total{outcome="accepted"} 2"#))
            #expect(metrics.contains(#"ingest_requests_total{route="ingest",status="200"} 1"#))
        }
    }
}
