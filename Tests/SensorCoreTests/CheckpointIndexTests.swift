import Foundation
import Testing
@testable import SensorCore
@testable import SensorModel

/// The checkpoint index lets an idle pass skip the JSON; whatever path a load takes, the state
/// is the one saved, and the index is never taken for a checkpoint file it does not describe.
@Suite struct CheckpointIndexTests {
    private func sample(files: Int, lastSeen: Double = 1_764_028_435.5) -> CheckpointState {
        var state = CheckpointState()
        for index in 0..<files {
            let source = index % 3 == 0 ? "codex.sessions" : "claude-code.transcripts"
            state.apply(.file(key: "\(source)|f\(index)", FilePosition(
                source: source, path: "/home/me/.claude/projects/-p\(index % 7)/\(index).jsonl", fingerprint: "f\(index)",
                device: 65_024, inode: UInt64(1_000 + index), offset: Int64(index * 100), size: Int64(index * 100 + 7),
                modified: 1_764_028_435_532_723_900 + Int64(index), anchor: index % 2 == 0 ? nil : "a\(index)",
                lastSeen: lastSeen + Double(index))))
        }
        state.apply(.table(key: "cursor|/db", TablePosition(source: "cursor", path: "/db", cursor: .integer(42), rowHashes: ["k": "h"],
                                                            probe: "p", lastSeen: lastSeen), changedHashes: nil))
        state.apply(.document(key: "codex.auth|/x", DocumentPosition(source: "codex.auth", path: "/x", contentHash: "c", size: 3,
                                                                   modified: 4, lastSeen: lastSeen)))
        return state
    }

    private func store() throws -> (CheckpointStore, URL) {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("checkpoint-index-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        return (CheckpointStore(url: directory.appendingPathComponent("checkpoints.json")), directory)
    }

    @Test func aLoadThroughTheIndexIsTheStateSavedDecodedOnlyWhenAsked() throws {
        let (store, directory) = try store()
        defer { try? FileManager.default.removeItem(at: directory) }
        let state = sample(files: 500)
        try store.save(state)
        let permissions = try FileManager.default.attributesOfItem(atPath: store.indexURL.path)[.posixPermissions] as? Int
        #expect(permissions == 0o600)

        let loaded = store.load()
        #expect(loaded.positionsDeferred, "read through the index")
        #expect(loaded.inodeStamps == state.inodeStamps)
        #expect(loaded.tables == state.tables && loaded.documents == state.documents)
        #expect(loaded.positionsDeferred, "the stamps, tables and documents need no position")
        #expect(loaded == state)
        #expect(loaded.files == state.files && loaded.fileKeysByInode == state.fileKeysByInode)

        // A change takes the positions first; saved and loaded again, it is all there.
        var changed = store.load()
        var moved = try #require(state.files["codex.sessions|f0"])
        moved.offset = 9_999
        changed.apply(.file(key: "codex.sessions|f0", moved))
        #expect(!changed.positionsDeferred)
        #expect(changed.files.count == 500 && changed.files["codex.sessions|f0"]?.offset == 9_999)
        #expect(changed.inodeStamps["codex.sessions"]?[FileIdentity(moved)]?.offset == 9_999)
        #expect(changed != state)
        try store.save(changed)
        let again = store.load()
        #expect(again.positionsDeferred && again == changed)
    }

    @Test func anIndexOfAnotherFileATornIndexOrAWaitingJournalIsNotUsed() throws {
        let (store, directory) = try store()
        defer { try? FileManager.default.removeItem(at: directory) }
        let state = sample(files: 40)
        try store.save(state)
        let index = try Data(contentsOf: store.indexURL)

        // Another writer (an older sensor) replaced the JSON: its state, not the index's.
        var other = sample(files: 3)
        other.apply(.forgetFile(key: "codex.sessions|f0"))
        var json: [UInt8] = []
        try CheckpointEncoder.encode(other, into: &json)
        try Data(json).write(to: store.url.appendingPathExtension("new"))
        #expect(rename(store.url.appendingPathExtension("new").path, store.url.path) == 0)
        let replaced = store.load()
        #expect(!replaced.positionsDeferred && replaced == other)

        // A torn or foreign index: the JSON.
        try store.save(state)
        for damaged in [index.prefix(index.count / 2), Data(), Data("not an index".utf8), try Data(contentsOf: store.indexURL) + Data([1])] {
            try damaged.write(to: store.indexURL)
            let loaded = store.load()
            #expect(!loaded.positionsDeferred && loaded == state)
        }

        // A journal waiting to be replayed: the JSON and the journal.
        try store.save(state)
        var buffer: [UInt8] = []
        var moved = try #require(state.files["claude-code.transcripts|f1"])
        moved.offset = 12_345
        try store.append([.file(key: "claude-code.transcripts|f1", moved)], buffer: &buffer)
        let replayed = store.load()
        #expect(!replayed.positionsDeferred && replayed.files["claude-code.transcripts|f1"]?.offset == 12_345)
    }

    @Test func forgettingThroughTheIndexDecodesOnlyWhenSomethingIsOld() throws {
        let (store, directory) = try store()
        defer { try? FileManager.default.removeItem(at: directory) }
        try store.save(sample(files: 30, lastSeen: 1_000_000))
        var recent = store.load()
        recent.forget(olderThan: 30, now: 1_000_000 + 86_400)
        #expect(recent.positionsDeferred && recent.files.count == 30)

        var old = store.load()
        old.forget(olderThan: 30, now: 1_000_010 + 30 * 86_400)  // the first ten files are older than 30 days
        #expect(!old.positionsDeferred)
        #expect(old.files.count == 20 && old.inodeStamps.values.map(\.count).reduce(0, +) == 20)
    }

    @Test func pathHashesAreTheSameInEveryProcess() {
        // FNV-1a of known strings: a process seed would change these.
        #expect(PathHash.of("") == Int(bitPattern: 0xcbf2_9ce4_8422_2325))
        #expect(PathHash.of("a") == Int(bitPattern: 0xaf63_dc4c_8601_ec8c))
        #expect(PathHash.of("/home/me/a.jsonl") != PathHash.of("/home/me/b.jsonl"))
    }
}
