import ArgumentParser
import Foundation
import IngestStore

/// `sensor-ingest budget`: spending limits per tenant, team or person.
struct BudgetCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "budget", abstract: "Set, list and remove budgets: cost or tokens per day, week or month.",
        subcommands: [Set.self, List.self, Remove.self])

    struct Set: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Set a budget of the tenant, a team or a person (the same scope, period and metric again changes it).")

        @OptionGroup var store: StoreOptions
        @OptionGroup var target: PromiseTarget

        @Option(help: "day, week (from Monday) or month; UTC.")
        var period: String = "month"

        @Option(help: ArgumentHelp("The limit in US dollars (recorded cost, else estimated).", valueName: "usd"))
        var cost: Double?

        @Option(help: ArgumentHelp("The limit in tokens.", valueName: "count"))
        var tokens: Int64?

        @Option(help: "The fraction of the limit that warns.")
        var warning = 0.8

        @Option(help: "The fraction of the limit that is critical.")
        var critical = 1.0

        func validate() throws {
            guard Budget.Period(rawValue: period) != nil else { throw ValidationError("--period: day, week or month, not \(period)") }
            guard (cost == nil) != (tokens == nil) else { throw ValidationError("give --cost or --tokens (one of them)") }
            if let cost, cost <= 0 { throw ValidationError("--cost must be more than 0") }
            if let tokens, tokens <= 0 { throw ValidationError("--tokens must be more than 0") }
            guard warning > 0, critical > 0, warning <= critical else { throw ValidationError("--warning and --critical: fractions above 0, warning no more than critical") }
        }

        func run() async throws {
            let (target, period, cost, tokens, warning, critical) = (target, period, cost, tokens, warning, critical)
            try await store.withStore { store in
                let (tenant, scope, id) = try await target.resolve(in: store)
                let metric: Budget.Metric = cost != nil ? .cost : .tokens
                let amount: Double = cost ?? Double(tokens ?? 0)
                let budget = Budget(tenant: tenant, scope: Budget.Scope(rawValue: scope) ?? .tenant, target: id,
                                    period: Budget.Period(rawValue: period) ?? .month, metric: metric,
                                    amount: amount, warning: warning, critical: critical)
                try await Budgets.set(budget, in: store)
            }
            let who = target.team.map { "team \($0)" } ?? target.person ?? "tenant \(target.tenant)"
            let limit = cost.map { String(format: "$%.2f", $0) } ?? "\(tokens ?? 0) tokens"
            print("budget set: \(who), \(limit) a \(period)")
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List budgets and what this period has used of each.")

        @OptionGroup var store: StoreOptions

        @Option(help: ArgumentHelp("Only this tenant's; default: every tenant's.", valueName: "name"))
        var tenant: String?

        @Flag(help: "JSON output (one array).")
        var json = false

        func run() async throws {
            let tenantName = tenant
            let uses = try await store.withStore { store in
                var tenant: Int64?
                if let tenantName { tenant = try await TokenCommand.tenant(named: tenantName, in: store).id }
                return try await Budgets.use(of: try await Budgets.budgets(tenant: tenant, in: store), in: store)
            }
            if json { return try JSONOutput.print(uses) }
            print("id\ttenant\tscope\ttarget\tperiod\tlimit\tused\tuse\tlevel")
            for use in uses {
                let budget = use.budget
                let money = budget.metric == .cost
                print([String(budget.id), String(budget.tenant), budget.scope.rawValue, budget.label.isEmpty ? "—" : budget.label,
                       "\(budget.period.rawValue) from \(use.periodStart)",
                       money ? String(format: "$%.2f", budget.amount) : "\(Int64(budget.amount)) tokens",
                       money ? String(format: "$%.2f", use.used) : "\(Int64(use.used))",
                       String(format: "%.0f%%", use.fraction * 100), use.level ?? "—"].joined(separator: "\t"))
            }
        }
    }

    struct Remove: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Remove a budget by its id (see `budget list`).")

        @OptionGroup var store: StoreOptions

        @Option(help: ArgumentHelp("The tenant.", valueName: "name"))
        var tenant = "default"

        @Argument(help: "The budget's id.")
        var id: Int64

        func run() async throws {
            let (tenantName, id) = (tenant, id)
            let removed = try await store.withStore { store in
                try await Budgets.remove(id: id, tenant: try await TokenCommand.tenant(named: tenantName, in: store).id, in: store)
            }
            guard removed else { throw ValidationError("tenant \(tenantName) has no budget \(id)") }
            print("budget \(id) removed")
        }
    }
}
