import Foundation
import Yams

/// A problem with a config document: where it is and what is wrong, printed as
/// `file:line:column: field: reason`.
public struct ConfigProblem: Error, Sendable, Hashable, CustomStringConvertible {
    public var location: SourceLocation
    /// Dotted path of the field, starting with the source id where there is one
    /// (`my-tool.transcripts.sqlite.query`).
    public var field: String
    public var reason: String

    public init(_ location: SourceLocation, field: String, _ reason: String) {
        self.location = location
        self.field = field
        self.reason = reason
    }

    public var description: String {
        field.isEmpty ? "\(location): \(reason)" : "\(location): \(field): \(reason)"
    }
}

/// How much of a document is read before it is refused. A document from the server is read
/// defensively: size-capped, without YAML anchors and aliases (a few hundred bytes of aliases
/// expand to billions of nodes), and node-capped, before anything else looks at it.
public struct ParseLimits: Sendable {
    public var maxBytes: Int
    public var maxNodes: Int
    public var refusesAnchors: Bool

    /// Files on this machine: its owner's to write.
    public static let local = ParseLimits(maxBytes: 64 << 20, maxNodes: 4_000_000, refusesAnchors: false)
    /// The server's sensor-config.
    public static let server = ParseLimits(maxBytes: 4 << 20, maxNodes: 200_000, refusesAnchors: true)
}

/// Reads YAML (and JSON, which libyaml parses as YAML) into a ``ConfigNode`` tree with locations.
public enum ConfigParser {
    /// Parses one document within `limits`. An empty document is an empty object.
    public static func parse(_ text: String, file: String, limits: ParseLimits = .local) throws(ConfigProblem) -> ConfigNode {
        guard text.utf8.count <= limits.maxBytes else {
            throw ConfigProblem(SourceLocation(file: file), field: "", "document of \(text.utf8.count) bytes exceeds \(limits.maxBytes)")
        }
        if limits.refusesAnchors, let (line, column, token) = anchorOrAlias(in: text) {
            throw ConfigProblem(SourceLocation(file: file, line: line, column: column), field: "",
                                "YAML anchors and aliases are not accepted here (\(token))")
        }
        let root: Node?
        do {
            root = try Yams.compose(yaml: text)
        } catch let error as YamlError {
            throw problem(from: error, file: file)
        } catch {
            throw ConfigProblem(SourceLocation(file: file), field: "", "cannot parse: \(error)")
        }
        guard let root else { return ConfigNode(.object([]), at: SourceLocation(file: file, line: 1, column: 1)) }
        var budget = limits.maxNodes
        return try convert(root, file: file, limits: limits, budget: &budget)
    }

    /// Reads and parses a file.
    public static func parse(contentsOf url: URL) throws(ConfigProblem) -> ConfigNode {
        let data: Data
        do {
            data = try Data(contentsOf: url)
        } catch {
            throw ConfigProblem(SourceLocation(file: url.path), field: "", "cannot read: \(error.localizedDescription)")
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw ConfigProblem(SourceLocation(file: url.path), field: "", "not UTF-8 text")
        }
        return try parse(text, file: url.path)
    }

    /// The first YAML anchor (`&a`) or alias (`*a`) of `text`, found before libyaml composes
    /// anything: an `&` or `*` where a node starts (after indentation, `- `, `: `, `[`, `{` or
    /// `,`), outside quotes and comments. JSON holds none.
    static func anchorOrAlias(in text: String) -> (line: Int, column: Int, token: String)? {
        var line = 1, column = 0
        var quote: UInt8? = nil
        var inComment = false
        var atNodeStart = true  // at a line's start or after an indicator that opens a node
        let bytes = Array(text.utf8)
        var index = 0
        while index < bytes.count {
            let byte = bytes[index]
            column += 1
            defer { index += 1 }
            if byte == UInt8(ascii: "\n") {
                line += 1
                column = 0
                inComment = false
                if quote != nil { continue }  // a quoted scalar may go on
                atNodeStart = true
                continue
            }
            if inComment { continue }
            if let open = quote {
                if byte == UInt8(ascii: "\\") && open == UInt8(ascii: "\"") { index += 1; column += 1 }
                else if byte == open { quote = nil; atNodeStart = false }
                continue
            }
            switch byte {
            case UInt8(ascii: " "), UInt8(ascii: "\t"), UInt8(ascii: "\r"):
                continue
            case UInt8(ascii: "#"):
                if index == 0 || [UInt8(ascii: " "), UInt8(ascii: "\t"), UInt8(ascii: "\n")].contains(bytes[index - 1]) { inComment = true }
                else { atNodeStart = false }
            case UInt8(ascii: "\""), UInt8(ascii: "'"):
                if atNodeStart { quote = byte } else { atNodeStart = false }
            case UInt8(ascii: "&"), UInt8(ascii: "*"):
                if atNodeStart, index + 1 < bytes.count, !" \t\r\n,]}".utf8.contains(bytes[index + 1]) {
                    let name = bytes[index...].prefix { !" \t\r\n,]}".utf8.contains($0) }
                    return (line, column, String(decoding: name, as: UTF8.self))
                }
                atNodeStart = false
            case UInt8(ascii: "["), UInt8(ascii: "{"), UInt8(ascii: ","):
                atNodeStart = true
            case UInt8(ascii: "-"), UInt8(ascii: ":"), UInt8(ascii: "?"):
                let next = index + 1 < bytes.count ? bytes[index + 1] : UInt8(ascii: " ")
                atNodeStart = [UInt8(ascii: " "), UInt8(ascii: "\t"), UInt8(ascii: "\n"), UInt8(ascii: "\r")].contains(next)
            default:
                atNodeStart = false
            }
        }
        return nil
    }

    static func location(_ mark: Mark?, _ file: String) -> SourceLocation {
        SourceLocation(file: file, line: mark?.line ?? 0, column: mark?.column ?? 0)
    }

    static func convert(_ node: Node, file: String, limits: ParseLimits, budget: inout Int) throws(ConfigProblem) -> ConfigNode {
        let here = location(node.mark, file)
        budget -= 1
        guard budget >= 0 else { throw ConfigProblem(here, field: "", "more than \(limits.maxNodes) values in one document") }
        switch node {
        case .scalar(let scalar):
            return ConfigNode(scalarValue(scalar), at: here)
        case .sequence(let sequence):
            var elements: [ConfigNode] = []
            for child in sequence { elements.append(try convert(child, file: file, limits: limits, budget: &budget)) }
            return ConfigNode(.array(elements), at: here)
        case .mapping(let mapping):
            var entries: [ConfigNode.Entry] = []
            for (key, value) in mapping {
                guard case .scalar(let keyScalar) = key else {
                    throw ConfigProblem(location(key.mark, file), field: "", "keys must be plain strings")
                }
                entries.append(.init(key: keyScalar.string, keyLocation: location(key.mark, file),
                                     node: try convert(value, file: file, limits: limits, budget: &budget)))
            }
            return ConfigNode(.object(entries), at: here)
        case .alias:
            throw ConfigProblem(here, field: "", "YAML aliases are not supported")
        }
    }

    static func scalarValue(_ scalar: Node.Scalar) -> ConfigNode.Value {
        let text = scalar.string
        let node = Node.scalar(scalar)
        // Plain scalars carry an implicit tag until resolved; quoted ones resolve to strings.
        var tag = Tag.Name(rawValue: scalar.tag.description)
        if tag == .implicit {
            tag = scalar.style == .plain && mayResolveToNonString(text) ? Resolver.default.resolveTag(of: node) : .str
        }
        switch tag {
        case .null: return .null
        case .bool: return node.bool.map(ConfigNode.Value.bool) ?? .string(text)
        case .int: return node.int.map(ConfigNode.Value.integer) ?? .string(text)
        case .float: return node.float.map(ConfigNode.Value.number) ?? .string(text)
        default: return .string(text)
        }
    }

    /// Whether Yams' default resolver (seven regular expressions, run for every plain scalar)
    /// could give `text` a tag other than `str`: only numbers, dates, `~`, `<<`, `=`, the empty
    /// string and the words of at most five letters it knows (`yes`, `FALSE`, `null`…) can be.
    static func mayResolveToNonString(_ text: String) -> Bool {
        guard let first = text.utf8.first else { return true }
        switch first {
        case UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "+"), UInt8(ascii: "-"), UInt8(ascii: "."),
             UInt8(ascii: "<"), UInt8(ascii: "="), UInt8(ascii: "~"):
            return true
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"):
            return text.utf8.count <= 5
        default:
            return false
        }
    }

    static func problem(from error: YamlError, file: String) -> ConfigProblem {
        func trimmed(_ s: String) -> String { s.trimmingCharacters(in: .whitespacesAndNewlines) }
        switch error {
        case let .scanner(context, problem, mark, _),
             let .parser(context, problem, mark, _),
             let .composer(context, problem, mark, _):
            let prefix = context.map { trimmed($0.text) + ": " } ?? ""
            return ConfigProblem(location(mark, file), field: "", "malformed YAML: \(prefix)\(problem)")
        case let .duplicatedKeysInMapping(duplicates, context):
            return ConfigProblem(location(context.mark, file), field: "",
                                 "duplicate key \(duplicates.sorted().map { "'\($0)'" }.joined(separator: ", "))")
        case let .reader(problem, offset, _, _):
            return ConfigProblem(SourceLocation(file: file), field: "", "unreadable text: \(problem) at byte \(offset ?? 0)")
        default:
            return ConfigProblem(SourceLocation(file: file), field: "", "malformed YAML: \(trimmed(String(describing: error)))")
        }
    }
}
