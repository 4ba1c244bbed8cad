import Foundation
import SensorTestSupport
import Testing

/// The commands an operator keeps promises with, on the real binaries and both stores: export,
/// retention windows and holds, erase (dry, then for real, then listed), and the errors that
/// name what is wrong.
@Suite struct PromisesCommandLineTests {
    @Test(arguments: SensorIntoIngestTests.databases)
    func anOperatorExportsSetsRetentionHoldsAndErasesFromTheCommandLine(_ kind: String) async throws {
        let work = FileManager.default.temporaryDirectory.appendingPathComponent("promises-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: work) }
        let server = try await IngestServerProcess(database: try await SensorIntoIngestTests.freshDatabase(kind, in: work), directory: work)
        defer { server.stop() }
        let home = try PeopleBrowserTests.home(in: work, "ada", tokens: 700)
        let scan = try await ProcessRunner.run(ProcessRunner.sensor, ["scan", "--home", home.path, "--state-dir", home.appendingPathComponent(".state").path,
                                                                     "--endpoint", server.endpoint, "--quiet"], environment: ["SENSOR_TOKEN": server.token])
        #expect(scan.status == 0, "\(scan.stderr)")
        try await NormalizationEndToEndTests.waitForNormalizing(server)
        func ingest(_ arguments: [String]) async throws -> ProcessRunner.Result {
            try await ProcessRunner.run(ProcessRunner.sensorIngest, arguments + ["--database", server.database])
        }
        let devices = try JSONSerialization.jsonObject(with: try await ingest(["device", "list", "--json"]).stdout) as? [[String: Any]]
        let device = try #require(devices?.first?["device"] as? String)
        #expect(try await ingest(["person", "assign", device, "ada@acme.com"]).status == 0)

        let csv = try await ingest(["export", "sessions", "--format", "csv"])
        #expect(csv.status == 0, "\(csv.stderr)")
        let lines = csv.text.split(separator: "\r\n")
        #expect(lines.count == 2 && lines[0].hasPrefix("session_id,tenant,tool") && lines[1].contains("ada@acme.com") && lines[1].contains(",700,"),
                "\(csv.text)")
        let usage = try await ingest(["export", "usage", "--person", "ada@acme.com"])
        #expect(usage.text.contains(#""tokens":700"#), "\(usage.text)")
        let badDay = try await ingest(["export", "usage", "--since", "last week"])
        #expect(badDay.status != 0 && badDay.stderr.contains("--since: give a day"), "\(badDay.stderr)")

        #expect(try await ingest(["retention", "set", "--words", "90d", "--figures", "730"]).status == 0)
        let shorter = try await ingest(["retention", "set", "--words", "90d", "--figures", "30d"])
        #expect(shorter.status != 0 && shorter.stderr.contains("figures are what outlives words"), "\(shorter.stderr)")
        #expect(try await ingest(["retention", "hold", "--person", "ada@acme.com", "--reason", "audit"]).status == 0)
        let unknown = try await ingest(["retention", "hold", "--person", "nobody@acme.com", "--reason", "x"])
        #expect(unknown.status != 0 && unknown.stderr.contains("no person nobody@acme.com"), "\(unknown.stderr)")
        let status = try JSONSerialization.jsonObject(with: try await ingest(["retention", "status", "--json"]).stdout) as? [[String: Any]]
        let policy = status?.first?["policy"] as? [String: Any]
        #expect(policy?["wordsDays"] as? Int == 90 && policy?["figuresDays"] as? Int == 730 && (status?.first?["holds"] as? [Any])?.count == 1,
                "\(status ?? [])")
        #expect(try await ingest(["retention", "release", "--person", "ada@acme.com"]).status == 0)

        let dry = try await ingest(["erase", "--person", "ada@acme.com", "--dry-run", "--requested-by", "dpo"])
        #expect(dry.status == 0 && dry.text.contains("would erase ada@acme.com") && dry.text.contains("raw_envelopes\t2"), "\(dry.text)")
        let erased = try await ingest(["erase", "--person", "ada@acme.com", "--requested-by", "dpo"])
        #expect(erased.status == 0 && erased.text.contains("kept unattributed: 700 tokens"), "\(erased.text)")
        let again = try await ingest(["erase", "--person", "ada@acme.com"])
        #expect(again.status != 0 && again.stderr.contains("no person ada@acme.com"), "\(again.stderr)")
        let list = try await ingest(["erase", "--list"])
        #expect(list.text.contains("\tperson\t") && list.text.contains("\tdpo\t") && !list.text.contains("ada@acme.com"), "\(list.text)")
        let after = try await ingest(["export", "sessions", "--format", "csv"])
        #expect(after.text.split(separator: "\r\n").count == 1, "only the header: \(after.text)")
    }
}
