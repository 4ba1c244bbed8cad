/// One layer of configuration. Later layers win, per source id and field by field:
/// built-in defaults < `sources.d/` directories (in order) < the server's sensor-config < flags.
public struct ConfigLayer: Sendable {
    public enum Kind: String, Sendable {
        case builtIn = "built-in"
        case local = "sources.d"
        case server = "server"
        case flags = "command line"
    }

    public var kind: Kind
    /// A file, directory or URL, for messages.
    public var origin: String
    /// Documents of this layer (one per file), each an object with `sources`, `defaults`,
    /// `redaction`, `upload` (and `version` for the server layer).
    public var documents: [ConfigNode]
    /// Whether the documents were checked against the schema when this binary was built (the
    /// built-in declarations: scripts/check-schemas.py and the tests), so that a start does not
    /// check them again.
    public var checkedAtBuild: Bool

    public init(kind: Kind, origin: String, documents: [ConfigNode], checkedAtBuild: Bool = false) {
        self.kind = kind
        self.origin = origin
        self.documents = documents
        self.checkedAtBuild = checkedAtBuild
    }

    /// The schema each document of this layer must satisfy.
    var schema: String {
        kind == .server ? "sensor-config.schema.json" : "source.schema.json"
    }
}

/// Where an effective value came from.
public struct Provenance: Sendable, Hashable, CustomStringConvertible {
    public var layer: ConfigLayer.Kind
    public var location: SourceLocation

    public var description: String { "\(layer.rawValue) \(location)" }
}
