import ArgumentParser
import Foundation
import SensorCore
import SensorModel

/// `sensor enroll`: exchanges an enrollment secret for this device's credential (once; again
/// to replace it: the same device, a new credential).
struct EnrollCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "enroll",
        abstract: "Exchange an enrollment secret for this device's credential, kept in the state directory (mode 600).",
        discussion: "`sensor run` and `sensor scan` do it on their own when they find a secret and no credential; this does it now, or again.")

    @OptionGroup var common: CommonOptions

    @Option(help: ArgumentHelp("Ingest server base URL (https, or http to loopback).", valueName: "url"))
    var endpoint: String

    @Option(name: .customLong("enrollment-file"),
            help: ArgumentHelp("The enrollment secret (mode 600). Default: /etc/session-sensor/enrollment, then ~/.config/session-sensor/enrollment.", valueName: "file"))
    var enrollmentFile: String?

    @Option(name: .customLong("ca-file"), help: ArgumentHelp("PEM file of a private CA to trust.", valueName: "file"))
    var caFile: String?

    func run() async throws {
        guard let url = URL(string: endpoint) else { throw ValidationError("--endpoint \(endpoint) is not a URL") }
        guard let secretFile = DeviceEnrollment.secretFile(given: enrollmentFile, home: common.homePath) else {
            throw ValidationError("no enrollment secret: give --enrollment-file FILE, or deploy /etc/session-sensor/enrollment")
        }
        let secret = try IngestEndpoint.token(file: secretFile.path, environment: [:])
        let identity = try SensorIdentity.load(stateDirectory: common.stateDirectoryURL, home: common.homePath, machineID: common.machineID)
        let endpoint = try IngestEndpoint(base: url, token: "", caFile: caFile)
        let enrolled = try await DeviceEnrollment.enroll(endpoint: endpoint, secret: secret, identity: identity,
                                                         stateDirectory: common.stateDirectoryURL)
        print("enrolled device \(enrolled.device) at \(enrolled.endpoint); credential in \(DeviceEnrollment.file(stateDirectory: common.stateDirectoryURL).path)")
    }
}
