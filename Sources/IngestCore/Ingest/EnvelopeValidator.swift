import Foundation

/// Checks one envelope against the rules of `schemas/envelope.schema.json` (schema version 1),
/// by hand, so a bad envelope is named with a precise reason and the rest of its batch is kept.
public enum EnvelopeValidator {
    static let fields: Set<String> = ["schema_version", "id", "source", "kind", "device", "sensor", "collected_at", "locator",
                                      "encoding", "record", "columns", "flags"]
    static let required = ["schema_version", "id", "source", "kind", "device", "sensor", "collected_at", "locator",
                           "encoding", "record"]
    static let locatorFields: Set<String> = ["path", "file_id", "device_inode", "offset", "length", "cursor", "key", "content_hash"]
    static let flagFields: Set<String> = ["truncated", "original_length", "redactions", "nul_stripped", "not_json"]
    static let columnEncodings: Set<String> = ["json", "text", "base64", "integer", "real", "null"]

    /// The envelope's metadata, or the reason it is refused. `id` is returned when it could be read.
    public static func validate(_ bytes: [UInt8]) -> Result<ReceivedEnvelope, Rejection> {
        guard let object = (try? JSONSerialization.jsonObject(with: Data(bytes))) as? [String: Any] else {
            return .failure(Rejection(id: nil, reason: "not a JSON object"))
        }
        let id = object["id"] as? String
        func reject(_ reason: String) -> Result<ReceivedEnvelope, Rejection> { .failure(Rejection(id: id, reason: reason)) }

        for name in required where object[name] == nil { return reject("missing \(name)") }
        if let unknown = object.keys.sorted().first(where: { !fields.contains($0) }) { return reject("unknown field \(unknown)") }
        guard let version = object["schema_version"] as? NSNumber, version.doubleValue == 1 else {
            return reject("schema_version must be 1")
        }
        guard let id, id.count == 32, id.utf8.allSatisfy({ ("0"..."9").contains(Character(UnicodeScalar($0))) || ("a"..."f").contains(Character(UnicodeScalar($0))) }) else {
            return reject("id must be 32 lower-case hex digits")
        }
        var strings: [String: String] = [:]
        for name in ["source", "kind", "device", "sensor", "collected_at"] {
            guard let value = object[name] as? String, !value.isEmpty, value.count <= 200 else {
                return reject("\(name) must be a non-empty string of at most 200 characters")
            }
            strings[name] = value
        }
        guard isTimestamp(strings["collected_at"]!) else { return reject("collected_at must be RFC 3339 UTC (…Z)") }
        guard let locator = object["locator"] as? [String: Any] else { return reject("locator must be an object") }
        if let unknown = locator.keys.sorted().first(where: { !locatorFields.contains($0) }) { return reject("unknown locator field \(unknown)") }
        for name in ["offset", "length"] where locator[name] != nil {
            guard let number = locator[name] as? NSNumber, number.int64Value >= 0,
                  number.doubleValue == Double(number.int64Value) else { return reject("locator.\(name) must be a non-negative integer") }
        }
        for name in ["path", "file_id", "device_inode", "key", "content_hash"] where locator[name] != nil {
            guard locator[name] is String else { return reject("locator.\(name) must be a string") }
        }
        guard let encoding = object["encoding"] as? String else { return reject("encoding must be a string") }
        let record = object["record"]!
        switch encoding {
        case "json":
            break
        case "text":
            guard record is String else { return reject("record must be a string when encoding is text") }
        case "base64":
            guard let text = record as? String, Data(base64Encoded: text) != nil else {
                return reject("record must be base64 when encoding is base64")
            }
        case "row":
            guard record is [String: Any] else { return reject("record must be an object when encoding is row") }
            guard let columns = object["columns"] as? [String: Any] else { return reject("columns required when encoding is row") }
            for (name, value) in columns {
                guard let kind = value as? String, columnEncodings.contains(kind) else { return reject("columns.\(name) is not a column encoding") }
            }
        default:
            return reject("encoding must be json, text, base64 or row")
        }
        if let flags = object["flags"] {
            guard let flags = flags as? [String: Any] else { return reject("flags must be an object") }
            if let unknown = flags.keys.sorted().first(where: { !flagFields.contains($0) }) { return reject("unknown flag \(unknown)") }
        }
        return .success(ReceivedEnvelope(id: id, source: strings["source"]!, kind: strings["kind"]!, device: strings["device"]!,
                                         bytes: bytes))
    }

    static func isTimestamp(_ text: String) -> Bool {
        text.range(of: #"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$"#, options: .regularExpression) != nil
    }

    /// Why one envelope was refused.
    public struct Rejection: Error, Sendable, Codable, Equatable {
        public var id: String?
        public var reason: String
    }
}
