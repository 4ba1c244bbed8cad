import IngestStore
import Foundation
import NIOConcurrencyHelpers

/// Limits failed authentication per client address: past `limit` failures within `window`,
/// the address's failures are answered 429 until the window ends (its valid tokens still get
/// in: addresses are shared behind NATs and proxies). Memory is
/// bounded: at most `capacity` addresses are remembered (expired ones go first, then the
/// oldest), so a flood of addresses cannot grow it.
package final class FailedAuthLimiter: Sendable {
    package struct Entry {
        package var failures: Int
        var windowStart: Date
    }

    package let limit: Int
    package let window: TimeInterval
    package let capacity: Int
    private let entries = NIOLockedValueBox([String: Entry]())

    package init(limit: Int = 20, window: TimeInterval = 60, capacity: Int = 4096) {
        self.limit = limit
        self.window = window
        self.capacity = capacity
    }

    /// Seconds until `address` may try again, or nil when it may now.
    package func blocked(_ address: String, now: Date = Date()) -> Int? {
        entries.withLockedValue { entries in
            guard let entry = entries[address], entry.failures >= limit else { return nil }
            let left = window - now.timeIntervalSince(entry.windowStart)
            guard left > 0 else {
                entries[address] = nil
                return nil
            }
            return max(1, Int(left.rounded(.up)))
        }
    }

    /// Counts one failed authentication from `address`.
    package func failed(_ address: String, now: Date = Date()) {
        entries.withLockedValue { entries in
            if var entry = entries[address], now.timeIntervalSince(entry.windowStart) < window {
                entry.failures += 1
                entries[address] = entry
                return
            }
            if entries.count >= capacity {
                entries = entries.filter { now.timeIntervalSince($0.value.windowStart) < window }
                if entries.count >= capacity, let oldest = entries.min(by: { $0.value.windowStart < $1.value.windowStart })?.key {
                    entries[oldest] = nil
                }
            }
            entries[address] = Entry(failures: 1, windowStart: now)
        }
    }

    /// Addresses remembered now (for tests and metrics).
    package var count: Int { entries.withLockedValue { $0.count } }
}
