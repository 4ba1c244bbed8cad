import Foundation
import SensorTestSupport
import Testing

/// A tool no build knows, end to end with the real binaries: one YAML file on the laptop
/// (sources.d) and one in the server's config directory (normalizers.d), and its sessions are
/// in the read API; an edit of the mapping reaches a running server's next records.
@Suite struct NewToolEndToEndTests {
    static let source = """
        sources:
          - id: acme-agent.logs
            kind: acme-agent.log
            roots: {default: ["~/.acme"]}
            include: ["logs/*.jsonl"]
            format: jsonl
            offset: byte
        """

    static let mapping = """
        kinds: [acme-agent.log]
        session: {id: sid, project: cwd}
        rules:
          - when: {who: [human, bot]}
            timestamp: at
            message:
              id: n
              role: {path: who, map: {human: user, bot: assistant}}
              text: say
            usage:
              - when: {cost: {exists: true}}
                input: cost.in
                output: cost.out
        """

    @Test(arguments: SensorIntoIngestTests.databases)
    func aToolDeclaredOnBothSidesIsNormalisedWithoutABuild(_ kind: String) async throws {
        let scratch = ScratchHome("new-tool")
        defer { scratch.remove() }
        let home = scratch.root.appendingPathComponent("home"), sources = scratch.root.appendingPathComponent("sources")
        let config = scratch.root.appendingPathComponent("config"), mappings = config.appendingPathComponent("normalizers.d")
        for folder in [home.appendingPathComponent(".acme/logs"), sources, mappings] {
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        }
        try Self.source.write(to: sources.appendingPathComponent("acme-agent.yaml"), atomically: true, encoding: .utf8)
        try Self.mapping.write(to: mappings.appendingPathComponent("acme-agent.yaml"), atomically: true, encoding: .utf8)
        let log = home.appendingPathComponent(".acme/logs/s1.jsonl")
        try """
            {"sid":"s1","cwd":"/home/me/app","n":1,"who":"human","say":"ship it","at":"2026-12-01T09:00:00Z"}
            {"sid":"s1","cwd":"/home/me/app","n":2,"who":"bot","say":"shipped","at":"2026-12-01T09:00:05Z","cost":{"in":100,"out":20}}

            """.write(to: log, atomically: true, encoding: .utf8)

        let work = scratch.work
        let server = try await IngestServerProcess(database: try await SensorIntoIngestTests.freshDatabase(kind, in: work), directory: work,
                                                   extra: ["--config", config.path])
        defer { server.stop() }
        let builtIn = FixtureHome.repositoryRoot.appendingPathComponent("sources.d").path
        func scan() async throws {
            let result = try await ProcessRunner.run(ProcessRunner.sensor, [
                "scan", "--home", home.path, "--sources-dir", builtIn, "--sources-dir", sources.path,
                "--state-dir", work.appendingPathComponent("state").path, "--endpoint", server.endpoint,
                "--token-file", server.tokenFile.path, "--quiet"])
            #expect(result.status == 0, "\(result.stderr)")
            try await NormalizationEndToEndTests.waitForNormalizing(server)
        }
        try await scan()
        let first = try #require(try await NormalizationEndToEndTests.allSessions(server).first { $0["tool"] as? String == "acme-agent" })
        #expect(first["project"] as? String == "/home/me/app")
        #expect(first["messages"] as? Int == 2)
        #expect((first["tokens"] as? [String: Any])?["total"] as? Int == 120)

        // The mapping edited while the server runs: the next records are read with it.
        try Self.mapping.replacingOccurrences(of: "project: cwd", with: "project: {value: edited}")
            .write(to: mappings.appendingPathComponent("acme-agent.yaml"), atomically: true, encoding: .utf8)
        try await Task.sleep(for: .seconds(3))
        try DocumentedToolRun.appendLines([#"{"sid":"s2","cwd":"/home/me/other","n":1,"who":"human","say":"again","at":"2026-12-01T10:00:00Z"}"#], to: log)
        try await scan()
        let second = try #require(try await NormalizationEndToEndTests.allSessions(server).first { $0["native_id"] as? String == "s2" })
        #expect(second["project"] as? String == "edited")
    }
}
