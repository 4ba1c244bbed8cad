import ArgumentParser
import IngestCore
import IngestStore
import Normalization
import Logging

/// `--database`: where envelopes and tokens are kept.
struct StoreOptions: ParsableArguments {
    @Option(help: ArgumentHelp(
        "A SQLite file (a path or sqlite:///abs/path.db) or postgres://user:password@host:port/database.",
        valueName: "url"))
    var database = StoreLocation.defaultValue

    func location() throws -> StoreLocation {
        do {
            return try StoreLocation(database)
        } catch {
            throw ValidationError("--database: \(error)")
        }
    }

    /// Runs `body` on the opened, migrated store (one-shot commands).
    func withStore<Result: Sendable>(_ body: (any IngestStore) async throws -> Result) async throws -> Result {
        // Standard error: standard output is the command's answer (a token, a table, a dump).
        var logger = Logger(label: "sensor-ingest") { StreamLogHandler.standardError(label: $0) }
        logger.logLevel = .warning
        return try await location().withStore(logger: logger, body)
    }
}
