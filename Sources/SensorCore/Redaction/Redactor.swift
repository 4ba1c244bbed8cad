import Foundation
import SensorModel

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Replaces secrets in records before they leave the machine.
///
/// A rule with a literal prefix costs one `memmem` pass per record; its regular expression
/// runs only where the prefix occurs, on the ASCII run around it. Rules without a prefix
/// run their expression over the whole record (slow; config validation says so).
public struct Redactor: Sendable {
    struct CompiledRule: @unchecked Sendable {
        // NSRegularExpression is immutable and documented thread-safe.
        let name: String
        let prefix: [UInt8]
        let expression: NSRegularExpression
        let replacement: [UInt8]
        /// Require that the byte before a match is not part of a word (token-like prefixes).
        let needsBoundary: Bool
    }

    let rules: [CompiledRule]
    /// Rules with a prefix, by the first two bytes of it: one pass over a record finds every
    /// place a prefix may start, whatever the number of rules.
    let rulesByPair: [[Int]]
    /// Bitmap over all two-byte pairs (65,536 bits) of the keys of `rulesByPair`.
    let pairBits: [UInt64]

    /// The longest secret a prefixed rule looks for (private keys are the long ones).
    static let windowBytes = 16 * 1024

    public static let none = Redactor(rules: [])

    /// Built-in rules (when enabled) followed by the configured ones; rules that do not compile
    /// are skipped (config validation reports them).
    public init(settings: SensorSettings) {
        let all = (settings.builtinRedaction ? Redactor.builtInRules : []) + settings.redactionRules
        self.init(rules: all.compactMap(Redactor.compile))
    }

    init(rules: [CompiledRule]) {
        self.rules = rules
        var byPair = [[Int]](repeating: [], count: 65536)
        var bits = [UInt64](repeating: 0, count: 1024)
        for (index, rule) in rules.enumerated() where rule.prefix.count >= 2 {
            let pair = UInt16(rule.prefix[0]) << 8 | UInt16(rule.prefix[1])
            byPair[Int(pair)].append(index)
            bits[Int(pair >> 6)] |= 1 << UInt64(pair & 63)
        }
        rulesByPair = byPair
        pairBits = bits
    }

    public var isEmpty: Bool { rules.isEmpty }

    /// The redacted bytes and the number of replacements, or nil when nothing matched (the
    /// common case, which allocates nothing).
    public func redact(_ bytes: UnsafeRawBufferPointer) -> (bytes: [UInt8], count: Int)? {
        let matches = self.matches(in: bytes)
        guard !matches.isEmpty else { return nil }
        var output: [UInt8] = []
        output.reserveCapacity(bytes.count)
        var position = 0
        var count = 0
        for match in matches where match.range.lowerBound >= position {
            output.append(contentsOf: UnsafeRawBufferPointer(rebasing: bytes[position..<match.range.lowerBound]))
            output.append(contentsOf: match.replacement)
            position = match.range.upperBound
            count += 1
        }
        output.append(contentsOf: UnsafeRawBufferPointer(rebasing: bytes[position...]))
        return (output, count)
    }

    /// What a rule matched: the bytes to replace and what replaces them.
    typealias Match = (range: Range<Int>, replacement: [UInt8])

    /// Every match in `bytes`, by position (a match may overlap an earlier one; the earlier wins).
    func matches(in bytes: UnsafeRawBufferPointer) -> [Match] {
        guard !rules.isEmpty, let base = bytes.baseAddress?.assumingMemoryBound(to: UInt8.self), bytes.count > 1 else { return [] }
        var matches: [Match] = []
        for rule in rules where rule.prefix.count < 2 {
            matches += wholeRecordMatches(rule, bytes)
        }
        var index = 0
        let last = bytes.count - 1
        pairBits.withUnsafeBufferPointer { bits in
            while index < last {
                let pair = UInt16(base[index]) << 8 | UInt16(base[index + 1])
                guard bits[Int(pair >> 6)] & (1 << UInt64(pair & 63)) != 0 else {
                    index += 1
                    continue
                }
                var advanced = false
                for ruleIndex in rulesByPair[Int(pair)] {
                    let rule = rules[ruleIndex]
                    guard index + rule.prefix.count <= bytes.count,
                          rule.prefix.withUnsafeBytes({ memcmp(base + index, $0.baseAddress!, $0.count) }) == 0,
                          let range = match(rule, at: index, in: bytes) else { continue }
                    matches.append((range, rule.replacement))
                    index = range.upperBound
                    advanced = true
                    break
                }
                if !advanced { index += 1 }
            }
        }
        matches.sort { $0.range.lowerBound < $1.range.lowerBound }
        return matches
    }

    private func match(_ rule: CompiledRule, at hit: Int, in bytes: UnsafeRawBufferPointer) -> Range<Int>? {
        if rule.needsBoundary, hit > 0, Redactor.isWordByte(bytes[hit - 1]) { return nil }
        var end = hit
        let limit = min(bytes.count, hit + Redactor.windowBytes)
        while end < limit, bytes[end] < 0x80 { end += 1 }
        let window = String(decoding: UnsafeRawBufferPointer(rebasing: bytes[hit..<end]), as: UTF8.self)
        guard let found = rule.expression.firstMatch(in: window, options: [.anchored],
                                                     range: NSRange(location: 0, length: end - hit)) else { return nil }
        // The window is ASCII, so UTF-16 offsets are byte offsets.
        return (hit + found.range.location)..<(hit + found.range.location + found.range.length)
    }

    private func wholeRecordMatches(_ rule: CompiledRule, _ bytes: UnsafeRawBufferPointer) -> [Match] {
        guard UTF8Check.isValid(bytes) else { return [] }
        let text = String(decoding: bytes, as: UTF8.self)
        let utf16 = text.utf16
        return rule.expression.matches(in: text, range: NSRange(location: 0, length: utf16.count)).compactMap { found in
            guard let range = Range(found.range, in: text),
                  let lower = range.lowerBound.samePosition(in: text.utf8),
                  let upper = range.upperBound.samePosition(in: text.utf8) else { return nil }
            let start = text.utf8.distance(from: text.utf8.startIndex, to: lower)
            let end = text.utf8.distance(from: text.utf8.startIndex, to: upper)
            return (start..<end, rule.replacement)
        }
    }

    static func isWordByte(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
             UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "_"), UInt8(ascii: "-"):
            return true
        default:
            return false
        }
    }

    static func compile(_ rule: RedactionRule) -> CompiledRule? {
        guard let expression = try? NSRegularExpression(pattern: rule.pattern) else { return nil }
        // The replacement lands inside a JSON string: keep it free of quotes and backslashes.
        let replacement = Array(rule.replacement.utf8.filter { $0 != UInt8(ascii: "\"") && $0 != UInt8(ascii: "\\") && $0 >= 0x20 })
        let prefix = Array((rule.prefix ?? "").utf8)
        return CompiledRule(name: rule.name, prefix: prefix, expression: expression, replacement: replacement,
                            needsBoundary: prefix.first.map(isWordByte) ?? false)
    }

    /// Secrets of the major providers and platforms.
    public static let builtInRules: [RedactionRule] = [
        RedactionRule(name: "anthropic-api-key", pattern: "sk-ant-[A-Za-z0-9_-]{20,}", prefix: "sk-ant-"),
        RedactionRule(name: "openai-api-key", pattern: "sk-(?:proj-|svcacct-|admin-)?[A-Za-z0-9_-]{20,}", prefix: "sk-"),
        RedactionRule(name: "stripe-secret-key", pattern: "[sr]k_live_[A-Za-z0-9]{20,}", prefix: "k_live_"),
        RedactionRule(name: "github-token", pattern: "ghp_[A-Za-z0-9]{36,}", prefix: "ghp_"),
        RedactionRule(name: "github-oauth-token", pattern: "gho_[A-Za-z0-9]{36,}", prefix: "gho_"),
        // One rule per prefix: "gh" alone occurs in every "right" and "light", and each
        // occurrence would run the expression.
        RedactionRule(name: "github-app-token", pattern: "ghu_[A-Za-z0-9]{36,}", prefix: "ghu_"),
        RedactionRule(name: "github-app-token", pattern: "ghs_[A-Za-z0-9]{36,}", prefix: "ghs_"),
        RedactionRule(name: "github-app-token", pattern: "ghr_[A-Za-z0-9]{36,}", prefix: "ghr_"),
        RedactionRule(name: "github-fine-grained-token", pattern: "github_pat_[A-Za-z0-9_]{22,}", prefix: "github_pat_"),
        RedactionRule(name: "gitlab-token", pattern: "glpat-[A-Za-z0-9_-]{20,}", prefix: "glpat-"),
        RedactionRule(name: "aws-access-key-id", pattern: "(?:AKIA|ASIA)[0-9A-Z]{16}", prefix: "AKIA"),
        RedactionRule(name: "aws-session-key-id", pattern: "ASIA[0-9A-Z]{16}", prefix: "ASIA"),
        RedactionRule(name: "google-api-key", pattern: "AIza[0-9A-Za-z_-]{35}", prefix: "AIza"),
        RedactionRule(name: "slack-token", pattern: "xox[abposr]-[A-Za-z0-9-]{10,}", prefix: "xox"),
        RedactionRule(name: "huggingface-token", pattern: "hf_[A-Za-z0-9]{30,}", prefix: "hf_"),
        RedactionRule(name: "jwt", pattern: "eyJ[A-Za-z0-9_-]{8,}\\.eyJ[A-Za-z0-9_-]{8,}\\.[A-Za-z0-9_-]{8,}", prefix: "eyJ"),
        RedactionRule(name: "private-key",
                      pattern: "-----BEGIN [A-Z ]*PRIVATE KEY-----[A-Za-z0-9+/=\\\\\\s]*?-----END [A-Z ]*PRIVATE KEY-----",
                      prefix: "-----BEGIN "),
    ]
}
