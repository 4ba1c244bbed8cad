import Crypto
import SQLiteDB
import SensorModel

/// Renders the current row of a statement as an envelope record (`encoding: row`): an object
/// of columns, each embedded as JSON when it is JSON, as text when it is UTF-8, as base64
/// otherwise, with a `columns` map that says which.
struct RowEncoder {
    let names: [String]
    let encodings: [ColumnEncoding]
    /// Columns that are never read.
    let included: [Bool]
    let redactor: Redactor

    /// - Parameter cursorIndex: the cursor column, which the locator carries: it is left out
    ///   of the record and of its content hash, so a row whose cursor moved but whose data
    ///   did not is the same record.
    init(statement: Statement, options: SQLiteOptions, deniedColumns: [String], cursorIndex: Int, redactor: Redactor) {
        let names = (0..<statement.columnCount).map(statement.columnName(at:))
        self.names = names
        encodings = names.map { options.columns[$0] ?? .auto }
        included = names.indices.map { !deniedColumns.contains(names[$0]) && $0 != cursorIndex }
        self.redactor = redactor
    }

    struct Row {
        var record: [UInt8] = []
        var columns: [UInt8] = []
        var contentHash = ""
        var redactions = RedactionCounts()
    }

    func encode(_ statement: Statement) -> Row {
        var row = Row()
        var hasher = SHA256()
        row.record.append(UInt8(ascii: "{"))
        var first = true
        for index in names.indices where included[index] {
            if !first {
                row.record.append(UInt8(ascii: ","))
                row.columns.append(UInt8(ascii: ","))
            }
            first = false
            row.record.appendJSONString(names[index])
            row.record.append(UInt8(ascii: ":"))
            row.columns.appendJSONString(names[index])
            row.columns.append(UInt8(ascii: ":"))
            let kind: StaticString
            switch statement.columnType(at: index) {
            case .null:
                row.record.append("null")
                kind = "\"null\""
                hasher.update(data: [0])
            case .integer:
                let value = statement.int64(at: index)
                row.record.appendDecimal(value)
                kind = "\"integer\""
                hasher.update(data: [1])
                withUnsafeBytes(of: value.littleEndian) { hasher.update(bufferPointer: $0) }
            case .real:
                let value = statement.double(at: index)
                row.record.append(utf8: value.isFinite ? "\(value)" : "null")
                kind = "\"real\""
                hasher.update(data: [2])
                withUnsafeBytes(of: value.bitPattern.littleEndian) { hasher.update(bufferPointer: $0) }
            case .text, .blob:
                kind = statement.withBytes(at: index) { bytes in
                    hasher.update(data: [3])
                    hasher.update(bufferPointer: bytes)
                    return encodeBytes(bytes, as: encodings[index], into: &row)
                }
            }
            row.columns.append(kind)
            hasher.update(data: [0xFF])
        }
        row.record.append(UInt8(ascii: "}"))
        row.contentHash = Hex.lowercase(hasher.finalize().prefix(16))
        return row
    }

    private func encodeBytes(_ bytes: UnsafeRawBufferPointer, as encoding: ColumnEncoding, into row: inout Row) -> StaticString {
        if encoding == .base64 {
            // Redacted before it is encoded: a secret in base64 is beyond any rule.
            if let redacted = redactor.redact(bytes) {
                row.redactions.add(redacted.rules)
                redacted.bytes.withUnsafeBytes { row.record.appendBase64String($0) }
            } else {
                row.record.appendBase64String(bytes)
            }
            return "\"base64\""
        }
        if encoding == .hexJSON, let decoded = Self.decodeHex(bytes) {
            return decoded.withUnsafeBytes { encodeBytes($0, as: .auto, into: &row) }
        }
        if let redacted = redactor.redact(bytes) {
            row.redactions.add(redacted.rules)
            return redacted.bytes.withUnsafeBytes { classify($0, as: encoding, into: &row) }
        }
        return classify(bytes, as: encoding, into: &row)
    }

    private func classify(_ bytes: UnsafeRawBufferPointer, as encoding: ColumnEncoding, into row: inout Row) -> StaticString {
        if encoding != .text, Self.looksLikeJSONContainer(bytes) || encoding == .json, JSONScanner.isValid(bytes) {
            row.record.append(contentsOf: bytes)
            return "\"json\""
        }
        if UTF8Check.isValid(bytes) {
            row.record.appendJSONString(bytes)
            return "\"text\""
        }
        row.record.appendBase64String(bytes)
        return "\"base64\""
    }

    /// Only objects and arrays are embedded by `auto`: a text column holding `42` or `true` stays text.
    static func looksLikeJSONContainer(_ bytes: UnsafeRawBufferPointer) -> Bool {
        for byte in bytes {
            switch byte {
            case 0x20, 0x09, 0x0A, 0x0D: continue
            case UInt8(ascii: "{"), UInt8(ascii: "["): return true
            default: return false
            }
        }
        return false
    }

    static func decodeHex(_ bytes: UnsafeRawBufferPointer) -> [UInt8]? {
        guard bytes.count % 2 == 0, !bytes.isEmpty else { return nil }
        func nibble(_ c: UInt8) -> UInt8? {
            switch c {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): return c - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): return c - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): return c - UInt8(ascii: "A") + 10
            default: return nil
            }
        }
        var output: [UInt8] = []
        output.reserveCapacity(bytes.count / 2)
        var index = 0
        while index < bytes.count {
            guard let high = nibble(bytes[index]), let low = nibble(bytes[index + 1]) else { return nil }
            output.append(high << 4 | low)
            index += 2
        }
        return output
    }
}

extension SQLValue {
    init(_ value: SQLiteValue) {
        switch value {
        case .null: self = .null
        case .integer(let v): self = .integer(v)
        case .real(let v): self = .real(v)
        case .text(let v): self = .text(v)
        case .blob(let v): self = .text(String(decoding: v, as: UTF8.self))
        }
    }

    var sqliteValue: SQLiteValue {
        switch self {
        case .null: return .null
        case .integer(let v): return .integer(v)
        case .real(let v): return .real(v)
        case .text(let v): return .text(v)
        }
    }

    /// Orders cursor values of one column (numbers before text, as SQLite does).
    static func isLess(_ a: SQLValue, _ b: SQLValue) -> Bool {
        switch (a, b) {
        case (.integer(let x), .integer(let y)): return x < y
        case (.integer(let x), .real(let y)): return Double(x) < y
        case (.real(let x), .integer(let y)): return x < Double(y)
        case (.real(let x), .real(let y)): return x < y
        case (.text(let x), .text(let y)): return x < y
        case (.null, .null): return false
        case (.null, _): return true
        case (_, .null): return false
        case (.text, _): return false
        case (_, .text): return true
        }
    }
}
