import Crypto
import Foundation

/// The built-in declarations and schemas, parsed once and kept as ``ConfigNode`` trees in a
/// compact binary file per document, found again by a hash of the document's name and text.
///
/// A short-lived `sensor scan` parsed some thirty YAML and JSON documents with Yams at every
/// start, a tenth of an idle scan's CPU; reading a tree back costs a few string allocations.
/// Only documents built into the binary go through it: a cached tree is trusted as its text's
/// parse, and the state directory is the user's to write, so the local policy (which bounds the
/// user) and the server's document are always parsed from their text.
public enum ParsedDocumentCache {
    private static let state = State()

    /// Where trees are kept (`<state-dir>/compiled`); nil (the default) keeps nothing.
    public static var directory: URL? {
        get { state.withLock { $0 } }
        set { state.withLock { $0 = newValue } }
    }

    /// The tree of `text` read back from the cache, or parsed and kept there.
    static func parse(_ text: String, file: String) throws(ConfigProblem) -> ConfigNode {
        try parse(text, file: file, directory: directory)
    }

    /// The tree of `text`, kept in `directory` (nil: parsed, not kept).
    static func parse(_ text: String, file: String, directory: URL?) throws(ConfigProblem) -> ConfigNode {
        guard let directory else { return try ConfigParser.parse(text, file: file) }
        var hasher = SHA256()
        hasher.update(data: Data("\(formatVersion)\u{0}\(file)\u{0}".utf8))
        hasher.update(data: Data(text.utf8))
        let name = hasher.finalize().prefix(16).map { String(format: "%02x", $0) }.joined()
        let url = directory.appendingPathComponent("document-\(name).node")
        if let data = try? Data(contentsOf: url), let node = NodeCoding.decode(data, file: file) { return node }
        let node = try ConfigParser.parse(text, file: file)
        var bytes: [UInt8] = []
        NodeCoding.encode(node, into: &bytes)
        try? FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        try? Data(bytes).write(to: url, options: .atomic)
        return node
    }

    /// Bumped whenever the encoding or what the parser makes of a text changes.
    static let formatVersion = 1

    private final class State: @unchecked Sendable {
        private let lock = NSLock()
        private var directory: URL?

        func withLock<T>(_ body: (inout URL?) -> T) -> T {
            lock.lock()
            defer { lock.unlock() }
            return body(&directory)
        }
    }
}

/// ``ConfigNode`` trees as bytes: a tag byte per node, its line and column, then its value;
/// integers as LEB128 varints (signed ones zigzagged), strings as a length and UTF-8 bytes.
/// The file name of every location is the document's, given back on decoding.
enum NodeCoding {
    private enum Tag: UInt8 { case null, bool, integer, number, string, array, object }

    static func encode(_ node: ConfigNode, into bytes: inout [UInt8]) {
        func unsigned(_ value: UInt64) {
            var value = value
            while value >= 0x80 {
                bytes.append(UInt8(truncatingIfNeeded: value) | 0x80)
                value >>= 7
            }
            bytes.append(UInt8(value))
        }
        func signed(_ value: Int) { unsigned(UInt64(bitPattern: Int64((value << 1) ^ (value >> 63)))) }
        func string(_ text: String) {
            unsigned(UInt64(text.utf8.count))
            bytes.append(contentsOf: text.utf8)
        }
        func location(_ location: SourceLocation) {
            signed(location.line)
            signed(location.column)
        }
        func write(_ node: ConfigNode) {
            switch node.value {
            case .null: bytes.append(Tag.null.rawValue)
            case .bool(let value): bytes.append(Tag.bool.rawValue); bytes.append(value ? 1 : 0)
            case .integer(let value): bytes.append(Tag.integer.rawValue); signed(value)
            case .number(let value):
                bytes.append(Tag.number.rawValue)
                withUnsafeBytes(of: value.bitPattern.littleEndian) { bytes.append(contentsOf: $0) }
            case .string(let text): bytes.append(Tag.string.rawValue); string(text)
            case .array(let elements):
                bytes.append(Tag.array.rawValue)
                unsigned(UInt64(elements.count))
            case .object(let entries):
                bytes.append(Tag.object.rawValue)
                unsigned(UInt64(entries.count))
            }
            location(node.location)
            switch node.value {
            case .array(let elements):
                elements.forEach(write)
            case .object(let entries):
                for entry in entries {
                    string(entry.key)
                    location(entry.keyLocation)
                    write(entry.node)
                }
            default:
                break
            }
        }
        write(node)
    }

    /// The tree, or nil when the bytes are not one whole tree (a torn or foreign file).
    static func decode(_ data: Data, file: String) -> ConfigNode? {
        data.withUnsafeBytes { bytes in
            var reader = Reader(bytes: bytes, file: file)
            guard let node = reader.node(depth: 0), reader.index == bytes.count else { return nil }
            return node
        }
    }

    private struct Reader {
        let bytes: UnsafeRawBufferPointer
        let file: String
        var index = 0

        init(bytes: UnsafeRawBufferPointer, file: String) {
            self.bytes = bytes
            self.file = file
        }

        mutating func unsigned() -> UInt64? {
            var value: UInt64 = 0
            var shift: UInt64 = 0
            while index < bytes.count, shift < 64 {
                let byte = bytes[index]
                index += 1
                value |= UInt64(byte & 0x7F) << shift
                if byte < 0x80 { return value }
                shift += 7
            }
            return nil
        }

        mutating func signed() -> Int? {
            guard let raw = unsigned() else { return nil }
            return Int(Int64(bitPattern: (raw >> 1) ^ (0 &- (raw & 1))))
        }

        mutating func count() -> Int? {
            guard let raw = unsigned(), raw <= UInt64(bytes.count - index) else { return nil }
            return Int(raw)
        }

        mutating func string() -> String? {
            guard let length = count() else { return nil }
            let text = String(decoding: UnsafeRawBufferPointer(rebasing: bytes[index..<index + length]), as: UTF8.self)
            index += length
            return text
        }

        mutating func location() -> SourceLocation? {
            guard let line = signed(), let column = signed() else { return nil }
            return SourceLocation(file: file, line: line, column: column)
        }

        mutating func node(depth: Int) -> ConfigNode? {
            guard depth < 256, index < bytes.count, let tag = Tag(rawValue: bytes[index]) else { return nil }
            index += 1
            switch tag {
            case .null:
                return location().map { ConfigNode(.null, at: $0) }
            case .bool:
                guard index < bytes.count else { return nil }
                let value = bytes[index] != 0
                index += 1
                return location().map { ConfigNode(.bool(value), at: $0) }
            case .integer:
                guard let value = signed(), let here = location() else { return nil }
                return ConfigNode(.integer(value), at: here)
            case .number:
                guard index + 8 <= bytes.count else { return nil }
                var pattern: UInt64 = 0
                withUnsafeMutableBytes(of: &pattern) { $0.copyMemory(from: UnsafeRawBufferPointer(rebasing: bytes[index..<index + 8])) }
                index += 8
                return location().map { ConfigNode(.number(Double(bitPattern: UInt64(littleEndian: pattern))), at: $0) }
            case .string:
                guard let text = string(), let here = location() else { return nil }
                return ConfigNode(.string(text), at: here)
            case .array:
                guard let count = count(), let here = location() else { return nil }
                var elements: [ConfigNode] = []
                elements.reserveCapacity(count)
                for _ in 0..<count {
                    guard let element = node(depth: depth + 1) else { return nil }
                    elements.append(element)
                }
                return ConfigNode(.array(elements), at: here)
            case .object:
                guard let count = count(), let here = location() else { return nil }
                var entries: [ConfigNode.Entry] = []
                entries.reserveCapacity(count)
                for _ in 0..<count {
                    guard let key = string(), let keyLocation = location(), let value = node(depth: depth + 1) else { return nil }
                    entries.append(.init(key: key, keyLocation: keyLocation, node: value))
                }
                return ConfigNode(.object(entries), at: here)
            }
        }
    }
}
