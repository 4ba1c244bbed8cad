import AsyncHTTPClient
import Foundation
@testable import Access
@testable import IngestCore
@testable import IngestStore
import SensorTestSupport
import Testing

/// The MCP server checked with the Python MCP SDK (PyPI `mcp`) as the client, over Streamable
/// HTTP on a real server on 127.0.0.1 and over stdio with the real `sensor-ingest mcp`, on both
/// stores: it lists the tools and runs each; a `usage` caller gets no word, a `self` caller only
/// their own sessions, and every conversation read is logged.
@Suite struct MCPTests {
    struct Answer: Decodable {
        struct Result: Decodable {
            var tool: String
            var is_error: Bool
            var text: String
        }
        var tools: [String]
        var results: [Result]
    }

    static func check(_ arguments: [String]) async throws -> Answer {
        let python = try #require(SCIMTests.python, SCIMTests.missing)
        let script = FixtureHome.repositoryRoot.appendingPathComponent("scripts/mcp-check.py")
        let run = try await ProcessRunner.run(python, [script.path] + arguments)
        #expect(run.status == 0, "\(run.stderr.suffix(2000))")
        return try JSONDecoder().decode(Answer.self, from: run.stdout)
    }

    static func calls(_ calls: [(String, [String: String])]) -> String {
        String(decoding: try! JSONSerialization.data(withJSONObject: calls.map { [$0.0, $0.1] as [Any] }), as: UTF8.self)
    }

    @Test(arguments: StoreKind.available)
    func anAgentSearchesReadsAndSumsAsItsRoleAllows(_ kind: StoreKind) async throws {
        try await kind.withFreshLocation { location in
            try await location.withTestStore { store in
                try await TestServer.with(store: store) { test in
                    let (ids, sessions, _) = try await RoleMatrixTests.populate(test)
                    for name in ["ada", "carol"] {
                        try await store.execute([SQLStatement("""
                            INSERT INTO norm_file_changes(change_key, session_key, path, diff, created_at, source)
                            VALUES ($1, $2, $3, $4, '2026-12-01T10:00:03Z', 'test')
                            """, [.text("c-\(name)"), .text(sessions[name]!), .text("/home/\(name)/Sources/parser.swift"),
                                  .text("+ // \(RoleMatrixTests.phrase(name)) fixed")])])
                    }
                    let read = try await SignedInReader.make(test, scope: .read, name: "agent-read")
                    let usage = try await SignedInReader.make(test, scope: .usage, name: "agent-usage")
                    let ada = try await SignedInReader.make(test, scope: .selfOnly, grants: [(.person, ids["ada"]!)], name: "agent-ada")
                    let every = Self.calls([
                        ("search_sessions", ["text": "please"]), ("search_sessions", ["person": "bob@acme.com"]),
                        ("get_session", ["session_id": sessions["ada"]!]), ("get_session", ["session_id": sessions["carol"]!]),
                        ("usage_summary", ["group_by": "tool"]), ("usage_summary", ["group_by": "person"]),
                        ("recent_edits", ["path": "parser"]), ("list_people_and_teams", [:]),
                    ])
                    try await LiveServer.with(test.server) { url in
                        // A reader of everything: every tool, every person.
                        let all = try await Self.check(["http", url + MCPEndpoint.path, read.token, every])
                        #expect(all.tools == ["get_session", "list_people_and_teams", "recent_edits", "search_sessions", "usage_summary"])
                        #expect(all.results.allSatisfy { !$0.is_error }, "\(all.results.filter(\.is_error))")
                        let searched = all.results[0].text
                        #expect(RoleMatrixTests.people.allSatisfy { searched.contains(sessions[$0]!) } && searched.contains("/sessions/"), "\(searched)")
                        #expect(all.results[1].text.contains(sessions["bob"]!) && !all.results[1].text.contains(sessions["ada"]!))
                        #expect(all.results[2].text.contains(RoleMatrixTests.phrase("ada")) && all.results[2].text.contains(#""role":"user""#))
                        #expect(all.results[4].text.contains("gemini-cli") && all.results[4].text.contains(#""tokens":300"#), "\(all.results[4].text)")
                        #expect(["ada", "bob", "carol"].allSatisfy { all.results[5].text.contains("\($0)@acme.com") })
                        #expect(all.results[6].text.contains("/home/ada/Sources/parser.swift") && all.results[6].text.contains("/home/carol/"))

                        // Figures only: no word, no one's conversation, no per-person figures.
                        let figures = try await Self.check(["http", url + MCPEndpoint.path, usage.token, every])
                        for index in [0, 1, 2, 3, 5, 6] { #expect(figures.results[index].is_error, "usage: \(figures.results[index])") }
                        #expect(!figures.results[4].is_error && figures.results[4].text.contains(#""tokens":300"#))
                        #expect(figures.results.allSatisfy { !$0.text.contains("quokkaphrase") && !$0.text.contains("@acme.com") },
                                "\(figures.results.map(\.text))")
                        #expect(figures.results[0].text.contains("figures"), "a refusal says why: \(figures.results[0].text)")

                        // Ada herself: her own sessions, her own figures, nobody else's.
                        let own = try await Self.check(["http", url + MCPEndpoint.path, ada.token, every])
                        #expect(own.results[0].text.contains(sessions["ada"]!) && !own.results[0].text.contains(sessions["carol"]!))
                        #expect(own.results[1].is_error, "Bob's are not hers: \(own.results[1].text)")
                        #expect(!own.results[2].is_error && own.results[3].is_error && own.results[3].text.contains("no session"))
                        #expect(own.results[5].text.contains("ada@acme.com") && !own.results[5].text.contains("carol@acme.com"))
                        #expect(own.results[6].text.contains("/home/ada/") && !own.results[6].text.contains("/home/carol/"))
                        #expect(own.results.allSatisfy { !$0.text.contains(RoleMatrixTests.phrase("carol")) })

                        // No token, a laptop's token: refused before any tool.
                        var request = HTTPClientRequest(url: url + MCPEndpoint.path)
                        request.method = .POST
                        request.headers.add(name: "Authorization", value: "Bearer \(test.token)")
                        #expect(try await HTTPClient.shared.execute(request, timeout: .seconds(120)).status == .forbidden)
                        request.headers.replaceOrAdd(name: "Authorization", value: "Bearer nope")
                        #expect(try await HTTPClient.shared.execute(request, timeout: .seconds(120)).status == .unauthorized)
                    }
                    // Every conversation read through MCP is in the access log.
                    let log = try await AccessLog.entries(tenant: Tenant.defaultID, in: store)
                    #expect(log.contains { $0.reader == "agent-read" && $0.what == "mcp" && $0.owner == "ada@acme.com" })
                    #expect(log.contains { $0.reader == "agent-ada" && $0.what == "mcp:edits" })

                    // Over stdio: the real binary with a usage token's file.
                    let work = FileManager.default.temporaryDirectory.appendingPathComponent("mcp-\(UUID().uuidString)")
                    try FileManager.default.createDirectory(at: work, withIntermediateDirectories: true)
                    defer { try? FileManager.default.removeItem(at: work) }
                    let file = work.appendingPathComponent("token")
                    try usage.token.write(to: file, atomically: true, encoding: .utf8)
                    try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: file.path)
                    let database: String
                    switch location {
                    case .sqlite(let path): database = path
                    case .postgres(let url): database = url
                    }
                    let stdio = try await Self.check(["stdio", Self.calls([("usage_summary", ["group_by": "model"]), ("search_sessions", ["text": "please"])]),
                                                      "--", ProcessRunner.sensorIngest.path, "mcp", "--token-file", file.path, "--database", database])
                    #expect(stdio.tools.count == 5)
                    #expect(!stdio.results[0].is_error && stdio.results[0].text.contains("gemini-2.5-pro") && stdio.results[1].is_error)
                }
            }
        }
    }
}
