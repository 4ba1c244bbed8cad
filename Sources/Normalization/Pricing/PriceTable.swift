import Foundation
import IngestStore
import Synchronization

/// Model prices in US dollars per million tokens, and the cost of a response by them.
///
/// The built-in table is `pricing/prices.json` (generated from LiteLLM's public price list by
/// `scripts/update-prices.py`); an operator's file (`--prices FILE`, same format) is laid over
/// it model by model. A model's prices are one object, or a list of objects each effective from
/// its `since` date (`YYYY-MM-DD`), so a price change does not rewrite the past:
///
/// ```json
/// {"models": {"claude-sonnet-4-5": {"input": 3, "output": 15, "cache_read": 0.3, "cache_write": 3.75},
///             "my-model": [{"input": 2, "output": 8}, {"since": "2026-06-01", "input": 1, "output": 4}]},
///  "aliases": {"claude-4-sonnet": "claude-sonnet-4-20250514"}}
/// ```
///
/// A usage row's model is looked up by its name as recorded, then by its base name: provider
/// paths (`openrouter/anthropic/…`), Bedrock regions and vendor prefixes (`us.anthropic.…`) and
/// version suffixes (`-v1:0`, `@…`) removed, then without a date suffix (`-20250929`).
public struct PriceTable: Sendable {
    /// What one model costs during one period.
    public struct Prices: Sendable, Equatable, Codable {
        public var since: String?
        public var input: Double
        public var output: Double
        public var cacheRead: Double?
        public var cacheWrite: Double?
        /// Rates for a request whose prompt (input with cache reads and writes) exceeds 200,000 tokens.
        public var inputAbove200k: Double?
        public var outputAbove200k: Double?
        public var cacheReadAbove200k: Double?
        public var cacheWriteAbove200k: Double?

        public init(since: String? = nil, input: Double, output: Double, cacheRead: Double? = nil, cacheWrite: Double? = nil) {
            self.since = since
            self.input = input
            self.output = output
            self.cacheRead = cacheRead
            self.cacheWrite = cacheWrite
        }

        package enum CodingKeys: String, CodingKey {
            case since, input, output
            case cacheRead = "cache_read", cacheWrite = "cache_write"
            case inputAbove200k = "input_above_200k", outputAbove200k = "output_above_200k"
            case cacheReadAbove200k = "cache_read_above_200k", cacheWriteAbove200k = "cache_write_above_200k"
        }
    }

    /// Tokens of one response, as the normalised usage rows count them.
    public struct Tokens: Sendable {
        public var input: Int64
        public var output: Int64
        public var cacheRead: Int64
        public var cacheWrite: Int64

        public init(input: Int64, output: Int64, cacheRead: Int64, cacheWrite: Int64) {
            self.input = input
            self.output = output
            self.cacheRead = cacheRead
            self.cacheWrite = cacheWrite
        }
    }

    /// Where the table came from (shown by the server at start).
    public private(set) var origin: String
    /// The operator's layer first, the built-in one last: a model named in an earlier layer, by
    /// any of its names, is priced by that layer.
    private var layers: [Layer] {
        didSet { resolved = ResolvedModels() }
    }
    /// Each model name's periods once found (a store prices the same few models a million times).
    private var resolved = ResolvedModels()

    private final class ResolvedModels: Sendable {
        package let periods = Mutex<[String: [Prices]?]>([:])
    }

    private struct Layer: Sendable {
        package var models: [String: [Prices]]
        package var aliases: [String: String]
    }

    /// The table built into the server.
    public static let builtIn: PriceTable = {
        do {
            return try PriceTable(json: Data(EmbeddedPrices.json.utf8), origin: "built in")
        } catch {
            preconditionFailure("pricing/prices.json does not parse: \(error)")
        }
    }()

    /// A table from a document in the format above; `origin` names it in errors.
    public init(json: Data, origin: String) throws {
        let document: Document
        do {
            document = try JSONDecoder().decode(Document.self, from: json)
        } catch {
            throw PriceTableError(origin: origin, reason: Self.describe(error))
        }
        self.origin = document.source.map { "\(origin): \($0)" } ?? origin
        var models: [String: [Prices]] = [:]
        for (name, entry) in document.models {
            models[name.lowercased()] = entry.periods.sorted { ($0.since ?? "") < ($1.since ?? "") }
        }
        var aliases: [String: String] = [:]
        for (alias, target) in document.aliases ?? [:] { aliases[alias.lowercased()] = target.lowercased() }
        layers = [Layer(models: models, aliases: aliases)]
    }

    /// This table with `overrides` laid over it: a model the overrides price, under any of its
    /// names (`claude-sonnet-4-5` also covers `claude-sonnet-4-5-20250929`), is priced by them.
    public func overlaid(with overrides: PriceTable) -> PriceTable {
        var table = self
        table.layers = overrides.layers + layers
        table.origin = "\(origin), overlaid by \(overrides.origin)"
        return table
    }

    /// The prices of `model` effective at `date` (RFC 3339 or `YYYY-MM-DD`; nil: the latest).
    public func prices(model: String, at date: String? = nil) -> Prices? {
        guard let periods = periods(of: model), !periods.isEmpty else { return nil }
        guard let day = date.map({ String($0.prefix(10)) }) else { return periods.last }
        return periods.last { ($0.since ?? "") <= day } ?? periods.first
    }

    /// The cost in US dollars of a response, or nil when the model has no price.
    public func cost(model: String?, at date: String?, tokens: Tokens) -> Double? {
        guard let model, let prices = prices(model: model, at: date) else { return nil }
        let prompt = tokens.input + tokens.cacheRead + tokens.cacheWrite
        let above = prompt > 200_000
        func rate(_ base: Double?, _ high: Double?) -> Double { (above ? high ?? base : base) ?? 0 }
        let dollars = Double(tokens.input) * rate(prices.input, prices.inputAbove200k)
            + Double(tokens.output) * rate(prices.output, prices.outputAbove200k)
            + Double(tokens.cacheRead) * rate(prices.cacheRead ?? prices.input, prices.cacheReadAbove200k)
            + Double(tokens.cacheWrite) * rate(prices.cacheWrite ?? prices.input, prices.cacheWriteAbove200k)
        return dollars / 1_000_000
    }

    /// A fingerprint of the prices, to tell whether stored estimates were made with this table.
    public var fingerprint: String {
        var hasher = FNV1a()
        for layer in layers {
            hasher.add("layer")
            for name in layer.models.keys.sorted() {
                hasher.add(name)
                for period in layer.models[name] ?? [] {
                    hasher.add("\(period.since ?? "")|\(period.input)|\(period.output)|\(period.cacheRead ?? -1)|\(period.cacheWrite ?? -1)")
                    hasher.add("\(period.inputAbove200k ?? -1)|\(period.outputAbove200k ?? -1)|\(period.cacheReadAbove200k ?? -1)|\(period.cacheWriteAbove200k ?? -1)")
                }
            }
            for name in layer.aliases.keys.sorted() { hasher.add("\(name)=\(layer.aliases[name] ?? "")") }
        }
        return String(hasher.value, radix: 16)
    }

    private func periods(of model: String) -> [Prices]? {
        if let known = resolved.periods.withLock({ $0[model] }) { return known }
        let found = search(model)
        resolved.periods.withLock { if $0.count < 10_000 { $0[model] = found } }
        return found
    }

    private func search(_ model: String) -> [Prices]? {
        let names = Self.candidates(model.lowercased())
        for layer in layers {
            for candidate in names {
                if let periods = layer.models[candidate] { return periods }
                // An alias names a model that any layer may price (an operator's alias for a built-in model).
                if let target = layer.aliases[candidate], let periods = layers.lazy.compactMap({ $0.models[target] }).first {
                    return periods
                }
            }
        }
        return nil
    }

    /// The names to try for a model, most specific first.
    static func candidates(_ name: String) -> [String] {
        var names = [name]
        var base = String(name.split(separator: "/").last ?? Substring(name))
        for prefix in ["us-gov.", "us.", "eu.", "apac.", "au.", "jp.", "global."] where base.hasPrefix(prefix) {
            base.removeFirst(prefix.count)
            break
        }
        for vendor in ["anthropic.", "openai.", "google.", "meta.", "mistral.", "amazon.", "deepseek.", "qwen."] where base.hasPrefix(vendor) {
            base.removeFirst(vendor.count)
            break
        }
        if let at = base.firstIndex(of: "@") { base = String(base[..<at]) }
        if let range = base.range(of: #"-v\d+(:\d+)?$"#, options: .regularExpression) { base.removeSubrange(range) }
        names.append(base)
        if let range = base.range(of: #"-(\d{8}|\d{4}-\d{2}-\d{2})$"#, options: .regularExpression) {
            names.append(String(base[..<range.lowerBound]))
        }
        return names
    }

    private struct Document: Decodable {
        var source: String?
        var models: [String: Entry]
        var aliases: [String: String]?
    }

    /// One price object or a list of them.
    private struct Entry: Decodable {
        var periods: [Prices]
        init(from decoder: any Decoder) throws {
            let container = try decoder.singleValueContainer()
            if let list = try? container.decode([Prices].self) {
                periods = list
            } else {
                periods = [try container.decode(Prices.self)]
            }
        }
    }

    private static func describe(_ error: any Error) -> String {
        switch error {
        case DecodingError.keyNotFound(let key, let context):
            return "\(path(context.codingPath + [key])): missing"
        case DecodingError.typeMismatch(_, let context), DecodingError.valueNotFound(_, let context):
            return "\(path(context.codingPath)): \(context.debugDescription)"
        case DecodingError.dataCorrupted(let context):
            return "\(path(context.codingPath)): \(context.debugDescription)"
        default:
            return "\(error)"
        }
    }

    private static func path(_ keys: [any CodingKey]) -> String {
        keys.isEmpty ? "(document)" : keys.map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }.joined(separator: ".")
    }
}

/// A price file that cannot be used, with where and why.
public struct PriceTableError: Error, CustomStringConvertible {
    public var origin: String
    public var reason: String
    public var description: String { "\(origin): \(reason)" }
}

/// 64-bit FNV-1a, for fingerprints that need to be stable across runs (Swift's `Hasher` is seeded).
struct FNV1a {
    private(set) var value: UInt64 = 0xcbf2_9ce4_8422_2325
    mutating func add(_ string: String) {
        for byte in string.utf8 {
            value ^= UInt64(byte)
            value &*= 0x100_0000_01b3
        }
        value ^= 0xff
        value &*= 0x100_0000_01b3
    }
}
