import NIOConcurrencyHelpers

/// Bounds the ingest requests worked on at once; past the bound a request is told to come
/// back later (503 with `Retry-After`) instead of queueing without limit.
final class AdmissionGate: Sendable {
    let limit: Int
    private let running = NIOLockedValueBox(0)

    init(limit: Int) {
        self.limit = limit
    }

    /// Runs `body` when there is room, or returns nil at once when there is none.
    func withAdmission<Result>(_ body: () async throws -> Result) async rethrows -> Result? {
        let admitted = running.withLockedValue { running in
            guard running < limit else { return false }
            running += 1
            return true
        }
        guard admitted else { return nil }
        defer { running.withLockedValue { $0 -= 1 } }
        return try await body()
    }
}
