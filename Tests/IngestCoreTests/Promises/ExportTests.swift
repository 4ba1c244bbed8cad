import Foundation
import HTTPTypes
import HummingbirdTesting
import IngestCore
import IngestStore
import NIOCore
import Testing

/// Exports re-imported: the tokens and cost of the sessions and usage exports, as NDJSON and as
/// CSV, equal the read API's; a window and a person narrow them; a field a spreadsheet would run
/// is defused.
@Suite struct ExportTests {
    /// RFC 4180 records, as a warehouse loader reads them.
    static func csv(_ text: String) -> [[String: String]] {
        var records: [[String]] = [], field = "", record: [String] = [], quoted = false
        var characters = Array(text).makeIterator()
        while let character = characters.next() {
            if quoted {
                if character == "\"" {
                    if let next = characters.next() {
                        if next == "\"" { field.append("\"") } else {
                            quoted = false
                            if next == "," { record.append(field); field = "" } else if next == "\r\n" || next == "\n" { record.append(field); records.append(record); record = []; field = "" }
                        }
                    } else { quoted = false }
                } else { field.append(character) }
            } else if character == "\"" { quoted = true }
            else if character == "," { record.append(field); field = "" }
            else if character == "\r\n" || character == "\n" { record.append(field); records.append(record); record = []; field = "" }
            else { field.append(character) }
        }
        guard let header = records.first else { return [] }
        return records.dropFirst().map { Dictionary(uniqueKeysWithValues: zip(header, $0)) }
    }

    @Test(arguments: StoreKind.available)
    func exportedFiguresEqualTheReadAPIs(_ kind: StoreKind) async throws {
        try await TestServer.with(kind) { test in
            let people = try await TwoPeople.make(test)
            let reader = try await SignedInReader.make(test, scope: .read)
            try await test.withRouterClient { client in
                func get(_ path: String) async throws -> String {
                    let answer = try await client.execute(uri: path, method: .get, headers: [.authorization: "Bearer \(reader.token)"])
                    #expect(answer.status == .ok, "\(path)")
                    return String(buffer: answer.body)
                }
                let api = try #require(try JSONSerialization.jsonObject(with: Data(try await get("/api/v1/usage?group=day").utf8)) as? [String: Any])
                let buckets = try #require(api["usage"] as? [[String: Any]])
                let apiTokens = buckets.compactMap { ($0["tokens"] as? [String: Any])?["total"] as? Int }.reduce(0, +)
                #expect(apiTokens == 100 + 200 + 300 + 3 * 1000, "each device's two conversations")

                let ndjson = try await get(IngestServer.Paths.exportSessions).split(separator: "\n").compactMap {
                    try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
                }
                #expect(ndjson.count == 6)
                #expect(ndjson.compactMap { $0["total_tokens"] as? Int }.reduce(0, +) == apiTokens)
                #expect(ndjson.allSatisfy { ($0["messages"] as? Int) == 2 && ($0["tool_calls"] as? Int) == 1 }, "\(ndjson.first ?? [:])")
                let sessionsCSV = Self.csv(try await get(IngestServer.Paths.exportSessions + "?format=csv"))
                #expect(sessionsCSV.count == 6 && sessionsCSV.compactMap { Int($0["total_tokens"] ?? "") }.reduce(0, +) == apiTokens)
                let usageCSV = Self.csv(try await get(IngestServer.Paths.exportUsage + "?format=csv"))
                #expect(usageCSV.compactMap { Int($0["tokens"] ?? "") }.reduce(0, +) == apiTokens)
                #expect(Set(usageCSV.compactMap { $0["person"] }) == ["ada@acme.com", "bob@acme.com"])
                let usageLines = try await get(IngestServer.Paths.exportUsage).split(separator: "\n")
                #expect(usageLines.count == usageCSV.count)

                // A window and a person narrow it.
                let firstDay = Self.csv(try await get(IngestServer.Paths.exportUsage + "?format=csv&since=2026-12-01&until=2026-12-01"))
                #expect(Set(firstDay.compactMap { $0["day"] }) == ["2026-12-01"] && firstDay.compactMap { Int($0["tokens"] ?? "") }.reduce(0, +) == 600)
                let bobs = Self.csv(try await get(IngestServer.Paths.exportSessions + "?format=csv&person=\(people.bob.id)"))
                #expect(bobs.count == 2 && bobs.allSatisfy { $0["person"] == "bob@acme.com" })
                let refused = try await client.execute(uri: IngestServer.Paths.exportUsage + "?since=yesterday", method: .get,
                                                       headers: [.authorization: "Bearer \(reader.token)"])
                #expect(refused.status == .badRequest)
            }
            #expect(Exports.csvLine(["=HYPERLINK(\"x\")", "a,b", "-5", "plain"]) == "\"'=HYPERLINK(\"\"x\"\")\",\"a,b\",-5,plain\r\n")
        }
    }
}
