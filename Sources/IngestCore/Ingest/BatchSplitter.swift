import Access
import Explorer
import IngestStore
import Normalization

/// A batch as received: its own bytes and where each envelope lies in them.
struct SplitBatch: Sendable {
    var batchID: String
    /// `sensor.device` of the batch: the sensor that sent it.
    var device: String
    /// What `sensor` says of its machine (its version, system, host name, account).
    var sensor: SensorInfo
    /// The inflated body.
    var bytes: [UInt8]
    /// Each element of `records`, as a range of `bytes`: the envelope exactly as sent.
    var records: [Range<Int>]
}

/// Splits a batch body (`{"batch_id":…,"sensor":{…},"records":[envelope, …]}`) into its
/// envelopes' byte ranges in one pass, without re-encoding anything: the store keeps each
/// envelope's bytes as the sensor sent them.
enum BatchSplitter {
    /// The longest `batch_id` (the sensor sends a UUID): it is kept with every envelope row.
    static let maxBatchIDBytes = 128
    /// Why a batch is malformed as a whole (400).
    struct Malformed: Error, Equatable, CustomStringConvertible {
        var description: String
        init(_ description: String) { self.description = description }
    }

    static func split(_ bytes: [UInt8]) throws(Malformed) -> SplitBatch {
        let result: Result<(String, SensorInfo, [Range<Int>]), Malformed> = bytes.withUnsafeBytes { body in
            do throws(Malformed) { return .success(try scan(body)) } catch { return .failure(error) }
        }
        let (batchID, sensor, records) = try result.get()
        return SplitBatch(batchID: batchID, device: sensor.device, sensor: sensor, bytes: bytes, records: records)
    }

    private static func scan(_ body: UnsafeRawBufferPointer) throws(Malformed) -> (String, SensorInfo, [Range<Int>]) {
        guard let members = JSONSlices.members(of: body) else { throw Malformed("not a JSON object") }
        var seen: Set<String> = []
        var batchID: String?
        var device: String?
        var sensor: SensorInfo?
        var records: [Range<Int>]?
        for member in members {
            guard seen.insert(member.key).inserted else { throw Malformed("duplicate field \(member.key)") }
            let value = UnsafeRawBufferPointer(rebasing: body[member.value])
            switch member.key {
            case "batch_id":
                guard JSONSlices.kind(value) == .string, let text = JSONSlices.string(value), !text.isEmpty,
                      text.utf8.count <= maxBatchIDBytes else {
                    throw Malformed("batch_id must be a string of 1 to \(maxBatchIDBytes) bytes")
                }
                batchID = text
            case "sensor":
                guard let fields = JSONSlices.members(of: value) else { throw Malformed("sensor must be an object") }
                for name in ["device", "version"] {
                    guard let field = fields.last(where: { $0.key == name }),
                          JSONSlices.kind(UnsafeRawBufferPointer(rebasing: value[field.value])) == .string else {
                        throw Malformed("sensor.\(name) must be a string")
                    }
                }
                let field = fields.last { $0.key == "device" }!
                device = JSONSlices.string(UnsafeRawBufferPointer(rebasing: value[field.value]))
                guard let device, device.utf8.count <= 200 else { throw Malformed("sensor.device must be at most 200 bytes") }
                // The rest describes the machine; a field that is not a string is left out.
                func text(_ name: String) -> String? {
                    guard let field = fields.last(where: { $0.key == name }) else { return nil }
                    let value = UnsafeRawBufferPointer(rebasing: value[field.value])
                    return JSONSlices.kind(value) == .string ? JSONSlices.string(value) : nil
                }
                sensor = SensorInfo(device: device, version: text("version") ?? "", os: text("os"), osVersion: text("os_version"),
                                    host: text("host"), user: text("user"))
            case "records":
                guard let elements = JSONSlices.elements(of: value) else { throw Malformed("records must be an array") }
                records = elements.map { ($0.lowerBound + member.value.lowerBound)..<($0.upperBound + member.value.lowerBound) }
            default:
                break  // other batch fields are the sensor's business
            }
        }
        guard let records else { throw Malformed("no records array") }
        guard let batchID else { throw Malformed("no batch_id") }
        guard device != nil, let sensor else { throw Malformed("no sensor") }
        return (batchID, sensor, records)
    }
}
