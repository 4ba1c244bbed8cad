import IngestStore
/// Turns records of the kinds it declares into normalised rows. One small normaliser per
/// tool; the registry picks it by the envelope's `kind`, never by looking at the record.
///
/// A normaliser is a pure function of the records it is given, in arrival order, and of what
/// it chose to remember about their files (``FileMemory``): re-running it over the raw store
/// gives the same rows.
public protocol RecordNormalizer: Sendable {
    /// Kinds turned into rows.
    var kinds: Set<String> { get }
    /// Kinds understood and kept raw only: no rows, not drift (prompt histories, artifacts).
    var rawOnlyKinds: Set<String> { get }
    /// Kinds that cannot be read (encrypted): kept raw and counted as `opaque`.
    var opaqueKinds: Set<String> { get }
    /// Whether it keeps memories by path too (``RawRecord/pathKey``): they are loaded for its
    /// records only.
    var remembersByPath: Bool { get }
    /// Whether it reads its records in place (``RawRecord/withRecordInPlace(_:)``): they are
    /// not decoded into `[String: Any]` for it.
    var readsInPlace: Bool { get }

    /// Memories a record reads or keeps beyond its own file's: a place the tool's records of
    /// several files refer to by id (a workspace), shared by every record naming it. Each key
    /// starts with the record's ``RawRecord/scopedDevice`` (erased with the device).
    func sharedMemoryKeys(of record: RawRecord) -> [String]

    func normalize(_ record: RawRecord, into context: inout NormalizationContext)
}

extension RecordNormalizer {
    public func sharedMemoryKeys(of record: RawRecord) -> [String] { [] }
    public var rawOnlyKinds: Set<String> { [] }
    public var opaqueKinds: Set<String> { [] }
    public var remembersByPath: Bool { false }
    public var readsInPlace: Bool { false }
}

/// What a normaliser remembers about one file between records, for tools whose records do
/// not each say which session they belong to (Codex, OpenClaw: only the first line does).
public struct FileMemory: Codable, Sendable, Equatable {
    public var sessionNativeID: String?
    /// Codex: the thread whose history this file's keys are scoped to (the parent of a fork).
    public var scope: String?
    public var toolVersion: String?
    public var model: String?
    /// Codex: the last cumulative token counts seen in this file.
    public var totals: [Int64]?
    /// Codex: how often each message content occurred so far in this file.
    public var occurrences: [String: Int]?
    /// Mappings: what a rule's `remember` kept (`$memory.<name>`), and running totals.
    public var values: [String: String]?

    public init() {}
}

/// A normaliser's view of the run: the rows produced so far and the memories of files.
public struct NormalizationContext {
    public var batch = NormalizedBatch()
    /// Memories loaded from the store for the files of this run (and updated by it).
    public private(set) var memories: [String: FileMemory]
    public private(set) var changedMemories: Set<String> = []

    public init(memories: [String: FileMemory] = [:]) {
        self.memories = memories
    }

    public func memory(of record: RawRecord) -> FileMemory {
        memories[record.fileKey] ?? FileMemory()
    }

    public mutating func remember(_ memory: FileMemory, for record: RawRecord) {
        remember(memory, forKey: record.fileKey)
    }

    /// What is remembered under another key (``RawRecord/pathKey``: the file by its path).
    public func memory(forKey key: String) -> FileMemory {
        memories[key] ?? FileMemory()
    }

    public mutating func remember(_ memory: FileMemory, forKey key: String) {
        guard memories[key] != memory else { return }
        memories[key] = memory
        changedMemories.insert(key)
    }

    /// Counts a record type this normaliser does not know.
    public mutating func unknownType(_ record: RawRecord, version: String?, _ name: String) {
        batch.count(DriftKey(source: record.source, tool: record.tool, toolVersion: version ?? "", kind: record.kind, reason: "unknown_type", name: name))
    }

    /// Counts each top-level field of `object` not in `known`.
    public mutating func unknownFields(_ record: RawRecord, version: String?, _ object: [String: Any],
                                       known: Set<String>, prefix: String = "") {
        unknownFields(record, version: version, keys: object.keys, known: known, prefix: prefix)
    }

    /// Counts each of `keys` (an object's, each once) not in `known`.
    package mutating func unknownFields(_ record: RawRecord, version: String?, keys: some Sequence<String>,
                                known: Set<String>, prefix: String = "") {
        for field in keys where !known.contains(field) {
            batch.count(DriftKey(source: record.source, tool: record.tool, toolVersion: version ?? "", kind: record.kind,
                                 reason: "unknown_field", name: prefix + field))
        }
    }

    /// Counts a record that could not be read as its kind promises.
    public mutating func unreadable(_ record: RawRecord, _ what: String) {
        batch.count(DriftKey(source: record.source, tool: record.tool, toolVersion: "", kind: record.kind, reason: "unreadable", name: what))
    }
}

/// The normalisers, by kind.
public struct NormalizerRegistry: Sendable {
    package let normalizers: [any RecordNormalizer]
    package let byKind: [String: Int]
    /// The kinds whose records have memories by path to load.
    let pathMemoryKinds: Set<String>
    /// The kinds whose normaliser reads them in place: their records are not decoded for it.
    let inPlaceKinds: Set<String>

    /// Kinds written in another tool's format (`read_as` in a mapping), by kind.
    let readAs: [String: ReadAs]

    /// A kind read by another kind's normaliser: the kind it is read as, the tool it names.
    public struct ReadAs: Sendable, Equatable {
        public var kind: String
        public var tool: String
    }

    /// `forks`: for a kind read as another's with rules of its own, the normaliser that tries
    /// them first (its kinds are the parent's: the record is renamed before it runs).
    public init(_ normalizers: [any RecordNormalizer], readAs: [String: ReadAs] = [:], forks: [String: any RecordNormalizer] = [:]) {
        var normalizers = normalizers
        var byKind: [String: Int] = [:]
        for (index, normalizer) in normalizers.enumerated() {
            for kind in normalizer.kinds.union(normalizer.rawOnlyKinds).union(normalizer.opaqueKinds) {
                precondition(byKind[kind] == nil, "two normalisers for \(kind)")
                byKind[kind] = index
            }
        }
        var pathMemoryKinds = Set(normalizers.filter(\.remembersByPath).flatMap(\.kinds))
        var inPlaceKinds = Set(normalizers.filter(\.readsInPlace).flatMap(\.kinds))
        for (kind, target) in readAs {
            precondition(byKind[kind] == nil, "two normalisers for \(kind)")
            precondition(readAs[target.kind] == nil, "\(kind) is read as \(target.kind), itself read as another")
            if let fork = forks[kind] {
                byKind[kind] = normalizers.count
                normalizers.append(fork)
                if fork.remembersByPath { pathMemoryKinds.insert(kind) }
                if fork.readsInPlace { inPlaceKinds.insert(kind) }
            } else {
                byKind[kind] = byKind[target.kind]
                if pathMemoryKinds.contains(target.kind) { pathMemoryKinds.insert(kind) }
                if inPlaceKinds.contains(target.kind) { inPlaceKinds.insert(kind) }
            }
        }
        self.normalizers = normalizers
        self.byKind = byKind
        self.readAs = readAs
        self.pathMemoryKinds = pathMemoryKinds
        self.inPlaceKinds = inPlaceKinds
    }

    /// The memory keys to load for `records`: each one's file, and its path where its normaliser
    /// remembers by path.
    func memoryKeys(of records: [RawRecord]) -> Set<String> {
        var keys = Set(records.map(\.fileKey))
        for record in records {
            if pathMemoryKinds.contains(record.kind) { keys.insert(record.pathKey) }
            keys.formUnion(sharedMemoryKeys(of: record))
        }
        return keys
    }

    /// The memories `record` shares with records of other files (``RecordNormalizer/sharedMemoryKeys(of:)``).
    func sharedMemoryKeys(of record: RawRecord) -> [String] {
        guard let index = byKind[record.kind] else { return [] }
        return normalizers[index].sharedMemoryKeys(of: record)
    }

    /// The normalisers written in Swift: tools whose rules a mapping cannot say (see
    /// docs/normalizer-mappings.md).
    static let swiftNormalizers: [any RecordNormalizer] = [
        ClaudeCodeNormalizer(), CodexNormalizer(), CursorNormalizer(), AntigravityNormalizer(),
        AiderNormalizer(), VSCodeCopilotLogNormalizer(),
    ]

    /// Every normaliser built into this server: the Swift ones and the mappings of `normalizers.d/`.
    public static let builtIn: NormalizerRegistry = {
        let (registry, problems) = loading(directory: nil)
        // The built-in mappings are checked by tests; a problem here is a build defect.
        precondition(problems.isEmpty, "built-in mappings: \(problems)")
        return registry
    }()

    /// Whether a normaliser (or mapping) takes records of `kind`.
    public func handles(_ kind: String) -> Bool {
        byKind[kind] != nil
    }

    /// Normalises one record, or counts it as drift when its kind has no normaliser.
    public func normalize(_ record: RawRecord, into context: inout NormalizationContext) {
        guard let index = byKind[record.kind] else {
            context.batch.count(DriftKey(source: record.source, tool: record.tool, toolVersion: "", kind: record.kind, reason: "unknown_kind", name: record.kind))
            return
        }
        var record = record
        if let target = readAs[record.kind] {
            record.readAs(kind: target.kind, tool: target.tool)  // the normaliser of its format (or its fork's) reads it
        }
        let normalizer = normalizers[index]
        if normalizer.opaqueKinds.contains(record.kind) {
            context.batch.count(DriftKey(source: record.source, tool: record.tool, toolVersion: "", kind: record.kind, reason: "opaque", name: record.kind))
        } else if normalizer.kinds.contains(record.kind) {
            let messages = context.batch.messages.count, calls = context.batch.toolCalls.count
            normalizer.normalize(record, into: &context)
            context.batch.keepResultsOnce(messagesFrom: messages, callsFrom: calls)
        }
    }
}
