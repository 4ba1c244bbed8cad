import Foundation

/// This process's memory, from /proc (Linux).
enum ProcessMemory {
    struct Unavailable: Error {}

    /// `VmHWM`: the peak resident set size so far, in bytes.
    static func peakResidentBytes() throws -> Int {
        let status = try String(contentsOfFile: "/proc/self/status", encoding: .utf8)
        guard let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmHWM:") }),
              let kilobytes = Int(line.split(separator: " ", omittingEmptySubsequences: true).dropFirst().first ?? "")
        else { throw Unavailable() }
        return kilobytes * 1024
    }
}
