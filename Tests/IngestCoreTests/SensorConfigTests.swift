import AsyncHTTPClient
import Foundation
import Hummingbird
import HummingbirdTesting
import Access
import Explorer
import IngestCore
import IngestStore
import Normalization
import Testing

/// `GET /api/v1/sensor-config`: the operator's files, merged, validated, served with an ETag.
@Suite struct SensorConfigTests {
    static func write(_ text: String, to file: URL) throws {
        try text.write(to: file, atomically: true, encoding: .utf8)
    }

    @Test func theMergedDocumentIsServedWithAnETagAnd304() async throws {
        try await TestServer.with(.sqlite) { test in
            try Self.write("version: r1\nsources:\n  - {id: openclaw.trajectories, enabled: false}\n",
                           to: test.configDirectory.appendingPathComponent("10-fleet.yaml"))
            try Self.write(#"{"sources":[{"id":"claude-code.transcripts","poll_interval":2}],"upload":{"batch_max_records":1000}}"#,
                           to: test.configDirectory.appendingPathComponent("20-more.json"))
            try Self.write("not: [valid", to: test.configDirectory.appendingPathComponent("notes.txt"))  // not a config file
            #expect(await test.server.config.reload() == [])
            try await test.withRouterClient { client in
                let auth: HTTPFields = [.authorization: "Bearer \(test.token)"]
                let first = try await client.execute(uri: IngestServer.Paths.sensorConfig, method: .get, headers: auth)
                #expect(first.status == .ok)
                #expect(first.headers[.contentType] == "application/json")
                let etag = try #require(first.headers[.eTag])
                let document = try #require(try JSONSerialization.jsonObject(with: Data(buffer: first.body)) as? [String: Any])
                #expect(document["version"] as? String == "r1")
                #expect((document["sources"] as? [[String: Any]])?.compactMap { $0["id"] as? String }
                        == ["openclaw.trajectories", "claude-code.transcripts"])
                #expect((document["upload"] as? [String: Any])?["batch_max_records"] as? Int == 1000)

                for condition in [etag, "W/\(etag)", "\"other\", \(etag)", "*"] {
                    var headers = auth
                    headers[.ifNoneMatch] = condition
                    let cached = try await client.execute(uri: IngestServer.Paths.sensorConfig, method: .get, headers: headers)
                    #expect(cached.status == .notModified, "\(condition)")
                    #expect(cached.headers[.eTag] == etag)
                    #expect(cached.body.readableBytes == 0)
                }
                var stale = auth
                stale[.ifNoneMatch] = "\"stale\""
                #expect(try await client.execute(uri: IngestServer.Paths.sensorConfig, method: .get, headers: stale).status == .ok)
            }
        }
    }

    @Test func aValidTokenIsRequired() async throws {
        try await TestServer.with(.sqlite) { test in
            try await test.withRouterClient { client in
                let anonymous = try await client.execute(uri: IngestServer.Paths.sensorConfig, method: .get)
                #expect(anonymous.status == .unauthorized)
                let wrong = try await client.execute(uri: IngestServer.Paths.sensorConfig, method: .get,
                                                     headers: [.authorization: "Bearer \(TokenSecret.generate())"])
                #expect(wrong.status == .unauthorized)
            }
        }
    }

    @Test func anEditIsServedAfterTheNextPoll() async throws {
        try await TestServer.with(.sqlite) { test in
            let file = test.configDirectory.appendingPathComponent("fleet.yaml")
            try Self.write("version: r1\n", to: file)
            #expect(await test.server.config.reload() == [])
            try await LiveServer.with(test.server, configPollInterval: .milliseconds(50)) { url in
                let first = try await Self.get(url, token: test.token)
                #expect(first.body.contains("r1"))

                try Self.write("version: r2-edited\n", to: file)
                let changed = try await Self.eventually { try await Self.get(url, token: test.token) } until: { $0.etag != first.etag }
                #expect(changed.body.contains("r2-edited"))
                let cached = try await Self.get(url, token: test.token, ifNoneMatch: changed.etag)
                #expect(cached.status == 304)
            }
        }
    }

    @Test func anInvalidEditIsRefusedAndThePreviousDocumentKeptServed() async throws {
        try await TestServer.with(.sqlite) { test in
            let file = test.configDirectory.appendingPathComponent("fleet.yaml")
            try Self.write("version: r1\n", to: file)
            #expect(await test.server.config.reload() == [])
            try await LiveServer.with(test.server, configPollInterval: .milliseconds(50)) { url in
                let good = try await Self.get(url, token: test.token)

                try Self.write("version: r2\nupload: {gzip_level: fast}\n", to: file)
                let problems = try await Self.eventually { await test.server.config.problems } until: { !$0.isEmpty }
                #expect(problems.count == 1)
                #expect(problems.first?.contains("fleet.yaml:2:") == true, "\(problems)")
                #expect(problems.first?.contains("upload.gzip_level") == true, "\(problems)")
                let kept = try await Self.get(url, token: test.token)
                #expect(kept.etag == good.etag && kept.body == good.body)

                // A file that is not even YAML is refused the same way.
                try Self.write("version: [r3\n", to: file)
                let notYAML = try await Self.eventually { await test.server.config.problems } until: { $0 != problems }
                #expect(notYAML.first?.contains("fleet.yaml:") == true, "\(notYAML)")
                #expect(try await Self.get(url, token: test.token).etag == good.etag)

                // Fixed: served.
                try Self.write("version: r4\n", to: file)
                let fixed = try await Self.eventually { try await Self.get(url, token: test.token) } until: { $0.etag != good.etag }
                #expect(fixed.body.contains("r4"))
                #expect(await test.server.config.problems.isEmpty)
            }
        }
    }

    @Test func anInvalidConfigAtStartIsReportedWithItsLine() async throws {
        try await TestServer.with(.sqlite) { test in
            try Self.write("version: r1\nsources:\n  - {id: x, format: parquet}\n",
                           to: test.configDirectory.appendingPathComponent("bad.yaml"))
            let problems = await test.server.config.reload()
            #expect(!problems.isEmpty)
            #expect(problems.allSatisfy { $0.contains("bad.yaml:3:") }, "\(problems)")
            #expect(await test.server.config.document == .empty)
        }
    }

    @Test func aMissingConfigPathIsAProblemNotAnEmptyConfig() async throws {
        let missing = FileManager.default.temporaryDirectory.appendingPathComponent("no-such-config-\(UUID().uuidString)")
        let provider = ServerConfigProvider(location: missing, logger: .quiet) { _, _ in [] }
        let problems = await provider.reload()
        #expect(problems.count == 1 && problems[0].hasPrefix(missing.path + ": cannot be read"), "\(problems)")
    }

    // MARK: - Helpers

    struct Fetched: Sendable {
        var status: Int
        var etag: String?
        var body: String
    }

    static func get(_ url: String, token: String, ifNoneMatch: String? = nil) async throws -> Fetched {
        var request = HTTPClientRequest(url: url + IngestServer.Paths.sensorConfig)
        request.headers.add(name: "Authorization", value: "Bearer \(token)")
        if let ifNoneMatch { request.headers.add(name: "If-None-Match", value: ifNoneMatch) }
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(120))
        let body = try await response.body.collect(upTo: 1 << 20)
        return Fetched(status: Int(response.status.code), etag: response.headers.first(name: "ETag"), body: String(buffer: body))
    }

    /// Polls `value` until `condition` holds (at most 5 s).
    static func eventually<Value>(_ value: () async throws -> Value, until condition: (Value) -> Bool) async throws -> Value {
        let deadline = ContinuousClock.now + .seconds(120)
        while true {
            let current = try await value()
            if condition(current) || ContinuousClock.now > deadline { return current }
            try await Task.sleep(for: .milliseconds(20))
        }
    }
}
