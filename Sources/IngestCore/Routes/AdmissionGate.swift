import Access
import Explorer
import IngestStore
import Normalization
import NIOConcurrencyHelpers

/// Bounds the ingest requests worked on at once: in all, per key (a token) and per group (a
/// tenant). Past any bound a request is told to come back later (503 with `Retry-After`)
/// instead of queueing without limit, so one laptop cannot take every slot, nor can one
/// tenant's laptops together.
final class AdmissionGate: Sendable {
    let limit: Int
    let perKey: Int
    let perGroup: Int
    private let running = NIOLockedValueBox((total: 0, byKey: [Int64: Int](), byGroup: [Int64: Int]()))

    init(limit: Int, perKey: Int? = nil, perGroup: Int? = nil) {
        self.limit = limit
        self.perKey = max(1, min(perKey ?? limit, limit))
        self.perGroup = max(self.perKey, min(perGroup ?? limit, limit))
    }

    /// Runs `body` when there is room for `key` in `group`, or returns nil at once when there is none.
    func withAdmission<Result>(key: Int64 = 0, group: Int64 = 0, _ body: () async throws -> Result) async rethrows -> Result? {
        let admitted = running.withLockedValue { running in
            guard running.total < limit, running.byKey[key, default: 0] < perKey, running.byGroup[group, default: 0] < perGroup else {
                return false
            }
            running.total += 1
            running.byKey[key, default: 0] += 1
            running.byGroup[group, default: 0] += 1
            return true
        }
        guard admitted else { return nil }
        defer {
            running.withLockedValue { running in
                running.total -= 1
                let left = running.byKey[key, default: 1] - 1
                running.byKey[key] = left == 0 ? nil : left
                let groupLeft = running.byGroup[group, default: 1] - 1
                running.byGroup[group] = groupLeft == 0 ? nil : groupLeft
            }
        }
        return try await body()
    }
}
