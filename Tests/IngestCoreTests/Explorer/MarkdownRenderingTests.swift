@testable import Explorer
import Testing

/// An assistant's Markdown becomes formatting and text, never markup or an address a click
/// could run. (The same in a browser: `ExplorerBrowserTests`.)
@Suite struct MarkdownRenderingTests {
    /// The HTML without the line breaks cmark writes between elements.
    private func html(_ text: String) throws -> String {
        try #require(MarkdownRendering.html(text)).replacingOccurrences(of: ">\n<", with: "><")
    }

    @Test func headingsListsTablesCodeAndLinksAreFormatting() throws {
        let page = try html("""
            ## Plan

            1. Read **app.py**
            2. Change the *greeting*

            - one
            - two

            | step | file |
            |------|------|
            | edit | app.py |

            ```swift
            let greeting = "<b>hi</b>" && x > 1
            ```

            Use `a && b < c` and see [the docs](https://example.com/docs?a=1&b=2) or [mail](mailto:me@example.com).
            """)
        #expect(page.contains("<h2>Plan</h2>"))
        #expect(page.contains("<ol><li>Read <strong>app.py</strong></li><li>Change the <em>greeting</em></li></ol>"))
        #expect(page.contains("<ul><li>one</li><li>two</li></ul>"))
        #expect(page.contains("<table>") && page.contains("step") && page.contains("<td>edit</td>"))
        #expect(page.contains(#"<pre><code class="language-swift">let greeting = &quot;&lt;b&gt;hi&lt;/b&gt;&quot; &amp;&amp; x &gt; 1"#))
        #expect(page.contains("<code>a &amp;&amp; b &lt; c</code>"))
        #expect(page.contains(#"<a href="https://example.com/docs?a=1&amp;b=2" rel="nofollow noopener noreferrer">the docs</a>"#))
        #expect(page.contains(#"<a href="mailto:me@example.com" rel="nofollow noopener noreferrer">mail</a>"#))
    }

    @Test func rawHTMLIsTextAndNoAddressButTheWebAndMailSurvives() throws {
        let page = try html("""
            <script>window.__pwned=true</script>
            <img src=x onerror="alert(1)"> &lt;not a tag&gt; & more
            [a](javascript:alert(1)) [b](JavaScript:alert(1)) [c](data:text/html,<script>x</script>) [d](/admin/erase)
            [e](java&#115;cript:alert(1)) [f](https://example.com/" onmouseover="alert(1)) ![pixel](https://tracker.example/p.png)
            [g][ref] [h](<javascript:alert(3)> "title") <javascript:alert(4)> [![i](https://example.com/i.png)](vbscript:x)

            [ref]: javascript:alert(2)
            """)
        #expect(!page.contains("<script"))
        #expect(!page.contains("<img"))
        #expect(page.contains("&lt;script&gt;window.__pwned=true&lt;/script&gt;"))
        #expect(page.contains("&lt;img src=x onerror=&quot;alert(1)&quot;&gt;"), "a tag typed is shown as typed")
        #expect(page.contains("&lt;not a tag&gt; &amp; more"), "an entity is its character (CommonMark), shown as text")
        for word in ["a", "b", "c", "d", "e", "g", "h"] {
            #expect(!page.contains(">\(word)</a>"), "link \(word) keeps its words only")
        }
        #expect(!page.lowercased().contains("href=\"javascript") && !page.contains("href=\"data:") && !page.contains("href=\"/"))
        #expect(!page.contains(" onmouseover=\""), "a quote in an address does not end the attribute")
        #expect(page.contains("![pixel](https://tracker.example/p.png)"), "an image stays its source: nothing is fetched")
        #expect(page.contains("![i](https://example.com/i.png)") && !page.contains("vbscript"), "an image in a link: both undone")
        #expect(page.components(separatedBy: "<a ").count - 1 == page.components(separatedBy: #"rel="nofollow noopener noreferrer""#).count - 1)
    }

    @Test func aLeadingRuleIsNotTakenForMetadataAndLongTextsAreNotRendered() throws {
        let page = try html("---\ntitle: secret plan\n---\nbody")
        #expect(page.contains("title: secret plan"))
        #expect(page.contains("body"))
        #expect(MarkdownRendering.html(String(repeating: "a", count: MarkdownRendering.maximumBytes + 1)) == nil)
        #expect(MarkdownRendering.html(String(repeating: "a", count: MarkdownRendering.maximumBytes)) != nil)
    }
}
