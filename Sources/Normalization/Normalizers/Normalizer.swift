import Foundation
import IngestStore
import Logging
import NIOConcurrencyHelpers
import PostgresNIO
import ServiceLifecycle

/// Keeps the normalised tables caught up with the raw store: woken after each stored batch
/// (and every few seconds regardless), it takes a lane with work (``NormalizationLanes``),
/// reads the lane's raw envelopes past its watermark in arrival order, normalises them and
/// writes the rows and the lane's new watermark in one transaction. Several servers on one
/// PostgreSQL database each take a lane at a time, so they normalise different lanes at once;
/// the watermark check keeps every step exactly once whatever happens to a lease.
public final class Normalizer: Service, Sendable {
    public let store: any IngestStore
    /// The normalisers it uses; ``use(_:)`` swaps them (an operator's mappings edited).
    public var registry: NormalizerRegistry { registryBox.withLockedValue { $0 } }
    private let registryBox: NIOLockedValueBox<NormalizerRegistry>
    package let metrics: (any NormalizationMetrics)?
    package let logger: Logger
    package let chunkSize: Int
    /// The most envelope bytes read for one step: a run of 50 MB screenshots is normalised a
    /// few at a time, not a thousand at once.
    package let chunkBytes: Int
    /// This normaliser's name in the lanes' leases.
    package let holder: String
    /// Where this normaliser starts among the lanes with work, so that servers woken together
    /// take different lanes first.
    private let firstLane: Int
    /// How long new rows may wait for the search index while a long catch-up goes on (a catch-up
    /// indexes them when it ends).
    package let searchLag: Duration
    /// Prices the usage rows the tools did not price.
    public let prices: PriceTable
    /// Records this normaliser turned into rows (its work, applied or not).
    private let normalizedRecords = NIOLockedValueBox(0)
    private let wakeups: AsyncStream<Void>
    private let wakeup: AsyncStream<Void>.Continuation

    public init(store: any IngestStore, registry: NormalizerRegistry = .builtIn, metrics: (any NormalizationMetrics)? = nil,
                chunkSize: Int = 1000, chunkBytes: Int = 64 << 20, searchLag: Duration = .seconds(15),
                prices: PriceTable = .builtIn, logger: Logger = Logger(label: "sensor-ingest.normalizer")) {
        self.store = store
        self.prices = prices
        registryBox = NIOLockedValueBox(registry)
        self.metrics = metrics
        self.chunkSize = chunkSize
        self.chunkBytes = chunkBytes
        self.searchLag = searchLag
        self.logger = logger
        holder = NormalizerLease.processHolder()
        firstLane = Int.random(in: 0..<NormalizationLanes.count(store.dialect))
        (wakeups, wakeup) = AsyncStream.makeStream(bufferingPolicy: .bufferingNewest(1))
    }

    /// Normalises with `registry` from the next step on (records already normalised keep their
    /// rows until a reparse).
    public func use(_ registry: NormalizerRegistry) {
        registryBox.withLockedValue { $0 = registry }
        wake()
    }

    /// Asks for a catch-up soon (after a batch was stored).
    public func wake() {
        wakeup.yield()
    }

    public func run() async throws {
        do {
            try await CostEstimates(store: store, prices: prices).refreshIfStale(logger: logger)
        } catch {
            logger.error("estimated costs could not be brought up to date; tried again at the next start", metadata: ["error": "\(Self.brief(error))"])
        }
        await withGracefulShutdownHandler {
            await withTaskGroup(of: Void.self) { group in
                group.addTask { [wakeup] in
                    // A slow tick too: another server may have stored what this one should normalise.
                    while !Task.isCancelled {
                        try? await Task.sleep(for: .seconds(5))
                        wakeup.yield()
                    }
                }
                for await _ in wakeups {
                    if Task.isCancelled { break }
                    do {
                        try await catchUp()
                    } catch {
                        logger.error("normalising failed; retried on the next batch", metadata: ["error": "\(Self.brief(error))"])
                    }
                }
                group.cancelAll()
            }
        } onGracefulShutdown: { [wakeup] in
            wakeup.finish()
        }
    }

    /// How many records this normaliser has normalised (each step's records, applied or not).
    public var recordsNormalized: Int { normalizedRecords.withLockedValue { $0 } }

    /// Normalises everything stored past the lanes' watermarks, lane by lane, skipping lanes
    /// another normaliser holds (it is doing that work). Returns how many envelopes this one took.
    @discardableResult
    public func catchUp() async throws -> Int {
        var total = 0
        while true {
            let lanes = try await store.lanesWithWork()
            let start = lanes.firstIndex { $0 > firstLane } ?? 0
            var taken = 0
            for lane in lanes[start...] + lanes[..<start] {
                let lease = NormalizerLease(store: store, lanes: [lane], holder: holder)
                guard try await lease.acquire() else {
                    logger.debug("another normaliser holds the lane", metadata: ["lane": "\(lane)"])
                    continue
                }
                do {
                    taken += try await steps(lane: lane, lease: lease)
                    try await lease.release()
                } catch {
                    try? await lease.release()
                    throw error
                }
            }
            total += taken
            if taken == 0 { break }
        }
        // An index a stopped reparse left paused is built now that the tables are complete
        // (SQLite's: its one lane held meanwhile, so that no reparse is under way).
        let search = NormalizerLease(store: store, lanes: [1], holder: holder)
        if try await search.acquire() {
            do {
                try await FullTextSearch(store: store).resumeIfPaused()
                try await FullTextSearch(store: store).indexQueued()
            } catch {
                try? await search.release()
                throw error
            }
            try await search.release()
        }
        return total
    }

    /// How far apart the steps are committed (see
    /// ``NormalizedStore/commitNormalizedSteps(atMostEvery:)``): another process writing the
    /// store meanwhile waits at most this long for the write lock.
    package static let stepCommitInterval: Duration = .milliseconds(250)

    /// At most this many steps on one lane before the others are looked at again, when there
    /// are others: a lane that keeps receiving does not keep its normaliser from the rest.
    package static let stepsPerVisit = 20

    /// Normalises `lane` step by step while its lease holds, the steps committed a few at a
    /// time, and whatever is held committed at the end, error or not.
    private func steps(lane: Int, lease: NormalizerLease) async throws -> Int {
        try await store.commitNormalizedSteps(atMostEvery: Self.stepCommitInterval)
        do {
            let total = try await uncommittedSteps(lane: lane, lease: lease)
            try await store.commitNormalizedSteps(atMostEvery: .zero)
            return total
        } catch {
            try? await store.commitNormalizedSteps(atMostEvery: .zero)
            throw error
        }
    }

    private func uncommittedSteps(lane: Int, lease: NormalizerLease) async throws -> Int {
        var total = 0
        var indexed = ContinuousClock.now
        var visits = 0
        while store.lanes.count == 1 || visits < Self.stepsPerVisit {
            visits += 1
            if indexed.duration(to: .now) > searchLag {
                try await FullTextSearch(store: store).indexQueued()
                indexed = .now
            }
            guard try await lease.acquire() else { return total }  // renewed each step
            let watermark = try await store.watermark(lane: lane)
            let raw = try await store.rawEnvelopes(afterSeq: watermark, lane: lane, source: nil, limit: chunkSize, maxBytes: chunkBytes)
            guard let last = raw.last else { return total }
            let normalized = try await normalize(raw)
            normalizedRecords.withLockedValue { $0 += raw.count }
            let applied: Bool
            do {
                applied = try await store.applyNormalized(normalized.statements, lane: lane, expected: watermark, next: last.seq)
            } catch where Self.isTransient(error) {
                // Two lanes met on a shared row (a day's sums, a drift count) and the database
                // chose this step to give way: the same step again.
                logger.debug("a step gave way to another lane's; taken again", metadata: ["error": "\(Self.brief(error))"])
                try await Task.sleep(for: .milliseconds(Int.random(in: 20...200)))
                continue
            } catch {
                // One record the store cannot take (a NUL in text on PostgreSQL, a value out of
                // range) spoils the whole step: go one record at a time and set it aside.
                logger.notice("a step of normalising failed; retrying it record by record", metadata: ["error": "\(Self.brief(error))"])
                total += try await applyOneByOne(raw, lane: lane, after: watermark)
                continue
            }
            if applied {
                total += raw.count
                metrics?.normalized(raw.count, drift: labelled(normalized.drift))
                try await afterStep(normalized)
            } else {
                try await Task.sleep(for: .milliseconds(50))  // another server took this step
            }
        }
        return total
    }

    /// What follows a committed step, outside its transaction: devices linked by the accounts it
    /// wrote, and, where lanes run at once, the requests it reported settled again: the other
    /// report of a request (a transcript's and telemetry's, from two devices) may have been
    /// written by another lane's step at the same moment, unseen by this step's settling.
    private func afterStep(_ normalized: NormalizedStep) async throws {
        try await Self.retryingTransient {
            try await linkDevicesByAccounts(normalized.accountTenants)
            if store.lanes.count > 1 && !normalized.requestIDs.isEmpty {
                try await store.execute(OneUsagePerRequest.settle(normalized.requestIDs))
            }
        }
    }

    /// A deadlock or serialisation failure: nothing wrong with the work, only its timing.
    static func isTransient(_ error: any Error) -> Bool {
        guard let state = PostgresStore.serverError(error)?.serverInfo?[.sqlState] else { return false }
        return state == "40P01" || state == "40001"
    }

    /// Runs `work` again (a few times) while it fails for its timing only.
    static func retryingTransient(_ work: () async throws -> Void) async throws {
        for attempt in 1... {
            do {
                return try await work()
            } catch where isTransient(error) && attempt < 5 {
                try await Task.sleep(for: .milliseconds(Int.random(in: 20...200) * attempt))
            }
        }
    }

    /// Applies `raw` one envelope at a time; one that cannot be stored is counted as drift
    /// `unreadable` (named by its envelope id) and skipped, and the watermark moves past it, so
    /// normalising never wedges on a poison record. Returns how many were taken.
    private func applyOneByOne(_ raw: [RawEnvelope], lane: Int, after start: Int64) async throws -> Int {
        var watermark = start
        var taken = 0
        for envelope in raw {
            let normalized = try await normalize([envelope])
            do {
                guard try await store.applyNormalized(normalized.statements, lane: lane, expected: watermark, next: envelope.seq)
                else { return taken }
                metrics?.normalized(1, drift: labelled(normalized.drift))
                try await afterStep(normalized)
            } catch where Self.isTransient(error) {
                return taken  // its timing only: the caller's next step takes it again
            } catch {
                let record = RawRecord(seq: envelope.seq, json: envelope.json)
                var batch = NormalizedBatch()
                batch.tenant = envelope.tenant
                batch.recordID = record?.id
                batch.recordTime = record?.collectedAt
                let key = DriftKey(source: record?.source ?? "", tool: record?.tool ?? "", toolVersion: "", kind: record?.kind ?? "",
                                   reason: "unreadable", name: "envelope \(record?.id ?? "seq \(envelope.seq)")")
                batch.count(key)
                logger.error("a record cannot be stored normalised; counted as drift unreadable and skipped",
                             metadata: ["envelope": "\(key.name)", "error": "\(Self.brief(error))"])
                guard try await store.applyNormalized(NormalizedWriter.statements(batch, memories: [:], prices: prices), lane: lane,
                                                      expected: watermark, next: envelope.seq) else { return taken }
                metrics?.normalized(1, drift: labelled(batch.drift))
            }
            watermark = envelope.seq
            taken += 1
        }
        return taken
    }

    /// Clears the normalised tables (or one source's rows) and builds them again from the raw
    /// store. The result is the same rows incremental normalising gave. Returns how many
    /// envelopes were normalised again.
    ///
    /// The whole store: every lane is taken (waiting for the normalisers at work to let go),
    /// the tables emptied and every watermark set back in one transaction, and the lanes given
    /// back, so that every normaliser on the store (each server's, and this one) normalises
    /// them again at once; this one returns when every envelope there was has been.
    /// One source: its rows are rebuilt with every lane held.
    public func reparse(source: String? = nil) async throws -> Int {
        let lease = NormalizerLease(store: store, holder: holder)
        let arrival = NormalizationLanes.arrival(of: "r", dialect: store.dialect)
        if let source {
            return try await lease.holding("reparse") { try await rebuild(source: source, lease: lease) }
        }
        let horizon = try await lease.holding("reparse") {
            // The search index is paused while everything is normalised again, and built in one
            // pass at the end.
            try await store.empty(NormalizedSchema.tables + ["norm_usage_by_day", "norm_session_totals"],
                                  after: FullTextSearch.pause(store.dialect) + [SQLStatement("UPDATE norm_progress SET last_seq = 0"),
                                                                                  KeptSessions.wordsWrittenAgain])
            return try await store.query(SQLStatement("SELECT coalesce(max(\(arrival)), 0) FROM raw_envelopes r")).first?.first?.int ?? 0
        }
        let behind = SQLStatement("""
            SELECT count(*) FROM raw_envelopes r JOIN norm_progress p ON \(NormalizationLanes.pending("r", in: "p", dialect: store.dialect))
            WHERE \(arrival) <= $1
            """, [.integer(horizon)])
        while try await store.query(behind).first?.first?.int ?? 0 > 0 {
            if try await catchUp() == 0 { try await Task.sleep(for: .milliseconds(200)) }  // other servers have the lanes left
        }
        // Every lane has caught up: reported rows are settled into the conversations now all there.
        try await store.execute(UsageIntoConversations.settleAll)
        try await FullTextSearch(store: store).resumeIfPaused()
        return Int(try await store.query(SQLStatement("SELECT count(*) FROM raw_envelopes r WHERE \(arrival) <= $1", [.integer(horizon)]))
            .first?.first?.int ?? 0)
    }

    private func rebuild(source: String, lease: NormalizerLease) async throws -> Int {
        try await store.execute(NormalizedSchema.tables.map { table in
            SQLStatement("DELETE FROM \(table) WHERE source = $1" + (KeptSessions.sparing(table).map { " AND \($0)" } ?? ""), [.text(source)])
        } + [SQLStatement("DELETE FROM norm_usage_by_day WHERE rows <= 0"), KeptSessions.wordsWrittenAgain])
        var after: Int64 = 0
        var total = 0
        // What is past a lane's watermark is not normalised yet: its normaliser takes it later.
        var watermarks: [Int: Int64] = [:]
        for lane in store.lanes { watermarks[lane] = try await store.watermark(lane: lane) }
        while true {
            guard try await lease.acquire() else { throw StoreError("the normaliser lease was lost during the reparse") }
            let raw = try await store.rawEnvelopes(afterSeq: after, lane: nil, source: source, limit: chunkSize, maxBytes: chunkBytes)
            guard let last = raw.last else {
                try await store.execute(UsageIntoConversations.settleAll)
                try await FullTextSearch(store: store).indexQueued()
                return total
            }
            let ready = raw.filter { $0.seq <= watermarks[$0.lane] ?? 0 }
            let normalized = try await normalize(ready)
            try await store.execute(normalized.statements)
            try await linkDevicesByAccounts(normalized.accountTenants)
            total += ready.count
            after = last.seq
        }
    }

    /// Drift as metrics may label it: a kind no normaliser takes (and its tool) is the sender's
    /// choice, so it is counted as `other`, never shown as a label value.
    func labelled(_ drift: [DriftKey: Int]) -> [DriftKey: Int] {
        let registry = self.registry
        var labelled: [DriftKey: Int] = [:]
        for (key, count) in drift {
            var shown = key
            if !registry.handles(key.kind) {
                shown.kind = "other"
                shown.tool = "other"
            }
            labelled[shown, default: 0] += count
        }
        return labelled
    }

    /// The statements that merge these raw envelopes into the normalised tables.
    /// Devices whose tools are signed in with an account of the organisation belong to its
    /// person: linked again for each tenant whose accounts a step wrote.
    private func linkDevicesByAccounts(_ tenants: Set<Int64>) async throws {
        for tenant in tenants.sorted() { try await PeopleDirectory.linkByAccounts(tenant: tenant, in: store) }
    }

    /// The statements that store `raw` normalised, the drift it showed and the tenants whose
    /// accounts in use it gives.
    package func normalize(_ raw: [RawEnvelope]) async throws -> NormalizedStep {
        var records: [RawRecord] = []
        records.reserveCapacity(raw.count)
        var unreadable = NormalizedBatch()
        let registry = self.registry
        for envelope in raw {
            if var record = RawRecord(seq: envelope.seq, json: envelope.json, readInPlace: registry.inPlaceKinds) {
                record.tenant = envelope.tenant
                records.append(record)
            } else {
                unreadable.tenant = envelope.tenant
                unreadable.count(DriftKey(source: "", tool: "", toolVersion: "", kind: "", reason: "unreadable", name: "envelope"))
            }
        }
        let memories = try await loadMemories(registry.memoryKeys(of: records))
        var context = NormalizationContext(memories: memories)
        context.batch.drift = unreadable.drift
        var sources: [String: String] = [:]
        for record in records {
            context.batch.tenant = record.tenant
            context.batch.recordID = record.id
            context.batch.recordTime = record.collectedAt
            let sessionsBefore = context.batch.sessions.count
            registry.normalize(record, into: &context)
            for index in sessionsBefore..<context.batch.sessions.count { context.batch.sessions[index].tenant = record.tenant }
            sources[record.fileKey] = record.source
            if registry.pathMemoryKinds.contains(record.kind) { sources[record.pathKey] = record.source }
            for key in registry.sharedMemoryKeys(of: record) { sources[key] = record.source }
        }
        var changed: [String: (source: String, memory: FileMemory)] = [:]
        for key in context.changedMemories { changed[key] = (sources[key] ?? "", context.memories[key]!) }
        let models = try await UsageModels(store: store, prices: prices).resolve(context.batch)
        // Devices are linked again where accounts were written, or copied to a device by a request
        // that a transcript and telemetry both reported (``OneUsagePerRequest``).
        var linking = Set(context.batch.accounts.map(\.tenant))
        if context.batch.usage.contains(where: { $0.requestID != nil }) { linking.formUnion(context.batch.sessions.map(\.tenant)) }
        return NormalizedStep(
            statements: NormalizedWriter.statements(context.batch, memories: changed, prices: prices, storedModels: models.stored) + models.repriced,
            drift: context.batch.drift, accountTenants: linking, requestIDs: Set(context.batch.usage.compactMap(\.requestID)))
    }

    private func loadMemories(_ keys: Set<String>) async throws -> [String: FileMemory] {
        var memories: [String: FileMemory] = [:]
        let decoder = JSONDecoder()
        for row in try await store.query("SELECT memory_key, memory FROM norm_file_memory WHERE memory_key IN", in: keys) {
            guard let key = row[0].text, let text = row[1].text,
                  let memory = try? decoder.decode(FileMemory.self, from: Data(text.utf8)) else { continue }
            memories[key] = memory
        }
        return memories
    }

    /// An error for the log: PostgreSQL's own message rather than the whole statement and its
    /// thousands of bindings, and never more than a few hundred characters.
    static func brief(_ error: any Error) -> String {
        if let postgres = PostgresStore.serverError(error), let message = postgres.serverInfo?[.message] {
            let state = postgres.serverInfo?[.sqlState].map { " (SQLSTATE \($0))" } ?? ""
            return "PostgreSQL: \(message)\(state)"
        }
        let text = String(describing: error)
        return text.count > 600 ? text.prefix(600) + "… (\(text.count) characters)" : text
    }
}

/// What a normaliser reports of its work: records normalised and the drift they showed (the
/// server's metrics take it).
public protocol NormalizationMetrics: Sendable {
    func normalized(_ count: Int, drift: [DriftKey: Int])
}
