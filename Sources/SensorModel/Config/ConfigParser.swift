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

/// Reads YAML (and JSON, which libyaml parses as YAML) into a ``ConfigNode`` tree with locations.
public enum ConfigParser {
    /// Parses one document. An empty document is an empty object.
    public static func parse(_ text: String, file: String) throws(ConfigProblem) -> ConfigNode {
        let root: Node?
        do {
            root = try Yams.compose(yaml: text)
        } catch let error as YamlError {
            throw problem(from: error, file: file)
        } catch {
            throw ConfigProblem(SourceLocation(file: file), field: "", "cannot parse: \(error)")
        }
        guard let root else { return ConfigNode(.object([]), at: SourceLocation(file: file, line: 1, column: 1)) }
        return try convert(root, file: file)
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

    static func location(_ mark: Mark?, _ file: String) -> SourceLocation {
        SourceLocation(file: file, line: mark?.line ?? 0, column: mark?.column ?? 0)
    }

    static func convert(_ node: Node, file: String) throws(ConfigProblem) -> ConfigNode {
        let here = location(node.mark, file)
        switch node {
        case .scalar(let scalar):
            return ConfigNode(scalarValue(scalar), at: here)
        case .sequence(let sequence):
            var elements: [ConfigNode] = []
            for child in sequence { elements.append(try convert(child, file: file)) }
            return ConfigNode(.array(elements), at: here)
        case .mapping(let mapping):
            var entries: [ConfigNode.Entry] = []
            for (key, value) in mapping {
                guard case .scalar(let keyScalar) = key else {
                    throw ConfigProblem(location(key.mark, file), field: "", "keys must be plain strings")
                }
                entries.append(.init(key: keyScalar.string, keyLocation: location(key.mark, file),
                                     node: try convert(value, file: file)))
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
        if tag == .implicit { tag = scalar.style == .plain ? Resolver.default.resolveTag(of: node) : .str }
        switch tag {
        case .null: return .null
        case .bool: return node.bool.map(ConfigNode.Value.bool) ?? .string(text)
        case .int: return node.int.map(ConfigNode.Value.integer) ?? .string(text)
        case .float: return node.float.map(ConfigNode.Value.number) ?? .string(text)
        default: return .string(text)
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
