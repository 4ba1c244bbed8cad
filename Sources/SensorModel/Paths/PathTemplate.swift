/// Expands the path templates of declarations: `~`, `${VAR}`, `${VAR:-default}` and `%VAR%`.
public struct PathTemplate: Sendable {
    /// What `~` means.
    public var home: String
    public var environment: [String: String]

    public init(home: String, environment: [String: String]) {
        self.home = home.count > 1 && home.hasSuffix("/") ? String(home.dropLast()) : home
        self.environment = environment
    }

    /// Expands `template`; nil when it names a variable that is unset and has no default
    /// (such a root does not exist on this machine).
    public func expand(_ template: String) -> String? {
        var output = ""
        var rest = Substring(template)
        while let character = rest.first {
            if character == "$", rest.dropFirst().first == "{", let close = Self.closingBrace(in: rest) {
                let body = rest[rest.index(rest.startIndex, offsetBy: 2)..<close]
                rest = rest[rest.index(after: close)...]
                if let separator = body.range(of: ":-") {
                    let name = String(body[..<separator.lowerBound])
                    if let value = environment[name], !value.isEmpty {
                        output += value
                    } else {
                        guard let fallback = expand(String(body[separator.upperBound...])) else { return nil }
                        output += fallback
                    }
                } else {
                    guard let value = environment[String(body)], !value.isEmpty else { return nil }
                    output += value
                }
            } else if character == "%", let close = rest.dropFirst().firstIndex(of: "%"),
                      rest.index(after: rest.startIndex) < close {
                let name = String(rest[rest.index(after: rest.startIndex)..<close])
                guard let value = environment[name], !value.isEmpty else { return nil }
                output += value
                rest = rest[rest.index(after: close)...]
            } else if character == "~" && output.isEmpty && (rest.count == 1 || rest.dropFirst().first == "/") {
                output += home
                rest = rest.dropFirst()
            } else {
                output.append(character)
                rest = rest.dropFirst()
            }
        }
        if output.hasPrefix("~/") || output == "~" { output = home + output.dropFirst() }
        return output.replacingOccurrences(of: "\\", with: "/")
    }

    /// The `}` that closes the `${` at the start of `text`, past any nested `${…}` (a default
    /// that is itself a variable: `${A:-${B:-~/x}/y}`).
    static func closingBrace(in text: Substring) -> Substring.Index? {
        var depth = 0
        var index = text.startIndex
        while index < text.endIndex {
            let character = text[index]
            if character == "{" {
                depth += 1
            } else if character == "}" {
                depth -= 1
                if depth == 0 { return index }
            }
            index = text.index(after: index)
        }
        return nil
    }

    /// The expanded roots of a declaration on `system`, split and de-duplicated, in order.
    public func roots(of declaration: SourceDeclaration, on system: OperatingSystem = .current) -> [String] {
        var seen = Set<String>()
        var roots: [String] = []
        for template in declaration.roots.templates(for: system) {
            guard let expanded = expand(template) else { continue }
            let parts = declaration.roots.split.map { separator in
                expanded.split(separator: separator).map { String($0).trimmingCharacters(in: .whitespaces) }
            } ?? [expanded]
            for part in parts where !part.isEmpty {
                let normalized = part.count > 1 && part.hasSuffix("/") ? String(part.dropLast()) : part
                if seen.insert(normalized).inserted { roots.append(normalized) }
            }
        }
        if let registry = declaration.roots.registry {
            for root in registryRoots(registry) where seen.insert(root).inserted { roots.append(root) }
        }
        return roots
    }

    /// The roots a registry file lists, read now (none when no registry file exists).
    public func registryRoots(_ registry: RegistryRoots) -> [String] {
        for file in registry.files.compactMap(expand) {
            guard let data = FileManager.default.contents(atPath: file) else { continue }
            return registry.roots(inRegistry: data).map { $0.replacingOccurrences(of: "\\", with: "/") }
        }
        return []
    }
}

import Foundation
