import Hummingbird
import IngestStore
import Normalization

/// What a token may read: its own tenant's sessions, or every tenant's for an admin; the read
/// API and the explorer ask here, never the token itself.
package enum ReadScope {
    /// What a token reads: its own tenant's, or every tenant's for an admin.
    package static func tenant(of token: TokenRecord) -> Int64? {
        token.scope == .admin ? nil : token.tenantID
    }

    package static func filter(_ query: Parameters, token: TokenRecord) -> NormalizedReader.Filter {
        filter({ query[$0[...]].map(String.init) }, token: token)
    }

    /// The filter the query's fields name (`field` gives a field's value), in the token's tenant.
    package static func filter(_ field: (String) -> String?, token: TokenRecord) -> NormalizedReader.Filter {
        func value(_ name: String) -> String? { field(name).flatMap { $0.isEmpty ? nil : $0 } }
        return NormalizedReader.Filter(tool: value("tool"), device: value("device"), project: value("project"),
                                       since: value("since"), until: value("until"),
                                       includeEmpty: ["true", "1", "yes"].contains(value("include_empty")?.lowercased() ?? ""),
                                       tenant: tenant(of: token), model: value("model"),
                                       owner: OwnerFilter(person: value("person"), team: value("team")))
    }
}
