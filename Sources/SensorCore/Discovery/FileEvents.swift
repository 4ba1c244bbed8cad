import Foundation
import Logging

#if canImport(Glibc)
import Glibc
#endif

/// Tells the run loop that something changed in a watched directory, so an appended line
/// reaches the server well within one poll interval. Polling stays on as the safety net.
public protocol FileEventSource: AnyObject, Sendable {
    /// Watches exactly these directories from now on (added and removed as needed).
    func watch(_ directories: Set<String>)
    /// Whether every directory asked for is watched (false past the kernel's watch limit).
    var coversEverything: Bool { get }
    func stop()
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
            }
            missing = 0
            let mask = UInt32(IN_MODIFY | IN_CREATE | IN_MOVED_TO | IN_MOVED_FROM | IN_DELETE | IN_CLOSE_WRITE | IN_ATTRIB)
            for path in directories.sorted() where watches[path] == nil {
                let watch = inotify_add_watch(descriptor, path, mask)
                if watch >= 0 {
                    watches[path] = watch
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
                any = true
            }
            if any { wake.signal() }
        }
    }
}
#endif
