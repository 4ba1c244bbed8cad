import Hummingbird
import IngestStore
import Normalization
import SQLiteDB

/// What one reader may see, from its token's scope and grants: every route of the read API
/// and the explorer asks here (docs/roles.md).
///
/// | role | conversations | per-person figures | teams |
/// |---|---|---|---|
/// | `admin` | every tenant's | all | all |
/// | `read` | its tenant's | all | all |
/// | `content` | the granted people's and teams' members' | theirs | k-anonymous |
/// | `self` | the person's own | their own | k-anonymous |
/// | `usage` | none (a person signed in: their own) | none (their own), or all with a `people` grant | k-anonymous |
package struct ReadAccess: Sendable {
    package let token: TokenRecord
    /// The tenant read (nil: every tenant's, for an admin).
    package let tenant: Int64?
    /// The people (ids) whose conversations may be read; nil: everyone's in the tenant.
    package let content: Set<String>?
    /// The people whose own figures (rows of the People page, their devices) may be read; nil: everyone's.
    package let people: Set<String>?
    /// Teams with fewer members than this fold into "other" (1: every team shown).
    package let minimumGroup: Int
    /// The person a `self` token stands for.
    package let person: String?

    package var role: String { token.scope.rawValue }
    package var readsContent: Bool { content.map { !$0.isEmpty } ?? true }
    package var readsEveryone: Bool { content == nil }

    package init(token: TokenRecord, tenant: Int64?, content: Set<String>?, people: Set<String>?, minimumGroup: Int, person: String?) {
        self.token = token
        self.tenant = tenant
        self.content = content
        self.people = people
        self.minimumGroup = minimumGroup
        self.person = person
    }

    /// The access of `token`, its grants read now (a team's members as they are now).
    package static func of(_ token: TokenRecord, in store: any IngestStore) async throws -> ReadAccess {
        switch token.scope {
        case .admin:
            return ReadAccess(token: token, tenant: nil, content: nil, people: nil, minimumGroup: 1, person: nil)
        case .read:
            return ReadAccess(token: token, tenant: token.tenantID, content: nil, people: nil, minimumGroup: 1, person: nil)
        default:
            // A deactivated person's own grant (a self token, a sign-in) reads nothing more.
            let inactive = try await PeopleDirectory.inactive(tenant: token.tenantID, in: store)
            let grants = try await Grants.grants(of: token.id, in: store).filter { !($0.kind == .person && inactive.contains($0.target)) }
            let minimum = try await Grants.minimumGroup(tenant: token.tenantID, in: store)
            var granted = Set<String>()
            for grant in grants {
                switch grant.kind {
                case .person: granted.insert(grant.target)
                case .team: granted.formUnion(try await PeopleDirectory.members(of: grant.target, tenant: token.tenantID, in: store).map(\.id))
                case .people: break
                }
            }
            switch token.scope {
            case .content:
                // A person signed in with content (single sign-on) is one of the granted: their own.
                let own = token.name.hasPrefix("sso:") ? grants.first { $0.kind == .person }?.target : nil
                return ReadAccess(token: token, tenant: token.tenantID, content: granted, people: granted, minimumGroup: minimum, person: own)
            case .selfOnly:
                let person = grants.first { $0.kind == .person }?.target
                let own: Set<String> = person.map { [$0] } ?? []
                return ReadAccess(token: token, tenant: token.tenantID, content: own, people: own, minimumGroup: minimum, person: person)
            default:
                // A usage reader signed in as a person (single sign-on) reads its own sessions too.
                let everyone = grants.contains { $0.kind == .people }
                let own = grants.first { $0.kind == .person }?.target
                let ownSet: Set<String> = own.map { [$0] } ?? []
                return ReadAccess(token: token, tenant: token.tenantID, content: ownSet, people: everyone ? nil : ownSet, minimumGroup: minimum,
                                  person: own)
            }
        }
    }

    /// Sessions this reader may read the conversations of, within `filter`.
    package func contentFilter(_ filter: NormalizedReader.Filter) -> NormalizedReader.Filter {
        var filter = filter
        filter.tenant = tenant
        filter.owner.allowed = content
        return filter
    }

    /// Whether the reader may read the conversation of the session `key`: its tenant's, and its
    /// device's person among those granted.
    package func mayRead(session key: String, in store: any NormalizedStore) async throws -> Bool {
        guard let row = try await store.query(SQLStatement("""
            SELECT s.tenant_id, dp.person_id FROM norm_sessions s
            LEFT JOIN device_people dp ON dp.tenant_id = s.tenant_id AND dp.device = s.device WHERE s.session_key = $1
            """, [.text(key)])).first else { return false }
        if let tenant, row[0].int != tenant { return false }
        guard let content else { return true }
        return row[1].text.map(content.contains) ?? false
    }

    /// Whether the reader may see one person's own figures (`person=` filters, their People row).
    package func maySeeFigures(of person: String) -> Bool {
        people.map { $0.contains(person) } ?? true
    }

    /// What a refused reader is told: the role, and what it would take.
    package var contentRefusal: String {
        "this \(role) reader sees figures only, not conversations: a conversation needs read, content (granted its person or team) or self"
    }
}

extension BearerAuthenticator {
    /// Runs `body` with what the request's token may read, when it reads; otherwise answers its
    /// refusal (401, 403, 429, 503). Every reading route starts here.
    package func reading(_ request: Request, context: IngestRequestContext, in store: any IngestStore,
                         _ body: (ReadAccess) async throws -> Response) async throws -> Response {
        switch await authorize(request, context: context, scope: .read) {
        case .failure(let refusal): return refusal.response
        case .success(let token): return try await body(try await ReadAccess.of(token, in: store))
        }
    }
}
