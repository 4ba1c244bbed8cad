import SQLiteDB

/// What a reader's token is granted beyond its scope: the teams and people whose conversations
/// a `content` token reads, the person a `self` token is, and the per-person figures an admin
/// gives a `usage` token knowingly (`people`). Kept per token, read at every request.
package enum Grants {
    package enum Kind: String, Sendable, CaseIterable {
        case team, person, people
    }

    package static func schema(_ dialect: SQLDialect) -> [String] {
        let int = dialect == .sqlite ? "INTEGER" : "BIGINT"
        return [
            "CREATE TABLE token_grants (token_id \(int) NOT NULL, kind TEXT NOT NULL, target TEXT NOT NULL, PRIMARY KEY (token_id, kind, target))",
            // The fewest people a team's figures stand for before a usage reader sees them apart.
            "ALTER TABLE tenants ADD COLUMN min_group \(int) NOT NULL DEFAULT 5",
        ]
    }

    package static func grant(_ kind: Kind, _ target: String, to token: Int64) -> SQLStatement {
        SQLStatement("INSERT INTO token_grants(token_id, kind, target) VALUES ($1, $2, $3) ON CONFLICT (token_id, kind, target) DO NOTHING",
                     [.integer(token), .text(kind.rawValue), .text(target)])
    }

    package static func grants(of token: Int64, in store: any NormalizedStore) async throws -> [(kind: Kind, target: String)] {
        try await store.query(SQLStatement("SELECT kind, target FROM token_grants WHERE token_id = $1 ORDER BY kind, target",
                                           [.integer(token)])).compactMap { row in
            guard let kind = row[0].text.flatMap(Kind.init(rawValue:)), let target = row[1].text else { return nil }
            return (kind, target)
        }
    }

    package static func minimumGroup(tenant: Int64, in store: any NormalizedStore) async throws -> Int {
        Int(try await store.query(SQLStatement("SELECT min_group FROM tenants WHERE id = $1", [.integer(tenant)])).first?[0].int ?? 5)
    }

    package static func setMinimumGroup(_ size: Int, tenant: Int64, in store: any NormalizedStore) async throws {
        try await store.execute([SQLStatement("UPDATE tenants SET min_group = $2 WHERE id = $1", [.integer(tenant), .integer(Int64(size))])])
    }
}
