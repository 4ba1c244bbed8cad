import Foundation

/// Checks a ``ConfigNode`` tree against the JSON Schemas in `schemas/`.
///
/// The schema files are the single definition of the declaration format; this interprets the
/// part of JSON Schema they use (`$ref`, `type`, `properties`, `required`,
/// `additionalProperties`, `items`, `enum`, `const`, `pattern`, bounds, `allOf`, `oneOf`) and reports
/// every violation with its line, its field path and, for unknown fields, the nearest known name.
public struct SchemaValidator: Sendable {
    let documents: [String: ConfigNode]
    /// Every `pattern` of the schemas, each compiled once, when first used: compiling one for
    /// each string checked was a tenth of loading the built-in declarations.
    private let patterns: [String: LazyRegularExpression]

    /// A validator over the schemas built into this binary.
    public static let builtIn: SchemaValidator = {
        var documents: [String: ConfigNode] = [:]
        for (name, text) in EmbeddedSchemas.schemas {
            // The embedded schemas are checked by tests; a failure here is a build defect.
            documents[name] = try! ParsedDocumentCache.parse(text, file: "schemas/\(name)")
        }
        return SchemaValidator(documents: documents)
    }()

    public init(documents: [String: ConfigNode]) {
        self.documents = documents
        var patterns: [String: LazyRegularExpression] = [:]
        func collect(_ node: ConfigNode) {
            switch node.value {
            case .object(let entries):
                for entry in entries {
                    if entry.key == "pattern", let pattern = entry.node.string, patterns[pattern] == nil {
                        patterns[pattern] = LazyRegularExpression(pattern: pattern)
                    }
                    collect(entry.node)
                }
            case .array(let elements):
                elements.forEach(collect)
            default:
                break
            }
        }
        documents.values.forEach(collect)
        self.patterns = patterns
    }

    /// Validates `node` against the schema named by `reference` (`file.json` or `file.json#/$defs/x`).
    public func validate(_ node: ConfigNode, against reference: String, path: [String] = []) -> [ConfigProblem] {
        var problems: [ConfigProblem] = []
        guard let (schema, document) = resolve(reference, from: nil) else {
            return [ConfigProblem(node.location, field: "", "internal: unknown schema \(reference)")]
        }
        check(node, schema, document: document, path: path, into: &problems)
        return problems
    }

    // MARK: - Resolution

    private func resolve(_ reference: String, from currentDocument: String?) -> (ConfigNode, String)? {
        let parts = reference.split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false)
        let documentName = parts[0].isEmpty ? (currentDocument ?? "") : String(parts[0])
        guard var node = documents[documentName] else { return nil }
        if parts.count == 2 {
            for component in parts[1].split(separator: "/") {
                guard let next = node[String(component)] else { return nil }
                node = next
            }
        }
        return (node, documentName)
    }

    // MARK: - Keywords

    private func check(_ node: ConfigNode, _ schema: ConfigNode, document: String, path: [String],
                       into problems: inout [ConfigProblem]) {
        let field = path.joined(separator: ".")
        if let reference = schema["$ref"]?.string {
            if let (target, targetDocument) = resolve(reference, from: document) {
                check(node, target, document: targetDocument, path: path, into: &problems)
            }
        }
        for part in schema["allOf"]?.elements ?? [] {
            check(node, part, document: document, path: path, into: &problems)
        }
        if let branches = schema["oneOf"]?.elements, !branches.isEmpty {
            checkOneOf(node, branches, document: document, path: path, into: &problems)
        }
        if let types = schema["type"] {
            let allowed = types.string.map { [$0] } ?? types.strings
            if !allowed.contains(where: { matches(node, type: $0) }) {
                problems.append(ConfigProblem(node.location, field: field,
                                              "expected \(allowed.joined(separator: " or ")), found \(describe(node))"))
                return
            }
        }
        if let options = schema["enum"]?.elements {
            if !options.contains(where: { equal($0, node) }) {
                let names = options.map { describe($0) }
                var reason = "\(describe(node)) is not one of \(names.joined(separator: ", "))"
                if let text = node.string, let guess = Spelling.nearest(to: text, among: options.compactMap(\.string)) {
                    reason += "; did you mean '\(guess)'?"
                }
                problems.append(ConfigProblem(node.location, field: field, reason))
            }
        }
        if let constant = schema["const"], !equal(constant, node) {
            problems.append(ConfigProblem(node.location, field: field, "must be \(describe(constant))"))
        }
        switch node.value {
        case .string(let text):
            checkString(text, node, schema, field: field, into: &problems)
        case .integer, .number:
            checkNumber(node.number ?? 0, node, schema, field: field, into: &problems)
        case .array(let elements):
            if let minimum = schema["minItems"]?.integer, elements.count < minimum {
                problems.append(ConfigProblem(node.location, field: field, "needs at least \(minimum) item(s)"))
            }
            if let items = schema["items"] {
                for (index, element) in elements.enumerated() {
                    let label = element["id"]?.string ?? "\(path.last ?? "")[\(index)]"
                    let elementPath = element["id"]?.string != nil ? [label] : Array(path.dropLast()) + [label]
                    check(element, items, document: document, path: elementPath, into: &problems)
                }
            }
        case .object(let entries):
            checkObject(entries, node, schema, document: document, path: path, into: &problems)
        default:
            break
        }
    }

    /// Passes when a branch passes; otherwise reports the problems of the first branch whose
    /// type fits the node (a misspelt field in an object form is named as such).
    private func checkOneOf(_ node: ConfigNode, _ branches: [ConfigNode], document: String, path: [String],
                            into problems: inout [ConfigProblem]) {
        var fitting: [ConfigProblem]?
        for branch in branches {
            var found: [ConfigProblem] = []
            check(node, branch, document: document, path: path, into: &found)
            if found.isEmpty { return }
            let typeMismatch = found.count == 1 && found[0].reason.hasPrefix("expected ")
            if fitting == nil && !typeMismatch { fitting = found }
        }
        problems += fitting ?? [ConfigProblem(node.location, field: path.joined(separator: "."),
                                              "\(describe(node)) is none of the allowed forms")]
    }

    private func checkObject(_ entries: [ConfigNode.Entry], _ node: ConfigNode, _ schema: ConfigNode,
                             document: String, path: [String], into problems: inout [ConfigProblem]) {
        let properties = schema["properties"]
        let known = properties?.entries.map(\.key) ?? []
        for required in schema["required"]?.strings ?? [] where !entries.contains(where: { $0.key == required }) {
            problems.append(ConfigProblem(node.location, field: (path + [required]).joined(separator: "."),
                                          "required field is missing"))
        }
        for entry in entries {
            let entryPath = path + [entry.key]
            if let propertySchema = properties?[entry.key] {
                check(entry.node, propertySchema, document: document, path: entryPath, into: &problems)
            } else if let additional = schema["additionalProperties"] {
                if additional.bool == false {
                    var reason = "unknown field"
                    if let guess = Spelling.nearest(to: entry.key, among: known) {
                        reason += "; did you mean '\(guess)'?"
                    } else if !known.isEmpty {
                        reason += " (known: \(known.joined(separator: ", ")))"
                    }
                    problems.append(ConfigProblem(entry.keyLocation, field: entryPath.joined(separator: "."), reason))
                } else if case .object = additional.value {
                    check(entry.node, additional, document: document, path: entryPath, into: &problems)
                }
            }
        }
    }

    private func checkString(_ text: String, _ node: ConfigNode, _ schema: ConfigNode, field: String,
                             into problems: inout [ConfigProblem]) {
        if let minimum = schema["minLength"]?.integer, text.count < minimum {
            problems.append(ConfigProblem(node.location, field: field,
                                          minimum == 1 ? "must not be empty" : "shorter than \(minimum) characters"))
        }
        if let maximum = schema["maxLength"]?.integer, text.count > maximum {
            problems.append(ConfigProblem(node.location, field: field, "longer than \(maximum) characters"))
        }
        if let pattern = schema["pattern"]?.string, !matches(text, pattern: pattern) {
            problems.append(ConfigProblem(node.location, field: field, "'\(text)' does not match \(pattern)"))
        }
    }

    private func checkNumber(_ value: Double, _ node: ConfigNode, _ schema: ConfigNode, field: String,
                             into problems: inout [ConfigProblem]) {
        if let minimum = schema["minimum"]?.number, value < minimum {
            problems.append(ConfigProblem(node.location, field: field, "\(describe(node)) is below the minimum \(format(minimum))"))
        }
        if let maximum = schema["maximum"]?.number, value > maximum {
            problems.append(ConfigProblem(node.location, field: field, "\(describe(node)) is above the maximum \(format(maximum))"))
        }
    }

    // MARK: - Helpers

    private func matches(_ text: String, pattern: String) -> Bool {
        // Every pattern checked is one of the schemas' (collected at init); one that does not
        // compile matches nothing.
        guard let expression = patterns[pattern]?.expression else { return false }
        return expression.firstMatch(in: text, range: NSRange(text.startIndex..., in: text)) != nil
    }

    private func matches(_ node: ConfigNode, type: String) -> Bool {
        switch (type, node.value) {
        case ("null", .null), ("boolean", .bool), ("string", .string), ("array", .array), ("object", .object),
             ("integer", .integer), ("number", .integer), ("number", .number):
            return true
        default:
            return false
        }
    }

    private func equal(_ a: ConfigNode, _ b: ConfigNode) -> Bool {
        switch (a.value, b.value) {
        case (.string(let x), .string(let y)): return x == y
        case (.bool(let x), .bool(let y)): return x == y
        case (.null, .null): return true
        default:
            if let x = a.number, let y = b.number { return x == y }
            return false
        }
    }

    private func describe(_ node: ConfigNode) -> String {
        switch node.value {
        case .string(let s): return "'\(s)'"
        case .integer(let i): return String(i)
        case .number(let d): return format(d)
        case .bool(let b): return String(b)
        case .null: return "null"
        case .array: return "an array"
        case .object: return "an object"
        }
    }

    private func format(_ value: Double) -> String {
        value == value.rounded() && abs(value) < 1e15 ? String(Int(value)) : String(value)
    }
}

/// Finds the closest known word, for "did you mean" hints.
public enum Spelling {
    public static func nearest(to word: String, among candidates: [String]) -> String? {
        let lowered = word.lowercased()
        var best: (String, Int)?
        for candidate in candidates {
            let known = candidate.lowercased()
            let isPrefix = known.count >= 3 && (lowered.hasPrefix(known) || known.hasPrefix(lowered))
            let distance = isPrefix ? 1 : editDistance(lowered, known)
            if distance <= max(2, candidate.count / 3), distance < (best?.1 ?? .max) {
                best = (candidate, distance)
            }
        }
        return best?.0
    }

    static func editDistance(_ a: String, _ b: String) -> Int {
        let a = Array(a), b = Array(b)
        if a.isEmpty { return b.count }
        if b.isEmpty { return a.count }
        var previous = Array(0...b.count)
        var current = previous
        for i in 1...a.count {
            current[0] = i
            for j in 1...b.count {
                let cost = a[i - 1] == b[j - 1] ? 0 : 1
                current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
            }
            swap(&previous, &current)
        }
        return previous[b.count]
    }
}
