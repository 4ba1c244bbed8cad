import Crypto
import Foundation
import SensorModel

/// Who this sensor is: a device id kept in the state directory, so the ids of its records stay
/// the same across runs.
///
/// The first time, the id is derived from the machine's own id (`/etc/machine-id`, or the macOS
/// platform UUID) and the home folder read, hashed with a fixed salt: the raw machine id never
/// leaves, and a reinstall or a wiped state directory gets the same device id back, so a rescan
/// stores nothing twice. Without a machine id it is random.
public struct SensorIdentity: Sendable {
    public static let version = "0.1.0"

    public var device: String
    public var host: String
    public var system: String
    /// The operating system's version (`Version 14.5 (Build 23F79)`, a kernel release).
    public var systemVersion = ProcessInfo.processInfo.operatingSystemVersionString
    /// The account the sensor runs as (its person, on a laptop).
    public var user = SensorIdentity.currentUser()

    /// Loads the device id from `directory/device-id`, creating it the first time.
    public static func load(stateDirectory: URL, home: String, machineID: String? = MachineID.current()) throws -> SensorIdentity {
        let file = stateDirectory.appendingPathComponent("device-id")
        let device: String
        if let text = try? String(contentsOf: file, encoding: .utf8),
           case let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines), !trimmed.isEmpty {
            device = trimmed
        } else {
            device = machineID.map { derivedDevice(machineID: $0, home: home) } ?? "d-" + UUID().uuidString.lowercased()
            try AtomicFile.write(Data((device + "\n").utf8), to: file, permissions: 0o644)
        }
        return SensorIdentity(device: device, host: ProcessInfo.processInfo.hostName, system: OperatingSystemName.current)
    }

    /// The login name of the account this process runs as.
    public static func currentUser() -> String {
        if let entry = getpwuid(getuid()), let name = entry.pointee.pw_name { return String(cString: name) }
        return ProcessInfo.processInfo.environment["USER"] ?? ""
    }

    /// `d-` and 32 hex digits of SHA-256 over a fixed salt, the machine id and the home folder.
    public static func derivedDevice(machineID: String, home: String) -> String {
        var hasher = SHA256()
        hasher.update(data: Array("session-sensor device id v1\u{0}".utf8))
        hasher.update(data: Array(machineID.utf8))
        hasher.update(data: [0])
        hasher.update(data: Array(home.utf8))
        return "d-" + Hex.lowercase(hasher.finalize().prefix(16))
    }
}

/// The machine's own stable id: systemd's `/etc/machine-id` (or D-Bus's copy) on Linux, the
/// IOPlatformUUID on macOS; nil where there is none.
public enum MachineID {
    public static func current() -> String? {
        #if os(macOS)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/sbin/ioreg")
        process.arguments = ["-rd1", "-c", "IOPlatformExpertDevice"]
        let pipe = Pipe()
        process.standardOutput = pipe
        guard (try? process.run()) != nil else { return nil }
        let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        guard let line = output.split(separator: "\n").first(where: { $0.contains("IOPlatformUUID") }),
              let value = line.split(separator: "\"").dropLast().last else { return nil }
        return String(value)
        #else
        for path in ["/etc/machine-id", "/var/lib/dbus/machine-id"] {
            if let text = try? String(contentsOfFile: path, encoding: .utf8),
               case let id = text.trimmingCharacters(in: .whitespacesAndNewlines), id.count >= 16 {
                return id
            }
        }
        return nil
        #endif
    }
}

enum OperatingSystemName {
    static var current: String {
        #if os(macOS)
        return "macos"
        #elseif os(Windows)
        return "windows"
        #else
        return "linux"
        #endif
    }
}
