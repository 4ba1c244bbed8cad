import Foundation

/// Runs the project's binaries (built next to the test bundle) and other commands.
public enum ProcessRunner {
    /// The build products folder holding `sensor` and `sensor-ingest`.
    public static var productsDirectory: URL {
        var directory = Bundle.main.bundleURL
        for _ in 0..<4 {
            if FileManager.default.isExecutableFile(atPath: directory.appendingPathComponent("sensor").path) { return directory }
            directory.deleteLastPathComponent()
        }
        return FixtureHome.repositoryRoot.appendingPathComponent(".build/debug")
    }

    public static var sensor: URL { productsDirectory.appendingPathComponent("sensor") }
    public static var sensorIngest: URL { productsDirectory.appendingPathComponent("sensor-ingest") }

    public struct Result: Sendable {
        public var status: Int32
        public var stdout: Data
        public var stderr: String
        public var text: String { String(decoding: stdout, as: UTF8.self) }
        public var lines: [String] { text.split(separator: "\n").map(String.init) }
    }

    /// A process with this environment merged over ours.
    static func process(_ executable: URL, _ arguments: [String], environment: [String: String]) -> Process {
        let process = Process()
        process.executableURL = executable
        process.arguments = arguments
        var merged = ProcessInfo.processInfo.environment
        merged.merge(environment) { $1 }
        process.environment = merged
        return process
    }

    /// Runs to completion, capturing output.
    @discardableResult
    public static func run(_ executable: URL, _ arguments: [String], environment: [String: String] = [:],
                           input: Data? = nil) throws -> Result {
        try runBlocking(executable, arguments, environment: environment, input: input)
    }

    /// `run` from a task: the wait happens on a thread of its own, not the cooperative pool's.
    @discardableResult
    public static func run(_ executable: URL, _ arguments: [String], environment: [String: String] = [:],
                           input: Data? = nil) async throws -> Result {
        try await onOwnThread { try runBlocking(executable, arguments, environment: environment, input: input) }
    }

    private static func runBlocking(_ executable: URL, _ arguments: [String], environment: [String: String],
                                    input: Data?) throws -> Result {
        let process = process(executable, arguments, environment: environment)
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        process.standardInput = input == nil ? FileHandle.nullDevice : Pipe()
        try process.run()
        if let input, let pipe = process.standardInput as? Pipe {
            pipe.fileHandleForWriting.write(input)
            try pipe.fileHandleForWriting.close()
        }
        // Read both pipes concurrently so a chatty stderr cannot block the child.
        let errorData = LockedData()
        let reader = Thread { errorData.set(err.fileHandleForReading.readDataToEndOfFile()) }
        reader.start()
        let output = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        while !errorData.isSet { Thread.sleep(forTimeInterval: 0.005) }
        return Result(status: process.terminationStatus, stdout: output, stderr: String(decoding: errorData.value, as: UTF8.self))
    }

    /// Starts a long-running process with output to files; the caller terminates it.
    public static func start(_ executable: URL, _ arguments: [String], environment: [String: String] = [:],
                             log: URL) throws -> Process {
        let process = process(executable, arguments, environment: environment)
        FileManager.default.createFile(atPath: log.path, contents: nil)
        let handle = try FileHandle(forWritingTo: log)
        process.standardOutput = handle
        process.standardError = handle
        try process.run()
        return process
    }

    /// Waits until `condition` holds; throws after `seconds`.
    public static func wait(seconds: Double, _ what: String, _ condition: () throws -> Bool) throws {
        let start = Date()
        while try !condition() {
            guard Date().timeIntervalSince(start) < seconds else { throw Timeout(what: what) }
            Thread.sleep(forTimeInterval: 0.02)
        }
    }

    /// `wait` from a task: it sleeps without holding a thread.
    public static func wait(seconds: Double, _ what: String, _ condition: () throws -> Bool) async throws {
        let deadline = ContinuousClock.now + .seconds(seconds)
        while try !condition() {
            guard ContinuousClock.now < deadline else { throw Timeout(what: what) }
            try await Task.sleep(for: .milliseconds(20))
        }
    }

    /// Waits for `process` to end without holding a thread.
    public static func exit(of process: Process) async {
        while process.isRunning { try? await Task.sleep(for: .milliseconds(10)) }
    }

    public struct Timeout: Error, CustomStringConvertible {
        public var what: String
        public init(what: String) { self.what = what }
        public var description: String { "timed out waiting for \(what)" }
    }
}

final class LockedData: @unchecked Sendable {
    private let lock = NSLock()
    private var data = Data()
    private var done = false

    func set(_ value: Data) { lock.withLock { data = value; done = true } }
    var isSet: Bool { lock.withLock { done } }
    var value: Data { lock.withLock { data } }
}

/// A running `sensor-ingest serve` on 127.0.0.1 with a fresh token.
public final class IngestServerProcess: @unchecked Sendable {
    public let process: Process
    public let endpoint: String
    /// An `ingest` token (what a laptop holds) and a `read` token (for the read API).
    public let token: String
    public let tokenFile: URL
    public let readToken: String
    public let database: String
    public let log: URL

    /// Starts a server on `database` (a SQLite path or a PostgreSQL URL); the waits for it
    /// happen on a thread of their own, not the cooperative pool's.
    public convenience init(database: String, directory: URL, extra: [String] = []) async throws {
        self.init(try await onOwnThread { try Self.launch(database: database, directory: directory, extra: extra) })
    }

    private init(_ launched: Launched) {
        process = launched.process
        endpoint = launched.endpoint
        token = launched.token
        tokenFile = launched.tokenFile
        readToken = launched.readToken
        database = launched.database
        log = launched.log
    }

    private struct Launched: @unchecked Sendable {
        var process: Process, endpoint: String, token: String, tokenFile: URL, readToken: String, database: String, log: URL
    }

    private static func launch(database: String, directory: URL, extra: [String]) throws -> Launched {
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let created = try ProcessRunner.run(ProcessRunner.sensorIngest, ["token", "create", "--name", "test-\(UUID().uuidString.prefix(8))",
                                                                         "--database", database])
        guard created.status == 0 else { throw ProcessRunner.Timeout(what: "token create: \(created.stderr)") }
        let token = created.text.trimmingCharacters(in: .whitespacesAndNewlines)
        let reader = try ProcessRunner.run(ProcessRunner.sensorIngest, ["token", "create", "--name", "reader-\(UUID().uuidString.prefix(8))",
                                                                        "--scope", "read", "--database", database])
        guard reader.status == 0 else { throw ProcessRunner.Timeout(what: "token create --scope read: \(reader.stderr)") }
        let readToken = reader.text.trimmingCharacters(in: .whitespacesAndNewlines)
        let tokenFile = directory.appendingPathComponent("token-\(UUID().uuidString.prefix(8))")
        try token.write(to: tokenFile, atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: tokenFile.path)
        let log = directory.appendingPathComponent("server-\(UUID().uuidString.prefix(8)).log")
        let server = try ProcessRunner.start(ProcessRunner.sensorIngest,
                                             ["serve", "--port", "0", "--database", database] + extra, log: log)
        var found: String?
        try ProcessRunner.wait(seconds: 30, "sensor-ingest to listen") {
            let text = (try? String(contentsOf: log, encoding: .utf8)) ?? ""
            if let range = text.range(of: #"https?://127\.0\.0\.1:[0-9]+"#, options: .regularExpression),
               text.contains("listening on") {
                found = String(text[range])
            }
            return found != nil || !server.isRunning
        }
        guard let found else {
            if server.isRunning { server.terminate() }
            throw ProcessRunner.Timeout(what: "sensor-ingest: \((try? String(contentsOf: log, encoding: .utf8)) ?? "")")
        }
        return Launched(process: server, endpoint: found, token: token, tokenFile: tokenFile, readToken: readToken, database: database, log: log)
    }

    public func stop() {
        if process.isRunning {
            process.terminate()
            process.waitUntilExit()
        }
    }

    /// SIGKILL: no shutdown at all, as in a crash.
    public func kill() {
        if process.isRunning {
            Foundation.kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
    }

    deinit { stop() }
}

/// Whether something accepts connections on 127.0.0.1:`port`. A connection not made within a
/// second counts as refused (a listener whose backlog is full drops the handshake, and a
/// blocking connect would then wait minutes, past the deadline of the loop asking).
public func loopbackPortAccepts(_ port: Int) -> Bool {
    let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    defer { close(descriptor) }
    var limit = timeval(tv_sec: 1, tv_usec: 0)
    _ = setsockopt(descriptor, SOL_SOCKET, SO_SNDTIMEO, &limit, socklen_t(MemoryLayout<timeval>.size))
    var address = loopbackAddress(port)
    return withUnsafePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0 }
    }
}

/// A TCP port on 127.0.0.1 that nothing uses right now, for a server a test starts that binds
/// the port it is given. Chosen below the kernel's ephemeral range (`ip_local_port_range`):
/// a port from that range can be taken by any client's connection before the server binds it,
/// and a test opening ten thousand connections takes a third of the range.
public func freeLoopbackPort() -> Int {
    let range = (try? String(contentsOfFile: "/proc/sys/net/ipv4/ip_local_port_range", encoding: .utf8))?
        .split(whereSeparator: \.isWhitespace).compactMap { Int($0) } ?? []
    let ephemeralStart = range.first ?? 32768
    for _ in 0..<64 {
        if let port = boundLoopbackPort(Int.random(in: 10_000..<max(10_001, ephemeralStart))) { return port }
    }
    return boundLoopbackPort(0) ?? 0  // the kernel picks one from its ephemeral range
}

/// The port a socket bound to 127.0.0.1:`port` got (0: the kernel picks), closed again at
/// once; nil when it could not be bound.
private func boundLoopbackPort(_ port: Int) -> Int? {
    let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    defer { close(descriptor) }
    var address = loopbackAddress(port)
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    let bound = withUnsafeMutablePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(descriptor, $0, length) == 0 && getsockname(descriptor, $0, &length) == 0 }
    }
    return bound ? Int(UInt16(bigEndian: address.sin_port)) : nil
}

/// 127.0.0.1:`port` as the socket calls take it.
private func loopbackAddress(_ port: Int) -> sockaddr_in {
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_port = in_port_t(UInt16(port).bigEndian)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    return address
}
