import Foundation
import Logging

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The checkpoint file, written atomically (temp file, fsync, rename, fsync dir), and its
/// journal: between two full saves, acknowledged updates are appended to `<file>.journal`
/// (fsync'ed) and replayed on load; a full save empties the journal.
///
/// A missing, unreadable or corrupt file means starting over: everything is read again and
/// the server's dedupe absorbs the repeats. Nothing is ever skipped because of a bad file; a
/// journal line torn by a crash ends the replay there.
public struct CheckpointStore: Sendable {
    public let url: URL
    public var journalURL: URL { url.appendingPathExtension("journal") }
    /// ``CheckpointIndex``: what an idle pass reads instead of the JSON.
    public var indexURL: URL { url.appendingPathExtension("index") }

    public init(url: URL) {
        self.url = url
    }

    /// The saved state with its journal replayed, or an empty one (with a warning) when the
    /// file is corrupt.
    public func load(logger: Logger? = nil) -> CheckpointState {
        let journalWaits = (FileStat(path: journalURL.path)?.size ?? 0) > 0
        if !journalWaits, let state = loadIndex() { return state }
        var state = loadSnapshot(logger: logger)
        // Read after the snapshot: a corrupt snapshot takes its journal with it.
        guard let journal = try? Data(contentsOf: journalURL), !journal.isEmpty else { return state }
        let decoder = JSONDecoder()
        var replayed = 0
        for line in journal.split(separator: 0x0A, omittingEmptySubsequences: true) {
            guard let entry = try? decoder.decode(CheckpointJournalEntry.self, from: line), let update = entry.update else {
                logger?.warning("checkpoint journal ends in a damaged line; what follows is read again",
                                metadata: ["path": "\(journalURL.path)", "replayed": "\(replayed)"])
                break
            }
            state.apply(update)
            replayed += 1
        }
        return state
    }

    /// The state through the index, when it describes the checkpoint file as it is now.
    private func loadIndex() -> CheckpointState? {
        guard let stat = FileStat(path: url.path), let bytes = try? Data(contentsOf: indexURL),
              let state = bytes.withUnsafeBytes({ CheckpointIndex.decode($0, checkpointFile: url, stat: stat) }),
              state.version == CheckpointState.currentVersion else { return nil }
        return state
    }

    private func loadSnapshot(logger: Logger?) -> CheckpointState {
        guard let data = try? Data(contentsOf: url) else { return CheckpointState() }
        do {
            let state = try CheckpointDecoder.state(from: data)
            guard state.version == CheckpointState.currentVersion else {
                logger?.warning("checkpoint file has version \(state.version); starting over", metadata: ["path": "\(url.path)"])
                unlink(journalURL.path)
                return CheckpointState()
            }
            return state
        } catch {
            unlink(journalURL.path)  // updates to a state that is gone
            let aside = url.appendingPathExtension("corrupt")
            try? FileManager.default.removeItem(at: aside)
            try? FileManager.default.moveItem(at: url, to: aside)
            logger?.warning("checkpoint file is corrupt; moved aside, everything will be read again",
                            metadata: ["path": "\(url.path)", "error": "\(error)"])
            return CheckpointState()
        }
    }

    /// Writes `state` atomically.
    public func save(_ state: CheckpointState) throws {
        var buffer: [UInt8] = []
        try save(state, buffer: &buffer)
    }

    /// Saves `state`, encoding it into `buffer` (whose storage a caller that saves often keeps).
    public func save(_ state: CheckpointState, buffer: inout [UInt8]) throws {
        buffer.removeAll(keepingCapacity: true)
        try CheckpointEncoder.encode(state, into: &buffer)
        try buffer.withUnsafeBytes { try AtomicFile.write($0, to: url) }
        // Everything in the journal is in the file now (replaying it again would be harmless).
        if truncate(journalURL.path, 0) != 0 && errno != ENOENT { throw POSIXFailure("truncate", journalURL.path) }
        writeIndex(state)
    }

    /// After a pass that changed nothing: writes the index when `state` was read from the JSON
    /// (the index was missing, or described another file), so that the next pass need not.
    public func indexUnchanged(_ state: CheckpointState) {
        guard !state.positionsDeferred else { return }
        writeIndex(state)
    }

    /// The index of the file just written. Not synced: it is checked against the file it
    /// describes, and without it the file is read as JSON.
    private func writeIndex(_ state: CheckpointState) {
        guard let stat = FileStat(path: url.path), let index = try? CheckpointIndex.encode(state, checkpointFile: stat),
              (try? index.withUnsafeBytes({ try AtomicFile.write($0, to: indexURL, synced: false) })) != nil else {
            unlink(indexURL.path)
            return
        }
    }

    /// Appends `updates` to the journal, durably; returns the bytes written.
    @discardableResult
    public func append(_ updates: [CheckpointUpdate], buffer: inout [UInt8]) throws -> Int {
        guard !updates.isEmpty else { return 0 }
        buffer.removeAll(keepingCapacity: true)
        let encoder = JSONEncoder()
        for update in updates {
            buffer.append(contentsOf: try encoder.encode(CheckpointJournalEntry(update)))
            buffer.append(0x0A)
        }
        func openJournal() -> Int32 { open(journalURL.path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0o600) }
        var descriptor = openJournal()
        if descriptor < 0 && errno == ENOENT {
            // The state directory is made on first use only: this runs after every batch.
            try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            descriptor = openJournal()
        }
        guard descriptor >= 0 else { throw POSIXFailure("open", journalURL.path) }
        defer { close(descriptor) }
        guard buffer.withUnsafeBytes({ FileIO.writeAll(descriptor, $0) }) else { throw POSIXFailure("write", journalURL.path) }
        guard fsync(descriptor) == 0 else { throw POSIXFailure("fsync", journalURL.path) }
        return buffer.count
    }
}

/// Atomic replacement of a small file.
public enum AtomicFile {
    public static func write(_ data: Data, to url: URL, permissions: mode_t = 0o600) throws {
        try data.withUnsafeBytes { try write($0, to: url, permissions: permissions) }
    }

    /// `synced: false` for a file that is only derived from another (written whole or not at
    /// all, but not waited for on the disk).
    public static func write(_ data: UnsafeRawBufferPointer, to url: URL, permissions: mode_t = 0o600, synced: Bool = true) throws {
        let directory = url.deletingLastPathComponent()
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let temporary = directory.appendingPathComponent(".\(url.lastPathComponent).\(getpid()).tmp")
        let descriptor = open(temporary.path, O_WRONLY | O_CREAT | O_TRUNC, permissions)
        guard descriptor >= 0 else { throw POSIXFailure("open", temporary.path) }
        let success = FileIO.writeAll(descriptor, data) && (!synced || fsync(descriptor) == 0)
        close(descriptor)
        guard success else {
            unlink(temporary.path)
            throw POSIXFailure("write", temporary.path)
        }
        guard rename(temporary.path, url.path) == 0 else {
            unlink(temporary.path)
            throw POSIXFailure("rename", url.path)
        }
        guard synced else { return }
        let directoryDescriptor = open(directory.path, O_RDONLY)
        if directoryDescriptor >= 0 {
            fsync(directoryDescriptor)
            close(directoryDescriptor)
        }
    }
}

/// A failed system call, with `errno`'s text.
public struct POSIXFailure: Error, CustomStringConvertible {
    public let call: String
    public let path: String
    public let code: Int32

    public init(_ call: String, _ path: String, code: Int32 = errno) {
        self.call = call
        self.path = path
        self.code = code
    }

    public var description: String { "\(call) \(path): \(String(cString: strerror(code)))" }
}
