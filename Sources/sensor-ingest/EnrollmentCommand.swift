import ArgumentParser
import Foundation
import IngestCore
import IngestStore

/// `sensor-ingest enrollment create`: a secret an admin deploys to many laptops (by MDM, a file
/// beside the local policy); each sensor exchanges it once for a credential of its own device.
struct EnrollmentCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "enrollment", abstract: "Enrollment secrets: one secret for a fleet, a credential per device.",
        subcommands: [Create.self])

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create an enrollment secret and print it, once (only its hash is kept).",
            discussion: "Deploy it to the laptops as /etc/session-sensor/enrollment (mode 600); `sensor enroll` (or `sensor run`, on its first start) exchanges it for a device credential, which gets ingest tokens of that device that live 15 minutes.")

        @OptionGroup var store: StoreOptions

        @Option(help: ArgumentHelp("The tenant the devices will belong to (see `tenant create`).", valueName: "name"))
        var tenant = "default"

        @Option(help: ArgumentHelp("Refused after this long: 30d, 12h.", valueName: "duration"))
        var expires: String?

        @Option(name: .customLong("max-devices"), help: ArgumentHelp("How many devices it may enroll (a device enrolled again counts once).", valueName: "n"))
        var maxDevices: Int?

        @Option(help: "What it is for (a fleet, a team).")
        var name = "enrollment"

        @Option(help: ArgumentHelp("A personal secret: the devices it enrolls are this person's (an email).", valueName: "email"))
        var person: String?

        func run() async throws {
            if let maxDevices, maxDevices < 1 { throw ValidationError("--max-devices must be at least 1") }
            let expiresAt = try expires.map { Date().addingTimeInterval(try TokenCommand.Create.seconds($0)) }
            let secret = TokenSecret.generate()
            let (name, tenantName, maxDevices) = (self.name, self.tenant, self.maxDevices)
            var personEmail: String?
            if let person {
                guard let email = PeopleDirectory.email(person) else { throw ValidationError("--person: '\(person)' is not an email address") }
                personEmail = email
            }
            let person = personEmail
            let token = try await store.withStore { store in
                let tenant = try await TokenCommand.tenant(named: tenantName, in: store)
                let token = try await store.createToken(NewToken(name: name, hash: TokenSecret.hash(secret), scope: .enroll,
                                                                 tenantID: tenant.id, expiresAt: expiresAt))
                try await store.execute([SQLStatement("INSERT INTO enrollments(token_id, max_devices, person_email) VALUES ($1, $2, $3)",
                                                      [.integer(token.id), maxDevices.map { .integer(Int64($0)) } ?? .null,
                                                       person.map { .text($0) } ?? .null])])
                return token
            }
            FileHandle.standardError.write(Data("enrollment secret \(token.id) (\(token.name), tenant \(tenantName)\(token.expiresAt.map { ", expires \($0)" } ?? "")\(maxDevices.map { ", at most \($0) devices" } ?? "")\(person.map { ", for \($0)" } ?? "")) created; it is shown only this once\n".utf8))
            print(secret)
        }
    }
}
