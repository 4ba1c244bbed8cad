import Foundation
import NIOCore
import Testing
@testable import SensorCore

/// A spooled batch is uploaded from its file a window at a time, reusing a few windows.
@Suite struct FileWindowsTests {
    func makeFile(bytes: Int) throws -> (path: String, contents: [UInt8]) {
        var generator = SystemRandomNumberGenerator()
        let contents = (0..<bytes).map { _ in UInt8.random(in: 0...255, using: &generator) }
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("windows-\(UUID().uuidString)").path
        try Data(contents).write(to: URL(fileURLWithPath: path))
        return (path, contents)
    }

    @Test func theWindowsAreTheFileWhenEachIsLetGoOf() async throws {
        for size in [0, 1, 64 * 1024, 64 * 1024 + 1, 1_234_567] {
            let file = try makeFile(bytes: size)
            defer { unlink(file.path) }
            var read: [UInt8] = []
            var windows = 0
            for try await window in FileWindows(path: file.path, window: 64 * 1024, depth: 2) {
                #expect(window.readableBytes <= 64 * 1024)
                read += window.readableBytesView
                windows += 1
            }
            #expect(read == file.contents, "\(size) bytes")
            #expect(windows == (size + 65535) / 65536)
        }
    }

    /// A client that has not written its windows out yet gets no new one: at most `depth`
    /// windows exist at once, however fast the file reads.
    @Test func noMoreThanDepthWindowsAreHeldAtOnce() async throws {
        let file = try makeFile(bytes: 10 * 64 * 1024)
        defer { unlink(file.path) }
        let iterator = FileWindows(path: file.path, window: 64 * 1024, depth: 3).makeAsyncIterator()
        var held: [ByteBuffer] = []
        for _ in 0..<3 { held.append(try #require(try await iterator.next())) }

        let returned = Flag()
        let fourth = Task {
            let window = try await iterator.next()
            returned.set()
            return window
        }
        try await Task.sleep(for: .milliseconds(300))
        #expect(!returned.isSet, "a fourth window while the client holds three")
        held.removeFirst()  // the client wrote the first window out and let go of it
        let window = try #require(try await fourth.value)
        #expect(Array(window.readableBytesView) == Array(file.contents[(3 * 65536)..<(4 * 65536)]))
    }
}

/// Set once, read from another task.
private final class Flag: @unchecked Sendable {
    private let lock = NSLock()
    private var value = false

    var isSet: Bool { lock.withLock { value } }
    func set() { lock.withLock { value = true } }
}
