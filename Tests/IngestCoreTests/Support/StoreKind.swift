import Foundation
import Access
import Explorer
import IngestCore
import IngestStore
import Normalization
import Logging
import PostgresNIO
import Testing

/// The stores the storage tests run on: `@Test(arguments: StoreKind.available)`.
///
/// PostgreSQL needs `SENSOR_TEST_POSTGRES_URL` (CI sets it with
/// `eval "$(scripts/ci-postgres.sh)"`). Without it there are no PostgreSQL cases, and
/// `PostgreSQLTests.theTestDatabaseIsReachable` is reported skipped with the reason.
enum StoreKind: String, CaseIterable, CustomTestStringConvertible, Sendable {
    case sqlite, postgres

    var testDescription: String { rawValue }

    static let postgresURL = ProcessInfo.processInfo.environment["SENSOR_TEST_POSTGRES_URL"]

    static let notConfigured: Comment = """
        SENSOR_TEST_POSTGRES_URL is not set: the PostgreSQL cases of every storage test are not run \
        (eval "$(scripts/ci-postgres.sh)" starts a throwaway PostgreSQL and sets it)
        """

    /// Every kind this run can test.
    static var available: [StoreKind] {
        postgresURL == nil ? [.sqlite] : allCases
    }

    /// Runs `body` on a fresh, empty, migrated store of this kind (its service running), then
    /// throws the store away.
    func withFreshStore<Result: Sendable>(_ body: (any IngestStore) async throws -> Result) async throws -> Result {
        try await withFreshLocation { location in
            try await location.withTestStore(body)
        }
    }

    /// Runs `body` with a new location of this kind, then removes it.
    func withFreshLocation<Result: Sendable>(_ body: (StoreLocation) async throws -> Result) async throws -> Result {
        let location = try await freshLocation()
        do {
            let result = try await body(location)
            try? await discard(location)
            return result
        } catch {
            try? await discard(location)
            throw error
        }
    }

    /// A new store location of this kind (a SQLite file in a new directory, or a new database).
    func freshLocation() async throws -> StoreLocation {
        switch self {
        case .sqlite:
            let directory = FileManager.default.temporaryDirectory.appendingPathComponent("ingest-tests-\(UUID().uuidString)")
            return .sqlite(path: directory.appendingPathComponent("ingest.db").path)
        case .postgres:
            guard let url = Self.postgresURL else { throw NotConfigured() }
            let name = "ingest_test_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").prefix(16).lowercased()
            _ = try await Self.withAdmin(url) { try await $0.query(PostgresQuery(unsafeSQL: "CREATE DATABASE \(name)")) }
            var components = URLComponents(string: url)!
            components.path = "/" + name
            return .postgres(url: components.string!)
        }
    }

    /// Removes what ``freshLocation()`` made.
    func discard(_ location: StoreLocation) async throws {
        switch location {
        case .sqlite(let path):
            try? FileManager.default.removeItem(at: URL(fileURLWithPath: path).deletingLastPathComponent())
        case .postgres(let url):
            guard let admin = Self.postgresURL, let name = URLComponents(string: url)?.path.dropFirst() else { return }
            _ = try await Self.withAdmin(admin) { try await $0.query(PostgresQuery(unsafeSQL: "DROP DATABASE IF EXISTS \(name) WITH (FORCE)")) }
        }
    }

    /// A client on the database `SENSOR_TEST_POSTGRES_URL` names, to create and drop test databases.
    static func withAdmin<Result: Sendable>(_ url: String, _ body: (PostgresClient) async throws -> Result) async throws -> Result {
        let components = URLComponents(string: url)!
        let client = PostgresClient(configuration: .init(
            host: components.host!, port: components.port ?? 5432, username: components.user ?? "postgres",
            password: components.password, database: String(components.path.dropFirst()), tls: .disable))
        return try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await client.run() }
            defer { group.cancelAll() }
            return try await body(client)
        }
    }
}

extension StoreLocation {
    /// How long a test's store may take to migrate. The whole suite keeps both threads of
    /// Swift's cooperative pool busy (a debug build, dozens of tests at once), so a PostgreSQL
    /// answer can wait a minute for a thread to read it: the 30 s a server gives a misconfigured
    /// database (tested in `StorageTests.anUnreachableDatabaseIsNamedWithinTheStartTimeout`) is
    /// no measure of a test machine under load.
    static let testStartTimeout: Duration = .seconds(600)

    /// `withStore`, quiet, with ``testStartTimeout``.
    func withTestStore<Result: Sendable>(_ body: (any IngestStore) async throws -> Result) async throws -> Result {
        try await withStore(logger: .quiet, startTimeout: Self.testStartTimeout, body)
    }
}

struct NotConfigured: Error, CustomStringConvertible {
    var description: String { StoreKind.notConfigured.rawValue }
}

/// Says, in every run, whether the PostgreSQL cases ran.
@Suite struct PostgreSQLTests {
    @Test(.enabled(if: StoreKind.postgresURL != nil, StoreKind.notConfigured))
    func theTestDatabaseIsReachable() async throws {
        let version = try await StoreKind.withAdmin(StoreKind.postgresURL!) { client in
            var version = ""
            for try await text in try await client.query("SHOW server_version").decode(String.self) { version = text }
            return version
        }
        #expect(!version.isEmpty)
    }
}

extension Logger {
    /// For the code under test: silent (the tests check what it does).
    static var quiet: Logger {
        var logger = Logger(label: "ingest-tests")
        logger.logLevel = .critical
        return logger
    }
}
