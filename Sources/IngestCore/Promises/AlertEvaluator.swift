import Foundation
import IngestStore

/// Finds what crossed a line (a budget's warning or critical fraction; the alert rules) and
/// writes one notification per crossing to the outbox. Run again and again, on any replica: the
/// keys make every crossing one row, so nothing is sent twice, also after a restart.
struct AlertEvaluator: Sendable {
    let store: any IngestStore

    /// Queues what crossed a line at `now`; returns how many notifications are new.
    func evaluate(now: Date = Date()) async throws -> Int {
        var queued = 0
        let budgets = try await Budgets.budgets(tenant: nil, in: store)
        for use in try await Budgets.use(of: budgets, at: now, in: store) {
            let budget = use.budget
            for (level, fraction) in [("warning", budget.warning), ("critical", budget.critical)] where use.fraction >= fraction {
                let subject = budget.scope == .tenant ? "the tenant" : "\(budget.scope.rawValue) \(budget.label)"
                let amount = budget.metric == .cost ? String(format: "$%.2f of $%.2f", use.used, budget.amount)
                                                    : "\(Int64(use.used)) of \(Int64(budget.amount)) tokens"
                var notice = AlertNotice(type: "budget", tenant: budget.tenant, at: DeviceDirectory.timestamp(now),
                                         summary: "Budget \(level): \(subject) has used \(amount) this \(budget.period.rawValue) (since \(use.periodStart)).")
                notice.level = level
                notice.budget = budget.id
                notice.scope = budget.scope.rawValue
                notice.target = budget.label
                notice.period = budget.period.rawValue
                notice.periodStart = use.periodStart
                notice.metric = budget.metric.rawValue
                notice.used = use.used
                notice.limit = budget.amount
                notice.fraction = (use.fraction * 1000).rounded() / 1000
                queued += try await AlertOutbox.enqueue(key: "budget:\(budget.id):\(use.periodStart):\(level)", tenant: budget.tenant,
                                                        kind: "budget", body: notice.text, now: now, in: store)
            }
        }
        for rule in try await AlertOutbox.rules(tenant: nil, in: store) {
            queued += try await evaluate(rule, now: now)
        }
        return queued
    }

    private func evaluate(_ rule: AlertRule, now: Date) async throws -> Int {
        let at = DeviceDirectory.timestamp(now)
        var queued = 0
        switch rule.kind {
        case "personal-account":
            for account in try await AccountsInUse.accounts(tenant: rule.tenant, in: store) where account.flagged {
                var notice = AlertNotice(type: rule.kind, tenant: rule.tenant, at: at,
                                         summary: "A personal \(account.tool) account is signed in on a company device of \(account.person ?? "device \(account.device)").")
                notice.device = account.device
                notice.person = account.person
                notice.tool = account.tool
                notice.domain = account.email.flatMap { $0.split(separator: "@").last.map(String.init) }
                queued += try await AlertOutbox.enqueue(key: "personal-account:\(rule.tenant):\(account.device):\(account.tool):\(account.email ?? account.login ?? "")",
                                                        tenant: rule.tenant, kind: rule.kind, body: notice.text, now: now, in: store)
            }
        case "silent-device":
            let cutoff = DeviceDirectory.timestamp(now.addingTimeInterval(-rule.threshold * 86_400))
            for device in try await DeviceDirectory.devices(in: store, tenant: rule.tenant) where device.lastSeen < cutoff {
                var notice = AlertNotice(type: rule.kind, tenant: rule.tenant, at: at,
                                         summary: "Device \(device.host ?? device.device) has sent nothing since \(device.lastSeen).")
                notice.device = device.device
                notice.host = device.host
                notice.person = device.person
                notice.lastSeen = device.lastSeen
                queued += try await AlertOutbox.enqueue(key: "silent-device:\(rule.tenant):\(device.device):\(device.lastSeen)",
                                                        tenant: rule.tenant, kind: rule.kind, body: notice.text, now: now, in: store)
            }
        case "redactions":
            let today = String(at.prefix(10))
            let count = try await store.query(SQLStatement("SELECT CAST(coalesce(sum(count), 0) AS BIGINT) FROM raw_redactions WHERE tenant_id = $1 AND day = $2",
                                                           [.integer(rule.tenant), .text(today)])).first?.first?.int ?? 0
            if Double(count) > rule.threshold {
                var notice = AlertNotice(type: rule.kind, tenant: rule.tenant, at: at,
                                         summary: "\(count) secrets were redacted on \(today), more than \(Int64(rule.threshold)).")
                notice.day = today
                notice.count = count
                notice.threshold = rule.threshold
                queued += try await AlertOutbox.enqueue(key: "redactions:\(rule.tenant):\(today)", tenant: rule.tenant, kind: rule.kind,
                                                        body: notice.text, now: now, in: store)
            }
        default:
            break
        }
        return queued
    }
}
