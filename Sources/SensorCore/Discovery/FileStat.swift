#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// What `stat` says about a file: enough to tell whether it changed without opening it.
public struct FileStat: Sendable, Hashable, Codable {
    public var device: UInt64
    public var inode: UInt64
    public var size: Int64
    /// Modification time in nanoseconds since the epoch.
    public var modified: Int64
    public var isDirectory: Bool
    public var isRegularFile: Bool
    public var isSymbolicLink: Bool

    /// `stat` (following symlinks) or `lstat`; nil when the path does not exist or cannot be read.
    public init?(path: String, followSymlinks: Bool = true) {
        var info = stat()
        let result = followSymlinks ? stat(path, &info) : lstat(path, &info)
        guard result == 0 else { return nil }
        self.init(info)
    }

    /// `fstatat` of `name` in an open directory: no path walk from the root for each file.
    init?(directory: Int32, name: UnsafePointer<CChar>, followSymlinks: Bool) {
        var info = stat()
        guard fstatat(directory, name, &info, followSymlinks ? 0 : AT_SYMLINK_NOFOLLOW) == 0 else { return nil }
        self.init(info)
    }

    private init(_ info: stat) {
        device = UInt64(info.st_dev)
        inode = UInt64(info.st_ino)
        size = Int64(info.st_size)
        #if canImport(Darwin)
        modified = Int64(info.st_mtimespec.tv_sec) * 1_000_000_000 + Int64(info.st_mtimespec.tv_nsec)
        #else
        modified = Int64(info.st_mtim.tv_sec) * 1_000_000_000 + Int64(info.st_mtim.tv_nsec)
        #endif
        let type = info.st_mode & S_IFMT
        isDirectory = type == S_IFDIR
        isRegularFile = type == S_IFREG
        isSymbolicLink = type == S_IFLNK
    }

    /// `device:inode`, as it appears in envelope locators.
    public var deviceInode: String { "\(device):\(inode)" }
}
