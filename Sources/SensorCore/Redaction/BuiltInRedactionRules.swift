import SensorModel

/// The secrets every sensor redacts unless its local policy says otherwise.
///
/// Patterns run over the record's bytes as they are on disk: mostly JSON text, so a `/` may be
/// written `\/` and a newline is the two bytes `\n`. Each rule has a literal prefix (the scan
/// looks for prefixes only; the expression runs where one occurs). Rules that name a value
/// (`PASSWORD=`, `AccountKey=`, `aws_secret_access_key`) replace only the value.
extension Redactor {
    /// A `/`, escaped or not.
    private static let slash = #"\\?/"#
    /// What may stand between a name and its value: a closing quote, `:` or `=`, an opening quote.
    private static let assignment = #"(?:\\?["'])?\s*[:=]\s*(?:\\?["'])?"#

    public static let builtInRules: [RedactionRule] = tokens + providerTokens + cloud + privateKeys + namedValues + contextRules
        + kubernetesSecrets

    /// Tokens recognisable by their own prefix.
    static let tokens: [RedactionRule] = [
        RedactionRule(name: "anthropic-api-key", pattern: "sk-ant-[A-Za-z0-9_-]{20,}", prefix: "sk-ant-"),
        RedactionRule(name: "openai-api-key", pattern: "sk-(?:proj-|svcacct-|admin-|None-)?[A-Za-z0-9_-]{20,}", prefix: "sk-"),
        RedactionRule(name: "stripe-secret-key", pattern: "sk_live_[A-Za-z0-9]{20,}", prefix: "sk_live_"),
        RedactionRule(name: "stripe-restricted-key", pattern: "rk_live_[A-Za-z0-9]{20,}", prefix: "rk_live_"),
        RedactionRule(name: "github-token", pattern: "ghp_[A-Za-z0-9]{36,}", prefix: "ghp_"),
        RedactionRule(name: "github-oauth-token", pattern: "gho_[A-Za-z0-9]{36,}", prefix: "gho_"),
        // One rule per prefix: "gh" alone occurs in every "right" and "light", and each
        // occurrence would run the expression.
        RedactionRule(name: "github-app-token", pattern: "ghu_[A-Za-z0-9]{36,}", prefix: "ghu_"),
        RedactionRule(name: "github-app-token", pattern: "ghs_[A-Za-z0-9]{36,}", prefix: "ghs_"),
        RedactionRule(name: "github-app-token", pattern: "ghr_[A-Za-z0-9]{36,}", prefix: "ghr_"),
        RedactionRule(name: "github-fine-grained-token", pattern: "github_pat_[A-Za-z0-9_]{22,}", prefix: "github_pat_"),
        // A routable token ends in `.01.` and a few more characters: the whole of it goes.
        RedactionRule(name: "gitlab-token", pattern: #"glpat-[A-Za-z0-9_-]{20,}(?:\.[0-9a-z]{2}\.[0-9a-z]{7,10})?"#, prefix: "glpat-"),
        RedactionRule(name: "gitlab-runner-token", pattern: #"glrt-[A-Za-z0-9_-]{20,}(?:\.[0-9a-z]{2}\.[0-9a-z]{7,10})?"#, prefix: "glrt-"),
        RedactionRule(name: "gitlab-deploy-token", pattern: "gldt-[A-Za-z0-9_-]{20,}", prefix: "gldt-"),
        RedactionRule(name: "google-api-key", pattern: "AIza[0-9A-Za-z_-]{35}", prefix: "AIza"),
        RedactionRule(name: "slack-token", pattern: "xox[abposre]-[A-Za-z0-9-]{10,}", prefix: "xox"),
        RedactionRule(name: "slack-app-token", pattern: "xapp-[0-9]+-[A-Za-z0-9-]{20,}", prefix: "xapp-"),
        RedactionRule(name: "slack-webhook",
                      pattern: "hooks\\.slack\\.com\(slash)(?:services|workflows|triggers)\(slash)[A-Za-z0-9]+\(slash)[A-Za-z0-9]+(?:\(slash)[A-Za-z0-9]+)?",
                      prefix: "hooks.slack.com", wordBoundary: false),
        RedactionRule(name: "huggingface-token", pattern: "hf_[A-Za-z0-9]{30,}", prefix: "hf_"),
        RedactionRule(name: "npm-token", pattern: "npm_[A-Za-z0-9]{36}", prefix: "npm_"),
        RedactionRule(name: "pypi-token", pattern: "pypi-[A-Za-z0-9_-]{50,}", prefix: "pypi-"),
        RedactionRule(name: "sendgrid-api-key", pattern: "SG\\.[A-Za-z0-9_-]{16,32}\\.[A-Za-z0-9_-]{32,64}", prefix: "SG."),
        RedactionRule(name: "twilio-api-key", pattern: "SK[0-9a-fA-F]{32}(?![0-9A-Za-z])", prefix: "SK"),
        RedactionRule(name: "jwt", pattern: "eyJ[A-Za-z0-9_-]{8,}\\.eyJ[A-Za-z0-9_-]{8,}\\.[A-Za-z0-9_-]{8,}", prefix: "eyJ",
                      maxLength: 16 * 1024),
    ]

    /// Cloud credentials: AWS key ids and secret keys next to their usual names, Azure storage.
    static let cloud: [RedactionRule] = {
        var rules = [
            RedactionRule(name: "aws-access-key-id", pattern: "(?:AKIA|ASIA)[0-9A-Z]{16}", prefix: "AKIA"),
            RedactionRule(name: "aws-session-key-id", pattern: "ASIA[0-9A-Z]{16}", prefix: "ASIA"),
        ]
        // The secret key is 40 characters of base64 with nothing of its own to find it by.
        for name in ["aws_secret_access_key", "AWS_SECRET_ACCESS_KEY", "SecretAccessKey", "secretAccessKey",
                     "aws_secret_key", "AWS_SECRET_KEY", "secret_access_key", "SECRET_ACCESS_KEY"] {
            rules.append(RedactionRule(name: "aws-secret-access-key",
                                       pattern: "\(name)\(assignment)((?:[A-Za-z0-9+]|\(slash)){40})(?![A-Za-z0-9+/])",
                                       prefix: name, redactsGroup: true, wordBoundary: false))
        }
        for name in ["AccountKey=", "SharedAccessKey="] {
            rules.append(RedactionRule(name: "azure-storage-key", pattern: "\(name)((?:[A-Za-z0-9+]|\(slash)){20,}={0,2})",
                                       prefix: name, redactsGroup: true, wordBoundary: false))
        }
        rules.append(RedactionRule(name: "azure-sas-signature", pattern: "sig=((?:[A-Za-z0-9+]|%2[BbFf]|\(slash)){30,}(?:%3[Dd]|=){0,2})",
                                   prefix: "sig=", redactsGroup: true))
        return rules
    }()

    /// PEM and PGP private keys: the whole block, its newlines escaped or not; a BEGIN line whose
    /// END is not in the same record is redacted to the end of its base64, and the key's
    /// continuation lines in the records after it (see ``RedactionCarry``).
    static let privateKeys: [RedactionRule] = [
        RedactionRule(name: "private-key",
                      pattern: #"-----BEGIN [A-Z ]*PRIVATE KEY(?: BLOCK)?-----(?:[^"\\]|\\.){0,16000}?-----END [A-Z ]*PRIVATE KEY(?: BLOCK)?-----"#,
                      prefix: "-----BEGIN ", maxLength: 16 * 1024),
        RedactionRule(name: "private-key",
                      pattern: #"-----BEGIN [A-Z ]*PRIVATE KEY(?: BLOCK)?-----(?:[A-Za-z0-9+/=:, \t\r\n-]|\\[nrt/])*"#,
                      prefix: "-----BEGIN ", maxLength: 16 * 1024),
    ]

    /// `.env`-style assignments and credentials in URLs.
    static let namedValues: [RedactionRule] = {
        var rules: [RedactionRule] = []
        for name in ["PASSWORD=", "PASSWD=", "SECRET=", "TOKEN=", "API_KEY=", "APIKEY=",
                     "password=", "passwd=", "secret=", "token=", "api_key=", "apikey="] {
            // The whole value, whatever its length: one that runs past the window is taken to its end.
            rules.append(RedactionRule(name: "secret-assignment", pattern: #"\#(name)\\?["']?([^\s"'\\$&;,<>(){}\[\]…]{8,})(?![…])"#,
                                       prefix: name, redactsGroup: true, minimumEntropy: 3.0, wordBoundary: false))
        }
        // scheme://user:password@host: only the password goes.
        rules.append(RedactionRule(name: "url-credentials", pattern: #"://[^\s/@:"'\\]{1,128}:([^\s/@"'\\]{1,256})@"#,
                                   prefix: "://", redactsGroup: true, wordBoundary: false))
        rules.append(RedactionRule(name: "url-credentials", pattern: #":\\/\\/[^\s/@:"'\\]{1,128}:([^\s/@"'\\]{1,256})@"#,
                                   prefix: #":\/\/"#, redactsGroup: true, wordBoundary: false))
        return rules
    }()

    /// Kubernetes Secret manifests, YAML or JSON (`kubectl get secret -o yaml` sorts `data`
    /// before `kind`, so order says nothing): in a record that says `kind: Secret`, every
    /// block under `data` and `stringData` goes, as a whole. They run over the record's decoded
    /// text (see ``DecodedText``).
    static let kubernetesSecrets: [RedactionRule] = {
        let keywords = ["kind: secret", "kind:secret", #""kind":"secret""#, #""kind": "secret""#,
                        #"\"kind\":\"secret\""#, #"\"kind\": \"secret\""#]
        let forms: [(pattern: String, group: Int)] = [
            // A `data:` line and the lines indented deeper under it.
            (#"(?m)^([ \t-]*)(?:data|stringData):[ \t]*\n((?:\1[ \t]+\S[^\n]*(?:\n|$))+)"#, 2),
            (#""(?:data|stringData)"\s*:\s*\{([^{}]*)\}"#, 1),
        ]
        return forms.map { form in
            var rule = RedactionRule(name: "kubernetes-secret", pattern: form.pattern, wordBoundary: false)
            rule.secret = .group(form.group)
            rule.keywords = keywords
            return rule
        }
    }()
}
