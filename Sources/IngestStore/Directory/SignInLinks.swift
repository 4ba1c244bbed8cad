import Foundation
import SQLiteDB

/// One-time sign-in links (`sensor open`): a device's credential vouches for its person, and
/// gets a link that signs a browser in as that person, with `self`, once, within minutes.
/// Only the code's hash is kept.
package enum SignInLinks {
    /// How long a link may wait to be opened.
    package static let lifetime: TimeInterval = 5 * 60

    package static func schema(_ dialect: SQLDialect) -> [String] {
        let int = dialect == .sqlite ? "INTEGER" : "BIGINT"
        return ["""
            CREATE TABLE sign_in_links (
                code_hash TEXT PRIMARY KEY, tenant_id \(int) NOT NULL, person_id TEXT NOT NULL, device TEXT NOT NULL,
                created_at TEXT NOT NULL, expires_at TEXT NOT NULL, used_at TEXT)
            """]
    }

    /// A new link's code for `person`, vouched for by `device`.
    package static func create(person: String, device: String, tenant: Int64, in store: any NormalizedStore, now: Date = Date()) async throws -> String {
        let code = TokenSecret.generate()
        try await store.execute([SQLStatement("""
            INSERT INTO sign_in_links(code_hash, tenant_id, person_id, device, created_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6)
            """, [.text(TokenSecret.hash(code)), .integer(tenant), .text(person), .text(device), .text(now.ISO8601Format()),
                  .text(now.addingTimeInterval(lifetime).ISO8601Format())])])
        return code
    }

    /// Spends a code: the tenant and person it signs in, when it is known, unexpired and unused
    /// (two browsers racing with one code: one wins). Nil otherwise.
    package static func spend(_ code: String, in store: any NormalizedStore, now: Date = Date()) async throws -> (tenant: Int64, person: String)? {
        let hash = TokenSecret.hash(code)
        let marker = now.ISO8601Format() + " " + TokenSecret.generate().prefix(12)
        try await store.execute([SQLStatement("""
            UPDATE sign_in_links SET used_at = $2 WHERE code_hash = $1 AND used_at IS NULL AND expires_at > $3
            """, [.text(hash), .text(marker), .text(now.ISO8601Format())])])
        guard let row = try await store.query(SQLStatement("SELECT tenant_id, person_id, used_at FROM sign_in_links WHERE code_hash = $1",
                                                           [.text(hash)])).first,
              row[2].text == marker, let tenant = row[0].int, let person = row[1].text else { return nil }
        return (tenant, person)
    }
}
