import Foundation

/// The checkpoint file's JSON, written by hand for the file positions (thousands on a real
/// machine, written up to once a second while records flow, where `JSONEncoder` took ~40 ms
/// for 10,000) and by `JSONEncoder` for the few tables and documents. What it writes is what
/// `CheckpointState`'s `Decodable` conformance reads.
enum CheckpointEncoder {
    static func encode(_ state: CheckpointState, into bytes: inout [UInt8]) throws {
        bytes.reserveCapacity(256 + state.files.count * 320)
        bytes.append("{\"version\":")
        bytes.appendDecimal(state.version)
        bytes.append(",\"files\":{")
        var first = true
        for (key, position) in state.files {
            if !first { bytes.append(UInt8(ascii: ",")) }
            first = false
            bytes.appendJSONString(key)
            bytes.append(":{\"source\":")
            bytes.appendJSONString(position.source)
            bytes.append(",\"path\":")
            bytes.appendJSONString(position.path)
            bytes.append(",\"fingerprint\":")
            bytes.appendJSONString(position.fingerprint)
            bytes.append(",\"device\":")
            bytes.appendDecimal(position.device)
            bytes.append(",\"inode\":")
            bytes.appendDecimal(position.inode)
            bytes.append(",\"offset\":")
            bytes.appendDecimal(position.offset)
            if let logical = position.logical {
                bytes.append(",\"logical\":")
                bytes.appendDecimal(logical)
            }
            bytes.append(",\"size\":")
            bytes.appendDecimal(position.size)
            bytes.append(",\"modified\":")
            bytes.appendDecimal(position.modified)
            if let anchor = position.anchor {
                bytes.append(",\"anchor\":")
                bytes.appendJSONString(anchor)
            }
            bytes.append(",\"lastSeen\":")
            bytes.append(utf8: position.lastSeen.isFinite ? "\(position.lastSeen)" : "0")
            bytes.append(UInt8(ascii: "}"))
        }
        let encoder = JSONEncoder()
        bytes.append("},\"tables\":")
        bytes.append(contentsOf: try encoder.encode(state.tables))
        bytes.append(",\"documents\":")
        bytes.append(contentsOf: try encoder.encode(state.documents))
        bytes.append(UInt8(ascii: "}"))
    }
}
