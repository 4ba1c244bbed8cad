import Foundation
import SQLiteDB
import SensorModel

/// What `sensor scan --validate-config` shows: each effective source, where its values came
/// from, what it matches on this machine, and whether its query prepares against the real
/// databases (opened read-only).
public struct ConfigReport: Sendable {
    public struct SourceReport: Sendable, Codable {
        public var id: String
        public var kind: String
        public var format: String
        public var offset: String
        public var enabled: Bool
        public var valid: Bool
        public var priority: Int
        public var roots: [String]
        public var existingRoots: [String]
        public var include: [String]
        public var exclude: [String]
        public var files: Int
        public var bytes: Int64
        public var matched: [String]
        public var databases: [DatabaseCheck]
        public var origins: [String: String]
    }

    public struct DatabaseCheck: Sendable, Codable {
        public var path: String
        /// `prepares`, `inactive: …` (a required table is missing) or the error.
        public var result: String
    }

    public var sources: [SourceReport] = []
    public var problems: [ConfigProblem] = []

    public var isValid: Bool { problems.isEmpty }

    public init(config: EffectiveConfig, template: PathTemplate) {
        problems = config.problems
        let finder = FileFinder(template: template)
        for declaration in config.sources {
            let valid = !config.invalidSourceIDs.contains(declaration.id)
            let files = valid ? finder.files(for: declaration) : []
            var databases: [DatabaseCheck] = []
            if valid, declaration.enabled, let options = declaration.sqlite {
                for file in files {
                    let result = Self.check(options, databasePath: file.path)
                    databases.append(DatabaseCheck(path: template.display(file.path), result: result))
                    if result != "prepares" && !result.hasPrefix("inactive") {
                        let location = config.provenance[declaration.id]?["sqlite.query"]?.location
                            ?? SourceLocation(file: "built-in")
                        problems.append(ConfigProblem(location, field: "\(declaration.id).sqlite.query",
                                                      "does not prepare against \(file.path): \(result)"))
                    }
                }
            }
            let origins = (config.provenance[declaration.id] ?? [:]).mapValues(\.description)
            sources.append(SourceReport(
                id: declaration.id, kind: declaration.kind, format: declaration.format.rawValue,
                offset: declaration.offset.rawValue, enabled: declaration.enabled, valid: valid,
                priority: declaration.priority, roots: template.roots(of: declaration),
                existingRoots: finder.existingRoots(for: declaration), include: declaration.include,
                exclude: declaration.exclude, files: files.count, bytes: files.reduce(0) { $0 + $1.stat.size },
                matched: files.map { template.display($0.path) }, databases: databases, origins: origins))
        }
    }

    /// Opens the database read-only and prepares the query (never runs it).
    static func check(_ options: SQLiteOptions, databasePath: String) -> String {
        do {
            let database = try Database(path: databasePath, mode: .readOnly,
                                        busyTimeoutMilliseconds: Int32(options.busyTimeoutMilliseconds))
            for table in options.requiredTables where try !database.tableExists(table) {
                return "inactive: no table \(table)"
            }
            _ = try database.prepare(options.query)
            return "prepares"
        } catch {
            return "\(error)"
        }
    }

    /// The human-readable report: by default one line per source (id, format/offset, state,
    /// files and bytes matched here, its problems) and then every problem; `verbose` adds each
    /// source's roots, globs, database checks and the origin of every value.
    public func render(verbose: Bool = false) -> String {
        var lines: [String] = []
        if verbose {
            for source in sources {
                let state = !source.valid ? "INVALID" : source.enabled ? "enabled" : "disabled"
                lines.append("\(source.id)  kind=\(source.kind)  \(source.format)/\(source.offset)  \(state)  priority \(source.priority)")
                let roots = source.roots.map { source.existingRoots.contains($0) ? $0 : "\($0) (absent)" }
                lines.append("  roots:   \(roots.isEmpty ? "(none on this system)" : roots.joined(separator: ", "))")
                lines.append("  include: \(source.include.joined(separator: ", "))")
                if !source.exclude.isEmpty { lines.append("  exclude: \(source.exclude.joined(separator: ", "))") }
                lines.append("  matches: \(source.files) file(s), \(ByteCount.text(source.bytes))")
                for database in source.databases { lines.append("  sqlite:  \(database.path): \(database.result)") }
                for (field, origin) in source.origins.sorted(by: { $0.key < $1.key }) {
                    lines.append("    \(field) ← \(origin)")
                }
            }
        } else {
            let idWidth = min(40, sources.map(\.id.count).max() ?? 2)
            let formatWidth = sources.map { $0.format.count + $0.offset.count + 1 }.max() ?? 6
            func pad(_ text: String, _ width: Int) -> String { text.count >= width ? text : text + String(repeating: " ", count: width - text.count) }
            lines.append(pad("source", idWidth) + "  " + pad("format", formatWidth) + "  state     " + "files      bytes  problems")
            for source in sources {
                let state = !source.valid ? "INVALID" : source.enabled ? "enabled" : "disabled"
                let own = problems.filter { $0.field == source.id || $0.field.hasPrefix(source.id + ".") }.count
                let files = String(source.files)
                let bytes = ByteCount.text(source.bytes)
                lines.append(pad(source.id, idWidth) + "  " + pad("\(source.format)/\(source.offset)", formatWidth) + "  "
                             + pad(state, 8) + "  " + String(repeating: " ", count: max(0, 5 - files.count)) + files
                             + String(repeating: " ", count: max(1, 11 - bytes.count)) + bytes + "  " + (own == 0 ? "-" : "\(own)"))
            }
        }
        for problem in problems { lines.append("problem: \(problem.description)") }
        lines.append(problems.isEmpty ? "config is valid: \(sources.count) source(s)" : "\(problems.count) problem(s)")
        return lines.joined(separator: "\n")
    }
}

extension PathTemplate {
    /// `path` relative to the home folder as `~/…`.
    public func display(_ path: String) -> String {
        path.hasPrefix(home + "/") ? "~" + path.dropFirst(home.count) : path
    }
}
