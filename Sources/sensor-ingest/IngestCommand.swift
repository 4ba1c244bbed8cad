import ArgumentParser

/// `sensor-ingest`: the reference ingest server for Session Sensor.
@main
struct IngestCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sensor-ingest",
        abstract: "Receives, authenticates and stores the sensors' raw envelopes; serves their config.",
        version: "0.1.0",
        subcommands: [ServeCommand.self, TokenCommand.self, StatsCommand.self, StatusCommand.self, DumpCommand.self, ReparseCommand.self, SessionsCommand.self, ConfigCommand.self, TenantCommand.self, NormalizersCommand.self, DeviceCommand.self, EnrollmentCommand.self, PersonCommand.self, AccessLogCommand.self, SSOCommand.self, BudgetCommand.self, AlertCommand.self, RetentionCommand.self, EraseCommand.self, ExportCommand.self, MCPCommand.self, ConnectorCommand.self, TelemetryCommand.self]
    )
}
