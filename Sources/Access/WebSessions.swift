import IngestStore
import Foundation
import Hummingbird

/// Browser sign-ins to the explorer. A `read` (or `admin`) token posted to `/login` is
/// exchanged for a random session id carried in an HttpOnly, SameSite=Strict cookie; the
/// store keeps only the id's SHA-256 and the token's hash, so every page re-checks that the
/// token is still live (a revoked or expired token signs its browsers out) and a copy of the
/// database holds no usable cookie.
package struct WebSessions: Sendable {
    static let cookieName = "sensor_session"
    /// How long a sign-in lasts at most.
    package static let lifetime: TimeInterval = 12 * 3600
    /// How long a sign-in lasts unused.
    package static let idleLifetime: TimeInterval = 2 * 3600

    package let store: any IngestStore
    /// Adds `Secure` to the cookie (the server speaks TLS).
    package let secureCookies: Bool

    package init(store: any IngestStore, secureCookies: Bool) {
        self.store = store
        self.secureCookies = secureCookies
    }

    /// Signs `token` in: the `Set-Cookie` value to answer with.
    package func create(tokenHash: String, now: Date = Date()) async throws -> String {
        let id = TokenSecret.generate()
        try await store.execute([SQLStatement(
            "INSERT INTO web_sessions(id_hash, token_hash, created_at, expires_at) VALUES ($1, $2, $3, $4)",
            [.text(TokenSecret.hash(id)), .text(tokenHash), .text(Self.timestamp(now)),
             .text(Self.timestamp(now.addingTimeInterval(Self.lifetime)))])])
        // Expired sign-ins go when new ones come.
        try await store.execute([SQLStatement("DELETE FROM web_sessions WHERE expires_at < $1", [.text(Self.timestamp(now))])])
        return cookie(value: id, maxAge: Int(Self.lifetime))
    }

    /// The live token behind the request's cookie, when it may read.
    package func token(for request: Request, now: Date = Date()) async throws -> TokenRecord? {
        guard let id = Self.cookie(in: request) else { return nil }
        let idHash = TokenSecret.hash(id)
        guard let row = try await store.query(SQLStatement(
            "SELECT token_hash, expires_at, coalesce(last_used, created_at) FROM web_sessions WHERE id_hash = $1", [.text(idHash)])).first,
            let tokenHash = row[0].text, let expiresAt = row[1].text, expiresAt > Self.timestamp(now),
            let lastUsed = row[2].text, lastUsed > Self.timestamp(now.addingTimeInterval(-Self.idleLifetime)),
            let token = try await store.token(withHash: tokenHash), !token.isExpired(at: now), token.scope.allows(.read)
        else { return nil }
        // Used now: written at most once a minute.
        if lastUsed < Self.timestamp(now.addingTimeInterval(-60)) {
            try await store.execute([SQLStatement("UPDATE web_sessions SET last_used = $2 WHERE id_hash = $1",
                                                  [.text(idHash), .text(Self.timestamp(now))])])
        }
        return token
    }

    /// Signs the request's browser out: the cookie that clears it.
    package func delete(for request: Request) async throws -> String {
        if let id = Self.cookie(in: request) {
            try await store.execute([SQLStatement("DELETE FROM web_sessions WHERE id_hash = $1", [.text(TokenSecret.hash(id))])])
        }
        return cookie(value: "", maxAge: 0)
    }

    private func cookie(value: String, maxAge: Int) -> String {
        "\(Self.cookieName)=\(value); Path=/; Max-Age=\(maxAge); HttpOnly; SameSite=Strict" + (secureCookies ? "; Secure" : "")
    }

    /// The session id from the `Cookie` header(s).
    package static func cookie(in request: Request) -> String? {
        cookie(named: cookieName, in: request)
    }

    /// The value of the cookie `name` from the `Cookie` header(s).
    package static func cookie(named name: String, in request: Request) -> String? {
        for header in request.headers[values: .cookie] {
            for pair in header.split(separator: ";") {
                let parts = pair.split(separator: "=", maxSplits: 1)
                if parts.count == 2, parts[0].trimmingCharacters(in: .whitespaces) == name {
                    let value = parts[1].trimmingCharacters(in: .whitespaces)
                    return value.isEmpty ? nil : value
                }
            }
        }
        return nil
    }

    package static func timestamp(_ date: Date) -> String {
        date.ISO8601Format()
    }
}
