import Foundation
import SensorTestSupport
import Testing

/// Enrollment with the real binaries: one secret for a fleet → a credential per device →
/// short-lived ingest tokens → envelopes stored; the same machine enrolled again is the same
/// device; a secret past its devices, an expired one and a revoked device are refused with a
/// clear error.
@Suite(.serialized) struct EnrollmentEndToEndTests {
    /// A home with one Claude Code line (each home is a device of its own: the device id is
    /// derived from the machine and the home folder).
    static func home(in work: URL, _ name: String, line: Int = 1) throws -> URL {
        let home = work.appendingPathComponent(name)
        let file = home.appendingPathComponent(".claude/projects/-home-\(name)/11111111-1111-4111-8111-11111111111\(line).jsonl")
        try FileManager.default.createDirectory(at: file.deletingLastPathComponent(), withIntermediateDirectories: true)
        try #"{"type":"user","sessionId":"s-\#(name)","uuid":"u\#(line)","message":{"role":"user","content":"hello from \#(name)"}}"#
            .appending("\n").write(to: file, atomically: true, encoding: .utf8)
        return home
    }

    static func secret(_ server: IngestServerProcess, in work: URL, _ extra: [String]) async throws -> URL {
        let created = try await ProcessRunner.run(ProcessRunner.sensorIngest, ["enrollment", "create", "--database", server.database] + extra)
        #expect(created.status == 0, "\(created.stderr)")
        let file = work.appendingPathComponent("enrollment-\(UUID().uuidString.prefix(6))")
        try created.text.trimmingCharacters(in: .whitespacesAndNewlines).write(to: file, atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: file.path)
        return file
    }

    static func stored(_ server: IngestServerProcess) async throws -> Int {
        let stats = try await ProcessRunner.run(ProcessRunner.sensorIngest, ["stats", "--json", "--database", server.database])
        return (try JSONSerialization.jsonObject(with: stats.stdout) as? [[String: Any]] ?? []).reduce(0) { $0 + ($1["envelopes"] as? Int ?? 0) }
    }

    @Test(arguments: SensorIntoIngestTests.databases)
    func aFleetEnrollsWithOneSecretAndEachDeviceStaysItself(_ kind: String) async throws {
        let work = FileManager.default.temporaryDirectory.appendingPathComponent("enroll-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: work) }
        let server = try await IngestServerProcess(database: try await SensorIntoIngestTests.freshDatabase(kind, in: work), directory: work)
        defer { server.stop() }
        let secret = try await Self.secret(server, in: work, ["--max-devices", "2", "--expires", "1d"])
        func scan(_ home: URL, _ extra: [String] = []) async throws -> ProcessRunner.Result {
            try await ProcessRunner.run(ProcessRunner.sensor, ["scan", "--home", home.path, "--state-dir", home.appendingPathComponent(".state").path,
                                                               "--endpoint", server.endpoint, "--quiet"] + extra, environment: ["SENSOR_TOKEN": ""])
        }

        // The first laptop: the secret is exchanged on the first scan, the records arrive.
        let ada = try Self.home(in: work, "ada")
        let first = try await scan(ada, ["--enrollment-file", secret.path])
        #expect(first.status == 0, "\(first.stderr)")
        #expect(try await Self.stored(server) == 1)
        let credential = ada.appendingPathComponent(".state/device-credential.json")
        #expect((try FileManager.default.attributesOfItem(atPath: credential.path)[.posixPermissions] as? Int) == 0o600)
        let secretText = try String(contentsOf: secret, encoding: .utf8)
        #expect(!(try String(contentsOf: credential, encoding: .utf8)).contains(secretText), "the secret itself is not kept")
        // What sent was a short-lived token of this device, not the credential.
        let tokens = try await ProcessRunner.run(ProcessRunner.sensorIngest, ["token", "list", "--database", server.database]).text
        let access = try #require(tokens.split(separator: "\n").first { $0.contains("\taccess:d-") })
        #expect(access.contains("\tingest\t") && !access.contains("\tnever\t"), "\(access)")

        // The same machine enrolled again: the same device, a new credential, nothing sent twice.
        let again = try await ProcessRunner.run(ProcessRunner.sensor, ["enroll", "--endpoint", server.endpoint, "--enrollment-file", secret.path,
                                                                    "--home", ada.path, "--state-dir", ada.appendingPathComponent(".state").path])
        #expect(again.status == 0, "\(again.stderr)")
        #expect(try await scan(ada).status == 0)
        #expect(try await Self.stored(server) == 1)

        // A second laptop fits; a third is past the secret's two devices.
        let bob = try Self.home(in: work, "bob")
        #expect(try await scan(bob, ["--enrollment-file", secret.path]).status == 0)
        let carol = try await scan(try Self.home(in: work, "carol"), ["--enrollment-file", secret.path])
        #expect(carol.status != 0 && carol.stderr.contains("has enrolled its 2 device(s)"), "\(carol.stderr)")
        let devices = try await ProcessRunner.run(ProcessRunner.sensorIngest, ["device", "list", "--json", "--database", server.database])
        let listed = try JSONSerialization.jsonObject(with: devices.stdout) as? [[String: Any]]
        #expect(listed?.count == 2 && listed?.allSatisfy { $0["enrolledBy"] as? String == "enrollment" } == true, "\(listed ?? [])")

        // A revoked device is refused at its next request, and cannot enroll again.
        let adaDevice = try #require((try JSONSerialization.jsonObject(with: Data(contentsOf: credential)) as? [String: Any])?["device"] as? String)
        let revoked = try await ProcessRunner.run(ProcessRunner.sensorIngest, ["device", "revoke", adaDevice, "--database", server.database])
        #expect(revoked.status == 0, "\(revoked.stderr)")
        _ = try Self.home(in: work, "ada", line: 2)
        let refused = try await scan(ada)
        #expect(refused.status != 0, "\(refused.stderr)")
        #expect(try await Self.stored(server) == 2, "ada's new line did not arrive; bob's did")
        let reenroll = try await ProcessRunner.run(ProcessRunner.sensor, ["enroll", "--endpoint", server.endpoint, "--enrollment-file", secret.path,
                                                                       "--home", ada.path, "--state-dir", ada.appendingPathComponent(".state").path])
        #expect(reenroll.status != 0 && reenroll.stderr.contains("was revoked by an admin"), "\(reenroll.stderr)")

        // An expired secret.
        let expired = try await Self.secret(server, in: work, ["--expires", "1s"])
        try await Task.sleep(for: .seconds(2))
        let late = try await scan(try Self.home(in: work, "dan"), ["--enrollment-file", expired.path])
        #expect(late.status != 0 && late.stderr.contains("enrollment at") && late.stderr.contains("expired"), "\(late.stderr)")
    }
}
