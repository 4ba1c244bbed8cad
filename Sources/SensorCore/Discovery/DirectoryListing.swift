#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// One open directory: its entry names from `readdir`, and `fstatat` relative to it, so a
/// discovery pass over thousands of unchanged files does not walk each full path from the root.
final class DirectoryListing {
    private let directory: OpaquePointer
    /// Entry names (without `.` and `..`), sorted, with whether `readdir` said it is a directory
    /// (nil when it did not say, or for a symlink).
    private(set) var entries: [(name: String, isDirectory: Bool?)] = []

    init?(path: String) {
        guard let directory = opendir(path) else { return nil }
        self.directory = directory
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
    }

    deinit {
        closedir(directory)
    }

    /// `lstat` (or `stat`) of the entry `name`.
    func stat(_ name: String, followSymlinks: Bool) -> FileStat? {
        name.withCString { FileStat(directory: dirfd(directory), name: $0, followSymlinks: followSymlinks) }
    }
}
