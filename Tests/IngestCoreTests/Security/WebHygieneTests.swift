import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
@testable import Access
@testable import Explorer
@testable import IngestCore
@testable import IngestStore
@testable import Normalization
import Testing

/// The explorer's forms and the server's open routes (probe F11, F12, F13, F14).
@Suite struct WebHygieneTests {
    static func form(_ fields: [(String, String)]) -> ByteBuffer {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~")
        return ByteBuffer(string: fields.map { "\($0.0)=\($0.1.addingPercentEncoding(withAllowedCharacters: allowed)!)" }.joined(separator: "&"))
    }

    @Test func aSignInNeverSendsTheBrowserToAnotherSite() {
        for target in ["/\t/evil.example/", "/\n/evil.example", "\t//evil.example", "//evil.example", "/\\evil.example", "https://evil.example",
                       "/\u{FE00}/evil", "/ /evil.example", "/%09/x\\y", "javascript:alert(1)", "", "/\u{7F}/evil"] {
            #expect(ExplorerHandler.safeTarget(target) == "/", "\(target.debugDescription)")
        }
        for target in ["/", "/sessions?page=2&tool=codex", "/sessions/abc#m-1", "/search?q=a%20b"] {
            #expect(ExplorerHandler.safeTarget(target) == target)
        }
    }

    @Test func signInAndSignOutPostedFromAnotherSiteAreRefused() async throws {
        try await TestServer.with(.sqlite) { test in
            let reader = try await SignedInReader.make(test)
            try await test.withRouterClient { client in
                let body = Self.form([("token", reader.token), ("next", "/\t/evil.example/")])
                let crossSite: [HTTPFields] = [
                    [.origin: "https://evil.example", .contentType: "application/x-www-form-urlencoded"],
                    [ExplorerHandler.secFetchSite: "cross-site", .contentType: "application/x-www-form-urlencoded"],
                    [.origin: "null", .contentType: "application/x-www-form-urlencoded"],
                ]
                for headers in crossSite {
                    let login = try await client.execute(uri: "/login", method: .post, headers: headers, body: body)
                    #expect(login.status == .forbidden && login.headers[.setCookie] == nil, "\(headers)")
                    var withCookie = headers
                    withCookie[.cookie] = reader.cookie
                    let logout = try await client.execute(uri: "/logout", method: .post, headers: withCookie)
                    #expect(logout.status == .forbidden && logout.headers[.setCookie] == nil)
                }
                let stillIn = try await reader.get(client, "/")
                #expect(stillIn.status == .ok, "the cross-site sign-out ended nothing")
                // From the server's own page: signed in, and sent to `/`, not to the other site.
                let own = try await client.execute(uri: "/login", method: .post,
                                                   headers: [ExplorerHandler.secFetchSite: "same-origin", .contentType: "application/x-www-form-urlencoded"],
                                                   body: body)
                #expect(own.status == .seeOther && own.headers[.location] == "/" && own.headers[.setCookie] != nil)
                let script = try await client.execute(uri: "/login", method: .post, headers: [.contentType: "application/x-www-form-urlencoded"], body: body)
                #expect(script.status == .seeOther, "a client that is not a browser (no Origin) still signs in")
            }
        }
    }

    @Test func metricsAnswerOnlyThisMachineWithoutATokenAndNameNoSenderChosenKind() async throws {
        try await TestServer.with(.sqlite) { test in
            try await test.withRouterClient { client in
                let envelope = Envelopes.make(source: "evilkind.logs", kind: "evilkind.attacker-chosen", record: #"{"a":1}"#)
                let sent = try await client.postBatch(Envelopes.batch([envelope]), token: test.token)
                #expect(sent.status == .ok)
                // The in-process client has no address: not this machine.
                let refused = try await client.execute(uri: IngestServer.Paths.metrics, method: .get)
                #expect(refused.status == .forbidden)
            }
            try await test.server.normalizer.catchUp()
            try await test.withLiveClient { client in
                let metrics = try await client.execute(uri: IngestServer.Paths.metrics, method: .get)
                #expect(metrics.status == .ok)
                let text = String(buffer: metrics.body)
                #expect(text.contains("sensor_ingest_drift_total{tool=\"other\",kind=\"other\",reason=\"unknown_kind\"} 1"))
                #expect(!text.contains("evilkind") && !text.contains("attacker-chosen"))
            }
        }
    }

    @Test(arguments: StoreKind.available)
    func tokenCommandsActOnOneTenantsNameOrOneID(_ kind: StoreKind) async throws {
        try await kind.withFreshStore { store in
            let a = try await store.createTenant(name: "t-a"), b = try await store.createTenant(name: "t-b")
            let first = try await store.createToken(NewToken(name: "laptop-1", hash: TokenSecret.hash(TokenSecret.generate()), tenantID: a.id))
            _ = try await store.createToken(NewToken(name: "laptop-1", hash: TokenSecret.hash(TokenSecret.generate()), tenantID: b.id))
            _ = try await store.createToken(NewToken(name: "\(first.id)", hash: TokenSecret.hash(TokenSecret.generate()), tenantID: b.id))
            #expect(try await store.revokeTokens(.name("laptop-1", tenantID: a.id)) == 1)
            #expect(try await store.listTokens().filter { $0.revokedAt == nil }.map(\.tenantID).sorted() == [b.id, b.id])
            #expect(try await store.unbindDevice(.id(first.id)) == 0, "revoked already; the token named like its id is not touched")
            #expect(try await store.revokeTokens(.id(first.id)) == 0)
            #expect(try await store.listTokens().filter { $0.revokedAt == nil }.count == 2)
        }
    }
}
