import Foundation
import SensorCore
import Testing

/// Records too long to hold in memory are spooled to disk a window at a time, and arrive
/// exactly as if they had been held: same ids, locators, encodings, flags and bytes.
@Suite struct LongRecordTests {
    static let yaml = """
    sources:
      - {id: t.logs, kind: test.log, roots: {default: ["~/logs"]}, include: ["*.jsonl"], format: jsonl, offset: byte, max_record_bytes: 3000000}
    """

    static let secret = "ghp_" + String(repeating: "A1b2C3d4E5", count: 4)

    /// Filler text with a secret every `every` bytes (so some fall across window edges).
    static func text(_ count: Int, every: Int) -> String {
        var text = ""
        text.reserveCapacity(count + every)
        while text.utf8.count < count {
            text += String(repeating: "lorem ipsum dolor \\\"quoted\\\" ", count: max(1, every / 28))
            text += Self.secret + " "
        }
        return text
    }

    /// `{"text":"…"}` of `length` bytes with the secret starting at each of `secrets` (offsets
    /// in the record), filler elsewhere.
    static func record(length: Int, secrets: [Int]) -> [UInt8] {
        var bytes = Array("{\"text\":\"".utf8)
        let filler = Array("lorem ipsum dolor sit amet, ".utf8)
        for offset in secrets.sorted() {
            while bytes.count < offset { bytes.append(filler[bytes.count % filler.count]) }
            bytes += Array(" \(secret) ".utf8)
        }
        while bytes.count < length - 2 { bytes.append(filler[bytes.count % filler.count]) }
        return bytes + Array("\"}".utf8)
    }

    /// Where the redacting stream cuts its first windows (1 MiB read, 64 KiB kept back).
    static let edges = [(1 << 20) - (64 << 10), 1 << 20, 2 * (1 << 20) - (64 << 10)]

    static func lines() -> [UInt8] {
        var file: [UInt8] = Array("{\"n\":1}\n".utf8)
        // JSON, 2.2 MB, secrets across the redactor's window edges: spooled, redacted, embedded as JSON.
        file += record(length: 2_200_000, secrets: [1000] + edges.map { $0 - 20 }) + [0x0A]
        // Not JSON (a torn record), 0.9 MB of text with escapes: spooled as a string.
        file += Array("{\"torn\":\"\(text(900_000, every: 100_000))\"{\"next\":1}\n".utf8)
        // Not UTF-8: spooled as base64.
        file += Array("{\"bin\":\"".utf8) + (0..<700_000).map { UInt8(truncatingIfNeeded: $0 &* 131) | 0x80 } + Array("\"}\n".utf8)
        // Longer than max_record_bytes: cut, flagged.
        file += Array("{\"huge\":\"\(text(3_200_000, every: 500_000))\"}\n".utf8)
        // NUL padding around a long record.
        file += [0, 0, 0] + Array("{\"padded\":\"\(text(600_000, every: 300_000))\"}".utf8) + [0, 0, 0x20, 0x0A]
        file += Array("{\"n\":2}\n".utf8)
        // A long line still being written: not sent yet.
        file += Array("{\"partial\":\"\(text(700_000, every: 700_000))".utf8)
        return file
    }

    /// What must be equal between the two ways (the pass time, `collected_at`, differs).
    static func comparable(_ envelope: [String: Any]) -> String {
        var envelope = envelope
        envelope["collected_at"] = nil
        let data = try! JSONSerialization.data(withJSONObject: envelope, options: [.sortedKeys])
        return String(decoding: data, as: UTF8.self)
    }

    @Test func aLineTooLongToHoldIsSpooledAndArrivesExactlyAsIfHeld() async throws {
        let engine = try EngineHarness(Self.yaml)
        engine.spoolDirectory = nil
        try engine.write("logs/a.jsonl", Self.lines())
        let held = try await engine.pass()

        engine.state = CheckpointState()
        let spool = engine.url("spool")
        engine.spoolDirectory = spool
        engine.spoolThreshold = 256 * 1024
        let spooled = try await engine.pass()

        #expect(engine.spooledEnvelopes == 5)
        #expect(held.count == 7)
        #expect(spooled.map(Self.comparable) == held.map(Self.comparable))
        #expect(spooled.map(\.encoding) == ["json", "json", "text", "base64", "text", "json", "json"])
        #expect(spooled[1].flags["redactions"] as? Int == 4)
        #expect(spooled[2].flags["redactions"] as? Int ?? 0 > 5)
        #expect(!Self.comparable(spooled[1]).contains(Self.secret))
        #expect(spooled[4].flags["truncated"] as? Bool == true)
        #expect(spooled[5].flags["nul_stripped"] as? Bool == true)
        #expect(try FileManager.default.contentsOfDirectory(atPath: spool.path).isEmpty)

        // The partial line completes: it is read, spooled, from where the last pass stopped.
        try engine.append("logs/a.jsonl", "\"}\n")
        let rest = try await engine.pass()
        #expect(rest.count == 1)
        #expect(engine.spooledEnvelopes == 1)
        #expect(rest.first?.encoding == "json")
        let bytes = Self.lines()
        #expect(rest.first?.locator["offset"] as? Int == bytes.lastIndex(of: 0x0A)! + 1)
        #expect(rest.first?.locator["length"] as? Int == bytes.count - (bytes.lastIndex(of: 0x0A)! + 1) + 2)
    }
}
