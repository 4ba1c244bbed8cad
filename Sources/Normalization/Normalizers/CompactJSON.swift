import Foundation
import IngestStore

/// Writes the values ``JSONReader`` gives back as compact JSON text with sorted keys: the same
/// bytes `JSONSerialization.data(withJSONObject:options: [.sortedKeys, .fragmentsAllowed])`
/// writes, without bridging every object to `NSDictionary` and back first (a tool call's input
/// is stored as this text; Foundation's writer was a twentieth of a reparse).
///
/// Numbers that are not integers are written by Foundation itself (its rounding of doubles is
/// its own); nil is returned for what is not a JSON value, as Foundation refuses it.
package enum CompactJSON {
    package static func text(_ value: Any) -> String? {
        var output: [UInt8] = []
        guard write(value, into: &output, depth: 0) else { return foundationText(value) }
        return String(decoding: output, as: UTF8.self)
    }

    /// Writes `value`; false when Foundation must (a double, a value that is not JSON).
    private static func write(_ value: Any, into output: inout [UInt8], depth: Int) -> Bool {
        guard depth < 512 else { return false }
        switch value {
        case let string as String:
            writeString(string, into: &output)
        case let object as [String: Any]:
            output.append(UInt8(ascii: "{"))
            for (index, key) in sortedKeys(object).enumerated() {
                if index > 0 { output.append(UInt8(ascii: ",")) }
                writeString(key, into: &output)
                output.append(UInt8(ascii: ":"))
                guard write(object[key]!, into: &output, depth: depth + 1) else { return false }
            }
            output.append(UInt8(ascii: "}"))
        case let array as [Any]:
            output.append(UInt8(ascii: "["))
            for (index, element) in array.enumerated() {
                if index > 0 { output.append(UInt8(ascii: ",")) }
                guard write(element, into: &output, depth: depth + 1) else { return false }
            }
            output.append(UInt8(ascii: "]"))
        default:
            if JSON.isNull(value) {
                output.append(contentsOf: "null".utf8)
            } else if let number = JSON.number(value) {
                if JSON.isBoolean(number) {
                    output.append(contentsOf: (number.boolValue ? "true" : "false").utf8)
                } else {
                    // Signed integers of any width; unsigned and floating types go to Foundation.
                    let type = number.objCType
                    guard type[1] == 0, [UInt8(ascii: "s"), UInt8(ascii: "i"), UInt8(ascii: "l"), UInt8(ascii: "q")]
                        .contains(UInt8(bitPattern: type[0])) else { return false }
                    output.append(contentsOf: String(number.int64Value).utf8)
                }
            } else {
                return false
            }
        }
        return true
    }

    /// Keys in the order Foundation's `.sortedKeys` gives on this platform.
    private static func sortedKeys(_ object: [String: Any]) -> [String] {
        guard object.count > 1 else { return Array(object.keys) }
        return object.keys.sorted { left, right in
            left.compare(right, options: [.numeric, .caseInsensitive, .forcedOrdering], range: left.startIndex..<left.endIndex,
                         locale: NSLocale.system as Locale) == .orderedAscending
        }
    }

    /// A string in quotes, escaped as Foundation escapes it (`/` too).
    private static func writeString(_ string: String, into output: inout [UInt8]) {
        output.append(UInt8(ascii: "\""))
        for byte in string.utf8 {
            switch byte {
            case UInt8(ascii: "\""): output.append(contentsOf: #"\""#.utf8)
            case UInt8(ascii: "\\"): output.append(contentsOf: #"\\"#.utf8)
            case UInt8(ascii: "/"): output.append(contentsOf: #"\/"#.utf8)
            case 0x08: output.append(contentsOf: #"\b"#.utf8)
            case 0x0C: output.append(contentsOf: #"\f"#.utf8)
            case 0x0A: output.append(contentsOf: #"\n"#.utf8)
            case 0x0D: output.append(contentsOf: #"\r"#.utf8)
            case 0x09: output.append(contentsOf: #"\t"#.utf8)
            case 0x00..<0x20:
                let hex = Array("0123456789abcdef".utf8)
                output.append(contentsOf: #"\u00"#.utf8)
                output.append(hex[Int(byte >> 4)])
                output.append(hex[Int(byte & 0x0F)])
            default: output.append(byte)
            }
        }
        output.append(UInt8(ascii: "\""))
    }

    private static func foundationText(_ value: Any) -> String? {
        guard JSONSerialization.isValidJSONObject(value) || JSON.number(value) != nil,
              let data = try? JSONSerialization.data(withJSONObject: value, options: [.fragmentsAllowed, .sortedKeys])
        else { return nil }
        return String(decoding: data, as: UTF8.self)
    }
}
