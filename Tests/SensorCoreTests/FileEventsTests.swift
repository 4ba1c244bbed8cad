#if os(Linux)
import Foundation
import Logging
import SensorCore
import SensorModel
import Testing

/// inotify says which files changed, so a pass between two full ones reads only those.
@Suite struct FileEventsTests {
    /// Waits until the watcher has reported something (events arrive on its own thread), then
    /// lets the rest of that action's events arrive: one write is a modify and a close-write,
    /// which a loaded machine may deliver in two reads.
    func changes(_ watcher: any FileEventSource, wake: WakeSignal) async -> FileChanges {
        var changes = FileChanges()
        for _ in 0..<50 where changes.isEmpty {
            _ = await wake.wait(timeout: 0.1)
            changes = watcher.takeChanges()
        }
        try? await Task.sleep(nanoseconds: 300_000_000)
        let rest = watcher.takeChanges()
        changes.files.formUnion(rest.files)
        changes.directories.formUnion(rest.directories)
        changes.unknown = changes.unknown || rest.unknown
        return changes
    }

    @Test func appendsNameTheFileAndNewEntriesTheDirectory() async throws {
        let engine = try EngineHarness("""
        sources:
          - {id: t.logs, kind: test.log, roots: {default: ["~/logs"]}, include: ["*.jsonl", "*.db"], format: jsonl, offset: byte}
        """)
        try engine.write("logs/a.jsonl", "{\"n\":1}\n")
        try engine.write("logs/b.jsonl", "{\"n\":1}\n")
        try engine.write("logs/state.db", "{\"n\":1}\n")
        let scanner = SourceScanner(config: engine.config, template: PathTemplate(home: engine.home.path, environment: [:]),
                                    device: "d", sensorVersion: "test", state: CheckpointState(), logger: Logger(label: "test"))
        _ = scanner.discover()
        let wake = WakeSignal()
        let watcher = try #require(FileEvents.make(wake: wake, logger: Logger(label: "test")))
        defer { watcher.stop() }
        watcher.watch(scanner.listedDirectories)
        #expect(watcher.coversEverything)
        let logs = engine.url("logs").path

        try engine.append("logs/a.jsonl", "{\"n\":2}\n")
        let appended = await changes(watcher, wake: wake)
        #expect(appended.files == [logs + "/a.jsonl"])
        #expect(appended.onlyFileContents)
        #expect(scanner.changedFiles(appended.files).flatMap { $0.1.map(\.path) } == [logs + "/a.jsonl"])
        #expect(scanner.changedFiles(appended.files).first?.1.first?.stat.size == 16)

        // A database's write-ahead log changing means the database changed.
        try engine.write("logs/state.db-wal", "x")
        let created = await changes(watcher, wake: wake)
        #expect(created.directories == [logs])  // a new entry: discovery must look again
        try engine.append("logs/state.db-wal", "y")
        let wal = await changes(watcher, wake: wake)
        #expect(wal.files == [logs + "/state.db-wal"])
        #expect(scanner.changedFiles(wal.files).flatMap { $0.1.map(\.path) } == [logs + "/state.db"])

        try FileManager.default.moveItem(atPath: logs + "/b.jsonl", toPath: logs + "/c.jsonl")
        let renamed = await changes(watcher, wake: wake)
        #expect(!renamed.onlyFileContents)
        #expect(watcher.takeChanges().isEmpty)
    }
}
#endif
