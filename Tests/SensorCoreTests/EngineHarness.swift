import Foundation
import Logging
import SensorCore
import SensorModel

/// A source declaration in a temporary home, read through the engine's library API.
final class EngineHarness {
    let home: URL
    var state = CheckpointState()
    let config: EffectiveConfig
    /// When set, records longer than `spoolThreshold` are spooled there instead of held.
    var spoolDirectory: URL?
    var spoolThreshold = 4 << 20
    /// Envelopes of the last pass that came spooled.
    private(set) var spooledEnvelopes = 0
    /// What the last pass reported as errors, per source.
    private(set) var lastErrors: [String] = []

    init(_ yaml: String) throws {
        (home, config) = try Self.load(yaml) { _ in }
        precondition(config.problems.isEmpty, "\(config.problems)")
    }

    /// Local declarations `yaml`, a server's sensor-config `server` (JSON or YAML) and the
    /// local `policy`, merged as the sensor merges them; the problems are in `config`.
    init(_ yaml: String, server: String, policy: LocalPolicy = LocalPolicy()) throws {
        (home, config) = try Self.load(yaml) { loader in
            loader.serverDocument = (Data(server.utf8), "server sensor-config")
            loader.policy = (policy, PathTemplate(home: loader.sourceDirectories[0].deletingLastPathComponent().path,
                                                  environment: ["HOME": loader.sourceDirectories[0].deletingLastPathComponent().path]))
        }
    }

    /// A temporary home with `yaml` as its one local declaration file, and the config loaded
    /// after `prepare` has set the loader's other layers.
    private static func load(_ yaml: String, prepare: (inout ConfigLoader) -> Void) throws -> (URL, EffectiveConfig) {
        let home = FileManager.default.temporaryDirectory.appendingPathComponent("engine-\(UUID().uuidString)")
        let sources = home.appendingPathComponent(".sources")
        try FileManager.default.createDirectory(at: sources, withIntermediateDirectories: true)
        try yaml.write(to: sources.appendingPathComponent("test.yaml"), atomically: true, encoding: .utf8)
        var loader = ConfigLoader()
        loader.sourceDirectories = [sources]
        prepare(&loader)
        return (home, loader.load())
    }

    deinit { try? FileManager.default.removeItem(at: home) }

    func url(_ path: String) -> URL { home.appendingPathComponent(path) }

    func write(_ path: String, _ bytes: [UInt8]) throws {
        try FileManager.default.createDirectory(at: url(path).deletingLastPathComponent(), withIntermediateDirectories: true)
        try Data(bytes).write(to: url(path))
    }

    func write(_ path: String, _ text: String) throws { try write(path, Array(text.utf8)) }

    func append(_ path: String, _ text: String) throws { try append(path, Array(text.utf8)) }

    func append(_ path: String, _ bytes: [UInt8]) throws {
        let handle = try FileHandle(forWritingTo: url(path))
        try handle.seekToEnd()
        try handle.write(contentsOf: Data(bytes))
        try handle.close()
    }

    /// One pass; returns the envelopes as parsed JSON, and keeps the read-ahead state.
    func pass(device: String = "d-test") async throws -> [[String: Any]] {
        let scanner = SourceScanner(config: config, template: PathTemplate(home: home.path, environment: [:]), device: device,
                                    sensorVersion: "test", state: state, logger: Logger(label: "test"))
        scanner.spoolDirectory = spoolDirectory
        scanner.spoolThreshold = spoolThreshold
        let sink = CollectingSink()
        lastErrors = try await scanner.scan(into: sink).errors
        state = scanner.state
        spooledEnvelopes = sink.spooled
        return try sink.envelopes.map { try JSONSerialization.jsonObject(with: Data($0), options: .fragmentsAllowed) as! [String: Any] }
    }
}

/// Keeps every envelope's bytes.
final class CollectingSink: ChunkSink, @unchecked Sendable {
    var envelopes: [[UInt8]] = []
    var spooled = 0

    func accept(_ chunk: EnvelopeChunk) async throws {
        if let envelope = chunk.spooled {
            var bytes: [UInt8] = []
            try envelope.forEachWindow { bytes.append(contentsOf: $0) }
            envelope.remove()
            envelopes.append(bytes)
            spooled += 1
            return
        }
        for index in 0..<chunk.count { envelopes.append(Array(chunk.bytes[chunk.range(of: index)])) }
    }
}

extension Dictionary where Key == String, Value == Any {
    var locator: [String: Any] { self["locator"] as? [String: Any] ?? [:] }
    var flags: [String: Any] { self["flags"] as? [String: Any] ?? [:] }
    var encoding: String { self["encoding"] as? String ?? "" }
    var id: String { self["id"] as? String ?? "" }
}
