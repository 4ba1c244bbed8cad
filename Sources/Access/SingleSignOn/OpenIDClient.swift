import AsyncHTTPClient
import Crypto
import Foundation
import JWTKit
import NIOConcurrencyHelpers
import NIOCore
import IngestStore

/// The relying party's half of OpenID Connect's authorization code flow with PKCE: discovery,
/// the authorization URL, the code exchanged at the token endpoint, and the ID token checked
/// (its signature against the provider's JWKS, issuer, audience, expiry and issue time with a
/// minute of clock skew, nonce). Discovery documents and keys are kept ten minutes; a token
/// signed with a key not known yet fetches the keys again, once.
package final class OpenIDClient: Sendable {
    package struct Discovery: Decodable, Sendable {
        package var issuer: String
        package var authorizationEndpoint: String
        package var tokenEndpoint: String
        package var jwksURI: String

        enum CodingKeys: String, CodingKey {
            case issuer, authorizationEndpoint = "authorization_endpoint", tokenEndpoint = "token_endpoint", jwksURI = "jwks_uri"
        }
    }

    /// Why a sign-in was refused, said to the person (never the token itself).
    package struct Refusal: Error, CustomStringConvertible {
        package let description: String
        package init(_ description: String) { self.description = description }
    }

    /// What a checked ID token says of the person.
    package struct Identity: Sendable, Equatable {
        package var email: String
        package var name: String?
        package var groups: [String]
    }

    package static let skew: TimeInterval = 60
    /// One for the process: its HTTP client lives as long as the server.
    package static let shared = OpenIDClient()
    private let http: HTTPClient
    private let cache = NIOLockedValueBox([String: (at: Date, discovery: Discovery, keys: JWTKeyCollection)]())

    package init() {
        var configuration = HTTPClient.Configuration()
        configuration.redirectConfiguration = .disallow
        configuration.timeout = .init(connect: .seconds(10), read: .seconds(20))
        http = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
    }

    private func get(_ url: String) async throws -> Data {
        let response = try await http.execute(HTTPClientRequest(url: url), timeout: .seconds(20))
        let body = try await response.body.collect(upTo: 1 << 20)
        guard response.status == .ok else { throw Refusal("\(url) answered HTTP \(response.status.code)") }
        return Data(buffer: body)
    }

    /// The provider's endpoints and keys (fetched again after ten minutes, or when `refresh`).
    package func provider(issuer: String, refresh: Bool = false) async throws -> (Discovery, JWTKeyCollection) {
        if !refresh, let kept = cache.withLockedValue({ $0[issuer] }), kept.at.timeIntervalSinceNow > -600 { return (kept.discovery, kept.keys) }
        var base = issuer
        while base.hasSuffix("/") { base.removeLast() }
        let discovery = try JSONDecoder().decode(Discovery.self, from: try await get(base + "/.well-known/openid-configuration"))
        guard discovery.issuer == issuer else {
            throw Refusal("the provider's discovery document names issuer \(discovery.issuer), not \(issuer)")
        }
        // The client secret goes to the token endpoint, the keys come from the JWKS: both over
        // TLS, but for a provider on this machine.
        for endpoint in [discovery.tokenEndpoint, discovery.jwksURI, discovery.authorizationEndpoint] {
            guard let url = URL(string: endpoint), url.scheme == "https" || Self.isLoopback(url) else {
                throw Refusal("the provider's endpoint \(endpoint) is not https")
            }
        }
        let keys = JWTKeyCollection()
        try await keys.add(jwksJSON: String(decoding: try await get(discovery.jwksURI), as: UTF8.self))
        cache.withLockedValue { $0[issuer] = (Date(), discovery, keys) }
        return (discovery, keys)
    }

    /// A PKCE verifier and its S256 challenge.
    package static func pkce() -> (verifier: String, challenge: String) {
        let verifier = randomToken()
        return (verifier, base64URL(Data(SHA256.hash(data: Data(verifier.utf8)))))
    }

    static func isLoopback(_ url: URL) -> Bool {
        url.scheme == "http" && ["127.0.0.1", "localhost", "::1", "[::1]"].contains(url.host ?? "")
    }

    package static func randomToken() -> String {
        base64URL(Data((0..<32).map { _ in UInt8.random(in: 0...255) }))
    }

    static func base64URL(_ data: Data) -> String {
        data.base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    /// Where to send the browser to sign in.
    package func authorizationURL(_ provider: OpenIDProvider, state: String, nonce: String, challenge: String) async throws -> String {
        let (discovery, _) = try await self.provider(issuer: provider.issuer)
        var components = URLComponents(string: discovery.authorizationEndpoint)
        let existing = components?.queryItems ?? []
        components?.queryItems = existing + [
            URLQueryItem(name: "response_type", value: "code"), URLQueryItem(name: "client_id", value: provider.clientID),
            URLQueryItem(name: "redirect_uri", value: provider.redirectURI),
            URLQueryItem(name: "scope", value: "openid email profile" + (provider.groupsClaim.isEmpty ? "" : " groups")),
            URLQueryItem(name: "state", value: state), URLQueryItem(name: "nonce", value: nonce),
            URLQueryItem(name: "code_challenge", value: challenge), URLQueryItem(name: "code_challenge_method", value: "S256"),
        ]
        guard let url = components?.url?.absoluteString else { throw Refusal("the provider's authorization endpoint is not a URL") }
        return url
    }

    /// Exchanges `code` at the token endpoint and checks the ID token it gives.
    package func signIn(_ provider: OpenIDProvider, code: String, verifier: String, nonce: String) async throws -> Identity {
        let (discovery, _) = try await self.provider(issuer: provider.issuer)
        var request = HTTPClientRequest(url: discovery.tokenEndpoint)
        request.method = .POST
        let credentials = Data("\(Self.formEncoded(provider.clientID)):\(Self.formEncoded(provider.clientSecret))".utf8).base64EncodedString()
        request.headers.add(name: "Authorization", value: "Basic \(credentials)")
        request.headers.add(name: "Content-Type", value: "application/x-www-form-urlencoded")
        request.headers.add(name: "Accept", value: "application/json")
        let form = [("grant_type", "authorization_code"), ("code", code), ("redirect_uri", provider.redirectURI), ("code_verifier", verifier)]
            .map { "\($0.0)=\(Self.formEncoded($0.1))" }.joined(separator: "&")
        request.body = .bytes(ByteBuffer(string: form))
        let response = try await http.execute(request, timeout: .seconds(20))
        let body = try await response.body.collect(upTo: 1 << 20)
        let answer = (try? JSONSerialization.jsonObject(with: Data(buffer: body))) as? [String: Any]
        guard response.status == .ok, let idToken = answer?["id_token"] as? String else {
            throw Refusal("the provider refused the sign-in code: \(answer?["error"] as? String ?? "HTTP \(response.status.code)")")
        }
        return try await verify(idToken, provider: provider, nonce: nonce)
    }

    /// Checks an ID token: signed by a key of the provider's JWKS, issued by the provider for
    /// this client, not expired or issued in the future (a minute of skew), carrying `nonce`.
    package func verify(_ idToken: String, provider: OpenIDProvider, nonce: String, now: Date = Date()) async throws -> Identity {
        // Only signed tokens: an `alg` of none (which a provider may list) is never taken.
        guard let algorithm = Self.header(of: idToken)?["alg"] as? String, Self.algorithms.contains(algorithm) else {
            throw Refusal("the ID token is not signed with RS256, RS384, RS512, PS256, ES256 or ES384")
        }
        var (_, keys) = try await self.provider(issuer: provider.issuer)
        let claims: IDTokenClaims
        do {
            claims = try await keys.verify(idToken, as: IDTokenClaims.self)
        } catch let error as JWTError where "\(error)".contains("unknownKID") {
            (_, keys) = try await self.provider(issuer: provider.issuer, refresh: true)
            do { claims = try await keys.verify(idToken, as: IDTokenClaims.self) } catch { throw Refusal("the ID token's signature does not verify: \(error)") }
        } catch {
            throw Refusal("the ID token's signature does not verify: \(error)")
        }
        guard claims.iss.value == provider.issuer else { throw Refusal("the ID token was issued by \(claims.iss.value), not \(provider.issuer)") }
        guard claims.aud.value.contains(provider.clientID) else { throw Refusal("the ID token is for another client, not \(provider.clientID)") }
        if claims.aud.value.count > 1, claims.azp != provider.clientID {
            throw Refusal("the ID token names several audiences and was not authorised for \(provider.clientID)")
        }
        guard claims.exp.value.addingTimeInterval(Self.skew) > now else { throw Refusal("the ID token has expired") }
        if let issued = claims.iat?.value, issued.addingTimeInterval(-Self.skew) > now { throw Refusal("the ID token was issued in the future") }
        guard claims.nonce == nonce else { throw Refusal("the ID token's nonce is not this sign-in's") }
        guard let email = claims.email, !email.isEmpty else { throw Refusal("the ID token carries no email") }
        if claims.emailVerified == false { throw Refusal("the provider says \(email) is not verified") }
        return Identity(email: email, name: claims.name, groups: Self.groups(in: idToken, claim: provider.groupsClaim))
    }

    static let algorithms: Set<String> = ["RS256", "RS384", "RS512", "PS256", "ES256", "ES384"]

    /// The list claim `claim` of a token already verified (a name a provider chooses).
    static func groups(in token: String, claim: String) -> [String] {
        (part(1, of: token)?[claim] as? [Any])?.compactMap { $0 as? String } ?? []
    }

    static func header(of token: String) -> [String: Any]? { part(0, of: token) }

    /// A token's header (0) or claims (1), decoded, unverified.
    private static func part(_ index: Int, of token: String) -> [String: Any]? {
        let parts = token.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 3 else { return nil }
        var text = parts[index].replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while text.count % 4 != 0 { text += "=" }
        guard let data = Data(base64Encoded: text) else { return nil }
        return try? JSONSerialization.jsonObject(with: data) as? [String: Any]
    }

    static func formEncoded(_ text: String) -> String {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~")
        return text.addingPercentEncoding(withAllowedCharacters: allowed) ?? text
    }
}

/// The claims of an ID token this server reads; their values are checked by ``OpenIDClient``
/// against the sign-in (issuer, audience, time, nonce), not here.
struct IDTokenClaims: JWTPayload {
    var iss: IssuerClaim
    var aud: AudienceClaim
    var exp: ExpirationClaim
    var iat: IssuedAtClaim?
    var nonce: String?
    var azp: String?
    var email: String?
    var emailVerified: Bool?
    var name: String?

    enum CodingKeys: String, CodingKey {
        case iss, aud, exp, iat, nonce, azp, email, emailVerified = "email_verified", name
    }

    func verify(using algorithm: some JWTAlgorithm) async throws {}
}
