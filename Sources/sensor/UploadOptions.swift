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

    @Option(name: .customLong("enrollment-file"),
            help: ArgumentHelp("An enrollment secret (mode 600) to exchange once for this device's credential. Default: /etc/session-sensor/enrollment, then ~/.config/session-sensor/enrollment.", valueName: "file"))
    var enrollmentFile: String?

    @Option(name: .customLong("ca-file"), help: ArgumentHelp("PEM file of a private CA to trust (a self-hosted ingest server).", valueName: "file"))
    var caFile: String?

    @Flag(help: "No progress display.")
    var quiet = false

    /// A client for `--endpoint` with its credentials, and this sensor's identity. A token
    /// (`--token-file`, `SENSOR_TOKEN`) is used as it is; else this device's credential from an
    /// earlier enrollment; else an enrollment secret (`--enrollment-file`, or the file beside
    /// the local policy) is exchanged for one now.
    func makeClient(common: CommonOptions) async throws -> (IngestClient, SensorIdentity) {
        guard let endpoint, let url = URL(string: endpoint) else { throw ValidationError("--endpoint URL is required") }
        let identity = try SensorIdentity.load(stateDirectory: common.stateDirectoryURL, home: common.homePath, machineID: common.machineID)
        let environment = ProcessInfo.processInfo.environment
        var ingest: IngestEndpoint
        if tokenFile != nil || !(environment["SENSOR_TOKEN"] ?? "").isEmpty {
            ingest = try IngestEndpoint(base: url, token: try IngestEndpoint.token(file: tokenFile, environment: environment), caFile: caFile)
        } else {
            ingest = try IngestEndpoint(base: url, token: "", caFile: caFile)
            if let kept = DeviceEnrollment.load(stateDirectory: common.stateDirectoryURL, endpoint: url) {
                ingest.credential = kept.credential
            } else if let secretFile = DeviceEnrollment.secretFile(given: enrollmentFile, home: common.homePath) {
                let secret = try IngestEndpoint.token(file: secretFile.path, environment: [:])
                ingest.credential = try await DeviceEnrollment.enroll(endpoint: ingest, secret: secret, identity: identity,
                                                                      stateDirectory: common.stateDirectoryURL).credential
            } else {
                throw ValidationError("no token: give --token-file FILE (mode 600), set SENSOR_TOKEN, or enroll (sensor enroll --enrollment-file FILE)")
            }
        }
        return (try IngestClient(endpoint: ingest, identity: identity), identity)
    }

    func makeRunner(common: CommonOptions, logger: Logger, pollInterval: Double? = nil) async throws -> SensorRunner {
        let stateDirectory = common.stateDirectoryURL
        let (client, identity) = try await makeClient(common: common)
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
