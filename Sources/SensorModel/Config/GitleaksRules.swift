import Foundation
import TOMLKit

/// Redaction rules in the format secret scanners share (gitleaks' TOML: `[[rules]]` with
/// `id`, `regex`, `secretGroup`, `keywords`, `entropy` and `[[rules.allowlists]]`), read with
/// TOMLKit. An operator hands the sensor such a file through the local policy
/// (`redaction.rules_files`) or the server's sensor-config (`redaction.gitleaks`).
///
/// What has no meaning for records (a rule's `path`, an allowlist's `paths` and `commits`)
/// is accepted and ignored: ignoring an allowlist entry only redacts more. A rule that
/// matches file paths alone (no `regex`) is refused. Every problem names the file, line and
/// column, and an unknown key comes with the nearest known one.
public enum GitleaksRules {
    static let topKeys = ["title", "description", "minVersion", "extend", "rules", "allowlist", "allowlists"]
    static let ruleKeys = ["id", "description", "regex", "secretGroup", "entropy", "keywords", "path", "tags",
                           "allowlist", "allowlists", "skipReport", "required"]
    static let allowlistKeys = ["description", "condition", "regexTarget", "regexes", "stopwords", "paths", "commits",
                                "targetRules"]

    /// The rules of `text` (the file `file`; `firstLine` is the line of the document the
    /// text starts on when it is embedded in another, 1 otherwise), or the problems that
    /// keep it from being used. A file with any problem gives no rules.
    public static func parse(_ text: String, file: String, firstLine: Int = 1, column: Int = 0,
                             origin: String? = nil) -> (rules: [RedactionRule], problems: [ConfigProblem]) {
        let locator = KeyLocator(text: text, file: file, firstLine: firstLine, column: column)
        let table: TOMLTable
        do {
            table = try TOMLTable(string: text)
        } catch let error as TOMLParseError {
            return ([], [ConfigProblem(locator.at(line: error.source.begin.line, column: error.source.begin.column),
                                       field: "", "not valid TOML: \(error.description)")])
        } catch {
            return ([], [ConfigProblem(locator.at(line: 1, column: 1), field: "", "not valid TOML: \(error)")])
        }
        var problems: [ConfigProblem] = []
        func unknownKeys(of table: TOMLTable, known: [String], path: String, block: KeyLocator.Block) {
            problems += unknownKeyProblems(table, known: known, path: path) { locator.key($0, in: block) }
        }
        unknownKeys(of: table, known: topKeys, path: "", block: .top)
        let global = allowlists(of: table, path: "", block: .top, locator: locator, problems: &problems)
        let entries = table["rules"]?.array.map(Array.init) ?? []
        if table["rules"] != nil && table["rules"]?.array == nil {
            problems.append(ConfigProblem(locator.key("rules", in: .top), field: "rules", "must be an array of tables ([[rules]])"))
        }
        var rules: [RedactionRule] = []
        var seen = Set<String>()
        for (index, entry) in entries.enumerated() {
            let block = KeyLocator.Block.rule(index)
            guard let rule = entry.table else {
                problems.append(ConfigProblem(locator.key("rules", in: .top), field: "rules[\(index)]", "must be a table"))
                continue
            }
            let id = rule["id"]?.string ?? ""
            let path = "rules[\(id.isEmpty ? String(index) : id)]."
            unknownKeys(of: rule, known: ruleKeys, path: path, block: block)
            guard !id.isEmpty, id.allSatisfy({ $0.isLetter || $0.isNumber || "._-".contains($0) }) else {
                problems.append(ConfigProblem(locator.key("id", in: block), field: path + "id",
                                              "required: letters, digits, `.`, `_` or `-`"))
                continue
            }
            if !seen.insert(id).inserted {
                problems.append(ConfigProblem(locator.key("id", in: block), field: path + "id", "duplicate rule id"))
            }
            guard let regex = rule["regex"]?.string, !regex.isEmpty else {
                problems.append(ConfigProblem(locator.key(rule["path"] == nil ? "id" : "path", in: block), field: path + "regex",
                                              "required: the sensor redacts what records hold, and a rule with only `path` matches file names"))
                continue
            }
            let pattern = icuPattern(regex)
            let expression: NSRegularExpression
            do {
                expression = try NSRegularExpression(pattern: pattern)
            } catch {
                problems.append(ConfigProblem(locator.key("regex", in: block), field: path + "regex", "not a valid regular expression"))
                continue
            }
            var redaction = RedactionRule(name: id, pattern: pattern, wordBoundary: false, maxLength: 4096)
            redaction.origin = origin ?? file
            if let group = rule["secretGroup"] {
                guard let number = group.int, number >= 0, number <= expression.numberOfCaptureGroups else {
                    problems.append(ConfigProblem(locator.key("secretGroup", in: block), field: path + "secretGroup",
                                                  "must be a group of the regex: 0 to \(expression.numberOfCaptureGroups)"))
                    continue
                }
                redaction.secret = number == 0 ? .whole : .group(number)
            } else {
                redaction.secret = expression.numberOfCaptureGroups > 0 ? .firstGroup : .whole
            }
            if let entropy = rule["entropy"] {
                guard let value = entropy.double ?? entropy.int.map(Double.init), value >= 0, value <= 8 else {
                    problems.append(ConfigProblem(locator.key("entropy", in: block), field: path + "entropy",
                                                  "must be a number of bits per character, 0 to 8"))
                    continue
                }
                redaction.minimumEntropy = value
            }
            if let keywords = rule["keywords"] {
                guard let words = keywords.array.map({ $0.compactMap(\.string) }), words.count == keywords.array?.count,
                      words.allSatisfy({ !$0.isEmpty }) else {
                    problems.append(ConfigProblem(locator.key("keywords", in: block), field: path + "keywords",
                                                  "must be an array of non-empty strings"))
                    continue
                }
                redaction.keywords = words
            }
            redaction.allowlists = global + allowlists(of: rule, path: path, block: block, locator: locator, problems: &problems)
            rules.append(redaction)
        }
        return problems.isEmpty ? (rules, []) : ([], problems)
    }

    /// A problem for each key of `table` that is not `known`, with the nearest known one.
    private static func unknownKeyProblems(_ table: TOMLTable, known: [String], path: String,
                                           locate: (String) -> SourceLocation) -> [ConfigProblem] {
        table.keys.filter { !known.contains($0) }.map { key in
            var reason = "unknown key"
            if let guess = Spelling.nearest(to: key, among: known) { reason += "; did you mean '\(guess)'?" }
            return ConfigProblem(locate(key), field: path + key, reason)
        }
    }

    /// Reads a rules file; a file that cannot be read is one problem.
    public static func load(_ file: URL) -> (rules: [RedactionRule], problems: [ConfigProblem]) {
        guard let data = FileManager.default.contents(atPath: file.path) else {
            return ([], [ConfigProblem(SourceLocation(file: file.path), field: "", "cannot read the rules file")])
        }
        guard let text = String(data: data, encoding: .utf8) else {
            return ([], [ConfigProblem(SourceLocation(file: file.path), field: "", "the rules file is not UTF-8 text")])
        }
        return parse(text, file: file.path)
    }

    /// gitleaks writes Go (RE2) expressions; the engine runs ICU's. They agree but for named
    /// groups, which RE2 also writes `(?P<name>…)`.
    static func icuPattern(_ regex: String) -> String {
        regex.replacingOccurrences(of: "(?P<", with: "(?<")
    }

    private static func allowlists(of table: TOMLTable, path: String, block: KeyLocator.Block, locator: KeyLocator,
                                   problems: inout [ConfigProblem]) -> [RedactionAllowlist] {
        // `allowlist` (one table, the older form) and `allowlists` (an array of tables).
        var tables: [(TOMLTable, String)] = []
        if let single = table["allowlist"]?.table { tables.append((single, "allowlist")) }
        for (index, entry) in (table["allowlists"]?.array.map(Array.init) ?? []).enumerated() {
            if let entry = entry.table { tables.append((entry, "allowlists[\(index)]")) }
        }
        var result: [RedactionAllowlist] = []
        for (entry, name) in tables {
            let field = path + name + "."
            let key = name.hasPrefix("allowlists") ? "allowlists" : "allowlist"
            problems += unknownKeyProblems(entry, known: allowlistKeys, path: field) { locator.key($0, in: block, after: key) }
            var allowlist = RedactionAllowlist()
            if let condition = entry["condition"]?.string {
                guard ["OR", "AND"].contains(condition.uppercased()) else {
                    problems.append(ConfigProblem(locator.key("condition", in: block, after: key), field: field + "condition",
                                                  "must be OR or AND"))
                    continue
                }
                allowlist.requiresAll = condition.uppercased() == "AND"
            }
            if let target = entry["regexTarget"]?.string {
                guard let parsed = RedactionAllowlist.Target(rawValue: target) else {
                    problems.append(ConfigProblem(locator.key("regexTarget", in: block, after: key), field: field + "regexTarget",
                                                  "must be secret, match or line"))
                    continue
                }
                allowlist.target = parsed
            }
            allowlist.regexes = (entry["regexes"]?.array.map(Array.init) ?? []).compactMap(\.string).map(icuPattern)
            for regex in allowlist.regexes where (try? NSRegularExpression(pattern: regex)) == nil {
                problems.append(ConfigProblem(locator.key("regexes", in: block, after: key), field: field + "regexes",
                                              "not a valid regular expression: \(regex)"))
            }
            allowlist.stopwords = (entry["stopwords"]?.array.map(Array.init) ?? []).compactMap(\.string).map { $0.lowercased() }
            // An allowlist of paths or commits only: nothing to allow in a record.
            if !allowlist.regexes.isEmpty || !allowlist.stopwords.isEmpty { result.append(allowlist) }
        }
        return result
    }
}

/// Finds where a key of a rule is written, for messages: TOMLKit parses the file but keeps no
/// positions, so the key is looked up in the text, within the block of the `[[rules]]` it
/// belongs to.
struct KeyLocator {
    enum Block {
        case top
        case rule(Int)
    }

    let lines: [Substring]
    let file: String
    let firstLine: Int
    let column: Int

    init(text: String, file: String, firstLine: Int, column: Int) {
        lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        self.file = file
        self.firstLine = firstLine
        self.column = column
    }

    /// A position of the text (1-based) as a position of the file.
    func at(line: Int, column: Int) -> SourceLocation {
        SourceLocation(file: file, line: firstLine + max(line, 1) - 1, column: self.column + max(column, 1))
    }

    /// Where `key` is written in `block` (after its `[…key]` header when `after` is given);
    /// the block's header when it is not found.
    func key(_ key: String, in block: Block, after header: String? = nil) -> SourceLocation {
        var range = 0..<lines.count
        if case .rule(let index) = block {
            let headers = lines.indices.filter { lines[$0].trimmingCharacters(in: .whitespaces).hasPrefix("[[rules]]") }
            if index < headers.count {
                range = headers[index]..<(index + 1 < headers.count ? headers[index + 1] : lines.count)
            }
        } else if let first = lines.indices.first(where: { lines[$0].trimmingCharacters(in: .whitespaces).hasPrefix("[") }) {
            range = 0..<first
        }
        if let header, let start = range.first(where: { lines[$0].contains("." + header + "]") || lines[$0].contains("[" + header + "]") }) {
            range = start..<range.upperBound
        }
        for number in range {
            let line = lines[number]
            let trimmed = line.drop { $0 == " " || $0 == "\t" }
            let bare = trimmed.hasPrefix("\"") ? trimmed.dropFirst() : trimmed
            if bare.hasPrefix(key), let after = bare.dropFirst(key.count).first, " =\"".contains(after) {
                return at(line: number + 1, column: line.count - trimmed.count + 1)
            }
        }
        return at(line: (range.first ?? 0) + 1, column: 1)
    }
}
