import Foundation
@testable import IngestCore
import IngestStore
import Testing

/// The alert rules besides budgets, each found once per thing seen (evaluated again: nothing
/// new), and a Slack webhook's body is the alert's sentence.
@Suite struct AlertRuleTests {
    @Test(arguments: StoreKind.available)
    func eachRuleQueuesOneNotificationPerThingSeen(_ kind: StoreKind) async throws {
        try await TestServer.with(kind) { test in
            let store = test.store
            let tenant = Tenant.defaultID
            try await PeopleDirectory.setDomains(["acme.com"], tenant: tenant, in: store)
            try await test.withRouterClient { client in
                let account = PeopleTests.envelope("claude-code.account", device: "d-home", record:
                    #"{"oauthAccount":{"emailAddress":"ada.private@gmail.com","displayName":"Ada","billingType":"stripe_subscription"}}"#)
                let answer = try await client.postBatch(Envelopes.batch([account], device: "d-home"), token: test.token).answer()
                #expect(answer.accepted == 1)
            }
            try await test.server.normalizer.catchUp()
            let longAgo = DeviceDirectory.timestamp(Date().addingTimeInterval(-10 * 86_400))
            let today = String(DeviceDirectory.timestamp().prefix(10))
            try await store.execute([
                SQLStatement("INSERT INTO devices(tenant_id, device, host, first_seen, last_seen) VALUES (1, 'd-quiet', 'quiet-laptop', $1, $1)", [.text(longAgo)]),
                SQLStatement("INSERT INTO raw_redactions(tenant_id, record_id, rule, device, day, count) VALUES (1, 'r1', 'aws-key', 'd-home', $1, 25)", [.text(today)]),
            ])
            for rule in [AlertRule(tenant: tenant, kind: "personal-account", threshold: 0), AlertRule(tenant: tenant, kind: "silent-device", threshold: 7),
                         AlertRule(tenant: tenant, kind: "redactions", threshold: 20)] {
                try await AlertOutbox.setRule(rule, in: store)
            }
            // No webhook yet: nothing to send anywhere, nothing queued.
            #expect(try await AlertEvaluator(store: store).evaluate() == 0)
            _ = try await AlertOutbox.addWebhook(tenant: tenant, url: "https://hooks.example.com/a", secret: "s", format: "slack", in: store)
            #expect(try await AlertEvaluator(store: store).evaluate() == 3)
            #expect(try await AlertEvaluator(store: store).evaluate() == 0, "once per thing seen")
            let queued = try await AlertOutbox.notifications(tenant: tenant, in: store)
            #expect(Set(queued.compactMap { $0["kind"] }) == ["personal-account", "silent-device", "redactions"])
            let bodies = try await store.query(SQLStatement("SELECT kind, body FROM alert_notifications ORDER BY kind"))
            let personal = try #require(bodies.first { $0[0].text == "personal-account" }?[1].text)
            #expect(personal.contains(#""domain":"gmail.com""#) && !personal.contains("ada.private"), "the account's domain, not its address: \(personal)")
            let slack = AlertNotice.body(try #require(bodies.first { $0[0].text == "silent-device" }?[1].text), format: "slack")
            #expect(slack.hasPrefix(#"{"text":"Device quiet-laptop has sent nothing since"#), "\(slack)")
            // The signature a receiver checks: HMAC-SHA256 of "<t>.<body>".
            // The signature a receiver checks: HMAC-SHA256 of "<t>.<body>" (Python's hmac gives the same).
            #expect(WebhookSender.signature(body: "{}", secret: "key", time: 1) == "t=1,v1=1ba6b8171186efc613e8bcc0cbdab2748f24984d7c5a84faa2637afa0e40d224")
        }
    }
}
