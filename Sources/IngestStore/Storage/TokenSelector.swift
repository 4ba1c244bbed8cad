import SQLiteDB

/// Which tokens a command acts on: one by its id, or those of one name in one tenant. Never a
/// name and an id at once, and never a name across tenants: `revoke 1` cannot also take
/// another tenant's token named "1".
public enum TokenSelector: Sendable, Equatable, CustomStringConvertible {
    case id(Int64)
    case name(String, tenantID: Int64)

    public var description: String {
        switch self {
        case .id(let id): return "id \(id)"
        case .name(let name, let tenant): return "name \(name) in tenant \(tenant)"
        }
    }

    /// The SQL condition and its values (`$1`, and `$2` for a name): an id matches only the id
    /// column, a name only the name column within its tenant.
    package var condition: (sql: String, values: [SQLiteValue]) {
        switch self {
        case .id(let id): return ("id = $1", [.integer(id)])
        case .name(let name, let tenant): return ("name = $1 AND tenant_id = $2", [.text(name), .integer(tenant)])
        }
    }
}
