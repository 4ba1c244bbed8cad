import Foundation

/// `../shared` beside the repository: the fixtures of real tools' files, the corpus generator,
/// the Python peer and the benchmark sink. Not part of the repository; a test that needs it and
/// does not find it fails on its own with one line that says what is missing and where it was
/// looked for.
public enum SharedFolder {
    public static var root: URL {
        FixtureHome.repositoryRoot.deletingLastPathComponent().appendingPathComponent("shared")
    }

    public struct Missing: Error, CustomStringConvertible {
        public var description: String
        public init(description: String) { self.description = description }
    }

    /// `relative` (e.g. `tools/gen_corpus.py`) in the shared folder, or a ``Missing`` error.
    public static func require(_ relative: String) throws -> URL {
        let url = root.appendingPathComponent(relative)
        guard FileManager.default.fileExists(atPath: url.path) else {
            throw Missing(description: "this test needs ../shared/\(relative) (looked for at \(url.standardizedFileURL.path)): "
                          + "the shared folder of fixtures and tools sits beside the repository; see README, Tests")
        }
        return url
    }
}
