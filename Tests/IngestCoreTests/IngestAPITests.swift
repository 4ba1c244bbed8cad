import Foundation
import Hummingbird
import HummingbirdTesting
import Access
import Explorer
import IngestCore
import IngestStore
import Normalization
import Testing

/// `POST /api/v1/ingest/local-sessions` through Hummingbird's router test client: what is
/// stored, and what each kind of bad input is answered.
@Suite struct IngestAPITests {
    @Test(arguments: StoreKind.available)
    func theSameBatchPostedTwiceStoresNothingNew(_ kind: StoreKind) async throws {
        try await TestServer.with(kind) { test in
            let batch = Envelopes.batch(Envelopes.many(50))
            try await test.withRouterClient { client in
                let first = try await client.postBatch(batch, token: test.token)
                #expect(first.status == .ok)
                #expect(try first.answer() == IngestAnswer(accepted: 50, duplicates: 0, rejected: []))
                let second = try await client.postBatch(batch, token: test.token)
                #expect(second.status == .ok)
                #expect(try second.answer() == IngestAnswer(accepted: 0, duplicates: 50, rejected: []))
            }
            #expect(try await test.storedCount() == 50)
        }
    }

    @Test(arguments: StoreKind.available)
    func envelopesAreStoredByteForByteAsSent(_ kind: StoreKind) async throws {
        try await TestServer.with(kind) { test in
            let envelopes = [
                Envelopes.make(record: #"{ "spaced" : [1, 2.50, 1e3, "\u00e9é\ud83d\ude00"] , "nested":{"a":null}}"#),
                Envelopes.make(record: #""a torn {line \"quoted\"""#, encoding: "text", extra: #""flags":{"not_json":true}"#),
                Envelopes.make(record: #"{"id":7,"blob":"AAEC","payload":{"k":[true]}}"#, encoding: "row",
                               extra: #""columns":{"id":"integer","blob":"base64","payload":"json"}"#),
                " \n" + Envelopes.make(record: "[]") + "\t",
            ]
            try await test.withRouterClient { client in
                let response = try await client.postBatch(Envelopes.batch(envelopes), token: test.token, gzip: false)
                #expect(try response.answer().accepted == 4)
            }
            let stored = Set(try await test.storedEnvelopes())
            #expect(stored == Set(envelopes.map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }))
        }
    }

    @Test(arguments: StoreKind.available)
    func aSchemaViolatingEnvelopeIsNamedAndTheRestOfItsBatchStored(_ kind: StoreKind) async throws {
        try await TestServer.with(kind) { test in
            let good = Envelopes.many(3)
            let badEncoding = Envelopes.randomID()
            let bad = [
                Envelopes.make(id: "NOT-HEX"),
                Envelopes.make(id: badEncoding, encoding: "yaml"),
                Envelopes.make(record: "42", encoding: "text"),
                Envelopes.make(extra: #""surprise":1"#),
                #"{"schema_version":1,"id":"\#(Envelopes.randomID())"}"#,
                #"["not","an","object"]"#,
            ]
            try await test.withRouterClient { client in
                let response = try await client.postBatch(Envelopes.batch([good[0]] + bad + good[1...]), token: test.token)
                #expect(response.status == .ok)
                let answer = try response.answer()
                #expect(answer.accepted == 3)
                #expect(answer.duplicates == 0)
                let reasons = Dictionary(uniqueKeysWithValues: answer.rejected.map { ($0.index, $0) })
                #expect(answer.rejected.count == 6)
                #expect(reasons[1]?.id == "NOT-HEX" && reasons[1]?.reason.hasPrefix("id:") == true)
                #expect(reasons[2]?.id == badEncoding && reasons[2]?.reason.hasPrefix("encoding:") == true)
                #expect(reasons[3]?.reason == "record: must be a string when encoding is text")
                #expect(reasons[4]?.reason == "surprise: unknown field")
                #expect(reasons[5]?.reason == "source: required field is missing")
                #expect(reasons[6]?.id == "" && reasons[6]?.reason == "not a JSON object")
            }
            #expect(Set(try await test.storedEnvelopes()) == Set(good))
        }
    }

    @Test func anIdentityBodyIsAcceptedAsWellAsGzip() async throws {
        try await TestServer.with(.sqlite) { test in
            try await test.withRouterClient { client in
                let plain = try await client.postBatch(Envelopes.batch(Envelopes.many(2)), token: test.token, gzip: false)
                #expect(try plain.answer().accepted == 2)
                var headers: HTTPFields = [.authorization: "Bearer \(test.token)", .contentEncoding: "identity"]
                let identity = try await client.postRaw(Envelopes.batch(Envelopes.many(1)), headers: headers)
                #expect(try identity.answer().accepted == 1)
                headers[.contentEncoding] = "br"
                let brotli = try await client.postRaw(Envelopes.batch(Envelopes.many(1)), headers: headers)
                #expect(brotli.status == .unsupportedMediaType)
            }
        }
    }

    // MARK: - Tokens

    @Test func noTokenIsRefusedWith401() async throws {
        try await TestServer.with(.sqlite) { test in
            try await test.withRouterClient { client in
                let response = try await client.postBatch(Envelopes.batch(Envelopes.many(1)), token: nil)
                #expect(response.status == .unauthorized)
                #expect(response.headers[.wwwAuthenticate] == "Bearer")
                let basic = try await client.postRaw(Envelopes.batch(Envelopes.many(1)),
                                                     headers: [.authorization: "Basic \(test.token)"])
                #expect(basic.status == .unauthorized)
            }
            #expect(try await test.storedCount() == 0)
        }
    }

    @Test(arguments: StoreKind.available)
    func aWrongTokenIsRefusedWith401(_ kind: StoreKind) async throws {
        try await TestServer.with(kind) { test in
            try await test.withRouterClient { client in
                let wrong = try await client.postBatch(Envelopes.batch(Envelopes.many(1)), token: TokenSecret.generate())
                #expect(wrong.status == .unauthorized)
                // The stored hash is not a token either.
                let hash = try await client.postBatch(Envelopes.batch(Envelopes.many(1)), token: TokenSecret.hash(test.token))
                #expect(hash.status == .unauthorized)
            }
            #expect(try await test.storedCount() == 0)
        }
    }

    @Test(arguments: StoreKind.available)
    func aRevokedTokenIsRefusedWith401(_ kind: StoreKind) async throws {
        try await TestServer.with(kind) { test in
            try await test.withRouterClient { client in
                let before = try await client.postBatch(Envelopes.batch(Envelopes.many(1)), token: test.token)
                #expect(before.status == .ok)
                #expect(try await test.store.revokeTokens(.name(test.tokenName, tenantID: Tenant.defaultID)) == 1)
                let after = try await client.postBatch(Envelopes.batch(Envelopes.many(1)), token: test.token)
                #expect(after.status == .unauthorized)
            }
            #expect(try await test.storedCount() == 1)
        }
    }

    // MARK: - Malformed and oversized bodies

    @Test func aGarbageBodyIsRefusedWith400() async throws {
        try await TestServer.with(.sqlite) { test in
            try await test.withRouterClient { client in
                for garbage in ["this is not json", "{\"records\":[", "", "[1,2,3]", #"{"batch_id":"b","records":[]} trailing"#] {
                    let response = try await client.postBatch(Array(garbage.utf8), token: test.token)
                    #expect(response.status == .badRequest, "\(garbage)")
                    #expect(response.errorMessage?.hasPrefix("malformed batch") == true)
                }
            }
        }
    }

    @Test func aBatchWithoutItsRecordsArrayIsRefusedWith400() async throws {
        try await TestServer.with(.sqlite) { test in
            try await test.withRouterClient { client in
                let cases = [
                    #"{"batch_id":"b1","sensor":{"device":"d","version":"1"}}"#: "no records array",
                    #"{"batch_id":"b1","sensor":{"device":"d","version":"1"},"records":{}}"#: "records must be an array",
                    #"{"sensor":{"device":"d","version":"1"},"records":[]}"#: "no batch_id",
                    #"{"batch_id":"b1","records":[]}"#: "no sensor",
                    #"{"batch_id":"b1","batch_id":"b2","sensor":{"device":"d","version":"1"},"records":[]}"#: "duplicate field batch_id",
                ]
                for (body, reason) in cases {
                    let response = try await client.postBatch(Array(body.utf8), token: test.token)
                    #expect(response.status == .badRequest)
                    #expect(response.errorMessage == "malformed batch: \(reason)")
                }
            }
        }
    }

    @Test func aBodyThatSaysGzipButIsNotIsRefusedWith400() async throws {
        try await TestServer.with(.sqlite) { test in
            try await test.withRouterClient { client in
                let headers: HTTPFields = [.authorization: "Bearer \(test.token)", .contentEncoding: "gzip"]
                let plain = try await client.postRaw(Envelopes.batch(Envelopes.many(1)), headers: headers)
                #expect(plain.status == .badRequest)
                #expect(plain.errorMessage == "malformed batch: the body is not valid gzip")
                // Truncated: a real gzip stream cut short.
                let gzip = Envelopes.gzip(Envelopes.batch(Envelopes.many(20)))
                let truncated = try await client.postRaw(Array(gzip.prefix(gzip.count / 2)), headers: headers)
                #expect(truncated.status == .badRequest)
                // Damaged: a flipped byte in the middle.
                var damaged = gzip
                damaged[damaged.count / 2] ^= 0xFF
                let corrupt = try await client.postRaw(damaged, headers: headers)
                #expect(corrupt.status == .badRequest)
            }
            #expect(try await test.storedCount() == 0)
        }
    }

    @Test func anOversizedBodyIsRefusedWith413() async throws {
        try await TestServer.with(.sqlite) { test in
            try await test.withRouterClient { client in
                // 2 MiB that do not compress, against a 1 MiB limit on the wire.
                var random = SystemRandomNumberGenerator()
                let large = (0..<(2 << 20)).map { _ in UInt8.random(in: 0...255, using: &random) }
                let headers: HTTPFields = [.authorization: "Bearer \(test.token)", .contentEncoding: "gzip"]
                let response = try await client.postRaw(large, headers: headers)
                #expect(response.status == .contentTooLarge)
                // A plain body larger than the limit, too.
                let plain = Envelopes.batch(Envelopes.many(6000))
                #expect(plain.count > 1 << 20)
                let identity = try await client.postBatch(plain, token: test.token, gzip: false)
                #expect(identity.status == .contentTooLarge)
            }
            #expect(try await test.storedCount() == 0)
        }
    }
}
