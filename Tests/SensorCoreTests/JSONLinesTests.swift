import Foundation
import Testing
@testable import SensorCore

/// The byte strategy on real files being appended, truncated, renamed and replaced.
@Suite struct JSONLinesTests {
    static let yaml = """
    sources:
      - id: t.log
        kind: t.log
        roots: {default: ["~/logs"]}
        include: ["*.jsonl", "*.jsonl.reset.*"]
        format: jsonl
        offset: byte
        max_record_bytes: 4096
    """

    @Test func appendReadsOnlyTheNewLines() async throws {
        let engine = try EngineHarness(Self.yaml)
        try engine.write("logs/a.jsonl", "{\"n\":1}\n{\"n\":2}\n")
        let first = try await engine.pass()
        #expect(first.map { $0.locator["offset"] as? Int } == [0, 8])
        #expect(first.map { ($0["record"] as? [String: Any])?["n"] as? Int } == [1, 2])
        try engine.append("logs/a.jsonl", "{\"n\":3}\n")
        let second = try await engine.pass()
        #expect(second.count == 1)
        #expect(second.first?.locator["offset"] as? Int == 16)
        #expect(second.first?.locator["length"] as? Int == 7)
        #expect(try await engine.pass().isEmpty)
    }

    @Test func aHalfWrittenLineWaitsForItsNewline() async throws {
        let engine = try EngineHarness(Self.yaml)
        try engine.write("logs/a.jsonl", "{\"n\":1}\n{\"n\":")
        #expect(try await engine.pass().count == 1)
        #expect(try await engine.pass().isEmpty)  // the tail parses as nothing yet, and is not sent
        try engine.append("logs/a.jsonl", "2}\n")
        let completed = try await engine.pass()
        #expect(completed.count == 1)
        #expect((completed.first?["record"] as? [String: Any])?["n"] as? Int == 2)
        #expect(completed.first?.encoding == "json")
    }

    @Test func aFileWithoutACompleteFirstLineHasNoIdentityYet() async throws {
        let engine = try EngineHarness(Self.yaml)
        try engine.write("logs/a.jsonl", "{\"header\":")
        #expect(try await engine.pass().isEmpty)
        try engine.append("logs/a.jsonl", "true}\n")
        #expect(try await engine.pass().count == 1)
    }

    /// Files that all begin with the same header line are one file to a one-line fingerprint;
    /// `fingerprint_lines: 2` tells them apart, and each is read once and followed on its own.
    @Test func filesBeginningAlikeAreTwoFilesWhenTheirFingerprintTakesTwoLines() async throws {
        let header = #"{"type":"metadata","protocol_version":"1.10"}"#
        func run(lines: Int) async throws -> (first: [[String: Any]], appended: [[String: Any]], keys: Int) {
            let engine = try EngineHarness(Self.yaml.replacingOccurrences(of: "offset: byte", with: "offset: byte\n    fingerprint_lines: \(lines)"))
            try engine.write("logs/a.jsonl", header + "\n{\"n\":1}\n")
            try engine.write("logs/b.jsonl", header + "\n{\"n\":2}\n{\"n\":3}\n")
            let first = try await engine.pass()
            try engine.append("logs/a.jsonl", "{\"n\":4}\n")
            let appended = try await engine.pass() + engine.pass()
            return (first, appended, engine.state.files.count)
        }
        let apart = try await run(lines: 2)
        #expect(apart.keys == 2, "two files, two checkpoints")
        #expect(Set(apart.first.map(\.id)).count == 5, "every line of both, each its own id (the two headers too)")
        #expect(apart.appended.map { ($0["record"] as? [String: Any])?["n"] as? Int } == [4], "the append read once, from where a.jsonl stopped")
        let merged = try await run(lines: 1)
        #expect(merged.keys == 1, "one line: both files under one fingerprint")
        #expect(Set(merged.first.map(\.id)).count == 4, "their identical headers share an id")
    }

    @Test func aRenamedFileIsNotReadAgain() async throws {
        let engine = try EngineHarness(Self.yaml)
        try engine.write("logs/s.jsonl", "{\"type\":\"session\"}\n{\"n\":1}\n")
        let first = try await engine.pass()
        #expect(first.count == 2)
        try FileManager.default.moveItem(at: engine.url("logs/s.jsonl"), to: engine.url("logs/s.jsonl.reset.2026-06-03T22-45-31.372Z"))
        #expect(try await engine.pass().isEmpty)
        #expect(engine.state.files.values.first?.path.hasSuffix(".reset.2026-06-03T22-45-31.372Z") == true)
        try engine.append("logs/s.jsonl.reset.2026-06-03T22-45-31.372Z", "{\"n\":2}\n")
        let appended = try await engine.pass()
        #expect(appended.count == 1)
        #expect(appended.first?.locator["file_id"] as? String == first.first?.locator["file_id"] as? String)
    }

    @Test func aTruncatedFileIsReadFromTheStart() async throws {
        let engine = try EngineHarness(Self.yaml)
        try engine.write("logs/a.jsonl", "{\"n\":1}\n{\"n\":2}\n{\"n\":3}\n")
        let before = try await engine.pass()
        #expect(before.count == 3)
        try engine.write("logs/a.jsonl", "{\"n\":1}\n")  // trimmed in place, like a history file
        let after = try await engine.pass()
        #expect(after.count == 1)
        #expect(after.first?.locator["offset"] as? Int == 0)
        #expect(after.first?.id == before.first?.id)  // the same record, the same id: the server drops it
    }

    @Test func anAtomicReplaceContinuesWhenThePrefixIsUnchangedAndRestartsWhenRewritten() async throws {
        let engine = try EngineHarness(Self.yaml)
        try engine.write("logs/a.jsonl", "{\"head\":1}\n{\"n\":1}\n")
        #expect(try await engine.pass().count == 2)
        // Same bytes plus one line, written to a temp name and renamed over (new inode).
        try engine.write("logs/.tmp", "{\"head\":1}\n{\"n\":1}\n{\"n\":2}\n")
        #expect(rename(engine.url("logs/.tmp").path, engine.url("logs/a.jsonl").path) == 0)
        let continued = try await engine.pass()
        #expect(continued.count == 1)
        #expect((continued.first?["record"] as? [String: Any])?["n"] as? Int == 2)
        // Same first line, rewritten behind the offset: read again from 0, changed lines get new ids.
        try engine.write("logs/.tmp", "{\"head\":1}\n{\"n\":9}\n{\"n\":8}\n{\"n\":7}\n")
        #expect(rename(engine.url("logs/.tmp").path, engine.url("logs/a.jsonl").path) == 0)
        let reread = try await engine.pass()
        #expect(reread.count == 4)
        #expect(reread.map { $0.locator["offset"] as? Int } == [0, 11, 19, 27])
    }

    @Test func deleteAndRecreateIsANewFile() async throws {
        let engine = try EngineHarness(Self.yaml)
        try engine.write("logs/a.jsonl", "{\"v\":1}\n")
        let first = try await engine.pass()
        try FileManager.default.removeItem(at: engine.url("logs/a.jsonl"))
        #expect(try await engine.pass().isEmpty)
        try engine.write("logs/a.jsonl", "{\"v\":2}\n{\"v\":3}\n")
        let recreated = try await engine.pass()
        #expect(recreated.count == 2)
        #expect(recreated.first?.id != first.first?.id)
    }

    @Test func aFiftyMegabyteLineIsSentCutAndReadingContinues() async throws {
        let engine = try EngineHarness(Self.yaml)
        var big = Array("{\"blob\":\"".utf8)
        big += [UInt8](repeating: UInt8(ascii: "x"), count: 50 << 20)
        big += Array("\"}\n".utf8)
        try engine.write("logs/big.jsonl", Array("{\"n\":1}\n".utf8) + big + Array("{\"n\":2}\n".utf8))
        let envelopes = try await engine.pass()
        #expect(envelopes.count == 3)
        let cut = envelopes[1]
        #expect(cut.flags["truncated"] as? Bool == true)
        #expect(cut.flags["original_length"] as? Int == big.count - 1)
        #expect(cut.encoding == "text")
        #expect((cut["record"] as? String)?.utf8.count == 4096)
        #expect((envelopes[2]["record"] as? [String: Any])?["n"] as? Int == 2)
        #expect(envelopes[2].locator["offset"] as? Int == 8 + big.count)
    }

    @Test func damagedLinesAreSentHonestlyAndNeverStopTheFile() async throws {
        let engine = try EngineHarness(Self.yaml)
        var bytes: [UInt8] = Array("\0\0\0{\"padded\":true}\n".utf8)
        bytes += Array("{\"torn\":1{\"next\":2}\n".utf8)
        bytes += [0x7B, 0x22, 0x61, 0x22, 0x3A, 0x22, 0xC3, 0x28, 0x22, 0x7D, 0x0A]  // {"a":"<invalid UTF-8>"}
        bytes += Array("[1,2]\n\n{\"last\":true}\n".utf8)
        try engine.write("logs/a.jsonl", bytes)
        let envelopes = try await engine.pass()
        #expect(envelopes.map(\.encoding) == ["json", "text", "base64", "json", "json"])
        #expect(envelopes[0].flags["nul_stripped"] as? Bool == true)
        #expect((envelopes[0]["record"] as? [String: Any])?["padded"] as? Bool == true)
        #expect(envelopes[1].flags["not_json"] as? Bool == true)
        #expect(envelopes[1]["record"] as? String == #"{"torn":1{"next":2}"#)
        let invalidStart = bytes.firstIndex(of: 0xC3)! - 6
        #expect(Data(base64Encoded: envelopes[2]["record"] as? String ?? "") == Data(bytes[invalidStart..<(invalidStart + 10)]))
        #expect((envelopes[4]["record"] as? [String: Any])?["last"] as? Bool == true)
    }

    @Test func idsAreStableAcrossRunsAndDifferForDifferentRecords() async throws {
        let one = try EngineHarness(Self.yaml)
        try one.write("logs/a.jsonl", "{\"n\":1}\n{\"n\":1}\n")
        let first = try await one.pass()
        let again = try await { () async throws -> [[String: Any]] in
            one.state = CheckpointState()  // lost state: everything is read again
            return try await one.pass()
        }()
        #expect(first.map(\.id) == again.map(\.id))
        #expect(first[0].id != first[1].id)  // same bytes at another offset: another record
        let other = try await one.pass(device: "d-other")
        #expect(other.isEmpty)
        one.state = CheckpointState()
        let otherDevice = try await one.pass(device: "d-other")
        #expect(otherDevice[0].id != first[0].id)
    }
}
