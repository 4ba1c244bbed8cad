import Foundation
import SQLiteDB

/// One normaliser at a time per store: a lease row that a normaliser takes before it works
/// (when free, expired, or already its own), renews while it works and gives back when it has
/// caught up. A `sensor-ingest sessions` or `reparse` beside a running server then neither
/// redoes nor races the server's work; a holder that dies lets go when its lease expires.
package struct NormalizerLease: Sendable {
    package static let schema = [
        "CREATE TABLE norm_lease (id BIGINT PRIMARY KEY, holder TEXT NOT NULL, expires_at BIGINT NOT NULL)",
        "INSERT INTO norm_lease(id, holder, expires_at) VALUES (1, '', 0)",
    ]

    package let store: any NormalizedStore
    /// Who holds it: this process's normaliser.
    package let holder: String
    /// How long a lease lasts without renewal.
    package let duration: Duration

    package init(store: any NormalizedStore, holder: String = "\(ProcessInfo.processInfo.hostName):\(getpid()):\(UUID().uuidString.prefix(8))",
         duration: Duration = .seconds(15)) {
        self.store = store
        self.holder = holder
        self.duration = duration
    }

    package static func milliseconds(_ date: Date = Date()) -> Int64 { Int64(date.timeIntervalSince1970 * 1000) }

    /// Takes or renews the lease; false when another normaliser holds it.
    package func acquire() async throws -> Bool {
        let now = Self.milliseconds()
        let until = now + duration.components.seconds * 1000
        return try await !store.query(SQLStatement("""
            UPDATE norm_lease SET holder = $1, expires_at = $2 WHERE id = 1 AND (holder = $1 OR expires_at < $3) RETURNING id
            """, [.text(holder), .integer(until), .integer(now)])).isEmpty
    }

    /// Gives the lease back, if it is this holder's.
    package func release() async throws {
        _ = try await store.query(SQLStatement("UPDATE norm_lease SET expires_at = 0 WHERE id = 1 AND holder = $1 RETURNING id",
                                               [.text(holder)]))
    }

    /// Waits until the lease is this holder's (up to `timeout`).
    package func wait(timeout: Duration) async throws -> Bool {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if try await acquire() { return true }
            try await Task.sleep(for: .milliseconds(200))
        }
        return try await acquire()
    }
}
