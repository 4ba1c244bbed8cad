import ArgumentParser
import Foundation
import Logging
import SensorCore
import SensorModel

/// `sensor scan`: one pass over every source.
struct ScanCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "scan",
        abstract: "Read what is new in every source once.",
        discussion: """
            --validate-config   check every config layer and show what each source matches here (uploads nothing)
            --dry-run           print every new envelope as one JSON line; saves no state
            --output FILE|-     write envelopes as JSON lines and save state after the pass
            --endpoint URL      upload to an ingest server; exits 0 only when everything read was acknowledged
            """
    )

    @OptionGroup var common: CommonOptions

    @Flag(name: .customLong("validate-config"), help: "Validate all config layers and report; never reads records or uploads.")
    var validateConfig = false

    @Flag(help: "Print the validation report as JSON (with --validate-config).")
    var json = false

    @Flag(help: "With --validate-config: each source's roots, globs, database checks and where every value came from.")
    var verbose = false

    @Flag(help: "Read once and exit (scan always does; accepted for clarity).")
    var once = false

    @Flag(name: .customLong("dry-run"), help: "Print new envelopes on stdout, one per line; save no state.")
    var dryRun = false

    @Option(help: ArgumentHelp("Write envelopes as JSON lines to FILE (- for stdout) and save state.", valueName: "file"))
    var output: String?

    @Option(help: ArgumentHelp("Checkpoint file (default: <state-dir>/checkpoints.json).", valueName: "file"))
    var state: String?

    @OptionGroup var upload: UploadOptions

    mutating func run() async throws {
        AllocatorTuning.apply(onePass: true)
        let logger = common.makeLogger()
        let config = try common.loadConfig(checkBuiltIn: validateConfig)
        let template = common.template

        if validateConfig {
            let report = ConfigReport(config: config, template: template)
            if json {
                let encoder = JSONEncoder()
                encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
                let payload = ValidationOutput(valid: report.isValid, problems: report.problems.map(\.description),
                                               sources: report.sources)
                print(String(decoding: try encoder.encode(payload), as: UTF8.self))
            } else {
                print(report.render(verbose: verbose))
            }
            if json {
                for problem in report.problems {
                    FileHandle.standardError.write(Data((problem.description + "\n").utf8))
                }
            }
            if !report.isValid { throw ExitCode(1) }
            return
        }

        for problem in config.problems {
            logger.error("\(problem.description)")
        }
        if upload.endpoint != nil && !dryRun && output == nil {
            let runner = try await upload.makeRunner(common: common, logger: logger)
            let (summary, stats) = try await runner.runOnce()
            logger.notice("scan complete: everything read was acknowledged", metadata: [
                "envelopes": "\(summary.envelopes)", "acknowledged": "\(stats.envelopesAcknowledged)",
                "quarantined": "\(stats.envelopesQuarantined)", "bytes_read": "\(summary.inputBytes)",
                "bytes_on_wire": "\(stats.bytesOnWire)", "retries": "\(stats.retries)"])
            return
        }
        guard dryRun || output != nil else {
            throw ValidationError("say where envelopes go: --dry-run, --output FILE|-, or --endpoint URL")
        }
        let stateDirectory = common.stateDirectoryURL
        let identity = try SensorIdentity.load(stateDirectory: stateDirectory, home: common.homePath, machineID: common.machineID)
        let store = CheckpointStore(url: state.map { URL(fileURLWithPath: $0) }
                                    ?? stateDirectory.appendingPathComponent("checkpoints.json"))
        let loaded = store.load(logger: logger)
        let scanner = SourceScanner(config: config, template: template, device: identity.device,
                                    sensorVersion: SensorIdentity.version, state: loaded, logger: logger)
        scanner.spoolDirectory = SpoolDirectory.prepare(stateDirectory: stateDirectory)

        let handle: FileHandle
        if dryRun || output == "-" {
            handle = .standardOutput
        } else {
            // open(2), not an atomic create: `--output /dev/null` must stay a device.
            let path = output!
            let descriptor = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
            guard descriptor >= 0 else { throw ValidationError("cannot write \(path)") }
            handle = FileHandle(fileDescriptor: descriptor, closeOnDealloc: true)
        }
        let sink = LineSink(handle: handle)
        let summary = try await scanner.scan(into: sink)
        if !dryRun {
            scanner.state.forget(olderThan: config.settings.forgetAfterDays, now: Date().timeIntervalSince1970)
            // An idle pass changes nothing: the file is not written again.
            if scanner.state != loaded { try store.save(scanner.state) } else { store.indexUnchanged(loaded) }
        }
        logger.notice("scan complete", metadata: ["envelopes": "\(summary.envelopes)", "bytes": "\(summary.inputBytes)",
                                                  "errors": "\(summary.errors.count)"])
        LeftToExit.keep(scanner, loaded)
    }
}

/// What a process that is about to exit leaves to the system instead of freeing it object by
/// object: the scanner's ten thousand file records and checkpoint entries took a twentieth of
/// an idle `sensor scan` to tear down.
enum LeftToExit {
    nonisolated(unsafe) private static var objects: [Any] = []

    static func keep(_ kept: Any...) { objects += kept }
}

/// `--validate-config --json` output.
struct ValidationOutput: Encodable {
    var valid: Bool
    var problems: [String]
    var sources: [ConfigReport.SourceReport]
}
