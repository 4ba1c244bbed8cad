import Access
import ArgumentParser
import Foundation
import IngestCore
import IngestStore

/// `sensor-ingest sso configure|list`: single sign-on for the explorer, per tenant.
struct SSOCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sso", abstract: "Single sign-on for the explorer: an OpenID Connect provider per tenant.",
        subcommands: [Configure.self, List.self])

    struct Configure: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Configure a tenant's OpenID Connect provider (authorization code with PKCE).",
            discussion: """
                Register this server at the provider as a confidential client whose redirect URI is
                <this server's URL>/login/sso/callback. A person who signs in is the tenant's person of
                their email; `--role GROUP=ROLE` gives the members of a group read, usage, or
                content:TEAM (that team's conversations); everyone else gets self (their own sessions).
                """)

        @OptionGroup var store: StoreOptions

        @Option(help: ArgumentHelp("The tenant.", valueName: "name"))
        var tenant = "default"

        @Option(help: ArgumentHelp("The provider's issuer, as its tokens name it.", valueName: "url"))
        var issuer: String

        @Option(name: .customLong("client-id"), help: "This server's client id at the provider.")
        var clientID: String

        @Option(name: .customLong("client-secret-file"), help: ArgumentHelp("A file holding the client secret (mode 600).", valueName: "file"))
        var clientSecretFile: String

        @Option(name: .customLong("redirect-uri"), help: ArgumentHelp("<this server's URL>/login/sso/callback, as registered.", valueName: "url"))
        var redirectURI: String

        @Option(name: .customLong("groups-claim"), help: "The ID token's claim listing the person's groups.")
        var groupsClaim = "groups"

        @Option(name: .customLong("role"), help: ArgumentHelp("GROUP=ROLE: read, usage, self or content:TEAM (repeatable).", valueName: "group=role"))
        var roles: [String] = []

        @Flag(name: .customLong("teams-from-groups"), help: "Each group a person is in becomes a team they are a member of.")
        var teamsFromGroups = false

        func run() async throws {
            guard let issuerURL = URL(string: issuer), ["https", "http"].contains(issuerURL.scheme ?? ""), issuerURL.host != nil else {
                throw ValidationError("--issuer \(issuer) is not an https URL")
            }
            if issuerURL.scheme == "http" && !["127.0.0.1", "localhost", "::1"].contains(issuerURL.host ?? "") {
                throw ValidationError("--issuer must be https (plain http only to loopback)")
            }
            guard URL(string: redirectURI)?.path.hasSuffix("/login/sso/callback") == true else {
                throw ValidationError("--redirect-uri must end in /login/sso/callback")
            }
            let secret = try String(contentsOfFile: clientSecretFile, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
            guard !secret.isEmpty else { throw ValidationError("\(clientSecretFile) is empty") }
            var mapped: [String: String] = [:]
            for entry in roles {
                let parts = entry.split(separator: "=", maxSplits: 1).map(String.init)
                guard parts.count == 2, ["read", "usage", "self"].contains(parts[1]) || parts[1].hasPrefix("content:") && parts[1].count > 8 else {
                    throw ValidationError("--role \(entry): expected GROUP=read, GROUP=usage, GROUP=self or GROUP=content:TEAM")
                }
                mapped[parts[0]] = parts[1]
            }
            let (tenantName, issuer, clientID, redirectURI, groupsClaim, teamsFromGroups) =
                (tenant, issuer, clientID, redirectURI, groupsClaim, teamsFromGroups)
            try await store.withStore { store in
                let tenant = try await TokenCommand.tenant(named: tenantName, in: store)
                try await SingleSignOnStore.save(OpenIDProvider(tenant: tenant.id, issuer: issuer, clientID: clientID, clientSecret: secret,
                                                                redirectURI: redirectURI, groupsClaim: groupsClaim, roles: mapped,
                                                                teamsFromGroups: teamsFromGroups), in: store)
            }
            print("tenant \(tenantName): single sign-on with \(issuer) (client \(clientID)); the sign-in page offers it")
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List the tenants' providers (never their secrets).")

        @OptionGroup var store: StoreOptions

        func run() async throws {
            let (providers, tenants) = try await store.withStore { (try await SingleSignOnStore.providers(in: $0), try await $0.tenants()) }
            for provider in providers {
                let name = tenants.first { $0.id == provider.tenant }?.name ?? String(provider.tenant)
                let roles = provider.roles.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ",")
                print([name, provider.issuer, provider.clientID, provider.redirectURI, "groups: \(provider.groupsClaim)",
                       roles.isEmpty ? "everyone: self" : roles, provider.teamsFromGroups ? "teams from groups" : ""].joined(separator: "  "))
            }
            if providers.isEmpty { print("no tenant has single sign-on (sensor-ingest sso configure)") }
        }
    }
}
