import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
@testable import Access
@testable import Explorer
@testable import IngestCore
@testable import IngestStore
import Testing

/// Budgets and exports × every role of the matrix: who sees which budget, who may set one, and
/// what each export holds (never a word; a person named only to readers of their figures;
/// devices and paths only to readers of everything).
@Suite struct PromisesRoleTests {
    @Test(arguments: StoreKind.available)
    func budgetsAndExportsAnswerEachRoleWithWhatItMaySee(_ kind: StoreKind) async throws {
        try await TestServer.with(kind) { test in
            let (ids, _, teams) = try await RoleMatrixTests.populate(test)
            let everyone = Set(RoleMatrixTests.people)
            for budget in [Budget(tenant: 1, scope: .tenant, target: "", period: .month, metric: .tokens, amount: 1000),
                           Budget(tenant: 1, scope: .team, target: teams["Platform"]!, period: .month, metric: .tokens, amount: 500),
                           Budget(tenant: 1, scope: .team, target: teams["Research"]!, period: .month, metric: .tokens, amount: 500),
                           Budget(tenant: 1, scope: .person, target: ids["ada"]!, period: .month, metric: .tokens, amount: 50)] {
                try await Budgets.set(budget, in: test.store)
            }
            let roles = [
                RoleMatrixTests.Role(name: "read", scope: .read, grants: [], reads: everyone, sees: everyone),
                RoleMatrixTests.Role(name: "admin", scope: .admin, grants: [], reads: everyone, sees: everyone),
                RoleMatrixTests.Role(name: "usage", scope: .usage, grants: [], reads: [], sees: []),
                RoleMatrixTests.Role(name: "usage:people", scope: .usage, grants: [(.people, "*")], reads: [], sees: everyone),
                RoleMatrixTests.Role(name: "content:Platform", scope: .content, grants: [(.team, teams["Platform"]!)], reads: ["ada", "bob"], sees: ["ada", "bob"]),
                RoleMatrixTests.Role(name: "content:carol", scope: .content, grants: [(.person, ids["carol"]!)], reads: ["carol"], sees: ["carol"]),
                RoleMatrixTests.Role(name: "self:ada", scope: .selfOnly, grants: [(.person, ids["ada"]!)], reads: ["ada"], sees: ["ada"]),
            ]
            try await test.withRouterClient { client in
                for role in roles {
                    let reader = try await SignedInReader.make(test, scope: role.scope, grants: role.grants, name: role.name)
                    func api(_ path: String, _ method: HTTPRequest.Method = .get, body: String? = nil) async throws -> (HTTPResponse.Status, String) {
                        let answer = try await client.execute(uri: path, method: method, headers: [.authorization: "Bearer \(reader.token)"],
                                                              body: body.map { ByteBuffer(string: $0) })
                        return (answer.status, String(buffer: answer.body))
                    }
                    let limited = role.scope != .read && role.scope != .admin
                    let isSelf = role.scope == .selfOnly

                    // Budgets: the tenant's and Platform's for all but a self reader; Research's (one
                    // member, below the minimum of two) for readers of everything; Ada's for whoever sees her.
                    let budgets = try await api(IngestServer.Paths.budgets)
                    #expect(budgets.0 == .ok)
                    let listed = try #require(try JSONSerialization.jsonObject(with: Data(budgets.1.utf8)) as? [String: Any])["budgets"] as? [[String: Any]]
                    let shown = Set((listed ?? []).compactMap { ($0["budget"] as? [String: Any])?["label"] as? String })
                    var expected: Set<String> = isSelf ? [] : ["", "Platform"]
                    if !limited { expected.insert("Research") }
                    if role.sees.contains("ada") { expected.insert("ada@acme.com") }
                    #expect(shown == expected, "\(role.name) budgets: \(shown)")
                    let set = try await api(IngestServer.Paths.budgets, .put, body: #"{"scope":"tenant","period":"day","metric":"cost","amount":5}"#)
                    #expect(set.0 == (role.scope == .admin ? .ok : .forbidden), "\(role.name) sets a budget: \(set.0)")

                    // Exports: sessions of the people it sees, no words, devices and paths only for readers of everything.
                    let sessions = try await api(IngestServer.Paths.exportSessions + "?format=ndjson")
                    #expect(sessions.0 == .ok)
                    let rows = sessions.1.split(separator: "\n").compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
                    let named = Set(rows.compactMap { $0["person"] as? String })
                    #expect(named == Set(role.sees.map { "\($0)@acme.com" }), "\(role.name) export names \(named)")
                    #expect(rows.count == (role.sees.isEmpty ? 0 : role.sees.count), "\(role.name): \(rows.count) sessions")
                    let csv = try await api(IngestServer.Paths.exportSessions + "?format=csv")
                    let usage = try await api(IngestServer.Paths.exportUsage + "?format=csv")
                    for text in [sessions.1, csv.1, usage.1] {
                        #expect(!text.contains("quokkaphrase") && !text.contains("please fix"), "\(role.name): an export holds words")
                        #expect(!limited || !text.contains("/home/") && !text.contains("d-ada"), "\(role.name): an export shows a device or a path")
                        for name in RoleMatrixTests.people where !role.sees.contains(name) {
                            #expect(!text.contains("\(name)@acme.com"), "\(role.name): an export names \(name)")
                        }
                    }
                    // The overview shows the budgets of what it is about.
                    let overview = String(buffer: try await reader.get(client, "/").body)
                    #expect(overview.contains(#"id="budgets""#) == !isSelf, "\(role.name) overview budgets")
                    if isSelf {
                        let own = String(buffer: try await reader.get(client, "/?person=\(ids["ada"]!)").body)
                        #expect(own.contains(#"id="budgets""#) && own.contains("critical"), "Ada sees her own budget, crossed")
                    }
                }
                // A laptop's token: nothing.
                for path in [IngestServer.Paths.budgets, IngestServer.Paths.exportSessions, IngestServer.Paths.exportUsage] {
                    #expect(try await client.execute(uri: path, method: .get, headers: [.authorization: "Bearer \(test.token)"]).status == .forbidden)
                }
            }
        }
    }
}
