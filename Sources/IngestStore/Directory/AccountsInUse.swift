import SQLiteDB

/// An account an AI tool is signed in to on a device, and whether it is the organisation's:
/// the shadow-AI view (docs/people.md).
public struct AccountInUse: Codable, Sendable, Equatable {
    /// `organization` (an email in the tenant's domains), `personal` (a consumer mail domain, or
    /// a personal plan by the tool's own record), `other` (another organisation's domain) or
    /// `unknown` (no email: a login only).
    public enum Standing: String, Codable, Sendable {
        case organization, personal, other, unknown
    }

    public var device: String
    public var host: String?
    /// The device's person, when one is linked.
    public var person: String?
    public var tool: String
    public var email: String?
    public var login: String?
    public var name: String?
    public var organization: String?
    public var plan: String?
    public var active: Bool?
    public var standing: Standing
    /// A personal account on a device of the organisation: what a security team asks about.
    public var flagged: Bool
    public var firstSeen: String
    public var lastSeen: String
}

/// The `norm_accounts` table (rows the normaliser makes from identity sources) and what is
/// read from it.
package enum AccountsInUse {
    package static func schema(_ dialect: SQLDialect) -> [String] {
        let int = dialect == .sqlite ? "INTEGER" : "BIGINT"
        return [
            """
            CREATE TABLE norm_accounts (
                account_key TEXT PRIMARY KEY, tenant_id \(int) NOT NULL, device TEXT NOT NULL, tool TEXT NOT NULL, account TEXT NOT NULL,
                email TEXT, domain TEXT, login TEXT, name TEXT, organization TEXT, plan TEXT, personal \(int), active \(int),
                first_seen TEXT NOT NULL, last_seen TEXT NOT NULL, source TEXT NOT NULL)
            """,
            "CREATE INDEX norm_accounts_device ON norm_accounts(tenant_id, device)",
        ]
    }

    /// Mail domains anyone can sign up to: an account there is a person's own.
    package static let consumerDomains: Set<String> = [
        "gmail.com", "googlemail.com", "outlook.com", "hotmail.com", "hotmail.co.uk", "live.com", "msn.com", "yahoo.com",
        "yahoo.co.uk", "ymail.com", "icloud.com", "me.com", "mac.com", "aol.com", "proton.me", "protonmail.com", "pm.me",
        "gmx.com", "gmx.de", "gmx.net", "web.de", "mail.com", "yandex.com", "yandex.ru", "zoho.com", "qq.com", "163.com",
        "126.com", "fastmail.com", "hey.com", "tutanota.com", "duck.com",
    ]

    package static func standing(domain: String?, personal: Bool?, domains: Set<String>) -> AccountInUse.Standing {
        if personal == true { return .personal }
        guard let domain else { return .unknown }
        if domains.contains(domain) { return .organization }
        return consumerDomains.contains(domain) ? .personal : .other
    }

    /// The accounts in use in `tenant`, newest first; only those of one person's devices when
    /// `person` (an id) is given.
    package static func accounts(tenant: Int64, person: String? = nil, in store: any NormalizedStore) async throws -> [AccountInUse] {
        let domains = Set(try await PeopleDirectory.domains(tenant: tenant, in: store))
        return try await store.query(SQLStatement("""
            SELECT a.device, d.host, p.email, a.tool, a.email, a.login, a.name, a.organization, a.plan, a.active, a.domain, a.personal,
                   a.first_seen, a.last_seen
            FROM norm_accounts a
            LEFT JOIN devices d ON d.tenant_id = a.tenant_id AND d.device = a.device
            LEFT JOIN device_people o ON o.tenant_id = a.tenant_id AND o.device = a.device
            LEFT JOIN people p ON p.id = o.person_id
            WHERE a.tenant_id = $1 AND ($2 = '' OR o.person_id = $2)
            ORDER BY a.last_seen DESC, a.device, a.tool, a.account
            """, [.integer(tenant), .text(person ?? "")])).map { row in
            let standing = standing(domain: row[10].text, personal: row[11].int.map { $0 != 0 }, domains: domains)
            return AccountInUse(device: row[0].text ?? "", host: row[1].text, person: row[2].text, tool: row[3].text ?? "",
                                email: row[4].text, login: row[5].text, name: row[6].text, organization: row[7].text, plan: row[8].text,
                                active: row[9].int.map { $0 != 0 }, standing: standing, flagged: standing == .personal,
                                firstSeen: row[12].text ?? "", lastSeen: row[13].text ?? "")
        }
    }
}
