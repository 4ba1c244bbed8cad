import Foundation
import SensorModel

/// A batch as received: its id, the sensor that sent it, and each envelope's own bytes.
public struct DecodedBatch: Sendable {
    public var batchID: String
    public var device: String?
    /// Each element of `records`, sliced out of the body exactly as received.
    public var records: [[UInt8]]
}

/// Why a request body is refused as a whole.
public enum BatchError: Error, Equatable, CustomStringConvertible {
    case notGzip
    case tooLarge(limit: Int)
    case malformed(String)

    public var description: String {
        switch self {
        case .notGzip: return "body is not valid gzip"
        case .tooLarge(let limit): return "inflated body exceeds \(limit) bytes"
        case .malformed(let reason): return "malformed batch: \(reason)"
        }
    }
}

/// Reads a batch body without re-encoding anything: the envelopes are stored as the sensor
/// sent them.
public enum BatchDecoder {
    /// Inflates (when gzip) within `limit` and splits the batch.
    public static func decode(body: [UInt8], gzip: Bool, inflatedLimit: Int) throws(BatchError) -> DecodedBatch {
        var json = body
        if gzip {
            switch Gzip.decompress(body, limit: inflatedLimit) {
            case .bytes(let inflated): json = inflated
            case .exceedsLimit: throw .tooLarge(limit: inflatedLimit)
            case .invalid: throw .notGzip
            }
        } else if body.count > inflatedLimit {
            throw .tooLarge(limit: inflatedLimit)
        }
        let result: Result<DecodedBatch, BatchError> = json.withUnsafeBytes { raw in
            do throws(BatchError) { return .success(try split(raw)) } catch { return .failure(error) }
        }
        return try result.get()
    }

    /// Finds `batch_id`, `sensor.device` and the element ranges of `records` in one pass.
    static func split(_ bytes: UnsafeRawBufferPointer) throws(BatchError) -> DecodedBatch {
        var index = JSONScanner.skipWhitespace(bytes, from: 0)
        guard index < bytes.count, bytes[index] == UInt8(ascii: "{") else { throw .malformed("not a JSON object") }
        index += 1
        var batchID: String?
        var device: String?
        var records: [[UInt8]]?
        while true {
            index = JSONScanner.skipWhitespace(bytes, from: index)
            guard index < bytes.count else { throw .malformed("truncated") }
            if bytes[index] == UInt8(ascii: "}") { break }
            if bytes[index] == UInt8(ascii: ",") {
                index += 1
                continue
            }
            guard let keyEnd = JSONScanner.scanValue(bytes, from: index), bytes[index] == UInt8(ascii: "\"") else {
                throw .malformed("expected a key at byte \(index)")
            }
            let key = String(decoding: UnsafeRawBufferPointer(rebasing: bytes[(index + 1)..<(keyEnd - 1)]), as: UTF8.self)
            index = JSONScanner.skipWhitespace(bytes, from: keyEnd)
            guard index < bytes.count, bytes[index] == UInt8(ascii: ":") else { throw .malformed("expected ':' after \(key)") }
            let valueStart = JSONScanner.skipWhitespace(bytes, from: index + 1)
            guard let valueEnd = JSONScanner.scanValue(bytes, from: valueStart) else {
                throw .malformed("invalid JSON in \(key)")
            }
            let value = UnsafeRawBufferPointer(rebasing: bytes[valueStart..<valueEnd])
            switch key {
            case "records":
                records = try elements(of: value)
            case "batch_id":
                batchID = (try? JSONSerialization.jsonObject(with: Data(value), options: .fragmentsAllowed)) as? String
            case "sensor":
                let object = (try? JSONSerialization.jsonObject(with: Data(value))) as? [String: Any]
                device = object?["device"] as? String
            default:
                break
            }
            index = valueEnd
        }
        guard let records else { throw .malformed("no records array") }
        return DecodedBatch(batchID: batchID ?? "", device: device, records: records)
    }

    static func elements(of array: UnsafeRawBufferPointer) throws(BatchError) -> [[UInt8]] {
        guard array.first == UInt8(ascii: "[") else { throw .malformed("records is not an array") }
        var elements: [[UInt8]] = []
        var index = 1
        while true {
            index = JSONScanner.skipWhitespace(array, from: index)
            guard index < array.count else { throw .malformed("truncated records") }
            switch array[index] {
            case UInt8(ascii: "]"):
                return elements
            case UInt8(ascii: ","):
                index += 1
            default:
                guard let end = JSONScanner.scanValue(array, from: index) else { throw .malformed("invalid record") }
                elements.append(Array(UnsafeRawBufferPointer(rebasing: array[index..<end])))
                index = end
            }
        }
    }
}
