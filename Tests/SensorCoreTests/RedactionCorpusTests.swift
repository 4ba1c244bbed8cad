import Foundation
import Testing
@testable import SensorCore
@testable import SensorModel
import SQLiteDB
import SensorTestSupport

/// One secret of each built-in rule, with the text a rule needs around it (`PASSWORD=` before
/// a password): `before + secret + after` is what a tool writes; only `secret` may change.
struct SecretSample {
    var rule: String
    var before = ""
    var secret: String
    var after = ""
    var payload: String { before + secret + after }
}

typealias SeededRandom = SplitMix

enum SecretCorpus {
    static let alnum = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789")
    static let base64 = alnum + ["+", "/"]
    static let hex = Array("0123456789abcdef")

    static func draw(_ alphabet: [Character], _ count: Int, _ random: inout SeededRandom) -> String {
        String((0..<count).map { _ in alphabet.randomElement(using: &random)! })
    }

    /// A fresh secret for every built-in rule.
    static func samples(_ random: inout SeededRandom) -> [SecretSample] {
        func d(_ alphabet: [Character], _ count: Int) -> String { draw(alphabet, count, &random) }
        let pem = "-----BEGIN RSA PRIVATE KEY-----\\n" + (0..<4).map { _ in d(base64, 64) }.joined(separator: "\\n")
            + "\\n" + d(base64, 20) + "==\\n-----END RSA PRIVATE KEY-----"
        let openssh = "-----BEGIN OPENSSH PRIVATE KEY-----\\n" + d(base64, 70) + "\\n-----END OPENSSH PRIVATE KEY-----"
        return [
            SecretSample(rule: "anthropic-api-key", secret: "sk-ant-api03-" + d(alnum, 80) + "-" + d(alnum, 10) + "AA"),
            SecretSample(rule: "anthropic-api-key", secret: "sk-ant-admin01-" + d(alnum, 60)),
            SecretSample(rule: "openai-api-key", secret: "sk-proj-" + d(alnum, 64) + "_" + d(alnum, 40)),
            SecretSample(rule: "openai-api-key", secret: "sk-svcacct-" + d(alnum, 48)),
            SecretSample(rule: "openai-api-key", secret: "sk-" + d(alnum, 48)),
            SecretSample(rule: "google-api-key", secret: "AIza" + d(alnum, 35)),
            SecretSample(rule: "stripe-secret-key", secret: "sk_live_" + d(alnum, 24)),
            SecretSample(rule: "stripe-restricted-key", secret: "rk_live_" + d(alnum, 24)),
            SecretSample(rule: "github-token", secret: "ghp_" + d(alnum, 36)),
            SecretSample(rule: "github-oauth-token", secret: "gho_" + d(alnum, 36)),
            SecretSample(rule: "github-app-token", secret: "ghs_" + d(alnum, 36)),
            SecretSample(rule: "github-fine-grained-token", secret: "github_pat_" + d(alnum, 22) + "_" + d(alnum, 59)),
            SecretSample(rule: "gitlab-token", secret: "glpat-" + d(alnum, 20)),
            SecretSample(rule: "gitlab-token", secret: "glpat-" + d(alnum, 27) + ".01." + d(Array("0123456789abcdefghijklmnopqrstuvwxyz"), 9)),
            SecretSample(rule: "aws-access-key-id", secret: "AKIA" + d(Array("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"), 16)),
            SecretSample(rule: "aws-secret-access-key", before: "aws_secret_access_key = ", secret: d(base64, 40)),
            SecretSample(rule: "aws-secret-access-key", before: "AWS_SECRET_ACCESS_KEY=", secret: d(base64, 40)),
            SecretSample(rule: "aws-secret-access-key", before: #"SecretAccessKey\": \""#, secret: d(alnum, 40), after: #"\""#),
            SecretSample(rule: "npm-token", secret: "npm_" + d(alnum, 36)),
            SecretSample(rule: "pypi-token", secret: "pypi-AgEIcHlwaS5vcmc" + d(alnum, 60)),
            SecretSample(rule: "huggingface-token", secret: "hf_" + d(alnum, 34)),
            SecretSample(rule: "slack-token", secret: "xoxb-" + d(hex, 12) + "-" + d(alnum, 24)),
            SecretSample(rule: "slack-app-token", secret: "xapp-1-A" + d(alnum, 10) + "-1234567890123-" + d(hex, 64)),
            SecretSample(rule: "slack-webhook", before: "https://",
                         secret: "hooks.slack.com/services/T" + d(alnum, 8) + "/B" + d(alnum, 8) + "/" + d(alnum, 24)),
            SecretSample(rule: "azure-storage-key", before: "DefaultEndpointsProtocol=https;AccountName=acct;AccountKey=",
                         secret: d(base64, 86) + "==", after: ";EndpointSuffix=core.windows.net"),
            SecretSample(rule: "sendgrid-api-key", secret: "SG." + d(alnum, 22) + "." + d(alnum, 43)),
            SecretSample(rule: "twilio-api-key", secret: "SK" + d(hex, 32)),
            SecretSample(rule: "jwt", secret: "eyJhbGciOiJIUzI1NiJ9.eyJ" + d(alnum, 30) + "." + d(alnum, 43)),
            SecretSample(rule: "url-credentials", before: "postgres://app_user:", secret: d(alnum, 16), after: "@db.internal:5432/app"),
            SecretSample(rule: "url-credentials", before: "https://deploy:", secret: d(alnum, 20), after: "@git.example.com/r.git"),
            SecretSample(rule: "secret-assignment", before: "PASSWORD=", secret: d(alnum, 24)),
            SecretSample(rule: "secret-assignment", before: "DB_PASSWORD=", secret: d(alnum, 24)),
            SecretSample(rule: "secret-assignment", before: "CLIENT_SECRET=", secret: d(alnum, 32)),
            SecretSample(rule: "secret-assignment", before: "GITHUB_TOKEN=", secret: d(alnum, 30)),
            SecretSample(rule: "secret-assignment", before: "API_KEY=", secret: d(alnum, 32)),
            SecretSample(rule: "private-key", secret: pem),
            SecretSample(rule: "private-key", secret: openssh),
            // Recognised by a nearby name: assignments, JSON pairs, YAML lines, whatever the identifier around the name.
            SecretSample(rule: "generic-secret", before: "client_secret = ", secret: d(alnum, 31) + "7"),
            SecretSample(rule: "generic-secret", before: "passwd = ", secret: d(alnum, 15) + "4"),
            SecretSample(rule: "generic-secret", before: "dropbox_token = ", secret: d(alnum, 40) + "1"),
            SecretSample(rule: "generic-secret", before: #"\"square_secret\": \""#, secret: d(alnum, 30) + "2", after: #"\""#),
            SecretSample(rule: "generic-secret", before: "password: ", secret: d(alnum, 19) + "9"),
            SecretSample(rule: "generic-secret", before: "clientSecret: ", secret: d(alnum, 23) + "8"),
            SecretSample(rule: "secret-assignment", before: "export MY_APIKEY=", secret: d(alnum, 27) + "3"),
            SecretSample(rule: "secret-assignment", before: "TOKEN=", secret: d(alnum, 300) + "5"),  // the whole value, past 256
            SecretSample(rule: "generic-secret", before: "stripe_api_key: ", secret: d(hex, 32) + "5"),
            SecretSample(rule: "authorization-header", before: #"curl -H \"Authorization: Bearer "#, secret: d(alnum, 40) + "6", after: #"\" https://api.example.com"#),
            SecretSample(rule: "authorization-header", before: "Authorization: Basic ", secret: d(base64, 28) + "=="),
            SecretSample(rule: "bearer-token", before: "with Bearer ", secret: d(alnum, 39) + "7"),
            SecretSample(rule: "curl-user-password", before: "curl -u deploy:", secret: d(alnum, 20), after: " https://x.example.com"),
            SecretSample(rule: "docker-auth", before: #"{\"auths\":{\"r.io\":{\"auth\":\""#, secret: d(base64, 32), after: #"\"}}}"#),
        ] + ProviderSecretSamples.secrets.map { SecretSample(rule: $0.rule, secret: $0.secret) }
    }

    /// JSON text with `payload` (already JSON-escaped) at a named position.
    static let positions: [(name: String, wrap: @Sendable (String) -> String)] = [
        ("string start", { #"{"t":"\#($0) tail"}"# }),
        ("whole string", { #"{"t":"\#($0)"}"# }),
        ("string end", { #"{"t":"head \#($0)"}"# }),
        (#"after \n"#, { #"{"t":"export KEY\n\#($0)\nnext"}"# }),
        (#"after \r"#, { #"{"t":"line\r\#($0)"}"# }),
        (#"after \t"#, { #"{"t":"col\t\#($0)\tcol"}"# }),
        (#"after \""#, { #"{"t":"say \"\#($0)\" ok"}"# }),
        (#"after \\"#, { #"{"t":"C:\\\#($0)"}"# }),
        (#"after \/"#, { #"{"t":"path\/\#($0)"}"# }),
        (#"after \u000a"#, { #"{"t":"x\u000a\#($0)"}"# }),
        (#"after \u0027"#, { #"{"t":"x\u0027\#($0)\u0027"}"# }),
        ("object key", { #"{"\#($0)":true}"# }),
        ("nested JSON in a string", { #"{"t":"{\"k\":\"\#($0)\"}"}"# }),
        ("array element", { #"{"a":[1,"\#($0)",null]}"# }),
    ]
}

@Suite struct RedactionCorpusTests {
    let redactor = Redactor(settings: SensorSettings())

    func redact(_ text: String) -> String {
        let bytes = Array(text.utf8)
        guard let result = bytes.withUnsafeBytes({ redactor.redact($0) }) else { return text }
        return String(decoding: result.bytes, as: UTF8.self)
    }

    /// Built-in rules compile their expressions when first used, not at start-up: every one of
    /// them, and of their allowlists, must compile (a typo would otherwise only show as a rule
    /// that never matches).
    @Test func everyBuiltInExpressionCompiles() {
        var broken: [String] = []
        for rule in Redactor.builtInRules {
            if LazyRegularExpression(pattern: rule.pattern).expression == nil { broken.append("\(rule.name): \(rule.pattern)") }
            for regex in rule.allowlists.flatMap(\.regexes) where LazyRegularExpression(pattern: regex).expression == nil {
                broken.append("\(rule.name) allowlist: \(regex)")
            }
        }
        #expect(Redactor.builtInRules.count > 200)
        #expect(broken.isEmpty, "\(broken.joined(separator: "\n"))")
        #expect(LazyRegularExpression(pattern: "([a-z").expression == nil)
    }

    /// Every rule × every position: the secret is gone, the JSON is valid, and nothing but the
    /// secret changed.
    @Test func everyRuleInEveryPosition() {
        var random = SeededRandom(seed: 7)
        let samples = SecretCorpus.samples(&random)
        let covered = Set(samples.map(\.rule))
        // Kubernetes manifests are blocks of lines, not tokens: `kubernetesSecretManifestsLoseEveryValue`.
        let withoutSample: Set<String> = ["aws-session-key-id", "azure-sas-signature", "gitlab-runner-token", "gitlab-deploy-token",
                                          "kubernetes-secret"]
        let ruleNames = Set(Redactor.builtInRules.map(\.name)).subtracting(withoutSample)
        #expect(covered == ruleNames, "every built-in rule has a sample")
        var failures: [String] = []
        for sample in samples {
            for position in SecretCorpus.positions {
                let record = position.wrap(sample.payload)
                let expected = position.wrap(sample.before + "[REDACTED:\(sample.rule)]" + sample.after)
                let redacted = redact(record)
                if redacted != expected {
                    failures.append("\(sample.rule) at \(position.name):\n  in:  \(record)\n  out: \(redacted)\n  want: \(expected)")
                }
                if !JSONScanner.isValid(Array(redacted.utf8)) { failures.append("\(sample.rule) at \(position.name): invalid JSON") }
            }
        }
        #expect(failures.isEmpty, "\(failures.count) failures:\n\(failures.prefix(12).joined(separator: "\n"))")
    }

    /// A Secret manifest as an agent writes it (a heredoc to `kubectl apply`), as `kubectl get
    /// -o yaml` prints it (`data` before `kind`), and as `-o json` prints it, in a transcript
    /// line: every value goes, the rest of the manifest and the JSON stay.
    @Test func kubernetesSecretManifestsLoseEveryValue() throws {
        let values = ["cG9zdGdyZXM6Ly9hZG1pbjpodW50ZXIy", "c3VwZXJzZWNyZXQtdmFsdWUtMTIz", "plain-text-pass-42", "dG9rZW4tYWJj"]
        func line(_ text: String) -> String {
            let escaped = String(decoding: try! JSONSerialization.data(withJSONObject: [text], options: [.withoutEscapingSlashes]), as: UTF8.self)
            return #"{"type":"assistant","message":{"content":[{"type":"tool_use","input":{"command":\#(escaped.dropFirst().dropLast())}}]}}"#
        }
        let heredoc = """
        kubectl apply -f - <<EOF
        apiVersion: v1
        kind: Secret
        metadata:
          name: db
        type: Opaque
        data:
          url: \(values[0])
          password: \(values[1])
        stringData:
          admin: \(values[2])
        EOF
        """
        let kubectlYAML = """
        apiVersion: v1
        data:
          token: \(values[3])
          password: \(values[1])
        kind: Secret
        metadata:
          name: api
        """
        let kubectlJSON = """
        {
            "apiVersion": "v1",
            "data": {
                "password": "\(values[1])",
                "token": "\(values[3])"
            },
            "kind": "Secret"
        }
        """
        for text in [heredoc, kubectlYAML, kubectlJSON] {
            let record = line(text)
            let redacted = redact(record)
            for value in values { #expect(!redacted.contains(value), "\(value) in \(redacted)") }
            #expect(redacted.contains("[REDACTED:kubernetes-secret]") && redacted.contains("apiVersion"))
            #expect(JSONScanner.isValid(Array(redacted.utf8)), "\(redacted)")
        }
        // A ConfigMap's data is configuration, not a secret.
        let configMap = line("apiVersion: v1\nkind: ConfigMap\ndata:\n  mode: c3VwZXJzZWNyZXQtdmFsdWUtMTIz\n")
        #expect(redact(configMap) == configMap)
    }

    @Test func wordsThatMerelyLookLikePrefixesAreLeftAlone() {
        let clean = [
            #"{"t":"task-output-waiting-1770913364000 risk-assessment-for-the-project-team"}"#,
            #"{"t":"PASSWORD=changeme TOKEN=xxxxxxxxxxxx SECRET=${VAULT_SECRET}"}"#,
            #"{"t":"https://example.com/a:b@c is a path, git@github.com:org/repo.git"}"#,
            #"{"t":"ASKING DESKTOP SKILLS sig=short"}"#,
        ]
        for text in clean { #expect(redact(text) == text) }
    }

    @Test func aSlashWrittenAsAnEscapeIsStillPartOfTheSecret() {
        let key = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYZQ3L7Q9KEY"
        let escaped = key.replacingOccurrences(of: "/", with: #"\/"#)
        let text = #"{"env":"aws_secret_access_key=\#(escaped)"}"#
        #expect(redact(text) == #"{"env":"aws_secret_access_key=[REDACTED:aws-secret-access-key]"}"#)
    }

    /// Random records around random secrets: none survives, whatever surrounds it.
    @Test func randomRecordsAroundRandomSecrets() throws {
        let fillers = ["", " ", "word", "a b c", #"\n"#, #"\t"#, #"\r\n"#, #"\""#, #"\\"#, #"\/"#, #"\u000a"#,
                       #"\u00e9"#, "é", "日本語", "→", "😀", "<script>", ": ", "=", ",", ";", "(", "[", "{"]
        for seed in UInt64(1)...400 {
            var random = SeededRandom(seed: seed)
            let samples = SecretCorpus.samples(&random)
            let sample = samples.randomElement(using: &random)!
            // A separator a tool would put around a secret, then random text.
            let left = (0..<Int.random(in: 0...3, using: &random)).map { _ in fillers.randomElement(using: &random)! }.joined()
                + [" ", #"\n"#, #"\t"#, #"\""#, "("].randomElement(using: &random)!
            let right = [" ", #"\n"#, #"\""#, ")", ","].randomElement(using: &random)!
                + (0..<Int.random(in: 0...3, using: &random)).map { _ in fillers.randomElement(using: &random)! }.joined()
            let value = left + sample.payload + right
            let record: String
            switch Int.random(in: 0..<3, using: &random) {
            case 0: record = #"{"type":"tool_result","content":"\#(value)"}"#
            case 1: record = #"{"message":{"content":[{"type":"text","text":"\#(value)"}]},"n":\#(seed)}"#
            default: record = #"{"\#(value)":{"nested":["\#(value)"]}}"#
            }
            let redacted = redact(record)
            #expect(!redacted.contains(sample.secret), "seed \(seed): \(sample.rule) survived in \(redacted)")
            #expect(JSONScanner.isValid(Array(redacted.utf8)), "seed \(seed): invalid JSON \(redacted)")
            let object = try JSONSerialization.jsonObject(with: Data(redacted.utf8))
            let decoded = String(describing: object)
            let secretDecoded = sample.secret.replacingOccurrences(of: #"\n"#, with: "\n")
            #expect(!decoded.contains(secretDecoded), "seed \(seed): \(sample.rule) survived decoding")
        }
    }
}

/// The same corpus read through the engine from real files: JSONL lines (held and spooled),
/// SQLite row values, whole JSON documents, and a private key split over lines.
@Suite struct RedactionThroughTheEngineTests {
    static let yaml = """
    sources:
      - {id: t.lines, kind: t.line, roots: {default: ["~/logs"]}, include: ["*.jsonl"], format: jsonl, offset: byte, max_record_bytes: 8000000}
      - {id: t.docs, kind: t.doc, roots: {default: ["~/docs"]}, include: ["*.json"], format: json, offset: snapshot}
      - id: t.rows
        kind: t.row
        roots: {default: ["~/app"]}
        include: ["state.db"]
        format: sqlite
        offset: cursor
        sqlite:
          query: SELECT rowid AS _cursor, key, value FROM kv WHERE rowid > :cursor ORDER BY rowid LIMIT :limit
    """

    static func samples() -> [SecretSample] {
        var random = SeededRandom(seed: 99)
        return SecretCorpus.samples(&random)
    }

    static func assertNoSecret(_ envelopes: [[String: Any]], _ samples: [SecretSample]) throws {
        for envelope in envelopes {
            let text = String(decoding: try JSONSerialization.data(withJSONObject: envelope), as: UTF8.self)
            for sample in samples {
                #expect(!text.contains(sample.secret), "\(sample.rule) survived in \(envelope["source"] ?? "")")
                #expect(!text.contains(sample.secret.replacingOccurrences(of: #"\n"#, with: #"\\n"#)), "\(sample.rule)")
            }
        }
    }

    @Test func linesRowsAndDocumentsLeaveWithoutTheirSecrets() async throws {
        let engine = try EngineHarness(Self.yaml)
        let samples = Self.samples()
        var lines = ""
        for sample in samples {
            for position in SecretCorpus.positions { lines += position.wrap(sample.payload) + "\n" }
        }
        try engine.write("logs/a.jsonl", lines)
        // A whole pretty-printed document with every secret after a newline escape.
        let document = "{\n  \"notes\": [\n" + samples.map { "    \"see\\n\($0.payload)\"" }.joined(separator: ",\n") + "\n  ]\n}\n"
        try engine.write("docs/settings.json", document)
        try FileManager.default.createDirectory(at: engine.url("app"), withIntermediateDirectories: true)
        let database = try Database(path: engine.url("app/state.db").path, mode: .readWriteCreate)
        try database.execute("CREATE TABLE kv (key TEXT, value BLOB)")
        for (index, sample) in samples.enumerated() {
            let json = #"{"t":"line\n\#(sample.payload)"}"#.replacingOccurrences(of: "'", with: "''")
            let text = ("plain\n" + sample.payload.replacingOccurrences(of: #"\n"#, with: "\n")).replacingOccurrences(of: "'", with: "''")
            try database.execute("INSERT INTO kv VALUES ('json-\(index)', '\(json)'), ('text-\(index)', '\(text)')")
        }
        let envelopes = try await engine.pass()
        #expect(envelopes.filter { $0["source"] as? String == "t.lines" }.count == samples.count * SecretCorpus.positions.count)
        #expect(envelopes.filter { $0["source"] as? String == "t.rows" }.count == samples.count * 2)
        #expect(envelopes.filter { $0["source"] as? String == "t.docs" }.count == 1)
        #expect(envelopes.allSatisfy { $0.encoding == "json" || $0.encoding == "row" }, "redaction kept every record JSON")
        try Self.assertNoSecret(envelopes, samples)
        let redactions = envelopes.reduce(0) { $0 + ($1.flags["redactions"] as? Int ?? 0) }
        #expect(redactions >= samples.count * (SecretCorpus.positions.count + 3))
    }

    @Test func aSpooledLineLosesItsSecretsAlsoAcrossWindowEdges() async throws {
        let engine = try EngineHarness(Self.yaml)
        engine.spoolDirectory = engine.url("spool")
        engine.spoolThreshold = 256 * 1024
        let samples = Self.samples()
        // Secrets after a newline escape, one straddling each of the redacting stream's edges.
        var record = Array(#"{"text":""#.utf8)
        let filler = Array("lorem ipsum dolor sit amet, ".utf8)
        for (index, edge) in LongRecordTests.edges.enumerated() {
            let sample = samples[(index * 7) % samples.count]
            let secret = Array((#"\n"# + sample.payload).utf8)
            while record.count < edge - secret.count / 2 { record.append(filler[record.count % filler.count]) }
            record += secret + Array(" ".utf8)
        }
        for sample in samples { record += Array((#"\t"# + sample.payload + " ").utf8) }
        record += Array(#""}"#.utf8) + [0x0A]
        try engine.write("logs/big.jsonl", record)
        let envelopes = try await engine.pass()
        #expect(engine.spooledEnvelopes == 1)
        #expect(envelopes.first?.encoding == "json")
        try Self.assertNoSecret(envelopes, samples)
    }

    @Test func aPrivateKeySplitOverLinesIsRedactedInEachOfThem() async throws {
        let engine = try EngineHarness(Self.yaml)
        var random = SeededRandom(seed: 5)
        let body = (0..<5).map { _ in SecretCorpus.draw(SecretCorpus.base64, 64, &random) }
        // A key pasted into a file read as lines (not JSON), and one a line of JSON each.
        let raw = ["-----BEGIN PRIVATE KEY-----"] + body + ["-----END PRIVATE KEY-----", "after the key"]
        let json = raw.map { #"{"line":"\#($0)"}"# }
        try engine.write("logs/raw.jsonl", (raw + json).joined(separator: "\n") + "\n")
        let envelopes = try await engine.pass()
        #expect(envelopes.count == raw.count * 2)
        let text = String(decoding: try JSONSerialization.data(withJSONObject: envelopes), as: UTF8.self)
        for line in body { #expect(!text.contains(line)) }
        #expect(text.contains("after the key"))
        #expect(envelopes.filter { $0.encoding == "json" }.count == raw.count, "the JSON lines stay JSON")
    }
}
