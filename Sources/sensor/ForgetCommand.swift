import ArgumentParser
import Foundation
import SensorCore

/// `sensor forget`: removes what the sensor kept on this machine: its offsets and checkpoints,
/// the audit of what it sent, the spool, quarantine, status, the device credential and id, the
/// cached server config. Nothing of the AI tools' own files is touched.
struct ForgetCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "forget",
        abstract: "Remove this sensor's local state and audit (after an erasure, or before handing the machine on).",
        discussion: """
            Without --yes, lists what would go. Stop a running sensor first (`sensor uninstall-service`): one still \
            running would write its state again, and a later scan reads everything from the start (the server keeps \
            nothing twice, and nothing it erased).
            """)

    @OptionGroup var common: CommonOptions

    @Flag(help: "Remove, rather than list.")
    var yes = false

    /// Files only the sensor writes: a directory holding none of them is not its state.
    static let markers = ["device-id", "checkpoints.json", "audit.ndjson", "status.json", "device-credential.json", "spool", "quarantine.ndjson"]

    func run() throws {
        let directory = common.stateDirectoryURL.standardizedFileURL
        let files = FileManager.default
        guard let entries = try? files.contentsOfDirectory(atPath: directory.path), !entries.isEmpty else {
            print("nothing to forget: \(directory.path) is empty or absent")
            return
        }
        guard entries.contains(where: Self.markers.contains) else {
            throw ValidationError("\(directory.path) does not look like the sensor's state (none of \(Self.markers.joined(separator: ", "))): not removing it")
        }
        for entry in entries.sorted() { print((yes ? "removing " : "would remove ") + directory.appendingPathComponent(entry).path) }
        guard yes else {
            print("run again with --yes to remove them")
            return
        }
        for entry in entries { try files.removeItem(at: directory.appendingPathComponent(entry)) }
        try files.removeItem(at: directory)
        print("forgotten: \(directory.path)")
    }
}
