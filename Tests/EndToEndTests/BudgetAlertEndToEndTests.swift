import Foundation
import SensorTestSupport
import Testing

/// Budgets through the real binaries: a `sensor` scan drives a tenant's month of tokens past the
/// warning line, another past the critical one; a webhook receiver on 127.0.0.1 (checking the
/// HMAC signature with Python's own `hmac`) gets exactly one notification per crossing, the first
/// one through two 500 answers, and nothing more after the server restarts.
@Suite(.serialized) struct BudgetAlertEndToEndTests {
    /// A Claude Code conversation answered now, `tokens` tokens per answer, one answer per line of `answers`.
    static func write(_ home: URL, answers: [Int]) throws {
        let session = "33333333-3333-4333-8333-333333333333"
        let file = home.appendingPathComponent(".claude/projects/-home-budget/\(session).jsonl")
        try FileManager.default.createDirectory(at: file.deletingLastPathComponent(), withIntermediateDirectories: true)
        let now = Date().ISO8601Format()
        var lines = [#"{"type":"user","sessionId":"\#(session)","uuid":"u-0","timestamp":"\#(now)","cwd":"/home/budget","message":{"role":"user","content":"go"}}"#]
        for (index, tokens) in answers.enumerated() {
            lines.append(#"{"type":"assistant","sessionId":"\#(session)","uuid":"a-\#(index)","timestamp":"\#(now)","cwd":"/home/budget","requestId":"req-\#(index)","message":{"id":"msg-\#(index)","type":"message","role":"assistant","model":"claude-sonnet-4-5-20250929","content":[{"type":"text","text":"done"}],"usage":{"input_tokens":\#(tokens - 50),"output_tokens":50}}}"#)
        }
        try (lines.joined(separator: "\n") + "\n").write(to: file, atomically: false, encoding: .utf8)
    }

    static func received(_ log: URL) -> [[String: Any]] {
        ((try? String(contentsOf: log, encoding: .utf8)) ?? "").split(separator: "\n").compactMap {
            try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
        }
    }

    @Test(arguments: SensorIntoIngestTests.databases)
    func eachCrossingIsOneSignedNotificationRetriedThroughFailuresAndNotRepeatedAfterARestart(_ kind: String) async throws {
        let work = FileManager.default.temporaryDirectory.appendingPathComponent("budget-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: work) }
        try FileManager.default.createDirectory(at: work, withIntermediateDirectories: true)
        let database = try await SensorIntoIngestTests.freshDatabase(kind, in: work)
        let fast = ["--alerts-every", "0.3", "--alert-first-retry", "0.2"]
        var server = try await IngestServerProcess(database: database, directory: work, extra: fast)
        defer { server.stop() }

        let secret = "a-webhook-secret-of-some-length"
        let secretFile = work.appendingPathComponent("webhook-secret")
        try secret.write(to: secretFile, atomically: true, encoding: .utf8)
        let port = freeLoopbackPort()
        let log = work.appendingPathComponent("received.jsonl")
        let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("webhook_receiver.py")
        let receiver = try ProcessRunner.start(URL(fileURLWithPath: "/usr/bin/env"),
                                               ["python3", script.path, "--port", "\(port)", "--log", log.path, "--secret", secret,
                                                "--answers", "500,500,200"], log: work.appendingPathComponent("receiver.log"))
        defer { receiver.terminate() }
        try await ProcessRunner.wait(seconds: 10, "webhook receiver") { loopbackPortAccepts(port) }

        func ingest(_ arguments: [String]) async throws -> String {
            let result = try await ProcessRunner.run(ProcessRunner.sensorIngest, arguments + ["--database", database])
            #expect(result.status == 0, "\(arguments): \(result.stderr)")
            return result.text
        }
        _ = try await ingest(["budget", "set", "--tokens", "1000", "--period", "month", "--warning", "0.5"])
        _ = try await ingest(["alert", "webhook", "add", "--url", "http://127.0.0.1:\(port)/hook", "--secret-file", secretFile.path])
        let refused = try await ProcessRunner.run(ProcessRunner.sensorIngest, ["alert", "webhook", "add", "--url", "http://hooks.example.com/x",
                                                                               "--secret-file", secretFile.path, "--database", database])
        #expect(refused.status != 0 && refused.stderr.contains("https"), "alerts go over https: \(refused.stderr)")

        let home = work.appendingPathComponent("home")
        func scan() async throws {
            let result = try await ProcessRunner.run(ProcessRunner.sensor, [
                "scan", "--home", home.path, "--state-dir", home.appendingPathComponent(".state").path, "--endpoint", server.endpoint, "--quiet"],
                environment: ["SENSOR_TOKEN": server.token])
            #expect(result.status == 0, "\(result.stderr)")
        }
        func waitForDeliveries(_ count: Int) async throws {
            try await ProcessRunner.wait(seconds: 60, "\(count) delivered notification(s)") {
                Self.received(log).filter { $0["status"] as? Int == 200 }.count >= count
            }
        }

        // 600 of 1000 tokens: past the warning line (0.5), not the critical one.
        try Self.write(home, answers: [600])
        try await scan()
        try await waitForDeliveries(1)
        let first = Self.received(log)
        #expect(first.map { $0["status"] as? Int } == [500, 500, 200], "tried through two 500s: \(first)")
        #expect(first.allSatisfy { $0["valid"] as? Bool == true }, "every try signed with the webhook's secret")
        #expect(Set(first.compactMap { $0["delivery"] as? String }).count == 1, "the same delivery each try")
        let warning = try #require(first.last?["body"] as? [String: Any])
        #expect(warning["type"] as? String == "budget" && warning["level"] as? String == "warning" && warning["used"] as? Double == 600,
                "\(warning)")

        // 1,200: past the critical line. One more notification, at once (the receiver now answers 200).
        try Self.write(home, answers: [600, 600])
        try await scan()
        try await waitForDeliveries(2)
        let second = Self.received(log)
        #expect(second.count == 4, "\(second)")
        let critical = try #require(second.last?["body"] as? [String: Any])
        #expect(critical["level"] as? String == "critical" && critical["used"] as? Double == 1200, "\(critical)")

        // A restart on the same database sends nothing again.
        server.stop()
        server = try await IngestServerProcess(database: database, directory: work, extra: fast)
        try await Task.sleep(for: .seconds(3))
        #expect(Self.received(log).count == 4, "nothing repeated after the restart")
        let listed = try JSONSerialization.jsonObject(with: Data(try await ingest(["alert", "list", "--json"]).utf8)) as? [[String: Any]] ?? []
        #expect(listed.map { $0["attempts"] as? String } == ["1", "3"] && listed.allSatisfy { ($0["delivered_at"] as? String ?? "") != "" },
                "\(listed)")
        let budgets = try JSONSerialization.jsonObject(with: Data(try await ingest(["budget", "list", "--json"]).utf8)) as? [[String: Any]] ?? []
        #expect(budgets.first?["level"] as? String == "critical" && budgets.first?["used"] as? Double == 1200, "\(budgets)")
    }
}
