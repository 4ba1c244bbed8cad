import Foundation
import IngestStore
import SensorModel

/// How a mapping computes one value of a row from a record.
///
/// Written in YAML as a path (`message.model`), a list of alternatives (the first that gives a
/// value: `[sessionId, $memory.session]`), or an object:
/// `{value: assistant}` (a constant), `{path: type, map: {model: assistant}, default: user}`,
/// `{sum: [tokens.output, tokens.thoughts]}`, `{difference: [tokens.input, tokens.cached]}`
/// (never below 0), `{product: [tokenUsage.totalCents, 0.01]}` (cents to dollars),
/// `{concat: [a, b], separator: ":"}`, `{test: <condition>}` (true or false),
/// and on any of them `join: ""` (the strings found, joined), `strip_suffix: "-session.json"`
/// (the text without that ending, nothing when it does not end so), `remove: "<regex>"` (the
/// text with every match taken out and its ends trimmed: a tool's bookkeeping tags) and
/// `when: <condition>` (no value unless it holds).
public indirect enum MappingValue: Sendable {
    case path(MappingPath)
    case constant(String)
    case firstOf([MappingValue])
    case sum([MappingValue])
    case difference(MappingValue, MappingValue)
    case product([MappingValue])
    case concat([MappingValue], separator: String)
    case test(MappingCondition)
    case mapped(MappingValue, [String: String])
    case fallback(MappingValue, String)
    case gated(MappingCondition, MappingValue)
    case joined(MappingValue, String)
    case stripped(MappingValue, suffix: String)
    case removing(MappingValue, MappingCondition.Pattern)

    func evaluate(_ scope: MappingScope) -> Any? {
        switch self {
        case .path(let path):
            return path.evaluate(in: scope)
        case .constant(let text):
            return text
        case .firstOf(let alternatives):
            for alternative in alternatives {
                if let value = alternative.evaluate(scope), Self.isPresent(value) { return value }
            }
            return nil
        case .sum(let terms):
            var total: Double = 0
            var any = false
            for term in terms {
                if let number = Self.number(term.evaluate(scope)) {
                    total += number
                    any = true
                }
            }
            return any ? NSNumber(value: total) : nil
        case .difference(let minuend, let subtrahend):
            guard let whole = Self.number(minuend.evaluate(scope)) else { return nil }
            return NSNumber(value: max(0, whole - (Self.number(subtrahend.evaluate(scope)) ?? 0)))
        case .product(let factors):
            var result: Double = 1
            for factor in factors {
                guard let number = Self.number(factor.evaluate(scope)) else { return nil }
                result *= number
            }
            return NSNumber(value: result)
        case .concat(let parts, let separator):
            let texts = parts.compactMap { Self.string($0.evaluate(scope)) }
            return texts.count == parts.count ? texts.joined(separator: separator) : nil
        case .test(let condition):
            return NSNumber(value: condition.holds(in: scope))
        case .mapped(let inner, let table):
            guard let key = Self.string(inner.evaluate(scope)) else { return nil }
            return table[key] ?? key
        case .fallback(let inner, let value):
            if let found = inner.evaluate(scope), Self.isPresent(found) { return found }
            return value
        case .gated(let condition, let inner):
            return condition.holds(in: scope) ? inner.evaluate(scope) : nil
        case .joined(let inner, let separator):
            let value = inner.evaluate(scope)
            guard let array = value as? [Any] else { return value }
            let texts = array.compactMap { $0 as? String }
            return texts.isEmpty ? nil : texts.joined(separator: separator)
        case .stripped(let inner, let suffix):
            guard let text = Self.string(inner.evaluate(scope)), text.hasSuffix(suffix), text.count > suffix.count else { return nil }
            return String(text.dropLast(suffix.count))
        case .removing(let inner, let pattern):
            let value = inner.evaluate(scope)
            if let strings = value as? [Any] {
                let kept = strings.compactMap { ($0 as? String).flatMap { Self.removing(pattern, from: $0) } }
                return kept.isEmpty ? nil : kept
            }
            return Self.string(value).flatMap { Self.removing(pattern, from: $0) }
        }
    }

    /// `text` with every match of `pattern` taken out and its ends trimmed; nothing when nothing is left.
    private static func removing(_ pattern: MappingCondition.Pattern, from text: String) -> String? {
        let removed = pattern.expression.stringByReplacingMatches(in: text, range: NSRange(text.startIndex..., in: text), withTemplate: "")
        let trimmed = removed.trimmingCharacters(in: .whitespacesAndNewlines)
        return trimmed.isEmpty ? nil : trimmed
    }

    // MARK: - Reading values as row fields

    package func string(_ scope: MappingScope) -> String? { Self.string(evaluate(scope)) }

    /// Text: a string, or the strings of an array joined by newlines.
    package func text(_ scope: MappingScope) -> String? { Self.text(evaluate(scope)) }

    /// A string as it is, anything else as compact JSON (tool inputs and outputs).
    package func json(_ scope: MappingScope) -> String? {
        let value = evaluate(scope)
        if let array = value as? [Any], array.allSatisfy({ $0 is String }) { return Self.text(array) }
        return JSON.text(value).flatMap { $0.isEmpty ? nil : $0 }
    }

    package func integer(_ scope: MappingScope) -> Int64? { Self.number(evaluate(scope)).flatMap { BoundedNumber.integer($0) } }
    package func double(_ scope: MappingScope) -> Double? { Self.number(evaluate(scope)) }

    package func bool(_ scope: MappingScope) -> Bool? {
        let value = evaluate(scope)
        if let number = JSON.number(value) { return number.boolValue }
        switch value {
        case let string as String: return string == "true" ? true : string == "false" ? false : nil
        default: return nil
        }
    }

    /// An RFC 3339 time from an RFC 3339 string or epoch seconds or milliseconds.
    package func timestamp(_ scope: MappingScope) -> String? {
        let value = evaluate(scope)
        if let number = JSON.number(value) { return JSON.timestamp(epoch: number) }
        guard let string = value as? String else { return nil }
        return JSON.timestamp(string) ?? (Double(string).flatMap { JSON.timestamp(epoch: $0) })
    }

    static func isPresent(_ value: Any) -> Bool {
        switch value {
        case let string as String: return !string.isEmpty
        case _ where JSON.isNull(value): return false
        case let array as [Any]: return !array.isEmpty
        default: return true
        }
    }

    package static func string(_ value: Any?) -> String? {
        switch value {
        case let string as String: return string.isEmpty ? nil : string
        case let array as [Any]: return text(array)
        default: return JSON.number(value).flatMap(scalarText)
        }
    }

    package static func text(_ value: Any?) -> String? {
        switch value {
        case let string as String: return string.isEmpty ? nil : string
        case let array as [Any]:
            let texts = array.compactMap { $0 as? String }.filter { !$0.isEmpty }
            return texts.isEmpty ? nil : texts.joined(separator: "\n")
        default: return nil
        }
    }

    package static func number(_ value: Any?) -> Double? {
        switch value {
        case let string as String: return Double(string)
        case let array as [Any]:
            let numbers = array.compactMap { number($0) }
            return numbers.isEmpty ? nil : numbers.reduce(0, +)
        default:
            guard let number = JSON.number(value) else { return nil }
            return JSON.isBoolean(number) ? nil : number.doubleValue
        }
    }

    /// A scalar as the text a condition or a `map` compares (`true`, `42`, `1.5`, `x`).
    static func scalarText(_ value: Any) -> String? {
        if let string = value as? String { return string }
        guard let number = JSON.number(value) else { return nil }
        if JSON.isBoolean(number) { return number.boolValue ? "true" : "false" }
        let double = number.doubleValue
        return double == double.rounded() && abs(double) < 1e15 ? String(number.int64Value) : String(double)
    }
}

/// Whether a record (or item) is one a rule takes. Written as an object of paths to tests, all
/// of which must hold: `{type: message}` (equals), `{type: [user, model]}` (one of),
/// `{sessionId: {exists: true}}`, `{$path: {contains: ".reset."}}`, `{model: {matches: "^gpt"}}`,
/// `{provider: {not: internal}}`; and `any: [<condition>, …]` for alternatives.
public struct MappingCondition: Sendable {
    public indirect enum Test: Sendable {
        case equals(String)
        case oneOf(Set<String>)
        case exists(Bool)
        case contains(String)
        case matches(Pattern)
        case not(Test)
    }

    /// A compiled regular expression (immutable, safe to share).
    public struct Pattern: @unchecked Sendable {
        package let expression: NSRegularExpression
    }

    package var tests: [(MappingPath, Test)] = []
    package var alternatives: [MappingCondition] = []

    package func holds(in scope: MappingScope) -> Bool {
        for (path, test) in tests where !Self.passes(test, path.evaluate(in: scope)) { return false }
        return alternatives.isEmpty || alternatives.contains { $0.holds(in: scope) }
    }

    private static func passes(_ test: Test, _ value: Any?) -> Bool {
        switch test {
        case .exists(let expected):
            return (value.map(MappingValue.isPresent) ?? false) == expected
        case .not(let inner):
            return !passes(inner, value)
        default:
            guard let value else { return false }
            let values = value as? [Any] ?? [value]
            return values.contains { element in
                guard let text = MappingValue.scalarText(element) else { return false }
                switch test {
                case .equals(let expected): return text == expected
                case .oneOf(let options): return options.contains(text)
                case .contains(let part): return text.containsBytes(part)
                case .matches(let pattern):
                    return pattern.expression.firstMatch(in: text, range: NSRange(text.startIndex..., in: text)) != nil
                default: return false
                }
            }
        }
    }
}

// MARK: - Reading from a mapping file

extension MappingValue {
    /// Reads a value expression; problems name the node's file, line and column.
    package static func decode(_ node: ConfigNode, field: String, problems: inout [ConfigProblem]) -> MappingValue? {
        switch node.value {
        case .string(let text):
            do {
                return .path(try MappingPath(text))
            } catch {
                problems.append(ConfigProblem(node.location, field: field, "path '\(text)': \(error)"))
                return nil
            }
        case .integer, .number, .bool:
            return .constant(MappingValue.scalarText(node.json) ?? "")
        case .array(let elements):
            let alternatives = elements.enumerated().compactMap { decode($1, field: "\(field)[\($0)]", problems: &problems) }
            return alternatives.count == elements.count ? .firstOf(alternatives) : nil
        case .object:
            return decodeObject(node, field: field, problems: &problems)
        case .null:
            problems.append(ConfigProblem(node.location, field: field, "a value is expected (a path, a list or an object)"))
            return nil
        }
    }

    private static func decodeObject(_ node: ConfigNode, field: String, problems: inout [ConfigProblem]) -> MappingValue? {
        var value: MappingValue?
        let forms = ["path", "value", "sum", "difference", "product", "concat", "test"]
        let given = forms.filter { node[$0] != nil }
        guard given.count == 1 else {
            problems.append(ConfigProblem(node.location, field: field,
                                          given.isEmpty ? "needs one of \(forms.joined(separator: ", "))"
                                                        : "takes only one of \(given.joined(separator: ", "))"))
            return nil
        }
        switch given[0] {
        case "path":
            value = node["path"].flatMap { decode($0, field: field + ".path", problems: &problems) }
        case "value":
            value = node["value"].flatMap { MappingValue.scalarText($0.json) }.map { .constant($0) }
        case "sum":
            let terms = node["sum"]!.elements.compactMap { decode($0, field: field + ".sum", problems: &problems) }
            value = .sum(terms)
        case "difference":
            let terms = node["difference"]!.elements.compactMap { decode($0, field: field + ".difference", problems: &problems) }
            if terms.count == 2 { value = .difference(terms[0], terms[1]) } else {
                problems.append(ConfigProblem(node["difference"]!.location, field: field + ".difference", "needs exactly two values"))
            }
        case "product":
            let factors = node["product"]!.elements.compactMap { decode($0, field: field + ".product", problems: &problems) }
            if factors.count >= 2 { value = .product(factors) } else {
                problems.append(ConfigProblem(node["product"]!.location, field: field + ".product", "needs two values or more"))
            }
        case "concat":
            let parts = node["concat"]!.elements.compactMap { decode($0, field: field + ".concat", problems: &problems) }
            value = .concat(parts, separator: node["separator"]?.string ?? ":")
        default:
            value = MappingCondition.decode(node["test"]!, field: field + ".test", problems: &problems).map { .test($0) }
        }
        guard var result = value else { return nil }
        if let table = node["map"] {
            var entries: [String: String] = [:]
            for entry in table.entries { entries[entry.key] = MappingValue.scalarText(entry.node.json) }
            result = .mapped(result, entries)
        }
        if let separator = node["join"]?.string { result = .joined(result, separator) }
        if let suffix = node["strip_suffix"]?.string, !suffix.isEmpty { result = .stripped(result, suffix: suffix) }
        if let removed = node["remove"] {
            guard let pattern = removed.string, let expression = try? NSRegularExpression(pattern: pattern) else {
                problems.append(ConfigProblem(removed.location, field: field + ".remove", "not a valid regular expression"))
                return nil
            }
            result = .removing(result, MappingCondition.Pattern(expression: expression))
        }
        if let fallback = node["default"].flatMap({ MappingValue.scalarText($0.json) }) { result = .fallback(result, fallback) }
        if let gate = node["when"] {
            guard let condition = MappingCondition.decode(gate, field: field + ".when", problems: &problems) else { return nil }
            result = .gated(condition, result)
        }
        return result
    }
}

extension MappingCondition {
    package static func decode(_ node: ConfigNode, field: String, problems: inout [ConfigProblem]) -> MappingCondition? {
        var condition = MappingCondition()
        guard case .object(let entries) = node.value else {
            problems.append(ConfigProblem(node.location, field: field, "a condition is an object of paths to tests"))
            return nil
        }
        var ok = true
        for entry in entries {
            if entry.key == "any" {
                for (index, element) in entry.node.elements.enumerated() {
                    if let alternative = decode(element, field: "\(field).any[\(index)]", problems: &problems) {
                        condition.alternatives.append(alternative)
                    } else { ok = false }
                }
                continue
            }
            let path: MappingPath
            do {
                path = try MappingPath(entry.key)
            } catch {
                problems.append(ConfigProblem(entry.keyLocation, field: "\(field).\(entry.key)", "path '\(entry.key)': \(error)"))
                ok = false
                continue
            }
            guard let test = decodeTest(entry.node, field: "\(field).\(entry.key)", problems: &problems) else {
                ok = false
                continue
            }
            condition.tests.append((path, test))
        }
        return ok ? condition : nil
    }

    private static func decodeTest(_ node: ConfigNode, field: String, problems: inout [ConfigProblem]) -> Test? {
        switch node.value {
        case .array(let elements):
            return .oneOf(Set(elements.compactMap { MappingValue.scalarText($0.json) }))
        case .object(let entries):
            guard entries.count == 1, let entry = entries.first else {
                problems.append(ConfigProblem(node.location, field: field, "a test is one of exists, contains, matches, not"))
                return nil
            }
            switch entry.key {
            case "exists": return .exists(entry.node.bool ?? true)
            case "contains": return .contains(entry.node.string ?? "")
            case "not": return decodeTest(entry.node, field: field + ".not", problems: &problems).map { .not($0) }
            case "matches":
                guard let pattern = entry.node.string, let expression = try? NSRegularExpression(pattern: pattern) else {
                    problems.append(ConfigProblem(entry.node.location, field: field + ".matches", "not a valid regular expression"))
                    return nil
                }
                return .matches(Pattern(expression: expression))
            default:
                var reason = "unknown test '\(entry.key)'"
                if let guess = Spelling.nearest(to: entry.key, among: ["exists", "contains", "matches", "not"]) {
                    reason += "; did you mean '\(guess)'?"
                }
                problems.append(ConfigProblem(entry.keyLocation, field: field, reason))
                return nil
            }
        case .null:
            return .exists(false)
        default:
            return .equals(MappingValue.scalarText(node.json) ?? "")
        }
    }
}

extension ConfigNode {
    /// The node as a JSON value (strings, NSNumbers, arrays, objects), for comparisons.
    package var json: Any {
        switch value {
        case .null: return NSNull()
        case .bool(let flag): return NSNumber(value: flag)
        case .integer(let integer): return NSNumber(value: Int64(integer))
        case .number(let number): return NSNumber(value: number)
        case .string(let text): return text
        case .array(let elements): return elements.map(\.json)
        case .object(let entries): return Dictionary(entries.map { ($0.key, $0.node.json) }, uniquingKeysWith: { _, last in last })
        }
    }
}
