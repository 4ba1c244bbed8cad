/// Merges config layers per source id, field by field, and turns the result into an
/// ``EffectiveConfig``.
///
/// Objects merge recursively; scalars and arrays are replaced whole by a later layer.
/// Redaction rules accumulate across layers (a later rule with the same name replaces an earlier one).
public struct ConfigMerger: Sendable {
    public var validator: SchemaValidator

    public init(validator: SchemaValidator = .builtIn) {
        self.validator = validator
    }

    /// Checks every document of `layer` against its schema.
    public func problems(in layer: ConfigLayer) -> [ConfigProblem] {
        var problems = layer.checkedAtBuild ? [] : layer.documents.flatMap { validator.validate($0, against: layer.schema) }
        problems += duplicateIDs(in: layer)
        for document in layer.documents {
            problems += Self.gitleaksRules(in: document, origin: layer.kind.rawValue).problems
        }
        return problems
    }

    /// The rules of a document's `redaction.gitleaks` (gitleaks-style TOML text), and its
    /// problems located in the document.
    static func gitleaksRules(in document: ConfigNode, origin: String) -> (rules: [RedactionRule], problems: [ConfigProblem]) {
        guard let node = document["redaction"]?["gitleaks"], let text = node.string else { return ([], []) }
        // A block scalar (`gitleaks: |`) starts on the line after its key.
        let block = text.contains("\n")
        return GitleaksRules.parse(text, file: node.location.file, firstLine: node.location.line + (block ? 1 : 0),
                                   column: block ? max(node.location.column - 1, 0) : node.location.column,
                                   origin: origin == ConfigLayer.Kind.server.rawValue ? "server" : node.location.file)
    }

    /// Merges `layers` (lowest first). Layers with schema problems still merge, so that every
    /// problem is reported at once; sources touched by a problem are marked invalid.
    public func merge(_ layers: [ConfigLayer]) -> EffectiveConfig {
        var config = EffectiveConfig()
        var merged: [String: ConfigNode] = [:]
        var order: [String] = []
        var provenance: [String: [String: Provenance]] = [:]
        var settingsNode = ConfigNode(.object([]), at: SourceLocation(file: "built-in"))
        var rules: [(RedactionRule, SourceLocation)] = []

        for layer in layers {
            let layerProblems = problems(in: layer)
            config.problems += layerProblems
            for problem in layerProblems {
                if let id = sourceID(for: problem, known: order + layer.documents.flatMap(declaredIDs)) {
                    config.invalidSourceIDs.insert(id)
                }
            }
            for document in layer.documents {
                if let version = document["version"]?.string { config.settings.serverConfigVersion = version }
                for entry in document.entries where ["defaults", "upload"].contains(entry.key) {
                    settingsNode = Self.merge(settingsNode, ConfigNode(.object([entry]), at: entry.keyLocation))
                }
                if let redaction = document["redaction"] {
                    if let builtin = redaction["builtin"]?.bool { config.settings.builtinRedaction = builtin }
                    for ruleNode in redaction["rules"]?.elements ?? [] {
                        guard var rule = Self.rule(from: ruleNode) else { continue }
                        rule.origin = layer.kind == .server ? "server" : ruleNode.location.file
                        rules.removeAll { $0.0.name == rule.name }
                        rules.append((rule, ruleNode.location))
                    }
                    // Checked above: a file with problems gives no rules.
                    for rule in Self.gitleaksRules(in: document, origin: layer.kind.rawValue).rules {
                        rules.removeAll { $0.0.name == rule.name }
                        rules.append((rule, redaction.location))
                    }
                }
                for sourceNode in document["sources"]?.elements ?? [] {
                    guard let id = sourceNode["id"]?.string else { continue }
                    if let existing = merged[id] {
                        merged[id] = Self.merge(existing, sourceNode)
                    } else {
                        merged[id] = sourceNode
                        order.append(id)
                    }
                    Self.record(sourceNode, path: [], layer: layer.kind, into: &provenance[id, default: [:]])
                }
            }
        }

        config.settings = settings(from: settingsNode, base: config.settings)
        config.settings.redactionRules = rules.map(\.0)
        for (rule, location) in rules {
            if let reason = RedactionPatternCheck.problem(rule) {
                config.problems.append(ConfigProblem(location, field: "redaction.rules.\(rule.name).pattern", reason))
            }
        }
        let (extended, parents, extendProblems) = Self.resolvingExtends(merged)
        config.problems += extendProblems
        // A field a source took from the one it extends says where that one declared it.
        for id in order {
            var chain = parents[id]
            while let parent = chain {
                for (field, origin) in provenance[parent] ?? [:]
                where provenance[id]?[field] == nil && !Self.ownFields.contains(String(field.prefix { $0 != "." })) {
                    provenance[id, default: [:]][field] = origin
                }
                chain = parents[parent]
            }
        }
        config.provenance = provenance
        for id in order {
            guard let node = extended[id] else { continue }
            let (declaration, problems) = SourceDecoder(settings: config.settings).decode(node, id: id)
            if let declaration { config.sources.append(declaration) }
            if !problems.isEmpty {
                config.invalidSourceIDs.insert(id)
                // A disabled, incomplete entry is not an error: it may only switch a source off.
                if declaration?.enabled != false || declaration == nil {
                    config.problems += problems
                }
            }
        }
        config.problems = Self.deduplicated(config.problems)
        return config
    }

    // MARK: - Merging

    static func merge(_ base: ConfigNode, _ overlay: ConfigNode) -> ConfigNode {
        guard case .object(var entries) = base.value, case .object(let overlayEntries) = overlay.value else {
            return overlay
        }
        for entry in overlayEntries {
            if let index = entries.firstIndex(where: { $0.key == entry.key }) {
                entries[index] = .init(key: entry.key, keyLocation: entry.keyLocation,
                                       node: merge(entries[index].node, entry.node))
            } else {
                entries.append(entry)
            }
        }
        return ConfigNode(.object(entries), at: base.location)
    }

    /// The fields a source that `extends` another never takes from it: where its files are, what
    /// they are called, and whether it is on.
    static let ownFields: Set<String> = ["id", "name", "tool", "kind", "roots", "include", "enabled", "extends"]

    /// Every source with `extends` resolved: the format fields of the source it names (itself
    /// resolved first), with its own fields laid over them. An unknown or circular `extends` is a
    /// problem at the field, and the source stays as it was written.
    static func resolvingExtends(_ merged: [String: ConfigNode])
        -> (sources: [String: ConfigNode], parents: [String: String], problems: [ConfigProblem]) {
        var resolved: [String: ConfigNode] = [:]
        var parents: [String: String] = [:]
        var problems: [ConfigProblem] = []
        func resolve(_ id: String, through chain: [String]) -> ConfigNode? {
            if let done = resolved[id] { return done }
            guard let node = merged[id] else { return nil }
            guard let extendsNode = node["extends"], let parentID = extendsNode.string else {
                resolved[id] = node
                return node
            }
            let field = "\(id).extends"
            if chain.contains(parentID) || parentID == id {
                problems.append(ConfigProblem(extendsNode.location, field: field,
                                              "extends itself: \((chain + [id, parentID]).joined(separator: " → "))"))
            } else if let parent = resolve(parentID, through: chain + [id]) {
                let inherited = parent.entries.filter { !ownFields.contains($0.key) }
                let own = node.entries.filter { $0.key != "extends" }
                // Located where the source is written, so that a problem of the whole names its file.
                let base = ConfigNode(.object(inherited), at: node.location)
                resolved[id] = merge(base, ConfigNode(.object(own), at: node.location))
                parents[id] = parentID
                return resolved[id]
            } else {
                let guess = Spelling.nearest(to: parentID, among: Array(merged.keys)).map { "; did you mean '\($0)'?" } ?? ""
                problems.append(ConfigProblem(extendsNode.location, field: field, "no source '\(parentID)' to extend\(guess)"))
            }
            resolved[id] = node
            return node
        }
        for id in merged.keys.sorted() { _ = resolve(id, through: []) }
        return (resolved, parents, problems)
    }

    static func record(_ node: ConfigNode, path: [String], layer: ConfigLayer.Kind,
                       into provenance: inout [String: Provenance]) {
        if case .object(let entries) = node.value, !entries.isEmpty {
            for entry in entries {
                record(entry.node, path: path + [entry.key], layer: layer, into: &provenance)
            }
        } else if !path.isEmpty {
            let key = path.joined(separator: ".")
            // A replaced object or array drops the provenance of its old children.
            for existing in provenance.keys where existing.hasPrefix(key + ".") { provenance[existing] = nil }
            provenance[key] = Provenance(layer: layer, location: node.location)
        }
    }

    // MARK: - Settings

    func settings(from node: ConfigNode, base: SensorSettings) -> SensorSettings {
        var settings = base
        if let defaults = node["defaults"] {
            if let v = defaults["max_record_bytes"]?.integer { settings.defaultMaxRecordBytes = v }
            if let v = defaults["poll_interval"]?.number { settings.defaultPollInterval = v }
            if let v = defaults["forget_after_days"]?.number { settings.forgetAfterDays = v }
        }
        if let upload = node["upload"] {
            if let v = upload["batch_max_records"]?.integer { settings.upload.batchMaxRecords = v }
            if let v = upload["batch_max_bytes"]?.integer { settings.upload.batchMaxBytes = v }
            if let v = upload["batch_max_age_ms"]?.integer { settings.upload.batchMaxAgeMilliseconds = v }
            if let v = upload["buffer_bytes"]?.integer { settings.upload.bufferBytes = v }
            if let v = upload["gzip_level"]?.integer { settings.upload.gzipLevel = v }
            if let v = upload["zstd_level"]?.integer { settings.upload.zstdLevel = v }
            if let v = upload["config_poll_interval"]?.number { settings.upload.configPollInterval = v }
        }
        return settings
    }

    static func rule(from node: ConfigNode) -> RedactionRule? {
        guard let name = node["name"]?.string, let pattern = node["pattern"]?.string else { return nil }
        return RedactionRule(name: name, pattern: pattern, prefix: node["prefix"]?.string,
                             replacement: node["replacement"]?.string)
    }

    // MARK: - Problems

    func duplicateIDs(in layer: ConfigLayer) -> [ConfigProblem] {
        var first: [String: SourceLocation] = [:]
        var problems: [ConfigProblem] = []
        for document in layer.documents {
            for source in document["sources"]?.elements ?? [] {
                guard let idNode = source["id"], let id = idNode.string else { continue }
                if let earlier = first[id] {
                    problems.append(ConfigProblem(idNode.location, field: "\(id).id",
                                                  "duplicate id: already declared at \(earlier)"))
                } else {
                    first[id] = idNode.location
                }
            }
        }
        return problems
    }

    func declaredIDs(_ document: ConfigNode) -> [String] {
        (document["sources"]?.elements ?? []).compactMap { $0["id"]?.string }
    }

    func sourceID(for problem: ConfigProblem, known: [String]) -> String? {
        known.filter { problem.field == $0 || problem.field.hasPrefix($0 + ".") }.max { $0.count < $1.count }
    }

    static func deduplicated(_ problems: [ConfigProblem]) -> [ConfigProblem] {
        var seen = Set<ConfigProblem>()
        return problems.filter { seen.insert($0).inserted }
    }
}
