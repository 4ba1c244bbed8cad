import ArgumentParser
import Foundation
import IngestCore
import IngestStore
import Normalization

/// `--prices FILE`: an operator's price table laid over the built-in one.
struct PriceOptions: ParsableArguments {
    @Option(name: .customLong("prices"),
            help: ArgumentHelp("A price table (JSON, the format of pricing/prices.json) laid over the built-in one, model by model.",
                               valueName: "file"))
    var pricesFile: String?

    /// The table costs are estimated with.
    func table() throws -> PriceTable {
        guard let pricesFile else { return .builtIn }
        guard let data = FileManager.default.contents(atPath: pricesFile) else {
            throw ValidationError("cannot read --prices \(pricesFile)")
        }
        do {
            return PriceTable.builtIn.overlaid(with: try PriceTable(json: data, origin: pricesFile))
        } catch {
            throw ValidationError("--prices: \(error)")
        }
    }
}
