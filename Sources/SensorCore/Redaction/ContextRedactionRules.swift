import SensorModel

/// Secrets recognised by what stands before them rather than by their own shape: a value
/// assigned to a secret-like name (in an assignment, a JSON pair, a YAML line, an `.env` file),
/// an `Authorization` header, a `curl -u` flag, a Docker `auth` entry. Only the value is
/// replaced, the whole value whatever its length (the expression looks at 256 bytes from the
/// name; a value that runs on past them is taken to its end, see ``Redactor``); a value of too little entropy, or with no
/// digit, is an ordinary word (`password: string`, `token = getToken()`), not a secret.
extension Redactor {
    /// What may stand between a name and its value: the rest of the identifier, a closing quote
    /// (escaped or not), an assignment operator, an opening quote.
    private static let nameToValue = #"[A-Za-z0-9_.-]{0,24}(?:\\?["'])?\s{0,4}(?::=|=>|\?=|[:=])\s{0,4}(?:\\?["'])?"#
    /// A value: up to a quote, a backslash, whitespace or a delimiter, at least 8 bytes, with a
    /// digit; not a variable (`$TOKEN`) and not a value the tool already masked (`6853e7…a292`).
    private static let value = #"((?=[^\s"'\\,;<>(){}\[\]`…]*[0-9])[^\s"'\\,;<>(){}\[\]`$…]{8,})(?![…])"#

    /// Secret-like names, each in the cases code writes it (`client_secret`, `clientSecret`,
    /// `CLIENT_SECRET`): the scan finds literal prefixes only.
    static let secretNames = ["secret", "token", "password", "passwd", "passphrase", "apikey", "api_key", "api-key",
                              "accesskey", "access_key", "credential", "auth_key", "authkey", "private_key"]

    static let contextRules: [RedactionRule] = {
        var rules: [RedactionRule] = []
        var prefixes: [String] = []
        for name in secretNames {
            let capitalized = name.prefix(1).uppercased() + name.dropFirst()
            for form in [name, capitalized, name.uppercased()] where !prefixes.contains(form) {
                prefixes.append(form)
                var rule = RedactionRule(name: "generic-secret", pattern: form.replacingOccurrences(of: "-", with: "\\-") + nameToValue + value,
                                         prefix: form, redactsGroup: true, minimumEntropy: 3.3, wordBoundary: false, maxLength: 256)
                rule.valueAfterName = true
                rules.append(rule)
            }
        }
        // HTTP authorization in headers, curl commands and code.
        for form in ["Authorization", "authorization", "AUTHORIZATION"] {
            rules.append(RedactionRule(name: "authorization-header",
                                       pattern: form + #"(?:\\?["'])?\s{0,4}[:=]\s{0,4}(?:\\?["'])?(?:Bearer|bearer|Basic|basic|Token|token|Digest|digest)\s+([A-Za-z0-9._~+/=:-]{8,})"#,
                                       prefix: form, redactsGroup: true, minimumEntropy: 3.0, wordBoundary: false,
                                       maxLength: 256))
        }
        for form in ["Bearer ", "bearer "] {
            rules.append(RedactionRule(name: "bearer-token", pattern: form + #"((?=[A-Za-z0-9._~+/=-]*[0-9])[A-Za-z0-9._~+/=-]{20,})"#,
                                       prefix: form, redactsGroup: true, minimumEntropy: 3.5, maxLength: 256))
        }
        // curl -u user:password, curl --user user:password
        for flag in ["-u ", "--user ", "-u'", "-u\\\""] {
            rules.append(RedactionRule(name: "curl-user-password",
                                       pattern: escapedForPattern(flag) + #"\s{0,4}(?:\\?["'])?[^\s:"'\\$]{1,128}:([^\s"'\\$%{][^\s"'\\]{2,})"#,
                                       prefix: flag, redactsGroup: true, maxLength: 4096))
        }
        // Docker config.json: "auth": "<base64 of user:password>"
        for form in [#""auth""#, #"\"auth\""#] {
            rules.append(RedactionRule(name: "docker-auth", pattern: escapedForPattern(form) + #"\s{0,4}:\s{0,4}\\?"([A-Za-z0-9+/]{12,}={0,2})"#,
                                       prefix: form, redactsGroup: true, wordBoundary: false))
        }
        return rules
    }()

    /// `text` with the characters an ICU pattern gives a meaning escaped.
    static func escapedForPattern(_ text: String) -> String {
        var escaped = ""
        for character in text {
            if "\\^$.|?*+()[]{}".contains(character) { escaped.append("\\") }
            escaped.append(character)
        }
        return escaped
    }
}
