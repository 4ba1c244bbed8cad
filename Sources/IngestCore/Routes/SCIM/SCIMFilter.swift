import Foundation

/// A SCIM filter (RFC 7644 §3.4.2.2) as identity providers send it to find a user or group
/// before creating it: `userName eq "ada@acme.com"`, `externalId eq "…"`,
/// `emails.value co "@acme.com"`, `displayName sw "Plat"`, `title pr`, joined by `and` or `or`
/// (`and` binding tighter), with `not (…)` and parentheses. Attribute names and string
/// comparisons are case-insensitive (no attribute published here is caseExact).
indirect enum SCIMFilter: Equatable {
    case compare(path: [String], op: String, value: SCIMValue?)
    case and(SCIMFilter, SCIMFilter)
    case or(SCIMFilter, SCIMFilter)
    case not(SCIMFilter)

    enum SCIMValue: Equatable {
        case string(String), number(Double), bool(Bool), null
    }

    struct Invalid: Error, CustomStringConvertible {
        let description: String
    }

    static func parse(_ text: String) throws(Invalid) -> SCIMFilter {
        var parser = Parser(Array(text))
        let filter = try parser.orExpression()
        parser.skipSpace()
        guard parser.atEnd else { throw Invalid(description: "unexpected text at character \(parser.offset + 1)") }
        return filter
    }

    /// Whether `resource` (a SCIM document) matches.
    func matches(_ resource: [String: Any]) -> Bool {
        switch self {
        case .and(let left, let right): return left.matches(resource) && right.matches(resource)
        case .or(let left, let right): return left.matches(resource) || right.matches(resource)
        case .not(let inner): return !inner.matches(resource)
        case .compare(let path, let op, let value):
            let found = Self.values(at: path, in: resource)
            if op == "pr" { return found.contains { !($0 is NSNull) && !(($0 as? String)?.isEmpty ?? false) } }
            guard let value else { return false }
            if op == "ne" { return !found.contains { Self.compare($0, "eq", value) } }
            return found.contains { Self.compare($0, op, value) }
        }
    }

    private static func values(at path: [String], in object: Any) -> [Any] {
        guard let first = path.first else { return [object] }
        if let array = object as? [Any] { return array.flatMap { values(at: path, in: $0) } }
        guard let dictionary = object as? [String: Any],
              let key = dictionary.keys.first(where: { $0.caseInsensitiveCompare(first) == .orderedSame }),
              let next = dictionary[key] else { return [] }
        let rest = Array(path.dropFirst())
        if let array = next as? [Any] { return array.flatMap { values(at: rest, in: $0) } }
        return values(at: rest, in: next)
    }

    private static func compare(_ found: Any, _ op: String, _ value: SCIMValue) -> Bool {
        switch value {
        case .null: return found is NSNull
        case .bool(let expected):
            guard let number = found as? NSNumber, String(cString: number.objCType) == "c" else { return false }
            return op == "eq" && number.boolValue == expected
        case .number(let expected):
            guard let number = (found as? NSNumber)?.doubleValue else { return false }
            switch op {
            case "eq": return number == expected
            case "gt": return number > expected
            case "ge": return number >= expected
            case "lt": return number < expected
            case "le": return number <= expected
            default: return false
            }
        case .string(let expected):
            guard let text = (found as? String)?.lowercased() else { return false }
            let wanted = expected.lowercased()
            switch op {
            case "eq": return text == wanted
            case "co": return text.contains(wanted)
            case "sw": return text.hasPrefix(wanted)
            case "ew": return text.hasSuffix(wanted)
            case "gt": return text > wanted
            case "ge": return text >= wanted
            case "lt": return text < wanted
            case "le": return text <= wanted
            default: return false
            }
        }
    }

    private struct Parser {
        let characters: [Character]
        var offset = 0

        init(_ characters: [Character]) { self.characters = characters }

        var atEnd: Bool { offset >= characters.count }

        mutating func skipSpace() {
            while offset < characters.count, characters[offset].isWhitespace { offset += 1 }
        }

        mutating func word() -> String {
            skipSpace()
            let start = offset
            while offset < characters.count, characters[offset].isLetter || characters[offset].isNumber
                    || "._-$:".contains(characters[offset]) { offset += 1 }
            return String(characters[start..<offset])
        }

        mutating func keyword(_ name: String) -> Bool {
            let saved = offset
            if word().lowercased() == name { return true }
            offset = saved
            return false
        }

        mutating func orExpression() throws(Invalid) -> SCIMFilter {
            var left = try andExpression()
            while keyword("or") { left = .or(left, try andExpression()) }
            return left
        }

        mutating func andExpression() throws(Invalid) -> SCIMFilter {
            var left = try term()
            while keyword("and") { left = .and(left, try term()) }
            return left
        }

        mutating func term() throws(Invalid) -> SCIMFilter {
            skipSpace()
            if keyword("not") {
                skipSpace()
                guard offset < characters.count, characters[offset] == "(" else { throw Invalid(description: "'not' needs a '(' after it") }
                return .not(try parenthesised())
            }
            if offset < characters.count, characters[offset] == "(" { return try parenthesised() }
            let attribute = word()
            guard !attribute.isEmpty else { throw Invalid(description: "an attribute name is expected at character \(offset + 1)") }
            if offset < characters.count, characters[offset] == "[" {
                throw Invalid(description: "value filters in brackets (\(attribute)[…]) are not supported; use \(attribute).sub eq \"…\"")
            }
            // A schema URN prefix (urn:…:User:userName) names the attribute after its last ':'.
            let name = attribute.split(separator: ":").last.map(String.init) ?? attribute
            let op = word().lowercased()
            guard ["eq", "ne", "co", "sw", "ew", "gt", "ge", "lt", "le", "pr"].contains(op) else {
                throw Invalid(description: "'\(op)' is not a comparison (eq, ne, co, sw, ew, gt, ge, lt, le, pr)")
            }
            let path = name.split(separator: ".").map(String.init)
            if op == "pr" { return .compare(path: path, op: op, value: nil) }
            return .compare(path: path, op: op, value: try value())
        }

        mutating func parenthesised() throws(Invalid) -> SCIMFilter {
            offset += 1
            let inner = try orExpression()
            skipSpace()
            guard offset < characters.count, characters[offset] == ")" else { throw Invalid(description: "a ')' is missing") }
            offset += 1
            return inner
        }

        mutating func value() throws(Invalid) -> SCIMValue {
            skipSpace()
            guard offset < characters.count else { throw Invalid(description: "a value is missing at the end") }
            if characters[offset] == "\"" {
                offset += 1
                var text = ""
                while offset < characters.count, characters[offset] != "\"" {
                    if characters[offset] == "\\", offset + 1 < characters.count { offset += 1 }
                    text.append(characters[offset])
                    offset += 1
                }
                guard offset < characters.count else { throw Invalid(description: "a string is not closed") }
                offset += 1
                return .string(text)
            }
            let token = word().lowercased()
            switch token {
            case "true": return .bool(true)
            case "false": return .bool(false)
            case "null": return .null
            default:
                guard let number = Double(token) else { throw Invalid(description: "'\(token)' is not a value (a quoted string, a number, true, false, null)") }
                return .number(number)
            }
        }
    }
}
