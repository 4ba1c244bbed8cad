import Foundation
import SensorModel

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// How many source bytes a pass still has to read: what has grown since the checkpoints.
public enum Backlog {
    public static func bytes(of sources: [(SourceDeclaration, [MatchedFile])], state: CheckpointState) -> Int64 {
        var total: Int64 = 0
        for (declaration, files) in sources {
            for file in files {
                switch declaration.offset {
                case .byte:
                    let identity = FileIdentity(device: file.stat.device, inode: file.stat.inode)
                    let done = state.inodeStamps[declaration.id]?[identity]?.offset ?? 0
                    total += max(0, file.stat.size - done)
                case .snapshot:
                    let stored = state.documents[CheckpointState.pathKey(source: declaration.id, path: file.path)]
                    if stored?.size != file.stat.size || stored?.modified != file.stat.modified { total += file.stat.size }
                case .cursor, .keyed:
                    if state.tables[CheckpointState.pathKey(source: declaration.id, path: file.path)] == nil {
                        total += file.stat.size
                    }
                }
            }
        }
        return total
    }
}

/// Shows a backfill's progress: a bar on a terminal, a log line every few seconds otherwise.
public final class ProgressDisplay: @unchecked Sendable {
    let total: Int64
    let started = Date()
    let interactive: Bool
    var lastLine = Date.distantPast
    let lock = NSLock()

    public init(totalBytes: Int64) {
        total = max(totalBytes, 1)
        interactive = isatty(STDERR_FILENO) == 1
    }

    public func update(doneBytes: Int64, envelopes: Int, finished: Bool = false) {
        lock.lock()
        defer { lock.unlock() }
        let now = Date()
        guard finished || now.timeIntervalSince(lastLine) >= (interactive ? 0.2 : 10) else { return }
        lastLine = now
        let elapsed = max(now.timeIntervalSince(started), 0.001)
        let done = min(doneBytes, total)
        let rate = Double(done) / elapsed
        let fraction = Double(done) / Double(total)
        let eta = rate > 0 ? Double(total - done) / rate : 0
        let megabytes = { (bytes: Double) in String(format: "%.1f MB", bytes / 1_000_000) }
        let text = "\(megabytes(Double(done))) / \(megabytes(Double(total)))  \(megabytes(rate))/s  " +
            "\(envelopes) records  ETA \(Int(eta.rounded()))s"
        if interactive {
            let width = 30
            let filled = Int(fraction * Double(width))
            let bar = String(repeating: "=", count: filled) + String(repeating: " ", count: width - filled)
            let line = "\r[\(bar)] \(Int(fraction * 100))%  \(text)\u{1B}[K" + (finished ? "\n" : "")
            FileHandle.standardError.write(Data(line.utf8))
        } else {
            FileHandle.standardError.write(Data("progress: \(Int(fraction * 100))%  \(text)\n".utf8))
        }
    }
}
