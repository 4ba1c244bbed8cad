import Foundation
import IngestCore
import Logging
import SensorModel

/// Which store a test runs on. PostgreSQL runs when SENSOR_TEST_POSTGRES_URL is set
/// (`.ci/run` always sets it).
enum StoreKind: String, CaseIterable, CustomStringConvertible, Sendable {
    case sqlite, postgres

    var description: String { rawValue }

    static var postgresURL: String? { ProcessInfo.processInfo.environment["SENSOR_TEST_POSTGRES_URL"] }

    static var available: [StoreKind] {
        postgresURL == nil ? [.sqlite] : [.sqlite, .postgres]
    }

    /// A fresh, empty store location of this kind.
    func freshLocation() async throws -> String {
        switch self {
        case .sqlite:
            let directory = FileManager.default.temporaryDirectory.appendingPathComponent("ingest-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            return directory.appendingPathComponent("ingest.db").path
        case .postgres:
            let name = "sensor_test_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").prefix(12).lowercased()
            return try await PostgresStore.createDatabase(near: StoreKind.postgresURL!, name: name)
        }
    }
}

/// Envelopes and batches for the tests.
enum Batches {
    static func envelope(id: String = randomID(), source: String = "test.source", record: String = #"{"n":1}"#,
                         encoding: String = "json") -> String {
        """
        {"schema_version":1,"source":"\(source)","kind":"test.kind","device":"d-test","sensor":"0.1.0",\
        "collected_at":"2026-11-24T19:00:00.000Z","id":"\(id)","locator":{"path":"~/x.jsonl","offset":0,"length":7},\
        "encoding":"\(encoding)","record":\(record)}
        """
    }

    static func batch(_ envelopes: [String], id: String = UUID().uuidString) -> [UInt8] {
        Array(#"{"batch_id":"\#(id)","sensor":{"device":"d-test","version":"0.1.0"},"records":[\#(envelopes.joined(separator: ","))]}"#.utf8)
    }

    static func randomID() -> String {
        (0..<16).map { _ in String(format: "%02x", UInt8.random(in: 0...255)) }.joined()
    }

    static func gzip(_ bytes: [UInt8]) -> [UInt8] { Gzip.compress(bytes, level: 6) }
}

/// A server over a fresh store of `kind`, with one token.
struct TestServer {
    let server: IngestServer
    let store: any IngestStore
    let token: String
    let configDirectory: URL

    static func make(_ kind: StoreKind) async throws -> TestServer {
        let store = try await StoreLocation.open(try await kind.freshLocation())
        let token = TokenSecret.generate()
        _ = try await store.createToken(name: "test", hash: TokenSecret.hash(token))
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("config-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        var logger = Logger(label: "test")
        logger.logLevel = .critical
        let provider = ServerConfigProvider(location: directory, logger: logger)
        var limits = IngestServer.Limits()
        limits.maxBodyBytes = 1 << 20
        limits.maxInflatedBytes = 8 << 20
        return TestServer(server: IngestServer(store: store, config: provider, limits: limits, logger: logger), store: store,
                          token: token, configDirectory: directory)
    }
}
