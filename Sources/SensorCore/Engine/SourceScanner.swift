import Foundation
import Logging
import SensorModel

/// Where chunks of envelopes go: standard output, a file, or the uploader. `accept` may wait
/// (a full upload buffer), which pauses reading; nothing is dropped.
public protocol ChunkSink: AnyObject {
    func accept(_ chunk: EnvelopeChunk) async throws
}

/// What one pass found and read, per source.
public struct ScanSummary: Sendable {
    public struct Source: Sendable {
        public var files = 0
        public var envelopes = 0
        public var inputBytes: Int64 = 0
        public var errors: [String] = []
    }

    public var sources: [String: Source] = [:]
    /// Something was being written during the pass: another pass should follow soon.
    public var unsettled = false

    public var envelopes: Int { sources.values.reduce(0) { $0 + $1.envelopes } }
    public var inputBytes: Int64 { sources.values.reduce(0) { $0 + $1.inputBytes } }
    public var errors: [String] { sources.values.flatMap(\.errors) }
}

/// One pass over every runnable source: discover files, read what is new, hand chunks to the
/// sink. The engine knows no tool: everything it does is said by the declarations.
public final class SourceScanner {
    public let config: EffectiveConfig
    public let template: PathTemplate
    public let device: String
    public let sensorVersion: String
    public let logger: Logger
    public var chunkBytes = 1 << 20
    public var chunkRecords = Int.max
    /// Chunk memory handed back by the sink once delivered (see ``BufferRecycler``).
    public var recycler: BufferRecycler?
    /// Where records too large to hold in memory are spooled until delivered.
    public var spoolDirectory: URL?
    /// Records longer than this are spooled (when there is a spool directory).
    public var spoolThreshold = 4 << 20
    /// Envelopes name the redaction rules that replaced something (`flags.redacted_by`); off
    /// for a server that has not said it takes the field.
    public var namesRedactionRules = true
    let redactor: Redactor

    /// Read-ahead state: every chunk read is applied here at once, so a later pass (or a later
    /// chunk of the same file) continues after it. What is durable is the sink's business.
    public var state: CheckpointState

    public init(config: EffectiveConfig, template: PathTemplate, device: String, sensorVersion: String,
                state: CheckpointState, logger: Logger) {
        self.config = config
        self.template = template
        self.device = device
        self.sensorVersion = sensorVersion
        self.state = state
        self.logger = logger
        self.redactor = Redactor(settings: config.settings)
    }

    /// Directories the last discovery listed: what a file watcher should watch.
    public private(set) var listedDirectories: Set<String> = []
    /// What the last discovery found.
    public private(set) var lastDiscovery: [(SourceDeclaration, [MatchedFile])] = []

    /// Files each runnable source matches now.
    public func discover() -> [(SourceDeclaration, [MatchedFile])] {
        let finder = FileFinder(template: template)
        var directories: Set<String>? = []
        var previousCounts: [String: Int] = [:]
        for (declaration, files) in lastDiscovery { previousCounts[declaration.id] = files.count }
        let optOut = OptOut(config.settings.optOutPaths, template: template)
        let declarations = config.runnableSources
        let matched = finder.files(for: declarations, directories: &directories, expected: previousCounts)
        let found = zip(declarations, matched).map { declaration, files in
            (declaration, optOut.isEmpty ? files : files.filter { !optOut.covers($0.path) })
        }
        listedDirectories = directories ?? []
        lastDiscovery = found
        return found
    }

    /// The files of the last discovery that `changed` names, stat'ed afresh: what a pass needs
    /// to read when file events say only these files' contents changed. A file also counts as
    /// changed when a sidecar of it did (a database's `-wal` or `-shm` file).
    public func changedFiles(_ changed: Set<String>) -> [(SourceDeclaration, [MatchedFile])] {
        guard !changed.isEmpty else { return [] }
        let owners = Set(changed.map { path -> String in
            guard let slash = path.lastIndex(of: "/"), let dash = path[slash...].lastIndex(of: "-") else { return path }
            return String(path[..<dash])
        })
        return lastDiscovery.compactMap { declaration, files in
            let touched = files.compactMap { file -> MatchedFile? in
                guard changed.contains(file.path) || owners.contains(file.path),
                      let stat = FileStat(path: file.path, followSymlinks: declaration.followSymlinks), stat.isRegularFile
                else { return nil }
                return MatchedFile(path: file.path, stat: stat)
            }
            return touched.isEmpty ? nil : (declaration, touched)
        }
    }

    /// Reads everything new once.
    @discardableResult
    public func scan(into sink: any ChunkSink, sources: [(SourceDeclaration, [MatchedFile])]? = nil) async throws -> ScanSummary {
        var summary = ScanSummary()
        let now = Date().timeIntervalSince1970
        let collectedAt = Self.timestamp(Date())
        let passSources = sources ?? discover()
        // Databases that more than one source reads: a row two of them select is sent once.
        var readers: [FileIdentity: Int] = [:]
        for (declaration, files) in passSources where declaration.format == .sqlite {
            for file in files { readers[FileIdentity(device: file.stat.device, inode: file.stat.inode), default: 0] += 1 }
        }
        let shared = Set(readers.filter { $0.value > 1 }.keys)
        let sharedRows = shared.isEmpty ? nil : SharedRows(files: shared)
        for (declaration, files) in passSources {
            guard let plugin = FormatRegistry.plugin(for: declaration.format) else {
                summary.sources[declaration.id, default: .init()].errors.append("no reader for format \(declaration.format)")
                continue
            }
            var writer = EnvelopeWriter(source: declaration.id, kind: declaration.kind, device: device,
                                        sensorVersion: sensorVersion, collectedAt: collectedAt)
            writer.namesRedactionRules = namesRedactionRules
            var context = ReadContext(declaration: declaration, writer: writer, redactor: redactor, home: template.home,
                                      now: now, chunkBytes: chunkBytes)
            context.chunkRecords = chunkRecords
            context.recycler = recycler
            context.spoolDirectory = spoolDirectory
            context.spoolThreshold = spoolThreshold
            context.sharedRows = sharedRows
            summary.sources[declaration.id, default: .init()].files = files.count
            for file in files {
                try Task.checkCancellation()
                do {
                    guard let reader = try plugin.makeReader(file: file, context: context, state: state) else { continue }
                    while let chunk = try reader.next(state: state) {
                        if let update = chunk.update { state.apply(update) }
                        if chunk.unsettled { summary.unsettled = true }
                        summary.sources[declaration.id, default: .init()].envelopes += chunk.count
                        summary.sources[declaration.id, default: .init()].inputBytes += chunk.inputBytes
                        try await sink.accept(chunk)
                    }
                } catch let error as ReadError {
                    summary.sources[declaration.id, default: .init()].errors.append(error.description)
                    logger.log(level: error.isTransient ? .info : .warning, "cannot read; will retry next cycle",
                               metadata: ["source": "\(declaration.id)", "path": "\(file.path)", "reason": "\(error.reason)"])
                }
            }
        }
        return summary
    }

    /// RFC 3339 UTC with milliseconds.
    public static func timestamp(_ date: Date) -> String {
        var time = time_t(date.timeIntervalSince1970)
        var parts = tm()
        gmtime_r(&time, &parts)
        let milliseconds = Int((date.timeIntervalSince1970 - Double(time)) * 1000) % 1000
        return String(format: "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", Int(parts.tm_year) + 1900, Int(parts.tm_mon) + 1,
                      Int(parts.tm_mday), Int(parts.tm_hour), Int(parts.tm_min), Int(parts.tm_sec), milliseconds)
    }
}
