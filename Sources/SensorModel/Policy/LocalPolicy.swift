import Crypto
import Foundation

/// What the server's sensor-config may never change on this machine: the roots a server-pushed
/// source may read, the redaction floor, deny lists that only grow, the person's opt-outs, and
/// an optional pinned key the server's document must be signed with.
///
/// Written by the machine's owner (`/etc/session-sensor/policy.yaml`, MDM) or the person
/// (`~/.config/session-sensor/policy.yaml`); `schemas/policy.schema.json` is the reference.
public struct LocalPolicy: Sendable, Equatable {
    /// Root templates a server-added or server-changed source may read; nil: the built-in
    /// declarations' roots.
    public var allowedRoots: [String]?
    /// The built-in redaction rules cannot be switched off by the server.
    public var builtinRedactionRequired = true
    public var denyKeys: [String] = []
    public var denyColumns: [String] = []
    /// Path templates or globs never read.
    public var optOutPaths: [String] = []
    /// Source ids never run.
    public var optOutSources: [String] = []
    /// No identity source runs (`opt_out.identity`).
    public var optOutIdentity = false
    /// The server may not change any `sqlite` field of a source, nor add an SQL source
    /// (`server_sql: forbid`; default `allow`, under the deny views and function limits).
    public var forbidsServerSQL = false
    /// Rules files (gitleaks-style TOML) named by the policy, and the rules read from them
    /// (see ``loadRules(home:keepingCopiesIn:)``): applied whatever the server says.
    public var rulesFiles: [String] = []
    public var redactionRules: [RedactionRule] = []
    /// Base64 of a raw Ed25519 public key the server's document must be signed with.
    public var serverConfigPublicKey: String?
    /// The files this policy was read from, for messages.
    public var origins: [String] = []

    public init() {}

    /// Where the policy files are looked for, strictest first.
    public static func standardLocations(home: String) -> [URL] {
        #if os(macOS)
        let system = URL(fileURLWithPath: "/Library/Application Support/SessionSensor/policy.yaml")
        #else
        let system = URL(fileURLWithPath: "/etc/session-sensor/policy.yaml")
        #endif
        return [system, URL(fileURLWithPath: home).appendingPathComponent(".config/session-sensor/policy.yaml")]
    }

    /// Reads and combines the policy files that exist among `files`; a file that is not valid
    /// is a problem naming its file, line, column and field (and the rest still applies).
    public static func load(_ files: [URL], validator: SchemaValidator = .builtIn) -> (LocalPolicy, [ConfigProblem]) {
        var policy = LocalPolicy()
        var problems: [ConfigProblem] = []
        var floorSaid: [Bool] = []
        for file in files where FileManager.default.fileExists(atPath: file.path) {
            let document: ConfigNode
            do {
                document = try ConfigParser.parse(contentsOf: file)
            } catch {
                problems.append(error)
                continue
            }
            let found = validator.validate(document, against: "policy.schema.json")
            problems += found
            guard found.isEmpty else { continue }
            policy.origins.append(file.path)
            if policy.allowedRoots == nil, let roots = document["allowed_roots"] { policy.allowedRoots = roots.strings }
            if let required = document["redaction"]?["builtin_required"]?.bool { floorSaid.append(required) }
            policy.rulesFiles += document["redaction"]?["rules_files"]?.strings ?? []
            policy.denyKeys += document["deny"]?["keys"]?.strings ?? []
            policy.denyColumns += document["deny"]?["columns"]?.strings ?? []
            policy.optOutPaths += document["opt_out"]?["paths"]?.strings ?? []
            policy.optOutSources += document["opt_out"]?["sources"]?.strings ?? []
            if document["opt_out"]?["identity"]?.bool == true { policy.optOutIdentity = true }
            if document["server_sql"]?.string == "forbid" { policy.forbidsServerSQL = true }
            if policy.serverConfigPublicKey == nil { policy.serverConfigPublicKey = document["server_config"]?["public_key"]?.string }
        }
        // The floor holds unless a file lowers it and none insists on it.
        policy.builtinRedactionRequired = floorSaid.isEmpty || floorSaid.contains(true)
        return (policy, problems)
    }

    /// Reads the rules files the policy names (`~/` is `home`). A file that cannot be used is
    /// a problem naming its file, line and column, and the last good copy of it (kept in
    /// `copies`, when given) stays in force: a typo in an edit does not switch rules off.
    public mutating func loadRules(home: String, keepingCopiesIn copies: URL?) -> [ConfigProblem] {
        var problems: [ConfigProblem] = []
        redactionRules = []
        for path in rulesFiles {
            let expanded = path.hasPrefix("~/") ? home + path.dropFirst() : path
            let file = URL(fileURLWithPath: expanded)
            let copy = copies?.appendingPathComponent("rules-" + SHA256.hash(data: Data(expanded.utf8)).prefix(8).map { String(format: "%02x", $0) }.joined() + ".toml")
            var (rules, found) = GitleaksRules.load(file)
            if found.isEmpty, let copy, let data = FileManager.default.contents(atPath: file.path) {
                try? FileManager.default.createDirectory(at: copy.deletingLastPathComponent(), withIntermediateDirectories: true)
                try? data.write(to: copy, options: .atomic)
            } else if !found.isEmpty, let copy, let data = FileManager.default.contents(atPath: copy.path),
                      let text = String(data: data, encoding: .utf8) {
                let kept = GitleaksRules.parse(text, file: copy.path, origin: expanded)
                if kept.problems.isEmpty {
                    rules = kept.rules
                    found = found.map { problem in
                        var problem = problem
                        problem.reason += "; the last good copy of the file stays in force"
                        return problem
                    }
                }
            }
            problems += found
            redactionRules += rules
        }
        return problems
    }
}
