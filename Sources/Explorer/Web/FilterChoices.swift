import IngestStore
import Normalization
import Access
import Foundation
import NIOConcurrencyHelpers

/// The tools, devices, models, people and teams the sessions and search pages offer as filters, per tenant, remembered
/// for `lifetime`: reading them is three scans of the sessions (three quarters of the page's
/// time at twenty thousand sessions), and a list that is half a minute old still filters right.
package final class FilterChoices: Sendable {
    package struct Lists: Sendable {
        package var tools: [String]
        package var devices: [String]
        package var models: [String]
        /// (id, email) of each person, (id, name) of each team.
        package var people: [(id: String, label: String)] = []
        package var teams: [(id: String, label: String)] = []
    }

    package let queries: ExplorerQueries
    package let lifetime: TimeInterval
    private let remembered = NIOLockedValueBox([Int64: (at: Date, lists: Lists)]())

    package init(queries: ExplorerQueries, lifetime: TimeInterval = 30) {
        self.queries = queries
        self.lifetime = lifetime
    }

    /// The lists for `tenant` (nil: every tenant's), read again once older than `lifetime`.
    package func lists(tenant: Int64?, now: Date = Date()) async throws -> Lists {
        let key = tenant ?? -1
        if let known = remembered.withLockedValue({ $0[key] }), now.timeIntervalSince(known.at) < lifetime { return known.lists }
        let read = try await queries.choices(tenant: tenant)
        let lists = Lists(tools: read.tools, devices: read.devices, models: read.models, people: read.people, teams: read.teams)
        remembered.withLockedValue { $0[key] = (now, lists) }
        return lists
    }
}
