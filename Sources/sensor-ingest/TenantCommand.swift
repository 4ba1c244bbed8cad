import ArgumentParser
import Foundation
import IngestCore
import IngestStore
import Normalization

/// `sensor-ingest tenant create|list`: the organisations a server keeps apart.
struct TenantCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tenant",
        abstract: "Create or list tenants: each token belongs to one, and sees and sends only its own.",
        discussion: """
            A single-tenant install needs none of this: everything belongs to the tenant `default`,
            made on first start. With several, give each its tokens (`token create --tenant NAME`)
            and, if it wants its own sensor-config, a folder `--config DIR/NAME/` layered over DIR.
            """,
        subcommands: [Create.self, List.self])

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
