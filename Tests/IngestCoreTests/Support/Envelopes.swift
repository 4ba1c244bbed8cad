import Foundation
import SensorModel

/// Valid envelopes and batches as a sensor sends them (docs/wire-format.md), to reuse in tests.
enum Envelopes {
    /// A random envelope id: 32 lower-case hex digits.
    static func randomID() -> String {
        (0..<16).map { _ in String(format: "%02x", UInt8.random(in: 0...255)) }.joined()
    }

    /// One valid envelope's JSON text. `record` is raw JSON (a string literal for text and base64);
    /// `extra` is appended as more top-level members (`"columns":{…}` for rows, or to break a rule).
    static func make(id: String = randomID(), source: String = "test.transcripts", kind: String = "test.transcript",
                     device: String = "d-test", record: String = #"{"type":"user","n":1}"#, encoding: String = "json",
                     collectedAt: String = "2026-11-24T19:02:03.120Z", extra: String = "") -> String {
        """
        {"schema_version":1,"id":"\(id)","source":"\(source)","kind":"\(kind)","device":"\(device)","sensor":"0.1.0",\
        "collected_at":"\(collectedAt)","locator":{"path":"~/.test/s.jsonl","file_id":"f1","offset":0,"length":21},\
        "encoding":"\(encoding)","record":\(record)\(extra.isEmpty ? "" : "," + extra)}
        """
    }

    /// `count` valid envelopes with fresh ids.
    static func many(_ count: Int, source: String = "test.transcripts") -> [String] {
        (0..<count).map { make(source: source, record: #"{"type":"assistant","n":\#($0)}"#) }
    }

    /// A batch body (not compressed) holding `envelopes` as they are.
    static func batch(_ envelopes: [String], id: String = randomID(), device: String = "d-test") -> [UInt8] {
        Array("""
            {"batch_id":"\(id)","sensor":{"device":"\(device)","version":"0.1.0","os":"linux","host":"test"},\
            "records":[\(envelopes.joined(separator: ","))]}
            """.utf8)
    }

    static func gzip(_ bytes: [UInt8]) -> [UInt8] {
        Gzip.compress(bytes, level: 6)
    }
}
