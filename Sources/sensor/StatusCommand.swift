import ArgumentParser
import Foundation
import SensorCore

/// `sensor status`: what a running (or the last) `sensor run` reported.
struct StatusCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "Show per source what is tracked, read and pending, and the last upload and error."
    )

    @OptionGroup var common: CommonOptions

    @Flag(help: "Print the status as JSON.")
    var json = false

    func run() throws {
        let url = common.stateDirectoryURL.appendingPathComponent("status.json")
        guard let data = FileManager.default.contents(atPath: url.path) else {
            throw ValidationError("no status yet: \(url.path) does not exist (is `sensor run` running with this --state-dir/--home?)")
        }
        if json {
            print(String(decoding: data, as: UTF8.self))
            return
        }
        let status = try JSONDecoder().decode(SensorStatus.self, from: data)
        let running = kill(status.pid, 0) == 0
        print("sensor \(running ? "running (pid \(status.pid))" : "not running (last pid \(status.pid))"), updated \(status.updatedAt)")
        print("endpoint \(status.endpoint)  config \(status.configVersion ?? "local only")")
        print("acknowledged \(status.envelopesAcknowledged) records, quarantined \(status.envelopesQuarantined), " +
              "pending \(status.pendingBytes) bytes, \(status.batchesSent) batches, \(status.retries) retries, " +
              "\(status.bytesOnWire) bytes on the wire")
        if let unexpected = status.unexpectedAnswers, unexpected > 0 {
            print("\(unexpected) answer(s) were not an acknowledgement (a redirect, 404 or malformed ack): batches kept, nothing committed")
        }
        print("last upload \(status.lastUploadAt ?? "never")\(status.lastError.map { ", last error: \($0)" } ?? "")")
        if let total = status.bytesTotal, let read = status.bytesRead {
            let percent = total > 0 ? Int(Double(read) / Double(total) * 100) : 100
            print("read \(ByteCount.text(read)) of \(ByteCount.text(total)) (\(percent)%), each file counted once")
        }
        for problem in status.configProblems ?? [] { print("config problem: \(problem)") }
        for source in status.sources {
            let percent = source.bytesTotal > 0 ? Int(Double(source.bytesRead) / Double(source.bytesTotal) * 100) : 100
            print("  \(source.id): \(source.files) file(s), \(source.bytesRead)/\(source.bytesTotal) bytes read (\(percent)%)" +
                  (source.lastError.map { ", last error: \($0)" } ?? ""))
        }
    }
}
