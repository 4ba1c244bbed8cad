import IngestStore
import Normalization
import Access
import HTTPTypes
import Hummingbird
import Mustache

/// Renders the explorer's pages from the templates in `web/templates` (built in) and answers
/// with the headers every page carries: a strict Content-Security-Policy (no script at all, no
/// inline style, nothing from elsewhere), no caching, no framing, no sniffing.
package struct PageRenderer: Sendable {
    package let library: MustacheLibrary

    static let securityPolicy = "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"

    package init() {
        // Every template names this content type (`{{% CONTENT_TYPE: HTML_ESCAPED }}`); one that
        // does not still gets the library's own escaping, only slower.
        MustacheContentTypes.register(HTMLEscaping(), named: "HTML_ESCAPED")
        var library = MustacheLibrary()
        for (name, text) in EmbeddedWeb.templates {
            do {
                try library.register(text, named: name)
            } catch {
                preconditionFailure("web/templates/\(name).mustache does not parse: \(error)")
            }
        }
        self.library = library
    }

    /// `template` rendered with `page` (any value; its properties are the template's names).
    package func render(_ template: String, _ page: Any, status: HTTPResponse.Status = .ok, headers extra: HTTPFields = [:]) -> Response {
        let html = library.render(page, withTemplate: template) ?? "template \(template) is missing"
        var headers = extra
        headers[.contentType] = "text/html; charset=utf-8"
        headers[.cacheControl] = "no-store"
        headers[Self.csp] = Self.securityPolicy
        headers[Self.contentTypeOptions] = "nosniff"
        headers[Self.frameOptions] = "DENY"
        headers[Self.referrerPolicy] = "same-origin"
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(string: html)))
    }

    static let csp = HTTPField.Name("Content-Security-Policy")!
    static let contentTypeOptions = HTTPField.Name("X-Content-Type-Options")!
    static let frameOptions = HTTPField.Name("X-Frame-Options")!
    static let referrerPolicy = HTTPField.Name("Referrer-Policy")!
}

/// HTML escaping of `& < > " '` over UTF-8 bytes: the library's own escapes a character at a
/// time through a dictionary, which was a quarter of rendering a long session. Text with
/// nothing to escape (most of it) is returned as it is.
package struct HTMLEscaping: MustacheContentType {
    package func escapeText(_ text: String) -> String {
        var text = text
        return text.withUTF8 { bytes in
            guard let first = bytes.firstIndex(where: Self.needsEscape) else { return nil }
            var escaped: [UInt8] = []
            escaped.reserveCapacity(bytes.count + bytes.count / 8 + 16)
            escaped.append(contentsOf: bytes[..<first])
            for byte in bytes[first...] {
                switch byte {
                case UInt8(ascii: "&"): escaped.append(contentsOf: "&amp;".utf8)
                case UInt8(ascii: "<"): escaped.append(contentsOf: "&lt;".utf8)
                case UInt8(ascii: ">"): escaped.append(contentsOf: "&gt;".utf8)
                case UInt8(ascii: "\""): escaped.append(contentsOf: "&quot;".utf8)
                case UInt8(ascii: "'"): escaped.append(contentsOf: "&#39;".utf8)
                default: escaped.append(byte)
                }
            }
            return String(decoding: escaped, as: UTF8.self)
        } ?? text
    }

    static func needsEscape(_ byte: UInt8) -> Bool {
        byte == UInt8(ascii: "&") || byte == UInt8(ascii: "<") || byte == UInt8(ascii: ">") || byte == UInt8(ascii: "\"")
            || byte == UInt8(ascii: "'")
    }
}
