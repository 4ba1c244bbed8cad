import NIOConcurrencyHelpers

/// Bounds the ingest requests worked on at once, in all and per key (a token): past either
/// bound a request is told to come back later (503 with `Retry-After`) instead of queueing
/// without limit, so one laptop cannot take every slot.
final class AdmissionGate: Sendable {
    let limit: Int
    let perKey: Int
    private let running = NIOLockedValueBox((total: 0, byKey: [Int64: Int]()))

    init(limit: Int, perKey: Int? = nil) {
        self.limit = limit
        self.perKey = max(1, min(perKey ?? limit, limit))
    }

    /// Runs `body` when there is room for `key`, or returns nil at once when there is none.
    func withAdmission<Result>(key: Int64 = 0, _ body: () async throws -> Result) async rethrows -> Result? {
        let admitted = running.withLockedValue { running in
            guard running.total < limit, running.byKey[key, default: 0] < perKey else { return false }
            running.total += 1
            running.byKey[key, default: 0] += 1
            return true
        }
        guard admitted else { return nil }
        defer {
            running.withLockedValue { running in
                running.total -= 1
                let left = running.byKey[key, default: 1] - 1
                running.byKey[key] = left == 0 ? nil : left
            }
        }
        return try await body()
    }
}
