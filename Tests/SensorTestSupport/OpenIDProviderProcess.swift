import Foundation

/// A real OpenID Connect provider (Canaille, scripts/oidc-provider.py) on 127.0.0.1, for the
/// single sign-on tests: one confidential client and the users given, until stopped. Needs
/// `SENSOR_TEST_OIDC_PYTHON` (scripts/python-tools.sh sets it up).
public final class OpenIDProviderProcess: @unchecked Sendable {
    public static var python: URL? {
        ProcessInfo.processInfo.environment["SENSOR_TEST_OIDC_PYTHON"].map(URL.init(fileURLWithPath:))
    }

    public static let missing = "SENSOR_TEST_OIDC_PYTHON is not set: eval \"$(scripts/python-tools.sh)\" (scripts/test.sh does)"

    public let process: Process
    public let issuer: String
    public let clientID: String
    public let clientSecret: String
    public let directory: URL

    /// Starts the provider; `users` are `EMAIL:PASSWORD:GROUP1,GROUP2`.
    public init(python: URL, clientID: String = "session-sensor", clientSecret: String = "client-\(UUID().uuidString)",
                redirectURI: String, users: [String]) async throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("oidc-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let log = directory.appendingPathComponent("provider.log")
        let script = FixtureHome.repositoryRoot.appendingPathComponent("scripts/oidc-provider.py")
        process = try ProcessRunner.start(python, [script.path, "--port", "0", "--client-id", clientID, "--client-secret", clientSecret,
                                                   "--redirect-uri", redirectURI, "--state-dir", directory.appendingPathComponent("state").path]
                                          + users.flatMap { ["--user", $0] }, log: log)
        var found: String?
        let process = self.process
        try await ProcessRunner.wait(seconds: 60, "the OpenID provider to listen") {
            let text = (try? String(contentsOf: log, encoding: .utf8)) ?? ""
            if let line = text.split(separator: "\n").first(where: { $0.hasPrefix("issuer ") }) { found = String(line.dropFirst(7)) }
            return found != nil || !process.isRunning
        }
        guard let found else {
            throw ProcessRunner.Timeout(what: "the OpenID provider: \((try? String(contentsOf: log, encoding: .utf8)) ?? "")")
        }
        issuer = found
        self.clientID = clientID
        self.clientSecret = clientSecret
    }

    /// Signs `email` in without a browser (scripts/oidc-sign-in.py) and returns the ID token issued.
    public func idToken(python: URL, redirectURI: String, email: String, password: String, nonce: String) async throws -> String {
        let script = FixtureHome.repositoryRoot.appendingPathComponent("scripts/oidc-sign-in.py")
        let run = try await ProcessRunner.run(python, [script.path, issuer, clientID, clientSecret, redirectURI, email, password, nonce])
        guard run.status == 0 else { throw ProcessRunner.Timeout(what: "oidc-sign-in.py: \(run.stderr)") }
        return run.text.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    public func stop() {
        if process.isRunning {
            process.terminate()
            let deadline = Date().addingTimeInterval(5)
            while process.isRunning && Date() < deadline { Thread.sleep(forTimeInterval: 0.05) }
            if process.isRunning { kill(process.processIdentifier, SIGKILL) }
            process.waitUntilExit()
        }
        try? FileManager.default.removeItem(at: directory)
    }

    deinit { stop() }
}
