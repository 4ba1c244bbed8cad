import Foundation

/// Reads the checkpoint file as ``CheckpointEncoder`` writes it, by hand for the file
/// positions (`JSONDecoder` took 190 ms for 10,000, two thirds of an idle pass) and with
/// `JSONDecoder` for the few tables and documents. Anything written another way (by hand, by an
/// older sensor) is not this shape: `decode` returns nil and the caller uses `JSONDecoder`.
enum CheckpointDecoder {
    /// The state `data` holds: the shape this sensor writes read by hand, anything else through
    /// `JSONDecoder`; throws when it is no checkpoint file at all.
    static func state(from data: Data) throws -> CheckpointState {
        try data.withUnsafeBytes { decode($0) } ?? JSONDecoder().decode(CheckpointState.self, from: data)
    }

    static func decode(_ bytes: UnsafeRawBufferPointer) -> CheckpointState? {
        var reader = Reader(bytes: bytes)
        guard reader.literal("{\"version\":"), let version = reader.integer(), reader.literal(",\"files\":{") else { return nil }
        // About 360 bytes a file: allocated once, not grown (and rehashed) a dozen times.
        var files = [String: FilePosition](minimumCapacity: bytes.count / 320)
        var lastSource = ""
        if !reader.literal("}") {
            repeat {
                guard let key = reader.string(), reader.literal(":{\"source\":"), let source = reader.string(reusing: &lastSource),
                      reader.literal(",\"path\":"), let path = reader.string(),
                      reader.literal(",\"fingerprint\":"), let fingerprint = reader.string(),
                      reader.literal(",\"device\":"), let device = reader.unsigned(),
                      reader.literal(",\"inode\":"), let inode = reader.unsigned(),
                      reader.literal(",\"offset\":"), let offset = reader.integer()
                else { return nil }
                var logical: Int64?
                if reader.literal(",\"logical\":") {
                    guard let value = reader.integer() else { return nil }
                    logical = value
                }
                guard reader.literal(",\"size\":"), let size = reader.integer(),
                      reader.literal(",\"modified\":"), let modified = reader.integer()
                else { return nil }
                var anchor: String?
                if reader.literal(",\"anchor\":") {
                    guard let text = reader.string() else { return nil }
                    anchor = text
                }
                guard reader.literal(",\"lastSeen\":"), let lastSeen = reader.double(), reader.literal("}") else { return nil }
                files[key] = FilePosition(source: source, path: path, fingerprint: fingerprint, device: device,
                                          inode: inode, offset: offset, logical: logical, size: size, modified: modified,
                                          anchor: anchor, lastSeen: lastSeen)
            } while reader.literal(",")
            guard reader.literal("}") else { return nil }
        }
        // The rest, `,"tables":…,"documents":…}`, as an object of its own.
        guard reader.literal(","), let rest = try? JSONDecoder().decode(Rest.self, from: Data("{".utf8) + reader.remaining)
        else { return nil }
        var state = CheckpointState()
        state.version = Int(version)
        state.files = files
        state.tables = rest.tables ?? [:]
        state.documents = rest.documents ?? [:]
        state.rebuildInodeIndex()
        return state
    }

    private struct Rest: Decodable {
        var tables: [String: TablePosition]?
        var documents: [String: DocumentPosition]?
    }

    /// A cursor over the bytes; every read either consumes what it matched or nothing.
    private struct Reader {
        let bytes: UnsafeRawBufferPointer
        var index = 0

        var remaining: Data { Data(bytes[index...]) }

        mutating func literal(_ text: StaticString) -> Bool {
            let count = text.utf8CodeUnitCount
            guard index + count <= bytes.count,
                  memcmp(bytes.baseAddress! + index, text.utf8Start, count) == 0 else { return false }
            index += count
            return true
        }

        /// A string equal to `last` is `last` again (one source's ten thousand files share one
        /// string instead of ten thousand copies); another becomes `last`.
        mutating func string(reusing last: inout String) -> String? {
            let length = last.utf8.count
            if !last.utf8.contains(UInt8(ascii: "\\")), index + length + 2 <= bytes.count, bytes[index] == UInt8(ascii: "\""),
               bytes[index + length + 1] == UInt8(ascii: "\""),
               last.utf8.withContiguousStorageIfAvailable({ memcmp(bytes.baseAddress! + index + 1, $0.baseAddress!, length) == 0 }) == true {
                index += length + 2
                return last
            }
            guard let text = string() else { return nil }
            last = text
            return text
        }

        mutating func string() -> String? {
            guard index < bytes.count, bytes[index] == UInt8(ascii: "\""),
                  let (text, end) = EnvelopeFields.quotedString(in: bytes, from: index + 1) else { return nil }
            index = end + 1
            return text
        }

        mutating func integer() -> Int64? {
            let negative = index < bytes.count && bytes[index] == UInt8(ascii: "-")
            if negative { index += 1 }
            guard let magnitude = unsigned(), magnitude <= UInt64(Int64.max) else {
                if negative { index -= 1 }
                return nil
            }
            return negative ? -Int64(magnitude) : Int64(magnitude)
        }

        mutating func unsigned() -> UInt64? {
            var position = index
            var value: UInt64 = 0
            while position < bytes.count, (0x30...0x39).contains(bytes[position]) {
                let (shifted, overflow) = value.multipliedReportingOverflow(by: 10)
                let (sum, carry) = shifted.addingReportingOverflow(UInt64(bytes[position] - 0x30))
                guard !overflow, !carry else { return nil }
                value = sum
                position += 1
            }
            guard position > index else { return nil }
            index = position
            return value
        }

        mutating func double() -> Double? {
            var end = index
            while end < bytes.count, (0x30...0x39).contains(bytes[end]) || [0x2E, 0x2D, 0x2B, 0x65, 0x45].contains(bytes[end]) { end += 1 }
            guard end > index, let value = Double(String(decoding: UnsafeRawBufferPointer(rebasing: bytes[index..<end]), as: UTF8.self))
            else { return nil }
            index = end
            return value
        }
    }
}
