/// A path glob: `*` matches within one segment, `**` any number of whole segments, `?` one
/// character, `[abc]` / `[a-z]` / `[!abc]` a set.
public struct Glob: Sendable, Hashable, CustomStringConvertible {
    public enum Segment: Sendable, Hashable {
        /// `**`: zero or more segments.
        case anyDepth
        /// A segment without wildcards.
        case literal(String)
        /// A segment with wildcards.
        case pattern([Token])
    }

    public enum Token: Sendable, Hashable {
        case character(UInt8)
        case anyCharacter
        case anyRun
        case set(ranges: [ClosedRange<UInt8>], negated: Bool)
    }

    public let text: String
    public let segments: [Segment]
    public let isAbsolute: Bool

    /// Compiles `pattern`; nil when it is malformed (see ``problem(in:)``).
    public init?(_ pattern: String) {
        guard Glob.problem(in: pattern) == nil else { return nil }
        text = pattern
        isAbsolute = pattern.hasPrefix("/")
        segments = pattern.split(separator: "/", omittingEmptySubsequences: true).map { Glob.segment(String($0)) }
    }

    public var description: String { text }

    /// Why `pattern` can never match anything, or nil when it is fine.
    public static func problem(in pattern: String) -> String? {
        if pattern.isEmpty { return "empty pattern" }
        if pattern.hasSuffix("/") { return "ends with '/' (globs match files, not directories)" }
        if pattern.contains("//") { return "empty path segment '//'" }
        for segment in pattern.split(separator: "/") {
            if segment.contains("**") && segment != "**" { return "'**' must be a whole path segment, found '\(segment)'" }
            var depth = 0
            for character in segment {
                if character == "[" { depth += 1 }
                if character == "]" && depth > 0 { depth -= 1 }
            }
            if depth != 0 { return "unclosed '[' in '\(segment)'" }
        }
        if pattern.split(separator: "/").last == "**" { return "ends with '**' (name the files, e.g. '**/*.jsonl')" }
        return nil
    }

    /// Whether the glob has no wildcard at all.
    public var isLiteral: Bool {
        segments.allSatisfy { if case .literal = $0 { return true } else { return false } }
    }

    /// Matches a path given as segments (relative to where the glob is anchored).
    public func matches(_ path: [Substring]) -> Bool {
        Glob.match(segments[...], path[...])
    }

    /// Matches one path segment against one glob segment.
    public static func matches(_ segment: Segment, _ name: Substring) -> Bool {
        switch segment {
        case .anyDepth: return true
        case .literal(let literal): return literal == name
        case .pattern(let tokens):
            var name = name
            return name.withUTF8 { bytes in tokens.withUnsafeBufferPointer { matchTokens($0, from: 0, bytes, from: 0) } }
        }
    }

    private static func match(_ glob: ArraySlice<Segment>, _ path: ArraySlice<Substring>) -> Bool {
        guard let first = glob.first else { return path.isEmpty }
        if case .anyDepth = first {
            let rest = glob.dropFirst()
            var remaining = path
            while true {
                if match(rest, remaining) { return true }
                guard !remaining.isEmpty else { return false }
                remaining = remaining.dropFirst()
            }
        }
        guard let name = path.first, matches(first, name) else { return false }
        return match(glob.dropFirst(), path.dropFirst())
    }

    private static func matchTokens(_ tokens: UnsafeBufferPointer<Token>, from firstToken: Int,
                                    _ name: UnsafeBufferPointer<UInt8>, from firstByte: Int) -> Bool {
        var token = firstToken, byte = firstByte
        while token < tokens.count {
            switch tokens[token] {
            case .anyRun:
                if token + 1 == tokens.count { return true }
                for candidate in byte...name.count where matchTokens(tokens, from: token + 1, name, from: candidate) {
                    return true
                }
                return false
            case .anyCharacter:
                guard byte < name.count else { return false }
            case .character(let c):
                guard byte < name.count, name[byte] == c else { return false }
            case .set(let ranges, let negated):
                guard byte < name.count, ranges.contains(where: { $0.contains(name[byte]) }) != negated else { return false }
            }
            token += 1
            byte += 1
        }
        return byte == name.count
    }

    private static func segment(_ text: String) -> Segment {
        if text == "**" { return .anyDepth }
        if !text.contains(where: { "*?[".contains($0) }) { return .literal(text) }
        var tokens: [Token] = []
        let bytes = Array(text.utf8)
        var index = 0
        while index < bytes.count {
            let c = bytes[index]
            switch c {
            case UInt8(ascii: "*"):
                if tokens.last != .anyRun { tokens.append(.anyRun) }
            case UInt8(ascii: "?"):
                tokens.append(.anyCharacter)
            case UInt8(ascii: "["):
                var end = index + 1
                var negated = false
                if end < bytes.count, bytes[end] == UInt8(ascii: "!") || bytes[end] == UInt8(ascii: "^") {
                    negated = true
                    end += 1
                }
                var ranges: [ClosedRange<UInt8>] = []
                while end < bytes.count, bytes[end] != UInt8(ascii: "]") {
                    if end + 2 < bytes.count, bytes[end + 1] == UInt8(ascii: "-"), bytes[end + 2] != UInt8(ascii: "]") {
                        ranges.append(min(bytes[end], bytes[end + 2])...max(bytes[end], bytes[end + 2]))
                        end += 3
                    } else {
                        ranges.append(bytes[end]...bytes[end])
                        end += 1
                    }
                }
                tokens.append(.set(ranges: ranges, negated: negated))
                index = end
            default:
                tokens.append(.character(c))
            }
            index += 1
        }
        return .pattern(tokens)
    }
}
