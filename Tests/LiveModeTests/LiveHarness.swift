import Foundation
import SensorTestSupport

/// A live `sensor run` against the neutral sink (`../shared/bench/sink.py --verify`) on
/// 127.0.0.1, in a temporary home.
final class LiveHarness {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()
    static var sinkScript: URL { repository.deletingLastPathComponent().appendingPathComponent("shared/bench/sink.py") }

    /// The `sensor` binary next to this test bundle.
    static var sensorBinary: URL {
        var directory = Bundle.main.bundleURL
        for _ in 0..<4 {
            let candidate = directory.appendingPathComponent("sensor")
            if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
            directory.deleteLastPathComponent()
        }
        return repository.appendingPathComponent(".build/debug/sensor")
    }

    let root: URL
    let home: URL
    let sources: URL
    let stats: URL
    let port: Int
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
        sink?.terminate()
        try? FileManager.default.removeItem(at: root)
    }

    func startSink() throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", Self.sinkScript.path, "--port", "\(port)", "--verify", "--stats", stats.path]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        sink = process
        try waitFor(seconds: 10) { Self.canConnect(port: self.port) }
    }

    func startSensor(extra: [String] = []) throws {
        let process = Process()
        process.executableURL = Self.sensorBinary
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

    func sensorCommand(_ arguments: [String]) throws -> (status: Int32, output: String) {
        let process = Process()
        process.executableURL = Self.sensorBinary
        process.arguments = arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = FileHandle.nullDevice
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: data, as: UTF8.self))
    }

    /// Distinct record ids the sink has seen.
    var idsAtServer: Int {
        guard let data = try? Data(contentsOf: stats),
              let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else { return 0 }
        return object["ids"] as? Int ?? 0
    }

    /// Seconds until `condition` holds (throws after `seconds`).
    @discardableResult
    func waitFor(seconds: Double, _ what: String = "condition", _ condition: () -> Bool) throws -> Double {
        let start = Date()
        while !condition() {
            if Date().timeIntervalSince(start) > seconds {
                let log = (try? String(contentsOf: logFile, encoding: .utf8)) ?? ""
                throw TimedOut(what: what, seconds: seconds, ids: idsAtServer, log: String(log.suffix(2000)))
            }
            Thread.sleep(forTimeInterval: 0.02)
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

    static func canConnect(port: Int) -> Bool {
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(descriptor) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        return withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0
            }
        }
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
