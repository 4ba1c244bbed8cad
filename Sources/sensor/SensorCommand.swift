import ArgumentParser
import Logging

/// `sensor`: collects AI coding-tool sessions from this machine.
@main
struct SensorCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sensor",
        abstract: "Collects AI coding-tool session files and ships them, raw, to an ingest server.",
        discussion: """
            Sources are declared in YAML (sources.d/); the server's sensor-config is merged over them.
            Check a declaration you dropped in with: sensor scan --validate-config
            """,
        version: "0.1.0",
        subcommands: [ScanCommand.self, RunCommand.self, StatusCommand.self, AuditCommand.self, QuarantineCommand.self, RulesCommand.self, EnrollCommand.self, OpenCommand.self, ForgetCommand.self, InstallServiceCommand.self, UninstallServiceCommand.self]
    )
}
