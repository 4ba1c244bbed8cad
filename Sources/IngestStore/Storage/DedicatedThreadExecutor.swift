import Dispatch

/// A serial executor on a thread of its own, for an actor whose methods block (SQLite calls
/// wait on the disk and on locks): they never hold up one of Swift's few cooperative threads.
package final class DedicatedThreadExecutor: SerialExecutor {
    private let queue: DispatchQueue

    package init(label: String) {
        queue = DispatchQueue(label: label)
    }

    package func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        let executor = asUnownedSerialExecutor()
        queue.async { job.runSynchronously(on: executor) }
    }
}
