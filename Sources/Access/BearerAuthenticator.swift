import IngestStore
import Hummingbird

/// Finds the live token a request's `Authorization: Bearer <token>` names and checks that its
/// scope allows the route. Tokens are looked up by their SHA-256 hash, so the store never holds
/// a usable secret; failed attempts are limited per client address.
package struct BearerAuthenticator: Sendable {
    package let tokens: any TokenStore
    package let limiter: FailedAuthLimiter

    package init(tokens: any TokenStore, limiter: FailedAuthLimiter = FailedAuthLimiter()) {
        self.tokens = tokens
        self.limiter = limiter
    }

    /// The token, or nil when the header is missing, malformed, unknown, revoked or expired.
    package func token(for request: Request) async throws -> TokenRecord? {
        try await token(authorization: request.headers[.authorization])
    }

    /// The same for an `Authorization` header's value.
    package func token(authorization header: String?) async throws -> TokenRecord? {
        guard let header else { return nil }
        let parts = header.split(separator: " ", maxSplits: 1, omittingEmptySubsequences: true)
        guard parts.count == 2, parts[0].lowercased() == "bearer" else { return nil }
        let secret = parts[1].trimmingCharacters(in: .whitespaces)
        guard !secret.isEmpty, let token = try await tokens.token(withHash: TokenSecret.hash(secret)), !token.isExpired() else {
            return nil
        }
        return token
    }

    /// The token when it may use a route that needs `scope`; otherwise the answer: 401 (no live
    /// token), 403 (a token of another scope), 429 (too many failures from this address) or 503
    /// (tokens cannot be looked up).
    ///
    /// A valid token is let in even from an address over its limit: many laptops may share one
    /// address (a NAT, a proxy), and one of them retrying a revoked token must not lock out the
    /// rest. Only the failures are answered 429.
    package func authorize(_ request: Request, context: IngestRequestContext, scope: TokenScope) async -> Result<TokenRecord, Refusal> {
        let address = context.clientAddress
        let token: TokenRecord?
        do {
            token = try await self.token(for: request)
        } catch {
            return .failure(Refusal(JSONAnswer.error(.serviceUnavailable, "token store unavailable, retry later", retryAfter: 5)))
        }
        guard let token else {
            if let wait = limiter.blocked(address) {
                return .failure(Refusal(JSONAnswer.error(.tooManyRequests, "too many failed authentications from \(address)",
                                                         retryAfter: wait)))
            }
            limiter.failed(address)
            return .failure(Refusal(JSONAnswer.error(.unauthorized, "missing, unknown, revoked or expired bearer token",
                                                     headers: [.wwwAuthenticate: "Bearer"])))
        }
        guard token.scope.allows(scope) else {
            return .failure(Refusal(JSONAnswer.error(.forbidden, "this token's scope is \(token.scope.rawValue); this route needs \(scope.rawValue)")))
        }
        return .success(token)
    }

    /// An answer that ends a request before its route runs.
    package struct Refusal: Error {
        package var response: Response
        package init(_ response: Response) { self.response = response }
    }
}
