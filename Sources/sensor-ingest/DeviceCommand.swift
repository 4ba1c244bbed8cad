import ArgumentParser
import Foundation
import IngestCore
import IngestStore

/// `sensor-ingest device list`: the machines that sent to a tenant, as their sensors describe them.
struct DeviceCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "device", abstract: "The devices that sent, as their sensors describe them.",
        subcommands: [List.self, Show.self, Revoke.self])

    /// One device: what its sensor says of it, whose it is, how it enrolled, the accounts its tools use.
    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show one device: machine, person, enrollment, accounts in use.")

        @OptionGroup var store: StoreOptions

        @Argument(help: "The device id (see `device list`).")
        var device: String

        @Option(help: ArgumentHelp("Its tenant.", valueName: "name"))
        var tenant = "default"

        struct Shown: Encodable {
            var device: DeviceRecord
            var person: String?
            var linkedBy: String?
            var revoked: Bool?
            var accounts: [AccountInUse]
        }

        func run() async throws {
            let (device, tenantName) = (self.device, self.tenant)
            let shown = try await store.withStore { store in
                let tenant = try await TokenCommand.tenant(named: tenantName, in: store)
                guard let record = try await DeviceDirectory.devices(in: store, tenant: tenant.id).first(where: { $0.device == device }) else {
                    throw ValidationError("no device \(device) has sent to tenant \(tenantName) (see `device list`)")
                }
                let owner = try await PeopleDirectory.owner(of: device, tenant: tenant.id, in: store)
                let enrolled = try await Enrollments.enrolled(device: device, tenant: tenant.id, in: store)
                let accounts = try await AccountsInUse.accounts(tenant: tenant.id, in: store).filter { $0.device == device }
                return Shown(device: record, person: owner?.person.email, linkedBy: owner?.link, revoked: enrolled?.revoked, accounts: accounts)
            }
            try JSONOutput.print(shown)
        }
    }

    /// Revokes an enrolled device (or lets it back): its credential and tokens are refused at
    /// the next request, and it cannot enroll again until let back.
    struct Revoke: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Revoke an enrolled device: refused at its next request, and cannot enroll again.")

        @OptionGroup var store: StoreOptions

        @Argument(help: "The device id (see `device list`).")
        var device: String

        @Option(help: ArgumentHelp("Its tenant.", valueName: "name"))
        var tenant = "default"

        @Flag(name: .customLong("let-back"), help: "Undo a revocation: the device may enroll again.")
        var letBack = false

        func run() async throws {
            let (device, tenantName, letBack) = (self.device, self.tenant, self.letBack)
            let found = try await store.withStore { store in
                let tenant = try await TokenCommand.tenant(named: tenantName, in: store)
                return try await Enrollments.revoke(device: device, tenant: tenant.id, in: store, letBack: letBack)
            }
            guard found else { throw ValidationError("no enrolled device \(device) in tenant \(tenantName)") }
            print(letBack ? "device \(device) may enroll again" : "device \(device) revoked: refused from its next request")
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List devices: id, host name, system, account, sensor version, first and last seen.")

        @OptionGroup var store: StoreOptions

        @Option(help: ArgumentHelp("Only this tenant's (see `tenant list`); default: every tenant's.", valueName: "name"))
        var tenant: String?

        @Flag(help: "JSON output: [{device, host, os, osVersion, user, sensorVersion, firstSeen, lastSeen}].")
        var json = false

        func run() async throws {
            let tenantName = tenant
            let devices = try await store.withStore { store in
                var tenant: Int64?
                if let tenantName { tenant = try await TokenCommand.tenant(named: tenantName, in: store).id }
                return try await DeviceDirectory.devices(in: store, tenant: tenant)
            }
            if json {
                try JSONOutput.print(devices)
                return
            }
            for device in devices {
                let system = [device.os, device.osVersion].compactMap { $0 }.joined(separator: " ")
                print([device.device, device.host ?? "—", system.isEmpty ? "—" : system, device.user ?? "—",
                       device.sensorVersion ?? "—", device.firstSeen, device.lastSeen,
                       device.enrolledBy.map { "enrolled by \($0)" } ?? "token"].joined(separator: "  "))
            }
            if devices.isEmpty { print("no device has sent anything yet") }
        }
    }
}
