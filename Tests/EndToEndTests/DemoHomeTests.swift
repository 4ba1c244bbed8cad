import Foundation
import SensorTestSupport
import Testing

/// `scripts/demo-home.py`, the sample home `quickstart.sh --demo` runs on: through the real
/// `sensor` into a real `sensor-ingest`, every tool shows the sessions, messages and tokens the
/// generator wrote; a scan's last progress line says 100% and the bytes read; every envelope of
/// a dry run is one line, the pretty-printed index included.
@Suite(.serialized) struct DemoHomeTests {
    static func makeDemoHome(_ root: URL) async throws -> [String: [String: Int]] {
        let script = FixtureHome.repositoryRoot.appendingPathComponent("scripts/demo-home.py")
        let made = try await ProcessRunner.run(URL(fileURLWithPath: "/usr/bin/env"), ["python3", script.path, root.path])
        #expect(made.status == 0, "\(made.stderr)")
        return try #require(try JSONSerialization.jsonObject(with: made.stdout) as? [String: [String: Int]])
    }

    @Test func everyToolOfTheDemoHomeShowsWhatWasWritten() async throws {
        let scratch = ScratchHome("demo")
        defer { scratch.remove() }
        let home = scratch.home
        let written = try await Self.makeDemoHome(home)
        #expect(Set(written.keys) == ["claude-code", "codex", "openclaw", "cursor", "gemini-cli", "copilot-cli", "crush"])
        let server = try await IngestServerProcess(database: scratch.root.appendingPathComponent("ingest.db").path,
                                                   directory: scratch.root.appendingPathComponent("work"))
        defer { server.stop() }
        // Not --quiet: the progress lines go to standard error (no terminal here: one per 10 s and the last).
        let scan = try await ProcessRunner.run(ProcessRunner.sensor, ["scan", "--home", home.path, "--state-dir",
                                                                      scratch.root.appendingPathComponent("state").path,
                                                                      "--endpoint", server.endpoint, "--token-file", server.tokenFile.path])
        #expect(scan.status == 0, "\(scan.stderr)")
        let progress = scan.stderr.split(separator: "\n").filter { $0.hasPrefix("progress:") }
        let last = try #require(progress.last.map(String.init))
        #expect(last.hasPrefix("progress: 100%"), "\(last)")
        // "1.4 MB / 1.4 MB": what was read, out of a total that counts the Cursor database's
        // rows as read, not its size once per source that reads it.
        let amounts = last.split(separator: " ").map(String.init)  // progress: 100% 1.4 MB / 1.4 MB 2.6 MB/s …
            .filter { !$0.isEmpty }
        #expect(amounts.count > 6 && amounts[2] + amounts[3] == amounts[5] + amounts[6] && amounts[4] == "/", "\(last)")
        server.stop()

        let sessions = try await ProcessRunner.run(ProcessRunner.sensorIngest, ["sessions", "--json", "--database", server.database])
        #expect(sessions.status == 0, "\(sessions.stderr)")
        let list = try #require(try JSONSerialization.jsonObject(with: sessions.stdout) as? [[String: Any]])
        var shown: [String: [String: Int]] = [:]
        for session in list {
            let tool = session["tool"] as? String ?? "?"
            shown[tool, default: ["sessions": 0, "messages": 0, "tokens": 0]]["sessions"]! += 1
            shown[tool]!["messages"]! += session["messages"] as? Int ?? 0
            shown[tool]!["tokens"]! += (session["tokens"] as? [String: Any])?["total"] as? Int ?? 0
        }
        #expect(shown == written)
        #expect(written.values.allSatisfy { $0["sessions"]! > 0 && $0["messages"]! > 0 && $0["tokens"]! > 0 })
    }

    @Test func everyEnvelopeIsOneLineAndAPrettyPrintedDocumentKeepsItsValue() async throws {
        let scratch = ScratchHome("demo")
        defer { scratch.remove() }
        let home = scratch.home
        _ = try await Self.makeDemoHome(home)
        let index = home.appendingPathComponent(".openclaw/agents/main/sessions/sessions.json")
        #expect(try String(contentsOf: index, encoding: .utf8).split(separator: "\n").count > 10, "the index is pretty-printed")
        let dryRun = try await ProcessRunner.run(ProcessRunner.sensor, ["scan", "--dry-run", "--home", home.path, "--state-dir",
                                                                        scratch.root.appendingPathComponent("state").path])
        #expect(dryRun.status == 0, "\(dryRun.stderr)")
        let envelopes = dryRun.lines.map { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
        #expect(envelopes.allSatisfy { $0 != nil }, "every line is one JSON envelope")
        let document = try #require(envelopes.compactMap { $0 }.first { ($0["locator"] as? [String: Any])?["path"] as? String == "~/.openclaw/agents/main/sessions/sessions.json" })
        let original = try JSONSerialization.jsonObject(with: Data(contentsOf: index)) as? NSDictionary
        #expect((document["record"] as? NSDictionary) == original, "the document's value is unchanged")
    }
}
