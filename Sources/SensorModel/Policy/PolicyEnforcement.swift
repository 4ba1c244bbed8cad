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
/// - Deny lists are the union of every layer's, every local source's and the policy's: the
///   server can add, not remove, and they hold on the rows of the tables a query reads.
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
        let allowed = policy.allowedRoots?.compactMap(expandedRoot) ?? local.sources.flatMap(readRoots)
        let sensitive = Self.sensitiveFolders.compactMap(expandedRoot)
        // Every local deny list holds for every source: a server source reading the same
        // database as a local one is denied what the local one is.
        let localDeniedKeys = Self.union(local.sources.flatMap(\.deniedKeys))
        let localDeniedColumns = Self.union(local.sources.flatMap(\.deniedColumns))
        var sources: [SourceDeclaration] = []
        for var source in merged.sources {
            let localVersion = local.source(source.id)
            let fields = merged.provenance[source.id] ?? [:]
            let serverTouched = fields.contains { key, origin in
                origin.layer == .server && (key.hasPrefix("roots") || key == "include" || key == "follow_symlinks")
            }
            let refusal = serverTouched ? problem(with: source, allowed: allowed, sensitive: sensitive) : nil
            let sqlRefusal = policy.forbidsServerSQL
                ? fields.filter { $0.value.layer == .server && $0.key.hasPrefix("sqlite.") }.keys.min()
                    .map { (field: $0, reason: "the local policy forbids SQL from the server (server_sql: forbid)") }
                : nil
            if let (field, reason) = refusal ?? sqlRefusal {
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
            source.deniedKeys = Self.union(localDeniedKeys, source.deniedKeys, policy.denyKeys)
            source.deniedColumns = Self.union(localDeniedColumns, source.deniedColumns, policy.denyColumns)
            // Deny lists hold on the rows a query reads, whatever it says: in every column named
            // `key` and every column any layer names as this source's key.
            source.keyGuardColumns = Self.union(["key"], localVersion?.sqlite?.keyColumns ?? [], source.sqlite?.keyColumns ?? [])
            source.sqlFromServer = fields["sqlite.query"]?.layer == .server
            if policy.optOutSources.contains(source.id) || (policy.optOutIdentity && source.identity) { source.enabled = false }
            sources.append(source)
        }
        config.sources = sources
        if policy.builtinRedactionRequired && !merged.settings.builtinRedaction && local.settings.builtinRedaction {
            config.settings.builtinRedaction = true
            config.problems.append(ConfigProblem(SourceLocation(file: "server sensor-config"), field: "redaction.builtin",
                                                 "refused by local policy: the built-in redaction rules stay on"))
        }
        // The policy's rules apply whatever the layers say; the server's only add to them.
        config.settings.redactionRules = policy.redactionRules + config.settings.redactionRules
        // An opted-out source opts its files out for every source: a server source of another
        // id over the same roots and globs reads none of them.
        let identitySources = policy.optOutIdentity ? (local.sources + merged.sources).filter(\.identity).map(\.id) : []
        let optedOut = (policy.optOutSources + identitySources).flatMap { id in
            (local.source(id) ?? merged.source(id)).map(optedOutPaths) ?? []
        }
        config.settings.optOutPaths = policy.optOutPaths + optedOut
        return config
    }

    /// What an opted-out source reads, as opt-out paths: each of its roots joined with each
    /// of its include globs (its whole root when it has none).
    func optedOutPaths(_ source: SourceDeclaration) -> [String] {
        readRoots(of: source).flatMap { root in
            source.include.isEmpty ? [root] : source.include.map { root + "/" + $0 }
        }
    }

    /// Every root `source` reads on this system, as discovery sees them: expanded, split on
    /// the source's separator, and normalised (`.` and `..` resolved), so that the policy
    /// judges each root on its own.
    func readRoots(of source: SourceDeclaration) -> [String] {
        var withoutRegistry = source
        withoutRegistry.roots.registry = nil
        return template.roots(of: withoutRegistry, on: system).map(Self.normalized)
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
        let roots = readRoots(of: source)
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

    func expandedRoot(_ template: String) -> String? {
        guard let path = template.isEmpty ? nil : self.template.expand(template) else { return nil }
        return Self.normalized(path)
    }

    /// `path` with empty and `.` segments dropped and each `..` taking its parent away, as the
    /// file system will read it (a variable's value may hold `..`).
    static func normalized(_ path: String) -> String {
        var parts: [Substring] = []
        for part in path.split(separator: "/", omittingEmptySubsequences: true) where part != "." {
            if part == ".." {
                if !parts.isEmpty { parts.removeLast() }
            } else {
                parts.append(part)
            }
        }
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
