import ArgumentParser
import Foundation
import SensorCore
import SensorModel

/// `sensor rules`: the redaction rules in force on this machine, and a check of a rules file
/// before it is deployed.
struct RulesCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rules",
        abstract: "List the redaction rules in force (built in, from the local policy, from the server), or check a rules file.",
        discussion: """
        Rules files are in gitleaks' TOML format ([[rules]] with id, regex, secretGroup, keywords, entropy and \
        [[rules.allowlists]]). `sensor rules --check FILE` reports each problem as file:line:column with a hint, \
        and exits 1 if there is any.
        """
    )

    @OptionGroup var common: CommonOptions

    @Option(help: ArgumentHelp("Check a gitleaks-style TOML rules file instead of listing.", valueName: "file"))
    var check: String?

    @Flag(help: "Print one JSON object per rule.")
    var json = false

    func run() throws {
        if let check {
            let (rules, problems) = GitleaksRules.load(URL(fileURLWithPath: check))
            for problem in problems { print(problem.description) }
            guard problems.isEmpty else { throw ExitCode(1) }
            print("\(check): \(rules.count) rule(s): \(rules.map(\.name).joined(separator: ", "))")
            return
        }
        let config = try common.loadConfig()
        for problem in config.problems where problem.field.hasPrefix("redaction") || problem.description.contains(".toml") {
            FileHandle.standardError.write(Data("warning: \(problem.description)\n".utf8))
        }
        let builtIn = config.settings.builtinRedaction ? Redactor.builtInRules : []
        let rules = builtIn + config.settings.redactionRules
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
            for rule in rules {
                let entry = Entry(id: rule.name, origin: rule.origin, prefix: rule.prefix, keywords: rule.keywords.isEmpty ? nil : rule.keywords,
                                  pattern: rule.pattern)
                print(String(decoding: try encoder.encode(entry), as: UTF8.self))
            }
            return
        }
        let families = Dictionary(grouping: rules, by: \.origin)
        for origin in families.keys.sorted() {
            let names = Set(families[origin]!.map(\.name)).sorted()
            print("\(origin): \(families[origin]!.count) rule(s), \(names.count) famil\(names.count == 1 ? "y" : "ies")")
            print("    " + names.joined(separator: ", "))
        }
        if !config.settings.builtinRedaction { print("built-in rules: off") }
    }

    struct Entry: Encodable {
        let id: String
        let origin: String
        let prefix: String?
        let keywords: [String]?
        let pattern: String
    }
}
