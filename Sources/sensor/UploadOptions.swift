import ArgumentParser
import Foundation
import Logging
import SensorCore
import SensorModel

/// Where records go and how the sensor proves who it is.
struct UploadOptions: ParsableArguments {
    @Option(help: ArgumentHelp("Ingest server base URL (https, or http to loopback).", valueName: "url"))
    var endpoint: String?

    @Option(name: .customLong("token-file"), help: ArgumentHelp("File holding the bearer token (mode 600). Default: $SENSOR_TOKEN.", valueName: "file"))
    var tokenFile: String?

    @Option(name: .customLong("ca-file"), help: ArgumentHelp("PEM file of a private CA to trust (a self-hosted ingest server).", valueName: "file"))
    var caFile: String?

    @Flag(help: "No progress display.")
    var quiet = false

    /// A client for `--endpoint` with the token, and this sensor's identity.
    func makeClient(common: CommonOptions) throws -> (IngestClient, SensorIdentity) {
        guard let endpoint, let url = URL(string: endpoint) else { throw ValidationError("--endpoint URL is required") }
        let token = try IngestEndpoint.token(file: tokenFile, environment: ProcessInfo.processInfo.environment)
        let ingest = try IngestEndpoint(base: url, token: token, caFile: caFile)
        let identity = try SensorIdentity.load(stateDirectory: common.stateDirectoryURL, home: common.homePath, machineID: common.machineID)
        return (try IngestClient(endpoint: ingest, identity: identity), identity)
    }

    func makeRunner(common: CommonOptions, logger: Logger, pollInterval: Double? = nil) throws -> SensorRunner {
        let stateDirectory = common.stateDirectoryURL
        let (client, identity) = try makeClient(common: common)
        var options = SensorRunner.Options(stateDirectory: stateDirectory,
                                           checkpointURL: stateDirectory.appendingPathComponent("checkpoints.json"))
        options.showProgress = !quiet
        options.serverConfigPublicKey = common.loadPolicy().0.serverConfigPublicKey
        options.pollInterval = pollInterval
        options.declarationDirectories = common.sourcesDirectories.isEmpty
            ? [common.userSourcesDirectory] : common.sourcesDirectories.map { URL(fileURLWithPath: $0) }
        let common = common
        return SensorRunner(options: options, template: common.template, identity: identity, client: client, logger: logger) { document in
            try common.loadConfig(serverDocument: document)
        }
    }
}
