import Foundation
import Testing
@testable import SensorModel
import Yams

/// Every class of bad input names its file, line and field.
@Suite struct ConfigProblemTests {
    let validSource = """
    sources:
      - id: demo.log
        kind: demo.log
        roots: {default: ["~/.demo"]}
        include: ["logs/*.jsonl"]
        format: jsonl
        offset: byte
    """

    func load(_ files: [String: String]) throws -> (EffectiveConfig, URL) {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("cfg-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        for (name, text) in files {
            try text.write(to: directory.appendingPathComponent(name), atomically: true, encoding: .utf8)
        }
        var loader = ConfigLoader()
        loader.sourceDirectories = [directory]
        return (loader.load(), directory)
    }

    @Test func validDeclarationLoads() throws {
        let (config, _) = try load(["demo.yaml": validSource])
        #expect(config.problems.isEmpty, "\(config.problems)")
        let source = try #require(config.source("demo.log"))
        #expect(source.format == .jsonl)
        #expect(source.offset == .byte)
        #expect(source.include == ["logs/*.jsonl"])
        #expect(config.runnableSources.map(\.id) == ["demo.log"])
    }

    @Test func malformedYAMLNamesLineAndColumn() throws {
        let (config, directory) = try load(["bad.yaml": "sources:\n  - id: x\n    kind: [unclosed\n"])
        let problem = try #require(config.problems.first)
        #expect(problem.location.file == directory.appendingPathComponent("bad.yaml").path)
        #expect(problem.location.line == 4 || problem.location.line == 3)
        #expect(problem.reason.contains("malformed YAML"))
    }

    @Test func unknownFieldSuggestsTheNearestName() throws {
        let text = validSource + "\n    poll_intervall: 3\n"
        let (config, _) = try load(["demo.yaml": text])
        let problem = try #require(config.problems.first)
        #expect(problem.field == "demo.log.poll_intervall")
        #expect(problem.location.line == 8)
        #expect(problem.location.column == 5)
        #expect(problem.reason.contains("did you mean 'poll_interval'?"))
        #expect(config.runnableSources.isEmpty)
    }

    @Test func wrongTypeNamesTheField() throws {
        let text = validSource.replacingOccurrences(of: "offset: byte", with: "offset: byte\n    max_record_bytes: lots")
        let (config, _) = try load(["demo.yaml": text])
        let problem = try #require(config.problems.first)
        #expect(problem.field == "demo.log.max_record_bytes")
        #expect(problem.location.line == 8)
        #expect(problem.reason == "expected integer, found 'lots'")
    }

    @Test func unknownFormatAndStrategy() throws {
        let text = validSource.replacingOccurrences(of: "format: jsonl", with: "format: jsonlines")
            .replacingOccurrences(of: "offset: byte", with: "offset: bytes")
        let (config, _) = try load(["demo.yaml": text])
        let fields = config.problems.map { "\($0.location.line) \($0.field)" }
        #expect(fields.contains("6 demo.log.format"))
        #expect(fields.contains("7 demo.log.offset"))
        #expect(config.problems.contains { $0.reason.contains("did you mean 'jsonl'?") })
        #expect(config.problems.contains { $0.reason.contains("did you mean 'byte'?") })
    }

    @Test func duplicateIDsInOneDirectory() throws {
        let (config, directory) = try load(["a.yaml": validSource, "b.yaml": validSource])
        let problem = try #require(config.problems.first { $0.reason.hasPrefix("duplicate id") })
        #expect(problem.location.file == directory.appendingPathComponent("b.yaml").path)
        #expect(problem.location.line == 2)
        #expect(problem.field == "demo.log.id")
        #expect(problem.reason.contains("a.yaml:2:"))
    }

    @Test func cursorQueryWithoutCursorParameter() throws {
        let text = """
        sources:
          - id: demo.db
            kind: demo.row
            roots: {default: ["~/.demo"]}
            include: ["*.db"]
            format: sqlite
            offset: cursor
            sqlite:
              query: SELECT rowid, value FROM items ORDER BY rowid
        """
        let (config, _) = try load(["db.yaml": text])
        let problem = try #require(config.problems.first)
        #expect(problem.field == "demo.db.sqlite.query")
        #expect(problem.location.line == 9)
        #expect(problem.reason.contains(":cursor"))
    }

    @Test func globThatCannotMatch() throws {
        let text = validSource.replacingOccurrences(of: "logs/*.jsonl", with: "logs/a**.jsonl")
        let (config, _) = try load(["demo.yaml": text])
        let problem = try #require(config.problems.first)
        #expect(problem.field == "demo.log.include")
        #expect(problem.location.line == 5)
        #expect(problem.reason.contains("can never match"))
    }

    @Test func formatAndStrategyMustFit() throws {
        let text = validSource.replacingOccurrences(of: "offset: byte", with: "offset: snapshot")
        let (config, _) = try load(["demo.yaml": text])
        let problem = try #require(config.problems.first)
        #expect(problem.field == "demo.log.offset")
        #expect(problem.location.line == 7)
    }

    @Test func missingRequiredFieldAfterMerge() throws {
        let text = "sources:\n  - id: half.done\n    kind: x\n    format: jsonl\n"
        let (config, _) = try load(["half.yaml": text])
        let fields = Set(config.problems.map(\.field))
        #expect(fields.isSuperset(of: ["half.done.offset", "half.done.include", "half.done.roots"]))
        #expect(config.problems.allSatisfy { $0.location.line == 2 })
    }

    @Test func invalidServerDocumentIsRejectedWhole() throws {
        let server = #"{"sources": [{"id": "demo.log", "poll_interval": "fast"}], "upload": {"gzip_level": 3}}"#
        let (layer, problems) = ConfigLoader.serverLayer(Data(server.utf8), origin: "server sensor-config")
        #expect(layer == nil)
        let problem = try #require(problems.first)
        #expect(problem.description == "server sensor-config:1:50: demo.log.poll_interval: expected number, found 'fast'")
    }

    @Test func problemsPrintAsFileLineColumnFieldReason() {
        let problem = ConfigProblem(SourceLocation(file: "sources.d/x.yaml", line: 3, column: 5), field: "x.format", "bad")
        #expect(problem.description == "sources.d/x.yaml:3:5: x.format: bad")
    }

    /// The parser skips Yams' resolver for plain scalars that can only be strings; every scalar
    /// it skips must be one the resolver calls a string, and typed values still come out typed.
    @Test func plainScalarsSkippedByTheResolverAreStringsToIt() throws {
        var words = ["yes", "Yes", "YES", "no", "NO", "true", "True", "TRUE", "false", "FALSE", "on", "On", "off", "OFF",
                     "null", "Null", "NULL", "~", "", "<<", "=", "0", "-1", "+3", "0x1F", "0o17", "0b101", "1_000", "3.5", "-.5",
                     ".inf", "-.Inf", ".NaN", "1e3", "2026-12-06", "2026-12-06T21:00:00Z", "12:30:00", "190:20:30",
                     "claude-code.transcripts", "jsonl", "byte", "projects/*/*.jsonl", "~/.claude", "$HOME/x",
                     "a", "ab", "abcde", "abcdef", "yesno", "Nulls", "truely", "_x", "/etc", "*", "@scope", "[x", "é"]
        for first in ["", "a", "Z", "1", "."] { for last in ["", "x", "9", ":"] { words.append(first + "on" + last) } }
        for word in words where !ConfigParser.mayResolveToNonString(word) {
            let tag = Resolver.default.resolveTag(of: .scalar(.init(word)))
            #expect(tag == .str, "'\(word)' resolves to \(tag)")
        }
        let node = try ConfigParser.parse("a: yes\nb: 12\nc: 1.5\nd: ~\ne: positively\nf: 'no'\ng: off", file: "t.yaml")
        #expect(node["a"]?.bool == true)
        #expect(node["b"]?.integer == 12)
        #expect(node["c"]?.number == 1.5)
        #expect(node["d"]?.typeName == "null")
        #expect(node["e"]?.string == "positively")
        #expect(node["f"]?.string == "no")
        #expect(node["g"]?.bool == false)
    }
}
