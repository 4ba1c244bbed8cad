import Foundation
import Testing
@testable import SensorModel

/// Layers merge per source id, field by field, and every value knows its layer.
@Suite struct LayeringTests {
    func directory(_ files: [String: String]) throws -> URL {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("layers-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        for (name, text) in files {
            try text.write(to: directory.appendingPathComponent(name), atomically: true, encoding: .utf8)
        }
        return directory
    }

    let base = """
    sources:
      - id: demo.log
        kind: demo.log
        roots: {default: ["~/.demo"], linux: ["~/.local/demo"]}
        include: ["*.jsonl"]
        format: jsonl
        offset: byte
        poll_interval: 5
      - id: demo.other
        kind: demo.other
        roots: {default: ["~/.other"]}
        include: ["*.jsonl"]
        format: jsonl
        offset: byte
    upload: {gzip_level: 4}
    """

    @Test func serverAndFlagsOverrideFieldByField() throws {
        var loader = ConfigLoader()
        loader.sourceDirectories = [try directory(["base.yaml": base]),
                                    try directory(["user.yaml": "sources:\n  - id: demo.log\n    priority: 7\n"])]
        let server = """
        {"version": "r42",
         "sources": [
           {"id": "demo.log", "poll_interval": 30, "roots": {"macos": ["~/Library/Demo"]}},
           {"id": "demo.other", "enabled": false},
           {"id": "demo.new", "kind": "demo.new", "roots": {"default": ["~/.new"]}, "include": ["*.json"],
            "format": "json", "offset": "snapshot"}],
         "redaction": {"rules": [{"name": "internal", "prefix": "itk_", "pattern": "itk_[a-z0-9]{8,}"}]}}
        """
        loader.serverDocument = (Data(server.utf8), "server")
        loader.overrides = ["demo.log:max_record_bytes=4096", "upload.batch_max_records=10"]
        let config = loader.load()
        #expect(config.problems.isEmpty, "\(config.problems)")

        let source = try #require(config.source("demo.log"))
        #expect(source.priority == 7)
        #expect(source.pollInterval == 30)
        #expect(source.maxRecordBytes == 4096)
        #expect(source.roots.linux == ["~/.local/demo"])  // kept from the local file
        #expect(source.roots.macOS == ["~/Library/Demo"])  // added by the server
        #expect(config.source("demo.other")?.enabled == false)
        #expect(config.source("demo.new")?.format == .json)
        #expect(config.runnableSources.map(\.id) == ["demo.new", "demo.log"])  // priority 100 before 7
        #expect(config.settings.upload.gzipLevel == 4)
        #expect(config.settings.upload.batchMaxRecords == 10)
        #expect(config.settings.redactionRules.map(\.name) == ["internal"])
        #expect(config.settings.serverConfigVersion == "r42")

        let origins = try #require(config.provenance["demo.log"])
        #expect(origins["priority"]?.layer == .local)
        #expect(origins["priority"]?.location.file.hasSuffix("user.yaml") == true)
        #expect(origins["poll_interval"]?.layer == .server)
        #expect(origins["max_record_bytes"]?.layer == .flags)
        #expect(origins["format"]?.layer == .local)
        #expect(origins["format"]?.location.line == 6)
    }

    @Test func embeddedResourcesMatchTheRepository() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        for (name, text) in EmbeddedSchemas.schemas {
            #expect(try String(contentsOf: root.appendingPathComponent("schemas/\(name)"), encoding: .utf8) == text + "\n"
                    || String(contentsOf: root.appendingPathComponent("schemas/\(name)"), encoding: .utf8) == text,
                    "schemas/\(name) changed: run scripts/embed-resources.py")
        }
    }

    /// A source that `extends` another takes its format (reader settings, offset, fields) and
    /// lays its own over it, but never where the parent's files are, what they are called or
    /// whether the parent is on; an unknown or circular `extends` is refused at the field.
    @Test func aSourceExtendsAnothersFormatButNotItsPlaceNameOrSwitch() throws {
        var loader = ConfigLoader()
        loader.sourceDirectories = [try directory(["base.yaml": base, "fork.yaml": """
            sources:
              - id: fork.log
                name: Fork logs
                kind: fork.log
                extends: demo.log
                roots: {default: ["~/.fork"]}
                include: ["*.log.jsonl"]
                max_record_bytes: 2048
            """])]
        loader.disabledSources = ["demo.log"]
        let config = loader.load()
        #expect(config.problems.isEmpty, "\(config.problems)")
        let fork = try #require(config.source("fork.log"))
        #expect(fork.format == .jsonl && fork.offset == .byte && fork.pollInterval == 5, "the parent's format")
        #expect(fork.include == ["*.log.jsonl"], "its own files")
        #expect(fork.maxRecordBytes == 2048 && fork.kind == "fork.log" && fork.roots.all == ["~/.fork"], "its own fields")
        #expect(fork.roots.linux == nil, "the parent's Linux folder is the parent's: \(fork.roots)")
        #expect(fork.enabled && config.source("demo.log")?.enabled == false, "switching the parent off leaves the fork on")
        #expect(config.provenance["fork.log"]?["format"]?.location.file.hasSuffix("base.yaml") == true, "\(config.provenance["fork.log"] ?? [:])")

        var broken = ConfigLoader()
        broken.sourceDirectories = [try directory(["base.yaml": base, "fork.yaml": """
            sources:
              - {id: fork.a, kind: fork.a, extends: demo.lgo, roots: {default: ["~/.a"]}, include: ["*.jsonl"]}
              - {id: fork.b, kind: fork.b, extends: fork.c, roots: {default: ["~/.b"]}, include: ["*.jsonl"]}
              - {id: fork.c, kind: fork.c, extends: fork.b, roots: {default: ["~/.c"]}, include: ["*.jsonl"]}
            """])]
        let problems = broken.load().problems.map(\.description)
        #expect(problems.contains { $0.contains("fork.yaml:2:") && $0.contains("fork.a.extends: no source 'demo.lgo' to extend; did you mean 'demo.log'?") },
                "\(problems)")
        #expect(problems.contains { $0.contains("extends itself: fork.b → fork.c → fork.b") }, "\(problems)")

        var incomplete = ConfigLoader()
        incomplete.sourceDirectories = [try directory(["base.yaml": base, "fork.yaml": """
            sources:
              - {id: fork.d, kind: fork.d, extends: demo.log, roots: {default: ["~/.d"]}}
            """])]
        let missing = incomplete.load().problems.map(\.description)
        #expect(missing.contains { $0.contains("fork.yaml:2:") && $0.contains("fork.d.include: required field is missing") }, "named where the fork is: \(missing)")

        // A server's document may add a fork of a source the laptops declare; a typo in its own is still refused.
        let served = #"{"sources": [{"id": "fork.e", "kind": "fork.e", "extends": "opencode.messages", "roots": {"default": ["~/.e"]}, "include": ["e.db"]}]}"#
        #expect(ConfigLoader.validateServerDocument(Data(served.utf8), origin: "server").isEmpty)
        let cyclic = #"{"sources": [{"id": "fork.f", "kind": "fork.f", "extends": "fork.f", "roots": {"default": ["~/.f"]}, "include": ["f.db"]}]}"#
        #expect(ConfigLoader.validateServerDocument(Data(cyclic.utf8), origin: "server").contains { $0.contains("extends itself") })
    }
}
