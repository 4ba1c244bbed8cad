import ArgumentParser
import Foundation
import IngestCore
import IngestStore
import Normalization

/// `sensor-ingest token create|list|revoke`.
struct TokenCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "token",
        abstract: "Create, list, revoke or unbind bearer tokens.",
        discussion: """
            A token has a scope: ingest (the default; what a laptop holds: it can send and fetch
            sensor-config, nothing more), read (every conversation and figure of its tenant), usage
            (figures only; --people lets it see them per person), content (figures, and the
            conversations of the --team and --person it is granted), self (one --person's own
            sessions), directory (SCIM for its tenant: what an identity provider holds) or admin.
            See docs/roles.md.
            An ingest token is bound to the device it first sends for (or --device); after a
            reinstall that changed the device id, `token unbind NAME [--tenant T]` (or `--id N`) lets it bind afresh.
            """,
        subcommands: [Create.self, List.self, Revoke.self, Unbind.self])

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create a token and print it, once: only its SHA-256 hash is kept.")

        @OptionGroup var store: StoreOptions

        @Option(help: "What the token is for: a device, a person, a tenant.")
        var name = "default"

        @Option(help: "ingest (a laptop: send only), read, usage, content, self, directory (SCIM) or admin (docs/roles.md).")
        var scope: String = TokenScope.ingest.rawValue

        @Option(name: .customLong("team"), help: ArgumentHelp("content: a team whose members' conversations it reads (repeatable).", valueName: "name"))
        var teams: [String] = []

        @Option(name: .customLong("person"), help: ArgumentHelp("content: a person whose conversations it reads (repeatable); self: the person it is.", valueName: "email"))
        var people: [String] = []

        @Flag(name: .customLong("people"), help: "usage: it may see figures per person too (given knowingly).")
        var perPerson = false

        @Option(help: ArgumentHelp("Refused after this long: 90d, 12h, 30m.", valueName: "duration"))
        var expires: String?

        @Option(help: ArgumentHelp("Bind an ingest token to this device id now (else: the first it sends for).", valueName: "id"))
        var device: String?

        @Option(help: ArgumentHelp("The tenant it belongs to (see `tenant create`).", valueName: "name"))
        var tenant = "default"

        func run() async throws {
            guard let scope = TokenScope(rawValue: scope) else {
                throw ValidationError("--scope must be one of \(TokenScope.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            switch scope {
            case .content where teams.isEmpty && people.isEmpty:
                throw ValidationError("a content token reads the conversations of the teams and people it is granted: give --team or --person")
            case .selfOnly where people.count != 1 || !teams.isEmpty:
                throw ValidationError("a self token is one person's: give exactly one --person")
            case .content, .selfOnly: break
            default:
                if !teams.isEmpty || !people.isEmpty { throw ValidationError("--team and --person are for content and self tokens") }
            }
            if perPerson && scope != .usage { throw ValidationError("--people is for usage tokens (the others see what their grants say)") }
            let expiresAt = try expires.map { Date().addingTimeInterval(try Self.seconds($0)) }
            let secret = TokenSecret.generate()
            let (name, device, tenantName, teams, people, perPerson) = (self.name, self.device, self.tenant, self.teams, self.people, self.perPerson)
            let token = try await store.withStore { store in
                let tenant = try await TokenCommand.tenant(named: tenantName, in: store)
                var grants: [(Grants.Kind, String)] = perPerson ? [(.people, "*")] : []
                for team in teams {
                    guard let found = try await PeopleDirectory.team(named: team, tenant: tenant.id, in: store) else {
                        throw ValidationError("no team named \(team) in tenant \(tenantName) (see `person list`)")
                    }
                    grants.append((.team, found.id))
                }
                for email in people {
                    guard let found = try await PeopleDirectory.person(email: email, tenant: tenant.id, in: store) else {
                        throw ValidationError("no person \(email) in tenant \(tenantName) (see `person list`)")
                    }
                    grants.append((.person, found.id))
                }
                let token = try await store.createToken(NewToken(name: name, hash: TokenSecret.hash(secret), scope: scope, tenantID: tenant.id,
                                                                 expiresAt: expiresAt, device: device))
                try await store.execute(grants.map { Grants.grant($0.0, $0.1, to: token.id) })
                return token
            }
            FileHandle.standardError.write(Data("token \(token.id) (\(token.name), \(token.scope.rawValue)\(token.expiresAt.map { ", expires \($0)" } ?? "")) created; it is shown only this once\n".utf8))
            print(secret)
        }

        static func seconds(_ text: String) throws -> Double {
            let units: [Character: Double] = ["s": 1, "m": 60, "h": 3600, "d": 86400]
            guard let unit = text.last.flatMap({ units[$0] }), let amount = Double(text.dropLast()), amount > 0 else {
                throw ValidationError("--expires \(text): expected a duration such as 90d, 12h or 30m")
            }
            return amount * unit
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List tokens (never their secrets).")

        @OptionGroup var store: StoreOptions

        @Flag(help: "JSON output.")
        var json = false

        func run() async throws {
            let tokens = try await store.withStore { try await $0.listTokens() }
            if json {
                let encoder = JSONEncoder()
                encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
                print(String(decoding: try encoder.encode(tokens), as: UTF8.self))
                return
            }
            let tenants = try await store.withStore { try await $0.tenants() }
            let tenantNames = Dictionary(uniqueKeysWithValues: tenants.map { ($0.id, $0.name) })
            print("id\tname\ttenant\tscope\tcreated\texpires\tdevice\tstatus")
            for token in tokens {
                let status = token.revokedAt.map { "revoked \($0)" } ?? (token.isExpired() ? "expired" : "active")
                print("\(token.id)\t\(token.name)\t\(tenantNames[token.tenantID] ?? "\(token.tenantID)")\t\(token.scope.rawValue)\t\(token.createdAt)\t\(token.expiresAt ?? "never")\t" +
                      "\(token.device ?? "-")\t\(status)")
            }
        }
    }

    /// Which tokens a command acts on: `NAME [--tenant T]` or `--id N`, never both, and a
    /// name only within its tenant.
    struct Selection: ParsableArguments {
        @Argument(help: ArgumentHelp("The tokens' name (within --tenant).", valueName: "name"))
        var name: String?

        @Option(help: ArgumentHelp("One token by its id (see `token list`), instead of a name.", valueName: "id"))
        var id: Int64?

        @Option(help: ArgumentHelp("The tenant whose tokens of that name are meant.", valueName: "name"))
        var tenant = "default"

        func validate() throws {
            guard (name == nil) != (id == nil) else { throw ValidationError("give a token name (with --tenant) or --id, not both") }
        }

        /// Runs `change` on the selected tokens and says how many it `done`; none is an error.
        func apply(in options: StoreOptions, done: String,
                   _ change: @escaping @Sendable (any IngestStore, TokenSelector) async throws -> Int) async throws {
            let selection = self
            let (count, selector) = try await options.withStore { store in
                let selector = try await selection.selector(in: store)
                return (try await change(store, selector), selector)
            }
            guard count > 0 else { throw ValidationError("no active token with \(selector)") }
            print("\(done) \(count) token\(count == 1 ? "" : "s")")
        }

        func selector(in store: any IngestStore) async throws -> TokenSelector {
            if let id { return .id(id) }
            return .name(name ?? "", tenantID: try await TokenCommand.tenant(named: tenant, in: store).id)
        }
    }

    /// The tenant of that name, or a refusal that says how to make it.
    static func tenant(named name: String, in store: any IngestStore) async throws -> Tenant {
        guard let tenant = try await store.tenants().first(where: { $0.name == name }) else {
            throw ValidationError("no tenant named \(name) (`sensor-ingest tenant create \(name)` makes it)")
        }
        return tenant
    }

    struct Revoke: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Revoke the active tokens with this name in a tenant, or the one with this id.")

        @OptionGroup var store: StoreOptions
        @OptionGroup var selection: Selection

        func run() async throws {
            try await selection.apply(in: store, done: "revoked") { try await $0.revokeTokens($1) }
        }
    }

    struct Unbind: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Let the active tokens with this name in a tenant (or this id) bind to the next device they send for (a re-keyed laptop).")

        @OptionGroup var store: StoreOptions
        @OptionGroup var selection: Selection

        func run() async throws {
            try await selection.apply(in: store, done: "unbound") { try await $0.unbindDevice($1) }
        }
    }
}
