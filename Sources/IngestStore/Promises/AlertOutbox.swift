import Foundation
import SQLiteDB

/// Where a tenant's alerts are sent: an HTTPS (or loopback HTTP) URL, the secret its
/// notifications are signed with, and the body's shape (`json`, or `slack` for a Slack-compatible
/// incoming webhook).
public struct Webhook: Codable, Sendable, Equatable {
    public var id: Int64
    public var tenant: Int64
    public var url: String
    public var format: String
}

/// An alert rule besides budgets: `personal-account` (a personal account signed in on a company
/// device; threshold unused), `silent-device` (no batch for `threshold` days), `redactions` (more
/// than `threshold` secrets redacted in one day).
public struct AlertRule: Codable, Sendable, Equatable {
    public static let kinds = ["personal-account", "silent-device", "redactions"]
    public var tenant: Int64
    public var kind: String
    public var threshold: Double

    public init(tenant: Int64, kind: String, threshold: Double) {
        self.tenant = tenant
        self.kind = kind
        self.threshold = threshold
    }
}

/// A notification waiting to be sent (or sent).
public struct PendingNotification: Sendable, Equatable {
    public var key: String
    public var tenant: Int64
    public var url: String
    public var secret: String
    public var format: String
    public var body: String
    public var attempts: Int
}

/// Alerts are written to an outbox once per crossing (the key names the rule, the period or
/// the thing seen, the level and the webhook: a restart or a second replica makes the same key
/// and adds nothing), then sent until a webhook answers 2xx, with backoff between tries.
public enum AlertOutbox {
    public static func addWebhook(tenant: Int64, url: String, secret: String, format: String,
                                  in store: any NormalizedStore) async throws -> Int64 {
        try await store.query(SQLStatement("""
            INSERT INTO webhooks(tenant_id, url, secret, format, created_at) VALUES ($1, $2, $3, $4, $5) RETURNING id
            """, [.integer(tenant), .text(url), .text(secret), .text(format), .text(DeviceDirectory.timestamp())])).first?.first?.int ?? 0
    }

    public static func removeWebhook(id: Int64, tenant: Int64, in store: any NormalizedStore) async throws -> Bool {
        try await !store.query(SQLStatement("DELETE FROM webhooks WHERE id = $1 AND tenant_id = $2 RETURNING id",
                                            [.integer(id), .integer(tenant)])).isEmpty
    }

    /// The webhooks (never their secrets) of a tenant, nil: of every tenant.
    public static func webhooks(tenant: Int64?, in store: any NormalizedStore) async throws -> [Webhook] {
        try await store.query(SQLStatement("SELECT id, tenant_id, url, format FROM webhooks WHERE ($1 < 0 OR tenant_id = $1) ORDER BY id",
                                           [.integer(tenant ?? -1)])).map {
            Webhook(id: $0[0].int ?? 0, tenant: $0[1].int ?? 0, url: $0[2].text ?? "", format: $0[3].text ?? "json")
        }
    }

    public static func setRule(_ rule: AlertRule, in store: any NormalizedStore) async throws {
        try await store.execute([SQLStatement("""
            INSERT INTO alert_rules(tenant_id, kind, threshold) VALUES ($1, $2, $3)
            ON CONFLICT (tenant_id, kind) DO UPDATE SET threshold = excluded.threshold
            """, [.integer(rule.tenant), .text(rule.kind), .real(rule.threshold)])])
    }

    public static func removeRule(tenant: Int64, kind: String, in store: any NormalizedStore) async throws -> Bool {
        try await !store.query(SQLStatement("DELETE FROM alert_rules WHERE tenant_id = $1 AND kind = $2 RETURNING kind",
                                            [.integer(tenant), .text(kind)])).isEmpty
    }

    public static func rules(tenant: Int64?, in store: any NormalizedStore) async throws -> [AlertRule] {
        try await store.query(SQLStatement("SELECT tenant_id, kind, threshold FROM alert_rules WHERE ($1 < 0 OR tenant_id = $1) ORDER BY tenant_id, kind",
                                           [.integer(tenant ?? -1)])).map {
            AlertRule(tenant: $0[0].int ?? 0, kind: $0[1].text ?? "", threshold: $0[2].double ?? 0)
        }
    }

    /// Queues `body` for every webhook of the tenant under `key` (plus the webhook), unless it
    /// was queued before; returns how many were new.
    public static func enqueue(key: String, tenant: Int64, kind: String, body: String, now: Date = Date(),
                               in store: any NormalizedStore) async throws -> Int {
        let stamp = DeviceDirectory.timestamp(now)
        return try await store.query(SQLStatement("""
            INSERT INTO alert_notifications(key, tenant_id, webhook_id, kind, body, created_at, next_attempt_at)
            SELECT $1 || ':' || CAST(w.id AS TEXT), w.tenant_id, w.id, $3, $4, $5, $5 FROM webhooks w WHERE w.tenant_id = $2
            ON CONFLICT (key) DO NOTHING RETURNING key
            """, [.text(key), .integer(tenant), .text(kind), .text(body), .text(stamp)])).count
    }

    /// Notifications due at `now`, each claimed for `lease` (so another replica leaves it alone
    /// while this one sends it).
    public static func claimDue(now: Date = Date(), limit: Int = 50, lease: TimeInterval = 60,
                                in store: any NormalizedStore) async throws -> [PendingNotification] {
        let due = try await store.query(SQLStatement("""
            SELECT n.key, n.next_attempt_at FROM alert_notifications n
            WHERE n.delivered_at IS NULL AND n.next_attempt_at <= $1 ORDER BY n.next_attempt_at LIMIT \(limit)
            """, [.text(DeviceDirectory.timestamp(now))]))
        var claimed: [PendingNotification] = []
        for row in due {
            let rows = try await store.query(SQLStatement("""
                UPDATE alert_notifications SET next_attempt_at = $3 WHERE key = $1 AND next_attempt_at = $2 AND delivered_at IS NULL
                RETURNING key, tenant_id, webhook_id, body, attempts
                """, [row[0], row[1], .text(DeviceDirectory.timestamp(now.addingTimeInterval(lease)))]))
            guard let claim = rows.first, let webhook = claim[2].int else { continue }
            guard let hook = try await store.query(SQLStatement("SELECT url, secret, format FROM webhooks WHERE id = $1", [.integer(webhook)])).first else {
                try await store.execute([SQLStatement("UPDATE alert_notifications SET last_error = 'the webhook was removed', delivered_at = 'never' WHERE key = $1", [claim[0]])])
                continue
            }
            claimed.append(PendingNotification(key: claim[0].text ?? "", tenant: claim[1].int ?? 0, url: hook[0].text ?? "",
                                               secret: hook[1].text ?? "", format: hook[2].text ?? "json", body: claim[3].text ?? "",
                                               attempts: Int(claim[4].int ?? 0)))
        }
        return claimed
    }

    public static func delivered(_ key: String, now: Date = Date(), in store: any NormalizedStore) async throws {
        try await store.execute([SQLStatement("UPDATE alert_notifications SET delivered_at = $2, attempts = attempts + 1, last_error = NULL WHERE key = $1",
                                              [.text(key), .text(DeviceDirectory.timestamp(now))])])
    }

    /// A failed try: the next one after `retryAfter`.
    public static func failed(_ key: String, error: String, retryAfter: TimeInterval, now: Date = Date(),
                              in store: any NormalizedStore) async throws {
        try await store.execute([SQLStatement("""
            UPDATE alert_notifications SET attempts = attempts + 1, last_error = $2, next_attempt_at = $3 WHERE key = $1
            """, [.text(key), .text(String(error.prefix(500))), .text(DeviceDirectory.timestamp(now.addingTimeInterval(retryAfter)))])])
    }

    /// Notifications of a tenant (nil: every tenant's), newest first: for `alert list`.
    public static func notifications(tenant: Int64?, limit: Int = 100,
                                     in store: any NormalizedStore) async throws -> [[String: String]] {
        try await store.query(SQLStatement("""
            SELECT key, kind, created_at, CAST(attempts AS TEXT), coalesce(delivered_at, ''), coalesce(last_error, '') FROM alert_notifications
            WHERE ($1 < 0 OR tenant_id = $1) ORDER BY created_at DESC, key LIMIT \(limit)
            """, [.integer(tenant ?? -1)])).map { row in
            ["key": row[0].text ?? "", "kind": row[1].text ?? "", "created_at": row[2].text ?? "", "attempts": row[3].text ?? "0",
             "delivered_at": row[4].text ?? "", "last_error": row[5].text ?? ""]
        }
    }
}
