import ArgumentParser
import IngestCore
import IngestStore
import Normalization

/// `sensor-ingest reparse`: rebuilds the normalised tables from the raw store.
struct ReparseCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "reparse",
        abstract: "Rebuild the normalised sessions, messages, tool calls and usage from the stored raw envelopes.",
        discussion: """
            Raw envelopes are kept forever; normalising them is a pure function of the records in arrival \
            order, so a reparse gives the same rows incremental normalising gave (or better ones, after a \
            normaliser improved). With --source only that source's rows are rebuilt. Safe while a server runs.
            """)

    @OptionGroup var store: StoreOptions

    @Option(help: "Rebuild only the rows of this source id (claude-code.transcripts, …).")
    var source: String?

    @OptionGroup var prices: PriceOptions

    @OptionGroup var normalizers: NormalizerOptions

    func run() async throws {
        let table = try prices.table()
        let registry = try normalizers.registry()
        let count = try await store.withStore { store in
            try await Normalizer(store: store, registry: registry, prices: table).reparse(source: source)
        }
        print("normalised \(count) envelopes\(source.map { " of \($0)" } ?? "")")
    }
}
