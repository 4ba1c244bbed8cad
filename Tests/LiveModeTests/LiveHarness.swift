import Foundation
import SensorTestSupport

/// A live `sensor run` against the neutral sink (`../shared/bench/sink.py --verify`) on
/// 127.0.0.1, in a temporary home.
final class LiveHarness {
    static func sinkScript() throws -> URL {
        try SharedFolder.require("bench/sink.py")
    }

    let root: URL
    let home: URL
    let sources: URL
    let stats: URL
    private(set) var port: Int
    var sink: Process?
    var logFile: URL { root.appendingPathComponent("sensor.log") }
    var sensor: Process?

    init(declarations: String) throws {
        root = FileManager.default.temporaryDirectory.appendingPathComponent("live-\(UUID().uuidString)")
        home = root.appendingPathComponent("home")
        sources = root.appendingPathComponent("sources.d")
        stats = root.appendingPathComponent("stats.json")
        port = freeLoopbackPort()
        try FileManager.default.createDirectory(at: home, withIntermediateDirectories: true)
        try FileManager.default.createDirectory(at: sources, withIntermediateDirectories: true)
        try declarations.write(to: sources.appendingPathComponent("live.yaml"), atomically: true, encoding: .utf8)
    }

    deinit {
        sensor?.terminate()
        // SIGKILL: the sink inherits the blocked signals of the thread that started it, SIGTERM included.
        if let sink { kill(sink.processIdentifier, SIGKILL) }
        try? FileManager.default.removeItem(at: root)
    }

    /// Starts the sink and waits until it listens. The port was free when chosen; if another
    /// process took it before the sink could (the sink exits), a new one is chosen. A loaded
    /// machine (the whole suite, Chromium included) can take seconds to start Python, so each
    /// attempt is given 30 s; a sink still not listening then is killed and started again on a
    /// new port (clean-clone runs here saw one run for a minute without binding and without a
    /// word on stderr). Every attempt is reported with its process's state as the kernel sees it.
    func startSink() async throws {
        let errors = root.appendingPathComponent("sink.err")
        var attempts: [String] = []
        for _ in 0..<3 {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            process.arguments = ["python3", try Self.sinkScript().path, "--port", "\(port)", "--verify", "--stats", stats.path]
            process.standardOutput = FileHandle.nullDevice
            FileManager.default.createFile(atPath: errors.path, contents: nil)
            process.standardError = try FileHandle(forWritingTo: errors)
            try process.run()
            sink = process
            let started = Date()
            while Date().timeIntervalSince(started) < 30 {
                if !process.isRunning { break }
                if loopbackPortAccepts(port) { return }
                try await Task.sleep(for: .milliseconds(100))
            }
            let written = (try? String(contentsOf: errors, encoding: .utf8)) ?? ""
            let outcome = process.isRunning ? "running (\(Self.kernelView(of: process.processIdentifier)))" : "exited with \(process.terminationStatus)"
            attempts.append("port \(port), \(outcome) after \(Int(Date().timeIntervalSince(started))) s: \(written)")
            if process.isRunning { kill(process.processIdentifier, SIGKILL) }
            port = freeLoopbackPort()
        }
        throw SinkDidNotStart(description: "the sink did not listen: " + attempts.joined(separator: "; "))
    }

    /// What a process is running and where it waits (`/proc`), for a report.
    static func kernelView(of pid: Int32) -> String {
        func read(_ name: String) -> String {
            ((try? String(contentsOfFile: "/proc/\(pid)/\(name)", encoding: .utf8)) ?? "?")
                .replacingOccurrences(of: "\0", with: " ").trimmingCharacters(in: .whitespacesAndNewlines)
        }
        let state = read("status").split(separator: "\n").first { $0.hasPrefix("State:") } ?? "State: ?"
        return "\(state), waiting in \(read("wchan")), running \(read("cmdline"))"
    }

    struct SinkDidNotStart: Error, CustomStringConvertible {
        var description: String
    }

    func startSensor(extra: [String] = []) throws {
        let process = Process()
        process.executableURL = ProcessRunner.sensor
        process.arguments = ["run", "--home", home.path, "--sources-dir", sources.path,
                             "--state-dir", root.appendingPathComponent("state").path,
                             "--endpoint", "http://127.0.0.1:\(port)"] + extra
        var environment = ProcessInfo.processInfo.environment
        environment["SENSOR_TOKEN"] = "live-test"
        process.environment = environment
        process.standardOutput = FileHandle.nullDevice
        FileManager.default.createFile(atPath: logFile.path, contents: nil)
        process.standardError = try FileHandle(forWritingTo: logFile)
        try process.run()
        sensor = process
    }

    func sensorCommand(_ arguments: [String]) async throws -> (status: Int32, output: String) {
        let result = try await ProcessRunner.run(ProcessRunner.sensor, arguments)
        return (result.status, result.text)
    }

    /// Distinct record ids the sink has seen.
    var idsAtServer: Int {
        guard let data = try? Data(contentsOf: stats),
              let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else { return 0 }
        return object["ids"] as? Int ?? 0
    }

    /// Seconds until `condition` holds (throws after `seconds`).
    @discardableResult
    func waitFor(seconds: Double, _ what: String = "condition", _ condition: () async -> Bool) async throws -> Double {
        let start = Date()
        while await !condition() {
            if Date().timeIntervalSince(start) > seconds {
                let log = (try? String(contentsOf: logFile, encoding: .utf8)) ?? ""
                throw TimedOut(what: what, seconds: seconds, ids: idsAtServer, log: String(log.suffix(2000)))
            }
            try await Task.sleep(for: .milliseconds(20))
        }
        return Date().timeIntervalSince(start)
    }

    struct TimedOut: Error, CustomStringConvertible {
        var what: String
        var seconds: Double
        var ids: Int
        var log: String
        var description: String { "\(what) not met within \(seconds) s (server has \(ids) ids); sensor log:\n\(log)" }
    }

    func append(_ line: String, to path: String) throws {
        let url = home.appendingPathComponent(path)
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        if !FileManager.default.fileExists(atPath: url.path) { FileManager.default.createFile(atPath: url.path, contents: nil) }
        let handle = try FileHandle(forWritingTo: url)
        try handle.seekToEnd()
        try handle.write(contentsOf: Data((line + "\n").utf8))
        try handle.close()
    }
}
