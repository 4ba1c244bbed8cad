import Foundation
import SQLiteDB
import SensorTestSupport
import Testing

/// A compromised server cannot widen what a laptop reads: a real `sensor-ingest` on 127.0.0.1
/// pushes a source over `~/.ssh`, empties a deny list and switches redaction off; the local
/// policy refuses all three, and with a pinned key only a correctly signed document applies.
@Suite(.serialized) struct LocalPolicyEndToEndTests {
    let sshKey = "PLANTED-SSH-KEY-\(UUID().uuidString)"
    let authCanary = "AUTH-CANARY-\(UUID().uuidString)"
    let secret = "sk-ant-api03-" + String(repeating: "Q7w9", count: 20)

    /// A home with a planted private key, an app database holding an auth row, and a log
    /// whose line carries a secret after a newline escape; its own declarations.
    func makeHome() throws -> URL {
        let home = FileManager.default.temporaryDirectory.appendingPathComponent("policy-\(UUID().uuidString)")
        let manager = FileManager.default
        for folder in [".ssh", "app", "logs/more", "sources.d", "server-config"] {
            try manager.createDirectory(at: home.appendingPathComponent(folder), withIntermediateDirectories: true)
        }
        try "-----BEGIN OPENSSH PRIVATE KEY-----\n\(sshKey)\n-----END OPENSSH PRIVATE KEY-----\n"
            .write(to: home.appendingPathComponent(".ssh/id_ed25519"), atomically: true, encoding: .utf8)
        let database = try Database(path: home.appendingPathComponent("app/state.db").path, mode: .readWriteCreate)
        try database.execute("CREATE TABLE kv (key TEXT UNIQUE, value TEXT)")
        try database.execute("INSERT INTO kv VALUES ('auth/token', '\(authCanary)'), ('chat/1', '{\"t\":\"hello\"}')")
        try (#"{"t":"export KEY\n\#(secret)"}"# + "\n").write(to: home.appendingPathComponent("logs/a.jsonl"), atomically: true, encoding: .utf8)
        try (#"{"t":"more"}"# + "\n").write(to: home.appendingPathComponent("logs/more/b.jsonl"), atomically: true, encoding: .utf8)
        try """
        sources:
          - {id: t.logs, kind: t.log, roots: {default: ["~/logs"]}, include: ["*.jsonl"], format: jsonl, offset: byte}
          - id: app.kv
            kind: app.kv
            roots: {default: ["~/app"]}
            include: ["state.db"]
            format: sqlite
            offset: keyed
            deny: {keys: ["auth/*"]}
            sqlite: {query: "SELECT key, value FROM kv", key_columns: [key]}
        """.write(to: home.appendingPathComponent("sources.d/local.yaml"), atomically: true, encoding: .utf8)
        return home
    }

    func sensor(_ home: URL, _ arguments: [String]) -> [String] {
        arguments + ["--home", home.path, "--sources-dir", home.appendingPathComponent("sources.d").path,
                     "--state-dir", home.appendingPathComponent("state").path]
    }

    func dump(_ server: IngestServerProcess) async throws -> String {
        let dump = try await ProcessRunner.run(ProcessRunner.sensorIngest, ["dump", "--database", server.database])
        #expect(dump.status == 0, "\(dump.stderr)")
        return dump.text
    }

    @Test func aServerPushingSSHKeysAnEmptyDenyListAndNoRedactionIsRefused() async throws {
        let home = try makeHome()
        defer { try? FileManager.default.removeItem(at: home) }
        try #"""
        {"version": "evil-1",
         "redaction": {"builtin": false},
         "sources": [
           {"id": "x.keys", "kind": "x.keys", "roots": {"default": ["~"]}, "include": [".ssh/id_*"], "format": "json", "offset": "snapshot"},
           {"id": "x.dotdot", "kind": "x.keys", "roots": {"default": ["~/logs"]}, "include": ["../.ssh/*"], "format": "json", "offset": "snapshot"},
           {"id": "app.kv", "deny": {"keys": []}},
           {"id": "t.logs", "roots": {"default": ["/"]}, "include": ["etc/passwd", "**/*.jsonl"]}
         ]}
        """#.write(to: home.appendingPathComponent("server-config/evil.json"), atomically: true, encoding: .utf8)
        let server = try await IngestServerProcess(database: home.appendingPathComponent("ingest.db").path, directory: home.appendingPathComponent("work"),
                                                   extra: ["--config", home.appendingPathComponent("server-config").path])
        defer { server.stop() }

        let scan = try await ProcessRunner.run(ProcessRunner.sensor, sensor(home, ["scan", "--endpoint", server.endpoint,
                                                                                    "--token-file", server.tokenFile.path, "--quiet"]))
        #expect(scan.status == 0, "\(scan.stderr)")
        for refused in ["x.keys.roots.default", "x.dotdot.include", "redaction.builtin", "t.logs.roots.default"] {
            #expect(scan.stderr.contains(refused + ": refused by local policy"), "\(refused): \(scan.stderr)")
        }
        let stored = try await dump(server)
        #expect(!stored.contains(sshKey), "the planted key was read")
        #expect(!stored.contains(authCanary), "the deny list was emptied")
        #expect(!stored.contains(secret), "redaction was switched off")
        #expect(stored.contains("[REDACTED:anthropic-api-key]"))
        #expect(stored.contains("hello") && !stored.contains("/etc/passwd"))

        // A running sensor says so in its status too.
        let run = try ProcessRunner.start(ProcessRunner.sensor, sensor(home, ["run", "--endpoint", server.endpoint,
                                                                          "--token-file", server.tokenFile.path]),
                                          log: home.appendingPathComponent("run.log"))
        let statusFile = home.appendingPathComponent("state/status.json")
        try await ProcessRunner.wait(seconds: 30, "the running sensor's status") {
            ((try? String(contentsOf: statusFile, encoding: .utf8)) ?? "").contains("refused by local policy")
        }
        let status = try await ProcessRunner.run(ProcessRunner.sensor, sensor(home, ["status"]))
        run.terminate()
        await ProcessRunner.exit(of: run)
        #expect(status.text.contains("config problem:") && status.text.contains("x.keys.roots.default: refused by local policy"),
                "\(status.text)")

        // What the person checks is what a running sensor applies: the cached server layer.
        let validate = try await ProcessRunner.run(ProcessRunner.sensor, sensor(home, ["scan", "--validate-config"]))
        #expect(validate.status != 0)
        #expect(validate.text.contains("refused by local policy") || validate.stderr.contains("refused by local policy"))
        let dryRun = try await ProcessRunner.run(ProcessRunner.sensor, sensor(home, ["scan", "--dry-run"]))
        #expect(!dryRun.text.contains(sshKey) && !dryRun.text.contains(authCanary))

        // The person's opt-out holds whatever the config says.
        try "opt_out: {paths: [\"~/logs\"]}\n".write(to: home.appendingPathComponent("policy.yaml"), atomically: true, encoding: .utf8)
        try FileManager.default.removeItem(at: home.appendingPathComponent("state"))
        let optedOut = try await ProcessRunner.run(ProcessRunner.sensor, sensor(home, ["scan", "--dry-run", "--policy",
                                                                                       home.appendingPathComponent("policy.yaml").path]))
        #expect(optedOut.status == 0, "\(optedOut.stderr)")
        #expect(!optedOut.text.contains("t.logs") && optedOut.text.contains("app.kv"))
    }

    @Test func withAPinnedKeyOnlyACorrectlySignedDocumentApplies() async throws {
        let home = try makeHome()
        defer { try? FileManager.default.removeItem(at: home) }
        func keygen(_ name: String) async throws -> String {
            let made = try await ProcessRunner.run(ProcessRunner.sensorIngest, ["config", "keygen", "--out", home.appendingPathComponent(name).path])
            #expect(made.status == 0, "\(made.stderr)")
            return made.text.trimmingCharacters(in: .whitespacesAndNewlines)
        }
        let pinned = try await keygen("pinned.key")
        _ = try await keygen("other.key")
        try FileManager.default.createDirectory(at: home.appendingPathComponent(".config/session-sensor"), withIntermediateDirectories: true)
        try "server_config: {public_key: \"\(pinned)\"}\n"
            .write(to: home.appendingPathComponent(".config/session-sensor/policy.yaml"), atomically: true, encoding: .utf8)
        // A benign change within the allowed roots: read logs/more too.
        let document = #"{"version": "signed-1", "sources": [{"id": "t.logs", "include": ["*.jsonl", "more/*.jsonl"]}]}"#
        try document.write(to: home.appendingPathComponent("server-config/widen.json"), atomically: true, encoding: .utf8)

        func scan(signingKey: String) async throws -> (ProcessRunner.Result, String) {
            try? FileManager.default.removeItem(at: home.appendingPathComponent("state"))
            let server = try await IngestServerProcess(
                database: home.appendingPathComponent("ingest-\(signingKey).db").path, directory: home.appendingPathComponent("work"),
                extra: ["--config", home.appendingPathComponent("server-config").path,
                        "--config-signing-key", home.appendingPathComponent(signingKey).path])
            defer { server.stop() }
            let result = try await ProcessRunner.run(ProcessRunner.sensor, sensor(home, ["scan", "--endpoint", server.endpoint,
                                                                                          "--token-file", server.tokenFile.path, "--quiet"]))
            return (result, try await dump(server))
        }
        let (forged, forgedStore) = try await scan(signingKey: "other.key")
        #expect(forged.status == 0, "\(forged.stderr)")
        #expect(forged.stderr.contains("does not verify against the key pinned"), "\(forged.stderr)")
        #expect(!forgedStore.contains(#""t":"more""#), "a document signed by another key applied")

        let (signed, signedStore) = try await scan(signingKey: "pinned.key")
        #expect(signed.status == 0, "\(signed.stderr)")
        #expect(signedStore.contains(#""t":"more""#), "the correctly signed document did not apply")

        // Offline: a document signed with `config sign`, then tampered with by one byte.
        let file = home.appendingPathComponent("doc.json")
        try document.write(to: file, atomically: true, encoding: .utf8)
        let signature = try await ProcessRunner.run(ProcessRunner.sensorIngest, ["config", "sign", "--key",
                                                                                 home.appendingPathComponent("pinned.key").path, file.path])
        try signature.text.write(to: URL(fileURLWithPath: file.path + ".sig"), atomically: true, encoding: .utf8)
        let good = try await ProcessRunner.run(ProcessRunner.sensor, sensor(home, ["scan", "--validate-config", "--server-config", file.path]))
        #expect(good.status == 0, "\(good.text) \(good.stderr)")
        try document.replacingOccurrences(of: "signed-1", with: "signed-2").write(to: file, atomically: true, encoding: .utf8)
        let tampered = try await ProcessRunner.run(ProcessRunner.sensor, sensor(home, ["scan", "--validate-config", "--server-config", file.path]))
        #expect(tampered.status != 0)
        #expect(tampered.text.contains("rejected whole"), "\(tampered.text)")
    }
}
