import Foundation
import SensorTestSupport
import Testing

/// The explorer in a real browser: the real `sensor` backfills a home laid out from
/// ../shared/fixtures (plus a hostile transcript and a priced OpenClaw line) into a real
/// `sensor-ingest`; headless Chromium, driven through its DevTools protocol by
/// scripts/browser.py, signs in as a person would and opens every page. The assertions are on
/// the DOM Chromium rendered, against what the JSON read API says.
@Suite(.serialized) struct ExplorerBrowserTests {
    static let phrase = "zanzibarquokka"
    static let hostileSession = "33333333-3333-4333-8333-333333333333"
    static let longSession = "55555555-5555-4555-8555-555555555555"
    static let hostileText = #"<script>window.__pwned=true</script><img src=x onerror="document.documentElement.setAttribute('data-pwned','1')"> please fix app.py, zanzibarquokka"#
    /// An assistant's answer in Markdown, with script, an image that would run code, and links
    /// whose addresses would.
    static let hostileMarkdown = """
        ## Plan for app.py

        1. Read **app.py**
        2. Change the greeting

        | step | file |
        |------|------|
        | edit | app.py |

        ```python
        print("<b>hello</b>" if a and b > 1 else "")
        ```

        See [the docs](https://example.com/docs?a=1&b=2), [run me](javascript:window.__pwned=true) and [data](data:text/html,<script>window.__pwned=true</script>).
        <script>window.__pwned=true</script><img src=x onerror="document.documentElement.setAttribute('data-pwned','1')">
        ![pixel](https://tracker.example/p.png" onerror="window.__pwned=true)
        [quoted](https://example.com/" onmouseover="window.__pwned=true)
        """

    struct Page: Decodable {
        var url: String
        var title: String
        var html: String
        var pwned: Bool
        var problems: [String]
    }

    struct Visit: Decodable {
        var login: Page?
        var pages: [Page]
    }

    /// A Claude Code session whose prompt is full of HTML and script, with thinking, an edit of a
    /// known file and usage of a priced model; and an OpenClaw session with a cost it recorded
    /// itself (the real Bedrock line of formats.md §4.3).
    static func plant(in home: FixtureHome) throws {
        func json(_ value: Any) throws -> String {
            String(decoding: try JSONSerialization.data(withJSONObject: value, options: [.sortedKeys]), as: UTF8.self)
        }
        let base: [String: Any] = ["sessionId": hostileSession, "cwd": "/home/me/hostile", "version": "2.0.0", "isSidechain": false]
        func line(_ fields: [String: Any]) throws -> String { try json(base.merging(fields) { _, new in new }) }
        let lines = [
            try line(["type": "user", "uuid": "h-1", "timestamp": "2026-11-30T10:00:00.000Z",
                      "message": ["role": "user", "content": hostileText]]),
            try line(["type": "assistant", "uuid": "h-2", "timestamp": "2026-11-30T10:00:05.000Z", "requestId": "req_h1",
                      "message": ["id": "msg_h1", "type": "message", "role": "assistant", "model": "claude-sonnet-4-5-20250929",
                                  "content": [["type": "thinking", "thinking": "The user wants a friendlier greeting."],
                                              ["type": "tool_use", "id": "toolu_h1", "name": "Edit",
                                               "input": ["file_path": "/home/me/hostile/app.py", "old_string": "print('hello')",
                                                         "new_string": "print('hello, world')"]]],
                                  "usage": ["input_tokens": 1000, "output_tokens": 500, "cache_read_input_tokens": 2000,
                                            "cache_creation_input_tokens": 100]]]),
            try line(["type": "user", "uuid": "h-3", "timestamp": "2026-11-30T10:00:06.000Z",
                      "message": ["role": "user", "content": [["type": "tool_result", "tool_use_id": "toolu_h1",
                                                               "content": "The file /home/me/hostile/app.py has been updated."]]],
                      "toolUseResult": ["filePath": "/home/me/hostile/app.py", "oldString": "import sys\nprint('hello')\n",
                                        "newString": "import sys\nprint('hello, world')\n"]]),
            try line(["type": "assistant", "uuid": "h-4", "timestamp": "2026-11-30T10:00:09.000Z", "requestId": "req_h2",
                      "message": ["id": "msg_h2", "type": "message", "role": "assistant", "model": "claude-sonnet-4-5-20250929",
                                  "content": [["type": "text", "text": hostileMarkdown]]]]),
        ]
        let transcript = home.root.appendingPathComponent(".claude/projects/-home-me-hostile/\(hostileSession).jsonl")
        try FileManager.default.createDirectory(at: transcript.deletingLastPathComponent(), withIntermediateDirectories: true)
        try Data((lines.joined(separator: "\n") + "\n").utf8).write(to: transcript)

        // A conversation longer than a page, with a rare word near its end.
        let long = try (1...1200).map { n in
            try json(["type": "user", "uuid": "l-\(n)", "sessionId": Self.longSession, "cwd": "/home/me/long",
                      "timestamp": "2026-11-29T10:\(String(format: "%02d", n / 60 % 60)):\(String(format: "%02d", n % 60)).000Z",
                      "message": ["role": "user", "content": n == 1100 ? "line \(n) kookaburrasong" : "line \(n)"]])
        }
        let longFile = home.root.appendingPathComponent(".claude/projects/-home-me-long/\(Self.longSession).jsonl")
        try FileManager.default.createDirectory(at: longFile.deletingLastPathComponent(), withIntermediateDirectories: true)
        try Data((long.joined(separator: "\n") + "\n").utf8).write(to: longFile)

        let openclaw = home.root.appendingPathComponent(".openclaw/agents/main/sessions/44444444-4444-4444-8444-444444444444.jsonl")
        try Data(("""
            {"type":"session","version":3,"id":"44444444-4444-4444-8444-444444444444","timestamp":"2026-11-30T09:00:00.000Z","cwd":"/home/me/naming"}
            {"type":"message","id":"049c68a7","parentId":null,"timestamp":"2026-11-30T09:00:01.000Z","message":{"role":"user","content":[{"type":"text","text":"Name the product"}]}}
            {"type":"message","id":"049c68a8","parentId":"049c68a7","timestamp":"2026-11-30T09:00:05.197Z","message":{"role":"assistant","content":[{"type":"text","text":"Product naming"}],"api":"bedrock-converse-stream","provider":"amazon-bedrock","model":"us.anthropic.claude-opus-4-6-v1","usage":{"input":3,"output":1046,"cacheRead":0,"cacheWrite":20548,"totalTokens":21597,"cost":{"input":1.5e-05,"output":0.02615,"cacheRead":0,"cacheWrite":0.128425,"total":0.15459}},"stopReason":"stop","timestamp":1775450903968}}

            """).utf8).write(to: openclaw)
    }

    /// The real sensor backfills `home` into `server`, which then normalises all of it.
    static func scan(_ home: FixtureHome, work: URL, into server: IngestServerProcess) async throws {
        // The device id is derived from the machine's id; a machine without one gets a fixed one.
        let machine = FileManager.default.fileExists(atPath: "/etc/machine-id") ? [:] : ["SENSOR_MACHINE_ID": "test-machine-0001"]
        let scan = try await ProcessRunner.run(ProcessRunner.sensor, [
            "scan", "--home", home.root.path, "--state-dir", work.appendingPathComponent("state").path,
            "--endpoint", server.endpoint, "--token-file", server.tokenFile.path, "--quiet"], environment: machine)
        #expect(scan.status == 0, "\(scan.stderr)")
        try await NormalizationEndToEndTests.waitForNormalizing(server)
    }

    /// Runs scripts/browser.py: signs in with `token` (when given) and opens `paths`.
    static func browse(_ server: IngestServerProcess, token: String?, _ paths: [String]) async throws -> Visit {
        let script = FixtureHome.repositoryRoot.appendingPathComponent("scripts/browser.py")
        let result = try await ProcessRunner.run(URL(fileURLWithPath: "/usr/bin/env"),
                                                 ["python3", script.path, server.endpoint] + (token.map { ["--token", $0] } ?? []) + paths)
        #expect(result.status == 0, "browser.py: \(result.stderr)")
        return try JSONDecoder().decode(Visit.self, from: result.stdout)
    }

    /// How many times `needle` occurs in `text`.
    static func count(_ needle: String, in text: String) -> Int {
        text.components(separatedBy: needle).count - 1
    }

    static func grouped(_ value: Int) -> String {
        let digits = String(value)
        var text = ""
        for (index, character) in digits.enumerated() {
            if index > 0, (digits.count - index) % 3 == 0 { text.append(",") }
            text.append(character)
        }
        return text
    }

    @Test(arguments: SensorIntoIngestTests.databases)
    func everyPageRendersTheFixtureHomeAndNothingPlantedRuns(_ kind: String) async throws {
        let home = try FixtureHome.make()
        defer { home.remove() }
        try Self.plant(in: home)
        let work = home.root.appendingPathComponent(".work")
        let server = try await IngestServerProcess(database: try await SensorIntoIngestTests.freshDatabase(kind, in: work), directory: work)
        defer { server.stop() }
        try await Self.scan(home, work: work, into: server)

        // What the JSON read API says, to hold the pages to.
        let listed = try await NormalizationEndToEndTests.allSessions(server, includeEmpty: false)
        let hostile = try #require(listed.first { $0["native_id"] as? String == Self.hostileSession })
        let hostileID = try #require(hostile["id"] as? String)
        let device = try #require(hostile["device"] as? String)
        let usage = try #require((try await NormalizationEndToEndTests.get(server, "/api/v1/usage?group=tool") as? [String: Any])?["usage"]
                                 as? [[String: Any]])
        let tokensByTool = Dictionary(uniqueKeysWithValues: usage.map {
            ($0["tool"] as? String ?? "", ($0["tokens"] as? [String: Any])?["total"] as? Int ?? 0)
        })
        let responses = usage.reduce(0) { $0 + (($1["tokens"] as? [String: Any])?["responses"] as? Int ?? 0) }

        // Without a sign-in, every page sends the browser to /login.
        let anonymous = try await Self.browse(server, token: nil, ["/", "/sessions", "/sessions/\(hostileID)", "/search?q=x", "/devices", "/drift"])
        for page in anonymous.pages {
            #expect(page.url.hasPrefix(server.endpoint + "/login"), "\(page.url)")
            #expect(page.html.contains("name=\"token\""))
        }
        // A laptop's ingest token cannot sign in.
        let laptop = try await Self.browse(server, token: server.token, ["/sessions"])
        #expect(laptop.login?.url.hasPrefix(server.endpoint + "/login") == true)
        #expect(laptop.login?.html.contains("it can send, not read") == true)
        #expect(laptop.pages.first?.url.hasPrefix(server.endpoint + "/login") == true)

        // Each tool's own words, from its first session's first message, to search for.
        var wordsByTool: [String: (word: String, session: String)] = [:]
        for session in listed {
            let tool = session["tool"] as? String ?? ""
            guard wordsByTool[tool] == nil, let id = session["id"] as? String,
                  let detail = try await NormalizationEndToEndTests.get(server, "/api/v1/sessions/\(id)") as? [String: Any] else { continue }
            // The first words of its first message with some: all of them must match, so the
            // session ranks among the hits even for common words.
            guard let text = (detail["messages"] as? [[String: Any]] ?? []).compactMap({ $0["text"] as? String }).first(where: { !$0.isEmpty })
            else { continue }
            let words = text.split(whereSeparator: { !$0.isLetter || !$0.isASCII }).filter { $0.count >= 3 }.prefix(4)
            if !words.isEmpty { wordsByTool[tool] = (words.map { String($0) }.joined(separator: "+").lowercased(), id) }
        }
        #expect(Set(wordsByTool.keys).isSuperset(of: ["claude-code", "codex", "openclaw", "cursor", "cursor-agent", "antigravity"]))

        let tools = wordsByTool.keys.sorted()
        let paths = ["/?days=all", "/sessions", "/sessions?page=2", "/sessions/\(hostileID)", "/search?q=\(Self.phrase)", "/devices", "/drift"]
            + tools.map { "/search?q=\(wordsByTool[$0]!.word)" }
        let visit = try await Self.browse(server, token: server.readToken, paths)
        #expect(visit.login?.url == server.endpoint + "/")
        let pages = visit.pages
        #expect(pages.count == paths.count)
        for (path, page) in zip(paths, pages) {
            #expect(page.url == server.endpoint + path, "a signed-in browser stays on \(path)")
            #expect(!page.pwned, "a planted script ran on \(path)")
            #expect(page.problems.isEmpty, "\(path): \(page.problems)")
        }

        // Overview: the window's tokens equal the read API's, drawn as bars per tool.
        let overview = pages[0].html
        #expect(overview.contains("id=\"total-tokens\">\(Self.grouped(tokensByTool.values.reduce(0, +)))<"))
        #expect(overview.contains("id=\"total-responses\">\(Self.grouped(responses))<"))
        #expect(Self.count("class=\"bar series-", in: overview) > 0)
        for (tool, tokens) in tokensByTool where tokens > 0 {
            #expect(overview.contains("data-tool=\"\(tool)\""), "\(tool) has tokens but no bar")
        }
        #expect(overview.contains("id=\"top-models\"") && overview.contains("claude-sonnet-4-5-20250929"))

        // Sessions: 50 a page, every session with messages listed once over the pages.
        let rows = Self.count("class=\"session-row\"", in: pages[1].html) + Self.count("class=\"session-row\"", in: pages[2].html)
        #expect(Self.count("class=\"session-row\"", in: pages[1].html) == min(50, listed.count))
        #expect(rows == listed.count)
        #expect(pages[1].html.contains("data-id=\"\(hostileID)\""))

        // The hostile session: its HTML is text, the thinking folded, the edit a diff, the cost estimated.
        let session = pages[3].html
        #expect(session.contains("&lt;script&gt;window.__pwned=true&lt;/script&gt;&lt;img src=x onerror="))
        #expect(!session.contains("<img src=\"x\""))
        #expect(session.contains("<details class=\"thinking\"><summary>Thinking</summary><pre class=\"text\">The user wants a friendlier greeting."))
        #expect(session.contains("<span class=\"del\">-print('hello')</span>"))
        #expect(session.contains("<span class=\"add\">+print('hello, world')</span>"))
        #expect(session.contains("data-path=\"/home/me/hostile/app.py\""))
        // The assistant's Markdown: formatting in the browser's DOM, nothing that runs or loads.
        let markdownStart = try #require(session.range(of: "<div class=\"text markdown\">"))
        let markdown = String(session[markdownStart.lowerBound...].prefix(4000)).replacingOccurrences(of: ">\n<", with: "><")
        #expect(markdown.contains("<h2>Plan for app.py</h2>"))
        #expect(markdown.contains("<ol><li>Read <strong>app.py</strong></li><li>Change the greeting</li></ol>"))
        #expect(markdown.contains("<th>step</th>") && markdown.contains("<td>edit</td>"))
        #expect(markdown.contains(#"<code class="language-python">print("&lt;b&gt;hello&lt;/b&gt;" if a and b &gt; 1 else "")"#))
        #expect(markdown.contains(#"<a href="https://example.com/docs?a=1&amp;b=2" rel="nofollow noopener noreferrer">the docs</a>"#))
        #expect(markdown.contains("run me") && !markdown.contains(">run me</a>") && !markdown.lowercased().contains("href=\"javascript"))
        #expect(!markdown.contains("href=\"data:") && !markdown.contains("<img") && !markdown.contains("<script"))
        #expect(markdown.contains("&lt;script&gt;window.__pwned=true&lt;/script&gt;"))
        #expect(markdown.contains("![pixel]("), "the image is its text")
        #expect(!markdown.contains(#"onerror="window.__pwned=true""#) && !markdown.contains(#"onmouseover="window.__pwned=true""#),
                "a quote in an address (no address in CommonMark) ends no attribute")
        #expect(session.contains("id=\"cost-total\">$0.0115 est.<"), "1,000 in, 500 out, 2,000 cache reads, 100 cache writes of Sonnet 4.5")

        // Search: the planted word, marked, linking into its message.
        let found = pages[4].html
        #expect(found.contains("<mark>\(Self.phrase)</mark>"))
        #expect(found.contains("href=\"/sessions/\(hostileID)?message="))
        // ... and a word of every tool's own fixture, in that tool's session.
        for (index, tool) in tools.enumerated() {
            let html = pages[7 + index].html
            #expect(html.contains("href=\"/sessions/\(wordsByTool[tool]!.session)?message="), "\(tool): \(wordsByTool[tool]!.word) not found")
            #expect(html.contains("<mark>"), "\(tool)")
        }

        // A reader of another tenant sees none of it: no session, no hit, no token, and the
        // hostile session's address answers "not found".
        let tenant = try await ProcessRunner.run(ProcessRunner.sensorIngest, ["tenant", "create", "other", "--database", server.database])
        #expect(tenant.status == 0, "\(tenant.stderr)")
        let other = try await ProcessRunner.run(ProcessRunner.sensorIngest, [
            "token", "create", "--name", "reader-other", "--scope", "read", "--tenant", "other", "--database", server.database])
        #expect(other.status == 0, "\(other.stderr)")
        let outsider = try await Self.browse(server, token: other.text.trimmingCharacters(in: .whitespacesAndNewlines),
                                             ["/?days=all", "/sessions", "/sessions/\(hostileID)", "/search?q=\(Self.phrase)", "/devices"])
        #expect(outsider.pages[0].html.contains("id=\"total-tokens\">0<"))
        #expect(Self.count("class=\"session-row\"", in: outsider.pages[1].html) == 0)
        #expect(outsider.pages[2].title.hasPrefix("Not found") && !outsider.pages[2].html.contains(Self.phrase))
        #expect(outsider.pages[3].html.contains("0 matches") && !outsider.pages[3].html.contains("<mark>"))
        #expect(!outsider.pages[4].html.contains(device))

        // A long conversation: a thousand messages a page; a search hit opens the page holding it.
        let longID = try #require(listed.first { $0["native_id"] as? String == Self.longSession }?["id"] as? String)
        let paging = try await Self.browse(server, token: server.readToken, ["/sessions/\(longID)", "/search?q=kookaburrasong"])
        #expect(Self.count("<article class=\"message", in: paging.pages[0].html) == 1000)
        #expect(paging.pages[0].html.contains("messages 1–1,000 of 1,200") && paging.pages[0].html.contains("?from=1000\">Later →</a>"))
        let hit = try #require(paging.pages[1].html.range(of: #"/sessions/[0-9a-f]+\?message=[0-9a-f]+#m-[0-9a-f]+"#, options: .regularExpression)
            .map { String(paging.pages[1].html[$0]) })
        let opened = try await Self.browse(server, token: server.readToken, [hit])
        let second = try #require(opened.pages.first?.html)
        #expect(second.contains("messages 1,001–1,200 of 1,200") && second.contains("kookaburrasong"))
        #expect(second.contains("id=\"\(hit.split(separator: "#").last!)\""))
        #expect(Self.count("<article class=\"message", in: second) == 200)

        // Devices and drift.
        #expect(pages[5].html.contains("data-device=\"\(device)\""))
        #expect(pages[5].html.contains("claude-code, codex") || pages[5].html.contains("claude-code"))
        let drift = pages[6].html
        #expect(drift.contains("timesstamp") && drift.contains("world_state"))
        let example = try #require(drift.range(of: #"/raw/[0-9a-f]{32}"#, options: .regularExpression).map { String(drift[$0]) })
        let raw = try await Self.browse(server, token: server.readToken, [example])
        #expect(raw.pages.first?.html.contains(String(example.dropFirst(5))) == true)
        #expect(raw.pages.first?.html.contains("&quot;schema_version&quot;") == true || raw.pages.first?.html.contains("\"schema_version\"") == true)
    }

    /// Cost: estimated from the price table for every usage row the tool did not price, by the
    /// documented rule, and kept as recorded where the tool priced it (OpenClaw).
    @Test func costsAreTheTablesPricesOrWhatTheToolRecorded() async throws {
        let home = try FixtureHome.make()
        defer { home.remove() }
        try Self.plant(in: home)
        try NormalizationEndToEndTests.addAntigravityConversation(to: home)
        let work = home.root.appendingPathComponent(".work")
        let server = try await IngestServerProcess(database: work.appendingPathComponent("ingest.db").path, directory: work)
        defer { server.stop() }
        try await Self.scan(home, work: work, into: server)

        // The price table as shipped, read here independently of the server.
        let pricesFile = FixtureHome.repositoryRoot.appendingPathComponent("pricing/prices.json")
        let table = try #require((try JSONSerialization.jsonObject(with: Data(contentsOf: pricesFile)) as? [String: Any])?["models"]
                                 as? [String: [String: Double]])
        func expected(_ model: String, _ tokens: [String: Any]) -> Double? {
            guard let prices = table[model.lowercased()] else { return nil }
            let input = Double(tokens["input"] as? Int ?? 0), output = Double(tokens["output"] as? Int ?? 0)
            let read = Double(tokens["cache_read"] as? Int ?? 0), write = Double(tokens["cache_write"] as? Int ?? 0)
            let long = input + read + write > 200_000
            func rate(_ name: String, _ fallback: Double) -> Double { (long ? prices[name + "_above_200k"] : nil) ?? prices[name] ?? fallback }
            return (input * rate("input", 0) + output * rate("output", 0) + read * rate("cache_read", prices["input"] ?? 0)
                    + write * rate("cache_write", prices["input"] ?? 0)) / 1e6
        }

        var checked: [String: Int] = [:]
        for session in try await NormalizationEndToEndTests.allSessions(server) {
            let tool = session["tool"] as? String ?? ""
            let detail = try #require(try await NormalizationEndToEndTests.get(server, "/api/v1/sessions/\(session["id"]!)") as? [String: Any])
            for row in detail["usage"] as? [[String: Any]] ?? [] {
                let tokens = row["tokens"] as? [String: Any] ?? [:]
                guard let model = row["model"] as? String, (tokens["total"] as? Int ?? 0) > 0 else { continue }
                if tokens["cost_source"] as? String == "recorded" { continue }
                // Models the shipped table names as they are; the others are priced through their base names.
                guard let want = expected(model, tokens) else { continue }
                let cost = try #require(tokens["cost"] as? Double, "\(tool) \(model)")
                #expect(abs(cost - want) <= 1e-9 * max(1, want), "\(tool) \(model): \(cost) ≠ \(want)")
                #expect(tokens["cost_source"] as? String == "estimated")
                checked[tool, default: 0] += 1
            }
        }
        // At least one priced model of every tool whose fixtures hold tokens.
        #expect(checked["claude-code", default: 0] > 0 && checked["codex", default: 0] > 0, "\(checked)")

        // OpenClaw priced its Bedrock line itself: kept as recorded, not re-estimated.
        let naming = try #require(try await NormalizationEndToEndTests.allSessions(server).first {
            $0["native_id"] as? String == "44444444-4444-4444-8444-444444444444"
        })
        let tokens = try #require(naming["tokens"] as? [String: Any])
        #expect(tokens["cost"] as? Double == 0.15459)
        #expect(tokens["cost_source"] as? String == "recorded")

        // Summed per day, tool and model in the read API, as the rows say.
        let byTool = try #require((try await NormalizationEndToEndTests.get(server, "/api/v1/usage?group=tool") as? [String: Any])?["usage"]
                                  as? [[String: Any]])
        let openclaw = try #require(byTool.first { $0["tool"] as? String == "openclaw" }?["tokens"] as? [String: Any])
        #expect(abs((openclaw["cost"] as? Double ?? 0) - 0.15459) < 1e-9)
    }
}
