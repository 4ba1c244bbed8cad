import Access
import Explorer
import IngestStore
import Normalization
import Crypto
import Foundation
import Logging
import SensorModel

/// The server's layer of sensor config, as served by `GET /api/v1/sensor-config`.
///
/// Read from one file or a directory of `*.yaml`, `*.yml` and `*.json` files that the operator
/// edits; the files are merged (top-level fields: later file, by name, wins; `sources` lists are
/// concatenated) into one JSON document with an ETag (a hash of the document). ``reload()``
/// re-reads only when a file changed (names, sizes, modification times). Every file is
/// validated; an invalid edit is refused (and logged) and the previous document keeps being
/// served.
public actor ServerConfigProvider {
    /// The served document.
    public struct Document: Sendable, Equatable {
        public var json: [UInt8]
        /// Quoted, as the `ETag` header carries it.
        public var etag: String
        /// The detached Ed25519 signature of `json` (base64), when the server signs its documents.
        public var signature: String?

        init(json: [UInt8], signingKey: Curve25519.Signing.PrivateKey? = nil) {
            self.json = json
            etag = "\"" + Hex.lowercase(SHA256.hash(data: json).prefix(16)) + "\""
            signature = signingKey.flatMap { try? ServerConfigSignature.sign(Data(json), with: $0) }
        }

        public static let empty = Document(json: Array("{}".utf8))
    }

    /// Problems of one document (its bytes, its file name), each `file:line:column: field: reason`.
    public typealias Validator = @Sendable (_ document: Data, _ origin: String) -> [String]

    let location: URL?
    let validate: Validator
    let logger: Logger
    public private(set) var document = Document.empty
    /// Per tenant (by name), the document with its folder layered over the default one.
    private var tenantDocuments: [String: Document] = [:]
    private var fingerprint: String?
    /// The problems of the files as they are now (empty when what is served is what is on disk).
    public private(set) var problems: [String] = []

    /// - Parameters:
    ///   - location: a file or a directory; nil serves an empty document.
    ///   - validate: the schema check for one document (the CLI passes SensorModel's).
    let signingKey: Curve25519.Signing.PrivateKey?

    ///   - signingKey: signs every served document (`Sensor-Config-Signature`), for sensors
    ///     whose local policy pins its public key.
    public init(location: URL?, logger: Logger, signingKey: Curve25519.Signing.PrivateKey? = nil,
                validate: @escaping Validator) {
        self.location = location
        self.logger = logger
        self.validate = validate
        self.signingKey = signingKey
        if let signingKey { document = Document(json: Document.empty.json, signingKey: signingKey) }
    }

    /// Re-reads the files when they changed. Returns the problems found: when there are any,
    /// the previous document is still the one served.
    @discardableResult
    public func reload() -> [String] {
        guard let location else { return [] }
        let files: [URL]
        var tenantFiles: [String: [URL]] = [:]
        do {
            files = try Self.files(at: location)
            for tenant in Self.tenantFolders(at: location) {
                tenantFiles[tenant] = try Self.files(at: location.appendingPathComponent(tenant))
            }
        } catch {
            return refuse(["\(location.path): cannot be read (\(error.localizedDescription))"], fingerprint: nil)
        }
        let stamp = FileFingerprint.of(files + tenantFiles.keys.sorted().flatMap { tenantFiles[$0]! })
        guard stamp != fingerprint else { return problems }

        var found: [String] = []
        let base = layer(files, problems: &found)
        var documents: [String: Document] = [:]
        var next: Document?
        if let json = Self.json(Self.merged([base])) { next = Document(json: Array(json), signingKey: signingKey) }
        for (tenant, tenantLayer) in tenantFiles {
            let layered = layer(tenantLayer, problems: &found)
            if let json = Self.json(Self.merged([base, layered])) {
                documents[tenant] = Document(json: Array(json), signingKey: signingKey)
            }
        }
        guard found.isEmpty, let next else {
            return refuse(found.isEmpty ? ["\(location.path): cannot be served as JSON"] : found, fingerprint: stamp)
        }
        fingerprint = stamp
        problems = []
        tenantDocuments = documents
        if next != document {
            document = next
            logger.info("sensor-config loaded", metadata: ["etag": "\(next.etag)", "files": "\(files.count)",
                                                          "bytes": "\(next.json.count)", "tenants": "\(documents.count)"])
        }
        return []
    }

    /// The document a tenant's sensors get: the default layer with `DIR/<tenant>/` over it.
    public func document(forTenant name: String) -> Document {
        tenantDocuments[name] ?? document
    }

    /// The top-level mappings of `files`, in order; their problems go to `problems`.
    private func layer(_ files: [URL], problems found: inout [String]) -> [[String: Any]] {
        var objects: [[String: Any]] = []
        for file in files {
            guard let data = FileManager.default.contents(atPath: file.path) else {
                found.append("\(file.path): cannot be read")
                continue
            }
            let fileProblems = validate(data, file.path)
            guard fileProblems.isEmpty else {
                found += fileProblems
                continue
            }
            do {
                let node = try ConfigParser.parse(String(decoding: data, as: UTF8.self), file: file.path)
                guard let object = node.plain as? [String: Any] else {
                    found.append("\(file.path):1:1: : the document must be a mapping")
                    continue
                }
                objects.append(object)
            } catch {
                found.append(error.description)
            }
        }
        return objects
    }

    /// Layers merged: a later file's top-level fields replace an earlier one's; `sources` are
    /// collected, and a later entry with an id seen before is merged over it field by field.
    static func merged(_ layers: [[[String: Any]]]) -> [String: Any] {
        var merged: [String: Any] = [:]
        var sources: [[String: Any]] = []
        for object in layers.joined() {
            for (key, value) in object {
                guard key == "sources", let list = value as? [Any] else {
                    merged[key] = value
                    continue
                }
                for case let source as [String: Any] in list {
                    if let id = source["id"] as? String, let index = sources.firstIndex(where: { $0["id"] as? String == id }) {
                        sources[index].merge(source) { _, later in later }
                    } else {
                        sources.append(source)
                    }
                }
            }
        }
        if !sources.isEmpty { merged["sources"] = sources }
        return merged
    }

    static func json(_ object: [String: Any]) -> Data? {
        try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes])
    }

    /// The folders of a config directory named like tenants: each a layer over the files beside it.
    static func tenantFolders(at location: URL) -> [String] {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: location.path, isDirectory: &isDirectory), isDirectory.boolValue else { return [] }
        return ((try? FileManager.default.contentsOfDirectory(atPath: location.path)) ?? []).filter { name in
            var folder: ObjCBool = false
            return !name.hasPrefix(".") && name != mappingFolder
                && FileManager.default.fileExists(atPath: location.appendingPathComponent(name).path, isDirectory: &folder)
                && folder.boolValue
        }.sorted()
    }

    /// The folder of a config directory holding the operator's normaliser mappings (not a tenant).
    public static let mappingFolder = "normalizers.d"

    /// That folder, when `location` is a directory that has one.
    public static func mappingDirectory(in location: URL?) -> URL? {
        guard let folder = location?.appendingPathComponent(mappingFolder) else { return nil }
        var isDirectory: ObjCBool = false
        return FileManager.default.fileExists(atPath: folder.path, isDirectory: &isDirectory) && isDirectory.boolValue ? folder : nil
    }

    private func refuse(_ found: [String], fingerprint stamp: String?) -> [String] {
        // Remember the stamp: the same broken files are reported once, not every second.
        if stamp != fingerprint || found != problems {
            for problem in found {
                logger.error("sensor-config edit refused, the previous config is still served", metadata: ["problem": "\(problem)"])
            }
        }
        fingerprint = stamp
        problems = found
        return found
    }

    /// The config files: `location` itself, or the visible YAML and JSON files in it, by name.
    static func files(at location: URL) throws -> [URL] {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: location.path, isDirectory: &isDirectory) else {
            throw CocoaError(.fileNoSuchFile)
        }
        guard isDirectory.boolValue else { return [location] }
        return try FileManager.default.contentsOfDirectory(atPath: location.path)
            .filter { name in !name.hasPrefix(".") && [".yaml", ".yml", ".json"].contains { name.hasSuffix($0) } }
            .sorted()
            .map { location.appendingPathComponent($0) }
    }

}
