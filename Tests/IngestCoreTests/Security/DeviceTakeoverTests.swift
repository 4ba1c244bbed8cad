import Foundation
import HTTPTypes
import HummingbirdTesting
import NIOCore
@testable import Access
@testable import IngestCore
@testable import IngestStore
import Testing

/// A device is a person's: nobody takes another's device id to read or write in their name.
/// Enrolling an enrolled device again needs its credential (or an admin's let-back); a laptop
/// token cannot bind to a device another credential holds; a sign-in link is vouched for only by
/// an enrolled device's credential, for a person an admin or a personal secret linked.
@Suite struct DeviceTakeoverTests {
    @Test(arguments: StoreKind.available)
    func anotherCredentialsDeviceIsNotThereForTheTaking(_ kind: StoreKind) async throws {
        try await TestServer.with(kind) { test in
            let fleet = TokenSecret.generate()
            let enrollment = try await test.store.createToken(NewToken(name: "fleet", hash: TokenSecret.hash(fleet), scope: .enroll))
            try await test.store.execute([SQLStatement("INSERT INTO enrollments(token_id, max_devices) VALUES ($1, NULL)", [.integer(enrollment.id)])])
            try await test.withRouterClient { client in
                func post(_ path: String, _ token: String, _ body: String = "") async throws -> (HTTPResponse.Status, [String: Any]) {
                    let answer = try await client.execute(uri: path, method: .post, headers: [.authorization: "Bearer \(token)", .contentType: "application/json"],
                                                          body: ByteBuffer(string: body))
                    return (answer.status, (try? JSONSerialization.jsonObject(with: Data(buffer: answer.body)) as? [String: Any]) ?? [:])
                }
                let first = try await post(IngestServer.Paths.enroll, fleet, #"{"device":"d-victim"}"#)
                let credential = try #require(first.1["credential"] as? String)
                // The same secret, or any other, cannot enroll the device again without its credential.
                let taken = try await post(IngestServer.Paths.enroll, fleet, #"{"device":"d-victim"}"#)
                #expect(taken.0 == .conflict && (taken.1["error"] as? String)?.contains("enrolled already") == true, "\(taken.1)")
                // Its holder rotates it.
                let rotated = try await post(IngestServer.Paths.enroll, fleet, #"{"device":"d-victim","credential":"\#(credential)"}"#)
                #expect(rotated.0 == .ok)
                // After an admin's revocation and let-back, a reinstalled machine enrolls it afresh.
                #expect(try await Enrollments.revoke(device: "d-victim", tenant: Tenant.defaultID, in: test.store))
                #expect(try await Enrollments.revoke(device: "d-victim", tenant: Tenant.defaultID, in: test.store, letBack: true))
                let again = try await post(IngestServer.Paths.enroll, fleet, #"{"device":"d-victim"}"#)
                #expect(again.0 == .ok)
                let victimCredential = try #require(again.1["credential"] as? String)

                // A laptop token (unbound) cannot claim the enrolled device; its own device is fine.
                let stolen = try await client.postBatch(Envelopes.batch([Envelopes.make(device: "d-victim")], device: "d-victim"), token: test.token)
                let answer = try stolen.answer()
                #expect(answer.accepted == 0 && answer.rejected.first?.reason.hasPrefix("device_held") == true, "\(answer)")
                // A device an admin says is someone's is not for the taking either.
                let someone = try await PeopleDirectory.upsert(.init(email: "someone@acme.com"), origin: "admin", tenant: Tenant.defaultID, in: test.store)
                try await test.store.execute([PeopleDirectory.link(device: "d-assigned", to: someone.id, by: .admin, tenant: Tenant.defaultID)])
                let laptop = TokenSecret.generate()
                _ = try await test.store.createToken(NewToken(name: "laptop-2", hash: TokenSecret.hash(laptop), tenantID: Tenant.defaultID))
                let claimed = try await client.postBatch(Envelopes.batch([Envelopes.make(device: "d-assigned")], device: "d-assigned"), token: laptop)
                #expect(try claimed.answer().accepted == 0)
                #expect(try await client.postBatch(Envelopes.batch([Envelopes.make(device: "d-own")], device: "d-own"), token: test.token).answer().accepted == 1)

                // A sign-in link: not for a laptop token; not for a device linked only by the
                // accounts it reports; for an admin's link, yes.
                #expect(try await post(IngestServer.Paths.open, test.token).0 == .forbidden)
                let victim = try await PeopleDirectory.upsert(.init(email: "victim@acme.com"), origin: "admin", tenant: Tenant.defaultID, in: test.store)
                try await test.store.execute([PeopleDirectory.link(device: "d-victim", to: victim.id, by: .account, tenant: Tenant.defaultID)])
                let byAccount = try await post(IngestServer.Paths.open, victimCredential)
                #expect(byAccount.0 == .forbidden, "\(byAccount.1)")
                try await test.store.execute([PeopleDirectory.link(device: "d-victim", to: victim.id, by: .admin, tenant: Tenant.defaultID)])
                let linked = try await post(IngestServer.Paths.open, victimCredential)
                #expect(linked.0 == .ok && (linked.1["url"] as? String)?.hasPrefix("/login/once/") == true)
            }
        }
    }
}
