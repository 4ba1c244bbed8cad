import Foundation
import SensorModel

/// What `sensor status` reads while `sensor run` is running: a small JSON file in the state
/// directory, rewritten atomically after every pass.
public struct SensorStatus: Codable, Sendable {
    public struct Source: Codable, Sendable {
        public var id: String
        public var files: Int
        public var bytesTotal: Int64
        public var bytesRead: Int64
        public var lastPassEnvelopes: Int
        public var lastError: String?
    }

    public var pid: Int32
    public var updatedAt: String
    public var endpoint: String
    public var configVersion: String?
    public var envelopesAcknowledged: Int
    public var envelopesQuarantined: Int
    public var pendingBytes: Int
    public var batchesSent: Int
    public var retries: Int
    public var bytesOnWire: Int64
    public var lastUploadAt: String?
    public var lastError: String?
    public var sources: [Source]
}

/// Writes ``SensorStatus`` to `status.json`.
public actor StatusWriter {
    let url: URL
    let endpoint: String
    let template: PathTemplate
    var perSource: [String: SensorStatus.Source] = [:]

    public init(stateDirectory: URL, endpoint: String, template: PathTemplate) {
        url = stateDirectory.appendingPathComponent("status.json")
        self.endpoint = endpoint
        self.template = template
    }

    public func write(config: EffectiveConfig, summary: ScanSummary, shipper: Shipper) async {
        let stats = await shipper.stats
        let durable = await shipper.durable
        let finder = FileFinder(template: template)
        var sources: [SensorStatus.Source] = []
        for declaration in config.runnableSources {
            let files = finder.files(for: declaration)
            let total = files.reduce(Int64(0)) { $0 + $1.stat.size }
            let backlog = Backlog.bytes(of: [(declaration, files)], state: durable)
            var entry = perSource[declaration.id] ?? SensorStatus.Source(id: declaration.id, files: 0, bytesTotal: 0, bytesRead: 0,
                                                                          lastPassEnvelopes: 0, lastError: nil)
            entry.files = files.count
            entry.bytesTotal = total
            entry.bytesRead = max(0, total - backlog)
            if let pass = summary.sources[declaration.id] {
                entry.lastPassEnvelopes = pass.envelopes
                entry.lastError = pass.errors.last ?? entry.lastError
            }
            perSource[declaration.id] = entry
            sources.append(entry)
        }
        let status = SensorStatus(
            pid: getpid(), updatedAt: SourceScanner.timestamp(Date()), endpoint: endpoint,
            configVersion: config.settings.serverConfigVersion, envelopesAcknowledged: stats.envelopesAcknowledged,
            envelopesQuarantined: stats.envelopesQuarantined, pendingBytes: stats.bufferedBytes, batchesSent: stats.batchesSent,
            retries: stats.retries, bytesOnWire: stats.bytesOnWire, lastUploadAt: stats.lastUploadAt.map(SourceScanner.timestamp),
            lastError: stats.lastError, sources: sources)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        if let data = try? encoder.encode(status) { try? AtomicFile.write(data, to: url, permissions: 0o644) }
    }
}
