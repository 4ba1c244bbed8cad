import Foundation
import SQLiteDB

/// A spending limit: for a tenant, a team or a person, per day, week (from Monday) or month, in
/// cost (recorded, else estimated) or tokens, with the fractions of it that warn and that are
/// critical. Periods are UTC days.
public struct Budget: Codable, Sendable, Equatable {
    public enum Scope: String, Codable, Sendable, CaseIterable { case tenant, team, person }
    public enum Period: String, Codable, Sendable, CaseIterable { case day, week, month }
    public enum Metric: String, Codable, Sendable, CaseIterable { case cost, tokens }

    public var id: Int64 = 0
    public var tenant: Int64
    public var scope: Scope
    /// The team's or person's id; empty for the tenant.
    public var target: String
    /// The team's name or the person's email, as shown.
    public var label: String = ""
    public var period: Period
    public var metric: Metric
    public var amount: Double
    public var warning: Double = 0.8
    public var critical: Double = 1.0

    public init(tenant: Int64, scope: Scope, target: String, period: Period, metric: Metric, amount: Double,
                warning: Double = 0.8, critical: Double = 1.0) {
        self.tenant = tenant
        self.scope = scope
        self.target = target
        self.period = period
        self.metric = metric
        self.amount = amount
        self.warning = warning
        self.critical = critical
    }

    /// The first day of the period that holds `date`, `YYYY-MM-DD`.
    public func periodStart(at date: Date) -> String {
        var calendar = Calendar(identifier: .iso8601)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        let start: Date
        switch period {
        case .day: start = calendar.startOfDay(for: date)
        case .week: start = calendar.dateInterval(of: .weekOfYear, for: date)?.start ?? date
        case .month: start = calendar.dateInterval(of: .month, for: date)?.start ?? date
        }
        return String(start.ISO8601Format().prefix(10))
    }
}

/// A budget and how much of it the current period has used.
public struct BudgetUse: Codable, Sendable, Equatable {
    public var budget: Budget
    public var periodStart: String
    public var used: Double
    /// `used / amount`.
    public var fraction: Double
    /// `critical`, `warning` or nil.
    public var level: String?
}

/// Budgets, alert rules and the webhooks alerts go to, kept per tenant.
public enum Budgets {
    package static func schema(_ dialect: SQLDialect) -> [String] {
        let int = dialect == .sqlite ? "INTEGER" : "BIGINT"
        let real = dialect == .sqlite ? "REAL" : "DOUBLE PRECISION"
        let id = dialect == .sqlite ? "INTEGER PRIMARY KEY AUTOINCREMENT" : "BIGSERIAL PRIMARY KEY"
        return [
            """
            CREATE TABLE budgets (
                id \(id), tenant_id \(int) NOT NULL, scope TEXT NOT NULL, target TEXT NOT NULL, period TEXT NOT NULL, metric TEXT NOT NULL,
                amount \(real) NOT NULL, warning \(real) NOT NULL, critical \(real) NOT NULL, created_at TEXT NOT NULL,
                UNIQUE (tenant_id, scope, target, period, metric))
            """,
            "CREATE TABLE alert_rules (tenant_id \(int) NOT NULL, kind TEXT NOT NULL, threshold \(real) NOT NULL, PRIMARY KEY (tenant_id, kind))",
            """
            CREATE TABLE webhooks (
                id \(id), tenant_id \(int) NOT NULL, url TEXT NOT NULL, secret TEXT NOT NULL, format TEXT NOT NULL, created_at TEXT NOT NULL)
            """,
            // One row per alert and webhook, made once (its key says which crossing of which period),
            // sent until a 2xx answers.
            """
            CREATE TABLE alert_notifications (
                key TEXT PRIMARY KEY, tenant_id \(int) NOT NULL, webhook_id \(int) NOT NULL, kind TEXT NOT NULL, body TEXT NOT NULL,
                created_at TEXT NOT NULL, attempts \(int) NOT NULL DEFAULT 0, next_attempt_at TEXT NOT NULL, delivered_at TEXT, last_error TEXT)
            """,
            "CREATE INDEX alert_notifications_due ON alert_notifications(delivered_at, next_attempt_at)",
        ]
    }

    /// Adds the budget, or changes the one with the same tenant, scope, target, period and metric.
    public static func set(_ budget: Budget, in store: any NormalizedStore) async throws {
        try await store.execute([SQLStatement("""
            INSERT INTO budgets(tenant_id, scope, target, period, metric, amount, warning, critical, created_at)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
            ON CONFLICT (tenant_id, scope, target, period, metric) DO UPDATE SET amount = excluded.amount, warning = excluded.warning,
              critical = excluded.critical
            """, [.integer(budget.tenant), .text(budget.scope.rawValue), .text(budget.target), .text(budget.period.rawValue),
                  .text(budget.metric.rawValue), .real(budget.amount), .real(budget.warning), .real(budget.critical),
                  .text(DeviceDirectory.timestamp())])])
    }

    /// Removes a budget by id; false when the tenant has none such.
    public static func remove(id: Int64, tenant: Int64, in store: any NormalizedStore) async throws -> Bool {
        try await !store.query(SQLStatement("DELETE FROM budgets WHERE id = $1 AND tenant_id = $2 RETURNING id",
                                            [.integer(id), .integer(tenant)])).isEmpty
    }

    /// The tenant's budgets (nil: every tenant's), with the teams' names and people's emails.
    public static func budgets(tenant: Int64?, in store: any NormalizedStore) async throws -> [Budget] {
        try await store.query(SQLStatement("""
            SELECT b.id, b.tenant_id, b.scope, b.target, b.period, b.metric, b.amount, b.warning, b.critical,
                   coalesce(t.name, p.email, '')
            FROM budgets b LEFT JOIN teams t ON b.scope = 'team' AND t.id = b.target LEFT JOIN people p ON b.scope = 'person' AND p.id = b.target
            WHERE ($1 < 0 OR b.tenant_id = $1) ORDER BY b.tenant_id, b.scope, b.target, b.period, b.metric
            """, [.integer(tenant ?? -1)])).map { row in
            var budget = Budget(tenant: row[1].int ?? 0, scope: Budget.Scope(rawValue: row[2].text ?? "") ?? .tenant, target: row[3].text ?? "",
                                period: Budget.Period(rawValue: row[4].text ?? "") ?? .month, metric: Budget.Metric(rawValue: row[5].text ?? "") ?? .cost,
                                amount: row[6].double ?? 0, warning: row[7].double ?? 0.8, critical: row[8].double ?? 1)
            budget.id = row[0].int ?? 0
            budget.label = row[9].text ?? ""
            return budget
        }
    }

    /// Each budget's use in the period holding `now`.
    public static func use(of budgets: [Budget], at now: Date = Date(), in store: any NormalizedStore) async throws -> [BudgetUse] {
        var uses: [BudgetUse] = []
        for budget in budgets {
            let start = budget.periodStart(at: now)
            // The daily rows carry their session's tenant and device (migration 24): no join.
            var conditions = ["s.tenant_id = $1", "s.day >= $2", "s.rows > 0"]
            var values: [SQLiteValue] = [.integer(budget.tenant), .text(start)]
            switch budget.scope {
            case .tenant: break
            case .person:
                values.append(.text(budget.target))
                conditions.append("EXISTS (SELECT 1 FROM device_people dp WHERE dp.tenant_id = s.tenant_id AND dp.device = s.device AND dp.person_id = $3)")
            case .team:
                values.append(.text(budget.target))
                conditions.append("""
                    EXISTS (SELECT 1 FROM device_people dp JOIN team_members tm ON tm.person_id = dp.person_id
                            WHERE dp.tenant_id = s.tenant_id AND dp.device = s.device AND tm.team_id = $3)
                    """)
            }
            let column = budget.metric == .cost ? "sum(s.cost)" : "CAST(sum(s.tokens) AS \(store.dialect == .sqlite ? "REAL" : "DOUBLE PRECISION"))"
            let used = try await store.query(SQLStatement("""
                SELECT coalesce(\(column), 0) FROM norm_usage_by_day s
                WHERE \(conditions.joined(separator: " AND "))
                """, values)).first?.first?.double ?? 0
            let fraction = budget.amount > 0 ? used / budget.amount : 0
            let level: String? = fraction >= budget.critical ? "critical" : fraction >= budget.warning ? "warning" : nil
            uses.append(BudgetUse(budget: budget, periodStart: start, used: used, fraction: fraction, level: level))
        }
        return uses
    }
}
