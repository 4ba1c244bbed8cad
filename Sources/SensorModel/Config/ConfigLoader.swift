import Foundation

/// Reads every config layer from where it lives and merges them.
public struct ConfigLoader: Sendable {
    /// The declarations built into the binary (file name, YAML text), merged first.
    public var builtInSources: [(String, String)] = []
    /// Whether the built-in declarations are trusted as checked when the binary was built (a
    /// scan or run: a tenth of an idle start was checking them again); `--validate-config`
    /// checks them.
    public var builtInSourcesCheckedAtBuild = false
    /// `sources.d` directories, lowest first, merged over the built-in ones.
    public var sourceDirectories: [URL] = []
    /// The server's sensor-config document (already fetched or cached), if any.
    public var serverDocument: (data: Data, origin: String)?
    /// `--set` overrides: `SOURCE_ID:field.path=value` or `settings.path=value` (value in YAML syntax).
    public var overrides: [String] = []
    /// `--disable` source ids.
    public var disabledSources: [String] = []
    /// The local policy, and how its path templates expand; without one nothing is enforced
    /// (the ingest server validating a document, tests of the merge itself).
    public var policy: (LocalPolicy, PathTemplate)?

    public init() {}

    /// Loads and merges every layer. Problems are in the result; nothing throws.
    public func load(merger: ConfigMerger = ConfigMerger()) -> EffectiveConfig {
        var layers: [ConfigLayer] = []
        var problems: [ConfigProblem] = []

        if !builtInSources.isEmpty {
            let documents = builtInSources.compactMap { name, text in
                try? ParsedDocumentCache.parse(text, file: "built-in sources.d/\(name)")
            }
            layers.append(ConfigLayer(kind: .local, origin: "built-in sources.d", documents: documents,
                                      checkedAtBuild: builtInSourcesCheckedAtBuild))
        }
        for directory in sourceDirectories {
            let (layer, readProblems) = Self.layer(fromDirectory: directory)
            problems += readProblems
            if let layer { layers.append(layer) }
        }
        if let serverDocument {
            let (layer, serverProblems) = Self.serverLayer(serverDocument.data, origin: serverDocument.origin,
                                                           merger: merger)
            problems += serverProblems
            if let layer { layers.append(layer) }
        }
        let (flags, flagProblems) = Self.flagLayer(overrides: overrides, disabled: disabledSources)
        problems += flagProblems
        if let flags { layers.append(flags) }

        var config = merger.merge(layers)
        if let (policy, template) = policy {
            let local = merger.merge(layers.filter { $0.kind != .server })
            config = PolicyEnforcement(policy: policy, template: template).apply(to: config, local: local)
        }
        config.problems = problems + config.problems
        return config
    }

    /// One layer from the YAML (and JSON) files of a directory, in file-name order.
    public static func layer(fromDirectory directory: URL) -> (ConfigLayer?, [ConfigProblem]) {
        let fileManager = FileManager.default
        var isDirectory: ObjCBool = false
        guard fileManager.fileExists(atPath: directory.path, isDirectory: &isDirectory), isDirectory.boolValue else {
            return (nil, [ConfigProblem(SourceLocation(file: directory.path), field: "", "sources directory does not exist")])
        }
        let names = ((try? fileManager.contentsOfDirectory(atPath: directory.path)) ?? [])
            .filter { $0.hasSuffix(".yaml") || $0.hasSuffix(".yml") || $0.hasSuffix(".json") }
            .filter { !$0.hasPrefix(".") }
            .sorted()
        var documents: [ConfigNode] = []
        var problems: [ConfigProblem] = []
        for name in names {
            do {
                documents.append(try ConfigParser.parse(contentsOf: directory.appendingPathComponent(name)))
            } catch {
                problems.append(error)
            }
        }
        return (ConfigLayer(kind: .local, origin: directory.path, documents: documents), problems)
    }

    /// The server layer, or nil with the reasons when the document is not valid: a bad server
    /// document is never half-applied.
    public static func serverLayer(_ data: Data, origin: String,
                                   merger: ConfigMerger = ConfigMerger()) -> (ConfigLayer?, [ConfigProblem]) {
        guard data.count <= ParseLimits.server.maxBytes else {
            return (nil, [ConfigProblem(SourceLocation(file: origin), field: "",
                                        "server config of \(data.count) bytes exceeds \(ParseLimits.server.maxBytes)")])
        }
        guard let text = String(data: data, encoding: .utf8) else {
            return (nil, [ConfigProblem(SourceLocation(file: origin), field: "", "server config is not UTF-8 text")])
        }
        let document: ConfigNode
        do {
            document = try ConfigParser.parse(text, file: origin, limits: .server)
        } catch {
            return (nil, [error])
        }
        let layer = ConfigLayer(kind: .server, origin: origin, documents: [document])
        let problems = merger.problems(in: layer)
        return problems.isEmpty ? (layer, []) : (nil, problems)
    }

    /// Validates a server sensor-config document (JSON or YAML) on its own; each problem is a
    /// `file:line:column: field: reason` line. For the ingest server, which serves these documents.
    public static func validateServerDocument(_ data: Data, origin: String) -> [String] {
        let (layer, problems) = serverLayer(data, origin: origin)
        guard let layer else { return problems.map(\.description) }
        // A server document may add sources: those must be complete once merged over nothing
        // but built-in defaults, unless they only change fields of sources declared elsewhere
        // or extend a source the laptops declare.
        let merged = ConfigMerger().merge([layer])
        return merged.problems
            .filter { !$0.reason.hasPrefix("required field is missing (in no layer)") && !$0.reason.hasPrefix("no source '") }
            .map(\.description)
    }

    /// The command-line layer.
    static func flagLayer(overrides: [String], disabled: [String]) -> (ConfigLayer?, [ConfigProblem]) {
        guard !overrides.isEmpty || !disabled.isEmpty else { return (nil, []) }
        let here = SourceLocation(file: "command line")
        var sources: [String: ConfigNode] = [:]
        var sourceOrder: [String] = []
        var settings = ConfigNode(.object([]), at: here)
        var problems: [ConfigProblem] = []

        func nested(_ path: [String], _ leaf: ConfigNode) -> ConfigNode {
            path.reversed().reduce(leaf) { node, key in
                ConfigNode(.object([.init(key: key, keyLocation: here, node: node)]), at: here)
            }
        }
        func addSource(_ id: String, _ node: ConfigNode) {
            if sources[id] == nil { sourceOrder.append(id) }
            sources[id] = ConfigMerger.merge(sources[id] ?? nested(["id"], ConfigNode(.string(id), at: here)), node)
        }

        for (index, override) in overrides.enumerated() {
            let location = SourceLocation(file: "command line --set #\(index + 1)")
            guard let equals = override.firstIndex(of: "=") else {
                problems.append(ConfigProblem(location, field: override, "expected FIELD=VALUE"))
                continue
            }
            let target = String(override[..<equals])
            let valueText = String(override[override.index(after: equals)...])
            let value: ConfigNode
            do {
                value = try ConfigParser.parse(valueText, file: location.file)
            } catch {
                problems.append(error)
                continue
            }
            if let colon = target.firstIndex(of: ":") {
                let id = String(target[..<colon])
                let path = target[target.index(after: colon)...].split(separator: ".").map(String.init)
                addSource(id, nested(path, value))
            } else {
                settings = ConfigMerger.merge(settings, nested(target.split(separator: ".").map(String.init), value))
            }
        }
        for id in disabled {
            addSource(id, nested(["enabled"], ConfigNode(.bool(false), at: here)))
        }
        var entries = settings.entries
        if !sourceOrder.isEmpty {
            let list = ConfigNode(.array(sourceOrder.compactMap { sources[$0] }), at: here)
            entries.append(.init(key: "sources", keyLocation: here, node: list))
        }
        let document = ConfigNode(.object(entries), at: here)
        return (ConfigLayer(kind: .flags, origin: "command line", documents: [document]), problems)
    }
}
