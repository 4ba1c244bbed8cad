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

    @Option(name: .customLong("policy"),
            help: ArgumentHelp("A local policy file, combined with /etc/session-sensor/policy.yaml and ~/.config/session-sensor/policy.yaml (the strictest wins).", valueName: "file"))
    var policyFile: String?

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

    /// The local policy files, strictest first: the system's, the person's, then `--policy`.
    var policyFiles: [URL] {
        LocalPolicy.standardLocations(home: homePath) + (policyFile.map { [URL(fileURLWithPath: $0)] } ?? [])
    }

    /// The combined local policy and the problems of its files.
    func loadPolicy() -> (LocalPolicy, [ConfigProblem]) {
        var (policy, problems) = LocalPolicy.load(policyFiles)
        problems += policy.loadRules(home: homePath, keepingCopiesIn: stateDirectoryURL.appendingPathComponent("policy"))
        if let policyFile, !FileManager.default.fileExists(atPath: policyFile) {
            problems.append(ConfigProblem(SourceLocation(file: policyFile), field: "", "policy file does not exist"))
        }
        return (policy, problems)
    }

    /// Loads every config layer under the local policy. The server layer is `--server-config`,
    /// else the document given (just fetched), else the cached last-known-good one, so that
    /// `--dry-run` and `--validate-config` show what a running sensor really applies. A policy
    /// file that cannot be read keeps the server layer out altogether (it fails closed).
    func loadConfig(serverDocument: (data: Data, origin: String)? = nil, checkBuiltIn: Bool = false) throws -> EffectiveConfig {
        // The built-in declarations and schemas, parsed by an earlier run, are read back from here.
        ParsedDocumentCache.directory = stateDirectoryURL.appendingPathComponent("compiled")
        let (policy, policyProblems) = loadPolicy()
        var loader = ConfigLoader()
        loader.policy = (policy, template)
        if sourcesDirectories.isEmpty {
            loader.builtInSources = BuiltInDeclarations.sources
            loader.builtInSourcesCheckedAtBuild = !checkBuiltIn
            if FileManager.default.fileExists(atPath: userSourcesDirectory.path) {
                loader.sourceDirectories = [userSourcesDirectory]
            }
        } else {
            loader.sourceDirectories = sourcesDirectories.map { URL(fileURLWithPath: $0) }
        }
        var problems = policyProblems
        if let serverConfig {
            let url = URL(fileURLWithPath: serverConfig)
            guard let data = FileManager.default.contents(atPath: url.path) else {
                throw ValidationError("cannot read --server-config \(serverConfig)")
            }
            loader.serverDocument = (data, url.path)
            if let key = policy.serverConfigPublicKey {
                let signature = try? String(contentsOfFile: url.path + ".sig", encoding: .utf8)
                if case .failure(let problem) = ServerConfigSignature.verify(data, signature: signature, publicKey: key) {
                    problems.append(ConfigProblem(SourceLocation(file: url.path), field: "",
                                                  "server config rejected whole: \(problem.description) (\(url.path).sig)"))
                    loader.serverDocument = nil
                }
            }
        } else if let serverDocument {
            loader.serverDocument = serverDocument
        } else {
            loader.serverDocument = ServerConfigCache(directory: stateDirectoryURL, publicKey: policy.serverConfigPublicKey).cached()
        }
        if !policyProblems.isEmpty && loader.serverDocument != nil {
            loader.serverDocument = nil
            problems.append(ConfigProblem(SourceLocation(file: "local policy"), field: "",
                                          "the server's sensor-config is not applied while the local policy cannot be read"))
        }
        loader.overrides = overrides
        loader.disabledSources = disabled
        var config = loader.load()
        config.settings.compiledCacheDirectory = stateDirectoryURL.appendingPathComponent("compiled").path
        config.problems = problems + config.problems
        return config
    }
}
