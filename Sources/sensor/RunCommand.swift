import ArgumentParser
import Foundation
import Logging
import SensorCore
import ServiceLifecycle

/// `sensor run`: keeps collecting until SIGTERM or SIGINT.
struct RunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Collect continuously; on SIGTERM/SIGINT flush what is in flight, save checkpoints and exit 0."
    )

    @OptionGroup var common: CommonOptions
    @OptionGroup var upload: UploadOptions

    @Option(name: .customLong("poll-interval"), help: ArgumentHelp("Seconds between passes (default: the sources' smallest poll_interval).", valueName: "s"))
    var pollInterval: Double?

    mutating func run() async throws {
        let logger = common.makeLogger()
        var upload = self.upload
        upload.quiet = true
        let runner = try upload.makeRunner(common: common, logger: logger, pollInterval: pollInterval)
        let status = StatusWriter(stateDirectory: common.stateDirectoryURL, endpoint: upload.endpoint ?? "")
        let service = SensorService(runner: runner, status: status)
        let group = ServiceGroup(configuration: .init(services: [service], gracefulShutdownSignals: [.sigterm, .sigint],
                                                      logger: logger))
        try await group.run()
    }
}

/// The run loop as a service, so swift-service-lifecycle turns signals into a graceful stop.
struct SensorService: Service {
    let runner: SensorRunner
    let status: StatusWriter

    func run() async throws {
        let stopping = StopFlag()
        let wake = WakeSignal()
        try await withGracefulShutdownHandler {
            try await runner.runForever(status: status, wakeups: wake) { stopping.isSet }
        } onGracefulShutdown: {
            stopping.set()
            wake.signal()
        }
    }
}

/// A flag set once, read from any thread.
final class StopFlag: @unchecked Sendable {
    private let lock = NSLock()
    private var value = false

    var isSet: Bool { lock.withLock { value } }

    func set() { lock.withLock { value = true } }
}
