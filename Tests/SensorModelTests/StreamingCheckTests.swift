import Foundation
import SensorTestSupport
import Testing
@testable import SensorModel

/// The windowed checks agree with the one-shot ones, wherever the windows are cut.
@Suite struct StreamingCheckTests {
    /// Real records from the fixtures, and each of them damaged in a few ways.
    static let documents: [[UInt8]] = {
        let files = ["claude/claude-code-log/representative_messages.jsonl", "claude/claude-code-log/edge_cases.jsonl",
                     "codex/agent-sessions/codex_051_usage.jsonl"]
        var lines: [[UInt8]] = []
        for file in files {
            guard let data = FileManager.default.contents(atPath: FixtureHome.sharedFixtures.appendingPathComponent(file).path) else { continue }
            lines += data.split(separator: 0x0A).prefix(40).map(Array.init)
        }
        lines += [#"{}"#, #"[]"#, #" {"a":[1,2.5e-3,-0,true,false,null,"x\n\u00e9"]} "#, "12", "-0.5E+12 ", "0", "01", "1.", "-",
                  "tru", "{\"a\":1,}", "[1,]", "{\"a\" 1}", "{\"a\":1}{\"b\":2}", "\"\\u12\"", "\"\\x\"", "nul", "[1 2]", "",
                  "{\"é\":\"日本\"}", "\"😀\""].map { Array($0.utf8) }
        lines += [[0x22, 0xC3, 0x28, 0x22], [0x22, 0xED, 0xA0, 0x80, 0x22], [0x22, 0xE0, 0x80, 0x80, 0x22],
                  [0x22, 0xF4, 0x90, 0x80, 0x80, 0x22], [0x22, 0xF0, 0x9F, 0x98, 0x80, 0x22], [0x22, 0x01, 0x22]]
        var generator = SplitMix(seed: 7)
        var damaged: [[UInt8]] = []
        for line in lines where line.count > 2 {
            damaged.append(Array(line[..<(line.count * 2 / 3)]))
            var flipped = line
            flipped[Int(generator.next() % UInt64(line.count))] = [0x22, 0x7D, 0x5D, 0x2C, 0xC3, 0x00][Int(generator.next() % 6)]
            damaged.append(flipped)
        }
        return lines + damaged
    }()

    /// Cut points: every position for short documents, a spread of them for long ones.
    func cuts(_ count: Int) -> [[Int]] {
        if count <= 48 { return (0...count).map { [$0] } }
        var generator = SplitMix(seed: UInt64(count))
        return (0..<12).map { _ in
            (0..<3).map { _ in Int(generator.next() % UInt64(count + 1)) }.sorted()
        } + [[1], [count - 1], Array(stride(from: 1, to: count, by: 7))]
    }

    func pieces(_ bytes: [UInt8], at cuts: [Int]) -> [ArraySlice<UInt8>] {
        var result: [ArraySlice<UInt8>] = []
        var start = 0
        for cut in cuts where cut >= start {
            result.append(bytes[start..<cut])
            start = cut
        }
        result.append(bytes[start...])
        return result
    }

    @Test func jsonValidationAgreesWithTheOneShotScanner() {
        var compared = 0
        for document in Self.documents {
            let expected = JSONScanner.isValid(document)
            for cut in cuts(document.count) {
                var validator = JSONStreamValidator()
                for piece in pieces(document, at: cut) { piece.withUnsafeBytes { validator.feed($0) } }
                #expect(validator.finish() == expected, "\(String(decoding: document.prefix(80), as: UTF8.self)) cut at \(cut)")
                compared += 1
            }
        }
        #expect(compared > 1500)
        #expect(Self.documents.contains { JSONScanner.isValid($0) } && Self.documents.contains { !JSONScanner.isValid($0) })
    }

    @Test func utf8CheckAgreesWithTheOneShotCheck() {
        var generator = SplitMix(seed: 11)
        let alphabet: [[UInt8]] = [[0x61], [0xC3, 0xA9], [0xE6, 0x97, 0xA5], [0xF0, 0x9F, 0x98, 0x80], [0x80], [0xC3], [0xED, 0xA0, 0x80],
                                   [0xE0, 0x80, 0x80], [0xF4, 0x90, 0x80, 0x80], [0xFF], [0xF0, 0x9F]]
        var samples: [[UInt8]] = []
        for _ in 0..<300 {
            var sample: [UInt8] = []
            let valid = generator.next() % 2 == 0
            for _ in 0..<(generator.next() % 12) {
                sample += alphabet[Int(generator.next() % UInt64(valid ? 4 : alphabet.count))]
            }
            samples.append(sample)
        }
        var mixed = 0
        for sample in samples {
            let expected = sample.withUnsafeBytes { UTF8Check.isValid($0) }
            if !expected { mixed += 1 }
            for cut in cuts(sample.count) {
                var check = UTF8StreamCheck()
                for piece in pieces(sample, at: cut) { piece.withUnsafeBytes { check.feed($0) } }
                #expect(check.finish() == expected, "\(sample) cut at \(cut)")
            }
        }
        #expect(mixed > 50 && mixed < 250)
    }
}
