import Foundation

/// SCIM PATCH (RFC 7644 §3.5.2) over a resource document: `add`, `replace` and `remove`, with a
/// path naming an attribute (`active`, `name.givenName`, a schema URN prefix allowed), the
/// elements of a multi-valued attribute that match a filter (`members[value eq "…"]`,
/// `emails[type eq "work"].value`), or no path and an object of attributes. What identity
/// providers send: Entra's capitalised ops and `"False"` strings, Okta's `members` removals.
enum SCIMPatch {
    struct Invalid: Error, CustomStringConvertible {
        let description: String
        /// The RFC's `scimType`: `invalidPath`, `noTarget`, `invalidValue`, `invalidSyntax`.
        let type: String
    }

    /// `document` with every operation of `body` applied, in order.
    static func apply(_ body: [String: Any], to document: [String: Any]) throws(Invalid) -> [String: Any] {
        guard let operations = body["Operations"] as? [Any] ?? body["operations"] as? [Any], !operations.isEmpty else {
            throw Invalid(description: "a PatchOp needs Operations", type: "invalidSyntax")
        }
        var document = document
        for (index, element) in operations.enumerated() {
            guard let operation = element as? [String: Any], let op = (operation["op"] as? String)?.lowercased(),
                  ["add", "replace", "remove"].contains(op) else {
                throw Invalid(description: "Operations[\(index)]: op must be add, replace or remove", type: "invalidSyntax")
            }
            let value = operation["value"]
            guard let path = operation["path"] as? String, !path.isEmpty else {
                guard op != "remove" else { throw Invalid(description: "Operations[\(index)]: remove needs a path", type: "noTarget") }
                guard let object = value as? [String: Any] else {
                    throw Invalid(description: "Operations[\(index)]: without a path, value must be an object", type: "invalidValue")
                }
                for (key, item) in object {
                    try set(&document, path: Path(key), value: item, add: op == "add")
                }
                continue
            }
            let parsed = try Path(path)
            if op == "remove" {
                remove(&document, path: parsed)
            } else {
                guard let value else { throw Invalid(description: "Operations[\(index)]: \(op) needs a value", type: "invalidValue") }
                try set(&document, path: parsed, value: value, add: op == "add")
            }
        }
        return document
    }

    /// `name`, `name.givenName`, `members[value eq "x"]`, `emails[type eq "work"].value`.
    struct Path {
        var attribute: String
        var filter: SCIMFilter?
        var sub: String?

        init(_ text: String) throws(Invalid) {
            var text = text
            // A schema URN prefix: urn:ietf:params:scim:schemas:core:2.0:User:active.
            if text.lowercased().hasPrefix("urn:"), let bracket = text.firstIndex(of: "[") ?? Optional(text.endIndex) {
                let head = text[..<bracket]
                if let colon = head.lastIndex(of: ":") { text = String(text[text.index(after: colon)...]) }
            }
            if let open = text.firstIndex(of: "[") {
                guard let close = text.lastIndex(of: "]"), close > open else { throw Invalid(description: "path '\(text)': a ']' is missing", type: "invalidPath") }
                attribute = String(text[..<open])
                do {
                    filter = try SCIMFilter.parse(String(text[text.index(after: open)..<close]))
                } catch {
                    throw Invalid(description: "path '\(text)': \(error)", type: "invalidPath")
                }
                let rest = text[text.index(after: close)...]
                sub = rest.hasPrefix(".") ? String(rest.dropFirst()) : nil
            } else {
                let parts = text.split(separator: ".", maxSplits: 1).map(String.init)
                attribute = parts.first ?? ""
                sub = parts.count > 1 ? parts[1] : nil
            }
            guard !attribute.isEmpty, attribute.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "$" || $0 == "_" }) else {
                throw Invalid(description: "path '\(text)' names no attribute", type: "invalidPath")
            }
        }
    }

    private static func key(_ name: String, in document: [String: Any]) -> String {
        document.keys.first { $0.caseInsensitiveCompare(name) == .orderedSame } ?? name
    }

    /// A value as the attribute keeps it: `"True"`/`"False"` for a boolean become booleans.
    private static func normalized(_ value: Any, attribute: String) -> Any {
        if attribute.lowercased() == "active", let text = value as? String, ["true", "false"].contains(text.lowercased()) {
            return text.lowercased() == "true"
        }
        return value
    }

    private static func set(_ document: inout [String: Any], path: Path, value: Any, add: Bool) throws(Invalid) {
        let name = key(path.attribute, in: document)
        let value = normalized(value, attribute: name)
        if let filter = path.filter {
            guard var elements = document[name] as? [Any] else { throw Invalid(description: "no \(name) matches", type: "noTarget") }
            var matched = false
            for (index, element) in elements.enumerated() {
                guard var object = element as? [String: Any], filter.matches(object) else { continue }
                matched = true
                if let sub = path.sub {
                    object[key(sub, in: object)] = value
                } else if let replacement = value as? [String: Any] {
                    object.merge(replacement) { _, new in new }
                }
                elements[index] = object
            }
            guard matched else { throw Invalid(description: "no \(name) matches the filter", type: "noTarget") }
            document[name] = elements
            return
        }
        if let sub = path.sub {
            var object = document[name] as? [String: Any] ?? [:]
            object[key(sub, in: object)] = value
            document[name] = object
            return
        }
        if add, let existing = document[name] as? [Any] {
            let added = (value as? [Any]) ?? [value]
            var merged = existing
            for item in added where !merged.contains(where: { same($0, item) }) { merged.append(item) }
            document[name] = merged
        } else if add, var existing = document[name] as? [String: Any], let object = value as? [String: Any] {
            existing.merge(object) { _, new in new }
            document[name] = existing
        } else {
            document[name] = value
        }
    }

    private static func same(_ first: Any, _ second: Any) -> Bool {
        if let first = first as? [String: Any], let second = second as? [String: Any], let value = first["value"] as? String {
            return value == second["value"] as? String
        }
        return (first as? NSObject)?.isEqual(second) ?? false
    }

    private static func remove(_ document: inout [String: Any], path: Path) {
        let name = key(path.attribute, in: document)
        if let filter = path.filter {
            guard let elements = document[name] as? [Any] else { return }
            if let sub = path.sub {
                document[name] = elements.map { element -> Any in
                    guard var object = element as? [String: Any], filter.matches(object) else { return element }
                    object.removeValue(forKey: key(sub, in: object))
                    return object
                }
            } else {
                let kept = elements.filter { !(($0 as? [String: Any]).map(filter.matches) ?? false) }
                if kept.isEmpty { document.removeValue(forKey: name) } else { document[name] = kept }
            }
            return
        }
        if let sub = path.sub {
            guard var object = document[name] as? [String: Any] else { return }
            object.removeValue(forKey: key(sub, in: object))
            if object.isEmpty { document.removeValue(forKey: name) } else { document[name] = object }
            return
        }
        document.removeValue(forKey: name)
    }
}
