import Foundation
import SensorTestSupport
import Testing

/// `sensor forget`: after a real scan, lists the sensor's state, removes it only with --yes, and
/// refuses a directory that is not the sensor's.
@Suite struct ForgetEndToEndTests {
    @Test func forgetListsThenRemovesTheSensorsStateAndNothingElse() async throws {
        let work = FileManager.default.temporaryDirectory.appendingPathComponent("forget-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: work) }
        let home = try EnrollmentEndToEndTests.home(in: work, "ada")
        let state = home.appendingPathComponent(".state")
        let scan = try await ProcessRunner.run(ProcessRunner.sensor, ["scan", "--home", home.path, "--state-dir", state.path, "--dry-run", "--quiet"])
        #expect(scan.status == 0, "\(scan.stderr)")
        #expect(FileManager.default.fileExists(atPath: state.appendingPathComponent("device-id").path))

        let listed = try await ProcessRunner.run(ProcessRunner.sensor, ["forget", "--home", home.path, "--state-dir", state.path])
        #expect(listed.status == 0 && listed.text.contains("would remove") && listed.text.contains("device-id"), "\(listed.text)")
        #expect(FileManager.default.fileExists(atPath: state.path), "nothing removed without --yes")

        let forgotten = try await ProcessRunner.run(ProcessRunner.sensor, ["forget", "--yes", "--home", home.path, "--state-dir", state.path])
        #expect(forgotten.status == 0, "\(forgotten.stderr)")
        #expect(!FileManager.default.fileExists(atPath: state.path))
        #expect(FileManager.default.fileExists(atPath: home.appendingPathComponent(".claude").path), "the tools' own files stay")

        // A directory that is not the sensor's state is left alone.
        let refused = try await ProcessRunner.run(ProcessRunner.sensor, ["forget", "--yes", "--home", home.path, "--state-dir", home.path])
        #expect(refused.status != 0 && refused.stderr.contains("does not look like the sensor's state"), "\(refused.stderr)")
        #expect(FileManager.default.fileExists(atPath: home.appendingPathComponent(".claude").path))
    }
}
