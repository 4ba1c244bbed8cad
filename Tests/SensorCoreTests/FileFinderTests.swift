import Foundation
import SensorModel
import Testing
@testable import SensorCore

/// Discovery on a real directory tree: globs, excludes, hard links and the order files come in.
@Suite struct FileFinderTests {
    static let yaml = """
    sources:
      - id: t.log
        kind: t.log
        roots: {default: ["~/tool"]}
        include: ["projects/**/*.jsonl"]
        exclude: ["agent-*.jsonl", "projects/skip/*.jsonl"]
        format: jsonl
        offset: byte
    """

    func found(_ engine: EngineHarness) -> [String] {
        let finder = FileFinder(template: PathTemplate(home: engine.home.path, environment: [:]))
        return finder.files(for: engine.config.runnableSources[0]).map { String($0.path.dropFirst(engine.home.path.count + 1)) }
    }

    @Test func excludesByNameAndByPathAndPathOrder() throws {
        let engine = try EngineHarness(Self.yaml)
        for path in ["tool/projects/b/y.jsonl", "tool/projects/b-c/x.jsonl", "tool/projects/a/agent-1.jsonl",
                     "tool/projects/a/s.jsonl", "tool/projects/a/deep/er/t.jsonl", "tool/projects/skip/z.jsonl",
                     "tool/projects/a/notes.txt", "tool/other/o.jsonl"] {
            try engine.write(path, "{}\n")
        }
        // "b-c/…" sorts before "b/…" as a path ('-' < '/'), though the walk lists "b" first.
        #expect(found(engine) == ["tool/projects/a/deep/er/t.jsonl", "tool/projects/a/s.jsonl",
                                  "tool/projects/b-c/x.jsonl", "tool/projects/b/y.jsonl"])
    }

    @Test func aHardLinkedFileIsFoundOnce() throws {
        let engine = try EngineHarness(Self.yaml)
        try engine.write("tool/projects/a/s.jsonl", "{}\n")
        #expect(link(engine.url("tool/projects/a/s.jsonl").path, engine.url("tool/projects/a/t.jsonl").path) == 0)
        #expect(found(engine) == ["tool/projects/a/s.jsonl"])
    }

    @Test func aDirectorySymlinkIsNotFollowedUnlessDeclaredAndNeverOutOfTheRoot() throws {
        let engine = try EngineHarness(Self.yaml)
        try engine.write("elsewhere/e.jsonl", "{}\n")
        try FileManager.default.createDirectory(at: engine.url("tool/projects"), withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(at: engine.url("tool/projects/link"), withDestinationURL: engine.url("elsewhere"))
        #expect(found(engine) == [])
        // Declared, a link is followed, but only to a target inside the source's root.
        let following = try EngineHarness(Self.yaml + "\n    follow_symlinks: true\n")
        try following.write("elsewhere/e.jsonl", "{}\n")
        try following.write("tool/kept/k.jsonl", "{}\n")
        try FileManager.default.createDirectory(at: following.url("tool/projects"), withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(at: following.url("tool/projects/link"), withDestinationURL: following.url("elsewhere"))
        try FileManager.default.createSymbolicLink(at: following.url("tool/projects/inside"), withDestinationURL: following.url("tool/kept"))
        #expect(found(following) == ["tool/projects/inside/k.jsonl"])
    }
}
