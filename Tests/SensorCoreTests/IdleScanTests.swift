import Foundation
import SensorTestSupport
@testable import SensorCore
import Testing

/// A pass that finds nothing new leaves the checkpoint file as it was (no rewrite, no disk
/// write on a laptop every minute); a pass that reads something writes it.
@Suite struct IdleScanTests {
    @Test func anIdlePassDoesNotRewriteTheCheckpoints() async throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("idle-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: root) }
        let sources = root.appendingPathComponent("sources.d"), log = root.appendingPathComponent("home/logs/a.jsonl")
        try FileManager.default.createDirectory(at: sources, withIntermediateDirectories: true)
        try FileManager.default.createDirectory(at: log.deletingLastPathComponent(), withIntermediateDirectories: true)
        try "sources:\n  - {id: notes, kind: notes, roots: {default: [\"~/logs\"]}, include: [\"*.jsonl\"], format: jsonl, offset: byte}\n"
            .write(to: sources.appendingPathComponent("notes.yaml"), atomically: true, encoding: .utf8)
        try (1...50).map { #"{"n":\#($0)}"# }.joined(separator: "\n").appending("\n").write(to: log, atomically: true, encoding: .utf8)
        let checkpoints = root.appendingPathComponent("state/checkpoints.json")
        func scan() async throws -> (envelopes: Int, modified: Date?) {
            let run = try await ProcessRunner.run(ProcessRunner.sensor, ["scan", "--home", root.appendingPathComponent("home").path,
                                                                        "--sources-dir", sources.path, "--state-dir", root.appendingPathComponent("state").path,
                                                                        "--output", "-"])
            #expect(run.status == 0, "\(run.stderr)")
            return (run.lines.count, try FileManager.default.attributesOfItem(atPath: checkpoints.path)[.modificationDate] as? Date)
        }
        let first = try await scan()
        #expect(first.envelopes == 50)
        try await Task.sleep(for: .milliseconds(20))
        let idle = try await scan()
        #expect(idle.envelopes == 0 && idle.modified == first.modified, "an idle pass rewrote the checkpoints")
        // The idle pass left the index beside it: the next one reads no JSON.
        #expect(FileManager.default.fileExists(atPath: checkpoints.path + ".index"))
        let throughIndex = CheckpointStore(url: checkpoints).load()
        #expect(throughIndex.positionsDeferred && throughIndex.files.count == 1)
        let handle = try FileHandle(forWritingTo: log)
        try handle.seekToEnd()
        try handle.write(contentsOf: Data(#"{"n":51}"#.utf8 + [0x0A]))
        try handle.close()
        let more = try await scan()
        #expect(more.envelopes == 1 && more.modified != first.modified)
        // Renamed, unchanged: read through the index, nothing sent, the new path remembered.
        let renamed = log.deletingLastPathComponent().appendingPathComponent("b.jsonl")
        try FileManager.default.moveItem(at: log, to: renamed)
        let afterRename = try await scan()
        #expect(afterRename.envelopes == 0)
        #expect(CheckpointStore(url: checkpoints).load().files.values.map(\.path) == [renamed.path])
    }
}
