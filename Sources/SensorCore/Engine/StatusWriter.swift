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
    /// Answers that were not an acknowledgement (the batch was kept; see `lastError`).
    public var unexpectedAnswers: Int?
    public var bytesOnWire: Int64
    public var lastUploadAt: String?
    public var lastError: String?
    /// Config problems in force: refused server changes, invalid files (each file:line:column).
    public var configProblems: [String]?
    /// What the files of every source hold and how much of it is read, each file counted once
    /// however many sources read it (databases are counted by the rows read, as progress does).
    public var bytesTotal: Int64?
    public var bytesRead: Int64?
    public var sources: [Source]
}

/// Writes ``SensorStatus`` to `status.json`.
public actor StatusWriter {
    let url: URL
    let endpoint: String
    var perSource: [String: SensorStatus.Source] = [:]
    var lastWrite = Date.distantPast
    var lastAcknowledged = -1

    public init(stateDirectory: URL, endpoint: String) {
        url = stateDirectory.appendingPathComponent("status.json")
        self.endpoint = endpoint
    }

    /// - Parameter discovery: what the pass found (so status costs no second walk).
    public func write(config: EffectiveConfig, summary: ScanSummary, discovery: [(SourceDeclaration, [MatchedFile])],
                      shipper: Shipper, force: Bool = false) async {
        let stats = await shipper.stats
        // An idle pass changes nothing worth a rewrite more often than every 30 s.
        guard force || summary.envelopes > 0 || !summary.errors.isEmpty || stats.envelopesAcknowledged != lastAcknowledged
                || Date().timeIntervalSince(lastWrite) >= 30 else { return }
        lastWrite = Date()
        lastAcknowledged = stats.envelopesAcknowledged
        let durable = await shipper.durable
        var sources: [SensorStatus.Source] = []
        for (declaration, files) in discovery {
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
        var sizes: [FileIdentity: Int64] = [:]
        for (declaration, files) in discovery where declaration.offset == .byte || declaration.offset == .snapshot {
            for file in files { sizes[FileIdentity(device: file.stat.device, inode: file.stat.inode)] = file.stat.size }
        }
        let fileBytes = sizes.values.reduce(0, +)
        let pending = Backlog.bytes(of: discovery, state: durable)
        let status = SensorStatus(
            pid: getpid(), updatedAt: SourceScanner.timestamp(Date()), endpoint: endpoint,
            configVersion: config.settings.serverConfigVersion, envelopesAcknowledged: stats.envelopesAcknowledged,
            envelopesQuarantined: stats.envelopesQuarantined, pendingBytes: stats.bufferedBytes, batchesSent: stats.batchesSent,
            retries: stats.retries, unexpectedAnswers: stats.unexpectedAnswers, bytesOnWire: stats.bytesOnWire, lastUploadAt: stats.lastUploadAt.map(SourceScanner.timestamp),
            lastError: stats.lastError, configProblems: config.problems.map(\.description),
            bytesTotal: fileBytes, bytesRead: max(0, fileBytes - pending), sources: sources)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        if let data = try? encoder.encode(status) { try? AtomicFile.write(data, to: url, permissions: 0o644) }
    }
}
