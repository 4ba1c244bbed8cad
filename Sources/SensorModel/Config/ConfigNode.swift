import Foundation

/// Where a value was written: file, line and column (1-based).
public struct SourceLocation: Sendable, Hashable, CustomStringConvertible {
    public var file: String
    public var line: Int
    public var column: Int

    public init(file: String, line: Int = 0, column: Int = 0) {
        self.file = file
        self.line = line
        self.column = column
    }

    public var description: String {
        line > 0 ? "\(file):\(line):\(column)" : file
    }
}

/// A config value read from YAML or JSON, keeping the location of every node so that a
/// problem found anywhere later (schema, merge, semantics) can name the exact line.
public struct ConfigNode: Sendable {
    public enum Value: Sendable {
        case null
        case bool(Bool)
        case integer(Int)
        case number(Double)
        case string(String)
        case array([ConfigNode])
        case object([Entry])
    }

    /// One key of an object, with the location of the key itself.
    public struct Entry: Sendable {
        public var key: String
        public var keyLocation: SourceLocation
        public var node: ConfigNode
    }

    public var value: Value
    public var location: SourceLocation

    public init(_ value: Value, at location: SourceLocation) {
        self.value = value
        self.location = location
    }

    public subscript(key: String) -> ConfigNode? {
        guard case .object(let entries) = value else { return nil }
        return entries.first { $0.key == key }?.node
    }

    public var entries: [Entry] {
        if case .object(let entries) = value { return entries }
        return []
    }

    public var elements: [ConfigNode] {
        if case .array(let elements) = value { return elements }
        return []
    }

    public var string: String? {
        if case .string(let s) = value { return s }
        return nil
    }

    public var bool: Bool? {
        if case .bool(let b) = value { return b }
        return nil
    }

    public var integer: Int? {
        if case .integer(let i) = value { return i }
        return nil
    }

    public var number: Double? {
        switch value {
        case .integer(let i): return Double(i)
        case .number(let d): return d
        default: return nil
        }
    }

    public var strings: [String] { elements.compactMap(\.string) }

    /// The JSON type name used in messages and by the schema validator.
    public var typeName: String {
        switch value {
        case .null: return "null"
        case .bool: return "boolean"
        case .integer: return "integer"
        case .number: return "number"
        case .string: return "string"
        case .array: return "array"
        case .object: return "object"
        }
    }

    /// Plain Foundation value (for JSON output and hashing).
    public var plain: Any {
        switch value {
        case .null: return NSNull()
        case .bool(let b): return b
        case .integer(let i): return i
        case .number(let d): return d
        case .string(let s): return s
        case .array(let a): return a.map(\.plain)
        case .object(let entries):
            var dictionary: [String: Any] = [:]
            for entry in entries { dictionary[entry.key] = entry.node.plain }
            return dictionary
        }
    }
}
