@testable import Access
@testable import Explorer
@testable import IngestCore
@testable import IngestStore
@testable import Normalization
import Mustache
import Testing

/// What the explorer's templates do with text from records: escape it, all of it.
@Suite struct PageRendererTests {
    @Test func theFiveCharactersAreEscapedAndNothingElseChanges() {
        let escaping = HTMLEscaping()
        #expect(escaping.escapeText(#"<img src=x onerror="a('b')"> & é 🙂"#)
                == "&lt;img src=x onerror=&quot;a(&#39;b&#39;)&quot;&gt; &amp; é 🙂")
        #expect(escaping.escapeText("plain text, naïve") == "plain text, naïve")
        #expect(escaping.escapeText("") == "")
    }

    @Test func everyTemplateEscapesWithIt() throws {
        for (name, text) in EmbeddedWeb.templates {
            #expect(text.contains("{{% CONTENT_TYPE: HTML_ESCAPED }}"), "web/templates/\(name).mustache")
            // The values written as they are: an assistant's Markdown as MarkdownRendering makes it
            // (its tree made harmless first; MarkdownRenderingTests, ExplorerBrowserTests), and
            // a device's bars per day, SVG of dates and numbers the server made (below).
            let unescaped = text.replacingOccurrences(of: "{{{markdown}}}", with: "").replacingOccurrences(of: "{{{sparkBars}}}", with: "")
            #expect(!unescaped.contains("{{{") && !unescaped.contains("{{&"), "web/templates/\(name).mustache writes a value unescaped")
        }
        _ = PageRenderer()
        let page = ErrorPage(title: "t", signedIn: false, heading: "<script>alert(1)</script>", message: "\"quoted\" & 'single'")
        let html = PageRenderer().library.render(page, withTemplate: "error") ?? ""
        #expect(html.contains("<h1>&lt;script&gt;alert(1)&lt;/script&gt;</h1>"))
        #expect(html.contains("<p>&quot;quoted&quot; &amp; &#39;single&#39;</p>"))
        #expect(!html.contains("<script>"))
    }

    /// A device's bars are written by the server, one a day scaled to the busiest, and what
    /// goes into them is escaped all the same.
    @Test func aDevicesBarsAreOneADayScaledToTheBusiestAndEscaped() {
        let bars = DevicesPage.sparkBars([("2026-12-01", 0), ("2026-12-02", 10), ("<script>", 5)])
        #expect(bars == #"<rect x="0" y="23" width="5" height="0"><title>2026-12-01: 0</title></rect>"#
                + #"<rect x="6" y="1" width="5" height="22"><title>2026-12-02: 10</title></rect>"#
                + #"<rect x="12" y="12" width="5" height="11"><title>&lt;script&gt;: 5</title></rect>"#, "\(bars)")
        #expect(DevicesPage.sparkBars([]).isEmpty)
    }

    @Test func aSnippetIsEscapedRunByRunWithTheMatchesMarked() {
        let parts = DisplayFormat.snippet("<b>x</b> \u{1}quokka\u{2} & \u{1}Quokka\u{2}")
        #expect(parts.map(\.text) == ["<b>x</b> ", "quokka", " & ", "Quokka"])
        #expect(parts.map(\.marked) == [false, true, false, true])
        #expect(DisplayFormat.snippet("").isEmpty)
        let page = SearchPage(query: "quokka", searched: true, count: 1, capped: false, hits: [SearchPage.Hit(
            sessionId: "s", messageId: MaybeText("m"), anchor: MaybeText("m-m"), title: "t", tool: "claude-code", what: "user",
            createdAt: MaybeText(nil), snippet: parts)])
        let html = PageRenderer().library.render(page, withTemplate: "search") ?? ""
        #expect(html.contains(#"<p class="snippet">&lt;b&gt;x&lt;/b&gt; <mark>quokka</mark> &amp; <mark>Quokka</mark></p>"#))
    }
}
