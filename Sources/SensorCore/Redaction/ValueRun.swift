/// A cheap test before a rule's expression runs: most places a short prefix occurs (`pat` in
/// `"path"`, `SK` in `SKILL.md`) are followed by a few letters and a quote, while the token
/// the rule looks for is tens of characters of one run.
///
/// ``minimum(of:)`` reads an expression from its start for as long as it is simple (literal
/// characters, classes without whitespace, quotes or delimiters, counted by their least
/// repetition) and returns how many bytes every match begins with that none of them ends a
/// value (``Redactor/endsValue(_:)``). It stops at the first group, alternative, escape class
/// or anything else it does not know, so what it returns is a lower bound, and 0 when unsure.
enum ValueRun {
    static func minimum(of pattern: String) -> Int {
        let characters = Array(pattern.unicodeScalars)
        guard !hasTopLevelAlternative(characters) else { return 0 }
        var index = 0
        var total = 0
        while index < characters.count {
            // One atom: a literal, an escaped punctuation character, or a class.
            let atomEnd: Int
            let character = characters[index]
            if character == "[" {
                guard let close = classEnd(characters, from: index), classIsValueOnly(characters[(index + 1)..<close]) else { break }
                atomEnd = close + 1
            } else if character == "\\" {
                guard index + 1 < characters.count, isValueByte(characters[index + 1]),
                      !characters[index + 1].properties.isAlphabetic, !("0"..."9").contains(characters[index + 1]) else { break }
                atomEnd = index + 2
            } else if character.properties.isAlphabetic || ("0"..."9").contains(character) || "_-=:/@%#!~".unicodeScalars.contains(character),
                      character.isASCII {
                atomEnd = index + 1
            } else {
                break
            }
            // Its repetition.
            var least = 1
            var next = atomEnd
            if next < characters.count {
                switch characters[next] {
                case "?", "*":
                    least = 0
                    next += 1
                case "+":
                    next += 1
                case "{":
                    guard let close = characters[next...].firstIndex(of: "}"),
                          let count = Int(String(String.UnicodeScalarView(characters[(next + 1)..<close])).split(separator: ",", omittingEmptySubsequences: false).first ?? "")
                    else { return total }
                    least = count
                    next = close + 1
                default:
                    break
                }
                // A lazy or possessive mark changes nothing of the least repetition.
                if next < characters.count, characters[next] == "?" || characters[next] == "+" { next += 1 }
            }
            total += least
            index = next
        }
        return total
    }

    /// Whether `count` bytes from `start` are all bytes a value goes on through.
    @inline(__always)
    static func reaches(_ count: Int, from start: Int, in bytes: UnsafeRawBufferPointer) -> Bool {
        guard count > 0 else { return true }
        guard start + count <= bytes.count else { return false }
        for index in start..<(start + count) where Redactor.endsValue(bytes[index]) { return false }
        return true
    }

    private static func isValueByte(_ character: Unicode.Scalar) -> Bool {
        character.isASCII && !Redactor.endsValue(UInt8(character.value))
    }

    /// A `|` outside any group and class: the expression's start is one of several.
    private static func hasTopLevelAlternative(_ characters: [Unicode.Scalar]) -> Bool {
        var depth = 0
        var index = 0
        while index < characters.count {
            switch characters[index] {
            case "\\": index += 1
            case "[": index = classEnd(characters, from: index) ?? characters.count
            case "(": depth += 1
            case ")": depth -= 1
            case "|" where depth == 0: return true
            default: break
            }
            index += 1
        }
        return false
    }

    /// The index of the `]` that closes the class opened at `start`.
    private static func classEnd(_ characters: [Unicode.Scalar], from start: Int) -> Int? {
        var index = start + 1
        if index < characters.count, characters[index] == "]" { index += 1 }
        while index < characters.count {
            if characters[index] == "\\" { index += 2; continue }
            if characters[index] == "[" { return nil }  // nested sets: not simple
            if characters[index] == "]" { return index }
            index += 1
        }
        return nil
    }

    /// A class that matches only bytes a value goes on through: not negated, no escape but
    /// `\d`, `\w` and escaped punctuation that is such a byte.
    private static func classIsValueOnly(_ body: ArraySlice<Unicode.Scalar>) -> Bool {
        guard let first = body.first, first != "^" else { return false }
        var index = body.startIndex
        while index < body.endIndex {
            let character = body[index]
            if character == "\\" {
                guard index + 1 < body.endIndex else { return false }
                let escaped = body[index + 1]
                guard escaped == "d" || escaped == "w" || (isValueByte(escaped) && !escaped.properties.isAlphabetic) else { return false }
                index += 2
                continue
            }
            guard isValueByte(character) else { return false }
            index += 1
        }
        return true
    }
}
