import Benchmark
import Foundation
import Logging
import SensorCore
import SensorModel

// The stages of a backfill, each on the same 4 MiB of real Claude Code transcript lines (the
// fixtures in ../shared, repeated): one batch's worth. Beside `backfill.sh`, which measures
// the whole sensor against the peer, these say where a batch's CPU goes; compare each stage
// with "Compress" (the compressor alone) and with "Pipeline" (all stages but compression).

/// Lines of the fixtures' Claude Code transcripts, repeated to 4 MiB.
let lines: [[UInt8]] = {
    let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("../../../shared/fixtures/claude").standardized
    var files: [URL] = []
    if let walker = FileManager.default.enumerator(at: fixtures, includingPropertiesForKeys: nil) {
        for case let url as URL in walker where url.pathExtension == "jsonl" { files.append(url) }
    }
    var one: [[UInt8]] = []
    for file in files.sorted(by: { $0.path < $1.path }) {
        guard let data = try? Data(contentsOf: file) else { continue }
        one += data.split(separator: 0x0A).map(Array.init)
    }
    precondition(!one.isEmpty, "no transcripts under \(fixtures.path): the benchmarks read ../shared/fixtures")
    var result: [[UInt8]] = []
    var bytes = 0
    while bytes < 4 << 20 {
        for line in one where bytes < 4 << 20 {
            result.append(line)
            bytes += line.count + 1
        }
    }
    return result
}()

/// The same lines as one JSONL file's bytes.
let jsonl: [UInt8] = lines.flatMap { $0 + [0x0A] }

/// Envelope chunks are dropped as they come.
final class DiscardingSink: ChunkSink {
    var envelopes = 0
    func accept(_ chunk: EnvelopeChunk) async throws { envelopes += chunk.count }
}

let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(
        // One thread each, so wall clock is CPU time (whose counter here ticks in 10 ms).
        metrics: [.wallClock, .mallocCountTotal],
        maxDuration: .seconds(3),
        maxIterations: 100
    )

    Benchmark("Compress: a 4 MiB batch, igzip level 2") { benchmark in
        let compressor = BatchCompressor(level: 2)
        benchmark.startMeasurement()
        blackHole(jsonl.withUnsafeBytes { compressor.compress($0) }.readableBytes)
    }

    Benchmark("Redaction: 4 MiB of lines, built-in rules, no secret") { benchmark in
        let redactor = Redactor(settings: SensorSettings())
        benchmark.startMeasurement()
        for line in lines {
            blackHole(line.withUnsafeBytes { redactor.redact($0) } == nil)
        }
    }

    Benchmark("JSON validation: 4 MiB of lines") { _ in
        for line in lines {
            blackHole(JSONScanner.isValid(line))
        }
    }

    Benchmark("Record ids: SHA-256 over 4 MiB of lines") { _ in
        var offset: Int64 = 0
        for line in lines {
            var id = RecordID(device: "d-bench", scope: "0123456789abcdef0123456789abcdef")
            id.update(offset)
            line.withUnsafeBytes { id.update($0) }
            blackHole(id.finalize())
            offset += Int64(line.count + 1)
        }
    }

    Benchmark("Pipeline: a 4 MiB JSONL file read into envelopes (no compression)") { benchmark in
        let home = FileManager.default.temporaryDirectory.appendingPathComponent("hot-path-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: home) }
        let sources = home.appendingPathComponent(".sources")
        try FileManager.default.createDirectory(at: sources, withIntermediateDirectories: true)
        try FileManager.default.createDirectory(at: home.appendingPathComponent("logs"), withIntermediateDirectories: true)
        try """
        sources:
          - {id: bench.transcripts, kind: bench.transcript, roots: {default: ["~/logs"]}, include: ["*.jsonl"], format: jsonl, offset: byte}
        """.write(to: sources.appendingPathComponent("bench.yaml"), atomically: true, encoding: .utf8)
        try Data(jsonl).write(to: home.appendingPathComponent("logs/session.jsonl"))
        var loader = ConfigLoader()
        loader.sourceDirectories = [sources]
        let config = loader.load()
        precondition(config.problems.isEmpty, "\(config.problems)")
        let template = PathTemplate(home: home.path, environment: [:])

        benchmark.startMeasurement()
        let scanner = SourceScanner(config: config, template: template, device: "d-bench", sensorVersion: "bench",
                                    state: CheckpointState(), logger: Logger(label: "bench"))
        let sink = DiscardingSink()
        try await scanner.scan(into: sink)
        benchmark.stopMeasurement()
        precondition(sink.envelopes == lines.count, "\(sink.envelopes) envelopes for \(lines.count) lines")
    }
}
