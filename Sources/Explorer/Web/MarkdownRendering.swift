import Ink

/// An assistant's Markdown as HTML that can hold nothing but text and formatting: headings,
/// lists, tables, emphasis, code (a fenced block keeps its language as a class) and links to
/// `http`, `https` and `mailto` addresses.
///
/// A record is hostile input. Ink passes raw HTML through and writes link and image addresses
/// into attributes as they are, so the text is escaped before Ink sees it (`&`, `<` and `"`:
/// no tag can start and no attribute can end), code is unescaped once after Ink escaped it a
/// second time, a link to any other scheme (`javascript:`, `data:`, a relative path) keeps its
/// words and loses its address, and an image stays its Markdown source (loading it would tell
/// a stranger's server who is reading).
enum MarkdownRendering {
    /// Longer texts are shown as they are: Ink reads character by character.
    static let maximumBytes = 128 * 1024

    /// The HTML of `text`, or nil when it is too long to render.
    static func html(_ text: String) -> String? {
        guard text.utf8.count <= maximumBytes else { return nil }
        var parser = MarkdownParser()
        parser.addModifier(Modifier(target: .codeBlocks) { unescapedOnce($0.html) })
        parser.addModifier(Modifier(target: .inlineCode) { unescapedOnce($0.html) })
        parser.addModifier(Modifier(target: .links) { safeLink($0.html) })
        parser.addModifier(Modifier(target: .images) { String($0.markdown) })
        parser.addModifier(Modifier(target: .html) { String($0.markdown) })
        var body = escaped(text)
        // Ink reads a leading `---` block as metadata and drops it: its first dash as an entity
        // keeps it text.
        if let first = body.firstIndex(where: { !$0.isWhitespace }), body[first...].hasPrefix("---") {
            body.replaceSubrange(first...first, with: "&#45;")
        }
        return parser.html(from: body)
    }

    /// `&`, `<` and `"` as entities. `>` stays: it starts a quote, and opens nothing.
    static func escaped(_ text: String) -> String {
        var output = ""
        output.reserveCapacity(text.utf8.count)
        for character in text {
            switch character {
            case "&": output += "&amp;"
            case "<": output += "&lt;"
            case "\"": output += "&quot;"
            default: output.append(character)
            }
        }
        return output
    }

    /// Code escaped twice (once here, once by Ink) escaped once: every `&` of Ink's output
    /// there is the start of an entity Ink wrote, and `&amp;` is the one that doubled ours.
    static func unescapedOnce(_ html: String) -> String {
        html.replacingOccurrences(of: "&amp;", with: "&")
    }

    /// `<a href="…">words</a>` as Ink writes it: kept, marked `nofollow`, when the address is
    /// `http`, `https` or `mailto`; otherwise only the words.
    static func safeLink(_ html: String) -> String {
        let opening = "<a href=\""
        guard html.hasPrefix(opening), let end = html.range(of: "\">"), html.hasSuffix("</a>") else { return html }
        let address = String(html[html.index(html.startIndex, offsetBy: opening.count)..<end.lowerBound])
        let words = String(html[end.upperBound..<html.index(html.endIndex, offsetBy: -4)])
        let real = address.replacingOccurrences(of: "&quot;", with: "\"").replacingOccurrences(of: "&lt;", with: "<")
            .replacingOccurrences(of: "&amp;", with: "&").lowercased()
        guard ["https://", "http://", "mailto:"].contains(where: real.hasPrefix) else { return words }
        return "<a href=\"\(address)\" rel=\"nofollow noopener noreferrer\">\(words)</a>"
    }
}
