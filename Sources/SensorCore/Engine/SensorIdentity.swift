import Foundation

/// Who this sensor is: a device id created once and kept in the state directory, so the ids
/// of its records stay the same across runs.
public struct SensorIdentity: Sendable {
    public static let version = "0.1.0"

    public var device: String
    public var host: String
    public var system: String

    /// Loads the device id from `directory/device-id`, creating it the first time.
    public static func load(stateDirectory: URL) throws -> SensorIdentity {
        let file = stateDirectory.appendingPathComponent("device-id")
        let device: String
        if let text = try? String(contentsOf: file, encoding: .utf8),
           case let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines), !trimmed.isEmpty {
            device = trimmed
        } else {
            device = "d-" + UUID().uuidString.lowercased()
            try AtomicFile.write(Data((device + "\n").utf8), to: file, permissions: 0o644)
        }
        return SensorIdentity(device: device, host: ProcessInfo.processInfo.hostName, system: OperatingSystemName.current)
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
