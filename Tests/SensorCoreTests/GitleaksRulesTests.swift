import Foundation
import SensorCore
import SensorModel
import Testing

/// Rules an operator brings in gitleaks' TOML format: from the local policy and from the
/// server, validated with positions and hints, applied with their keywords, groups, entropy
/// and allowlists, and never able to remove or weaken a built-in or a policy rule.
@Suite struct GitleaksRulesTests {
    /// Rules in the shapes gitleaks' own configuration uses.
    static let rules = #"""
    title = "acme rules"

    [[rules]]
    id = "acme-deploy-key"
    description = "Acme deploy keys"
    regex = '''(?i)acme[_-]?deploy[_-]?key\s*[:=]\s*["']?(?P<key>[a-z0-9]{32})'''
    keywords = ["acme"]
    entropy = 3.0
    tags = ["internal"]

    [[rules.allowlists]]
    stopwords = ["00000000"]

    [[rules]]
    id = "acme-session"
    regex = '''acs_(live|test)_([A-Za-z0-9]{24})'''
    secretGroup = 2
    keywords = ["acs_"]

    [[rules.allowlists]]
    condition = "AND"
    regexTarget = "line"
    regexes = ['''fixture''']
    stopwords = ["aaaa"]

    [[rules]]
    id = "acme-ticket"
    regex = '''TKT-[0-9]{10}'''

    [allowlist]
    description = "global"
    regexes = ['''^TKT-0000''']
    paths = ['''vendor/''']
    """#

    static let key = "f3a9c1e07b5d42e8a6c9d0b1e2f3a4b5"

    func redact(_ text: String, with rules: [RedactionRule]) -> String {
        var settings = SensorSettings()
        settings.redactionRules = rules
        let redactor = Redactor(settings: settings)
        let bytes = Array(text.utf8)
        guard let redacted = bytes.withUnsafeBytes({ redactor.redact($0) }) else { return text }
        return String(decoding: redacted.bytes, as: UTF8.self)
    }

    @Test func rulesApplyWithTheirKeywordsGroupsEntropyAndAllowlists() throws {
        let (rules, problems) = GitleaksRules.parse(Self.rules, file: "acme.toml")
        #expect(problems.isEmpty, "\(problems)")
        #expect(rules.map(\.name) == ["acme-deploy-key", "acme-session", "acme-ticket"])

        // A named group (RE2's `(?P<…>)`) is the secret; the name stays, in any case the keyword is written.
        let line = #"{"message":{"content":"set ACME_DEPLOY_KEY=\"\#(Self.key)\" in CI"}}"#
        let redacted = redact(line, with: rules)
        #expect(!redacted.contains(Self.key) && redacted.contains("ACME_DEPLOY_KEY=") && redacted.contains("[REDACTED:acme-deploy-key]"))
        #expect(try JSONSerialization.jsonObject(with: Data(redacted.utf8)) is [String: Any])
        // Stopword, and too little entropy: not secrets.
        let stopped = "acme_deploy_key: 00000000f3a9c1e07b5d42e8a6c9d0b1"
        #expect(redact(stopped, with: rules) == stopped)
        let plain = "acme-deploy-key=aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
        #expect(redact(plain, with: rules) == plain)
        // Without its keyword the rule does not run (its regex alone would match).
        let noKeyword = "deploykey = \(Self.key)"
        #expect(redact(noKeyword, with: rules) == noKeyword)

        // secretGroup 2: the mode stays, the body goes.
        let session = "cookie acs_live_Zk3mQ9pL2xR7vT4nW8sY1bC5"
        #expect(redact(session, with: rules) == "cookie acs_live_[REDACTED:acme-session]")
        // AND: both the line regex and the stopword must hold to allow it.
        let both = "fixture acs_test_aaaaQ9pL2xR7vT4nW8sY1bC5"
        #expect(redact(both, with: rules) == both)
        let onlyOne = "acs_test_aaaaQ9pL2xR7vT4nW8sY1bC5"
        #expect(redact(onlyOne, with: rules) != onlyOne)

        // No keywords: every record; the file's global allowlist applies to every rule; its
        // `paths` mean nothing for records and are ignored.
        #expect(redact("ticket TKT-4829163057 leaked", with: rules) == "ticket [REDACTED:acme-ticket] leaked")
        #expect(redact("TKT-0000000001", with: rules) == "TKT-0000000001")
    }

    @Test func aBadFileIsRefusedWithItsPositionAndAHint() {
        func problems(_ text: String) -> [ConfigProblem] { GitleaksRules.parse(text, file: "rules.toml").problems }

        let syntax = problems("[[rules]]\nid = \"x\"\nregex = 'a\n")
        #expect(syntax.count == 1 && syntax[0].location.file == "rules.toml" && syntax[0].location.line == 3, "\(syntax)")
        #expect(syntax[0].reason.contains("not valid TOML"))

        let typo = problems("[[rules]]\nid = \"one\"\nregex = 'x{3}'\n\n[[rules]]\nid = \"two\"\nregex = 'y{3}'\n  secretGrup = 1\n")
        #expect(typo.count == 1, "\(typo)")
        #expect(typo.first?.description == "rules.toml:8:3: rules[two].secretGrup: unknown key; did you mean 'secretGroup'?")

        let allowlistTypo = problems("[[rules]]\nid = \"one\"\nregex = 'x{3}'\n[[rules.allowlists]]\nstopword = [\"a\"]\n")
        #expect(allowlistTypo.first?.description == "rules.toml:5:1: rules[one].allowlists[0].stopword: unknown key; did you mean 'stopwords'?")

        let regex = problems("[[rules]]\nid = \"one\"\nregex = '(unclosed'\n")
        #expect(regex.first?.location.line == 3 && regex.first?.reason.contains("regular expression") == true)

        let pathOnly = problems("[[rules]]\nid = \"pem-files\"\npath = '''\\.pem$'''\n")
        #expect(pathOnly.first?.field == "rules[pem-files].regex" && pathOnly.first?.location.line == 3)

        let group = problems("[[rules]]\nid = \"one\"\nregex = 'a(b)'\nsecretGroup = 3\n")
        #expect(group.first?.description.hasPrefix("rules.toml:4:1: rules[one].secretGroup") == true)

        let duplicate = problems("[[rules]]\nid = \"one\"\nregex = 'a'\n[[rules]]\nid = \"one\"\nregex = 'b'\n")
        #expect(duplicate.first?.reason == "duplicate rule id" && duplicate.first?.location.line == 5)
        #expect(GitleaksRules.parse("[[rules]]\nid = \"one\"\nregex = '(x'\n[[rules]]\nid = \"two\"\nregex = 'y'\n", file: "f").rules.isEmpty,
                "a file with a problem gives no rules, not some")
    }

    @Test func thePolicysFileAppliesAndItsLastGoodCopyOutlivesABadEdit() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("gitleaks-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let rulesFile = directory.appendingPathComponent("rules.toml")
        try Self.rules.write(to: rulesFile, atomically: true, encoding: .utf8)
        let policyFile = directory.appendingPathComponent("policy.yaml")
        try "version: 1\nredaction:\n  rules_files: [\"~/rules.toml\"]\n".write(to: policyFile, atomically: true, encoding: .utf8)
        let copies = directory.appendingPathComponent("state")

        var (policy, problems) = LocalPolicy.load([policyFile])
        #expect(problems.isEmpty, "\(problems)")
        #expect(policy.loadRules(home: directory.path, keepingCopiesIn: copies).isEmpty)
        #expect(policy.redactionRules.map(\.name) == ["acme-deploy-key", "acme-session", "acme-ticket"])
        #expect(policy.redactionRules.allSatisfy { $0.origin == rulesFile.path })

        try (Self.rules + "\n[[rules]]\nid = \"broken\"\nregex = '(x'\n").write(to: rulesFile, atomically: true, encoding: .utf8)
        (policy, _) = LocalPolicy.load([policyFile])
        let refused = policy.loadRules(home: directory.path, keepingCopiesIn: copies)
        #expect(refused.count == 1 && refused[0].location.file == rulesFile.path && refused[0].reason.contains("last good copy"), "\(refused)")
        #expect(policy.redactionRules.map(\.name) == ["acme-deploy-key", "acme-session", "acme-ticket"], "the last good rules stay in force")
    }

    @Test func theServerAddsRulesButCannotRemoveOrWeakenABuiltInOrAPolicyRule() async throws {
        let local = """
        sources:
          - {id: notes, kind: notes, roots: {default: ["~/notes"]}, include: ["*.jsonl"], format: jsonl, offset: byte}
        """
        var policy = LocalPolicy()
        policy.redactionRules = GitleaksRules.parse(Self.rules, file: "policy-rules.toml").rules
        // The server: its own rule, a rule of a policy rule's name that allows everything, the
        // built-in rules off, and a same-named built-in rule that allows everything.
        let server = """
        redaction:
          builtin: false
          gitleaks: |
            [[rules]]
            id = "server-badge"
            regex = '''BDG-[0-9]{8}'''
            keywords = ["bdg-"]

            [[rules]]
            id = "acme-ticket"
            regex = '''nothing-at-all'''
            [[rules.allowlists]]
            regexes = ['''.*''']

            [[rules]]
            id = "github-token"
            regex = '''nothing-at-all'''
            [[rules.allowlists]]
            regexes = ['''.*''']
        """
        let engine = try EngineHarness(local, server: server, policy: policy)
        #expect(engine.config.settings.builtinRedaction, "the floor holds")
        #expect(engine.config.settings.redactionRules.contains { $0.name == "server-badge" && $0.origin == "server" })
        let token = "ghp_" + String(repeating: "x7Kq", count: 9)
        try engine.write("notes/a.jsonl", #"{"text":"badge BDG-12345678 ticket TKT-4829163057 token \#(token)"}"# + "\n")
        let envelopes = try await engine.pass()
        let text = String(decoding: try JSONSerialization.data(withJSONObject: envelopes[0]["record"]!), as: UTF8.self)
        #expect(!text.contains("BDG-12345678") && !text.contains("TKT-4829163057") && !text.contains(token), "\(text)")

        let badServer = "redaction:\n  gitleaks: |\n    [[rules]]\n    id = \"x\"\n    regx = 'a'\n"
        let (layer, problems) = ConfigLoader.serverLayer(Data(badServer.utf8), origin: "server sensor-config")
        #expect(layer == nil, "a document whose rules have a problem is refused whole: the last good one stays")
        #expect(problems.first?.description.contains("server sensor-config:5:") == true, "\(problems)")
        #expect(problems.first?.reason.contains("did you mean 'regex'?") == true)
    }
}
