import Foundation
import SensorTestSupport
import Testing

/// Single sign-on in a real browser: headless Chromium goes from the explorer's sign-in page to
/// a real OpenID Connect provider (Canaille on 127.0.0.1), types the user name and password into
/// the provider's own pages, and comes back signed in; the person's groups became teams and,
/// for a mapped group, the role `read`; someone else's groups give only `self`.
@Suite(.serialized) struct SingleSignOnBrowserTests {
    static func signIn(_ server: IngestServerProcess, email: String, password: String, then paths: [String]) async throws -> ExplorerBrowserTests.Visit {
        let login = ##"form:{"#loginform input[name=login]": "\##(email)", "submit": "#loginform button[type=submit]"}"##
        let secret = ##"form:{"#passwordform input[name=password]": "\##(password)", "submit": "#passwordform button[type=submit]"}"##
        return try await ExplorerBrowserTests.browse(server, token: nil, ["/login", "/login/sso?tenant=default", login, secret] + paths)
    }

    @Test(arguments: SensorIntoIngestTests.databases)
    func aPersonSignsInThroughTheProvidersOwnPagesAndGetsTheirGroupsRole(_ kind: String) async throws {
        let python = try #require(OpenIDProviderProcess.python, Comment(rawValue: OpenIDProviderProcess.missing))
        let work = FileManager.default.temporaryDirectory.appendingPathComponent("sso-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: work) }
        let server = try await IngestServerProcess(database: try await SensorIntoIngestTests.freshDatabase(kind, in: work), directory: work)
        defer { server.stop() }
        let callback = server.endpoint + "/login/sso/callback"
        let provider = try await OpenIDProviderProcess(python: python, redirectURI: callback, users: [
            "ada@acme.com:ada-password-1:platform,leads", "bob@acme.com:bob-password-1:research"])
        defer { provider.stop() }
        // Two laptops' sessions: Ada's and Bob's.
        let adaSecret = try await EnrollmentEndToEndTests.secret(server, in: work, ["--person", "ada@acme.com"])
        let bobSecret = try await EnrollmentEndToEndTests.secret(server, in: work, ["--person", "bob@acme.com"])
        for (name, secret) in [("ada-laptop", adaSecret), ("bob-laptop", bobSecret)] {
            let home = try PeopleBrowserTests.home(in: work, name, tokens: 1000)
            let scan = try await ProcessRunner.run(ProcessRunner.sensor, [
                "scan", "--home", home.path, "--state-dir", home.appendingPathComponent(".state").path, "--endpoint", server.endpoint,
                "--enrollment-file", secret.path, "--quiet"], environment: ["SENSOR_TOKEN": ""])
            #expect(scan.status == 0, "\(scan.stderr)")
        }
        try await NormalizationEndToEndTests.waitForNormalizing(server)

        let secretFile = work.appendingPathComponent("client-secret")
        try provider.clientSecret.write(to: secretFile, atomically: true, encoding: .utf8)
        let configured = try await ProcessRunner.run(ProcessRunner.sensorIngest, [
            "sso", "configure", "--database", server.database, "--issuer", provider.issuer, "--client-id", provider.clientID,
            "--client-secret-file", secretFile.path, "--redirect-uri", callback, "--role", "leads=read", "--teams-from-groups"])
        #expect(configured.status == 0, "\(configured.stderr)")

        // Ada leads: she signs in through the provider's pages and reads everyone's sessions.
        let ada = try await Self.signIn(server, email: "ada@acme.com", password: "ada-password-1", then: ["/sessions"])
        #expect(ada.pages[0].html.contains("Sign in with your organisation"), "the sign-in page offers single sign-on")
        #expect(ada.pages[1].url.hasPrefix(provider.issuer), "the browser is at the provider: \(ada.pages[1].url)")
        #expect(ada.pages[3].url == server.endpoint + "/", "back, signed in, on the overview: \(ada.pages[3].url)")
        let adaSessions = ada.pages[4].html
        #expect(adaSessions.contains("ada-laptop") && adaSessions.contains("bob-laptop"), "leads read every conversation")
        // Our pages raise nothing (the provider's own pages are its business).
        for page in ada.pages where page.url.hasPrefix(server.endpoint) {
            #expect(page.problems.isEmpty && !page.pwned, "\(page.url): \(page.problems)")
        }

        // Bob is in no mapped group: his own sessions only.
        let bob = try await Self.signIn(server, email: "bob@acme.com", password: "bob-password-1", then: ["/sessions"])
        #expect(bob.pages[3].url == server.endpoint + "/")
        #expect(bob.pages[4].html.contains("bob-laptop") && !bob.pages[4].html.contains("ada-laptop"), "self: his own sessions only")

        // The groups became teams, with them in.
        let people = try await ProcessRunner.run(ProcessRunner.sensorIngest, ["person", "list", "--json", "--database", server.database])
        let listed = try #require(try JSONSerialization.jsonObject(with: people.stdout) as? [[String: Any]])
        func teams(_ email: String) -> Set<String> {
            Set(listed.first { ($0["person"] as? [String: Any])?["email"] as? String == email }?["teams"] as? [String] ?? [])
        }
        #expect(teams("ada@acme.com") == ["platform", "leads"] && teams("bob@acme.com") == ["research"], "\(listed)")

        // A callback this browser did not start is refused, and signs no one in.
        let forged = try await ExplorerBrowserTests.browse(server, token: nil, ["/login/sso/callback?code=stolen&state=guessed", "/sessions"])
        #expect(forged.pages[0].html.contains("Sign-in refused"))
        #expect(forged.pages[1].url.hasPrefix(server.endpoint + "/login"))
    }
}
