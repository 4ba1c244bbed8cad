import IngestStore
/// Reads protocol-buffer wire format by field number, without a schema: enough to pick the
/// known numbered fields out of a tool's binary records (Antigravity's `gen_metadata`).
public struct ProtobufFields {
    public enum Value {
        case varint(UInt64)
        case bytes(ArraySlice<UInt8>)
        case fixed64(UInt64)
        case fixed32(UInt32)
    }

    /// Fields in the order they appear; nil when the bytes are not a well-formed message.
    public let fields: [(number: Int, value: Value)]

    public init?(_ bytes: ArraySlice<UInt8>) {
        var fields: [(number: Int, value: Value)] = []
        var index = bytes.startIndex
        func varint() -> UInt64? {
            var result: UInt64 = 0
            var shift: UInt64 = 0
            while index < bytes.endIndex, shift < 64 {
                let byte = bytes[index]
                index += 1
                result |= UInt64(byte & 0x7F) << shift
                if byte & 0x80 == 0 { return result }
                shift += 7
            }
            return nil
        }
        while index < bytes.endIndex {
            guard let tag = varint(), tag >> 3 > 0 else { return nil }
            let number = Int(tag >> 3)
            switch tag & 7 {
            case 0:
                guard let value = varint() else { return nil }
                fields.append((number, .varint(value)))
            case 1:
                guard bytes.endIndex - index >= 8 else { return nil }
                let value = (0..<8).reduce(UInt64(0)) { $0 | UInt64(bytes[index + $1]) << (8 * UInt64($1)) }
                index += 8
                fields.append((number, .fixed64(value)))
            case 2:
                guard let length = varint(), length <= UInt64(bytes.endIndex - index) else { return nil }
                fields.append((number, .bytes(bytes[index..<index + Int(length)])))
                index += Int(length)
            case 5:
                guard bytes.endIndex - index >= 4 else { return nil }
                let value = (0..<4).reduce(UInt32(0)) { $0 | UInt32(bytes[index + $1]) << (8 * UInt32($1)) }
                index += 4
                fields.append((number, .fixed32(value)))
            default:
                return nil
            }
        }
        self.fields = fields
    }

    /// The first varint field `number`.
    public func int(_ number: Int) -> Int64? {
        for field in fields where field.number == number {
            if case .varint(let value) = field.value { return Int64(truncatingIfNeeded: value) }
        }
        return nil
    }

    /// The first length-delimited field `number` as a nested message.
    public func message(_ number: Int) -> ProtobufFields? {
        for field in fields where field.number == number {
            if case .bytes(let bytes) = field.value { return ProtobufFields(bytes) }
        }
        return nil
    }

    /// The first length-delimited field `number` as UTF-8 text.
    public func string(_ number: Int) -> String? {
        for field in fields where field.number == number {
            if case .bytes(let bytes) = field.value { return String(validating: bytes, as: UTF8.self) }
        }
        return nil
    }
}
