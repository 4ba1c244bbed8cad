import Foundation

/// The only fields of a JSON document that may leave: a source that reads a tool's account
/// file names the email and plan, never the tokens beside them. Each path is dotted keys
/// (`account.email`); `*` is any key of an object (`*.user` of a file keyed by app); a key
/// written `"…"` may hold dots (`"https://example.com/auth"`); a `|jwt` step reads a JSON Web
/// Token's claims and goes on into them (`tokens.id_token|jwt.email`) while the token itself
/// stays behind.
///
/// What leaves is an object of the same shape holding only the named leaves: a string, a
/// number, a boolean, null, or an array of those. A path that ends at an object or at a token
/// (`tokens.id_token`) gives nothing: naming a leaf is the only way a value leaves.
public struct FieldProjection: Sendable, Equatable {
    public enum Step: Sendable, Equatable {
        case key(String)
        case anyKey
        /// The value is a JWT: continue into its claims.
        case jwtClaims
    }

    public var paths: [[Step]]

    public init(paths: [[Step]]) {
        self.paths = paths
    }

    /// Parses the declared paths; the first problem names the path and why.
    public init(_ declared: [String]) throws(ProjectionError) {
        paths = try declared.map { path throws(ProjectionError) in try Self.parse(path) }
    }

    public struct ProjectionError: Error, Equatable, CustomStringConvertible {
        public var path: String
        public var reason: String
        public var description: String { "\(path): \(reason)" }
    }

    static func parse(_ path: String) throws(ProjectionError) -> [Step] {
        var steps: [Step] = []
        var current = ""
        var quoted = false
        var wasQuoted = false
        var index = path.startIndex
        func finish() throws(ProjectionError) {
            guard !current.isEmpty || wasQuoted else { throw ProjectionError(path: path, reason: "an empty key") }
            steps.append(current == "*" && !wasQuoted ? .anyKey : .key(current))
            current = ""
            wasQuoted = false
        }
        while index < path.endIndex {
            let character = path[index]
            if quoted {
                if character == "\"" { quoted = false } else { current.append(character) }
            } else if character == "\"" {
                quoted = true
                wasQuoted = true
            } else if character == "." {
                try finish()
            } else if character == "|" {
                let rest = path[index...]
                guard rest.hasPrefix("|jwt") else { throw ProjectionError(path: path, reason: "the only step after | is jwt") }
                try finish()
                steps.append(.jwtClaims)
                index = path.index(index, offsetBy: 4)
                if index < path.endIndex {
                    guard path[index] == "." else { throw ProjectionError(path: path, reason: "|jwt is followed by . and a claim") }
                    index = path.index(after: index)
                    guard index < path.endIndex else { throw ProjectionError(path: path, reason: "an empty key") }
                    continue
                }
                return steps
            } else {
                current.append(character)
            }
            index = path.index(after: index)
        }
        guard !quoted else { throw ProjectionError(path: path, reason: "a quote is not closed") }
        try finish()
        return steps
    }

    /// The projection of a parsed JSON document (nil when no named leaf is there).
    public func project(_ document: Any) -> [String: Any]? {
        var result: [String: Any] = [:]
        for path in paths {
            guard let picked = Self.pick(document, path[...]) else { continue }
            result = Self.merge(result, picked) as? [String: Any] ?? result
        }
        return result.isEmpty ? nil : result
    }

    /// `value` at `path`, wrapped in objects of the keys that lead to it.
    private static func pick(_ value: Any, _ path: ArraySlice<Step>) -> Any? {
        guard let step = path.first else { return isLeaf(value) ? value : nil }
        let rest = path.dropFirst()
        switch step {
        case .key(let key):
            guard let object = value as? [String: Any], let inner = object[key], let picked = pick(inner, rest) else { return nil }
            return [key: picked]
        case .anyKey:
            guard let object = value as? [String: Any] else { return nil }
            var found: [String: Any] = [:]
            for (key, inner) in object { if let picked = pick(inner, rest) { found[key] = picked } }
            return found.isEmpty ? nil : found
        case .jwtClaims:
            guard let token = value as? String, let claims = JWTClaims.decode(token) else { return nil }
            return pick(claims, rest)
        }
    }

    /// A scalar or an array of scalars, and not a token (a JWT leaves only as the claims a
    /// `|jwt` step names).
    private static func isLeaf(_ value: Any) -> Bool {
        if let array = value as? [Any] { return array.allSatisfy { !($0 is [Any]) && !($0 is [String: Any]) && isLeaf($0) } }
        if let text = value as? String, JWTClaims.decode(text) != nil { return false }
        return !(value is [String: Any])
    }

    private static func merge(_ a: Any, _ b: Any) -> Any {
        guard let left = a as? [String: Any], let right = b as? [String: Any] else { return b }
        return left.merging(right) { merge($0, $1) }
    }
}

/// The payload of a JSON Web Token (RFC 7519): its claims, read without checking the
/// signature (nothing here trusts them; they only say whose account a file holds).
public enum JWTClaims {
    public static func decode(_ token: String) -> [String: Any]? {
        let parts = token.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 3 else { return nil }
        var base64 = parts[1].replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        base64 += String(repeating: "=", count: (4 - base64.count % 4) % 4)
        guard let data = Data(base64Encoded: base64) else { return nil }
        return (try? JSONSerialization.jsonObject(with: data)) as? [String: Any]
    }
}
