import Foundation
import SensorModel

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Replaces secrets in records before they leave the machine.
///
/// A rule with a literal prefix costs one pass over the record for all rules together (a
/// ``LiteralScanner`` finds every prefix at once); its regular expression runs only where its
/// prefix occurs, over at most the rule's `maxLength` bytes. Rules without a prefix run their
/// expression over the whole record (slow; config validation says so).
///
/// Records are mostly JSON text, and a replacement never breaks it: a match is clipped so that
/// it neither starts inside an escape sequence nor ends between a backslash and the character
/// it escapes, nor crosses an unescaped quote; replacements hold no quote, backslash or
/// control character.
public struct Redactor: Sendable {
    struct CompiledRule: Sendable {
        let name: String
        let prefix: [UInt8]
        /// Compiled when the rule first runs (most rules never run in a short process).
        let expression: LazyRegularExpression
        let replacement: [UInt8]
        /// Require that the byte before a match is not part of a word (token-like prefixes).
        let needsBoundary: Bool
        let secret: SecretPart
        /// Runs over the whole record, and only when one of these occurs (any case); see
        /// ``RedactionRule/keywords``.
        let keywords: [[UInt8]]
        let allowlists: [CompiledAllowlist]
        let minimumEntropy: Double?
        let maxLength: Int
        /// A private key's BEGIN line whose END was not found: the key goes on after the match.
        let opensBlock: Bool
        /// See ``RedactionRule/valueAfterName``.
        let valueAfterName: Bool
        /// How many bytes at the start of every match no value ends at (see ``endsValue``):
        /// where the run from a prefix is shorter (`pat` of `path"`), the expression cannot
        /// match and is not run. See ``ValueRun``.
        let minimumRun: Int
        /// A rule from config (not built in): its expression runs under a time limit, so that a
        /// catastrophic pattern pushed by a server cannot hold the sensor.
        var timeLimited = false
    }

    /// A rule's ``RedactionAllowlist``, compiled.
    struct CompiledAllowlist: Sendable {
        let regexes: [LazyRegularExpression]
        let target: RedactionAllowlist.Target
        let stopwords: [String]
        let requiresAll: Bool
    }

    /// How long a configured rule's expression may run on one window or record; past it the
    /// rule is set aside for the rest of that record.
    static let configuredRuleTimeLimit: UInt64 = 50_000_000  // ns

    let rules: [CompiledRule]
    /// Finds, in one pass, the prefixes of the rules that have one (two bytes or more) and
    /// the keywords of the rules that have keywords instead: literal `i` belongs to rule
    /// `literalRules[i]`, as its prefix or (from `firstKeyword` on) as one of its keywords.
    let literals: LiteralScanner?
    let literalRules: [Int]
    let firstKeyword: Int
    /// Rules with neither: they run over every record.
    let everyRecordRules: [Int]
    /// Each rule's ``RedactionRule/valueAfterName``, flat: before the expression runs, a cheap
    /// scan asks whether an assignment with a long enough value follows at all (most names in a
    /// transcript, `input_tokens`, are not assigned a secret).
    let valueAfterName: [Bool]

    /// The longest secret a prefixed rule looks for (private keys are the long ones).
    static let windowBytes = 16 * 1024

    public static let none = Redactor(rules: [])

    /// Built-in rules (when enabled) followed by the configured ones; rules that do not compile
    /// are skipped (config validation reports them).
    public init(settings: SensorSettings) {
        let builtIn = settings.builtinRedaction ? Redactor.builtInRules.compactMap { Redactor.compile($0, checked: false) } : []
        let configured = settings.redactionRules.compactMap { Redactor.compile($0) }.map { rule in
            var rule = rule
            rule.timeLimited = true
            return rule
        }
        self.init(rules: builtIn + configured, cacheDirectory: settings.compiledCacheDirectory.map { URL(fileURLWithPath: $0) })
    }

    init(rules: [CompiledRule], cacheDirectory: URL? = nil) {
        self.rules = rules
        var literals: [LiteralScanner.Literal] = []
        var owners: [Int] = []
        for (index, rule) in rules.enumerated() where rule.prefix.count >= 2 {
            literals.append(LiteralScanner.Literal(bytes: rule.prefix))
            owners.append(index)
        }
        firstKeyword = literals.count
        for (index, rule) in rules.enumerated() where rule.prefix.count < 2 {
            for keyword in rule.keywords {
                literals.append(LiteralScanner.Literal(bytes: keyword, caseless: true))
                owners.append(index)
            }
        }
        literalRules = owners
        everyRecordRules = rules.indices.filter { rules[$0].prefix.count < 2 && rules[$0].keywords.isEmpty }
        self.literals = LiteralScanner(literals: literals, cacheDirectory: cacheDirectory)
        valueAfterName = rules.map(\.valueAfterName)
    }

    public var isEmpty: Bool { rules.isEmpty }

    /// The redacted bytes and what each rule replaced, or nil when nothing matched (the
    /// common case, which allocates nothing).
    public func redact(_ bytes: UnsafeRawBufferPointer) -> Redaction? {
        var carry = RedactionCarry()
        return redact(bytes, carry: &carry)
    }

    /// Like ``redact(_:)`` for one record of a sequence (the lines of one file): `carry` says
    /// whether the record before ended inside a private key, whose continuation this record
    /// then holds, and is updated for the next.
    public func redact(_ bytes: UnsafeRawBufferPointer, carry: inout RedactionCarry) -> Redaction? {
        var matches = self.matches(in: bytes, carry: &carry)
        guard !matches.isEmpty else { return nil }
        matches.sort { $0.range.lowerBound < $1.range.lowerBound }
        var output: [UInt8] = []
        output.reserveCapacity(bytes.count)
        var position = 0
        var counts = RedactionCounts()
        for match in matches where match.range.lowerBound >= position {
            output.append(contentsOf: UnsafeRawBufferPointer(rebasing: bytes[position..<match.range.lowerBound]))
            output.append(contentsOf: match.replacement)
            position = match.range.upperBound
            counts.add(match.rule)
        }
        output.append(contentsOf: UnsafeRawBufferPointer(rebasing: bytes[position...]))
        return Redaction(bytes: output, rules: counts)
    }

    /// What a rule matched: the bytes to replace, what replaces them, and the rule's name.
    typealias Match = (range: Range<Int>, replacement: [UInt8], rule: String)

    /// Every match in `bytes`, by position (a match may overlap an earlier one; the earlier wins).
    func matches(in bytes: UnsafeRawBufferPointer) -> [Match] {
        var carry = RedactionCarry()
        return matches(in: bytes, carry: &carry).sorted { $0.range.lowerBound < $1.range.lowerBound }
    }

    private func matches(in bytes: UnsafeRawBufferPointer, carry: inout RedactionCarry) -> [Match] {
        guard !rules.isEmpty, !bytes.isEmpty else {
            return []
        }
        var matches: [Match] = []
        var index = 0
        var setAside = Set<Int>()  // configured rules that ran out of time on this record
        if carry.insidePrivateKey {
            let (continuation, ended) = Self.keyContinuation(in: bytes)
            matches += continuation.map { ($0, Array("[REDACTED:private-key]".utf8), "private-key") }
            carry.insidePrivateKey = !ended && !continuation.isEmpty
            index = continuation.last?.upperBound ?? 0
        }
        guard bytes.count > 1 else { return matches }
        for rule in everyRecordRules {
            matches += wholeRecordMatches(rules[rule], bytes)
        }
        guard let literals else { return matches }
        var found: [LiteralScanner.Occurrence] = []
        literals.occurrences(in: bytes, into: &found)
        var keywordRules: [Int] = []
        // By start, and at one start in the rules' order: the first rule that matches there wins.
        for occurrence in found where occurrence.start >= index {
            let ruleIndex = literalRules[occurrence.literal]
            if occurrence.literal >= firstKeyword {
                if !keywordRules.contains(ruleIndex) { keywordRules.append(ruleIndex) }
                continue
            }
            guard !valueAfterName[ruleIndex] || Self.assignsValue(after: occurrence.start + rules[ruleIndex].prefix.count, in: bytes),
                  ValueRun.reaches(rules[ruleIndex].minimumRun, from: occurrence.start, in: bytes),
                  setAside.isEmpty || !setAside.contains(ruleIndex) else { continue }
            let rule = rules[ruleIndex]
            var timedOut = false
            guard let match = match(rule, at: occurrence.start, in: bytes, timedOut: &timedOut) else {
                if timedOut { setAside.insert(ruleIndex) }
                continue
            }
            if let range = Self.jsonSafe(match.secret, in: bytes) {
                matches.append((range, rule.replacement, rule.name))
            }
            if rule.opensBlock { carry.insidePrivateKey = true }
            index = max(occurrence.start + 1, match.whole.upperBound)
        }
        for rule in keywordRules {
            matches += wholeRecordMatches(rules[rule], bytes)
        }
        return matches
    }

    /// Runs `rule` where its prefix was found: the whole match and the part to replace.
    private func match(_ rule: CompiledRule, at hit: Int, in bytes: UnsafeRawBufferPointer,
                       timedOut: inout Bool) -> (whole: Range<Int>, secret: Range<Int>)? {
        if rule.needsBoundary, !Self.isBoundary(before: hit, in: bytes) { return nil }
        var end = min(bytes.count, hit + rule.maxLength)
        // Whole UTF-8 sequences only, so the window decodes exactly.
        while end < bytes.count && end > hit && bytes[end] & 0xC0 == 0x80 { end -= 1 }
        let slice = UnsafeRawBufferPointer(rebasing: bytes[hit..<end])
        var ascii = true
        for byte in slice where byte >= 0x80 { ascii = false; break }
        if !ascii && !UTF8Check.isValid(slice) {
            // Not text: the ASCII run from the prefix on.
            end = hit
            while end < min(bytes.count, hit + rule.maxLength), bytes[end] < 0x80 { end += 1 }
            ascii = true
        }
        let window = String(decoding: UnsafeRawBufferPointer(rebasing: bytes[hit..<end]), as: UTF8.self)
        let length = ascii ? end - hit : window.utf16.count
        guard let found = Self.matches(of: rule, in: window, options: [.anchored], range: NSRange(location: 0, length: length),
                                       first: true, timedOut: &timedOut).first else {
            return nil
        }
        func bytesRange(_ range: NSRange) -> Range<Int>? {
            guard range.location != NSNotFound else { return nil }
            if ascii { return (hit + range.location)..<(hit + range.location + range.length) }
            return Self.utf8Range(range, in: window).map { (hit + $0.lowerBound)..<(hit + $0.upperBound) }
        }
        guard var whole = bytesRange(found.range), let part = Self.secretRange(of: found, rule),
              var secret = bytesRange(part) else { return nil }
        // The window cut the secret: it goes on to its end, however long (a 300-character
        // TOKEN= value, a token past the rule's window), not just the part the rule looked at.
        if secret.upperBound == end, end < bytes.count {
            var stop = end
            while stop < bytes.count, !Self.endsValue(bytes[stop]) { stop += 1 }
            secret = secret.lowerBound..<stop
            whole = whole.lowerBound..<max(whole.upperBound, stop)
        }
        guard isSecret(secret, match: whole, of: rule, in: bytes) else { return nil }
        return (whole, secret)
    }

    /// A rule without a prefix, over the whole record: it reads the record's text with JSON
    /// escapes decoded (see ``DecodedText``), as the rules of a scanner of plain files expect.
    private func wholeRecordMatches(_ rule: CompiledRule, _ record: UnsafeRawBufferPointer) -> [Match] {
        let decoded = DecodedText(record)
        return decoded.bytes.withUnsafeBytes { bytes in
            guard UTF8Check.isValid(bytes) else { return [] }
            let text = String(decoding: bytes, as: UTF8.self)
            var timedOut = false
            return Self.matches(of: rule, in: text, options: [], range: NSRange(location: 0, length: text.utf16.count), first: false,
                                timedOut: &timedOut).compactMap { found in
                guard let part = Self.secretRange(of: found, rule), let secret = Self.utf8Range(part, in: text),
                      let whole = Self.utf8Range(found.range, in: text),
                      isSecret(secret, match: whole, of: rule, in: bytes) else { return nil }
                return Self.jsonSafe(decoded.recordRange(secret), in: record).map { ($0, rule.replacement, rule.name) }
            }
        }
    }

    /// A match's range (UTF-16, as the expression reports it) as byte offsets of `text`'s UTF-8.
    static func utf8Range(_ range: NSRange, in text: String) -> Range<Int>? {
        guard range.location != NSNotFound, let found = Range(range, in: text),
              let lower = found.lowerBound.samePosition(in: text.utf8), let upper = found.upperBound.samePosition(in: text.utf8)
        else { return nil }
        let utf8 = text.utf8
        return utf8.distance(from: utf8.startIndex, to: lower)..<utf8.distance(from: utf8.startIndex, to: upper)
    }

    /// The part of a match that is the secret, as the rule says; nil when that group did not match.
    static func secretRange(of found: NSTextCheckingResult, _ rule: CompiledRule) -> NSRange? {
        let range: NSRange
        switch rule.secret {
        case .whole:
            range = found.range
        case .group(let number):
            guard number < found.numberOfRanges else { return nil }
            range = found.range(at: number)
        case .firstGroup:
            range = (1..<found.numberOfRanges).lazy.map(found.range(at:)).first { $0.location != NSNotFound && $0.length > 0 }
                ?? found.range
        }
        return range.location == NSNotFound || range.length == 0 ? nil : range
    }

    /// Whether what a rule found is a secret: random enough if the rule asks for entropy, not
    /// a documented example, not allowed by one of the rule's allowlists.
    private func isSecret(_ secret: Range<Int>, match whole: Range<Int>, of rule: CompiledRule, in bytes: UnsafeRawBufferPointer) -> Bool {
        let value = UnsafeRawBufferPointer(rebasing: bytes[secret])
        if let minimum = rule.minimumEntropy, Self.entropy(value) < minimum { return false }
        if Self.isMarkedExample(value) { return false }
        for allowlist in rule.allowlists where Self.allows(allowlist, secret: secret, match: whole, in: bytes) { return false }
        return true
    }

    private static func allows(_ allowlist: CompiledAllowlist, secret: Range<Int>, match: Range<Int>,
                               in bytes: UnsafeRawBufferPointer) -> Bool {
        var verdicts: [Bool] = []
        if !allowlist.regexes.isEmpty {
            let target = switch allowlist.target {
            case .secret: secret
            case .match: match
            case .line: 0..<bytes.count
            }
            let text = String(decoding: UnsafeRawBufferPointer(rebasing: bytes[target]), as: UTF8.self)
            let range = NSRange(location: 0, length: text.utf16.count)
            verdicts.append(allowlist.regexes.contains { $0.expression?.firstMatch(in: text, range: range) != nil })
        }
        if !allowlist.stopwords.isEmpty {
            let value = String(decoding: UnsafeRawBufferPointer(rebasing: bytes[secret]), as: UTF8.self).lowercased()
            verdicts.append(allowlist.stopwords.contains { value.contains($0) })
        }
        return allowlist.requiresAll ? !verdicts.isEmpty && verdicts.allSatisfy { $0 } : verdicts.contains(true)
    }

    /// The matches of `rule` in `text` (only the first when `first`); a time-limited rule stops
    /// at its limit with what it found, and says so in `timedOut`.
    static func matches(of rule: CompiledRule, in text: String, options: NSRegularExpression.MatchingOptions, range: NSRange,
                        first: Bool, timedOut: inout Bool) -> [NSTextCheckingResult] {
        guard let expression = rule.expression.expression else { return [] }
        guard rule.timeLimited else {
            if first { return expression.firstMatch(in: text, options: options, range: range).map { [$0] } ?? [] }
            return expression.matches(in: text, options: options, range: range)
        }
        var found: [NSTextCheckingResult] = []
        var late = false
        let deadline = DispatchTime.now().uptimeNanoseconds + configuredRuleTimeLimit
        expression.enumerateMatches(in: text, options: options.union(.reportProgress), range: range) { result, _, stop in
            if let result {
                found.append(result)
                if first { stop.pointee = true }
            } else if DispatchTime.now().uptimeNanoseconds > deadline {
                late = true
                stop.pointee = true
            }
        }
        timedOut = late
        return found
    }

    /// Whether `start` (just past a secret-like name) is followed, as `nameToValue` allows, by
    /// the rest of an identifier, a quote, `:` or `=`, and then at least 8 bytes of a value.
    static func assignsValue(after start: Int, in bytes: UnsafeRawBufferPointer) -> Bool {
        var index = start
        let end = min(bytes.count, start + 64)
        func isNameByte(_ byte: UInt8) -> Bool {
            isWordByte(byte) || byte == UInt8(ascii: ".") || byte == UInt8(ascii: "-")
        }
        while index < end, isNameByte(bytes[index]) { index += 1 }
        func isQuoteOrBlank(_ byte: UInt8) -> Bool {
            byte == UInt8(ascii: "\\") || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "'") || byte == UInt8(ascii: " ")
                || byte == UInt8(ascii: "\t")
        }
        while index < end, isQuoteOrBlank(bytes[index]) { index += 1 }
        guard index < end, bytes[index] == UInt8(ascii: ":") || bytes[index] == UInt8(ascii: "=") || bytes[index] == UInt8(ascii: "?") else {
            return false
        }
        index += 1
        while index < end, isQuoteOrBlank(bytes[index]) || bytes[index] == UInt8(ascii: ">") || bytes[index] == UInt8(ascii: "=") { index += 1 }
        var value = 0
        while index < bytes.count, !endsValue(bytes[index]), value < 8 { index += 1; value += 1 }
        return value >= 8
    }

    /// A byte no secret value holds: whitespace, a quote, a backslash, a delimiter.
    static func endsValue(_ byte: UInt8) -> Bool {
        switch byte {
        case 0x00...0x20, UInt8(ascii: "\""), UInt8(ascii: "'"), UInt8(ascii: "\\"), UInt8(ascii: ","), UInt8(ascii: ";"),
             UInt8(ascii: "<"), UInt8(ascii: ">"), UInt8(ascii: "("), UInt8(ascii: ")"), UInt8(ascii: "{"), UInt8(ascii: "}"),
             UInt8(ascii: "["), UInt8(ascii: "]"), UInt8(ascii: "`"): return true
        default: return false
        }
    }

    /// A value the documentation marks as an example (`AKIAIOSFODNN7EXAMPLE`): providers and
    /// scanners write EXAMPLE into sample keys, which are no one's secret.
    static func isMarkedExample(_ bytes: UnsafeRawBufferPointer) -> Bool {
        let marks: [[UInt8]] = [Array("EXAMPLE".utf8), Array("example".utf8)]
        guard bytes.count >= 7 else { return false }
        for start in 0...(bytes.count - 7) {
            for mark in marks where bytes[start] == mark[0] {
                if (1..<7).allSatisfy({ bytes[start + $0] == mark[$0] }) { return true }
            }
        }
        return false
    }

    // MARK: - Byte rules

    static func isWordByte(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
             UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "_"), UInt8(ascii: "-"):
            return true
        default:
            return false
        }
    }

    /// Whether a token may start at `index`: at the start, after a byte that is not part of a
    /// word, or right after a JSON escape (`\n`, `\t`, `\r`, `\b`, `\f`, `\uXXXX`), which
    /// stands for a character that is not part of a word either.
    static func isBoundary(before index: Int, in bytes: UnsafeRawBufferPointer) -> Bool {
        guard index > 0 else { return true }
        let previous = bytes[index - 1]
        if !isWordByte(previous) { return true }
        let backslash = UInt8(ascii: "\\")
        if index >= 2, bytes[index - 2] == backslash, "nrtbf".utf8.contains(previous) { return true }
        if index >= 6, bytes[index - 6] == backslash, bytes[index - 5] == UInt8(ascii: "u"),
           (index - 4..<index).allSatisfy({ isHexDigit(bytes[$0]) }) { return true }
        return false
    }

    static func isHexDigit(_ byte: UInt8) -> Bool {
        (0x30...0x39).contains(byte) || (0x41...0x46).contains(byte) || (0x61...0x66).contains(byte)
    }

    /// `range` clipped so that replacing it keeps JSON text valid: it does not start inside an
    /// escape sequence, end between a backslash and what it escapes, or cross an unescaped quote.
    static func jsonSafe(_ range: Range<Int>, in bytes: UnsafeRawBufferPointer) -> Range<Int>? {
        let backslash = UInt8(ascii: "\\")
        func escapeStarts(at position: Int) -> Bool {
            // A backslash preceded by an even number of backslashes starts an escape.
            guard bytes[position] == backslash else { return false }
            var run = 0
            var before = position - 1
            while before >= 0 && bytes[before] == backslash { run += 1; before -= 1 }
            return run % 2 == 0
        }
        var lower = range.lowerBound
        // Inside an escape: move past its end (`\x` is two bytes, `\uXXXX` six).
        for back in 1...5 where lower - back >= 0 && escapeStarts(at: lower - back) {
            let length = lower - back + 1 < bytes.count && bytes[lower - back + 1] == UInt8(ascii: "u") ? 6 : 2
            if back < length { lower = lower - back + length }
            break
        }
        var upper = range.upperBound
        var position = lower
        while position < upper {
            if bytes[position] == UInt8(ascii: "\"") { upper = position; break }
            if escapeStarts(at: position) {
                let length = position + 1 < bytes.count && bytes[position + 1] == UInt8(ascii: "u") ? 6 : 2
                if position + length > upper { upper = position; break }
                position += length
            } else {
                position += 1
            }
        }
        return lower < upper ? lower..<upper : nil
    }

    /// Shannon entropy of `bytes`, in bits per byte.
    static func entropy(_ bytes: UnsafeRawBufferPointer) -> Double {
        guard !bytes.isEmpty else { return 0 }
        var counts = [Int](repeating: 0, count: 256)
        for byte in bytes { counts[Int(byte)] += 1 }
        let total = Double(bytes.count)
        return counts.reduce(0.0) { sum, count in
            guard count > 0 else { return sum }
            let p = Double(count) / total
            return sum - p * log2(p)
        }
    }

    /// The base64 runs of a private key's continuation at the start of a record (a key split
    /// over several lines of a file), up to its END line; `ended` when that line was found.
    static func keyContinuation(in bytes: UnsafeRawBufferPointer) -> (runs: [Range<Int>], ended: Bool) {
        let end = Array("-----END ".utf8)
        var stop = bytes.count
        var ended = false
        if let found = bytes.withMemoryRebound(to: UInt8.self, { $0.firstRange(of: end) }) {
            stop = found.lowerBound
            ended = true
        }
        var runs: [Range<Int>] = []
        var position = 0
        while position < stop {
            guard isBase64(bytes[position]) else { position += 1; continue }
            var runEnd = position
            while runEnd < stop && isBase64(bytes[runEnd]) { runEnd += 1 }
            if runEnd - position >= 16, let safe = jsonSafe(position..<runEnd, in: bytes) { runs.append(safe) }
            position = runEnd
        }
        // The END line itself names the key type only; it stays.
        return (runs, ended)
    }

    static func isBase64(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
             UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "+"), UInt8(ascii: "/"), UInt8(ascii: "="):
            return true
        default:
            return false
        }
    }

    /// `checked`: compile the expression now and refuse the rule when it does not compile (a
    /// configured rule); a built-in rule's expression, which the tests compile, waits for its
    /// first use.
    static func compile(_ rule: RedactionRule, checked: Bool = true) -> CompiledRule? {
        let expression = LazyRegularExpression(pattern: rule.pattern)
        if checked && expression.expression == nil { return nil }
        // The replacement lands inside a JSON string: keep it free of quotes and backslashes.
        let replacement = Array(rule.replacement.utf8.filter { $0 != UInt8(ascii: "\"") && $0 != UInt8(ascii: "\\") && $0 >= 0x20 })
        let prefix = Array((rule.prefix ?? "").utf8)
        let opensBlock = rule.pattern.hasPrefix("-----BEGIN") && !rule.pattern.contains("-----END")
        return CompiledRule(name: rule.name, prefix: prefix, expression: expression, replacement: replacement,
                            needsBoundary: rule.wordBoundary && (prefix.first.map(isWordByte) ?? false),
                            secret: rule.secret, keywords: rule.keywords.map { Array($0.utf8) }.filter { !$0.isEmpty },
                            allowlists: rule.allowlists.map { allowlist in
                                CompiledAllowlist(regexes: allowlist.regexes.map(LazyRegularExpression.init(pattern:)),
                                                  target: allowlist.target, stopwords: allowlist.stopwords.map { $0.lowercased() },
                                                  requiresAll: allowlist.requiresAll)
                            },
                            minimumEntropy: rule.minimumEntropy,
                            maxLength: max(64, min(rule.maxLength, windowBytes)), opensBlock: opensBlock,
                            valueAfterName: rule.valueAfterName, minimumRun: ValueRun.minimum(of: rule.pattern))
    }
}

/// What one record of a sequence leaves to the next: whether it ended inside a private key.
public struct RedactionCarry: Sendable, Equatable {
    public var insidePrivateKey = false
    public init() {}
}
