import Foundation
import SensorTestSupport
import Testing
@testable import SensorCore

/// `jsonl.compression: zstd` on real zstd frames (libzstd, checksummed as a tool writes them):
/// appended a frame at a time, torn, repaired, damaged, and read again after a restart.
@Suite struct ZstdFramesTests {
    static let yaml = """
    sources:
      - id: t.framed
        kind: t.framed
        roots: {default: ["~/logs"]}
        include: ["*.jsonl.zstd"]
        format: jsonl
        offset: byte
        max_record_bytes: 4096
        jsonl: {compression: zstd}
      - id: t.plain
        kind: t.plain
        roots: {default: ["~/plain"]}
        include: ["*.jsonl"]
        format: jsonl
        offset: byte
        max_record_bytes: 4096
    """

    static func frame(_ lines: [String]) -> [UInt8] { ZstdFrame.of(lines) }

    static let header = #"{"type":"session","version":0,"id":"s1","createdAt":1765000000000,"delegationDepth":0}"#
    static let turn = [#"{"type":"turn/start","seq":0,"time":1765000000001,"data":{"turn":0}}"#,
                       #"{"type":"user/message","seq":1,"time":1765000000002,"data":{"content":[{"type":"text","text":"hi"}]}}"#]
    static let answer = [#"{"type":"assistant/message","seq":2,"time":1765000000003,"data":{"turn":0}}"#]

    static func records(_ envelopes: [[String: Any]]) -> [String] {
        envelopes.compactMap { ($0["record"] as? [String: Any])?["type"] as? String }
    }

    @Test func eachWholeFrameIsReadOnceAndItsLinesSitWhereThePlainLogWouldPutThem() async throws {
        let engine = try EngineHarness(Self.yaml)
        try engine.write("logs/s.jsonl.zstd", Self.frame([Self.header]) + Self.frame(Self.turn))
        try engine.write("plain/s.jsonl", ([Self.header] + Self.turn + Self.answer).map { $0 + "\n" }.joined())
        let first = try await engine.pass()
        let framed = first.filter { $0["source"] as? String == "t.framed" }
        let plain = first.filter { $0["source"] as? String == "t.plain" }
        #expect(Self.records(framed) == ["session", "turn/start", "user/message"])
        try engine.append("logs/s.jsonl.zstd", Self.frame(Self.answer))
        let appended = try await engine.pass()
        #expect(Self.records(appended) == ["assistant/message"], "only the new frame")
        #expect(try await engine.pass().isEmpty)
        let offsets = (framed + appended).map { [$0.locator["offset"] as? Int, $0.locator["length"] as? Int] }
        #expect(offsets == plain.map { [$0.locator["offset"] as? Int, $0.locator["length"] as? Int] },
                "offsets and lengths in the decompressed lines, as the plain log has them")
        #expect(Set((framed + appended).map(\.id)).count == 4)
        #expect((framed.first?["record"] as? [String: Any])?["id"] as? String == "s1", "the record as written")
    }

    /// A frame cut short (being written, or left by a crash) sends nothing until it is whole;
    /// a tool's repair (truncate to the frame's start, write it again) is read as a new frame.
    @Test func aTornLastFrameWaitsAndItsRepairIsReadOnce() async throws {
        let engine = try EngineHarness(Self.yaml)
        let second = Self.frame(Self.turn)
        try engine.write("logs/s.jsonl.zstd", Self.frame([Self.header]) + Array(second[0..<(second.count / 2)]))
        #expect(Self.records(try await engine.pass()) == ["session"])
        #expect(try await engine.pass().isEmpty, "half a frame is nothing yet")
        // The repair: the torn frame truncated away, the recovered lines written as one new frame.
        let path = engine.url("logs/s.jsonl.zstd").path
        #expect(truncate(path, off_t(Self.frame([Self.header]).count)) == 0)
        try engine.append("logs/s.jsonl.zstd", Self.frame(Self.turn + Self.answer))
        let repaired = try await engine.pass()
        #expect(Self.records(repaired) == ["turn/start", "user/message", "assistant/message"])
        #expect(try await engine.pass().isEmpty)
        #expect(engine.lastErrors.isEmpty)
    }

    /// After a restart the checkpoint (written and read back) still knows where the next
    /// frame's lines begin: the same ids as one uninterrupted reading.
    @Test func theDecompressedPlaceSurvivesTheCheckpointFile() async throws {
        let whole = try EngineHarness(Self.yaml)
        try whole.write("logs/s.jsonl.zstd", Self.frame([Self.header]) + Self.frame(Self.turn) + Self.frame(Self.answer))
        let once = try await whole.pass().map(\.id)

        let engine = try EngineHarness(Self.yaml)
        try engine.write("logs/s.jsonl.zstd", Self.frame([Self.header]) + Self.frame(Self.turn))
        var ids = try await engine.pass().map(\.id)
        var bytes: [UInt8] = []
        try CheckpointEncoder.encode(engine.state, into: &bytes)
        let saved = String(decoding: bytes, as: UTF8.self)
        #expect(saved.contains(#""logical":"#), "the decompressed place is written")
        engine.state = try #require(bytes.withUnsafeBytes { CheckpointDecoder.decode($0) })
        try engine.append("logs/s.jsonl.zstd", Self.frame(Self.answer))
        ids += try await engine.pass().map(\.id)
        #expect(ids == once)
    }

    @Test func aDamagedFrameStopsTheFileThereWithAnErrorNamingIt() async throws {
        let engine = try EngineHarness(Self.yaml)
        let header = Self.frame([Self.header])
        var damaged = Self.frame(Self.turn)
        damaged[damaged.count - 1] ^= 0xFF  // the content checksum no longer matches
        try engine.write("logs/s.jsonl.zstd", header + damaged + Self.frame(Self.answer))
        let read = try await engine.pass()
        #expect(Self.records(read) == ["session"], "what comes before the damage")
        let error = try #require(engine.lastErrors.first)
        #expect(error.contains("s.jsonl.zstd") && error.contains("byte \(header.count)"), "\(error)")
        #expect(try await engine.pass().isEmpty, "and nothing past it, pass after pass")
    }

    @Test func compressionIsRefusedOutsideJSONLines() throws {
        let yaml = Self.yaml.replacingOccurrences(of: "format: jsonl\n    offset: byte\n    max_record_bytes: 4096\n    jsonl",
                                                  with: "format: text\n    offset: byte\n    max_record_bytes: 4096\n    jsonl")
        #expect(yaml != Self.yaml)
        let engine = try EngineHarness(yaml, server: #"{"sources":[]}"#)
        let problems = engine.config.problems.map(\.description)
        #expect(problems.contains { $0.contains("test.yaml:9") && $0.contains("t.framed.jsonl.compression") && $0.contains("format: jsonl") },
                "\(problems)")
    }
}
