import Foundation
import SensorCore
import SensorModel
import Testing

/// Two things the newer tools need from the engine: roots listed by a tool's own registry file
/// (a database per project), and Markdown logs read line by line at byte offsets.
@Suite struct DiscoveryAndTextTests {
    @Test func rootsListedInARegistryFileAreReadAndFollowItsEdits() async throws {
        let harness = try EngineHarness("""
            sources:
              - id: t.dbs
                kind: t.db
                roots:
                  default: []
                  registry:
                    files: ["~/.missing/projects.json", "~/.tool/projects.json"]
                    path_field: path
                    folder_field: data_dir
                    folder: .tool
                include: ["notes.jsonl"]
                format: jsonl
                offset: byte
            """)
        let home = harness.home.path
        try harness.write("work/a/.tool/notes.jsonl", "{\"n\":1}\n")
        try harness.write("work/b/custom/notes.jsonl", "{\"n\":2}\n")
        try harness.write("work/c/.tool/notes.jsonl", "{\"n\":3}\n")
        // An object keyed by project (current releases); `b` names its own data folder; an
        // entry without a path is skipped.
        try harness.write(".tool/projects.json", """
            {"p1": {"path": "\(home)/work/a"}, "p2": {"path": "\(home)/work/b", "data_dir": "custom"}, "p3": {"name": "no path"}}
            """)
        let first = try await harness.pass()
        #expect(first.compactMap { ($0["record"] as? [String: Any])?["n"] as? Int }.sorted() == [1, 2])

        // An older release's array; a project added later is found on the next pass.
        try harness.write(".tool/projects.json", """
            [{"path": "\(home)/work/a"}, {"path": "\(home)/work/b", "data_dir": "custom"}, {"path": "\(home)/work/c"}]
            """)
        let second = try await harness.pass()
        #expect(second.compactMap { ($0["record"] as? [String: Any])?["n"] as? Int } == [3])
    }

    @Test func aRegistryNamesOnlyAbsoluteFolders() throws {
        var source = SourceDeclaration(id: "t.dbs", kind: "t.db", format: .jsonl, offset: .byte)
        source.roots.registry = RegistryRoots(files: ["~/.tool/projects.json"], pathField: "path")
        source.include = ["x.jsonl"]
        let roots = source.roots.registry!.roots(inRegistry: Data(#"[{"path":"/etc"},{"path":"relative/x"}]"#.utf8))
        // Only absolute paths are roots.
        #expect(roots == ["/etc"])
    }

    @Test func aMarkdownLogIsReadLineByLineAtItsByteOffsets() async throws {
        let harness = try EngineHarness("""
            sources:
              - id: t.history
                kind: t.history
                roots: {default: ["~/repo"]}
                include: [".chat.md"]
                format: text
                offset: byte
            """)
        let header = "# chat started at 2026-06-09 14:01:00\n"
        try harness.write("repo/.chat.md", header + "\n#### add a retry\n")
        let first = try await harness.pass()
        #expect(first.map { $0["encoding"] as? String } == ["text", "text"])
        #expect(first.map { $0["record"] as? String } == ["# chat started at 2026-06-09 14:01:00", "#### add a retry"])
        #expect(first.compactMap { ($0["locator"] as? [String: Any])?["offset"] as? Int } == [0, header.utf8.count + 1])

        try harness.append("repo/.chat.md", "I'll add backoff {\"not\": json}\n> Tokens: 2.3k sent, 150 received.\nhalf a li")
        let second = try await harness.pass()
        // Only the new complete lines; a line of braces is still text.
        #expect(second.map { $0["record"] as? String } == ["I'll add backoff {\"not\": json}", "> Tokens: 2.3k sent, 150 received."])
        #expect(second.allSatisfy { $0["encoding"] as? String == "text" })
    }
}
