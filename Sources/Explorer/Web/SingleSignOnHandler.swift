import Access
import Foundation
import HTTPTypes
import Hummingbird
import IngestStore

/// Single sign-on for the explorer (docs/roles.md): `/login/sso?tenant=NAME` sends the browser
/// to the tenant's OpenID Connect provider (authorization code with PKCE, `state` bound to the
/// browser by a short-lived cookie, `nonce`), `/login/sso/callback` checks what comes back and
/// signs the person in: their email is the person; their groups become teams and, as the tenant
/// configured, a role (`self` by default: their own sessions).
struct SingleSignOnHandler: Sendable {
    static let stateCookie = "sensor_sso"

    let store: any IngestStore
    let sessions: WebSessions
    let client: OpenIDClient
    let renderer: PageRenderer

    func register(on router: Router<IngestRequestContext>) {
        router.get("/login/sso") { request, _ in try await self.begin(request) }
        router.get("/login/sso/callback") { request, _ in try await self.callback(request) }
    }

    private func refuse(_ status: HTTPResponse.Status, _ message: String) -> Response {
        renderer.render("error", ErrorPage(title: "Sign-in refused", signedIn: false, heading: "Sign-in refused", message: message), status: status)
    }

    private func begin(_ request: Request) async throws -> Response {
        let query = ExplorerHandler.query(of: request)
        let tenants = try await store.tenants()
        guard let tenant = tenants.first(where: { $0.name == (query["tenant"] ?? "default") }),
              let provider = try await SingleSignOnStore.providers(in: store).first(where: { $0.tenant == tenant.id }) else {
            return refuse(.notFound, "No single sign-on is configured for this tenant.")
        }
        let state = OpenIDClient.randomToken(), nonce = OpenIDClient.randomToken(), (verifier, challenge) = OpenIDClient.pkce()
        let next = ExplorerHandler.safeTarget(query["next"] ?? "/")
        let url: String
        do {
            url = try await client.authorizationURL(provider, state: state, nonce: nonce, challenge: challenge)
        } catch let refusal as OpenIDClient.Refusal {
            return refuse(.badGateway, "The identity provider could not be used: \(refusal.description)")
        } catch {
            return refuse(.badGateway, "The identity provider could not be reached; try again later.")
        }
        try await SingleSignOnStore.begin(.init(tenant: tenant.id, nonce: nonce, verifier: verifier, next: next), state: state, in: store)
        // Lax: the provider's redirect back is a top-level cross-site navigation, which must carry it.
        let cookie = "\(Self.stateCookie)=\(state); Path=/login/sso; Max-Age=600; HttpOnly; SameSite=Lax" + (sessions.secureCookies ? "; Secure" : "")
        return Response(status: .seeOther, headers: [.location: url, .setCookie: cookie, .cacheControl: "no-store"])
    }

    private func callback(_ request: Request) async throws -> Response {
        let query = ExplorerHandler.query(of: request)
        if query["error"] != nil { return refuse(.unauthorized, "The identity provider did not sign you in.") }
        guard let state = query["state"], let code = query["code"], !state.isEmpty, !code.isEmpty else {
            return refuse(.badRequest, "The identity provider's answer has no code or state.")
        }
        // The state must be the one this browser was sent with, and is spent now.
        guard WebSessions.cookie(named: Self.stateCookie, in: request) == state,
              let pending = try await SingleSignOnStore.finish(state: state, in: store),
              let provider = try await SingleSignOnStore.providers(in: store).first(where: { $0.tenant == pending.tenant }) else {
            return refuse(.badRequest, "This sign-in was not started by this browser, or has expired: start again.")
        }
        let identity: OpenIDClient.Identity
        do {
            identity = try await client.signIn(provider, code: code, verifier: pending.verifier, nonce: pending.nonce)
        } catch let refusal as OpenIDClient.Refusal {
            return refuse(.unauthorized, refusal.description)
        } catch {
            return refuse(.badGateway, "The identity provider could not be reached; try again later.")
        }
        let token: String
        do {
            token = try await SingleSignOnSignIn.signIn(identity, provider: provider, in: store)
        } catch let refusal as OpenIDClient.Refusal {
            return refuse(.forbidden, refusal.description)
        }
        let cookie = try await sessions.create(tokenHash: TokenSecret.hash(token))
        let clear = "\(Self.stateCookie)=; Path=/login/sso; Max-Age=0; HttpOnly; SameSite=Lax"
        // A page of this site moves on, so that the next request is same-site and carries the
        // sign-in cookie (SameSite=Strict is not sent on the rest of a cross-site redirect chain).
        var headers: HTTPFields = [.cacheControl: "no-store", .contentType: "text/html; charset=utf-8"]
        headers.append(HTTPField(name: .setCookie, value: cookie))
        headers.append(HTTPField(name: .setCookie, value: clear))
        let target = ExplorerHandler.safeTarget(pending.next)
        let html = "<!doctype html><meta http-equiv=\"refresh\" content=\"0;url=\(HTMLEscaping().escapeText(target))\"><title>Signed in</title><a href=\"\(HTMLEscaping().escapeText(target))\">Continue</a>"
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(string: html)))
    }
}

/// What a checked identity becomes: the tenant's person (made when new), the teams their
/// groups name (when the tenant says so), and a sign-in token of the role their groups map to.
package enum SingleSignOnSignIn {
    /// The roles a group may map to, weakest first: the strongest a person's groups give wins.
    static let order = ["self", "usage", "content", "read"]

    /// Makes the person's sign-in token (it lives as long as a browser sign-in); returns its secret.
    package static func signIn(_ identity: OpenIDClient.Identity, provider: OpenIDProvider, in store: any IngestStore) async throws -> String {
        // The tenant's own domains, when it has some, bound who may come in through a provider
        // that also serves others; a deactivated person does not come in at all.
        let domains = try await PeopleDirectory.domains(tenant: provider.tenant, in: store)
        let domain = identity.email.split(separator: "@").last.map { $0.lowercased() } ?? ""
        if !domains.isEmpty && !domains.contains(domain) {
            throw OpenIDClient.Refusal("\(identity.email) is not in this organisation's domains")
        }
        if let known = try await PeopleDirectory.person(email: identity.email, tenant: provider.tenant, in: store), !known.active {
            throw OpenIDClient.Refusal("\(identity.email) is deactivated")
        }
        let person = try await PeopleDirectory.upsert(.init(email: identity.email, name: identity.name), origin: "sso",
                                                      tenant: provider.tenant, in: store)
        if provider.teamsFromGroups {
            var teams: [String] = []
            for group in identity.groups where !group.isEmpty {
                teams.append(try await PeopleDirectory.upsertTeam(named: group, tenant: provider.tenant, in: store).id)
            }
            try await PeopleDirectory.setSignOnTeams(of: person.id, to: teams, tenant: provider.tenant, in: store)
        }
        var role = "self"
        var contentTeams: [String] = []
        for group in identity.groups {
            guard let mapped = provider.roles[group] else { continue }
            let name = mapped.hasPrefix("content:") ? "content" : mapped
            if name == "content" { contentTeams.append(String(mapped.dropFirst("content:".count))) }
            if (order.firstIndex(of: name) ?? 0) > (order.firstIndex(of: role) ?? 0) { role = name }
        }
        let scope: TokenScope = role == "read" ? .read : role == "usage" ? .usage : role == "content" ? .content : .selfOnly
        var grants: [(Grants.Kind, String)] = scope == .read ? [] : [(.person, person.id)]
        if scope == .content {
            for name in contentTeams {
                if let team = try await PeopleDirectory.team(named: name, tenant: provider.tenant, in: store) { grants.append((.team, team.id)) }
            }
        }
        let secret = TokenSecret.generate()
        let token = try await store.createToken(NewToken(name: "sso:\(person.email)", hash: TokenSecret.hash(secret), scope: scope,
                                                         tenantID: provider.tenant, expiresAt: Date().addingTimeInterval(WebSessions.lifetime)))
        try await store.execute(grants.map { Grants.grant($0.0, $0.1, to: token.id) })
        return secret
    }
}
