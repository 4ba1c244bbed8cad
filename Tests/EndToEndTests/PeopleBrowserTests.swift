import Foundation
import SensorTestSupport
import Testing

/// People with the real binaries and a real browser: one enrollment secret made for Ada enrolls
/// her three laptops (three real `sensor` scans, three devices), another secret Bob's; headless
/// Chromium signs in and opens the People page and Ada's overview. Ada is one row whose tokens
/// are the sum of her three devices' as the read API counts them, on both stores.
@Suite(.serialized) struct PeopleBrowserTests {
    /// A home with one Claude Code conversation whose answer used `tokens` tokens.
    static func home(in work: URL, _ name: String, tokens: Int) throws -> URL {
        let home = work.appendingPathComponent(name)
        let session = "22222222-2222-4222-8222-\(String(format: "%012d", tokens))"
        let file = home.appendingPathComponent(".claude/projects/-home-\(name)/\(session).jsonl")
        try FileManager.default.createDirectory(at: file.deletingLastPathComponent(), withIntermediateDirectories: true)
        let lines = [
            #"{"type":"user","sessionId":"\#(session)","uuid":"u-\#(name)","timestamp":"2026-12-01T10:00:00.000Z","cwd":"/home/\#(name)","message":{"role":"user","content":"hello from \#(name)"}}"#,
            #"{"type":"assistant","sessionId":"\#(session)","uuid":"a-\#(name)","timestamp":"2026-12-01T10:00:05.000Z","cwd":"/home/\#(name)","requestId":"req-\#(name)","message":{"id":"msg-\#(name)","type":"message","role":"assistant","model":"claude-sonnet-4-5-20250929","content":[{"type":"text","text":"hi"}],"usage":{"input_tokens":\#(tokens - 50),"output_tokens":50}}}"#,
        ]
        try (lines.joined(separator: "\n") + "\n").write(to: file, atomically: true, encoding: .utf8)
        return home
    }

    @Test(arguments: SensorIntoIngestTests.databases)
    func aPersonWithThreeEnrolledDevicesIsOneRowWhoseTotalsAreTheDevicesSum(_ kind: String) async throws {
        let work = FileManager.default.temporaryDirectory.appendingPathComponent("people-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: work) }
        let server = try await IngestServerProcess(database: try await SensorIntoIngestTests.freshDatabase(kind, in: work), directory: work)
        defer { server.stop() }
        let ada = try await EnrollmentEndToEndTests.secret(server, in: work, ["--person", "Ada@Acme.com", "--max-devices", "3"])
        let bob = try await EnrollmentEndToEndTests.secret(server, in: work, ["--person", "bob@acme.com"])
        for (name, tokens, secret) in [("ada-laptop", 1000, ada), ("ada-desktop", 2000, ada), ("ada-vm", 3000, ada), ("bob-laptop", 500, bob)] {
            let home = try Self.home(in: work, name, tokens: tokens)
            let scan = try await ProcessRunner.run(ProcessRunner.sensor, [
                "scan", "--home", home.path, "--state-dir", home.appendingPathComponent(".state").path, "--endpoint", server.endpoint,
                "--enrollment-file", secret.path, "--quiet"], environment: ["SENSOR_TOKEN": ""])
            #expect(scan.status == 0, "\(scan.stderr)")
        }
        try await NormalizationEndToEndTests.waitForNormalizing(server)

        // The read API: four devices, three of them Ada's, and each device's tokens.
        let devices = try #require((try await NormalizationEndToEndTests.get(server, "/api/v1/devices") as? [String: Any])?["devices"] as? [[String: Any]])
        let adas = devices.filter { $0["person"] as? String == "ada@acme.com" }.compactMap { $0["device"] as? String }
        #expect(devices.count == 4 && adas.count == 3, "\(devices)")
        #expect(devices.allSatisfy { $0["person_link"] as? String == "enrollment" })
        let usage = try #require((try await NormalizationEndToEndTests.get(server, "/api/v1/usage?group=device") as? [String: Any])?["usage"]
                                 as? [[String: Any]])
        let byDevice = Dictionary(uniqueKeysWithValues: usage.map { ($0["device"] as? String ?? "", ($0["tokens"] as? [String: Any])?["total"] as? Int ?? 0) })
        let adaTokens = adas.compactMap { byDevice[$0] }.reduce(0, +)
        #expect(adaTokens == 6000)
        let people = try #require((try await NormalizationEndToEndTests.get(server, "/api/v1/people") as? [String: Any])?["people"] as? [[String: Any]])
        let adaID = try #require(people.first { $0["email"] as? String == "ada@acme.com" }?["id"] as? String)

        // A budget of Ada's, shown on her overview.
        let budget = try await ProcessRunner.run(ProcessRunner.sensorIngest, ["budget", "set", "--person", "ada@acme.com", "--tokens", "5000",
                                                                             "--period", "month", "--database", server.database])
        #expect(budget.status == 0, "\(budget.stderr)")

        // The browser: one row for Ada with the devices' sum; her overview shows the same total.
        let visit = try await ExplorerBrowserTests.browse(server, token: server.readToken, ["/people", "/?days=all&person=\(adaID)"])
        let (page, overview) = (visit.pages[0], visit.pages[1])
        for shown in visit.pages {
            #expect(shown.problems.isEmpty && !shown.pwned, "\(shown.url): \(shown.problems)")
        }
        #expect(ExplorerBrowserTests.count(#"data-email="ada@acme.com""#, in: page.html) == 1, "one row for one person")
        #expect(ExplorerBrowserTests.count(#"class="person-row""#, in: page.html) == 2)
        let row = try #require(page.html.components(separatedBy: #"data-email="ada@acme.com""#).last?.components(separatedBy: "</tr>").first)
        #expect(row.contains(#"<td class="num tokens">\#(ExplorerBrowserTests.grouped(adaTokens))</td>"#), "\(row)")
        #expect(adas.allSatisfy(row.contains))
        #expect(overview.html.contains(#"id="total-tokens">\#(ExplorerBrowserTests.grouped(adaTokens))<"#) && overview.html.contains("ada@acme.com"),
                "Ada's overview totals her devices only")
        let budgets = try #require(overview.html.components(separatedBy: #"id="budgets""#).last?.components(separatedBy: "</table>").first)
        #expect(budgets.contains("ada@acme.com") && budgets.contains("<meter") && budgets.contains("5,000 tokens"), "\(budgets)")
    }
}
