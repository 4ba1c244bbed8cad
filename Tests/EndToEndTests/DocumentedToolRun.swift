import Foundation
import SQLiteDB
import SensorTestSupport
import Testing

/// What every test of a tool built from its documented format does with the real binaries:
/// ask the built-in declarations what they match, and scan a home twice into a server.
enum DocumentedToolRun {
    /// How many files the built-in source `id` matches in `home` (`sensor scan --validate-config`);
    /// `options` are more of the sensor's (a `--set` giving a Windows-only tool a root here).
    static func matchedFiles(source id: String, home: URL, options: [String] = []) async throws -> Int? {
        let report = try await ProcessRunner.run(ProcessRunner.sensor, ["scan", "--validate-config", "--json", "--home", home.path] + options)
        #expect(report.status == 0, "\(report.stderr)")
        let sources = (try JSONSerialization.jsonObject(with: report.stdout) as? [String: Any])?["sources"] as? [[String: Any]]
        return sources?.first { $0["id"] as? String == id }?["files"] as? Int
    }

    /// Scans `home` into `server` twice (the second scan finds nothing new), waits until the
    /// server normalised everything, and returns how many envelopes of `source` it stored.
    static func scanTwice(home: URL, work: URL, into server: IngestServerProcess, source: String, options: [String] = []) async throws -> Int {
        for _ in 0..<2 {
            let scan = try await ProcessRunner.run(ProcessRunner.sensor, [
                "scan", "--home", home.path, "--state-dir", work.appendingPathComponent("state").path,
                "--endpoint", server.endpoint, "--token-file", server.tokenFile.path, "--quiet"] + options)
            #expect(scan.status == 0, "\(scan.stderr)")
        }
        try await NormalizationEndToEndTests.waitForNormalizing(server)
        return try await stored(source: source, in: server)
    }

    /// Writes `lines` as a JSONL file at `path` under `home` (its folders made), and returns it.
    @discardableResult
    static func writeLines(_ lines: [String], to path: String, in home: URL) throws -> URL {
        let url = home.appendingPathComponent(path)
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try (lines.joined(separator: "\n") + "\n").write(to: url, atomically: true, encoding: .utf8)
        return url
    }

    /// Appends `lines` to the JSONL file at `url`, as a tool writing on would (never rewriting it).
    static func appendLines(_ lines: [String], to url: URL) throws {
        let handle = try FileHandle(forWritingTo: url)
        defer { try? handle.close() }
        try handle.seekToEnd()
        try handle.write(contentsOf: Data((lines.joined(separator: "\n") + "\n").utf8))
    }

    /// How many envelopes of `source` the server stored.
    static func stored(source: String, in server: IngestServerProcess) async throws -> Int {
        let stats = try await ProcessRunner.run(ProcessRunner.sensorIngest, ["stats", "--json", "--database", server.database])
        let rows = try #require(try JSONSerialization.jsonObject(with: stats.stdout) as? [[String: Any]], "\(stats.stderr)")
        return rows.filter { $0["source"] as? String == source }.compactMap { $0["envelopes"] as? Int }.reduce(0, +)
    }
}

/// A scratch folder for one run: a `home` to plant a tool's files in, a `work` folder for the
/// server's store and the sensor's state. `remove()` it when done (`defer`).
struct ScratchHome {
    let root: URL
    var home: URL { root.appendingPathComponent("home") }
    var work: URL { root.appendingPathComponent("work") }

    init(_ name: String) {
        root = FileManager.default.temporaryDirectory.appendingPathComponent("\(name)-\(UUID().uuidString)")
    }

    func remove() { try? FileManager.default.removeItem(at: root) }

    /// A folder of the home (`.config/shelley`), made with its parents.
    func folder(_ path: String) throws -> URL {
        let url = home.appendingPathComponent(path)
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    /// A new SQLite database at `path` under the home (`.config/shelley/shelley.db`), its folder made.
    func database(_ path: String) throws -> Database {
        let url = home.appendingPathComponent(path)
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        return try Database(path: url.path, mode: .readWriteCreate)
    }

    /// A JSONL file of `lines` at `path` under the home (``DocumentedToolRun/writeLines(_:to:in:)``).
    @discardableResult
    func writeLines(_ lines: [String], to path: String) throws -> URL {
        try DocumentedToolRun.writeLines(lines, to: path, in: home)
    }

    /// A real `sensor-ingest` on a fresh store of `kind` (`sqlite` or `postgres`) in `work`.
    func server(_ kind: String) async throws -> IngestServerProcess {
        try await IngestServerProcess(database: try await SensorIntoIngestTests.freshDatabase(kind, in: work), directory: work)
    }
}
