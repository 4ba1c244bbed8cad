import Hummingbird

/// Finds the live token a request's `Authorization: Bearer <token>` names. Tokens are looked up
/// by their SHA-256 hash, so the store never holds a usable secret.
struct BearerAuthenticator: Sendable {
    let tokens: any TokenStore

    /// The token, or nil when the header is missing, malformed, unknown or revoked.
    func token(for request: Request) async throws -> TokenRecord? {
        guard let header = request.headers[.authorization] else { return nil }
        let parts = header.split(separator: " ", maxSplits: 1, omittingEmptySubsequences: true)
        guard parts.count == 2, parts[0].lowercased() == "bearer" else { return nil }
        let secret = parts[1].trimmingCharacters(in: .whitespaces)
        guard !secret.isEmpty else { return nil }
        return try await tokens.token(withHash: TokenSecret.hash(secret))
    }

    /// The answer for a request without a live token (401, or 503 when tokens cannot be
    /// looked up); nil when the request may go on.
    func refusal(for request: Request) async -> Response? {
        do {
            if try await token(for: request) != nil { return nil }
        } catch {
            return JSONAnswer.error(.serviceUnavailable, "token store unavailable, retry later", retryAfter: 5)
        }
        return JSONAnswer.error(.unauthorized, "missing, unknown or revoked bearer token", headers: [.wwwAuthenticate: "Bearer"])
    }
}
