import Foundation
@testable import Access
@testable import Explorer
@testable import IngestStore
import SensorTestSupport
import Testing

/// How an ID token from a real OpenID Connect provider (Canaille on 127.0.0.1) is checked: the
/// token it issued is taken; the same token altered, for another client, from another issuer,
/// past its expiry, with another sign-in's nonce or unsigned is refused, each with its reason.
@Suite(.serialized) struct SingleSignOnTests {
    @Test func anIDTokenIsCheckedForSignatureIssuerAudienceExpiryAndNonce() async throws {
        let python = try #require(OpenIDProviderProcess.python, Comment(rawValue: OpenIDProviderProcess.missing))
        let redirect = "http://127.0.0.1:9/login/sso/callback"
        let provider = try await OpenIDProviderProcess(python: python, redirectURI: redirect,
                                                       users: ["ada@acme.com:ada-password-1:platform,leads", "bob@acme.com:bob-password-1:"])
        defer { provider.stop() }
        let configured = OpenIDProvider(tenant: Tenant.defaultID, issuer: provider.issuer, clientID: provider.clientID,
                                        clientSecret: provider.clientSecret, redirectURI: redirect)
        let client = OpenIDClient.shared

        // The authorization request carries PKCE (S256), state and nonce.
        let url = try await client.authorizationURL(configured, state: "s-1", nonce: "n-1", challenge: "c-1")
        for part in ["code_challenge=c-1", "code_challenge_method=S256", "state=s-1", "nonce=n-1", "response_type=code", "scope=openid%20email%20profile%20groups"] {
            #expect(url.contains(part), "\(url)")
        }

        let token = try await provider.idToken(python: python, redirectURI: redirect, email: "ada@acme.com", password: "ada-password-1", nonce: "n-ada")
        let identity = try await client.verify(token, provider: configured, nonce: "n-ada")
        #expect(identity == OpenIDClient.Identity(email: "ada@acme.com", name: identity.name, groups: ["platform", "leads"]))

        func refused(_ token: String, _ reason: String, provider: OpenIDProvider = configured, nonce: String = "n-ada",
                     now: Date = Date()) async {
            do {
                _ = try await client.verify(token, provider: provider, nonce: nonce, now: now)
                Issue.record("taken, though \(reason)")
            } catch {
                #expect("\(error)".contains(reason), "\(error)")
            }
        }
        // A claim changed after signing.
        var parts = token.split(separator: ".").map(String.init)
        let claims = try #require(OpenIDClient.header(of: parts[1] + "." + parts[1] + "." + parts[2]))
        var forged = claims
        forged["email"] = "mallory@acme.com"
        parts[1] = OpenIDClient.base64URL(try JSONSerialization.data(withJSONObject: forged))
        await refused(parts.joined(separator: "."), "signature does not verify")
        // Unsigned.
        let none = OpenIDClient.base64URL(Data(#"{"alg":"none","typ":"JWT"}"#.utf8)) + "." + parts[1] + "."
        await refused(none, "not signed with")
        // Another sign-in's nonce; past its expiry (and the minute of skew); another client; another issuer.
        await refused(token, "nonce", nonce: "n-other")
        let expiry = try #require(claims["exp"] as? Double)
        await refused(token, "expired", now: Date(timeIntervalSince1970: expiry + OpenIDClient.skew + 5))
        var other = configured
        other.clientID = "another-client"
        await refused(token, "another client", provider: other)
        var elsewhere = configured
        elsewhere.issuer = provider.issuer + "/elsewhere"
        await refused(token, "HTTP 404", provider: elsewhere)
        // A user with no group has none.
        let bob = try await provider.idToken(python: python, redirectURI: redirect, email: "bob@acme.com", password: "bob-password-1", nonce: "n-bob")
        #expect(try await client.verify(bob, provider: configured, nonce: "n-bob").groups.isEmpty)
    }

    @Test func aSignInIsBoundedByTheTenantsDomainsAndComesInWithTheStrongestMappedRole() async throws {
        try await StoreKind.sqlite.withFreshStore { store in
            let provider = OpenIDProvider(tenant: Tenant.defaultID, issuer: "https://id.example", clientID: "c", clientSecret: "s",
                                          redirectURI: "https://sensor.example/login/sso/callback",
                                          roles: ["leads": "read", "finance": "usage"], teamsFromGroups: true)
            try await PeopleDirectory.setDomains(["acme.com"], tenant: Tenant.defaultID, in: store)
            func signIn(_ email: String, _ groups: [String]) async throws -> TokenRecord? {
                let secret = try await SingleSignOnSignIn.signIn(.init(email: email, name: nil, groups: groups), provider: provider, in: store)
                return try await store.token(withHash: TokenSecret.hash(secret))
            }
            await #expect(throws: OpenIDClient.Refusal.self, "an account of another domain, on a shared provider") {
                _ = try await signIn("eve@gmail.com", [])
            }
            #expect(try await signIn("ada@acme.com", ["finance", "leads", "platform"])?.scope == .read, "the strongest role wins")
            #expect(try await signIn("bob@acme.com", ["finance"])?.scope == .usage)
            #expect(try await signIn("carol@acme.com", ["platform"])?.scope == .selfOnly, "no mapped group: self")
            let ada = try #require(try await PeopleDirectory.person(email: "ada@acme.com", tenant: Tenant.defaultID, in: store))
            #expect(try await PeopleDirectory.teams(of: ada.id, tenant: Tenant.defaultID, in: store).map(\.name) == ["finance", "leads", "platform"])
            // She leaves two groups; a team a directory file put her in stays.
            let research = try await PeopleDirectory.upsertTeam(named: "research", tenant: Tenant.defaultID, in: store)
            try await PeopleDirectory.addMembers([ada.id], to: research.id, tenant: Tenant.defaultID, in: store)
            #expect(try await signIn("ada@acme.com", ["platform"])?.scope == .selfOnly)
            #expect(try await PeopleDirectory.teams(of: ada.id, tenant: Tenant.defaultID, in: store).map(\.name) == ["platform", "research"])
            _ = try await PeopleDirectory.replace(id: ada.id, with: .init(email: "ada@acme.com", active: false), tenant: Tenant.defaultID, in: store)
            await #expect(throws: OpenIDClient.Refusal.self, "a deactivated person") { _ = try await signIn("ada@acme.com", ["leads"]) }
        }
    }
}
