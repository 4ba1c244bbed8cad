import Foundation
import SensorTestSupport
import Testing
@testable import SensorCore
@testable import SensorModel

/// What must come through untouched: ordinary developer text that looks a little like a
/// secret, lookalikes of every provider prefix, and the real transcripts of the fixtures.
@Suite struct RedactionFalsePositiveTests {
    let redactor = Redactor(settings: SensorSettings())

    /// The rules that fired on `text`, by name.
    func fired(_ text: String) -> [String] {
        let bytes = Array(text.utf8)
        guard let result = bytes.withUnsafeBytes({ redactor.redact($0) }) else { return [] }
        let out = String(decoding: result.bytes, as: UTF8.self)
        return out.components(separatedBy: "[REDACTED:").dropFirst().map { String($0.prefix { $0 != "]" }) }
    }

    static let ordinaryText: [String] = [
        "commit 3f9a1c2e7b4d5a6f8e9d0c1b2a3f4e5d6c7b8a9f", "merge 0a1b2c3d4e5f60718293a4b5c6d7e8f901234567 into main",
        "id 123e4567-e89b-12d3-a456-426614174000 and 550e8400-e29b-41d4-a716-446655440000",
        #"\"integrity\": \"sha512-3Xbj8Mxg2Y4mqTvRzZ1oBnF6kzQqJxP6vA3cV9fK2wN1dR8sT0uH7yE4iL5mG2pC9bJ6aX3oQ0eW1rZ8tY7uI==\""#,
        #"\"resolved\": \"https://registry.npmjs.org/left-pad/-/left-pad-1.3.0.tgz\""#,
        "image sha256:4c0d3b2a1f9e8d7c6b5a4f3e2d1c0b9a8f7e6d5c4b3a2f1e0d9c8b7a6f5e4d3c",
        "data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==",
        "!function(e,t){\"object\"==typeof exports?module.exports=t():e.lib=t()}(this,function(){return function(n){var r={};function o(e){if(r[e])return r[e].exports}}})",
        "color: #ff00ff; background: #1a2b3c; border-color: rgba(0,0,0,.5)",
        "AbstractSingletonProxyFactoryBeanConfigurationManagerDelegateImplementationV2 extends BaseHandler",
        "AWS docs: AKIAIOSFODNN7EXAMPLE and aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
        "password: string, token: str, secret: Optional[str] = None",
        "token = getToken(); const password = await readPassword(); api_key = os.environ[\"API_KEY\"]",
        "max_tokens=4096 temperature=0.2 \"input_tokens\": 123456, \"cache_read_input_tokens\": 9876543",
        "curl -H \"Authorization: Bearer $TOKEN\" -H 'Authorization: Bearer ${API_TOKEN}' -u $USER:$PASS https://api.example.com",
        "Use Bearer authentication; Basic authentication is deprecated. Authorization: Basic <credentials>",
        "the secret_santa list, tokenizer tokens, passwordless login, credentials.json, access_key_id column",
        "export PATH=/usr/local/bin:$PATH; TOKEN=$(cat ~/.token); PASSWORD=${DB_PASSWORD:-}",
        "go get github.com/aws/aws-sdk-go-v2/service/s3@v1.48.0 golang.org/x/crypto/ssh",
        "def test_login(self): self.client.login(username='admin', password='password')",
        "the secret key of the dictionary is 'name'; sort by token count; reset password link expires",
        "sk-learn is not scikit-learn; task-list; risk-free; ask-ant; desk-top",
        "ghp_ (a prefix), xoxb- (another), AKIA (a third): prefixes alone are not keys",
    ]

    @Test func ordinaryDeveloperTextComesThroughUntouched() {
        for text in Self.ordinaryText {
            for position in SecretCorpus.positions {
                let record = position.wrap(text.replacingOccurrences(of: "\"", with: "\\\""))
                #expect(fired(record).isEmpty, "\(fired(record)) on \(position.name): \(text)")
            }
        }
    }

    @Test func lookalikesOfEveryProviderPrefixAreLeftAlone() {
        for text in ProviderSecretSamples.lookalikes {
            let record = #"{"t":"\#(text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\""))"}"#
            #expect(fired(record).isEmpty, "\(fired(record)): \(text)")
        }
    }

    /// Every line of the real transcripts in ../shared/fixtures: they hold no secrets, and no
    /// rule may fire on them.
    @Test func realTranscriptsWithoutSecretsAreLeftUntouched() throws {
        let root = try SharedFolder.require("fixtures")
        var lines = 0
        var firing: [String: Int] = [:]
        let files = FileManager.default.enumerator(at: root, includingPropertiesForKeys: nil)!
        for case let file as URL in files where file.pathExtension == "jsonl" || file.pathExtension == "json" {
            guard let text = try? String(contentsOf: file, encoding: .utf8) else { continue }
            for line in text.split(separator: "\n") {
                lines += 1
                for rule in fired(String(line)) { firing["\(rule) in \(file.lastPathComponent)", default: 0] += 1 }
            }
        }
        #expect(lines > 2000)
        #expect(firing.isEmpty, "\(firing)")
    }
}

/// The run test before an expression: a lower bound of what every match begins with, 0 when unsure.
@Suite struct ValueRunTests {
    @Test func theLeastRunOfSimpleExpressionsAndNothingForOthers() {
        #expect(ValueRun.minimum(of: "sk-ant-[A-Za-z0-9_-]{20,}") == 27)
        #expect(ValueRun.minimum(of: #"pat[A-Za-z0-9]{14}\.[a-f0-9]{64}"#) == 82)
        #expect(ValueRun.minimum(of: "SK[0-9a-fA-F]{32}(?![0-9A-Za-z])") == 34)
        #expect(ValueRun.minimum(of: #"AGPA[A-Z0-9]{16,17}(?![A-Za-z0-9])"#) == 20)
        #expect(ValueRun.minimum(of: "xox[abposre]-[A-Za-z0-9-]{10,}") == 15)
        #expect(ValueRun.minimum(of: #"whsec_(?:[A-Za-z0-9+=]|\\?/){24,}"#) == 6, "stops at the group")
        #expect(ValueRun.minimum(of: "(?i)token[:=]x{40}") == 0)
        #expect(ValueRun.minimum(of: "abc|x{40}") == 0, "an alternative at the top: unsure")
        #expect(ValueRun.minimum(of: #"key[ "']{0,3}x{40}"#) == 3, "a class with a blank or a quote ends the count")
        #expect(ValueRun.minimum(of: "tok[^ ]{40}") == 3, "a negated class ends the count")
        #expect(ValueRun.minimum(of: #"Bearer\s+[A-Za-z0-9]{30}"#) == 6)
    }

    /// Wherever a built-in rule matches one of the corpus' samples, the run from the match's
    /// start is at least the rule's least run: the test never skips a real secret.
    @Test func everyBuiltInRulesLeastRunHoldsWhereItMatches() throws {
        var random = SeededRandom(seed: 3)
        var checked = 0
        for sample in SecretCorpus.samples(&random) {
            let payload = Array(sample.payload.utf8)
            let text = sample.payload
            for rule in Redactor.builtInRules where rule.name == sample.rule {
                guard let prefix = rule.prefix, let start = payload.firstRange(of: Array(prefix.utf8))?.lowerBound else { continue }
                let expression = try NSRegularExpression(pattern: rule.pattern)
                let offset = String(decoding: payload[..<start], as: UTF8.self).utf16.count
                guard expression.firstMatch(in: text, options: [.anchored],
                                            range: NSRange(location: offset, length: text.utf16.count - offset)) != nil else { continue }
                let run = payload[start...].prefix { !Redactor.endsValue($0) }.count
                let least = ValueRun.minimum(of: rule.pattern)
                if run < least { Issue.record("\(sample.rule): a run of \(run) < \(least) in \(sample.payload)") }
                checked += 1
            }
        }
        #expect(checked > 150)
    }
}
