import ArgumentParser
import Foundation
import IngestCore
import IngestStore

/// `sensor-ingest person list|assign|import`: the people of a tenant, whose devices are whose,
/// and a directory file of people and teams.
struct PersonCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "person", abstract: "People and teams: who each device belongs to.",
        discussion: """
            A device is linked to its person by the enrollment secret made for them (`enrollment
            create --person`), by the accounts its AI tools are signed in to when their email is in
            the tenant's domains (`tenant set --domains`), or by an admin (`person assign`); an
            admin's link outranks an enrollment's, which outranks an account's. Teams come from a
            directory: SCIM (/scim/v2, an admin token) or a file (`person import`).
            """,
        subcommands: [List.self, Assign.self, Import.self])

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List people: email, name, teams, devices.")

        @OptionGroup var store: StoreOptions

        @Option(help: ArgumentHelp("The tenant.", valueName: "name"))
        var tenant = "default"

        @Flag(help: "JSON output.")
        var json = false

        struct Listed: Encodable {
            var person: PersonRecord
            var teams: [String]
            var devices: [String]
        }

        func run() async throws {
            let tenantName = tenant
            let listed = try await store.withStore { store in
                let tenant = try await TokenCommand.tenant(named: tenantName, in: store)
                let owners = try await PeopleDirectory.owners(tenant: tenant.id, in: store)
                var listed: [Listed] = []
                for person in try await PeopleDirectory.people(tenant: tenant.id, in: store) {
                    let teams = try await PeopleDirectory.teams(of: person.id, tenant: tenant.id, in: store).map(\.name)
                    let devices = owners.filter { $0.value.person.id == person.id }.map { "\($0.key) (\($0.value.link))" }.sorted()
                    listed.append(Listed(person: person, teams: teams, devices: devices))
                }
                return listed
            }
            if json {
                try JSONOutput.print(listed)
                return
            }
            for entry in listed {
                print([entry.person.email, entry.person.name ?? "—", entry.person.active ? "active" : "inactive",
                       entry.teams.isEmpty ? "no team" : entry.teams.joined(separator: ", "),
                       entry.devices.isEmpty ? "no device" : entry.devices.joined(separator: ", ")].joined(separator: "  "))
            }
            if listed.isEmpty { print("no person yet: `person import`, SCIM, `person assign` or `tenant set --domains` add them") }
        }
    }

    struct Assign: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Say whose a device is (outranks enrollment and accounts).")

        @OptionGroup var store: StoreOptions

        @Argument(help: "The device id (see `device list`).")
        var device: String

        @Argument(help: "The person's email (made when not known yet).")
        var email: String

        @Option(help: ArgumentHelp("The tenant.", valueName: "name"))
        var tenant = "default"

        @Option(help: "The person's name, when the person is new.")
        var name: String?

        func run() async throws {
            guard PeopleDirectory.email(email) != nil else { throw ValidationError("'\(email)' is not an email address") }
            let (device, email, tenantName, name) = (self.device, self.email, self.tenant, self.name)
            let person = try await store.withStore { store in
                let tenant = try await TokenCommand.tenant(named: tenantName, in: store)
                guard try await DeviceDirectory.devices(in: store, tenant: tenant.id).contains(where: { $0.device == device }) else {
                    throw ValidationError("no device \(device) has sent to tenant \(tenantName) (see `device list`)")
                }
                let person = try await PeopleDirectory.upsert(.init(email: email, name: name), origin: DeviceLink.admin.rawValue,
                                                              tenant: tenant.id, in: store)
                try await store.execute([PeopleDirectory.link(device: device, to: person.id, by: .admin, tenant: tenant.id)])
                return person
            }
            print("device \(device) is \(person.email)'s")
        }
    }

    struct Import: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Import people and teams from a CSV (email,name,team,manager) or JSON file.",
            discussion: "Each person is created or updated; each team the file names gets exactly the people it lists in it (several teams: 'a;b'). People and teams the file does not name are left alone.")

        @OptionGroup var store: StoreOptions

        @Argument(help: "The file.")
        var file: String

        @Option(help: ArgumentHelp("The tenant.", valueName: "name"))
        var tenant = "default"

        func run() async throws {
            let directory: DirectoryFile
            do {
                directory = try DirectoryFile(contentsOf: URL(fileURLWithPath: file))
            } catch let error as DirectoryError {
                throw ValidationError(error.description)
            }
            let tenantName = tenant
            let outcome = try await store.withStore { store in
                let tenant = try await TokenCommand.tenant(named: tenantName, in: store)
                return try await directory.apply(tenant: tenant.id, in: store)
            }
            print("\(outcome.people) people and \(outcome.teams) teams imported into tenant \(tenantName)")
        }
    }
}
