import Foundation
import Logging

#if canImport(Glibc)
import Glibc
#endif

/// Tells the run loop that something changed in a watched directory, so an appended line
/// reaches the server well within one poll interval, and what changed, so that pass reads
/// only those files. Polling stays on as the safety net.
public protocol FileEventSource: AnyObject, Sendable {
    /// Watches exactly these directories from now on (added and removed as needed).
    func watch(_ directories: Set<String>)
    /// Whether every directory asked for is watched (false past the kernel's watch limit).
    var coversEverything: Bool { get }
    /// What changed since the last call.
    func takeChanges() -> FileChanges
    func stop()
}

/// What file events reported between two passes.
public struct FileChanges: Sendable, Equatable {
    /// Files whose content or attributes changed (full paths).
    public var files: Set<String> = []
    /// Directories where an entry appeared, disappeared or was renamed: discovery must look again.
    public var directories: Set<String> = []
    /// Events were lost (the kernel's queue overflowed): anything may have changed.
    public var unknown = false

    public init() {}

    public var isEmpty: Bool { files.isEmpty && directories.isEmpty && !unknown }
    /// Whether reading just `files` covers every change.
    public var onlyFileContents: Bool { directories.isEmpty && !unknown }
}

/// Makes the platform's file event source: inotify on Linux; none elsewhere yet (FSEvents on
/// macOS would plug in here), where polling alone drives the loop.
public enum FileEvents {
    public static func make(wake: WakeSignal, logger: Logger) -> (any FileEventSource)? {
        #if os(Linux)
        return InotifyWatcher(wake: wake, logger: logger)
        #else
        return nil
        #endif
    }
}

#if os(Linux)
/// One inotify watch per directory (not per file). When the kernel's watch limit is reached,
/// the remaining directories are left to polling, with one warning.
public final class InotifyWatcher: FileEventSource, @unchecked Sendable {
    private let descriptor: Int32
    private let wake: WakeSignal
    private let logger: Logger
    private let lock = NSLock()
    private var watches: [String: Int32] = [:]
    private var pathsByWatch: [Int32: String] = [:]
    private var changes = FileChanges()
    private var warnedLimit = false
    private var missing = 0
    private var thread: Thread?
    private var stopped = false

    init?(wake: WakeSignal, logger: Logger) {
        let descriptor = inotify_init1(Int32(IN_NONBLOCK | IN_CLOEXEC))
        guard descriptor >= 0 else {
            logger.warning("inotify is not available; polling only", metadata: ["error": "\(String(cString: strerror(errno)))"])
            return nil
        }
        self.descriptor = descriptor
        self.wake = wake
        self.logger = logger
        let thread = Thread { [weak self] in self?.readEvents() }
        thread.name = "sensor-inotify"
        self.thread = thread
        thread.start()
    }

    deinit {
        close(descriptor)
    }

    /// The number of directories watched now.
    public var count: Int { lock.withLock { watches.count } }

    public var coversEverything: Bool { lock.withLock { missing == 0 } }

    public func watch(_ directories: Set<String>) {
        lock.withLock {
            for (path, watch) in watches where !directories.contains(path) {
                inotify_rm_watch(descriptor, watch)
                watches[path] = nil
                pathsByWatch[watch] = nil
            }
            missing = 0
            let mask = UInt32(IN_MODIFY | IN_CREATE | IN_MOVED_TO | IN_MOVED_FROM | IN_DELETE | IN_CLOSE_WRITE | IN_ATTRIB)
            for path in directories.sorted() where watches[path] == nil {
                let watch = inotify_add_watch(descriptor, path, mask)
                if watch >= 0 {
                    watches[path] = watch
                    pathsByWatch[watch] = path
                } else if errno == ENOSPC {
                    missing = directories.count - watches.count
                    if !warnedLimit {
                        warnedLimit = true
                        logger.warning("the kernel's inotify watch limit is reached; the remaining directories are polled",
                                       metadata: ["watched": "\(watches.count)", "wanted": "\(directories.count)"])
                    }
                    break
                }
            }
        }
    }

    public func stop() {
        lock.withLock { stopped = true }
    }

    public func takeChanges() -> FileChanges {
        lock.withLock {
            defer { changes = FileChanges() }
            return changes
        }
    }

    /// Files touched: their content changed. Anything else in a directory (an entry created,
    /// deleted or renamed, a subdirectory touched, a watch gone): that directory changed.
    private func record(_ events: UnsafeRawBufferPointer) {
        let header = MemoryLayout<inotify_event>.size
        lock.withLock {
            var offset = 0
            while offset + header <= events.count {
                let event = events.loadUnaligned(fromByteOffset: offset, as: inotify_event.self)
                let nameBytes = UnsafeRawBufferPointer(rebasing: events[(offset + header)..<min(events.count, offset + header + Int(event.len))])
                offset += header + Int(event.len)
                if event.mask & UInt32(IN_Q_OVERFLOW) != 0 {
                    changes.unknown = true
                    continue
                }
                guard let directory = pathsByWatch[event.wd] else { continue }
                let name = String(decoding: nameBytes.prefix { $0 != 0 }, as: UTF8.self)
                // A SQLite database's shared-memory index: every reader writes it, this sensor
                // too (a pass would wake the next one for ever), and every write of the
                // database's own shows on its WAL or the database itself. Its WAL: every reader
                // opens it for writing, so closing it says nothing; a write to it does.
                if name.hasSuffix("-shm") { continue }
                if name.hasSuffix("-wal") && event.mask & UInt32(IN_MODIFY | IN_CREATE | IN_DELETE | IN_MOVED_TO | IN_MOVED_FROM) == 0 { continue }
                let contentOnly = UInt32(IN_MODIFY | IN_CLOSE_WRITE | IN_ATTRIB)
                if !name.isEmpty && event.mask & UInt32(IN_ISDIR) == 0 && event.mask & ~contentOnly == 0 {
                    changes.files.insert(directory == "/" ? "/" + name : directory + "/" + name)
                } else {
                    changes.directories.insert(directory)
                }
            }
        }
    }

    private func readEvents() {
        var buffer = [UInt8](repeating: 0, count: 64 * 1024)
        var poller = pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0)
        while !lock.withLock({ stopped }) {
            let ready = poll(&poller, 1, 5000)
            guard ready > 0 else { continue }
            var any = false
            while true {
                let count = buffer.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
                guard count > 0 else { break }
                buffer.withUnsafeBytes { record(UnsafeRawBufferPointer(rebasing: $0[0..<count])) }
                any = true
            }
            if any { wake.signal() }
        }
    }
}
#endif
