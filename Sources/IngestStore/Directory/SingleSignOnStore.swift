import Foundation
import SQLiteDB

/// A tenant's single sign-on: an OpenID Connect provider and this server's client there, and
/// how the provider's groups become teams and roles (`sensor-ingest sso configure`).
public struct OpenIDProvider: Codable, Sendable, Equatable {
    public var tenant: Int64
    /// The issuer, exactly as the provider's tokens name it (`https://id.acme.com`).
    public var issuer: String
    public var clientID: String
    public var clientSecret: String
    /// Where the provider sends the browser back: `<this server>/login/sso/callback`.
    public var redirectURI: String
    /// The claim listing the person's groups.
    public var groupsClaim: String
    /// Group → role: `read`, `usage`, `self`, or `content:<team>` (that team's conversations).
    public var roles: [String: String]
    /// Whether each group the person is in becomes a team they are a member of.
    public var teamsFromGroups: Bool

    public init(tenant: Int64, issuer: String, clientID: String, clientSecret: String, redirectURI: String, groupsClaim: String = "groups",
                roles: [String: String] = [:], teamsFromGroups: Bool = false) {
        self.tenant = tenant
        self.issuer = issuer
        self.clientID = clientID
        self.clientSecret = clientSecret
        self.redirectURI = redirectURI
        self.groupsClaim = groupsClaim
        self.roles = roles
        self.teamsFromGroups = teamsFromGroups
    }
}

/// The `sso_providers` table (one provider per tenant) and the sign-ins under way.
package enum SingleSignOnStore {
    package static func schema(_ dialect: SQLDialect) -> [String] {
        let int = dialect == .sqlite ? "INTEGER" : "BIGINT"
        return [
            "CREATE TABLE sso_providers (tenant_id \(int) PRIMARY KEY, document TEXT NOT NULL)",
            """
            CREATE TABLE sso_pending (
                state_hash TEXT PRIMARY KEY, tenant_id \(int) NOT NULL, nonce TEXT NOT NULL, verifier TEXT NOT NULL, next TEXT NOT NULL,
                expires_at TEXT NOT NULL)
            """,
            // Idle expiry of a browser's sign-in: when it was last used.
            "ALTER TABLE web_sessions ADD COLUMN last_used TEXT",
            // The team memberships a sign-in's groups gave: a group left is a team left.
            "CREATE TABLE sso_memberships (person_id TEXT NOT NULL, team_id TEXT NOT NULL, PRIMARY KEY (person_id, team_id))",
        ]
    }

    package static func save(_ provider: OpenIDProvider, in store: any NormalizedStore) async throws {
        let document = String(decoding: try JSONEncoder().encode(provider), as: UTF8.self)
        try await store.execute([SQLStatement("""
            INSERT INTO sso_providers(tenant_id, document) VALUES ($1, $2)
            ON CONFLICT (tenant_id) DO UPDATE SET document = excluded.document
            """, [.integer(provider.tenant), .text(document)])])
    }

    package static func providers(in store: any NormalizedStore) async throws -> [OpenIDProvider] {
        try await store.query(SQLStatement("SELECT document FROM sso_providers ORDER BY tenant_id")).compactMap { row in
            row[0].text.flatMap { try? JSONDecoder().decode(OpenIDProvider.self, from: Data($0.utf8)) }
        }
    }

    package struct Pending: Sendable {
        package var tenant: Int64
        package var nonce: String
        package var verifier: String
        package var next: String

        package init(tenant: Int64, nonce: String, verifier: String, next: String) {
            self.tenant = tenant
            self.nonce = nonce
            self.verifier = verifier
            self.next = next
        }
    }

    package static func begin(_ pending: Pending, state: String, in store: any NormalizedStore, now: Date = Date()) async throws {
        try await store.execute([
            SQLStatement("DELETE FROM sso_pending WHERE expires_at < $1", [.text(now.ISO8601Format())]),
            SQLStatement("INSERT INTO sso_pending(state_hash, tenant_id, nonce, verifier, next, expires_at) VALUES ($1, $2, $3, $4, $5, $6)",
                         [.text(TokenSecret.hash(state)), .integer(pending.tenant), .text(pending.nonce), .text(pending.verifier),
                          .text(pending.next), .text(now.addingTimeInterval(600).ISO8601Format())]),
        ])
    }

    /// The sign-in `state` began, taken once: a replayed or stale state finds nothing.
    package static func finish(state: String, in store: any NormalizedStore, now: Date = Date()) async throws -> Pending? {
        // One statement takes it: of two callbacks racing with one state, one gets it.
        guard let row = try await store.query(SQLStatement(
            "DELETE FROM sso_pending WHERE state_hash = $1 RETURNING tenant_id, nonce, verifier, next, expires_at",
            [.text(TokenSecret.hash(state))])).first else { return nil }
        guard let expires = row[4].text, expires > now.ISO8601Format(), let tenant = row[0].int else { return nil }
        return Pending(tenant: tenant, nonce: row[1].text ?? "", verifier: row[2].text ?? "", next: row[3].text ?? "/")
    }
}
