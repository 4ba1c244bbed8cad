import ArgumentParser
import Foundation
import IngestStore

/// `sensor-ingest erase`: a person's or a device's data removed for good.
struct EraseCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "erase", abstract: "Erase everything of a person or a device; their figures stay only as unattributed sums.",
        discussion: """
            Deletes every raw envelope, normalised row, search entry, account, device link and access-log mention; keeps \
            the envelopes' ids so a resend stores nothing; records who asked and how many rows went (`--list`). \
            Try it with --dry-run first.
            """)

    @OptionGroup var store: StoreOptions

    @Option(help: ArgumentHelp("The tenant.", valueName: "name"))
    var tenant = "default"

    @Option(help: ArgumentHelp("Erase this person and every device linked to them.", valueName: "email"))
    var person: String?

    @Option(help: ArgumentHelp("Erase this device.", valueName: "id"))
    var device: String?

    @Option(name: .customLong("requested-by"), help: ArgumentHelp("Who asked (kept in the erasure record).", valueName: "name"))
    var requestedBy = ProcessInfo.processInfo.environment["USER"] ?? "operator"

    @Flag(name: .customLong("dry-run"), help: "Count what would go; delete nothing.")
    var dryRun = false

    @Flag(help: "List the erasures made (the admin audit) instead.")
    var list = false

    @Flag(help: "JSON output.")
    var json = false

    func validate() throws {
        if !list && (person == nil) == (device == nil) { throw ValidationError("give --person or --device (one of them), or --list") }
    }

    func run() async throws {
        let (tenantName, person, device, requestedBy, dryRun) = (tenant, person, device, requestedBy, dryRun)
        if list {
            let records = try await store.withStore { try await Erasure.records(tenant: nil, in: $0) }
            if json { return try JSONOutput.print(records) }
            print("id\ttenant\tat\tkind\tsubject (sha-256)\trequested by\trows")
            for record in records {
                print("\(record.id)\t\(record.tenant)\t\(record.at)\t\(record.kind)\t\(record.subjectHash.prefix(16))…\t\(record.requestedBy)\t\(record.counts.values.reduce(0, +))")
            }
            return
        }
        let report = try await store.withStore { store in
            let tenant = try await TokenCommand.tenant(named: tenantName, in: store).id
            let subject: ErasureSubject = person.map { .person(email: $0) } ?? .device(device ?? "")
            do {
                return try await Erasure.erase(subject, tenant: tenant, requestedBy: requestedBy, dryRun: dryRun, in: store)
            } catch let error as StoreError {
                throw ValidationError(error.description)
            }
        }
        if json { return try JSONOutput.print(report) }
        print(dryRun ? "would erase \(report.subject) (devices: \(report.devices.joined(separator: ", ")))"
                     : "erased \(report.subject) (devices: \(report.devices.joined(separator: ", ")))")
        for (name, count) in report.counts.sorted(by: { $0.key < $1.key }) { print("  \(name)\t\(count)") }
        print(String(format: "  kept unattributed: %lld tokens, $%.2f", report.tokensKept, report.costKept))
    }
}
