import Foundation

/// A process's memory, from /proc (Linux).
enum ProcessMemory {
    struct Unavailable: Error {}

    /// `VmHWM`: the peak resident set size of process `pid` so far, in bytes.
    static func peakResidentBytes(of pid: Int32) throws -> Int {
        let status = try String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8)
        guard let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmHWM:") }),
              let kilobytes = Int(line.split(separator: " ", omittingEmptySubsequences: true).dropFirst().first ?? "")
        else { throw Unavailable() }
        return kilobytes * 1024
    }
}
