import Foundation

/// How a source's records are laid out in its files.
public enum RecordFormat: String, Sendable, CaseIterable {
    /// One record a line.
    case jsonl
    /// Rows of a declared query.
    case sqlite
    /// The whole document is one record.
    case json
    /// The whole file is one text record.
    case text
    /// The whole file is one binary record.
    case blob
}

/// How the engine remembers what it has already read.
public enum OffsetStrategy: String, Sendable, CaseIterable {
    /// Append-only files: identity (device, inode, first-line fingerprint) and a byte offset.
    case byte
    /// A high-water mark of a column, bound as `:cursor`.
    case cursor
    /// Rows updated in place: a content hash per row key.
    case keyed
    /// The whole document, re-sent when its content hash changes.
    case snapshot
}

/// How a column value is put into an envelope.
public enum ColumnEncoding: String, Sendable, CaseIterable {
    case auto, json, text, base64
    /// Hex-encoded JSON text, decoded and embedded.
    case hexJSON = "hex_json"
}

/// A value bound to a query parameter or kept as a cursor.
public enum SQLValue: Sendable, Hashable, Codable, CustomStringConvertible {
    case integer(Int64)
    case real(Double)
    case text(String)
    case null

    public var description: String {
        switch self {
        case .integer(let v): return String(v)
        case .real(let v): return String(v)
        case .text(let v): return v
        case .null: return "null"
        }
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() { self = .null }
        else if let v = try? container.decode(Int64.self) { self = .integer(v) }
        else if let v = try? container.decode(Double.self) { self = .real(v) }
        else { self = .text(try container.decode(String.self)) }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .integer(let v): try container.encode(v)
        case .real(let v): try container.encode(v)
        case .text(let v): try container.encode(v)
        case .null: try container.encodeNil()
        }
    }

    init?(_ node: ConfigNode) {
        switch node.value {
        case .integer(let v): self = .integer(Int64(v))
        case .number(let v): self = .real(v)
        case .string(let v): self = .text(v)
        case .null: self = .null
        default: return nil
        }
    }
}

/// Where a tool keeps its data, per operating system.
public struct RootTemplates: Sendable, Equatable {
    public var all: [String] = []
    public var macOS: [String]?
    public var linux: [String]?
    public var windows: [String]?
    /// Split each expanded root on this character.
    public var split: Character?
    /// More roots, listed in a JSON file the tool keeps of its projects.
    public var registry: RegistryRoots?

    public init() {}

    /// The templates that apply on `system`.
    public func templates(for system: OperatingSystem) -> [String] {
        switch system {
        case .macOS: return macOS ?? all
        case .linux: return linux ?? all
        case .windows: return windows ?? all
        }
    }
}

/// Roots a tool lists in a JSON file of its own (a registry of projects, each with its data
/// folder): an array of entries or an object whose values are entries.
public struct RegistryRoots: Sendable, Equatable {
    /// Templates of where the registry may be: the first that exists is read.
    public var files: [String]
    /// The entry field holding a project's folder.
    public var pathField: String
    /// The entry field naming the tool's folder within the project, and the folder to use when
    /// an entry names none.
    public var folderField: String?
    public var folder: String?

    public init(files: [String], pathField: String) {
        self.files = files
        self.pathField = pathField
    }

    /// The roots listed in a registry's JSON text (entries without a path are skipped).
    public func roots(inRegistry data: Data) -> [String] {
        guard let document = try? JSONSerialization.jsonObject(with: data) else { return [] }
        let entries: [Any] = (document as? [Any]) ?? (document as? [String: Any]).map { object in
            object.keys.sorted().map { object[$0]! }
        } ?? []
        return entries.compactMap { entry in
            guard let entry = entry as? [String: Any], let path = entry[pathField] as? String, path.hasPrefix("/") || path.contains(":") else {
                return nil
            }
            let folder = folderField.flatMap { entry[$0] as? String } ?? self.folder ?? ""
            return folder.isEmpty ? path : (folder.hasPrefix("/") ? folder : path + "/" + folder)
        }
    }
}

/// What the engine needs to run a SQL source.
public struct SQLiteOptions: Sendable, Equatable {
    public var query: String
    public var pageSize: Int = 1000
    public var cursorColumn: String?
    public var initialCursor: SQLValue = .integer(0)
    public var keyColumns: [String] = []
    public var requiredTables: [String] = []
    public var busyTimeoutMilliseconds: Int = 2000
    public var params: [String: SQLValue] = [:]
    public var columns: [String: ColumnEncoding] = [:]

    public init(query: String) {
        self.query = query
    }
}

/// One source, after all config layers are merged: what to read and how.
public struct SourceDeclaration: Sendable, Equatable, Identifiable {
    public var id: String
    public var name: String
    public var tool: String?
    public var kind: String
    public var enabled: Bool
    public var priority: Int
    public var roots: RootTemplates
    public var include: [String]
    public var exclude: [String]
    public var followSymlinks: Bool
    public var format: RecordFormat
    public var offset: OffsetStrategy
    public var maxRecordBytes: Int
    /// `offset: byte`: how many complete first lines make a file's identity (its fingerprint).
    public var fingerprintLines = 1
    public var pollInterval: Double
    public var deniedKeys: [String]
    public var deniedColumns: [String]
    public var stripNul: Bool
    /// `format: jsonl`: how the file's bytes hold its lines (plain, or zstd frames).
    public var compression = LineCompression.none
    public var sqlite: SQLiteOptions?
    /// The only fields of a JSON document that leave (see ``FieldProjection``); nil: the whole document.
    public var fields: FieldProjection?
    /// The source reads who is signed in to a tool (an account file); the local policy can
    /// opt out of every such source at once (`opt_out.identity`).
    public var identity = false
    /// Columns whose values `deniedKeys` are matched against in every table a query reads
    /// (set by the local policy: `key` and every layer's key columns).
    public var keyGuardColumns: [String] = ["key"]
    /// The query came from the server's sensor-config: it runs with only the SQL functions
    /// that cannot re-encode a value (set by the local policy).
    public var sqlFromServer = false

    public init(id: String, kind: String, format: RecordFormat, offset: OffsetStrategy) {
        self.id = id
        self.name = id
        self.kind = kind
        self.enabled = true
        self.priority = 100
        self.roots = RootTemplates()
        self.include = []
        self.exclude = []
        self.followSymlinks = false
        self.format = format
        self.offset = offset
        self.maxRecordBytes = 64 << 20
        self.pollInterval = 5
        self.deniedKeys = []
        self.deniedColumns = []
        self.stripNul = true
    }
}

/// How a `format: jsonl` file holds its lines.
public enum LineCompression: String, Sendable, CaseIterable {
    /// Plain lines.
    case none
    /// A concatenation of zstd frames (RFC 8878), each holding whole lines, appended one
    /// frame at a time: a frame is read once it is complete.
    case zstd
}

/// The operating systems a declaration can name.
public enum OperatingSystem: String, Sendable, CaseIterable {
    case macOS = "macos", linux, windows

    /// The system this binary runs on.
    public static var current: OperatingSystem {
        #if os(macOS)
        return .macOS
        #elseif os(Windows)
        return .windows
        #else
        return .linux
        #endif
    }
}
