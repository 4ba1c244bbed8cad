import Foundation

/// Wakes the run loop early (a file event, a signal); a wait ends at its timeout otherwise.
public final class WakeSignal: @unchecked Sendable {
    private let lock = NSLock()
    private var pending = false
    private var waiter: (id: UInt64, continuation: CheckedContinuation<Bool, Never>)?
    private var nextID: UInt64 = 0

    public init() {}

    /// Wakes the current wait, or the next one.
    public func signal() {
        lock.lock()
        if let waiter {
            self.waiter = nil
            lock.unlock()
            waiter.continuation.resume(returning: true)
        } else {
            pending = true
            lock.unlock()
        }
    }

    /// Waits for a signal or `timeout` seconds; true when signalled.
    public func wait(timeout: Double) async -> Bool {
        let id: UInt64? = lock.withLock {
            if pending {
                pending = false
                return nil
            }
            nextID += 1
            return nextID
        }
        guard let id else { return true }
        return await withCheckedContinuation { continuation in
            let signalled: Bool = lock.withLock {
                if pending {
                    pending = false
                    return true
                }
                waiter = (id, continuation)
                return false
            }
            if signalled {
                continuation.resume(returning: true)
                return
            }
            Task {
                try? await Task.sleep(nanoseconds: UInt64(max(0, timeout) * 1e9))
                self.expire(id)
            }
        }
    }

    private func expire(_ id: UInt64) {
        lock.lock()
        guard let waiter, waiter.id == id else {
            lock.unlock()
            return
        }
        self.waiter = nil
        lock.unlock()
        waiter.continuation.resume(returning: false)
    }
}
