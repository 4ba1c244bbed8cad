import Foundation
import HummingbirdTesting
@testable import Explorer
@testable import IngestCore
@testable import IngestStore
@testable import Normalization
import Testing

/// A tool's output is stored once, on its call: the message that only carried it keeps its
/// place, role and kind but not a second copy, so the output is indexed once, found once and
/// shown once; a message that says more than its results keeps its whole text.
@Suite struct ResultsKeptOnceTests {
    static func line(_ n: Int, _ type: String, _ content: String) -> String {
        #"{"type":"\#(type)","sessionId":"s-results","uuid":"u-\#(n)","timestamp":"2026-11-24T19:02:\#(String(format: "%02d", n)).000Z","cwd":"/home/me/app","message":{"role":"\#(type)","content":\#(content)}}"#
    }

    static let lines = [
        line(1, "user", #""Count the lines of the fixture""#),
        line(2, "assistant", #"[{"type":"tool_use","id":"toolu_1","name":"Bash","input":{"command":"wc -l f.txt"}}]"#),
        line(3, "user", #"[{"type":"tool_result","tool_use_id":"toolu_1","content":"42 pangolinquartz lines"}]"#),
        line(4, "assistant", #"[{"type":"tool_use","id":"toolu_2","name":"Read","input":{"path":"f.txt"}}]"#),
        line(5, "user", #"[{"type":"tool_result","tool_use_id":"toolu_2","content":[{"type":"text","text":"first ocelotbramble"},{"type":"text","text":"second"}]}]"#),
        line(6, "assistant", #"[{"type":"tool_use","id":"toolu_3","name":"Bash","input":{"command":"ls"}}]"#),
        line(7, "user", #"[{"type":"text","text":"see narwhalfjord too"},{"type":"tool_result","tool_use_id":"toolu_3","content":"third ibisharbour"}]"#),
    ]

    @Test(arguments: StoreKind.available)
    func aToolsOutputIsStoredIndexedFoundAndShownOnce(_ kind: StoreKind) async throws {
        try await TestServer.with(kind) { test in
            let reader = try await SignedInReader.make(test)
            try await test.withRouterClient { client in
                let envelopes = Self.lines.map { Envelopes.make(source: "claude-code.transcripts", kind: "claude-code.transcript", record: $0) }
                let answer = try await client.postBatch(Envelopes.batch(envelopes), token: test.token).answer()
                #expect(answer.accepted == 7)
            }
            try await test.server.normalizer.catchUp()

            let sessionKey = try #require(try await test.store.query(SQLStatement("SELECT session_key FROM norm_sessions")).first?[0].text)
            let detail = try #require(try await NormalizedReader(store: test.store).session(id: sessionKey))
            // Every line is still a message, in its place and of its kind.
            #expect(detail.messages.count == 7)
            let results = detail.messages.filter { $0.kind == "tool_result" }
            #expect(results.count == 3)
            // The two that only carried output hold none of it; the one that also speaks keeps all of it.
            #expect(results.filter { $0.text == nil }.count == 2, "\(results.map(\.text))")
            #expect(results.compactMap(\.text) == ["see narwhalfjord too\nthird ibisharbour"])
            #expect(Set(detail.messages.map(\.id)).count == 7)
            let calls = Dictionary(uniqueKeysWithValues: detail.toolCalls.map { ($0.callId, $0.result) })
            #expect(calls["toolu_1"] == "42 pangolinquartz lines")
            #expect(calls["toolu_2"] == "first ocelotbramble\nsecond")
            #expect(calls["toolu_3"] == "third ibisharbour")

            // Indexed once: found once, on the call.
            let search = FullTextSearch(store: test.store)
            let found = try await search.search("pangolinquartz", tenant: nil)
            #expect(found.map(\.kind) == ["tool_call"], "\(found)")
            #expect(try await search.search("ocelotbramble", tenant: nil).map(\.kind) == ["tool_call"])
            #expect(try await search.search("narwhalfjord", tenant: nil).map(\.kind) == ["message"])

            // Shown once: under the call that made it, and no empty message where the copy was.
            try await test.withRouterClient { client in
                let page = try await reader.get(client, "/sessions/\(sessionKey)")
                #expect(page.status == .ok)
                let html = String(buffer: page.body)
                #expect(html.components(separatedBy: "pangolinquartz").count - 1 == 1)
                #expect(html.components(separatedBy: "ocelotbramble").count - 1 == 1)
                #expect(html.components(separatedBy: "narwhalfjord").count - 1 == 1)
                #expect(html.components(separatedBy: "kind-tool_result").count - 1 == 1)
                #expect(html.components(separatedBy: "class=\"tool-call\"").count - 1 == 3)
            }
        }
    }
}
