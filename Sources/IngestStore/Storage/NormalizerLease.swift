import Foundation
import SQLiteDB

/// Who normalises a lane (see ``NormalizationLanes``): a lease row a normaliser takes before it
/// works on the lane (when free, expired, or already its own), renews at every step and gives
/// back when it has caught up. Servers on one database then share the lanes, each lane worked
/// by one of them at a time; a holder that dies lets go when its lease expires, and another
/// server takes the lane from its watermark.
///
/// A lease of several lanes (all of them, for a reparse or an erasure, which must not race any
/// normaliser) takes them in lane order and keeps what it took while it waits for the rest, so
/// a busy fleet cannot starve it and two such leases cannot deadlock; normalisers hold one lane
/// at a time and never wait.
package struct NormalizerLease: Sendable {
    package static let schema = [
        "CREATE TABLE norm_lease (id BIGINT PRIMARY KEY, holder TEXT NOT NULL, expires_at BIGINT NOT NULL)",
        "INSERT INTO norm_lease(id, holder, expires_at) VALUES (1, '', 0)",
    ]

    package let store: any NormalizedStore
    /// The lanes it is for, in order.
    package let lanes: [Int]
    /// Who holds it: this process's normaliser.
    package let holder: String
    /// How long a lease lasts without renewal.
    package let duration: Duration

    /// A lease of `lanes` (nil: every lane of the store).
    package init(store: any NormalizedStore, lanes: [Int]? = nil, holder: String = Self.processHolder(), duration: Duration = .seconds(15)) {
        self.store = store
        self.lanes = (lanes ?? store.lanes).sorted()
        self.holder = holder
        self.duration = duration
    }

    /// This process, as a holder's name (`host:pid:random`, so that `status` says who).
    package static func processHolder() -> String {
        "\(ProcessInfo.processInfo.hostName):\(getpid()):\(UUID().uuidString.prefix(8))"
    }

    package static func milliseconds(_ date: Date = Date()) -> Int64 { Int64(date.timeIntervalSince1970 * 1000) }

    /// Takes or renews the lease of every lane, in order; false when another normaliser holds
    /// one of them (the lanes before it stay taken, until ``release()`` or their expiry).
    package func acquire() async throws -> Bool {
        let now = Self.milliseconds()
        let until = now + duration.components.seconds * 1000
        for lane in lanes {
            let taken = try await !store.query(SQLStatement("""
                UPDATE norm_lease SET holder = $1, expires_at = $2 WHERE id = $4 AND (holder = $1 OR expires_at < $3) RETURNING id
                """, [.text(holder), .integer(until), .integer(now), .integer(Int64(lane))])).isEmpty
            if !taken { return false }
        }
        return true
    }

    /// Gives back whatever of the lease this holder has.
    package func release() async throws {
        let list = lanes.map(String.init).joined(separator: ", ")
        _ = try await store.query(SQLStatement("UPDATE norm_lease SET expires_at = 0 WHERE holder = $1 AND id IN (\(list)) RETURNING id",
                                               [.text(holder)]))
    }

    /// Waits until every lane is this holder's (up to `timeout`).
    package func wait(timeout: Duration) async throws -> Bool {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if try await acquire() { return true }
            try await Task.sleep(for: .milliseconds(200))
        }
        return try await acquire()
    }

    /// Runs `work` holding every lane of the lease (waiting up to a minute for them), and gives
    /// them back after, whatever happens.
    package func holding<T: Sendable>(_ what: String, _ work: () async throws -> T) async throws -> T {
        guard try await wait(timeout: .seconds(60)) else {
            try? await release()
            throw StoreError("a normaliser has held the store for a minute; try the \(what) again when it is idle")
        }
        do {
            let result = try await work()
            try await release()
            return result
        } catch {
            try? await release()
            throw error
        }
    }
}
