import Foundation
import CCmarkGFM

/// An assistant's Markdown as HTML that can hold nothing but text and formatting: headings,
/// lists, tables, emphasis, strikethrough, code (a fenced block keeps its language as a class)
/// and links to `http`, `https` and `mailto` addresses.
///
/// Parsed as GitHub does (cmark-gfm, CommonMark with GitHub's tables, strikethrough and
/// autolinks), then the tree is made harmless before it is written: raw HTML becomes text, a
/// link to any other scheme (`javascript:`, `data:`, a relative path) keeps its words and loses
/// its address, and an image becomes its Markdown source (loading it would tell a stranger's
/// server who is reading). cmark-gfm's own safe mode (no raw HTML, no dangerous address) stays
/// on beneath that. Every link left is marked `nofollow`.
enum MarkdownRendering {
    /// Longer texts are shown as they are.
    static let maximumBytes = 128 * 1024

    /// GitHub's extensions, registered once per process; read only after that.
    private struct Extensions: @unchecked Sendable {
        let syntaxes: [OpaquePointer]
    }
    private static let extensions: Extensions = {
        cmark_gfm_core_extensions_ensure_registered()
        let names: [String] = ["table", "strikethrough", "autolink"]
        return Extensions(syntaxes: names.compactMap { name in name.withCString { cmark_find_syntax_extension($0) } })
    }()

    /// The HTML of `text`, or nil when it is too long to render.
    static func html(_ text: String) -> String? {
        guard text.utf8.count <= maximumBytes else { return nil }
        let options = CMARK_OPT_DEFAULT
        guard let parser = cmark_parser_new(options) else { return nil }
        defer { cmark_parser_free(parser) }
        for syntax in extensions.syntaxes { cmark_parser_attach_syntax_extension(parser, syntax) }
        var source = text
        source.withUTF8 { bytes in
            bytes.withMemoryRebound(to: CChar.self) { cmark_parser_feed(parser, $0.baseAddress, $0.count) }
        }
        guard let document = cmark_parser_finish(parser) else { return nil }
        defer { cmark_node_free(document) }
        harmless(document)
        guard let rendered = cmark_render_html(document, options, cmark_parser_get_syntax_extensions(parser)) else { return nil }
        defer { free(rendered) }
        return markedNoFollow(String(cString: rendered))
    }

    /// Raw HTML as text, images as their source, links to other schemes as their words.
    private static func harmless(_ document: OpaquePointer) {
        var images: [OpaquePointer] = [], links: [OpaquePointer] = [], markup: [OpaquePointer] = []
        let iterator = cmark_iter_new(document)
        defer { cmark_iter_free(iterator) }
        while cmark_iter_next(iterator) != CMARK_EVENT_DONE {
            guard cmark_iter_get_event_type(iterator) == CMARK_EVENT_ENTER, let node = cmark_iter_get_node(iterator) else { continue }
            switch cmark_node_get_type(node) {
            case CMARK_NODE_IMAGE: images.append(node)
            case CMARK_NODE_LINK: links.append(node)
            case CMARK_NODE_HTML_INLINE, CMARK_NODE_HTML_BLOCK: markup.append(node)
            default: break
            }
        }
        // Images first: one may sit inside a link, which is kept or unwrapped afterwards.
        for image in images {
            replace(image, withText: "![\(plainText(of: image))](\(string(cmark_node_get_url(image))))")
        }
        for node in markup {
            let literal = string(cmark_node_get_literal(node))
            if cmark_node_get_type(node) == CMARK_NODE_HTML_BLOCK {
                let paragraph = cmark_node_new(CMARK_NODE_PARAGRAPH)
                let text = cmark_node_new(CMARK_NODE_TEXT)
                cmark_node_set_literal(text, literal.hasSuffix("\n") ? String(literal.dropLast()) : literal)
                cmark_node_append_child(paragraph, text)
                cmark_node_replace(node, paragraph)
                cmark_node_free(node)
            } else {
                replace(node, withText: literal)
            }
        }
        for link in links where !isWebOrMail(string(cmark_node_get_url(link))) {
            while let child = cmark_node_first_child(link) { cmark_node_insert_before(link, child) }
            cmark_node_free(link)
        }
    }

    private static func replace(_ node: OpaquePointer, withText literal: String) {
        let text = cmark_node_new(CMARK_NODE_TEXT)
        cmark_node_set_literal(text, literal)
        cmark_node_replace(node, text)
        cmark_node_free(node)
    }

    /// The words of a node's descendants (an image's description).
    private static func plainText(of node: OpaquePointer) -> String {
        var words = ""
        let iterator = cmark_iter_new(node)
        defer { cmark_iter_free(iterator) }
        while cmark_iter_next(iterator) != CMARK_EVENT_DONE {
            guard cmark_iter_get_event_type(iterator) == CMARK_EVENT_ENTER, let child = cmark_iter_get_node(iterator) else { continue }
            switch cmark_node_get_type(child) {
            case CMARK_NODE_TEXT, CMARK_NODE_CODE: words += string(cmark_node_get_literal(child))
            case CMARK_NODE_SOFTBREAK, CMARK_NODE_LINEBREAK: words += " "
            default: break
            }
        }
        return words
    }

    private static func string(_ pointer: UnsafePointer<CChar>?) -> String {
        pointer.map { String(cString: $0) } ?? ""
    }

    /// `http`, `https` and `mailto` addresses, in any case, nothing before the scheme.
    static func isWebOrMail(_ address: String) -> Bool {
        let lowered = address.lowercased()
        return ["https://", "http://", "mailto:"].contains(where: lowered.hasPrefix)
    }

    /// Each `<a href="…">` cmark wrote (the only anchors the HTML can hold: raw HTML is text)
    /// with `rel="nofollow noopener noreferrer"` after its address.
    static func markedNoFollow(_ html: String) -> String {
        let opening = "<a href=\""
        guard html.contains(opening) else { return html }
        var output = ""
        output.reserveCapacity(html.utf8.count + 64)
        var rest = html[...]
        while let start = rest.range(of: opening) {
            output += rest[..<start.upperBound]
            rest = rest[start.upperBound...]
            // The address is escaped: its closing quote is the next one.
            guard let close = rest.firstIndex(of: "\"") else { break }
            output += rest[...close]
            output += " rel=\"nofollow noopener noreferrer\""
            rest = rest[rest.index(after: close)...]
        }
        output += rest
        return output
    }
}
