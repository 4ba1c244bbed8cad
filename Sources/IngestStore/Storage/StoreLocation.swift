import Logging

/// What `--database` names: a SQLite file (`sqlite:///abs/path.db`, `sqlite:rel/path.db` or a
/// plain path) or a PostgreSQL database (`postgres://user:password@host:port/database`).
public enum StoreLocation: Sendable, Equatable, CustomStringConvertible {
    case sqlite(path: String)
    case postgres(url: String)

    /// The default: a SQLite file in the working directory.
    public static let defaultValue = "sensor-ingest.db"

    public init(_ text: String) throws {
        if text.hasPrefix("postgres://") || text.hasPrefix("postgresql://") {
            self = .postgres(url: text)
            return
        }
        var path = text
        for prefix in ["sqlite://", "sqlite:"] where path.hasPrefix(prefix) {
            path = String(path.dropFirst(prefix.count))
            break
        }
        guard !path.isEmpty else { throw StoreError("no SQLite path in \(text)") }
        self = .sqlite(path: path)
    }

    /// Where it is, without a password.
    public var description: String {
        switch self {
        case .sqlite(let path):
            return "sqlite://\(path)"
        case .postgres(let url):
            guard let at = url.lastIndex(of: "@"), let scheme = url.range(of: "://") else { return url }
            let credentials = url[scheme.upperBound..<at]
            let user = credentials.split(separator: ":", maxSplits: 1).first ?? ""
            return url[..<scheme.upperBound] + user + "@" + url[url.index(after: at)...]
        }
    }

    /// The store, not yet running nor migrated. `startTimeout`: how long PostgreSQL may take
    /// to answer the migration.
    public func makeStore(logger: Logger, startTimeout: Duration = .seconds(30)) throws -> any IngestStore {
        switch self {
        case .sqlite(let path): return try SQLiteStore(path: path)
        case .postgres(let url): return try PostgresStore(url: url, logger: logger, startTimeout: startTimeout)
        }
    }

    /// Runs `body` on the store: its service running meanwhile, migrations applied first.
    /// For one-shot commands and tests; `serve` runs the store in its service group instead.
    public func withStore<Result: Sendable>(logger: Logger, startTimeout: Duration = .seconds(30),
                                            _ body: (any IngestStore) async throws -> Result) async throws -> Result {
        let store = try makeStore(logger: logger, startTimeout: startTimeout)
        return try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await store.run() }
            defer { group.cancelAll() }
            try await store.migrate()
            return try await body(store)
        }
    }
}
