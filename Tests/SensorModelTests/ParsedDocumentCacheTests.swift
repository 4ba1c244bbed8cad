import Foundation
import SensorTestSupport
import Testing
@testable import SensorModel

/// The built-in declarations and schemas are parsed once and read back from the state
/// directory by the next process: what is read back must be the parse, location for location.
@Suite struct ParsedDocumentCacheTests {
    private func encoded(_ node: ConfigNode) -> [UInt8] {
        var bytes: [UInt8] = []
        NodeCoding.encode(node, into: &bytes)
        return bytes
    }

    private func builtInDocuments() throws -> [(file: String, text: String)] {
        let directory = FixtureHome.repositoryRoot.appendingPathComponent("sources.d")
        let names = try FileManager.default.contentsOfDirectory(atPath: directory.path).filter { $0.hasSuffix(".yaml") }.sorted()
        let declarations = try names.map { ("built-in sources.d/\($0)", try String(contentsOf: directory.appendingPathComponent($0), encoding: .utf8)) }
        return declarations + EmbeddedSchemas.schemas.map { ("schemas/\($0.0)", $0.1) }
    }

    @Test func everyBuiltInDocumentReadBackIsItsParse() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("parsed-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        let documents = try builtInDocuments()
        #expect(documents.count > 25)
        for (file, text) in documents {
            let parsed = try ConfigParser.parse(text, file: file)
            let first = try ParsedDocumentCache.parse(text, file: file, directory: directory)
            let again = try ParsedDocumentCache.parse(text, file: file, directory: directory)
            #expect(encoded(first) == encoded(parsed), "\(file)")
            #expect(encoded(again) == encoded(parsed), "\(file) read back")
            #expect(again.location.file == file)
            #expect(again["sources"]?.elements.first?["id"]?.location == parsed["sources"]?.elements.first?["id"]?.location)
        }
        let kept = try FileManager.default.contentsOfDirectory(atPath: directory.path)
        #expect(kept.count == documents.count, "one file per document")

        // A declaration read back merges into the same config as one parsed from its text.
        let declarations = documents.filter { $0.file.hasPrefix("built-in") }
        let merged = ConfigMerger().merge([ConfigLayer(kind: .local, origin: "built-in", documents: try declarations.map {
            try ParsedDocumentCache.parse($0.text, file: $0.file, directory: directory)
        })])
        let direct = ConfigMerger().merge([ConfigLayer(kind: .local, origin: "built-in", documents: try declarations.map {
            try ConfigParser.parse($0.text, file: $0.file)
        })])
        #expect(merged.sources.count > 40)
        #expect(merged.sources == direct.sources)
        #expect(merged.problems.map(\.description) == direct.problems.map(\.description))
    }

    @Test func aTornOrForeignFileIsParsedAgainAndAnEditedTextIsNeverTakenForTheOld() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("parsed-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        let text = "sources:\n  - id: demo.log\n    format: jsonl\n    poll_interval: 5\n    ratio: 0.25\n    enabled: true\n    note: ~\n"
        let original = try ParsedDocumentCache.parse(text, file: "built-in sources.d/demo.yaml", directory: directory)
        let file = try #require(FileManager.default.contentsOfDirectory(at: directory, includingPropertiesForKeys: nil).first)
        let bytes = try Data(contentsOf: file)

        for damaged in [bytes.prefix(bytes.count / 2), Data(), bytes + Data([0]), Data("not a tree".utf8)] {
            try damaged.write(to: file)
            let node = try ParsedDocumentCache.parse(text, file: "built-in sources.d/demo.yaml", directory: directory)
            #expect(encoded(node) == encoded(original))
            #expect(try Data(contentsOf: file) == bytes, "written again whole")
        }

        let edited = text.replacingOccurrences(of: "poll_interval: 5", with: "poll_interval: 7")
        let node = try ParsedDocumentCache.parse(edited, file: "built-in sources.d/demo.yaml", directory: directory)
        #expect(node["sources"]?.elements.first?["poll_interval"]?.integer == 7)
        #expect(node["sources"]?.elements.first?["ratio"]?.number == 0.25)
        #expect(node["sources"]?.elements.first?["note"]?.typeName == "null")
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory.path).count == 2)

        // The same text under another name is another document (locations name their file).
        let renamed = try ParsedDocumentCache.parse(text, file: "built-in sources.d/other.yaml", directory: directory)
        #expect(renamed.location.file == "built-in sources.d/other.yaml")
    }
}

/// The built-in declarations are checked against the schema when the binary is built
/// (scripts/check-schemas.py, the tests): a scan trusts them instead of checking them again at
/// every start, and `--validate-config` still checks them. A user's own layer is always checked.
@Suite struct BuiltInLayerTrustTests {
    static let wrong = [("bad.yaml", "sources:\n  - {id: x.y, kind: x.y, roots: {default: [\"~/x\"]}, include: [\"*.jsonl\"], format: jsonl, offset: byte, priority: \"high\"}\n")]

    @Test func builtInDeclarationsAreCheckedOnlyWhenAsked() {
        var loader = ConfigLoader()
        loader.builtInSources = Self.wrong
        let checked = loader.load()
        #expect(checked.problems.map(\.description) == ["built-in sources.d/bad.yaml:2:114: x.y.priority: expected integer, found 'high'"])
        loader.builtInSourcesCheckedAtBuild = true
        let trusted = loader.load()
        #expect(trusted.problems.isEmpty, "not checked again: \(trusted.problems)")
        // A layer the user wrote is checked whatever the built-in one is trusted as.
        let merger = ConfigMerger()
        let document = try? ConfigParser.parse(Self.wrong[0].1, file: "sources.d/bad.yaml")
        let user = ConfigLayer(kind: .local, origin: "sources.d", documents: document.map { [$0] } ?? [])
        #expect(!merger.problems(in: user).isEmpty)
        var builtIn = user
        builtIn.checkedAtBuild = true
        #expect(merger.problems(in: builtIn).isEmpty)
    }
}
