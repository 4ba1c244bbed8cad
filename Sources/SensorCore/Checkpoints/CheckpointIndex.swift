import Foundation

/// A hash of a path that is the same in every process (FNV-1a, 64 bits), unlike `hashValue`.
enum PathHash {
    static func of(_ path: String) -> Int {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in path.utf8 {
            hash ^= UInt64(byte)
            hash = hash &* 0x0000_0100_0000_01b3
        }
        return Int(bitPattern: UInt(hash))
    }
}

/// The checkpoint file's numbers, kept beside it (`checkpoints.json.index`) so that a pass
/// over unchanged files reads no JSON: for each file position its device, inode, path hash,
/// offset, size, mtime and `lastSeen` (56 bytes), and the tables and documents as JSON.
///
/// An idle `sensor scan` over ten thousand files spent a fifth of its CPU decoding the 3.6 MB
/// checkpoint file into strings it never looked at. The index is derived: it is used only
/// while it describes the checkpoint file as it is (same inode, size and mtime; every save
/// replaces the file, so any other writer's file is told apart) and no journal waits to be
/// replayed. Anything else, a torn or foreign index among it, and the JSON is read as before.
enum CheckpointIndex {
    static let magic: UInt32 = 0x5853_4353  // "SCSX"
    static let formatVersion: UInt32 = 1

    /// The index of `state`, for a checkpoint file with `stat`.
    static func encode(_ state: CheckpointState, checkpointFile stat: FileStat) throws -> [UInt8] {
        var bytes: [UInt8] = []
        func put<T: FixedWidthInteger>(_ value: T) { withUnsafeBytes(of: value.littleEndian) { bytes.append(contentsOf: $0) } }
        func put(_ value: Double) { put(value.bitPattern) }
        func put(_ text: String) {
            put(UInt32(text.utf8.count))
            bytes.append(contentsOf: text.utf8)
        }
        let files = state.files
        let bySource = Dictionary(grouping: files.values, by: \.source)
        bytes.reserveCapacity(64 + files.count * 56)
        put(magic)
        put(formatVersion)
        put(stat.inode)
        put(stat.size)
        put(stat.modified)
        put(Int64(state.version))
        put(files.values.map(\.lastSeen).min() ?? Double.infinity)
        put(UInt32(bySource.count))
        for (source, positions) in bySource {
            put(source)
            put(UInt32(positions.count))
            for position in positions {
                put(position.device)
                put(position.inode)
                put(Int64(PathHash.of(position.path)))
                put(position.offset)
                put(position.size)
                put(position.modified)
                put(position.lastSeen)
            }
        }
        let encoder = JSONEncoder()
        let tables = try encoder.encode(state.tables), documents = try encoder.encode(state.documents)
        put(UInt32(tables.count))
        bytes.append(contentsOf: tables)
        put(UInt32(documents.count))
        bytes.append(contentsOf: documents)
        return bytes
    }

    /// The state `bytes` describe, its positions left in `checkpointFile`; nil when the index
    /// is not one whole index of that file as it is now (`stat`).
    static func decode(_ bytes: UnsafeRawBufferPointer, checkpointFile url: URL, stat: FileStat) -> CheckpointState? {
        var reader = Reader(bytes: bytes)
        guard reader.read(UInt32.self) == magic, reader.read(UInt32.self) == formatVersion,
              reader.read(UInt64.self) == stat.inode, reader.read(Int64.self) == stat.size,
              reader.read(Int64.self) == stat.modified,
              let version = reader.read(Int64.self), let oldest = reader.read(UInt64.self).map(Double.init(bitPattern:)),
              let sourceCount = reader.read(UInt32.self) else { return nil }
        var stamps = [String: [FileIdentity: InodeStamp]](minimumCapacity: Int(sourceCount))
        for _ in 0..<sourceCount {
            guard let source = reader.text(), let count = reader.read(UInt32.self), reader.remaining >= Int(count) * 56 else { return nil }
            var entries = [FileIdentity: InodeStamp](minimumCapacity: Int(count))
            for _ in 0..<count {
                guard let device = reader.read(UInt64.self), let inode = reader.read(UInt64.self),
                      let pathHash = reader.read(Int64.self), let offset = reader.read(Int64.self), let size = reader.read(Int64.self),
                      let modified = reader.read(Int64.self), let lastSeen = reader.read(UInt64.self) else { return nil }
                entries[FileIdentity(device: device, inode: inode)] = InodeStamp(
                    pathHash: Int(pathHash), offset: offset, size: size, modified: modified, lastSeen: Double(bitPattern: lastSeen))
            }
            stamps[source] = entries
        }
        let decoder = JSONDecoder()
        guard let tablesJSON = reader.block(), let documentsJSON = reader.block(), reader.remaining == 0,
              let tables = try? decoder.decode([String: TablePosition].self, from: tablesJSON),
              let documents = try? decoder.decode([String: DocumentPosition].self, from: documentsJSON),
              let stateVersion = Int(exactly: version) else { return nil }
        return CheckpointState(version: stateVersion, inodeStamps: stamps, oldestLastSeen: oldest, tables: tables,
                               documents: documents, deferred: DeferredPositions(checkpointFile: url))
    }

    private struct Reader {
        let bytes: UnsafeRawBufferPointer
        var index = 0

        var remaining: Int { bytes.count - index }

        mutating func read<T: FixedWidthInteger>(_: T.Type) -> T? {
            let size = MemoryLayout<T>.size
            guard remaining >= size else { return nil }
            defer { index += size }
            return T(littleEndian: bytes.loadUnaligned(fromByteOffset: index, as: T.self))
        }

        mutating func block() -> Data? {
            guard let count = read(UInt32.self).map(Int.init), remaining >= count else { return nil }
            defer { index += count }
            return Data(bytes[index..<index + count])
        }

        mutating func text() -> String? {
            block().map { String(decoding: $0, as: UTF8.self) }
        }
    }
}

/// The file positions of a checkpoint file loaded through its index: read and decoded the
/// first time a pass needs one, once, whichever thread asks.
final class DeferredPositions: @unchecked Sendable {
    private let url: URL
    private let lock = NSLock()
    private var decoded: (files: [String: FilePosition], keys: [String: [FileIdentity: String]])?

    init(checkpointFile url: URL) {
        self.url = url
    }

    var files: [String: FilePosition] { load().files }
    var keysByInode: [String: [FileIdentity: String]] { load().keys }

    /// The positions, or none when the file is gone or no longer reads (then every file is read
    /// again from the start, and the server drops what it already has).
    private func load() -> (files: [String: FilePosition], keys: [String: [FileIdentity: String]]) {
        lock.lock()
        defer { lock.unlock() }
        if let decoded { return decoded }
        var files: [String: FilePosition] = [:]
        if let data = try? Data(contentsOf: url), let state = try? CheckpointDecoder.state(from: data) { files = state.files }
        let result = (files, CheckpointState.inodeIndexes(of: files).keys)
        decoded = result
        return result
    }
}
