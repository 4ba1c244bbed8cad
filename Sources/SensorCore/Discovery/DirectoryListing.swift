#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// One directory: its entry names from `readdir`, and `fstatat` relative to it, so a discovery
/// pass over thousands of unchanged files does not walk each full path from the root.
final class DirectoryListing {
    private var directory: OpaquePointer?
    private var descriptor: Int32 = -1
    private let path: String
    /// Entry names (without `.` and `..`), sorted, with whether `readdir` said it is a directory
    /// (nil when it did not say, or for a symlink).
    let entries: [(name: String, isDirectory: Bool?)]

    /// Lists `path`, or takes the entries `cache` holds from earlier in the same pass (then the
    /// directory is opened only if an entry is stat'ed).
    init?(path: String, cache: DirectoryListingCache? = nil) {
        self.path = path
        if let cached = cache?.entries[path] {
            entries = cached
            return
        }
        guard let directory = opendir(path) else { return nil }
        self.directory = directory
        descriptor = dirfd(directory)
        var entries: [(name: String, isDirectory: Bool?)] = []
        while let entry = readdir(directory) {
            let type = entry.pointee.d_type
            let name = withUnsafePointer(to: &entry.pointee.d_name) { pointer in
                pointer.withMemoryRebound(to: CChar.self, capacity: 256) { String(cString: $0) }
            }
            if name == "." || name == ".." { continue }
            let isDirectory: Bool? = switch Int32(type) {
            case Int32(DT_DIR): true
            case Int32(DT_UNKNOWN), Int32(DT_LNK): nil
            default: false
            }
            entries.append((name, isDirectory))
        }
        entries.sort { $0.name < $1.name }
        self.entries = entries
        cache?.entries[path] = entries
    }

    deinit {
        if let directory { closedir(directory) } else if descriptor >= 0 { close(descriptor) }
    }

    /// `lstat` (or `stat`) of the entry `name`.
    func stat(_ name: String, followSymlinks: Bool) -> FileStat? {
        if descriptor < 0 {
            descriptor = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
            guard descriptor >= 0 else { return nil }
        }
        return name.withCString { FileStat(directory: descriptor, name: $0, followSymlinks: followSymlinks) }
    }
}

/// The directories one discovery pass has listed, by path: the globs of several sources often
/// walk the same directories (a tool's transcripts and its sub-agents' under one project
/// folder), and each is read from the disk once per pass. Held only for the pass: a later pass
/// lists afresh.
final class DirectoryListingCache {
    var entries: [String: [(name: String, isDirectory: Bool?)]] = [:]
}
