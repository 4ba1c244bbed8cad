import Foundation
import SQLiteDB
import SensorTestSupport
import Testing

/// Who is signed in to each tool, read by the built-in declarations from the tools' own
/// account files, laid out here in their documented shapes: the email (and plan, organisation)
/// leaves, and no credential ever does. Canaries sit in every credential field; they are plain
/// letters, which no redaction rule takes for a secret, so only the field projection keeps them
/// in. The real `sensor` binary reads them.
@Suite struct IdentitySourcesTests {
    /// A canary no redaction rule matches: letters only.
    static func canary(_ name: String) -> String {
        "canary" + name + String((0..<24).map { _ in "abcdefghijklmnopqrstuvwxyz".randomElement()! })
    }

    static func jwt(_ claims: [String: Any]) throws -> String {
        func part(_ object: Any) throws -> String {
            try JSONSerialization.data(withJSONObject: object).base64EncodedString()
                .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
        }
        return try part(["alg": "RS256", "typ": "JWT"]) + "." + part(claims) + ".c2lnbmF0dXJlc2lnbmF0dXJl"
    }

    struct Home {
        let root: URL
        var canaries: [String] = []

        func write(_ path: String, _ object: Any) throws {
            let url = root.appendingPathComponent(path)
            try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted]).write(to: url)
        }
    }

    /// A home with each tool's account file; `token` varies what a refresh would change.
    static func layOut(_ home: inout Home, token: String) throws {
        func canary(_ name: String) -> String {
            let value = Self.canary(name)
            home.canaries.append(value)
            return value
        }
        try home.write(".claude.json", [
            "numStartups": 42, "primaryApiKey": canary("claudekey"),
            "customApiKeyResponses": ["approved": [canary("claudeapproved")]],
            "oauthAccount": ["accountUuid": "acc-1", "emailAddress": "ada@acme.com", "organizationUuid": "org-1",
                             "organizationName": "Acme", "organizationRole": "admin", "billingType": "stripe_subscription",
                             "displayName": "Ada", "sessionSecret": canary("claudesession")],
            "projects": ["/home/ada/app": ["history": [["display": canary("claudehistory")]]]],
        ])
        try home.write(".claude/.credentials.json", ["claudeAiOauth": ["accessToken": canary("claudeaccess"), "refreshToken": canary("clauderefresh")]])
        let idToken = try jwt(["email": "ada@acme.com", "email_verified": true, "sub": canary("codexsub"),
                               "https://api.openai.com/auth": ["chatgpt_plan_type": "team", "chatgpt_account_id": "acct-9",
                                                               "user_id": canary("codexuser")]])
        home.canaries.append(idToken)
        try home.write(".codex/auth.json", [
            "OPENAI_API_KEY": canary("codexapikey"),
            "tokens": ["id_token": idToken, "access_token": token + canary("codexaccess"), "refresh_token": canary("codexrefresh"),
                       "account_id": "acct-9"],
            "last_refresh": "2026-12-01T10:00:00Z",
        ])
        try home.write(".gemini/google_accounts.json", ["active": "ada@gmail.com", "old": ["ada@acme.com"]])
        try home.write(".gemini/oauth_creds.json", ["access_token": canary("geminiaccess"), "refresh_token": canary("geminirefresh")])
        try home.write(".config/github-copilot/apps.json", [
            "github.com:Iv1.b507a08c87ecfe98": ["user": "ada-gh", "oauth_token": token + canary("copilotoauth"),
                                                "githubAppId": "Iv1.b507a08c87ecfe98"],
        ])
        try home.write(".config/github-copilot/hosts.json", ["github.com": ["user": "ada-gh", "oauth_token": canary("copilothosts")]])
        try home.write(".copilot/config.json", [
            "last_logged_in_user": ["host": "https://github.com", "login": "ada-gh"],
            "logged_in_users": [["host": "https://github.com", "login": "ada-gh"]],
            "copilot_tokens": ["https://github.com:ada-gh": token + canary("copilotclitoken")],
            "trusted_folders": [canary("copilotclifolder")],
        ])
        // Cursor: the account's rows beside the tokens in ItemTable.
        let database = home.root.appendingPathComponent(".config/Cursor/User/globalStorage/state.vscdb")
        try FileManager.default.createDirectory(at: database.deletingLastPathComponent(), withIntermediateDirectories: true)
        try? FileManager.default.removeItem(at: database)
        let db = try Database(path: database.path, mode: .readWriteCreate)
        try db.execute("CREATE TABLE ItemTable (key TEXT UNIQUE ON CONFLICT REPLACE, value BLOB)")
        try db.execute("CREATE TABLE cursorDiskKV (key TEXT UNIQUE ON CONFLICT REPLACE, value BLOB)")
        let rows = [("cursorAuth/cachedEmail", "ada@acme.com"), ("cursorAuth/stripeMembershipType", "pro"),
                    ("cursorAuth/cachedSignUpType", "Auth_0"), ("cursorAuth/accessToken", canary("cursoraccess")),
                    ("cursorAuth/refreshToken", canary("cursorrefresh")), ("cursorAuth/apiKey", canary("cursorapikey"))]
        for (key, value) in rows {
            try db.execute("INSERT INTO ItemTable (key, value) VALUES ('\(key)', '\(value)')")
        }
    }

    static func scan(_ home: Home, state: URL, policy: URL? = nil) async throws -> [[String: Any]] {
        let output = home.root.appendingPathComponent("out-\(UUID().uuidString.prefix(6)).ndjson")
        let run = try await ProcessRunner.run(ProcessRunner.sensor, ["scan", "--home", home.root.path, "--state-dir", state.path,
                                                                    "--output", output.path] + (policy.map { ["--policy", $0.path] } ?? []))
        #expect(run.status == 0, "\(run.stderr)")
        let text = try String(contentsOf: output, encoding: .utf8)
        for canary in home.canaries {
            #expect(!text.contains(canary) && !text.contains(String(canary.suffix(16))), "a credential left: \(canary.prefix(20))…")
        }
        return text.split(separator: "\n").compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
    }

    /// A fresh home laid out with every tool's account file, removed afterwards.
    static func withHome(_ body: (inout Home) async throws -> Void) async throws {
        var home = Home(root: FileManager.default.temporaryDirectory.appendingPathComponent("identity-\(UUID().uuidString)"))
        defer { try? FileManager.default.removeItem(at: home.root) }
        try layOut(&home, token: "first")
        try await body(&home)
    }

    @Test func eachToolsAccountLeavesAndNoCredentialDoes() async throws { try await Self.withHome { home in
        let state = home.root.appendingPathComponent(".state")
        let envelopes = try await Self.scan(home, state: state)
        func records(_ kind: String) -> [String] {
            envelopes.filter { $0["kind"] as? String == kind }.map {
                String(decoding: try! JSONSerialization.data(withJSONObject: $0["record"]!, options: [.sortedKeys, .withoutEscapingSlashes]), as: UTF8.self)
            }
        }
        #expect(records("claude-code.account") == [#"{"oauthAccount":{"accountUuid":"acc-1","billingType":"stripe_subscription","displayName":"Ada","emailAddress":"ada@acme.com","organizationName":"Acme","organizationRole":"admin","organizationUuid":"org-1"}}"#])
        #expect(records("codex.account") == [#"{"tokens":{"account_id":"acct-9","id_token":{"email":"ada@acme.com","email_verified":true,"https://api.openai.com/auth":{"chatgpt_account_id":"acct-9","chatgpt_plan_type":"team"}}}}"#])
        #expect(records("gemini-cli.account") == [#"{"active":"ada@gmail.com","old":["ada@acme.com"]}"#])
        #expect(Set(records("github-copilot.account")) == [#"{"github.com:Iv1.b507a08c87ecfe98":{"githubAppId":"Iv1.b507a08c87ecfe98","user":"ada-gh"}}"#,
                                                           #"{"github.com":{"user":"ada-gh"}}"#])
        #expect(records("copilot-cli.account") == [#"{"last_logged_in_user":{"host":"https://github.com","login":"ada-gh"}}"#])
        let cursor = records("cursor.account").joined(separator: "\n")
        #expect(cursor.contains("ada@acme.com") && cursor.contains("pro") && records("cursor.account").count == 3, "\(cursor)")

        // A refreshed token beside an unchanged account: nothing is sent again.
        try Self.layOut(&home, token: "second")
        let again = try await Self.scan(home, state: state)
        #expect(!again.contains { ($0["kind"] as? String)?.hasSuffix(".account") == true && $0["kind"] as? String != "cursor.account" },
                "\(again.map { $0["kind"] ?? "" })")
    } }

    @Test func theLocalPolicyOptsOutOfEveryIdentitySource() async throws { try await Self.withHome { home in
        let root = home.root
        let policy = root.appendingPathComponent("policy.yaml")
        try "version: 1\nopt_out:\n  identity: true\n".write(to: policy, atomically: true, encoding: .utf8)
        let envelopes = try await Self.scan(home, state: root.appendingPathComponent(".state"), policy: policy)
        #expect(!envelopes.contains { ($0["kind"] as? String)?.hasSuffix(".account") == true })
        let text = envelopes.map { "\($0)" }.joined()
        #expect(!text.contains("ada@acme.com") && !text.contains("ada-gh"))
    } }
}
