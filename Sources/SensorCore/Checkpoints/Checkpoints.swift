import Foundation
import SensorModel

/// Where an append-only file was read up to.
public struct FilePosition: Codable, Sendable, Equatable {
    public var source: String
    public var path: String
    /// SHA-256 of the first complete line (128 bits, hex): the file's logical identity.
    public var fingerprint: String
    public var device: UInt64
    public var inode: UInt64
    /// End of the last complete line read (always just after a newline); in a file of zstd
    /// frames, the end of the last whole frame read.
    public var offset: Int64
    /// In a file of zstd frames, the end of the lines read so far in the decompressed lines
    /// (where the next frame's first line begins); nil for plain files.
    public var logical: Int64?
    /// Size and mtime when last read: unchanged files cost one `stat`.
    public var size: Int64
    public var modified: Int64
    /// Hash of the bytes just before `offset`, to notice a rewrite that kept the first line.
    public var anchor: String?
    public var lastSeen: Double
}

/// Device and inode of a file.
public struct FileIdentity: Hashable, Sendable {
    public var device: UInt64
    public var inode: UInt64

    public init(device: UInt64, inode: UInt64) {
        self.device = device
        self.inode = inode
    }

    init(_ position: FilePosition) {
        self.init(device: position.device, inode: position.inode)
    }
}

/// What a pass needs of a file's checkpoint to leave the file alone, found by device and inode
/// and compared with the file's `stat`. Plain numbers: looking one up touches no string, which
/// for ten thousand idle files scattered over the heap is most of the cost.
public struct InodeStamp: Sendable, Equatable {
    /// ``PathHash`` of the path: a rename changes it. The same in every process, so that the
    /// checkpoint index (``CheckpointIndex``) can keep it.
    public var pathHash: Int
    public var offset: Int64
    public var size: Int64
    public var modified: Int64
    public var lastSeen: Double

    init(pathHash: Int, offset: Int64, size: Int64, modified: Int64, lastSeen: Double) {
        self.pathHash = pathHash
        self.offset = offset
        self.size = size
        self.modified = modified
        self.lastSeen = lastSeen
    }

    init(_ position: FilePosition) {
        pathHash = PathHash.of(position.path)
        offset = position.offset
        size = position.size
        modified = position.modified
        lastSeen = position.lastSeen
    }
}

/// A database's cursor, and for keyed sources the content hash of every row key seen.
public struct TablePosition: Codable, Sendable, Equatable {
    public var source: String
    public var path: String
    public var cursor: SQLValue?
    public var rowHashes: [String: String]?
    /// Size and mtime of the database and its WAL when last read to the end: an unchanged
    /// database is not queried again.
    public var probe: String?
    public var lastSeen: Double
}

/// The last content hash of a whole document.
public struct DocumentPosition: Codable, Sendable, Equatable {
    public var source: String
    public var path: String
    public var contentHash: String
    public var size: Int64
    public var modified: Int64
    public var lastSeen: Double
}

/// Everything the sensor remembers about what it has read. Versioned; one small file.
public struct CheckpointState: Codable, Sendable, Equatable {
    public static let currentVersion = 1

    public var version = CheckpointState.currentVersion
    /// Key: `source` + "|" + fingerprint. Loaded through the index (``CheckpointIndex``), the
    /// positions are decoded from the checkpoint file the first time anything reads or changes
    /// one: an idle pass never does.
    public var files: [String: FilePosition] {
        get { storedFiles ?? deferred?.files ?? [:] }
        set {
            materialize()
            storedFiles = newValue
        }
    }
    private var storedFiles: [String: FilePosition]? = [:]
    /// The checkpoint file whose positions are not decoded yet (nil once they are).
    private var deferred: DeferredPositions?
    /// The oldest `lastSeen` of the positions the index stood for (``forget(olderThan:now:)``).
    private var oldestDeferredLastSeen = Double.infinity
    /// Key: `source` + "|" + database path.
    public var tables: [String: TablePosition] = [:]
    /// Key: `source` + "|" + path.
    public var documents: [String: DocumentPosition] = [:]
    /// Source → (device, inode) → key in `files`. Derived, not saved.
    public var fileKeysByInode: [String: [FileIdentity: String]] { storedKeys ?? deferred?.keysByInode ?? [:] }
    private var storedKeys: [String: [FileIdentity: String]]? = [:]
    /// Source → (device, inode) → stamp of the entry in `files`: the fast path that lets an
    /// unchanged file cost one `stat`. Derived, not saved.
    public private(set) var inodeStamps: [String: [FileIdentity: InodeStamp]] = [:]

    enum CodingKeys: String, CodingKey {
        case version, files, tables, documents
    }

    public init() {}

    /// A state read from the checkpoint index: the stamps, tables and documents now, the file
    /// positions from `deferred` when first needed.
    init(version: Int, inodeStamps: [String: [FileIdentity: InodeStamp]], oldestLastSeen: Double,
         tables: [String: TablePosition], documents: [String: DocumentPosition], deferred: DeferredPositions) {
        self.version = version
        self.inodeStamps = inodeStamps
        self.tables = tables
        self.documents = documents
        self.deferred = deferred
        storedFiles = nil
        storedKeys = nil
        oldestDeferredLastSeen = oldestLastSeen
    }

    /// Whether the file positions are still in the checkpoint file, not decoded (tests).
    var positionsDeferred: Bool { deferred != nil }

    /// Takes the decoded positions from `deferred` before anything changes them.
    private mutating func materialize() {
        guard let deferred else { return }
        storedFiles = deferred.files
        storedKeys = deferred.keysByInode
        self.deferred = nil
        oldestDeferredLastSeen = .infinity
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(version, forKey: .version)
        try container.encode(files, forKey: .files)
        try container.encode(tables, forKey: .tables)
        try container.encode(documents, forKey: .documents)
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        version = try container.decode(Int.self, forKey: .version)
        files = try container.decodeIfPresent([String: FilePosition].self, forKey: .files) ?? [:]
        tables = try container.decodeIfPresent([String: TablePosition].self, forKey: .tables) ?? [:]
        documents = try container.decodeIfPresent([String: DocumentPosition].self, forKey: .documents) ?? [:]
        rebuildInodeIndex()
    }

    /// Two states are equal when what they save is: the derived indexes follow from `files`.
    public static func == (left: CheckpointState, right: CheckpointState) -> Bool {
        guard left.version == right.version, left.tables == right.tables, left.documents == right.documents else { return false }
        if let one = left.deferred, let other = right.deferred, one === other { return true }  // neither decoded nor changed
        return left.files == right.files
    }

    /// Derives both inode indexes from `files`, each source's allocated once at its size: ten
    /// thousand entries inserted one by one through nested dictionaries cost a tenth of an idle
    /// `sensor scan` in hashing and rehashing.
    mutating func rebuildInodeIndex() {
        materialize()
        (storedKeys, inodeStamps) = Self.inodeIndexes(of: storedFiles ?? [:])
    }

    static func inodeIndexes(of files: [String: FilePosition])
        -> (keys: [String: [FileIdentity: String]], stamps: [String: [FileIdentity: InodeStamp]]) {
        var bySource: [String: [Dictionary<String, FilePosition>.Index]] = [:]
        for index in files.indices { bySource[files[index].value.source, default: []].append(index) }
        var allKeys = [String: [FileIdentity: String]](minimumCapacity: bySource.count)
        var allStamps = [String: [FileIdentity: InodeStamp]](minimumCapacity: bySource.count)
        for (source, indices) in bySource {
            var keys = [FileIdentity: String](minimumCapacity: indices.count)
            var stamps = [FileIdentity: InodeStamp](minimumCapacity: indices.count)
            for index in indices {
                let (key, position) = files[index]
                let identity = FileIdentity(position)
                keys[identity] = key
                stamps[identity] = InodeStamp(position)
            }
            allKeys[source] = keys
            allStamps[source] = stamps
        }
        return (allKeys, allStamps)
    }

    private mutating func index(key: String, _ position: FilePosition) {
        storedKeys?[position.source, default: [:]][FileIdentity(position)] = key
        inodeStamps[position.source, default: [:]][FileIdentity(position)] = InodeStamp(position)
    }

    private mutating func unindex(_ position: FilePosition) {
        storedKeys?[position.source]?[FileIdentity(position)] = nil
        inodeStamps[position.source]?[FileIdentity(position)] = nil
    }

    public static func fileKey(source: String, fingerprint: String) -> String { source + "|" + fingerprint }
    public static func pathKey(source: String, path: String) -> String { source + "|" + path }

    /// Applies an update (read ahead or acknowledged).
    public mutating func apply(_ update: CheckpointUpdate) {
        switch update {
        case .file(let key, let position):
            materialize()
            if let old = storedFiles?[key] { unindex(old) }
            storedFiles?[key] = position
            index(key: key, position)
        case .table(let key, let position, let changedHashes):
            var merged = position
            if let changedHashes {
                var hashes = tables[key]?.rowHashes ?? [:]
                hashes.merge(changedHashes) { $1 }
                merged.rowHashes = hashes
            } else {
                merged.rowHashes = tables[key]?.rowHashes
            }
            tables[key] = merged
        case .document(let key, let position):
            documents[key] = position
        case .forgetFile(let key):
            materialize()
            if let old = storedFiles?.removeValue(forKey: key) { unindex(old) }
        }
    }

    /// Drops entries not seen for `days`. Nothing to drop (every idle pass) changes nothing.
    public mutating func forget(olderThan days: Double, now: Double) {
        let limit = now - days * 86_400
        let oldFile = deferred != nil ? oldestDeferredLastSeen < limit : files.values.contains { $0.lastSeen < limit }
        guard oldFile || tables.values.contains(where: { $0.lastSeen < limit })
                || documents.values.contains(where: { $0.lastSeen < limit }) else { return }
        materialize()
        files = files.filter { $0.value.lastSeen >= limit }
        tables = tables.filter { $0.value.lastSeen >= limit }
        documents = documents.filter { $0.value.lastSeen >= limit }
        rebuildInodeIndex()
    }
}

/// A change of checkpoint that becomes durable once the records before it are acknowledged.
public enum CheckpointUpdate: Sendable, Equatable {
    case file(key: String, FilePosition)
    /// `changedHashes`: row hashes to merge (keyed sources); nil keeps the stored ones.
    case table(key: String, TablePosition, changedHashes: [String: String]?)
    case document(key: String, DocumentPosition)
    /// A logical file that was replaced under the same fingerprint and restarted.
    case forgetFile(key: String)
}
