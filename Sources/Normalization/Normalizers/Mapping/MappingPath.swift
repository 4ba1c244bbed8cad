import Foundation
import IngestStore
import SensorModel

/// Where a mapping finds a value in a record: `message.usage.input_tokens`, `content[].text`,
/// `parts[type=text].text`, `['$set'].lastUpdated`, `$memory.session`, `$path|stem`,
/// `text|json.tokensIn`.
///
/// - A path starts at the current item (the record, or the element of `split`/`each`), or at a
///   root: `$item` (the current item itself: a string element of `each`), `$record` (the whole record), `$parent` (the item around an `each`), `$memory.<name>`
///   (what `remember` kept for the file), `$path`, `$position`, `$index`, `$kind`, `$source`.
/// - `.key` reads an object's field, `['key']` one whose name has dots or a `$`, `[N]` an array
///   element (`[-1]` the last), `[]` every element, `[field=value]` the elements whose field
///   equals the value, `[field!=value]` the others; filters in a row all hold
///   (`content[type=text][internalOnly!=true]`).
/// - `|json` parses a string holding JSON, `|stem` / `|name` / `|parent` / `|dir` read a file
///   path (file name up to its first dot, file name, folder name, folder path), `|lower`
///   lower-cases, `|first` keeps the first of the values reached so far, `|last` the last
///   (`messages|json[role=user]|last`: the newest prompt of a history sent whole),
///   `|entries` turns an object into `{key, value}` elements, `|base64` decodes
///   a base64 column to bytes, `|zstd` decompresses bytes that are a zstd frame (others pass
///   as they are): `data|base64|zstd|json.messages[]` reads a compressed document in a row.
/// A path with `[]` or a filter gives every value it reaches (nil when none).
public struct MappingPath: Sendable, Equatable, CustomStringConvertible {
    public enum Root: String, Sendable, CaseIterable {
        case item, record, parent, memory, path, position, index, kind, source
    }

    package enum Step: Sendable, Equatable {
        case key(String)
        case index(Int)
        case every
        case filter(key: String, value: String, equal: Bool)
        case pipe(Function)
    }

    package enum Function: String, Sendable, CaseIterable {
        case json, stem, name, parent, dir, lower, entries, base64, zstd, first, last
    }

    public let text: String
    package let root: Root
    package let steps: [Step]
    /// Whether the path can give several values.
    let isMultiple: Bool
    /// For a path from `$record`: after which steps (each a function: `|base64`, `|zstd`,
    /// `|json`) the values are kept for the record's other items, and under which key (the
    /// path's text so far, the same for every path that begins alike).
    let recordCheckpoints: [Checkpoint]

    package struct Checkpoint: Sendable, Equatable {
        package let step: Int
        package let key: String
    }

    public var description: String { text }

    /// Parses a path; the error says what is wrong and where in the text.
    public init(_ text: String) throws(MappingError) {
        self.text = text
        var scanner = Scanner(text)
        var root = Root.item
        var steps: [Step] = []
        if scanner.peek == "$" {
            scanner.advance()
            let name = scanner.identifier()
            guard let known = Root(rawValue: name) else {
                var reason = "unknown root '$\(name)'"
                if let guess = Spelling.nearest(to: name, among: Root.allCases.map(\.rawValue)) {
                    reason += "; did you mean '$\(guess)'?"
                }
                throw MappingError(reason + " (a field named with a '$' is written ['\(name)'])")
            }
            root = known
            if known == .memory {
                guard scanner.peek == "." else { throw MappingError("$memory needs a name: $memory.session") }
                scanner.advance()
                let name = scanner.identifier()
                guard !name.isEmpty else { throw MappingError("$memory needs a name: $memory.session") }
                steps.append(.key(name))
            }
        }
        var expectsSegment = root == .item && !text.hasPrefix("$")
        var checkpoints: [Checkpoint] = []
        while !scanner.isAtEnd {
            switch scanner.peek {
            case ".":
                scanner.advance()
                expectsSegment = true
            case "[":
                scanner.advance()
                steps.append(try Self.bracket(&scanner))
                expectsSegment = false
            case "|":
                scanner.advance()
                let name = scanner.identifier()
                guard let function = Function(rawValue: name) else {
                    var reason = "unknown function '|\(name)'"
                    if let guess = Spelling.nearest(to: name, among: Function.allCases.map(\.rawValue)) {
                        reason += "; did you mean '|\(guess)'?"
                    }
                    throw MappingError(reason)
                }
                steps.append(.pipe(function))
                if root == .record { checkpoints.append(Checkpoint(step: steps.count - 1, key: scanner.prefix)) }
                expectsSegment = false
            default:
                guard expectsSegment else { throw MappingError("'.' expected at character \(scanner.offset + 1)") }
                let name = scanner.identifier()
                guard !name.isEmpty else { throw MappingError("unexpected '\(scanner.peek ?? " ")' at character \(scanner.offset + 1)") }
                steps.append(.key(name))
                expectsSegment = false
            }
        }
        if expectsSegment && !(root == .item && steps.isEmpty && text.isEmpty) {
            throw MappingError("a path may not end with '.'")
        }
        guard !text.isEmpty else { throw MappingError("empty path") }
        self.root = root
        self.steps = steps
        recordCheckpoints = checkpoints
        isMultiple = steps.contains { if case .every = $0 { return true }; if case .filter = $0 { return true }; return false }
    }

    private static func bracket(_ scanner: inout Scanner) throws(MappingError) -> Step {
        if scanner.peek == "]" {
            scanner.advance()
            return .every
        }
        if scanner.peek == "'" {
            scanner.advance()
            let name = scanner.characters(until: "'")
            guard scanner.peek == "'" else { throw MappingError("unclosed quote in ['…']") }
            scanner.advance()
            guard scanner.peek == "]" else { throw MappingError("']' expected after '\(name)'") }
            scanner.advance()
            return .key(name)
        }
        let inside = scanner.characters(until: "]")
        guard scanner.peek == "]" else { throw MappingError("unclosed '['") }
        scanner.advance()
        if let index = Int(inside) { return .index(index) }
        let parts = inside.split(separator: "=", maxSplits: 1).map(String.init)
        guard parts.count == 2, !parts[0].isEmpty, parts[0] != "!" else {
            throw MappingError("'[\(inside)]' is not [], [N], ['name'], [field=value] or [field!=value]")
        }
        if parts[0].hasSuffix("!") { return .filter(key: String(parts[0].dropLast()), value: parts[1], equal: false) }
        return .filter(key: parts[0], value: parts[1], equal: true)
    }

    /// The value (or, for a path that can give several, the array of values) at this path.
    func evaluate(in scope: MappingScope) -> Any? {
        switch root {
        case .record where !recordCheckpoints.isEmpty:
            return result(fromRecord: scope)
        case .memory:
            guard case .key(let name)? = steps.first, let value = scope.memory.values?[name] else { return nil }
            return walk(steps.dropFirst(), from: value)
        default:
            guard let start = start(in: scope) else { return nil }
            return walk(steps[...], from: start)
        }
    }

    /// The value a root other than `$memory` starts from (nil: the root is absent).
    private func start(in scope: MappingScope) -> Any? {
        switch root {
        case .item: return scope.item
        case .record: return scope.record.record
        case .parent: return scope.parent
        case .memory: return nil
        case .path: return scope.record.path
        case .position: return NSNumber(value: scope.record.position)
        case .index: return scope.index.map { NSNumber(value: $0) }
        case .kind: return scope.record.kind
        case .source: return scope.record.source
        }
    }

    /// `steps` from one value: one value at a time when the path gives one (no array made per
    /// step: most of a mapping's paths, read for every record), else every value reached.
    private func walk(_ steps: ArraySlice<Step>, from start: Any) -> Any? {
        isMultiple ? result(advance(steps, from: [start])) : advanceOne(steps, from: start)
    }

    /// A path from `$record` through functions: what a function gave is decoded once per
    /// record, not once per item and path (a compressed document split into its messages).
    private func result(fromRecord scope: MappingScope) -> Any? {
        let decoded = scope.recordValues
        var values: [Any] = [scope.record.record]
        var next = 0
        if let (step, cached) = recordCheckpoints.reversed().lazy.compactMap({ checkpoint in
            decoded.values[checkpoint.key].map { (checkpoint.step, $0) } }).first {
            values = cached
            next = step + 1
        }
        for checkpoint in recordCheckpoints where checkpoint.step >= next {
            values = advance(steps[next...checkpoint.step], from: values)
            decoded.values[checkpoint.key] = values
            next = checkpoint.step + 1
        }
        return result(advance(steps[next...], from: values))
    }

    /// ``advance(_:from:)`` for a path without `[]` or filters, one value at a time: no array
    /// is made per step (most of a mapping's paths, read for every record).
    private func advanceOne(_ steps: ArraySlice<Step>, from start: Any) -> Any? {
        var value = start
        for step in steps {
            switch step {
            case .key(let name):
                guard let object = value as? [String: Any], let field = object[name], !JSON.isNull(field) else { return nil }
                value = field
            case .index(let index):
                guard let array = value as? [Any] else { return nil }
                let position = index < 0 ? array.count + index : index
                guard array.indices.contains(position), !JSON.isNull(array[position]) else { return nil }
                value = array[position]
            case .pipe(.first), .pipe(.last):
                continue  // one value already
            case .pipe(let function):
                guard let next = Self.apply(function, to: value) else { return nil }
                value = next
            case .every, .filter:
                return nil  // never: such a path is multiple
            }
        }
        return value
    }

    /// The value (one, or an array for a path that can give several), or nil when none.
    private func result(_ values: [Any]) -> Any? {
        if isMultiple { return values.isEmpty ? nil : values }
        return values.first
    }

    /// The values reached from `start` through `steps` (none when a step reaches nothing).
    private func advance(_ steps: ArraySlice<Step>, from start: [Any]) -> [Any] {
        var values = start
        var filtered = false  // the values are elements a filter kept
        for step in steps {
            defer { if case .filter = step { filtered = true } else { filtered = false } }
            if case .pipe(.first) = step {
                values = Array(values.prefix(1))
                continue
            }
            if case .pipe(.last) = step {
                values = Array(values.suffix(1))
                continue
            }
            var next: [Any] = []
            for value in values {
                switch step {
                case .key(let name):
                    if let object = value as? [String: Any], let field = object[name], !JSON.isNull(field) { next.append(field) }
                case .index(let index):
                    if let array = value as? [Any] {
                        let position = index < 0 ? array.count + index : index
                        if array.indices.contains(position), !JSON.isNull(array[position]) { next.append(array[position]) }
                    }
                case .every:
                    if let array = value as? [Any] { next.append(contentsOf: array.filter { !JSON.isNull($0) }) }
                case .filter(let key, let expected, let equal):
                    func kept(_ element: Any) -> Bool {
                        guard let object = element as? [String: Any] else { return false }
                        return (object[key].flatMap(MappingValue.scalarText) == expected) == equal
                    }
                    if let array = value as? [Any] {
                        next.append(contentsOf: array.filter(kept))
                    } else if filtered, kept(value) {
                        next.append(value)  // a second filter tests the elements the first kept
                    }
                case .pipe(let function):
                    Self.apply(function, to: value).map { next.append($0) }
                }
            }
            values = next
            if values.isEmpty { return [] }
        }
        return values
    }

    private static func apply(_ function: Function, to value: Any) -> Any? {
        switch function {
        case .json:
            if let bytes = value as? MappingBytes { return JSONReader.parse(String(decoding: bytes.bytes, as: UTF8.self)) }
            guard let text = value as? String else { return value }
            return JSONReader.parse(text)
        case .base64:
            guard let text = value as? String, let data = Data(base64Encoded: text) else { return nil }
            return MappingBytes(bytes: [UInt8](data))
        case .zstd:
            guard let bytes = value as? MappingBytes else { return value }
            guard bytes.bytes.withUnsafeBytes({ Zstd.isFrame($0) }) else { return bytes }
            return Zstd.decompressStream(bytes.bytes).map(MappingBytes.init)
        case .stem, .name, .parent, .dir:
            guard let path = value as? String else { return nil }
            let components = path.split(separator: "/", omittingEmptySubsequences: true)
            switch function {
            case .name: return components.last.map(String.init)
            case .parent: return components.count >= 2 ? String(components[components.count - 2]) : nil
            case .dir: return components.count >= 2 ? components.dropLast().joined(separator: "/") : nil
            default: return components.last.map { String($0.prefix { $0 != "." }) }
            }
        case .lower:
            return (value as? String)?.lowercased()
        case .first, .last:
            return value
        case .entries:
            guard let object = value as? [String: Any] else { return nil }
            return object.keys.sorted().map { ["key": $0, "value": object[$0]!] as [String: Any] }
        }
    }

    /// A character scanner over the path text.
    private struct Scanner {
        package let characters: [Character]
        package var offset = 0

        package init(_ text: String) { characters = Array(text) }

        var isAtEnd: Bool { offset >= characters.count }
        var peek: Character? { isAtEnd ? nil : characters[offset] }
        package mutating func advance() { offset += 1 }

        /// The text read so far.
        package var prefix: String { String(characters[..<offset]) }

        package mutating func characters(until end: Character) -> String {
            var text = ""
            while let c = peek, c != end {
                text.append(c)
                advance()
            }
            return text
        }

        package mutating func identifier() -> String {
            var name = ""
            while let c = peek, c != ".", c != "[", c != "|", c != "]" {
                name.append(c)
                advance()
            }
            return name
        }
    }
}

/// Bytes decoded by `|base64` (and `|zstd`), read as text by `|json`.
package struct MappingBytes {
    package let bytes: [UInt8]
}

/// What a `$record` path's functions gave, by the path's text so far: kept while one record's
/// items are normalised.
package final class DecodedRecordValues {
    package var values: [String: [Any]] = [:]
}

/// What a path is evaluated against: the record, the current item and the file's memory.
package struct MappingScope {
    package let record: RawRecord
    package let item: Any
    package let parent: Any?
    package let index: Int?
    package let memory: FileMemory
    let recordValues: DecodedRecordValues

    package func with(item: Any, index: Int?) -> MappingScope {
        MappingScope(record: record, item: item, parent: self.item, index: index, memory: memory, recordValues: recordValues)
    }
}

/// A problem in a mapping's expression (the loader adds file, line and column).
public struct MappingError: Error, Sendable, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}
