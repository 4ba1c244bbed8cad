import Crypto
import Foundation
import Logging
import SensorModel

/// The server's layer of sensor config: read from a file or a directory of YAML/JSON files the
/// operator edits, validated against `schemas/sensor-config.schema.json`, served as one JSON
/// document with an ETag. An invalid edit is refused and the previous document stays served.
public actor ServerConfigProvider {
    public struct Document: Sendable {
        public var json: [UInt8]
        public var etag: String
    }

    let location: URL?
    let validate: @Sendable (Data, String) -> [String]
    let logger: Logger
    private(set) var current: Document
    private var fingerprint = ""
    public private(set) var lastProblems: [String] = []

    /// - Parameter validate: problems of one document (`file:line:column: field: reason`).
    public init(location: URL?, logger: Logger,
                validate: @escaping @Sendable (Data, String) -> [String] = ConfigLoader.validateServerDocument) {
        self.location = location
        self.logger = logger
        self.validate = validate
        self.current = Self.document(json: Array("{}".utf8))
    }

    public func document() -> Document { current }

    /// Re-reads the files when they changed; returns the problems of a refused edit.
    @discardableResult
    public func reload() -> [String] {
        guard let location else { return [] }
        let files = Self.files(at: location)
        let stamp = files.map { file -> String in
            let attributes = try? FileManager.default.attributesOfItem(atPath: file.path)
            return "\(file.path):\((attributes?[.modificationDate] as? Date)?.timeIntervalSince1970 ?? 0):\(attributes?[.size] ?? 0)"
        }.joined(separator: "|")
        guard stamp != fingerprint else { return lastProblems }
        fingerprint = stamp
        var merged: [String: Any] = [:]
        var sources: [Any] = []
        var problems: [String] = []
        for file in files {
            guard let data = FileManager.default.contents(atPath: file.path) else {
                problems.append("\(file.path): cannot read")
                continue
            }
            let fileProblems = validate(data, file.path)
            if !fileProblems.isEmpty {
                problems += fileProblems
                continue
            }
            guard let text = String(data: data, encoding: .utf8),
                  let node = try? ConfigParser.parse(text, file: file.path),
                  let object = node.plain as? [String: Any] else { continue }
            for (key, value) in object {
                if key == "sources", let list = value as? [Any] { sources += list } else { merged[key] = value }
            }
        }
        lastProblems = problems
        guard problems.isEmpty else {
            for problem in problems { logger.error("sensor-config edit refused; the previous one stays served: \(problem)") }
            return problems
        }
        if !sources.isEmpty { merged["sources"] = sources }
        let json = (try? JSONSerialization.data(withJSONObject: merged, options: [.sortedKeys])).map(Array.init) ?? Array("{}".utf8)
        let document = Self.document(json: json)
        if document.etag != current.etag {
            current = document
            logger.notice("sensor-config loaded", metadata: ["etag": "\(document.etag)", "files": "\(files.count)"])
        }
        return []
    }

    static func document(json: [UInt8]) -> Document {
        Document(json: json, etag: "\"" + SHA256.hash(data: json).prefix(12).map { String(format: "%02x", $0) }.joined() + "\"")
    }

    static func files(at location: URL) -> [URL] {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: location.path, isDirectory: &isDirectory) else { return [] }
        guard isDirectory.boolValue else { return [location] }
        let names = (try? FileManager.default.contentsOfDirectory(atPath: location.path)) ?? []
        return names.filter { [".yaml", ".yml", ".json"].contains(where: $0.hasSuffix) && !$0.hasPrefix(".") }
            .sorted().map { location.appendingPathComponent($0) }
    }
}
