import Foundation
import SensorTestSupport
import Testing

/// The redaction rules' literal matcher is compiled once and kept in the state directory; the
/// next process reads it back, and one that does not load (corrupt, another library version)
/// is compiled again: a secret is redacted whatever the cache holds.
@Suite struct CompiledRulesCacheTests {
    @Test func theCompiledMatcherIsKeptAndACorruptOneIsBuiltAgain() async throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("compiled-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: root) }
        let home = root.appendingPathComponent("home"), state = root.appendingPathComponent("state")
        let sources = root.appendingPathComponent("sources.d")
        try FileManager.default.createDirectory(at: home.appendingPathComponent("logs"), withIntermediateDirectories: true)
        try FileManager.default.createDirectory(at: sources, withIntermediateDirectories: true)
        try """
        sources:
          - {id: notes, kind: notes, roots: {default: ["~/logs"]}, include: ["*.jsonl"], format: jsonl, offset: byte}
        """.write(to: sources.appendingPathComponent("notes.yaml"), atomically: true, encoding: .utf8)
        let token = "ghp_" + String(repeating: "Rk8s", count: 9)
        try #"{"text":"token \#(token)"}"#.appending("\n").write(to: home.appendingPathComponent("logs/a.jsonl"), atomically: true, encoding: .utf8)
        let arguments = ["scan", "--dry-run", "--home", home.path, "--sources-dir", sources.path, "--state-dir", state.path]

        func redacts() async throws -> Bool {
            let run = try await ProcessRunner.run(ProcessRunner.sensor, arguments)
            return run.status == 0 && run.text.contains("[REDACTED:github-token]") && !run.text.contains(token)
        }
        #expect(try await redacts())
        let compiled = state.appendingPathComponent("compiled")
        let kept = try FileManager.default.contentsOfDirectory(atPath: compiled.path).filter { $0.hasPrefix("literals-") }
        #expect(kept.count == 1)
        let file = compiled.appendingPathComponent(kept[0])
        let written = try FileManager.default.attributesOfItem(atPath: file.path)[.modificationDate] as? Date
        #expect(try await redacts())
        #expect(try FileManager.default.attributesOfItem(atPath: file.path)[.modificationDate] as? Date == written, "read back, not written again")

        try Data("not a database".utf8).write(to: file)
        #expect(try await redacts(), "a cache that does not load is compiled again")
        #expect(try Data(contentsOf: file).count > 1000, "and kept again")
    }
}
