import ArgumentParser
import Foundation
import IngestCore
import IngestStore
import Normalization

/// `sensor-ingest tenant create|list`: the organisations a server keeps apart.
struct TenantCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tenant",
        abstract: "Create, list or set tenants: each token belongs to one, and sees and sends only its own.",
        discussion: """
            A single-tenant install needs none of this: everything belongs to the tenant `default`,
            made on first start. With several, give each its tokens (`token create --tenant NAME`)
            and, if it wants its own sensor-config, a folder `--config DIR/NAME/` layered over DIR.
            """,
        subcommands: [Create.self, List.self, Set.self])

    struct Set: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Set a tenant's own email domains: accounts there are the organisation's, and link devices to people.")

        @OptionGroup var store: StoreOptions

        @Argument(help: "The tenant.")
        var name: String

        @Option(help: ArgumentHelp("Its email domains, comma-separated (acme.com,acme.io); empty: none.", valueName: "domains"))
        var domains: String?

        @Option(name: .customLong("min-group"),
                help: ArgumentHelp("The fewest people a team's figures stand for before usage, content and self readers see them apart (default 5).", valueName: "k"))
        var minGroup: Int?

        func run() async throws {
            guard domains != nil || minGroup != nil else { throw ValidationError("give --domains or --min-group") }
            if let minGroup, !(1...1000).contains(minGroup) { throw ValidationError("--min-group must be 1 to 1000") }
            let (name, domains, minGroup) = (self.name, self.domains.map { $0.split(separator: ",").map(String.init) }, self.minGroup)
            let (kept, minimum) = try await store.withStore { store in
                let tenant = try await TokenCommand.tenant(named: name, in: store)
                do {
                    if let domains { try await PeopleDirectory.setDomains(domains, tenant: tenant.id, in: store) }
                } catch let error as DirectoryError {
                    throw ValidationError(error.description)
                }
                if let minGroup { try await Grants.setMinimumGroup(minGroup, tenant: tenant.id, in: store) }
                return (try await PeopleDirectory.domains(tenant: tenant.id, in: store), try await Grants.minimumGroup(tenant: tenant.id, in: store))
            }
            print("tenant \(name): domains \(kept.isEmpty ? "none" : kept.joined(separator: ", ")); teams shown apart from \(minimum) people")
        }
    }

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Create a tenant.")

        @OptionGroup var store: StoreOptions

        @Argument(help: "Its name: lower-case letters, digits, '.', '_' and '-'.")
        var name: String

        func run() async throws {
            guard !name.isEmpty, name.utf8.count <= 64,
                  name.unicodeScalars.allSatisfy({ "abcdefghijklmnopqrstuvwxyz0123456789._-".unicodeScalars.contains($0) }) else {
                throw ValidationError("a tenant name is 1 to 64 of a-z, 0-9, '.', '_' and '-'")
            }
            let name = self.name
            let tenant = try await store.withStore { store in
                guard try await !store.tenants().contains(where: { $0.name == name }) else {
                    throw ValidationError("a tenant named \(name) exists")
                }
                return try await store.createTenant(name: name)
            }
            print("tenant \(tenant.id) (\(tenant.name)) created")
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List tenants.")

        @OptionGroup var store: StoreOptions

        @Flag(help: "JSON output.")
        var json = false

        func run() async throws {
            let tenants = try await store.withStore { try await $0.tenants() }
            if json {
                let encoder = JSONEncoder()
                encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
                print(String(decoding: try encoder.encode(tenants), as: UTF8.self))
                return
            }
            print("id\tname\tcreated")
            for tenant in tenants { print("\(tenant.id)\t\(tenant.name)\t\(tenant.createdAt)") }
        }
    }
}
