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

    @Option(name: .customLong("poll-interval"), help: ArgumentHelp("Seconds between passes (default: the sources' smallest poll_interval, or a 60 s safety net while file events watch every directory).", valueName: "s"))
    var pollInterval: Double?

    @Option(name: .customLong("metrics-port"), help: ArgumentHelp("Serve Prometheus metrics on 127.0.0.1:PORT/metrics.", valueName: "port"))
    var metricsPort: Int?

    mutating func run() async throws {
        AllocatorTuning.apply()
        let logger = common.makeLogger()
        var upload = self.upload
        upload.quiet = true
        let runner = try await upload.makeRunner(common: common, logger: logger, pollInterval: pollInterval)
        let status = StatusWriter(stateDirectory: common.stateDirectoryURL, endpoint: upload.endpoint ?? "")
        var metrics: SensorMetrics?
        var endpoint: MetricsEndpoint?
        if let metricsPort {
            let counters = SensorMetrics()
            endpoint = try await MetricsEndpoint.start(port: metricsPort, metrics: counters)
            metrics = counters
            logger.notice("metrics on http://127.0.0.1:\(endpoint?.port ?? metricsPort)/metrics")
        }
        let service = SensorService(runner: runner, status: status, metrics: metrics)
        let group = ServiceGroup(configuration: .init(services: [service], gracefulShutdownSignals: [.sigterm, .sigint],
                                                      logger: logger))
        try await group.run()
        await endpoint?.stop()
    }
}

/// The run loop as a service, so swift-service-lifecycle turns signals into a graceful stop.
struct SensorService: Service {
    let runner: SensorRunner
    let status: StatusWriter
    let metrics: SensorMetrics?

    func run() async throws {
        let stopping = StopFlag()
        let wake = WakeSignal()
        try await withGracefulShutdownHandler {
            try await runner.runForever(status: status, wakeups: wake, metrics: metrics) { stopping.isSet }
        } onGracefulShutdown: {
            stopping.set()
            wake.signal()
            runner.requestStop()
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
