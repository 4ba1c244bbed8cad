import Foundation

/// Every line of every JSONL fixture, and every JSON fixture whole, with the file it came from.
enum FixtureJSON {
    static func texts() throws -> [(file: String, text: String)] {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../../../shared/fixtures")
        var texts: [(file: String, text: String)] = []
        for case let url as URL in FileManager.default.enumerator(at: root, includingPropertiesForKeys: nil)!
        where ["jsonl", "json"].contains(url.pathExtension) {
            let text = try String(contentsOf: url, encoding: .utf8)
            for piece in url.pathExtension == "jsonl" ? text.split(separator: "\n").map(String.init) : [text] {
                texts.append((url.lastPathComponent, piece))
            }
        }
        return texts
    }
}
