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

    @Test func aBatchWithoutTheNewFieldsStillDescribesWhatItCan() throws {
        let body = Array(#"{"batch_id":"b1","sensor":{"device":"d-old","version":"0.0.9","os":7},"records":[]}"#.utf8)
        let batch = try BatchSplitter.split(body)
        #expect(batch.sensor == SensorInfo(device: "d-old", version: "0.0.9"), "a field that is not a string is left out")
    }
}
