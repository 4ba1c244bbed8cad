import Access
import Explorer
import Foundation
import Hummingbird
import IngestStore
import NIOCore

/// Budgets (`GET` for readers, as far as their role sees; `PUT` and `DELETE` for admins) and the
/// streamed exports of sessions and usage (docs/exports.md): content-free summaries, each row of
/// a person named only to readers who may see that person's figures, devices and project paths
/// only to readers of everything.
struct PromisesAPIHandler: Sendable {
    let store: any IngestStore
    let authenticator: BearerAuthenticator

    /// `GET /api/v1/budgets`: each budget the reader may see, with this period's use.
    func budgets(_ request: Request, context: IngestRequestContext) async throws -> Response {
        try await authenticator.reading(request, context: context, in: store) { access in
            let uses = try await Budgets.use(of: try await Budgets.budgets(tenant: access.tenant, in: store), in: store)
            return JSONAnswer.json(.ok, ["budgets": try await RoleViews.budgets(uses, for: access, in: store)])
        }
    }

    /// What `PUT /api/v1/budgets` takes.
    struct BudgetRequest: Decodable {
        var tenant: Int64?
        var scope: Budget.Scope
        /// A team's name or a person's email; nothing for the tenant.
        var target: String?
        var period: Budget.Period
        var metric: Budget.Metric
        var amount: Double
        var warning: Double?
        var critical: Double?
    }

    /// `PUT /api/v1/budgets` (admin): sets a budget, as `sensor-ingest budget set` does.
    func setBudget(_ request: Request, context: IngestRequestContext) async throws -> Response {
        try await administering(request, context: context) { token in
            let body = try await request.body.collect(upTo: 64 << 10)
            let wanted: BudgetRequest
            do {
                wanted = try JSONDecoder().decode(BudgetRequest.self, from: Data(buffer: body))
            } catch {
                return JSONAnswer.error(.badRequest, "the body: \(error)")
            }
            let tenant = wanted.tenant ?? token.tenantID
            var target = ""
            switch wanted.scope {
            case .tenant: break
            case .team:
                guard let name = wanted.target, let team = try await PeopleDirectory.team(named: name, tenant: tenant, in: store) else {
                    return JSONAnswer.error(.badRequest, "target: no team \(wanted.target ?? "(none)") in tenant \(tenant)")
                }
                target = team.id
            case .person:
                guard let email = wanted.target, let person = try await PeopleDirectory.person(email: email, tenant: tenant, in: store) else {
                    return JSONAnswer.error(.badRequest, "target: no person \(wanted.target ?? "(none)") in tenant \(tenant)")
                }
                target = person.id
            }
            let budget = Budget(tenant: tenant, scope: wanted.scope, target: target, period: wanted.period, metric: wanted.metric,
                                amount: wanted.amount, warning: wanted.warning ?? 0.8, critical: wanted.critical ?? 1.0)
            guard budget.amount > 0, budget.amount.isFinite, budget.warning > 0, budget.warning <= budget.critical, budget.critical.isFinite else {
                return JSONAnswer.error(.badRequest, "amount above 0; warning above 0 and no more than critical")
            }
            try await Budgets.set(budget, in: store)
            let stored = try await Budgets.budgets(tenant: tenant, in: store).first {
                $0.scope == budget.scope && $0.target == target && $0.period == budget.period && $0.metric == budget.metric
            }
            return JSONAnswer.json(.ok, ["budget": stored])
        }
    }

    /// `DELETE /api/v1/budgets/:id` (admin).
    func removeBudget(_ request: Request, context: IngestRequestContext) async throws -> Response {
        try await administering(request, context: context) { token in
            guard let id = context.parameters.get("id", as: Int64.self) else { return JSONAnswer.error(.badRequest, "give a budget's id") }
            let tenant = request.uri.queryParameters["tenant"].flatMap { Int64($0) } ?? token.tenantID
            guard try await Budgets.remove(id: id, tenant: tenant, in: store) else { return JSONAnswer.error(.notFound, "no budget \(id)") }
            return JSONAnswer.json(.ok, ["removed": id])
        }
    }

    /// `GET /api/v1/export/sessions?format=ndjson|csv[&since=&until=&person=&team=]`.
    func exportSessions(_ request: Request, context: IngestRequestContext) async throws -> Response {
        try await exporting(SessionSummary.self, request, context: context) { scope, page in
            try await Exports.sessions(scope, in: store, page: page)
        }
    }

    /// `GET /api/v1/export/usage?format=ndjson|csv[&since=&until=&person=&team=]`.
    func exportUsage(_ request: Request, context: IngestRequestContext) async throws -> Response {
        try await exporting(UsageSummary.self, request, context: context) { scope, page in
            try await Exports.usage(scope, in: store, page: page)
        }
    }

    /// The export's scope from the query, as the reader's role bounds it; refusals answered here.
    private func exporting<Row: ExportRow>(
        _ row: Row.Type, _ request: Request, context: IngestRequestContext,
        _ export: @escaping @Sendable (ExportScope, ([Row]) async throws -> Void) async throws -> Void
    ) async throws -> Response {
        try await authenticator.reading(request, context: context, in: store) { access in
            let query = request.uri.queryParameters
            let format = query["format"].map(String.init) ?? "ndjson"
            guard format == "ndjson" || format == "csv" else { return JSONAnswer.error(.badRequest, "format: ndjson or csv") }
            for name in ["since", "until"] {
                if let value = query[name[...]].map(String.init), !value.isEmpty, !ReadAPIHandler.isDay(value) {
                    return JSONAnswer.error(.badRequest, "\(name): give a day, YYYY-MM-DD")
                }
            }
            let owner = ReadScope.filter(query, token: access.token).owner
            if let refusal = try await RoleViews.refusal(person: owner.person, team: owner.team, for: access, in: store) {
                return JSONAnswer.error(.forbidden, refusal)
            }
            let tenant = access.tenant ?? query["tenant"].flatMap { Int64($0) } ?? Tenant.defaultID
            func day(_ name: String) -> String? { query[name[...]].map(String.init).flatMap { $0.isEmpty ? nil : $0 } }
            let scope = ExportScope(tenant: tenant, since: day("since"), until: day("until"),
                                    owner: OwnerFilter(person: owner.person, team: owner.team, allowed: access.people),
                                    namedPeople: access.people, showsDevicesAndPaths: access.readsEveryone)
            let csv = format == "csv"
            var headers = HTTPFields()
            headers[.contentType] = csv ? "text/csv; charset=utf-8" : "application/x-ndjson"
            headers[.cacheControl] = "no-store"
            return Response(status: .ok, headers: headers, body: ResponseBody { writer in
                if csv { try await writer.write(ByteBuffer(string: Exports.csvLine(Row.csvHeader))) }
                try await export(scope) { page in try await writer.write(ByteBuffer(string: try page.exported(csv: csv))) }
                try await writer.finish(nil)
            })
        }
    }

    private func administering(_ request: Request, context: IngestRequestContext,
                               _ body: (TokenRecord) async throws -> Response) async throws -> Response {
        switch await authenticator.authorize(request, context: context, scope: .admin) {
        case .failure(let refusal): return refusal.response
        case .success(let token): return try await body(token)
        }
    }
}
