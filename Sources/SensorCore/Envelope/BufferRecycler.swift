import Foundation

/// Byte arrays handed back once their envelopes were delivered, for readers to fill again.
///
/// A backfill then cycles through the same few megabytes instead of asking the system for
/// fresh pages for every chunk (page faults and zeroing cost a tenth of a backfill's CPU, and
/// freed pages stranded in allocator arenas raised resident memory well above what was live).
public final class BufferRecycler: @unchecked Sendable {
    private let lock = NSLock()
    private var spare: [[UInt8]] = []
    /// Buffers kept at most; more are freed.
    public let limit: Int
    /// Buffers larger than this are freed rather than kept (one huge record must not pin memory).
    public let largest: Int

    public init(limit: Int = 4, largest: Int = 2 << 20) {
        self.limit = limit
        self.largest = largest
    }

    /// An empty array with room for at least `capacity` bytes.
    public func take(capacity: Int) -> [UInt8] {
        var buffer = lock.withLock { spare.popLast() } ?? []
        buffer.reserveCapacity(capacity)
        return buffer
    }

    /// Takes `buffer` (leaving it empty) for a later ``take(capacity:)``.
    public func give(_ buffer: inout [UInt8]) {
        var taken: [UInt8] = []
        swap(&taken, &buffer)
        guard taken.capacity <= largest else { return }
        taken.removeAll(keepingCapacity: true)  // unique by now: keeps its storage
        lock.withLock {
            if spare.count < limit { spare.append(taken) }
        }
    }
}
