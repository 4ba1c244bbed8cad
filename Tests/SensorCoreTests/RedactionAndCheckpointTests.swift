import Foundation
import Testing
@testable import SensorCore
@testable import SensorModel

@Suite struct RedactionTests {
    @Test func commonSecretsAreReplacedAndCountedAndJSONStaysValid() async throws {
        let engine = try EngineHarness(JSONLinesTests.yaml.replacingOccurrences(of: "max_record_bytes: 4096", with: "max_record_bytes: 65536"))
        let anthropic = "sk-ant-api03-" + String(repeating: "A1b2", count: 12)
        let openai = "sk-proj-" + String(repeating: "Zz9_", count: 10)
        let github = "ghp_" + String(repeating: "x7", count: 18)
        let app = "ghs_" + String(repeating: "Q3", count: 18)
        let aws = "AKIAIOSFODNN7ZQ4XW2PK"  // (AWS's documentation key, AKIAIOSFODNN7EXAMPLE, is an example: left alone)
        let key = #"-----BEGIN RSA PRIVATE KEY-----\nMIIEpAIBAAKCAQEAu1SU1LfVLPHCozMxH2Mo4lgOEePzNm0tRgeLezV6ffAt0gun\n-----END RSA PRIVATE KEY-----"#
        let jwt = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U"
        let line = #"{"text":"keys \#(anthropic) and \#(openai)","tool":{"out":"\#(github) \#(aws) right, light: \#(app)","pem":"\#(key)","auth":"Bearer \#(jwt)"},"id":"task-output-waiting-1770913364000"}"#
        try engine.write("logs/a.jsonl", line + "\n")
        let envelope = try #require(try await engine.pass().first)
        #expect(envelope.encoding == "json")
        #expect(envelope.flags["redactions"] as? Int == 7)
        let record = String(describing: envelope["record"]!)
        for secret in [anthropic, openai, github, app, aws, jwt, "MIIEpAIBAAKCAQEA"] { #expect(!record.contains(secret), "\(secret)") }
        #expect(record.contains("[REDACTED:anthropic-api-key]"))
        #expect(record.contains("[REDACTED:private-key]"))
        #expect(record.contains("[REDACTED:github-app-token]") && record.contains("right, light"))
        #expect(record.contains("task-output-waiting-1770913364000"))  // not a key: left alone
    }

    @Test func configuredRulesApplyAndCleanRecordsCostNoCopy() throws {
        var settings = SensorSettings()
        settings.redactionRules = [RedactionRule(name: "internal", pattern: "itk_[a-z0-9]{8,}", prefix: "itk_")]
        let redactor = Redactor(settings: settings)
        let dirty = Array(#"{"a":"itk_abcdef123456 and more"}"#.utf8)
        let result = try #require(dirty.withUnsafeBytes { redactor.redact($0) })
        #expect(String(decoding: result.bytes, as: UTF8.self) == #"{"a":"[REDACTED:internal] and more"}"#)
        let clean = Array(#"{"a":"nothing to see, sk- ghp_ eyJ short"}"#.utf8)
        #expect(clean.withUnsafeBytes { redactor.redact($0) } == nil)
    }
}

@Suite struct CheckpointStoreTests {
    @Test func aCorruptFileMeansReadingAgainNeverSkipping() async throws {
        let engine = try EngineHarness(JSONLinesTests.yaml)
        try engine.write("logs/a.jsonl", "{\"n\":1}\n{\"n\":2}\n")
        #expect(try await engine.pass().count == 2)
        let store = CheckpointStore(url: engine.url("state/checkpoints.json"))
        try store.save(engine.state)
        #expect(store.load() == engine.state)
        try Data("{\"version\":1,\"files\":{\"x\":".utf8).write(to: store.url)
        let recovered = store.load()
        #expect(recovered.files.isEmpty)
        #expect(FileManager.default.fileExists(atPath: store.url.path + ".corrupt"))
        engine.state = recovered
        #expect(try await engine.pass().count == 2)
    }

    @Test func theFileReadsBackAsSavedWhateverThePathsHold() throws {
        var state = CheckpointState()
        let paths = ["/home/me/.claude/projects/-a/1.jsonl", "/tmp/quote\"and\\back slash", "/tmp/new\nline\ttab",
                     "/home/é日本/😀.jsonl", "/tmp/\u{01}control"]
        for (index, path) in paths.enumerated() {
            state.apply(.file(key: "s|\(index)", FilePosition(source: "s", path: path, fingerprint: "f\(index)", device: UInt64.max - 1,
                                                               inode: UInt64(index), offset: Int64(index) * 1_000_000_007,
                                                               size: -1, modified: 1_764_028_435_532_723_900,
                                                               anchor: index % 2 == 0 ? nil : "a\(index)",
                                                               lastSeen: 1_764_028_435.532_723_9 + Double(index) / 3)))
        }
        state.apply(.table(key: "t|db", TablePosition(source: "t", path: "/db", cursor: .integer(42), rowHashes: ["k": "h"],
                                                       probe: "p", lastSeen: 1), changedHashes: nil))
        state.apply(.document(key: "d|x", DocumentPosition(source: "d", path: "/x", contentHash: "c", size: 3, modified: 4, lastSeen: 5)))
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("checkpoints-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        let store = CheckpointStore(url: directory.appendingPathComponent("checkpoints.json"))
        try store.save(state)
        let loaded = store.load()
        #expect(loaded == state)
        #expect(loaded.files.count == paths.count)
        #expect(loaded.fileKeysByInode["s"]?.count == paths.count)
        // Read by hand (not by the JSONDecoder fallback), to the same state JSONDecoder reads.
        let saved = try Data(contentsOf: store.url)
        let byHand = saved.withUnsafeBytes { CheckpointDecoder.decode($0) }
        #expect(byHand == state)
        #expect(try JSONDecoder().decode(CheckpointState.self, from: saved) == state)
    }

    /// A file in another shape (written by JSONEncoder, keys in another order, by hand) is not
    /// what the hand-written reader takes; JSONDecoder reads it, nothing is lost.
    @Test func aCheckpointOfAnotherShapeIsReadByJSONDecoder() throws {
        var state = CheckpointState()
        for index in 0..<3 {
            state.apply(.file(key: "s|f\(index)", FilePosition(source: "s", path: "/p/\(index).jsonl", fingerprint: "f\(index)", device: 7,
                                                                inode: UInt64(index), offset: 10, size: 10, modified: 5, anchor: "a",
                                                                lastSeen: 1.5)))
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted]
        let other = try encoder.encode(state)
        #expect(other.withUnsafeBytes { CheckpointDecoder.decode($0) } == nil)
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("checkpoints-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        let store = CheckpointStore(url: directory.appendingPathComponent("checkpoints.json"))
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        try other.write(to: store.url)
        let loaded = store.load()
        #expect(loaded == state)
        #expect(loaded.inodeStamps["s"]?.count == 3)
    }

    @Test func acknowledgedUpdatesAreJournaledAndReplayedUntilATornLine() throws {
        func position(_ name: String, offset: Int64) -> FilePosition {
            FilePosition(source: "s", path: "/\(name)", fingerprint: name, device: 1, inode: UInt64(name.utf8.count), offset: offset,
                         size: offset, modified: 0, anchor: nil, lastSeen: 1)
        }
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("journal-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        let store = CheckpointStore(url: directory.appendingPathComponent("checkpoints.json"))
        var state = CheckpointState()
        state.apply(.file(key: "s|a", position("a", offset: 10)))
        try store.save(state)

        let updates: [CheckpointUpdate] = [
            .file(key: "s|a", position("a", offset: 20)), .file(key: "s|bb", position("bb", offset: 5)),
            .table(key: "t|db", TablePosition(source: "t", path: "/db", cursor: .text("c9"), rowHashes: nil, probe: nil, lastSeen: 2),
                   changedHashes: ["k1": "h1"]),
            .document(key: "d|x", DocumentPosition(source: "d", path: "/x", contentHash: "c", size: 1, modified: 2, lastSeen: 3)),
            .forgetFile(key: "s|bb"),
        ]
        var buffer: [UInt8] = []
        for update in updates {
            try store.append([update], buffer: &buffer)
            state.apply(update)
        }
        #expect(try Data(contentsOf: store.journalURL).split(separator: 0x0A).count == updates.count)
        #expect(store.load() == state)
        #expect(store.load().files["s|a"]?.offset == 20)

        // A crash mid-append leaves a torn last line: the replay stops before it.
        let handle = try FileHandle(forWritingTo: store.journalURL)
        try handle.seekToEnd()
        try handle.write(contentsOf: Data("{\"file\":\"s|a\",\"filePos".utf8))
        try handle.close()
        #expect(store.load() == state)

        // A full save takes everything in and empties the journal.
        try store.save(state)
        #expect(try Data(contentsOf: store.journalURL).isEmpty)
        #expect(store.load() == state)

        // A journal over a corrupt file is dropped with it: everything is read again.
        try store.append([.file(key: "s|c", position("c", offset: 1))], buffer: &buffer)
        try Data("{\"version\":1,\"fil".utf8).write(to: store.url)
        #expect(store.load() == CheckpointState())
        #expect(!FileManager.default.fileExists(atPath: store.journalURL.path))
    }

    @Test func filesGoneLongerThanTheLimitAreForgotten() {
        var state = CheckpointState()
        let now = Date().timeIntervalSince1970
        for (name, age) in [("old", 40.0), ("recent", 5.0)] {
            state.apply(.file(key: "s|\(name)", FilePosition(source: "s", path: "/\(name)", fingerprint: name, device: 1,
                                                              inode: name == "old" ? 1 : 2, offset: 10, size: 10, modified: 0,
                                                              anchor: nil, lastSeen: now - age * 86_400)))
        }
        state.forget(olderThan: 30, now: now)
        #expect(Array(state.files.keys) == ["s|recent"])
        #expect(state.fileKeysByInode["s"]?.count == 1)
    }
}
