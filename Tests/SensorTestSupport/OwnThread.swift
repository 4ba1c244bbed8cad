import Foundation

/// Runs blocking work (waiting for a child process, sleeping between polls) on a thread of its
/// own and awaits its result.
///
/// Swift's cooperative pool has one thread per core: two on the build machine. A test that
/// blocks one of them for seconds stalls every task of every test running beside it (servers'
/// handlers, config watchers), and their deadlines pass without their code having run.
public func onOwnThread<Value: Sendable>(_ work: @escaping @Sendable () throws -> Value) async throws -> Value {
    try await withCheckedThrowingContinuation { continuation in
        let thread = Thread { continuation.resume(with: Result { try work() }) }
        thread.stackSize = 8 << 20
        thread.start()
    }
}
