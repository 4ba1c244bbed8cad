import ArgumentParser
import Foundation
import SensorModel

/// `sensor install-service`: a systemd user unit (Linux) or a launchd agent (macOS) for the
/// current user, no root needed.
struct InstallServiceCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "install-service",
        abstract: "Install and start `sensor run` as a per-user background service."
    )

    @Option(help: ArgumentHelp("Ingest server base URL.", valueName: "url"))
    var endpoint: String

    @Option(name: .customLong("token-file"), help: ArgumentHelp("Token file (mode 600).", valueName: "file"))
    var tokenFile: String

    @Flag(name: .customLong("no-start"), help: "Write the unit but do not enable or start it.")
    var noStart = false

    func run() throws {
        let executable = URL(fileURLWithPath: CommandLine.arguments[0]).standardizedFileURL.resolvingSymlinksInPath().path
        let tokenPath = URL(fileURLWithPath: tokenFile).standardizedFileURL.path
        let service = ServiceUnit.current
        let text = try service.render(sensor: executable, endpoint: endpoint, tokenFile: tokenPath)
        try FileManager.default.createDirectory(at: service.url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try text.write(to: service.url, atomically: true, encoding: .utf8)
        print("wrote \(service.url.path)")
        guard !noStart else { return }
        for command in service.startCommands { try ServiceUnit.execute(command) }
    }
}

/// `sensor uninstall-service`: stops and removes what install-service put in place.
struct UninstallServiceCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "uninstall-service", abstract: "Stop and remove the per-user service.")

    func run() throws {
        let service = ServiceUnit.current
        for command in service.stopCommands { try? ServiceUnit.execute(command) }
        if FileManager.default.fileExists(atPath: service.url.path) {
            try FileManager.default.removeItem(at: service.url)
            print("removed \(service.url.path)")
        }
    }
}

/// Where the per-user unit lives and how it is started on this system.
struct ServiceUnit {
    var template: String
    var url: URL
    var startCommands: [[String]]
    var stopCommands: [[String]]

    static var current: ServiceUnit {
        let home = URL(fileURLWithPath: NSHomeDirectory())
        #if os(macOS)
        let url = home.appendingPathComponent("Library/LaunchAgents/dev.session-sensor.plist")
        return ServiceUnit(template: "dev.session-sensor.plist", url: url,
                           startCommands: [["launchctl", "load", "-w", url.path]],
                           stopCommands: [["launchctl", "unload", "-w", url.path]])
        #else
        let url = home.appendingPathComponent(".config/systemd/user/session-sensor.service")
        return ServiceUnit(template: "session-sensor.service", url: url,
                           startCommands: [["systemctl", "--user", "daemon-reload"],
                                           ["systemctl", "--user", "enable", "--now", "session-sensor.service"]],
                           stopCommands: [["systemctl", "--user", "disable", "--now", "session-sensor.service"],
                                          ["systemctl", "--user", "daemon-reload"]])
        #endif
    }

    func render(sensor: String, endpoint: String, tokenFile: String) throws -> String {
        guard let text = BuiltInDeclarations.services.first(where: { $0.0 == template })?.1 else {
            throw ValidationError("no service template \(template) in this build")
        }
        return text.replacingOccurrences(of: "@SENSOR@", with: sensor)
            .replacingOccurrences(of: "@ENDPOINT@", with: endpoint)
            .replacingOccurrences(of: "@TOKEN_FILE@", with: tokenFile)
    }

    static func execute(_ arguments: [String]) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = arguments
        try process.run()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw ValidationError("`\(arguments.joined(separator: " "))` failed with status \(process.terminationStatus)")
        }
    }
}
