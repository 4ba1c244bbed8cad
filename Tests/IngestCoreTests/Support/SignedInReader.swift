import Foundation
import HTTPTypes
import HummingbirdTesting
@testable import Access
@testable import Explorer
@testable import IngestCore
@testable import IngestStore
@testable import Normalization

/// A read token of a tenant, and a browser session signed in with it on the explorer.
struct SignedInReader: Sendable {
    let token: String
    let cookie: String

    /// A read token in `tenant` (the default one when nil), signed in through `POST /login`.
    static func make(_ test: TestServer, tenant: Int64 = Tenant.defaultID) async throws -> SignedInReader {
        let token = TokenSecret.generate()
        _ = try await test.store.createToken(NewToken(name: "reader-\(UUID().uuidString.prefix(6))", hash: TokenSecret.hash(token),
                                                      scope: .read, tenantID: tenant))
        let cookie = try await WebSessions(store: test.store, secureCookies: false).create(tokenHash: TokenSecret.hash(token))
        return SignedInReader(token: token, cookie: String(cookie.prefix { $0 != ";" }))
    }

    /// A token of `scope` with `grants`, signed in the same way.
    static func make(_ test: TestServer, scope: TokenScope, grants: [(Grants.Kind, String)] = [], name: String? = nil) async throws -> SignedInReader {
        let token = TokenSecret.generate()
        let record = try await test.store.createToken(NewToken(name: name ?? "\(scope.rawValue)-\(UUID().uuidString.prefix(6))",
                                                               hash: TokenSecret.hash(token), scope: scope, tenantID: Tenant.defaultID))
        try await test.store.execute(grants.map { Grants.grant($0.0, $0.1, to: record.id) })
        let cookie = try await WebSessions(store: test.store, secureCookies: false).create(tokenHash: TokenSecret.hash(token))
        return SignedInReader(token: token, cookie: String(cookie.prefix { $0 != ";" }))
    }

    /// A page of the explorer as this reader's browser gets it.
    func get(_ client: any TestClientProtocol, _ path: String) async throws -> TestResponse {
        try await client.execute(uri: path, method: .get, headers: [.cookie: cookie])
    }
}
