import Foundation
import Logging

/// `quarantine.ndjson` in the state directory: envelopes the server rejected one by one (by
/// id, with a reason), kept so that nothing is lost and sent again by `sensor quarantine replay`
/// once the reason is fixed.
///
/// Each line is `{"quarantined_at":…,"status":…,"reason":…,"envelope":ENVELOPE}`, the envelope
/// byte for byte as it was sent.
public struct QuarantineFile: Sendable {
    public let url: URL

    public init(stateDirectory: URL) {
        url = stateDirectory.appendingPathComponent("quarantine.ndjson")
    }

    /// One quarantined envelope.
    public struct Entry: Sendable {
        public var quarantinedAt: String
        public var status: Int
        public var reason: String
        public var id: String
        public var source: String
        public var path: String?
        /// The envelope, byte for byte as sent.
        public var envelope: [UInt8]
    }

    public struct Problem: Error, CustomStringConvertible {
        public var description: String
    }

    /// Every entry, in the order quarantined; a line that cannot be read is named by number.
    public func entries() throws -> [Entry] {
        guard let data = FileManager.default.contents(atPath: url.path) else { return [] }
        let marker = Array(#","envelope":"#.utf8)
        var entries: [Entry] = []
        for (number, line) in data.split(separator: 0x0A).enumerated() {
            let bytes = Array(line)
            guard let object = try? JSONSerialization.jsonObject(with: Data(bytes)) as? [String: Any],
                  let envelope = object["envelope"] as? [String: Any],
                  let range = bytes.firstRange(of: marker), bytes.last == UInt8(ascii: "}") else {
                throw Problem(description: "\(url.path):\(number + 1): not a quarantine entry")
            }
            // The keys before `envelope` are strings and numbers written by the shipper, so the
            // first `,"envelope":` outside a string is this one.
            let raw = Array(bytes[range.upperBound..<(bytes.count - 1)])
            entries.append(Entry(quarantinedAt: object["quarantined_at"] as? String ?? "", status: object["status"] as? Int ?? 0,
                                 reason: object["reason"] as? String ?? "", id: envelope["id"] as? String ?? "",
                                 source: envelope["source"] as? String ?? "",
                                 path: (envelope["locator"] as? [String: Any])?["path"] as? String, envelope: raw))
        }
        return entries
    }

    /// Sends every entry again through a shipper: what the server now accepts (or already has)
    /// leaves the file; what it rejects again stays, with its new reason. Returns both counts.
    public func replay(transport: any BatchTransport, identity: SensorIdentity, logger: Logger) async throws
        -> (resent: Int, stillRejected: Int)
    {
        let entries = try entries()
        guard !entries.isEmpty else { return (0, 0) }
        let next = url.deletingLastPathComponent().appendingPathComponent("quarantine.replay-\(getpid()).ndjson")
        try? FileManager.default.removeItem(at: next)
        var settings = Shipper.Settings()
        settings.failOnUnauthorized = true
        settings.failOnUnexpected = true
        let shipper = Shipper(settings: settings, transport: transport, identity: identity, state: CheckpointState(),
                              store: nil, quarantineURL: next,
                              audit: AuditLog(stateDirectory: url.deletingLastPathComponent(), endpoint: "quarantine replay"),
                              logger: logger)
        for entry in entries {
            var chunk = EnvelopeChunk()
            chunk.bytes = entry.envelope
            chunk.ends = [entry.envelope.count]
            chunk.sourceID = entry.source
            try await shipper.accept(chunk)
        }
        do {
            try await shipper.flush()
        } catch {
            try? FileManager.default.removeItem(at: next)
            throw error
        }
        let stats = await shipper.stats
        await shipper.stop()
        if FileManager.default.fileExists(atPath: next.path) {
            guard rename(next.path, url.path) == 0 else {
                throw Problem(description: "cannot replace \(url.path): \(String(cString: strerror(errno)))")
            }
        } else {
            try FileManager.default.removeItem(at: url)
        }
        return (stats.envelopesAcknowledged, stats.envelopesQuarantined)
    }
}
