import Foundation
import IngestStore
import SensorModel

/// The mappings a server normalises with: the built-in `normalizers.d/` and, laid over them,
/// an operator's directory of `*.yaml` files (a file named like a built-in one replaces it).
/// Every file is checked against `schemas/normalizer.schema.json` and then for what the schema
/// cannot say; each problem names its file, line, column and field.
public enum MappingCatalog {
    /// Reads one mapping from its text.
    public static func mapping(_ text: String, file: String) -> (NormalizerMapping?, [ConfigProblem]) {
        let node: ConfigNode
        do {
            node = try ConfigParser.parse(text, file: file)
        } catch {
            return (nil, [error])
        }
        let problems = SchemaValidator.builtIn.validate(node, against: "normalizer.schema.json")
        guard problems.isEmpty else { return (nil, problems) }
        return NormalizerMapping.decode(node, name: URL(fileURLWithPath: file).lastPathComponent)
    }

    /// The `*.yaml` / `*.yml` files of a directory, by name.
    public static func files(in directory: URL) throws -> [URL] {
        try FileManager.default.contentsOfDirectory(at: directory, includingPropertiesForKeys: nil)
            .filter { ["yaml", "yml"].contains($0.pathExtension) }
            .sorted { $0.lastPathComponent < $1.lastPathComponent }
    }

    /// The built-in mappings with an operator's directory laid over them.
    public static func load(directory: URL?) -> (mappings: [NormalizerMapping], problems: [ConfigProblem]) {
        var byName: [String: NormalizerMapping] = [:]
        var problems: [ConfigProblem] = []
        for (name, text) in EmbeddedNormalizers.mappings {
            let (mapping, found) = mapping(text, file: "normalizers.d/\(name)")
            problems += found
            if let mapping { byName[name] = mapping }
        }
        if let directory {
            do {
                for file in try files(in: directory) {
                    guard let text = try? String(contentsOf: file, encoding: .utf8) else {
                        problems.append(ConfigProblem(SourceLocation(file: file.path), field: "", "cannot be read as UTF-8 text"))
                        continue
                    }
                    let (mapping, found) = mapping(text, file: file.path)
                    problems += found
                    if let mapping { byName[file.lastPathComponent] = mapping }
                }
            } catch {
                problems.append(ConfigProblem(SourceLocation(file: directory.path), field: "", "cannot be listed: \(error.localizedDescription)"))
            }
        }
        return (byName.keys.sorted().map { byName[$0]! }, problems)
    }
}

extension NormalizerRegistry {
    /// The Swift normalisers of this server and these mappings; a kind taken twice is a problem.
    public static func with(_ mappings: [NormalizerMapping]) -> (NormalizerRegistry, [ConfigProblem]) {
        var normalizers: [any RecordNormalizer] = swiftNormalizers
        var owners: [String: String] = [:]
        for normalizer in swiftNormalizers {
            for kind in normalizer.kinds.union(normalizer.rawOnlyKinds).union(normalizer.opaqueKinds) {
                owners[kind] = "the built-in \(type(of: normalizer))"
            }
        }
        var problems: [ConfigProblem] = []
        var mappingOf: [String: NormalizerMapping] = [:]
        for mapping in mappings where mapping.readAs.isEmpty {
            let taken = mapping.kinds.union(mapping.rawOnly).union(mapping.opaque)
            let clashes = taken.filter { owners[$0] != nil }.sorted()
            guard clashes.isEmpty else {
                problems += clashes.map { ConfigProblem(SourceLocation(file: mapping.name), field: "kinds",
                                                        "'\($0)' is already normalised by \(owners[$0]!)") }
                continue
            }
            for kind in taken { owners[kind] = mapping.name }
            for kind in mapping.kinds { mappingOf[kind] = mapping }
            normalizers.append(MappingNormalizer(mapping))
        }
        // Kinds read as another's, once every normaliser is known: the kind read must have one.
        var readAs: [String: NormalizerRegistry.ReadAs] = [:]
        var forkNormalizers: [String: any RecordNormalizer] = [:]
        for mapping in mappings where !mapping.readAs.isEmpty {
            for (kind, target) in mapping.readAs.sorted(by: { $0.key < $1.key }) {
                let field = "read_as.\(kind)"
                let location = mapping.readAsLocations[kind] ?? SourceLocation(file: mapping.name)
                if let owner = owners[kind] {
                    problems.append(ConfigProblem(location, field: field, "'\(kind)' is already normalised by \(owner)"))
                } else if owners[target] == nil {
                    let known = Array(owners.keys)
                    let guess = Spelling.nearest(to: target, among: known).map { "; did you mean '\($0)'?" } ?? ""
                    problems.append(ConfigProblem(location, field: field, "no normaliser reads '\(target)'\(guess)"))
                } else if readAs[target] != nil {
                    problems.append(ConfigProblem(location, field: field, "'\(target)' is itself read as '\(readAs[target]!.kind)': name that kind"))
                } else if mapping.rules.isEmpty {
                    owners[kind] = mapping.name
                    readAs[kind] = NormalizerRegistry.ReadAs(kind: target, tool: mapping.tool ?? RawRecord.tool(ofKind: kind))
                } else if let parent = mappingOf[target] {
                    let (fork, found) = parent.laying(mapping, as: kind, over: target)
                    problems += found
                    owners[kind] = mapping.name
                    readAs[kind] = NormalizerRegistry.ReadAs(kind: target, tool: mapping.tool ?? RawRecord.tool(ofKind: kind))
                    forkNormalizers[kind] = MappingNormalizer(fork)
                } else {
                    problems.append(ConfigProblem(location, field: field, "'\(target)' is read by \(owners[target]!), not a mapping: "
                                                  + "rules can only be laid over a mapping's"))
                }
            }
        }
        return (NormalizerRegistry(normalizers, readAs: readAs, forks: forkNormalizers), problems)
    }

    /// The built-in normalisers and mappings, with an operator's directory of mappings.
    public static func loading(directory: URL?) -> (NormalizerRegistry, [ConfigProblem]) {
        let (mappings, problems) = MappingCatalog.load(directory: directory)
        let (registry, clashes) = with(mappings)
        return (registry, problems + clashes)
    }
}

extension NormalizerMapping {
    /// This mapping with a fork's rules laid over it for one of the fork's kinds: the fork's
    /// rules for `kind` are tried first (their kinds written as `target`, the kind its records
    /// are read as), then this mapping's. Each of them needs a session id, here or at the top.
    func laying(_ fork: NormalizerMapping, as kind: String, over target: String) -> (NormalizerMapping, [ConfigProblem]) {
        var laid = self
        var problems: [ConfigProblem] = []
        var own: [Rule] = []
        for (index, var rule) in fork.rules.enumerated() where rule.kinds?.contains(kind) ?? true {
            let location = index < fork.ruleLocations.count ? fork.ruleLocations[index] : SourceLocation(file: fork.name)
            if rule.needsSession && rule.session.over(session).id == nil {
                problems.append(ConfigProblem(location, field: "rules[\(index)]",
                                              "no session id: give session.id here (\(name), whose rules these are laid over, names none)"))
            }
            if rule.kinds != nil { rule.kinds = [target] }
            own.append(rule)
        }
        laid.rules = own + rules
        return (laid, problems)
    }
}
