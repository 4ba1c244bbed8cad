import Foundation
import Access
import Explorer
import IngestCore
import IngestStore
import Normalization
import SensorTestSupport

/// A real SQLite store fed with envelopes built as the sensor builds them (one per line, one
/// per row), normalised by the real ``Normalizer``; read back through ``NormalizedReader``.
final class NormalizingHarness {
    let directory: URL
    let store: SQLiteStore
    let normalizer: Normalizer
    let reader: NormalizedReader
    let device = "d-test"
    private var sequence = 0

    init(registry: NormalizerRegistry = .builtIn) async throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("normalizing-\(UUID().uuidString)")
        store = try SQLiteStore(path: directory.appendingPathComponent("ingest.db").path)
        try await store.migrate()
        normalizer = Normalizer(store: store, registry: registry)
        reader = NormalizedReader(store: store)
    }

    deinit { try? FileManager.default.removeItem(at: directory) }

    static func fixture(_ path: String) throws -> URL {
        try SharedFolder.require("fixtures/" + path)
    }

    /// One envelope for each line of `text`, as a JSONL source sends them: `path` is where the
    /// file lives, `fileID` its first-line fingerprint.
    func ingestLines(_ text: String, path: String, source: String, kind: String, fileID: String? = nil) async throws {
        var offset = 0
        var envelopes: [String] = []
        let fileID = fileID ?? String(text.prefix { $0 != "\n" }.hashValue, radix: 16)
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            defer { offset += line.utf8.count + 1 }
            guard !line.isEmpty else { continue }
            let isJSON = (try? JSONSerialization.jsonObject(with: Data(line.utf8), options: [.fragmentsAllowed])) != nil
            let record = isJSON ? String(line) : Self.quoted(String(line))
            envelopes.append(envelope(source: source, kind: kind,
                                      locator: #"{"path":\#(Self.quoted(path)),"file_id":"\#(fileID)","offset":\#(offset),"length":\#(line.utf8.count)}"#,
                                      encoding: isJSON ? "json" : "text", record: record))
        }
        try await store(envelopes)
    }

    func ingestFile(_ fixture: String, path: String, source: String, kind: String, fileID: String? = nil) async throws {
        try await ingestLines(String(contentsOf: Self.fixture(fixture), encoding: .utf8), path: path, source: source, kind: kind,
                              fileID: fileID)
    }

    /// One envelope for a whole document, as a snapshot source sends it (again whenever it
    /// changes): its `file_id` is its content hash.
    func ingestDocument(_ text: String, path: String, source: String, kind: String) async throws {
        let hash = String(UInt64(bitPattern: Int64(text.hashValue)), radix: 16)
        try await store([envelope(source: source, kind: kind,
                                  locator: #"{"path":\#(Self.quoted(path)),"file_id":"\#(hash)","offset":0,"length":\#(text.utf8.count)}"#,
                                  encoding: "json", record: text)])
    }

    /// One envelope for an SQL row: `columns` is the row's JSON object, `encodings` how each is encoded.
    func ingestRow(_ columns: String, encodings: String, path: String, cursor: Int, source: String, kind: String) async throws {
        try await store([envelope(source: source, kind: kind, locator: #"{"path":\#(Self.quoted(path)),"cursor":\#(cursor)}"#,
                                  encoding: "row", record: columns, extra: #","columns":\#(encodings)"#)])
    }

    func normalize() async throws {
        try await normalizer.catchUp()
    }

    /// All sessions of `tool`.
    func sessions(_ tool: String) async throws -> [NormalizedReader.Session] {
        try await reader.sessions(.init(tool: tool, includeEmpty: true), limit: 1000).sessions
    }

    func session(_ tool: String, _ nativeID: String) async throws -> NormalizedReader.SessionDetail? {
        guard let summary = try await sessions(tool).first(where: { $0.nativeId == nativeID }) else { return nil }
        return try await reader.session(id: summary.id)
    }

    private func envelope(source: String, kind: String, locator: String, encoding: String, record: String, extra: String = "") -> String {
        sequence += 1
        let hex = String(sequence, radix: 16)
        let id = String(repeating: "0", count: 32 - hex.count) + hex
        return """
            {"schema_version":1,"id":"\(id)","source":"\(source)","kind":"\(kind)","device":"\(device)","sensor":"0.1.0",\
            "collected_at":"2026-11-24T19:02:03.120Z","locator":\(locator),"encoding":"\(encoding)","record":\(record)\(extra)}
            """
    }

    private func store(_ envelopes: [String]) async throws {
        let valid = envelopes.map { json -> ValidEnvelope in
            let object = try! JSONSerialization.jsonObject(with: Data(json.utf8)) as! [String: Any]
            return ValidEnvelope(id: object["id"] as! String, source: object["source"] as! String, kind: object["kind"] as! String,
                                 device: object["device"] as! String, json: json)
        }
        _ = try await store.insert(valid, from: BatchOrigin(tokenID: 1, batchID: UUID().uuidString))
    }

    static func quoted(_ string: String) -> String {
        String(decoding: try! JSONSerialization.data(withJSONObject: string, options: [.fragmentsAllowed]), as: UTF8.self)
    }
}
