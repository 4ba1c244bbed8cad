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
}
