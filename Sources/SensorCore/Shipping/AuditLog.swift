import Foundation

/// `audit.ndjson` in the state directory: one line per batch the server acknowledged, so the
/// person at the laptop can see what left it (`sensor audit`). Append-only; past 32 MiB it
/// moves to `audit.ndjson.1` (one generation kept) and starts again.
///
/// A line: `{"at","batch_id","endpoint","envelopes","bytes","sources":{id:count},"files":[…],
/// "answer":{"status","accepted","duplicates","rejected"}}`. Files are the envelopes' locator
/// paths (`~`-relative), never record contents.
public struct AuditLog: Sendable {
    public let url: URL
    /// The server the batches went to, as written in each entry.
    public let endpoint: String
    public static let rotateBytes = 32 << 20

    public init(stateDirectory: URL, endpoint: String = "") {
        url = stateDirectory.appendingPathComponent("audit.ndjson")
        self.endpoint = endpoint
    }

    /// One acknowledged batch.
    public struct Entry: Codable, Sendable, Equatable {
        public struct Answer: Codable, Sendable, Equatable {
            public var status: Int
            public var accepted: Int
            public var duplicates: Int
            public var rejected: Int
        }

        public var at: String
        public var batch_id: String
        public var endpoint: String
        public var envelopes: Int
        /// Gzipped bytes on the wire.
        public var bytes: Int
        public var sources: [String: Int]
        public var files: [String]
        public var answer: Answer
    }

    public func append(_ entry: Entry) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        var line = try encoder.encode(entry)
        line.append(0x0A)
        let manager = FileManager.default
        if let size = (try? manager.attributesOfItem(atPath: url.path))?[.size] as? Int, size + line.count > Self.rotateBytes {
            let old = url.path + ".1"
            unlink(old)
            rename(url.path, old)
        }
        let descriptor = open(url.path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else { throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: url.path]) }
        defer { close(descriptor) }
        let written = line.withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) }
        guard written == line.count else { throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: url.path]) }
    }

    /// Every entry at or after `since` (ISO 8601 strings compare in time order), oldest first,
    /// the rotated generation included.
    public func entries(since: String? = nil) throws -> [Entry] {
        let decoder = JSONDecoder()
        var entries: [Entry] = []
        for path in [url.path + ".1", url.path] {
            guard let data = FileManager.default.contents(atPath: path) else { continue }
            for (number, line) in data.split(separator: 0x0A).enumerated() {
                guard let entry = try? decoder.decode(Entry.self, from: Data(line)) else {
                    throw CocoaError(.fileReadCorruptFile, userInfo: [NSFilePathErrorKey: "\(path):\(number + 1)"])
                }
                if let since, entry.at < since { continue }
                entries.append(entry)
            }
        }
        return entries
    }

    /// The locator path of an envelope written by ``EnvelopeWriter`` (its field order is fixed:
    /// the locator, and in it the path, come before the record).
    static func locatorPath(_ envelope: ArraySlice<UInt8>) -> String? {
        EnvelopeFields.string(after: #""locator":{"path":""#, in: envelope)
    }
}
