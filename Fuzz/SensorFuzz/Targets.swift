import Foundation
@testable import Explorer
@testable import IngestCore
@testable import IngestStore
@testable import Normalization
@testable import SensorCore
@testable import SensorModel

/// The fuzz targets, by the name `FUZZ_TARGET` gives. Each takes arbitrary bytes and must
/// neither crash, hang nor leak; what it returns is not checked, only that it returns.
enum FuzzTarget: String, CaseIterable {
    /// The ingest server's gzip inflater with its cap (a gzip bomb must stop at the cap).
    case gzip
    /// A batch body: the splitter, then the envelope validator on each record.
    case batch
    /// The JSON scanner and the streaming validator, which must agree.
    case json
    /// A config document (YAML or JSON) through the parser, the schema and the merger.
    case config
    /// Path templates and globs.
    case paths
    /// Each normaliser on an arbitrary record of its kind, and the SQL written for it.
    case normalizers
    /// The redactor (its matches must keep JSON valid).
    case redaction
    /// Each normaliser on an arbitrary record of its kind whose every number is made extreme
    /// (Int64's ends, 2^63, 1e308, -0, huge digit runs), then the sums, charts and durations
    /// the explorer makes of such numbers: none may trap.
    case numbers

    static let selected: FuzzTarget = {
        let name = ProcessInfo.processInfo.environment["FUZZ_TARGET"] ?? ""
        guard let target = FuzzTarget(rawValue: name) else {
            fatalError("FUZZ_TARGET must be one of \(allCases.map(\.rawValue).joined(separator: ", "))")
        }
        return target
    }()

    static let kinds = NormalizerRegistry.builtIn.byKind.keys.sorted()
    static let redactor = Redactor(settings: SensorSettings())

    func run(_ data: UnsafeRawBufferPointer) {
        switch self {
        case .gzip:
            guard let inflater = try? GzipInflater(limit: 1 << 20) else { return }
            // Fed in pieces, as a body arrives.
            var offset = 0
            let step = max(1, data.count / 3)
            while offset < data.count {
                let end = min(data.count, offset + step)
                if (try? inflater.append(UnsafeRawBufferPointer(rebasing: data[offset..<end]))) == nil { return }
                offset = end
            }
            if let inflated = try? inflater.finish() { precondition(inflated.count <= 1 << 20, "the cap was passed") }
        case .batch:
            guard let batch = try? BatchSplitter.split(Array(data)) else { return }
            _ = IngestHandler.check(batch)
        case .json:
            let whole = JSONScanner.isValid(data)
            var stream = JSONStreamValidator()
            let half = data.count / 2
            stream.feed(UnsafeRawBufferPointer(rebasing: data[..<half]))
            stream.feed(UnsafeRawBufferPointer(rebasing: data[half...]))
            precondition(stream.finish() == whole, "the scanner and the stream validator disagree")
        case .config:
            let text = String(decoding: data, as: UTF8.self)
            guard let document = try? ConfigParser.parse(text, file: "fuzz.yaml") else { return }
            _ = SchemaValidator.builtIn.validate(document, against: "source.schema.json")
            _ = ConfigLoader.validateServerDocument(Data(data), origin: "fuzz.json")
            _ = ConfigMerger().merge([ConfigLayer(kind: .local, origin: "fuzz", documents: [document])])
        case .paths:
            let text = String(decoding: data, as: UTF8.self)
            let parts = text.split(separator: "\n", maxSplits: 1).map(String.init)
            let template = PathTemplate(home: "/home/fuzz", environment: ["HOME": "/home/fuzz", "X": "a/b", "EMPTY": ""])
            _ = template.expand(parts.first ?? "")
            if let glob = Glob(parts.first ?? ""), parts.count > 1 {
                _ = glob.matches(parts[1].split(separator: "/"))
            }
        case .normalizers:
            guard data.count > 1, JSONScanner.isValid(UnsafeRawBufferPointer(rebasing: data[1...])) else { return }
            let kind = Self.kinds[Int(data[0] >> 1) % Self.kinds.count]
            let record = String(decoding: UnsafeRawBufferPointer(rebasing: data[1...]), as: UTF8.self)
            // The low bit: an SQL row (an object of columns, `value` holding JSON), or a JSON record.
            let encoding = data[0] & 1 == 1 ? #""encoding":"row","columns":{"key":"text","value":"json"}"# : #""encoding":"json""#
            let envelope = """
                {"schema_version":1,"id":"00000000000000000000000000000001","source":"fuzz.source","kind":"\(kind)","device":"d-fuzz",\
                "sensor":"0.1.0","collected_at":"2026-12-04T00:00:00.000Z","locator":{"path":"~/fuzz.jsonl","file_id":"f","offset":0},\
                \(encoding),"record":\(record)}
                """
            guard let raw = RawRecord(seq: 1, json: envelope) else { return }
            var context = NormalizationContext()
            NormalizerRegistry.builtIn.normalize(raw, into: &context)
            NormalizerRegistry.builtIn.normalize(raw, into: &context)  // the same record again, as a re-upload
            _ = NormalizedWriter.statements(context.batch, memories: [:])
        case .numbers:
            guard data.count > 2, JSONScanner.isValid(UnsafeRawBufferPointer(rebasing: data[2...])) else { return }
            let kind = Self.kinds[Int(data[0]) % Self.kinds.count]
            let extremes = ["9223372036854775807", "-9223372036854775808", "9223372036854775808", "1e308", "-1e308", "4611686018427387904",
                            "99999999999999999999999999", "-0", "5e-324", "4294967296"]
            let record = Self.replacingNumbers(in: String(decoding: UnsafeRawBufferPointer(rebasing: data[2...]), as: UTF8.self),
                                               with: extremes[Int(data[1]) % extremes.count])
            let envelope = """
                {"schema_version":1,"id":"00000000000000000000000000000002","source":"fuzz.source","kind":"\(kind)","device":"d-fuzz",\
                "sensor":"0.1.0","collected_at":"2026-12-04T00:00:00.000Z","locator":{"path":"~/fuzz.jsonl","file_id":"f","offset":9223372036854775807},\
                "encoding":"json","record":\(record)}
                """
            guard let raw = RawRecord(seq: 1, json: envelope) else { return }
            var context = NormalizationContext()
            NormalizerRegistry.builtIn.normalize(raw, into: &context)
            NormalizerRegistry.builtIn.normalize(raw, into: &context)
            _ = NormalizedWriter.statements(context.batch, memories: [:])
            var sum = NormalizedReader.Tokens()
            for row in context.batch.usage {
                var tokens = NormalizedReader.Tokens()
                tokens.input = row.input
                tokens.total = row.total
                tokens.cost = row.cost
                sum.add(tokens)
                sum.add(tokens)
                _ = UsageChart.number(Double(sum.total) * 1e6)
                _ = UsageChart.niceCeiling(Double(sum.total))
            }
            _ = DisplayFormat.duration(seconds: Double(bitPattern: UInt64(data[0]) << 56 | UInt64(data[1]) << 48))
        case .redaction:
            if let redacted = Self.redactor.redact(data), JSONScanner.isValid(data) {
                precondition(JSONScanner.isValid(redacted.bytes), "redaction broke valid JSON")
            }
        }
    }
}

extension FuzzTarget {
    /// `text` with every JSON number outside strings replaced by `number`.
    static func replacingNumbers(in text: String, with number: String) -> String {
        var output = ""
        var inString = false, escaped = false
        var index = text.startIndex
        while index < text.endIndex {
            let character = text[index]
            index = text.index(after: index)
            if inString {
                output.append(character)
                if escaped { escaped = false } else if character == "\\" { escaped = true } else if character == "\"" { inString = false }
            } else if character == "-" || character.isNumber {
                while index < text.endIndex, "0123456789.eE+-".contains(text[index]) { index = text.index(after: index) }
                output += number
            } else {
                inString = character == "\""
                output.append(character)
            }
        }
        return output
    }
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ start: UnsafeRawPointer?, _ count: Int) -> CInt {
    FuzzTarget.selected.run(UnsafeRawBufferPointer(start: start, count: count))
    return 0
}

/// libFuzzer's driver, which its own `main` calls.
@_silgen_name("LLVMFuzzerRunDriver")
func LLVMFuzzerRunDriver(_ argc: UnsafeMutablePointer<CInt>, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>,
                         _ callback: @convention(c) (UnsafeRawPointer?, Int) -> CInt) -> CInt

/// The entry point SwiftPM links an executable with (it names `main` after the module, so
/// that tests can link executables): hands over to libFuzzer's driver.
@_cdecl("SensorFuzz_main")
public func sensorFuzzMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    // The built-in registry is made once per process (its mappings' decoded closures hold one
    // another); made here, before the first input, it is not taken for a leak of that input.
    _ = FuzzTarget.kinds
    var count = argc
    var arguments = argv
    return LLVMFuzzerRunDriver(&count, &arguments) { data, size in fuzzOneInput(data, size) }
}
