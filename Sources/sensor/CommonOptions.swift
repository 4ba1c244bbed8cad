import ArgumentParser
import Foundation
import Logging
import SensorCore
import SensorModel

/// Options every `sensor` command takes: where `~` is, which declarations to load, and
/// where state lives.
struct CommonOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp("What `~` means in path templates (default: $HOME).", valueName: "dir"))
    var home: String?

    @Option(name: .customLong("sources-dir"),
            help: ArgumentHelp("A directory of source declarations; repeat for more, later ones win (default: the built-in sources.d plus ~/.config/session-sensor/sources.d).", valueName: "dir"))
    var sourcesDirectories: [String] = []

    @Option(name: .customLong("server-config"),
            help: ArgumentHelp("A server sensor-config document (JSON or YAML) to use as the server layer.", valueName: "file"))
    var serverConfig: String?

    @Option(name: .customLong("state-dir"), help: ArgumentHelp("Where the sensor keeps its state (default: ~/.local/state/session-sensor).", valueName: "dir"))
    var stateDirectory: String?

    @Option(name: .customLong("set"), help: ArgumentHelp("Override a field: SOURCE_ID:field.path=VALUE, or upload.gzip_level=1.", valueName: "field=value"))
    var overrides: [String] = []

    @Option(name: .customLong("disable"), help: ArgumentHelp("Disable a source for this run.", valueName: "id"))
    var disabled: [String] = []

    @Option(name: .customLong("log-level"), help: "trace, debug, info, notice, warning, error or critical.")
    var logLevel: String = "notice"

    var environment: [String: String] { ProcessInfo.processInfo.environment }

    var homePath: String {
        let path = home ?? environment["HOME"] ?? NSHomeDirectory()
        return URL(fileURLWithPath: path).standardizedFileURL.path
    }

    /// The machine's id the device id is derived from: `SENSOR_MACHINE_ID` (for images without
    /// one), else the platform's own.
    var machineID: String? {
        if let id = environment["SENSOR_MACHINE_ID"], !id.isEmpty { return id }
        return MachineID.current()
    }

    var template: PathTemplate { PathTemplate(home: homePath, environment: environment) }

    var stateDirectoryURL: URL {
        if let stateDirectory { return URL(fileURLWithPath: stateDirectory) }
        #if os(macOS)
        return URL(fileURLWithPath: homePath).appendingPathComponent("Library/Application Support/session-sensor")
        #else
        if home == nil, let xdg = environment["XDG_STATE_HOME"], !xdg.isEmpty {
            return URL(fileURLWithPath: xdg).appendingPathComponent("session-sensor")
        }
        return URL(fileURLWithPath: homePath).appendingPathComponent(".local/state/session-sensor")
        #endif
    }

    /// The user's own declarations directory.
    var userSourcesDirectory: URL {
        URL(fileURLWithPath: homePath).appendingPathComponent(".config/session-sensor/sources.d")
    }

    func makeLogger(_ label: String = "sensor") -> Logger {
        let level = Logger.Level(rawValue: logLevel) ?? .notice
        LoggingSystem.bootstrap { name in
            var handler = StreamLogHandler.standardError(label: name)
            handler.logLevel = level
            return handler
        }
        return Logger(label: label)
    }

    /// Loads every config layer. The server layer is the given file, else the cached
    /// last-known-good document.
    func loadConfig(serverDocument: (data: Data, origin: String)? = nil) throws -> EffectiveConfig {
        var loader = ConfigLoader()
        if sourcesDirectories.isEmpty {
            loader.builtInSources = BuiltInDeclarations.sources
            if FileManager.default.fileExists(atPath: userSourcesDirectory.path) {
                loader.sourceDirectories = [userSourcesDirectory]
            }
        } else {
            loader.sourceDirectories = sourcesDirectories.map { URL(fileURLWithPath: $0) }
        }
        if let serverConfig {
            let url = URL(fileURLWithPath: serverConfig)
            guard let data = FileManager.default.contents(atPath: url.path) else {
                throw ValidationError("cannot read --server-config \(serverConfig)")
            }
            loader.serverDocument = (data, url.path)
        } else if let serverDocument {
            loader.serverDocument = serverDocument
        }
        loader.overrides = overrides
        loader.disabledSources = disabled
        return loader.load()
    }
}
