import Foundation
import SensorModel

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// How many source bytes a pass still has to read: what files have grown since the
/// checkpoints, each file counted once however many sources read it. Databases are not counted
/// up front (a query selects some of their rows, and which is known only once read): the rows
/// a pass reads are added to the total as they are read (``EnvelopeChunk/discoveredInput``).
public enum Backlog {
    public static func bytes(of sources: [(SourceDeclaration, [MatchedFile])], state: CheckpointState) -> Int64 {
        var remaining: [FileIdentity: Int64] = [:]
        for (declaration, files) in sources {
            for file in files {
                let identity = FileIdentity(device: file.stat.device, inode: file.stat.inode)
                let left: Int64
                switch declaration.offset {
                case .byte:
                    let done = state.inodeStamps[declaration.id]?[identity]?.offset ?? 0
                    left = max(0, file.stat.size - done)
                case .snapshot:
                    let stored = state.documents[CheckpointState.pathKey(source: declaration.id, path: file.path)]
                    left = stored?.size != file.stat.size || stored?.modified != file.stat.modified ? file.stat.size : 0
                case .cursor, .keyed:
                    continue
                }
                remaining[identity] = max(remaining[identity] ?? 0, left)
            }
        }
        return remaining.values.reduce(0, +)
    }
}

/// Shows a backfill's progress: a bar on a terminal, a log line every few seconds otherwise.
public final class ProgressDisplay: @unchecked Sendable {
    /// What files hold to read; rows read from databases are added as they come.
    let fileBytes: Int64
    let started = Date()
    let interactive: Bool
    var lastLine = Date.distantPast
    let lock = NSLock()

    public init(totalBytes: Int64) {
        fileBytes = totalBytes
        interactive = isatty(STDERR_FILENO) == 1
    }

    /// - Parameters:
    ///   - discoveredBytes: database rows read so far (they join the total as they are read).
    ///   - finished: the pass is over: the line says 100% and the bytes actually read.
    public func update(doneBytes: Int64, discoveredBytes: Int64 = 0, envelopes: Int, finished: Bool = false) {
        lock.lock()
        defer { lock.unlock() }
        let now = Date()
        guard finished || now.timeIntervalSince(lastLine) >= (interactive ? 0.2 : 10) else { return }
        lastLine = now
        let elapsed = max(now.timeIntervalSince(started), 0.001)
        let total = finished ? max(doneBytes, 1) : max(fileBytes + discoveredBytes, doneBytes, 1)
        let done = min(doneBytes, total)
        let rate = Double(done) / elapsed
        let fraction = Double(done) / Double(total)
        let eta = rate > 0 ? Double(total - done) / rate : 0
        let text = "\(ByteCount.text(done)) / \(ByteCount.text(total))  \(ByteCount.text(Int64(rate)))/s  " +
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
