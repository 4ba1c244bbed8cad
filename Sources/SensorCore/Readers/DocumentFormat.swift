import Crypto
import Foundation
import SensorModel

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// `format: json | text | blob` with the `snapshot` strategy: the whole file is one record,
/// sent again whenever its content hash changes.
public enum DocumentFormat: RecordFormatPlugin {
    public static let format = RecordFormat.json
    public static let strategies = [OffsetStrategy.snapshot]

    public static func makeReader(file: MatchedFile, context: ReadContext, state: CheckpointState) throws -> (any RecordReader)? {
        let key = CheckpointState.pathKey(source: context.declaration.id, path: file.path)
        let stored = state.documents[key]
        if let stored, stored.size == file.stat.size, stored.modified == file.stat.modified {
            guard context.isStale(lastSeen: stored.lastSeen) else { return nil }
            var refreshed = stored
            refreshed.lastSeen = context.now
            return OneUpdateReader(update: .document(key: key, refreshed), source: context.declaration.id)
        }
        return DocumentReader(file: file, key: key, stored: stored, context: context)
    }
}

final class DocumentReader: RecordReader {
    let file: MatchedFile
    let key: String
    let stored: DocumentPosition?
    let context: ReadContext
    var done = false

    init(file: MatchedFile, key: String, stored: DocumentPosition?, context: ReadContext) {
        self.file = file
        self.key = key
        self.stored = stored
        self.context = context
    }

    func next(state: CheckpointState) throws -> EnvelopeChunk? {
        guard !done else { return nil }
        done = true
        let limit = context.declaration.maxRecordBytes
        var (head, hash, size) = try readWhole(keepingAtMost: limit)
        // A projection: only the named fields leave, and the record is sent again only when
        // they change (a refreshed token beside an unchanged email sends nothing).
        if let projection = context.declaration.fields {
            head = Self.project(head, with: projection, complete: size <= Int64(limit))
            hash = Hex.lowercase(SHA256.hash(data: head).prefix(16))
            size = Int64(head.count)
        }
        var chunk = EnvelopeChunk()
        chunk.sourceID = context.declaration.id
        chunk.inputBytes = size
        let position = DocumentPosition(source: context.declaration.id, path: file.path, contentHash: hash, size: file.stat.size,
                                        modified: file.stat.modified, lastSeen: context.now)
        chunk.update = .document(key: key, position)
        guard hash != stored?.contentHash, !head.isEmpty || context.declaration.fields == nil else { return chunk }

        var flags = RecordFlags()
        if size > Int64(limit) {
            flags.truncated = true
            flags.originalLength = Int(size)
        }
        var id = RecordID(device: context.writer.device, scope: context.displayPath(file.path))
        id.update(hash)
        var locator = FileLocator.prefix(path: context.displayPath(file.path), fileID: hash, deviceInode: file.stat.deviceInode)
        locator.append(",\"offset\":0,\"length\":")
        locator.appendDecimal(size)
        locator.append(",\"content_hash\":\"")
        locator.append(utf8: hash)
        locator.append("\"")

        let bytes = filteredDocument(head, flags: flags)
        bytes.withUnsafeBytes { raw in
            switch context.declaration.format {
            case .blob:
                let redacted = context.redactor.redact(raw)
                flags.redactedBy = redacted?.rules ?? RedactionCounts()
                context.writer.append(to: &chunk, id: id.finalize(), locator: locator, encoding: .base64, flags: flags) { out in
                    if let redacted {
                        redacted.bytes.withUnsafeBytes { out.appendBase64String($0) }
                    } else {
                        out.appendBase64String(raw)
                    }
                }
            default:
                context.writer.appendRaw(to: &chunk, id: id.finalize(), locator: locator, bytes: raw,
                                         expectJSON: context.declaration.format == .json, flags: flags,
                                         redactor: context.redactor)
            }
        }
        return chunk
    }

    /// The first `limit` bytes, the hash of all of them, and the size read.
    private func readWhole(keepingAtMost limit: Int) throws -> ([UInt8], String, Int64) {
        let descriptor = try ReadError.openListed(file, followSymlinks: context.declaration.followSymlinks)
        defer { close(descriptor) }
        var hasher = SHA256()
        var head: [UInt8] = []
        var scratch = [UInt8](repeating: 0, count: 1 << 20)
        var total: Int64 = 0
        while true {
            let count = scratch.withUnsafeMutableBytes { read(descriptor, $0.baseAddress!, $0.count) }
            if count < 0 {
                if errno == EINTR { continue }
                throw ReadError(path: file.path, errno: errno)
            }
            if count == 0 { break }
            scratch.withUnsafeBytes { hasher.update(bufferPointer: UnsafeRawBufferPointer(rebasing: $0[0..<count])) }
            if head.count < limit { head.append(contentsOf: scratch[0..<min(count, limit - head.count)]) }
            total += Int64(count)
        }
        return (head, Hex.lowercase(hasher.finalize().prefix(16)), total)
    }

    /// The projection of a JSON document as JSON text (keys sorted), or nothing when it is not
    /// whole, not JSON, or holds none of the fields: a document is never sent unprojected.
    static func project(_ bytes: [UInt8], with projection: FieldProjection, complete: Bool) -> [UInt8] {
        guard complete, let document = try? JSONSerialization.jsonObject(with: Data(bytes)),
              let projected = projection.project(document),
              let data = try? JSONSerialization.data(withJSONObject: projected, options: [.sortedKeys, .withoutEscapingSlashes])
        else { return [] }
        return Array(data)
    }

    /// For JSON documents with `deny.keys`: the document without those top-level keys.
    private func filteredDocument(_ bytes: [UInt8], flags: RecordFlags) -> [UInt8] {
        let denied = context.declaration.deniedKeys
        guard context.declaration.format == .json, !denied.isEmpty, !flags.truncated,
              var object = (try? JSONSerialization.jsonObject(with: Data(bytes))) as? [String: Any] else { return bytes }
        for name in object.keys where denied.contains(where: { fnmatch($0, name, 0) == 0 }) {
            object[name] = nil
        }
        return (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])).map(Array.init) ?? []
    }
}
