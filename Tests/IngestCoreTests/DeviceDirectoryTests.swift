import Foundation
import HummingbirdTesting
@testable import Access
@testable import Explorer
@testable import IngestCore
@testable import IngestStore
@testable import Normalization
import Testing

/// A device is a machine with a name: what its sensor says in each batch (host name, system and
/// version, account, sensor version) is kept with when it was first and last heard from, shown
/// on the devices page and in `/api/v1/devices`, to readers of its tenant only.
@Suite struct DeviceDirectoryTests {
    static func batch(device: String, version: String, host: String, user: String) -> [UInt8] {
        Array("""
            {"batch_id":"\(Envelopes.randomID())","sensor":{"device":"\(device)","version":"\(version)","os":"linux",\
            "os_version":"6.8.0-41-generic","host":"\(host)","user":"\(user)"},"records":[\(Envelopes.make(device: device))]}
            """.utf8)
    }

    @Test(arguments: StoreKind.available)
    func whatASensorSaysOfItsMachineIsKeptAndShownToItsTenantOnly(_ kind: StoreKind) async throws {
        try await TestServer.with(kind) { test in
            let reader = try await SignedInReader.make(test)
            let other = try await TenantTests.member(test, try await test.store.createTenant(name: "other"))
            try await test.withRouterClient { client in
                let first = Self.batch(device: "d-laptop", version: "0.1.0", host: "ada-mbp", user: "ada")
                #expect(try await client.postBatch(first, token: test.token).answer().accepted == 1)
                // A later batch: a new sensor version; the same batch again changes nothing but the time.
                let later = Self.batch(device: "d-laptop", version: "0.2.0", host: "ada-mbp", user: "ada")
                #expect(try await client.postBatch(later, token: test.token).answer().accepted == 1)
                // Hostile text from a sensor is text on the page (another laptop: a token binds to one device).
                let evil = TokenSecret.generate()
                _ = try await test.store.createToken(NewToken(name: "evil-laptop", hash: TokenSecret.hash(evil), tenantID: Tenant.defaultID))
                let hostile = Self.batch(device: "d-evil", version: "0.1.0", host: "<script>alert(1)</script>", user: "x")
                #expect(try await client.postBatch(hostile, token: evil).answer().accepted == 1)

                func get(_ path: String, _ token: String) async throws -> TestResponse {
                    try await client.execute(uri: path, method: .get, headers: [.authorization: "Bearer \(token)"])
                }
                let answer = try await get(IngestServer.Paths.devices, reader.token)
                #expect(answer.status == .ok)
                let devices = try #require(try JSONSerialization.jsonObject(with: Data(buffer: answer.body)) as? [String: [[String: Any]]])["devices"]
                let laptop = try #require(devices?.first { $0["device"] as? String == "d-laptop" })
                #expect(laptop["host"] as? String == "ada-mbp" && laptop["user"] as? String == "ada" && laptop["os"] as? String == "linux")
                #expect(laptop["os_version"] as? String == "6.8.0-41-generic" && laptop["sensor_version"] as? String == "0.2.0")
                let firstSeen = try #require(laptop["first_seen"] as? String), lastSeen = try #require(laptop["last_seen"] as? String)
                #expect(firstSeen <= lastSeen)
                #expect(String(buffer: try await get(IngestServer.Paths.devices, other.read).body) == #"{"devices":[]}"#)
                #expect(try await get(IngestServer.Paths.devices, test.token).status == .forbidden, "a laptop's ingest token reads nothing")

                let page = String(buffer: try await reader.get(client, "/devices").body)
                #expect(page.contains(#"<strong class="host">ada-mbp</strong>"#) && page.contains(#"<span class="muted user">ada</span>"#))
                #expect(page.contains("linux 6.8.0-41-generic"))
                #expect(!page.contains("<script>alert(1)") && page.contains("&lt;script&gt;"))
            }
        }
    }

    /// The devices page counts what each device sent as it was stored (`device_days`), not by
    /// reading raw custody: repeats count nothing, the newest collection time is kept whatever
    /// order a batch holds its envelopes in, and emptying raw custody (as retention does) leaves
    /// what was received. The migration fills the counts of a store from before.
    @Test(arguments: StoreKind.available)
    func theDevicesPageCountsWhatEachDeviceSentAsItWasStored(_ kind: StoreKind) async throws {
        try await TestServer.with(kind) { test in
            let reader = try await SignedInReader.make(test)
            try await test.withRouterClient { client in
                let now = Date()
                let collected = [now.addingTimeInterval(-3 * 3600), now.addingTimeInterval(-90 * 60), now.addingTimeInterval(-2 * 3600)]
                    .map { DeviceDirectory.timestamp($0) }
                let records = collected.map {
                    Envelopes.make(device: "d-laptop").replacingOccurrences(of: "2026-11-24T19:02:03.120Z", with: $0)
                }
                let batch = Envelopes.batch(records, device: "d-laptop")
                #expect(try await client.postBatch(batch, token: test.token).answer().accepted == 3)
                #expect(try await client.postBatch(batch, token: test.token).answer().duplicates == 3)
                let late = Envelopes.make(device: "d-laptop")  // collected long ago: not the newest collection
                #expect(try await client.postBatch(Envelopes.batch([late, late], device: "d-laptop"), token: test.token).answer().accepted == 1)

                let rows = try await test.store.query(SQLStatement("SELECT device, day, envelopes, last_collected, last_received FROM device_days"))
                #expect(rows.count == 1)
                #expect(rows.first?[0].text == "d-laptop" && rows.first?[2].int == 4 && rows.first?[3].text == collected[1])
                #expect(rows.first?[1].text == String(now.ISO8601Format().prefix(10)))

                try await test.store.execute([SQLStatement("DELETE FROM raw_envelopes")])
                let page = String(buffer: try await reader.get(client, "/devices").body)
                #expect(page.contains(#"<td class="num">4</td>"#), "the four envelopes received, raw custody emptied")
                // About 1h 30m after the newest collection: exactly what the stored times say (a slow
                // machine receives the batch a minute or more after the test took the time).
                let delay = DisplayFormat.duration(from: rows.first?[3].text, to: rows.first?[4].text)
                #expect(delay.hasPrefix("1h 3") && page.contains("sent \(delay) after collection"), "\(delay)")
                #expect(page.contains("<td>0.1.0</td>"), "the sensor's version as its batch said")

                // A store from before: the migration counts raw custody as it is.
                #expect(try await client.postBatch(Envelopes.batch(Envelopes.many(2).map {
                    $0.replacingOccurrences(of: #""device":"d-test""#, with: #""device":"d-laptop""#)
                }, device: "d-laptop"), token: test.token).answer().accepted == 2)
                try await test.store.execute([SQLStatement("DROP TABLE device_days")]
                                             + DeviceDays.schema(test.store.dialect).map { SQLStatement($0) })
                let filled = try await test.store.query(SQLStatement("SELECT device, envelopes, last_collected FROM device_days"))
                #expect(filled.count == 1 && filled.first?[0].text == "d-laptop" && filled.first?[1].int == 2 && filled.first?[2] == .null)
            }
        }
    }

    @Test func aBatchWithoutTheNewFieldsStillDescribesWhatItCan() throws {
        let body = Array(#"{"batch_id":"b1","sensor":{"device":"d-old","version":"0.0.9","os":7},"records":[]}"#.utf8)
        let batch = try BatchSplitter.split(body)
        #expect(batch.sensor == SensorInfo(device: "d-old", version: "0.0.9"), "a field that is not a string is left out")
    }
}
