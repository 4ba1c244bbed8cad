import Foundation
import Logging
import SensorModel

/// Runs the sensor against an ingest server: one backfill pass (`scan --endpoint`) or for
/// ever (`run`), with the server's config layer refreshed and checkpoints committed only on
/// acknowledgement.
public final class SensorRunner: @unchecked Sendable {
    public struct Options: Sendable {
        public var stateDirectory: URL
        public var checkpointURL: URL
        public var showProgress = true
        /// Seconds between passes in `run` (default: the smallest poll interval of the sources).
        public var pollInterval: Double?
        /// How long a shutdown may spend flushing what is in flight.
        public var shutdownGrace: Double = 4
        /// Seconds between safety-net passes while file events watch every directory.
        public var safetyNetInterval: Double = 60
        /// Local declaration directories: a change there is applied between two passes.
        public var declarationDirectories: [URL] = []
        /// The Ed25519 key the local policy pins: the server's document must be signed with it.
        public var serverConfigPublicKey: String?

        public init(stateDirectory: URL, checkpointURL: URL) {
            self.stateDirectory = stateDirectory
            self.checkpointURL = checkpointURL
        }
    }

    let options: Options
    let template: PathTemplate
    let identity: SensorIdentity
    let client: IngestClient
    let logger: Logger
    /// Builds the effective config over a server document (or none).
    let makeConfig: @Sendable ((data: Data, origin: String)?) throws -> EffectiveConfig
    let cache: ServerConfigCache
    let store: CheckpointStore
    private let active = ActiveShipper()
    /// Chunk memory going round between the readers and the shipper.
    private let recycler = BufferRecycler()
    private let spoolDirectory: URL

    public init(options: Options, template: PathTemplate, identity: SensorIdentity, client: IngestClient, logger: Logger,
                makeConfig: @escaping @Sendable ((data: Data, origin: String)?) throws -> EffectiveConfig) {
        self.options = options
        self.template = template
        self.identity = identity
        self.client = client
        self.logger = logger
        self.makeConfig = makeConfig
        self.cache = ServerConfigCache(directory: options.stateDirectory, publicKey: options.serverConfigPublicKey)
        self.store = CheckpointStore(url: options.checkpointURL)
        self.spoolDirectory = SpoolDirectory.prepare(stateDirectory: options.stateDirectory)
    }

    /// A scanner whose chunks fit in a batch.
    func makeScanner(config: EffectiveConfig, state: CheckpointState) -> SourceScanner {
        let scanner = SourceScanner(config: config, template: template, device: identity.device,
                                    sensorVersion: SensorIdentity.version, state: state, logger: logger)
        scanner.chunkBytes = min(1 << 20, config.settings.upload.batchMaxBytes)
        scanner.chunkRecords = config.settings.upload.batchMaxRecords
        scanner.recycler = recycler
        scanner.spoolDirectory = spoolDirectory
        scanner.namesRedactionRules = client.acceptsRuleNames
        return scanner
    }

    func makeShipper(settings config: EffectiveConfig, state: CheckpointState, oneShot: Bool) -> Shipper {
        var settings = Shipper.Settings()
        let upload = config.settings.upload
        settings.bufferBytes = upload.bufferBytes
        settings.batchMaxRecords = upload.batchMaxRecords
        settings.batchMaxBytes = upload.batchMaxBytes
        settings.batchMaxAge = Double(upload.batchMaxAgeMilliseconds) / 1000
        settings.gzipLevel = upload.gzipLevel
        settings.zstdLevel = upload.zstdLevel
        settings.failOnUnauthorized = oneShot
        settings.failOnUnexpected = oneShot
        return Shipper(settings: settings, transport: client, identity: identity, state: state, store: store,
                       quarantineURL: QuarantineFile(stateDirectory: options.stateDirectory).url,
                       audit: AuditLog(stateDirectory: options.stateDirectory, endpoint: client.endpoint.base.absoluteString), logger: logger,
                       recycler: recycler)
    }

    /// One pass; returns when everything read was acknowledged (or throws).
    public func runOnce() async throws -> (ScanSummary, ShippingStats) {
        do {
            let result = try await passOnce()
            await client.shutdown()
            return result
        } catch {
            await client.shutdown()
            throw error
        }
    }

    private func passOnce() async throws -> (ScanSummary, ShippingStats) {
        let (document, rejected) = await cache.refresh(using: client, logger: logger)
        var config = try makeConfig(document)
        config.problems += rejected
        for problem in config.problems { logger.error("\(problem.description)") }
        let state = store.load(logger: logger)
        let scanner = makeScanner(config: config, state: state)
        let shipper = makeShipper(settings: config, state: state, oneShot: true)
        let sources = scanner.discover()
        let display = options.showProgress ? ProgressDisplay(totalBytes: Backlog.bytes(of: sources, state: state)) : nil
        let progress = Task {
            while !Task.isCancelled {
                let stats = await shipper.stats
                display?.update(doneBytes: stats.inputBytesAcknowledged, discoveredBytes: stats.discoveredInputBytes,
                                envelopes: stats.envelopesAcknowledged)
                try? await Task.sleep(nanoseconds: 200_000_000)
            }
        }
        defer { progress.cancel() }
        let summary = try await scanner.scan(into: shipper, sources: sources)
        try await shipper.flush()
        let stats = await shipper.stats
        display?.update(doneBytes: stats.inputBytesAcknowledged, discoveredBytes: stats.discoveredInputBytes,
                        envelopes: stats.envelopesAcknowledged, finished: true)
        await shipper.stop()
        return (summary, stats)
    }

    /// Passes for ever, until `isStopping` says so; then flushes within the grace period,
    /// saves checkpoints and returns.
    /// Names, sizes and mtimes of the declaration files: changes when one is edited, added or removed.
    static func fingerprint(_ directories: [URL]) -> String {
        directories.map { directory in
            let names = ((try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []).sorted()
            return names.map { name in
                let stat = FileStat(path: directory.appendingPathComponent(name).path)
                return "\(name):\(stat?.size ?? -1):\(stat?.modified ?? 0)"
            }.joined(separator: ",")
        }.joined(separator: "|")
    }

    /// Asks a running ``runForever`` to stop: readers waiting for upload room are released at once.
    public func requestStop() {
        if let shipper = active.get() { Task { await shipper.close() } }
    }

    public func runForever(status: StatusWriter? = nil, wakeups: WakeSignal? = nil, metrics: SensorMetrics? = nil,
                           isStopping: @escaping @Sendable () -> Bool) async throws {
        do {
            try await loop(status: status, wakeups: wakeups, metrics: metrics, isStopping: isStopping)
            await client.shutdown()
        } catch {
            await client.shutdown()
            throw error
        }
    }

    private func loop(status: StatusWriter?, wakeups: WakeSignal?, metrics: SensorMetrics?,
                      isStopping: @escaping @Sendable () -> Bool) async throws {
        var (document, rejected) = await cache.refresh(using: client, logger: logger)
        var config = try makeConfig(document)
        config.problems += rejected
        for problem in config.problems { logger.error("\(problem.description)") }
        var state = store.load(logger: logger)
        let shipper = makeShipper(settings: config, state: state, oneShot: false)
        active.set(shipper)
        var scanner = makeScanner(config: config, state: state)
        var lastConfigFetch = Date()
        var lastForget = Date.distantPast
        var lastDeclarations = Self.fingerprint(options.declarationDirectories)
        let events = wakeups.flatMap { FileEvents.make(wake: $0, logger: logger) }
        defer { events?.stop() }
        // A full pass lists every directory and stats every file; between two, while events
        // watch every directory and say only file contents changed, a pass reads just those.
        var fullPassDue = true
        var lastFullPass = Date()
        // A database read while it was being written: a full pass follows by then, whatever
        // targeted passes file events bring first.
        var settleFollowUp: Date?
        logger.notice("sensor running", metadata: ["sources": "\(config.runnableSources.count)", "endpoint": "\(client.endpoint.base)"])

        while !isStopping() {
            let declarations = Self.fingerprint(options.declarationDirectories)
            if declarations != lastDeclarations {
                lastDeclarations = declarations
                // Sources with problems are skipped by the new config; the others go on.
                if let newConfig = try? makeConfig(document) {
                    for problem in newConfig.problems { logger.error("\(problem.description)") }
                    if newConfig.sources != config.sources || newConfig.settings != config.settings {
                        config = newConfig
                        scanner = makeScanner(config: config, state: scanner.state)
                        fullPassDue = true
                        logger.notice("declarations reloaded", metadata: ["sources": "\(config.runnableSources.count)"])
                    }
                }
            }
            if Date().timeIntervalSince(lastConfigFetch) >= config.settings.upload.configPollInterval {
                lastConfigFetch = Date()
                let (refreshed, rejected) = await cache.refresh(using: client, logger: logger)
                if refreshed?.data != document?.data, var newConfig = try? makeConfig(refreshed) {
                    for problem in newConfig.problems { logger.error("\(problem.description)") }
                    newConfig.problems += rejected
                    document = refreshed
                    config = newConfig
                    state = scanner.state
                    scanner = makeScanner(config: config, state: state)
                    fullPassDue = true
                    logger.notice("server config applied", metadata: ["version": "\(config.settings.serverConfigVersion ?? "-")"])
                }
            }
            let changes = events?.takeChanges() ?? FileChanges()
            let targeted = !fullPassDue && events?.coversEverything == true && changes.onlyFileContents
            let summary: ScanSummary
            do {
                summary = try await scanner.scan(into: shipper, sources: targeted ? scanner.changedFiles(changes.files) : nil)
            } catch is CancellationError {
                break
            }
            if isStopping() { break }
            if !targeted {
                lastFullPass = Date()
                events?.watch(scanner.listedDirectories)
                settleFollowUp = nil
            }
            if summary.unsettled { settleFollowUp = settleFollowUp ?? Date().addingTimeInterval(0.3) }
            logger.debug("pass done", metadata: ["envelopes": "\(summary.envelopes)", "errors": "\(summary.errors.count)"])
            if let metrics {
                metrics.record(pass: summary)
                metrics.record(shipping: await shipper.stats, capacity: config.settings.upload.bufferBytes)
            }
            if Date().timeIntervalSince(lastForget) > 3600 {
                lastForget = Date()
                scanner.state.forget(olderThan: config.settings.forgetAfterDays, now: Date().timeIntervalSince1970)
            }
            if let status {
                await status.write(config: config, summary: summary, discovery: scanner.lastDiscovery, shipper: shipper)
            }
            // With file events covering every directory, polling is only the safety net.
            let declared = config.runnableSources.map(\.pollInterval).min() ?? 5
            let safetyNet = max(declared, options.safetyNetInterval)
            let watched = events?.coversEverything == true
            let interval = options.pollInterval ?? (watched ? safetyNet : declared)
            let deadline = min(Date().addingTimeInterval(interval), settleFollowUp ?? .distantFuture)
            fullPassDue = true  // unless a file event ends the wait
            while !isStopping() && Date() < deadline {
                if let wakeups {
                    // A file event (or a stop) ends the wait early; the timeout is the safety net.
                    if await wakeups.wait(timeout: min(2, deadline.timeIntervalSinceNow)) {
                        fullPassDue = Date().timeIntervalSince(lastFullPass) >= safetyNet || settleFollowUp.map { Date() >= $0 } == true
                        break
                    }
                } else {
                    try? await Task.sleep(nanoseconds: UInt64(min(0.25, max(0, deadline.timeIntervalSinceNow)) * 1e9))
                }
                // Acknowledgements arrive between passes: keep the status file current.
                if let status {
                    await status.write(config: config, summary: ScanSummary(), discovery: scanner.lastDiscovery, shipper: shipper)
                }
            }
        }

        logger.notice("stopping: flushing what is in flight")
        await shipper.close()
        let grace = options.shutdownGrace
        await withTaskGroup(of: Void.self) { group in
            group.addTask { try? await shipper.flush() }
            group.addTask { try? await Task.sleep(nanoseconds: UInt64(grace * 1e9)) }
            await group.next()
            group.cancelAll()  // flush gives up waiting when cancelled; what it did not send is read again next time
        }
        await shipper.stop()
        if let status {
            await status.write(config: config, summary: ScanSummary(), discovery: scanner.lastDiscovery, shipper: shipper,
                               force: true)
        }
    }
}

/// The shipper of the running loop, reachable from a signal handler.
final class ActiveShipper: @unchecked Sendable {
    private let lock = NSLock()
    private var shipper: Shipper?

    func set(_ value: Shipper) { lock.withLock { shipper = value } }
    func get() -> Shipper? { lock.withLock { shipper } }
}
