import Foundation

/// Applies a ``LocalPolicy`` to merged config: what the server layer asked for beyond the
/// policy is refused (and said, as a problem naming the server's file, line and field), the
/// rest applies.
///
/// - A source the server added or whose roots, includes or symlink rule it changed must stay
///   within the allowed roots, with no absolute include, no `..`, and no credential or browser
///   folder within reach. A refused change leaves the local declaration as it was; a refused
///   new source is not read at all.
/// - The server's `redaction.builtin: false` is refused while the floor holds.
/// - Deny lists are the union of every layer's and the policy's: the server can add, not remove.
/// - Opted-out sources never run; opted-out paths are handed to discovery.
public struct PolicyEnforcement: Sendable {
    public var policy: LocalPolicy
    public var template: PathTemplate
    public var system: OperatingSystem

    public init(policy: LocalPolicy, template: PathTemplate, system: OperatingSystem = .current) {
        self.policy = policy
        self.template = template
        self.system = system
    }

    /// Folders no server-pushed source may reach, whatever the allowed roots.
    public static let sensitiveFolders = [
        "~/.ssh", "~/.aws", "~/.gnupg", "~/.kube", "~/.docker", "~/.azure", "~/.config/gcloud", "~/.password-store",
        "~/.netrc", "~/.npmrc", "~/.pypirc", "~/.git-credentials", "~/.config/gh",
        "~/.mozilla", "~/snap/firefox", "~/.config/google-chrome", "~/.config/chromium", "~/.config/BraveSoftware",
        "~/.config/microsoft-edge", "~/Library/Application Support/Google/Chrome", "~/Library/Application Support/Firefox",
        "~/Library/Application Support/BraveSoftware", "~/Library/Application Support/Microsoft Edge", "~/Library/Safari",
        "~/Library/Keychains", "~/Library/Cookies", "${LOCALAPPDATA}/Google/Chrome", "${APPDATA}/Mozilla",
    ]

    /// `merged`: every layer; `local`: the same layers without the server's.
    public func apply(to merged: EffectiveConfig, local: EffectiveConfig) -> EffectiveConfig {
        var config = merged
        let allowed = (policy.allowedRoots ?? local.sources.flatMap(Self.allTemplates)).compactMap(expandedRoot)
        let sensitive = Self.sensitiveFolders.compactMap(expandedRoot)
        var sources: [SourceDeclaration] = []
        for var source in merged.sources {
            let localVersion = local.source(source.id)
            let fields = merged.provenance[source.id] ?? [:]
            let serverTouched = fields.contains { key, origin in
                origin.layer == .server && (key.hasPrefix("roots") || key == "include" || key == "follow_symlinks")
            }
            if serverTouched, let (field, reason) = problem(with: source, allowed: allowed, sensitive: sensitive) {
                // Where the offending value came from, or where the server touched the source.
                let origin = fields[field] ?? fields.filter { $0.value.layer == .server }.min { $0.key < $1.key }?.value
                let location = origin?.location ?? SourceLocation(file: "server sensor-config")
                let outcome = localVersion == nil ? "the source is not read" : "the local declaration stays as it was"
                config.problems.append(ConfigProblem(location, field: "\(source.id).\(field)",
                                                     "refused by local policy: \(reason); \(outcome)"))
                guard let localVersion else { continue }
                source = localVersion
                config.provenance[source.id] = local.provenance[source.id]
            }
            source.deniedKeys = Self.union(localVersion?.deniedKeys ?? [], source.deniedKeys, policy.denyKeys)
            source.deniedColumns = Self.union(localVersion?.deniedColumns ?? [], source.deniedColumns, policy.denyColumns)
            if policy.optOutSources.contains(source.id) { source.enabled = false }
            sources.append(source)
        }
        config.sources = sources
        if policy.builtinRedactionRequired && !merged.settings.builtinRedaction && local.settings.builtinRedaction {
            config.settings.builtinRedaction = true
            config.problems.append(ConfigProblem(SourceLocation(file: "server sensor-config"), field: "redaction.builtin",
                                                 "refused by local policy: the built-in redaction rules stay on"))
        }
        config.settings.optOutPaths = policy.optOutPaths
        return config
    }

    /// The field at fault and why `source` reaches beyond what the policy allows, or nil.
    func problem(with source: SourceDeclaration, allowed: [String], sensitive: [String]) -> (field: String, reason: String)? {
        let variants: [(String, [String])] = [("roots.default", source.roots.all), ("roots.macos", source.roots.macOS ?? []),
                                              ("roots.linux", source.roots.linux ?? []), ("roots.windows", source.roots.windows ?? [])]
        for (field, templates) in variants {
            if let root = templates.first(where: Self.hasDotDot) { return (field, "root \(root) has a `..` segment") }
        }
        if source.roots.registry != nil {
            return ("roots.registry", "roots listed by a registry file are resolved on this machine only: a source the server changed may not use one")
        }
        let field = variants.first { $0.0 == "roots.\(system.rawValue)" && !$0.1.isEmpty }?.0 ?? "roots.default"
        let roots = source.roots.templates(for: system).compactMap(expandedRoot)
        for root in roots where !allowed.contains(where: { Self.isWithin(root, $0) }) {
            return (field, "root \(root) is outside the allowed roots")
        }
        for include in source.include {
            if include.hasPrefix("/") || include.hasPrefix("~") || include.contains(":") || include.hasPrefix("$") || include.hasPrefix("%") {
                return ("include", "include \(include) is not relative to the source's root")
            }
            if Self.hasDotDot(include) { return ("include", "include \(include) has a `..` segment") }
            // What the include can reach: its root and the literal folders before any wildcard.
            let literal = include.split(separator: "/").prefix { !$0.contains(where: { "*?[{".contains($0) }) }
            for root in roots {
                let reach = ([root] + literal.map(String.init)).joined(separator: "/")
                if let folder = sensitive.first(where: { Self.isWithin(reach, $0) || Self.isWithin($0, reach) }) {
                    return ("include", "include \(include) reaches \(folder)")
                }
            }
        }
        return nil
    }

    static func allTemplates(_ source: SourceDeclaration) -> [String] {
        source.roots.all + (source.roots.macOS ?? []) + (source.roots.linux ?? []) + (source.roots.windows ?? [])
    }

    func expandedRoot(_ template: String) -> String? {
        guard let path = template.isEmpty ? nil : self.template.expand(template) else { return nil }
        var parts = path.split(separator: "/", omittingEmptySubsequences: true).map(String.init).filter { $0 != "." }
        if parts.last == "" { parts.removeLast() }
        return (path.hasPrefix("/") ? "/" : "") + parts.joined(separator: "/")
    }

    static func hasDotDot(_ path: String) -> Bool {
        path.replacingOccurrences(of: "\\", with: "/").split(separator: "/").contains("..")
    }

    static func isWithin(_ path: String, _ folder: String) -> Bool {
        path == folder || path.hasPrefix(folder.hasSuffix("/") ? folder : folder + "/")
    }

    static func union(_ lists: [String]...) -> [String] {
        var seen = Set<String>()
        return lists.joined().filter { seen.insert($0).inserted }
    }
}
