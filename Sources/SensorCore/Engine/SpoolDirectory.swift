import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Where this process spools records too large to hold in memory: `spool/<pid>` in the state
/// directory. A spool file outlives its use only when the process dies; its checkpoint was
/// never committed, so the record is read again, and the folders of dead processes are
/// removed when the next one starts.
public enum SpoolDirectory {
    public static func prepare(stateDirectory: URL) -> URL {
        let root = stateDirectory.appendingPathComponent("spool")
        let names = (try? FileManager.default.contentsOfDirectory(atPath: root.path)) ?? []
        for name in names {
            if let pid = Int32(name), pid != getpid(), kill(pid, 0) == 0 || errno == EPERM { continue }
            try? FileManager.default.removeItem(at: root.appendingPathComponent(name))
        }
        return root.appendingPathComponent(String(getpid()))
    }
}
