import ArgumentParser
import Foundation
import IngestCore
import IngestStore
import Normalization

/// `sensor-ingest normalizers validate|list`: the mappings of normalizers.d/ and an operator's own.
struct NormalizersCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "normalizers",
        abstract: "Check normaliser mappings (normalizers.d/) and list what each takes.",
        discussion: """
            sensor-ingest normalizers validate ./my-normalizers     # file:line:column: field: problem, exit 1 on any
            sensor-ingest serve --normalizers ./my-normalizers      # laid over the built-in mappings
            sensor-ingest reparse --normalizers ./my-normalizers    # applied to what is already stored
            """,
        subcommands: [Validate.self, List.self]
    )

    struct Validate: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Check a directory of mappings (or one file) with the built-in ones; exit 1 on any problem.")

        @Argument(help: ArgumentHelp("A directory of *.yaml mappings, or one mapping file.", valueName: "path"))
        var path: String

        func run() throws {
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
                throw ValidationError("\(path): no such file or directory")
            }
            let problems: [String]
            let count: Int
            if isDirectory.boolValue {
                let directory = URL(fileURLWithPath: path)
                problems = NormalizerRegistry.loading(directory: directory).1.map(\.description)
                count = try MappingCatalog.files(in: directory).count
            } else {
                let text = try String(contentsOfFile: path, encoding: .utf8)
                problems = MappingCatalog.mapping(text, file: path).1.map(\.description)
                count = 1
            }
            for problem in problems { print(problem) }
            guard problems.isEmpty else { throw ExitCode(1) }
            print("\(count) mapping file(s) valid")
        }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "The kinds each mapping takes (built-in, and a directory's).")

        @OptionGroup var normalizers: NormalizerOptions

        func run() throws {
            let (mappings, problems) = MappingCatalog.load(directory: normalizers.directory)
            for problem in problems { print(problem) }
            for mapping in mappings {
                if !mapping.readAs.isEmpty {
                    print("\(mapping.name): " + mapping.readAs.sorted { $0.key < $1.key }.map { "\($0.key) (read as \($0.value))" }.joined(separator: ", "))
                    continue
                }
                print("\(mapping.name): \(mapping.kinds.sorted().joined(separator: ", "))"
                      + (mapping.rawOnly.isEmpty ? "" : " (raw only: \(mapping.rawOnly.sorted().joined(separator: ", ")))"))
            }
            if !problems.isEmpty { throw ExitCode(1) }
        }
    }
}

/// `--normalizers DIR`: an operator's mappings laid over the built-in ones.
struct NormalizerOptions: ParsableArguments {
    @Option(name: .customLong("normalizers"),
            help: ArgumentHelp("A directory of normaliser mappings (*.yaml) laid over the built-in normalizers.d/ (serve: by default the --config directory's normalizers.d/).",
                               valueName: "dir"))
    var directoryPath: String?

    init() {}

    init(directoryPath: String?) {
        self.directoryPath = directoryPath
    }

    var directory: URL? { directoryPath.map { URL(fileURLWithPath: $0) } }

    /// The registry to normalise with; any problem in the directory is refused.
    func registry() throws -> NormalizerRegistry {
        guard let directory else { return .builtIn }
        let (registry, problems) = NormalizerRegistry.loading(directory: directory)
        guard problems.isEmpty else {
            throw ValidationError("--normalizers \(directory.path):\n" + problems.map(\.description).joined(separator: "\n"))
        }
        return registry
    }
}
