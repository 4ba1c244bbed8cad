import Foundation
import SensorModel

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Everything a reader needs besides the file it reads.
public struct ReadContext: Sendable {
    public var declaration: SourceDeclaration
    public var writer: EnvelopeWriter
    public var redactor: Redactor
    /// What `~` means; locators show paths inside it as `~/…`.
    public var home: String
    /// Seconds since the epoch, for `lastSeen`.
    public var now: Double
    /// A chunk is handed on once it holds about this many envelope bytes...
    public var chunkBytes: Int
    /// ...or this many envelopes. Chunks no bigger than a batch let every acknowledged batch
    /// commit whole chunks, so a crash re-sends at most the batch in flight.
    public var chunkRecords: Int = .max
    /// Where chunk memory comes from once delivered chunks hand theirs back.
    public var recycler: BufferRecycler?
    /// Where records too large to hold in memory are spooled (see ``SpooledEnvelope``); without
    /// one, a record is held whole, up to the declared maximum.
    public var spoolDirectory: URL?
    /// Records longer than this are spooled rather than held.
    public var spoolThreshold = 4 << 20
    /// The rows already sent this pass from databases that several sources read: a row two
    /// sources select goes out once.
    public var sharedRows: SharedRows?

    public init(declaration: SourceDeclaration, writer: EnvelopeWriter, redactor: Redactor, home: String,
                now: Double, chunkBytes: Int) {
        self.declaration = declaration
        self.writer = writer
        self.redactor = redactor
        self.home = home
        self.now = now
        self.chunkBytes = chunkBytes
    }

    /// An empty chunk of this source, with room for a chunk's worth of envelopes.
    public func makeChunk() -> EnvelopeChunk {
        var chunk = EnvelopeChunk()
        chunk.sourceID = declaration.id
        let capacity = chunkBytes + chunkBytes / 4
        if let recycler { chunk.bytes = recycler.take(capacity: capacity) } else { chunk.bytes.reserveCapacity(capacity) }
        return chunk
    }

    /// How long an unchanged file's checkpoint may go without a fresh `lastSeen` (entries not
    /// seen for long are dropped, so files read once and never changed are touched hourly).
    public static let lastSeenRefreshSeconds: Double = 3600

    /// Whether a checkpoint last seen at `lastSeen` is due for a refresh.
    public func isStale(lastSeen: Double) -> Bool {
        now - lastSeen > Self.lastSeenRefreshSeconds
    }

    /// `path` as shown in locators: `~/…` inside the home folder, absolute elsewhere.
    public func displayPath(_ path: String) -> String {
        if path.hasPrefix(home + "/") { return "~" + path.dropFirst(home.count) }
        return path
    }
}

/// Reads what is new in one file (or database) of a source, a chunk at a time.
///
/// A reader is made for one pass; it never holds a lock or a read transaction between two
/// calls of ``next(state:)``, because the caller may wait (for the upload buffer) in between.
public protocol RecordReader: AnyObject {
    /// The next chunk of envelopes with the checkpoint update that follows it, or nil when
    /// nothing new remains. `state` is the read-ahead state, with every earlier chunk applied.
    func next(state: CheckpointState) throws -> EnvelopeChunk?
}

/// A record format: makes the reader for one matched file. Formats are looked up by name from
/// the declaration (``FormatRegistry``); each format reads with the offset strategies it supports.
public protocol RecordFormatPlugin: SendableMetatype {
    static var format: RecordFormat { get }
    static var strategies: [OffsetStrategy] { get }
    /// A reader for `file`, or nil when there is nothing to do (unchanged, inactive).
    static func makeReader(file: MatchedFile, context: ReadContext, state: CheckpointState) throws -> (any RecordReader)?
}

/// The formats this build reads, by name.
public enum FormatRegistry {
    public static let plugins: [RecordFormat: any RecordFormatPlugin.Type] = [
        .jsonl: JSONLinesFormat.self,
        .sqlite: SQLiteRowsFormat.self,
        .json: DocumentFormat.self,
        .text: TextFormat.self,
        .blob: DocumentFormat.self,
    ]

    public static func plugin(for format: RecordFormat) -> (any RecordFormatPlugin.Type)? {
        plugins[format]
    }
}

/// `format: text`: the whole file as one record (`snapshot`), or each line as one (`byte`:
/// append-only logs such as Markdown chat histories).
public enum TextFormat: RecordFormatPlugin {
    public static let format = RecordFormat.text
    public static let strategies = [OffsetStrategy.snapshot, .byte]

    public static func makeReader(file: MatchedFile, context: ReadContext, state: CheckpointState) throws -> (any RecordReader)? {
        context.declaration.offset == .byte
            ? try JSONLinesFormat.makeReader(file: file, context: context, state: state)
            : try DocumentFormat.makeReader(file: file, context: context, state: state)
    }
}

/// A problem reading one file; the pass goes on with the next file.
public struct ReadError: Error, CustomStringConvertible {
    public var path: String
    public var reason: String
    /// Worth trying again next cycle (a lock, a busy database).
    public var isTransient: Bool

    public init(path: String, reason: String, isTransient: Bool = false) {
        self.path = path
        self.reason = reason
        self.isTransient = isTransient
    }

    public var description: String { "\(path): \(reason)" }

    /// A failed system call on `path`, from its `errno` (worth retrying unless `transient` is false).
    init(path: String, errno code: Int32, isTransient: Bool = true) {
        self.init(path: path, reason: String(cString: strerror(code)), isTransient: isTransient)
    }

    /// Opens a file discovery listed, safely: never through a symlink unless the source follows
    /// them, never blocking (a FIFO or device is refused, not waited on), and only if what was
    /// opened is the regular file that was listed (same device and inode), so a swap between
    /// listing and opening reads nothing it should not. A mismatch is transient: the next pass
    /// lists the file again.
    static func openListed(_ file: MatchedFile, followSymlinks: Bool) throws -> Int32 {
        let flags = O_RDONLY | O_CLOEXEC | O_NONBLOCK | (followSymlinks ? 0 : O_NOFOLLOW)
        let descriptor = open(file.path, flags)
        guard descriptor >= 0 else {
            let code = errno
            if code == ELOOP {
                throw ReadError(path: file.path, reason: "became a symbolic link after it was listed; not followed", isTransient: true)
            }
            throw ReadError(path: file.path, errno: code, isTransient: code != ENOENT)
        }
        var info = stat()
        guard fstat(descriptor, &info) == 0 else {
            let code = errno
            close(descriptor)
            throw ReadError(path: file.path, errno: code)
        }
        guard info.st_mode & S_IFMT == S_IFREG else {
            close(descriptor)
            throw ReadError(path: file.path, reason: "is not a regular file (a FIFO, socket or device is never read)", isTransient: true)
        }
        guard UInt64(info.st_dev) == file.stat.device, UInt64(info.st_ino) == file.stat.inode else {
            close(descriptor)
            throw ReadError(path: file.path, reason: "was replaced between listing and opening; read again next pass", isTransient: true)
        }
        // Regular files ignore O_NONBLOCK; cleared all the same.
        _ = fcntl(descriptor, F_SETFL, fcntl(descriptor, F_GETFL) & ~O_NONBLOCK)
        return descriptor
    }

    /// Checks, right before a database is opened by its path, that it is still the regular file
    /// that was listed (SQLite opens by name, and would wait on a FIFO).
    static func checkListed(_ file: MatchedFile, followSymlinks: Bool) throws {
        guard let now = FileStat(path: file.path, followSymlinks: followSymlinks) else {
            throw ReadError(path: file.path, reason: "is gone", isTransient: true)
        }
        guard now.isRegularFile else {
            throw ReadError(path: file.path, reason: now.isSymbolicLink ? "became a symbolic link after it was listed; not followed"
                            : "is not a regular file (a FIFO, socket or device is never read)", isTransient: true)
        }
        guard now.device == file.stat.device, now.inode == file.stat.inode else {
            throw ReadError(path: file.path, reason: "was replaced between listing and opening; read again next pass", isTransient: true)
        }
    }

    /// Opens `path` read-only, or throws: transient, but for a file that is gone.
    static func openReadOnly(_ path: String) throws -> Int32 {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else {
            let code = errno
            throw ReadError(path: path, errno: code, isTransient: code != ENOENT)
        }
        return descriptor
    }
}

/// The row envelopes a pass has sent from each database that more than one source reads (by
/// device and inode), as their 128-bit ids: the same row selected by two sources has the same
/// id, and the server would only count the second as a duplicate.
public final class SharedRows: @unchecked Sendable {
    private let lock = NSLock()
    private let files: Set<FileIdentity>
    private var sent: [FileIdentity: Set<String>] = [:]

    /// `files`: the databases read by more than one source this pass.
    public init(files: Set<FileIdentity>) {
        self.files = files
    }

    /// Whether the row with envelope `id` from `file` is new this pass (and now remembered).
    func isFirst(_ id: String, in file: FileStat) -> Bool {
        let identity = FileIdentity(device: file.device, inode: file.inode)
        guard files.contains(identity) else { return true }
        return lock.withLock { sent[identity, default: []].insert(id).inserted }
    }
}
