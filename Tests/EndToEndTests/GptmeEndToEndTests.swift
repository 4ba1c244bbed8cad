import Foundation
import SensorTestSupport
import Testing

/// gptme, built from its documented log format (gptme/message.py's `to_dict`, gptme/dirs.py's
/// logs folder): the built-in declaration finds each conversation, the real sensor delivers
/// every line once, and the built-in mapping gives the messages, tokens and cost counted here
/// from the lines, for both shapes of usage (nested and the older flat one), on both stores.
@Suite struct GptmeEndToEndTests {
    struct Conversation {
        var folder: String
        var lines: [String] = []
        var messages = 0
        var input = 0, output = 0, cacheRead = 0, cacheWrite = 0, responses = 0
        var cost = 0.0

        mutating func say(_ role: String, _ content: String, at second: Int, metadata: String? = nil) {
            let text = String(decoding: try! JSONSerialization.data(withJSONObject: content, options: .fragmentsAllowed), as: UTF8.self)
            let extra = metadata.map { #","metadata":\#($0)"# } ?? ""
            lines.append(#"{"role":"\#(role)","content":\#(text),"timestamp":"2026-12-03T14:00:\#(String(format: "%02d", second)).123456"\#(extra)}"#)
            messages += 1
        }

        mutating func answer(_ content: String, at second: Int, input: Int, output: Int, cacheRead: Int, cacheWrite: Int, cost: Double,
                             flat: Bool = false) {
            let usage = flat
                ? #""input_tokens":\#(input),"output_tokens":\#(output),"cache_read_tokens":\#(cacheRead),"cache_creation_tokens":\#(cacheWrite)"#
                : #""usage":{"input_tokens":\#(input),"output_tokens":\#(output),"cache_read_tokens":\#(cacheRead),"cache_creation_tokens":\#(cacheWrite)}"#
            say("assistant", content, at: second, metadata: #"{"model":"anthropic/claude-sonnet-4-6","cost":\#(cost),\#(usage)}"#)
            self.input += input
            self.output += output
            self.cacheRead += cacheRead
            self.cacheWrite += cacheWrite
            self.cost += cost
            responses += 1
        }
    }

    @Test(arguments: SensorIntoIngestTests.databases)
    func gptmeConversationsArriveWithTheirMessagesTokensAndCost(_ kind: String) async throws {
        let scratch = ScratchHome("gptme")
        defer { scratch.remove() }
        let home = scratch.home

        var first = Conversation(folder: "2026-12-03-sneaking-purple-dog")
        first.say("system", "You are gptme, a general-purpose AI assistant.", at: 0)
        first.say("user", "list the files here", at: 1)
        first.answer("Let me check.\n```shell\nls\n```", at: 2, input: 2100, output: 40, cacheRead: 15000, cacheWrite: 900, cost: 0.0129)
        first.say("system", "Ran command: `ls`\n```stdout\nREADME.md\nsetup.py\n```", at: 3)
        first.answer("There are two files: README.md and setup.py.", at: 4, input: 60, output: 18, cacheRead: 17000, cacheWrite: 0, cost: 0.0056)
        var older = Conversation(folder: "2025-06-30-flying-green-fish")
        older.say("user", "what is 2+2?", at: 10)
        older.answer("4", at: 11, input: 500, output: 2, cacheRead: 0, cacheWrite: 0, cost: 0.00153, flat: true)
        let conversations = [first, older]
        for conversation in conversations {
            let url = home.appendingPathComponent(".local/share/gptme/logs/\(conversation.folder)/conversation.jsonl")
            try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try (conversation.lines.joined(separator: "\n") + "\n").write(to: url, atomically: true, encoding: .utf8)
        }

        #expect(try await DocumentedToolRun.matchedFiles(source: "gptme.conversations", home: home) == conversations.count)

        let work = scratch.work
        let server = try await scratch.server(kind)
        defer { server.stop() }
        let stored = try await DocumentedToolRun.scanTwice(home: home, work: work, into: server, source: "gptme.conversations")
        #expect(stored == conversations.map(\.lines.count).reduce(0, +), "every line once")

        let listed = try await NormalizationEndToEndTests.allSessions(server).filter { $0["tool"] as? String == "gptme" }
        #expect(listed.count == conversations.count)
        for conversation in conversations {
            let session = try #require(listed.first { $0["native_id"] as? String == conversation.folder }, "\(conversation.folder)")
            #expect(session["messages"] as? Int == conversation.messages)
            let tokens = try #require(session["tokens"] as? [String: Any])
            #expect(tokens["input"] as? Int == conversation.input)
            #expect(tokens["output"] as? Int == conversation.output)
            #expect(tokens["cache_read"] as? Int == conversation.cacheRead)
            #expect(tokens["cache_write"] as? Int == conversation.cacheWrite)
            #expect(tokens["responses"] as? Int == conversation.responses)
            #expect(abs((tokens["cost"] as? Double ?? -1) - conversation.cost) < 1e-9, "the cost gptme recorded")
        }
        let detail = try #require(try await NormalizationEndToEndTests.get(
            server, "/api/v1/sessions/\(listed.first { $0["native_id"] as? String == first.folder }!["id"] as! String)") as? [String: Any])
        let messages = try #require(detail["messages"] as? [[String: Any]])
        #expect(messages.map { $0["role"] as? String ?? "" } == ["system", "user", "assistant", "system", "assistant"])
        #expect(messages[2]["model"] as? String == "anthropic/claude-sonnet-4-6")
        let drift = try #require(try await NormalizationEndToEndTests.get(server, "/api/v1/drift") as? [String: Any])
        #expect((drift["drift"] as? [[String: Any]] ?? []).filter { $0["tool"] as? String == "gptme" }.isEmpty)
    }
}
