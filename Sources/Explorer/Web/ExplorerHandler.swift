import IngestStore
import Normalization
import Access
import Foundation
import HTTPTypes
import Hummingbird

/// The session explorer: server-rendered pages on the same port as the API (`/login`, `/`,
/// `/sessions`, `/sessions/<id>`, `/search`, `/devices`, `/drift`, `/raw/<id>`). A browser
/// signs in with a `read` token and gets a session cookie; every page is limited to the
/// token's tenant (an admin token sees every tenant). Nothing on a page runs script, and
/// every string from a record is HTML-escaped by the templates.
package struct ExplorerHandler: Sendable {
    package let store: any IngestStore
    package let reader: NormalizedReader
    package let queries: ExplorerQueries
    let choices: FilterChoices
    package let search: FullTextSearch
    package let sessions: WebSessions
    package let limiter: FailedAuthLimiter
    let renderer: PageRenderer

    package init(store: any IngestStore, limiter: FailedAuthLimiter, secureCookies: Bool, normalizers: NormalizerRegistry = .builtIn) {
        self.store = store
        reader = NormalizedReader(store: store, registry: normalizers)
        queries = ExplorerQueries(store: store)
        choices = FilterChoices(queries: queries)
        search = FullTextSearch(store: store)
        sessions = WebSessions(store: store, secureCookies: secureCookies)
        self.limiter = limiter
        renderer = PageRenderer()
    }

    /// Adds the explorer's routes.
    package func register(on router: Router<IngestRequestContext>) {
        router.get("/login") { request, _ in try await self.loginForm(request) }
        router.post("/login") { request, context in try await self.login(request, context: context) }
        router.post("/logout") { request, _ in try await self.logout(request) }
        SingleSignOnHandler(store: store, sessions: sessions, client: .shared, renderer: renderer).register(on: router)
        // A link is opened with GET (a page asking to sign in) and spent with POST: a link
        // preview or scanner that fetches it signs no one in and does not use it up.
        router.get("/login/once/:code") { _, context in self.confirmSignInOnce(context.parameters.get("code") ?? "") }
        router.post("/login/once/:code") { request, context in
            guard Self.isSameOrigin(request) else { return self.crossSite() }
            return try await self.signInOnce(context.parameters.get("code") ?? "")
        }
        router.get("/static/:file") { _, context in self.asset(context.parameters.get("file") ?? "") }
        router.get("/favicon.ico") { _, _ in Response(status: .seeOther, headers: [.location: "/static/favicon.svg"]) }
        router.get("/") { request, _ in try await self.page(request) { try await self.overview(request, access: $0) } }
        router.get("/sessions") { request, _ in try await self.page(request) { try await self.sessionList(request, access: $0) } }
        router.get("/sessions/:id") { request, context in
            let id = context.parameters.get("id") ?? ""
            return try await self.page(request) { try await self.session(id: id, request: request, from: context.clientAddress, access: $0) }
        }
        router.get("/sessions/:id/raw") { request, context in
            let id = context.parameters.get("id") ?? ""
            return try await self.page(request) { try await self.sessionRaw(id: id, from: context.clientAddress, access: $0) }
        }
        router.get("/raw/:id") { request, context in
            let id = context.parameters.get("id") ?? ""
            return try await self.page(request) { try await self.raw(id: id, access: $0) }
        }
        router.get("/search") { request, _ in try await self.page(request) { try await self.searchPage(request, access: $0) } }
        router.get("/devices") { request, _ in try await self.page(request) { try await self.devices(access: $0) } }
        router.get("/drift") { request, _ in try await self.page(request) { try await self.drift(access: $0) } }
        router.get("/people") { request, _ in try await self.page(request) { try await self.people(access: $0) } }
        router.get("/accounts") { request, _ in try await self.page(request) { try await self.accounts(request, access: $0) } }
        router.get("/access") { request, _ in try await self.page(request) { try await self.accessLog(access: $0) } }
    }

    // MARK: Signing in and out

    /// A page for a signed-in browser; any other is sent to `/login` (and back here after).
    private func page(_ request: Request, _ build: (ReadAccess) async throws -> Response) async throws -> Response {
        guard let token = try await sessions.token(for: request) else {
            var target = request.uri.path
            if let query = request.uri.query, !query.isEmpty { target += "?" + query }
            return Response(status: .seeOther, headers: [.location: "/login" + DisplayFormat.query([("next", target)]),
                                                         .cacheControl: "no-store"])
        }
        return try await build(try await ReadAccess.of(token, in: queries.store))
    }

    private func loginForm(_ request: Request) async throws -> Response {
        if try await sessions.token(for: request) != nil { return Response(status: .seeOther, headers: [.location: "/"]) }
        let next = Self.safeTarget(Self.query(of: request)["next"] ?? "/")
        return renderer.render("login", LoginPage(error: MaybeText(nil), next: next, providers: try await singleSignOnLinks(next: next)))
    }

    /// A link per tenant that has single sign-on.
    private func singleSignOnLinks(next: String) async throws -> [LoginPage.Provider] {
        let configured = Set(try await SingleSignOnStore.providers(in: store).map(\.tenant))
        return try await store.tenants().filter { configured.contains($0.id) }.map {
            LoginPage.Provider(tenant: $0.name, link: "/login/sso" + DisplayFormat.query([("tenant", $0.name), ("next", next == "/" ? nil : next)]))
        }
    }

    private func login(_ request: Request, context: IngestRequestContext) async throws -> Response {
        guard Self.isSameOrigin(request) else { return crossSite() }
        let body = try await request.body.collect(upTo: 16 << 10)
        let form = Self.form(String(buffer: body))
        let next = Self.safeTarget(form["next"] ?? "/")
        func refuse(_ status: HTTPResponse.Status, _ message: String) -> Response {
            renderer.render("login", LoginPage(error: MaybeText(message), next: next), status: status)
        }
        let address = context.clientAddress
        let secret = (form["token"] ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
        let hash = TokenSecret.hash(secret)
        guard !secret.isEmpty, let token = try await store.token(withHash: hash), !token.isExpired() else {
            if let wait = limiter.blocked(address) {
                return refuse(.tooManyRequests, "Too many failed sign-ins from \(address); try again in \(wait) s.")
            }
            limiter.failed(address)
            return refuse(.unauthorized, "That token is unknown, revoked or expired.")
        }
        guard token.scope.allows(.read) else {
            return refuse(.forbidden, "This token's scope is \(token.scope.rawValue): it can send, not read. Sign in with a read token.")
        }
        let cookie = try await sessions.create(tokenHash: hash)
        return Response(status: .seeOther, headers: [.location: next, .setCookie: cookie, .cacheControl: "no-store"])
    }

    /// The answer to a sign-in or sign-out posted from another site.
    private func confirmSignInOnce(_ code: String) -> Response {
        let safe = code.utf8.count <= 200 && code.allSatisfy { $0.isLetter || $0.isNumber || $0 == "_" || $0 == "-" }
        return renderer.render("once", OncePage(action: safe ? "/login/once/\(code)" : "/login/once/invalid"))
    }

    /// A one-time link from `sensor open`: signs the browser in as the device's person, with
    /// `self`, for as long as a sign-in lasts; a used, expired or unknown link signs in no one.
    private func signInOnce(_ code: String) async throws -> Response {
        guard code.utf8.count <= 200, let link = try await SignInLinks.spend(code, in: queries.store),
              let person = try await PeopleDirectory.person(id: link.person, tenant: link.tenant, in: queries.store), person.active else {
            return renderer.render("error", ErrorPage(title: "Link used or expired", signedIn: false, heading: "This link signs in no one",
                                                      message: "A sign-in link works once, within minutes. Run `sensor open` again for a new one."),
                                   status: .gone)
        }
        let secret = TokenSecret.generate()
        let token = try await store.createToken(NewToken(name: "self:\(person.email)", hash: TokenSecret.hash(secret), scope: .selfOnly,
                                                         tenantID: link.tenant, expiresAt: Date().addingTimeInterval(WebSessions.lifetime)))
        try await store.execute([Grants.grant(.person, person.id, to: token.id)])
        let cookie = try await sessions.create(tokenHash: TokenSecret.hash(secret))
        return Response(status: .seeOther, headers: [.location: "/", .setCookie: cookie, .cacheControl: "no-store"])
    }

    private func crossSite() -> Response {
        renderer.render("login", LoginPage(error: MaybeText("This form was posted from another site; sign in from this server's own page."),
                                           next: "/"), status: .forbidden)
    }

    private func logout(_ request: Request) async throws -> Response {
        guard Self.isSameOrigin(request) else { return crossSite() }
        let cookie = try await sessions.delete(for: request)
        return Response(status: .seeOther, headers: [.location: "/login", .setCookie: cookie])
    }

    private func asset(_ name: String) -> Response {
        guard let text = EmbeddedWeb.assets[name] else {
            return Response(status: .notFound, headers: [.contentType: "text/plain"], body: .init(byteBuffer: ByteBuffer(string: "not found\n")))
        }
        let type = name.hasSuffix(".css") ? "text/css; charset=utf-8" : name.hasSuffix(".svg") ? "image/svg+xml" : "text/plain; charset=utf-8"
        return Response(status: .ok, headers: [.contentType: type, .cacheControl: "public, max-age=3600", PageRenderer.contentTypeOptions: "nosniff"],
                        body: .init(byteBuffer: ByteBuffer(string: text)))
    }

    // MARK: Pages

    private func overview(_ request: Request, access: ReadAccess) async throws -> Response {
        let tenant = access.tenant
        let fields = Self.query(of: request)
        let choice = fields["days"] ?? "30"
        // A person's or a team's overview: their devices' sessions only.
        let owner = ReadScope.filter({ fields[$0] }, token: access.token).owner
        if let refusal = try await RoleViews.refusal(person: owner.person, team: owner.team, for: access, in: queries.store) {
            return forbidden(refusal)
        }
        var scope: String?
        if let person = owner.person {
            scope = try await PeopleDirectory.person(id: person, tenant: tenant, in: queries.store).map { $0.name ?? $0.email }
            guard scope != nil else { return notFound("no person \(person)") }
        } else if let team = owner.team {
            scope = try await PeopleDirectory.team(id: team, tenant: tenant, in: queries.store)?.name
            guard scope != nil else { return notFound("no team \(team)") }
        }
        let ownerFields: [(String, String?)] = [("person", owner.person), ("team", owner.team)]
        let days = Int(choice).flatMap { $0 > 0 && $0 <= 3660 ? $0 : nil }
        let today = Date()
        let since = days.map { String(today.addingTimeInterval(-Double($0 - 1) * 86400).ISO8601Format().prefix(10)) }
        async let window = queries.usageWindow(tenant: tenant, since: since, owner: owner)
        async let sessionTotals = queries.totals(tenant: tenant, since: since, owner: owner)
        let usage = try await window
        var tokensByDay: [String: [String: Double]] = [:]
        var toolTotals: [String: Int64] = [:]
        for (day, tools) in usage.tokens {
            for (tool, tokens) in tools {
                tokensByDay[day, default: [:]][tool] = Double(tokens)
                toolTotals[tool, default: 0].addSaturated(tokens)
            }
        }
        let tokenTotal = toolTotals.values.reduce(Int64(0)) { $0.addingSaturated($1) }
        let costTotal = usage.cost.values.reduce(0) { $0 + $1.values.reduce(0, +) }
        let tools = toolTotals.sorted { $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key }.map(\.key)
        let dayList = Self.days(since: since ?? usage.firstDay, until: days == nil ? usage.lastDay : String(today.ISO8601Format().prefix(10)))
        let totals = try await sessionTotals
        func table(_ leaders: [ExplorerQueries.Leader], filter: String, id: String, heading: String, name: String) -> OverviewPage.LeaderTable {
            let rows = leaders.map { leader in
                OverviewPage.LeaderRow(name: leader.name ?? "(none)", link: MaybeText(leader.name.map { "/sessions" + DisplayFormat.query([(filter, $0)] + ownerFields) }),
                                       tokens: DisplayFormat.count(leader.tokens), cost: DisplayFormat.money(leader.cost),
                                       sessions: DisplayFormat.count(leader.sessions))
            }
            return OverviewPage.LeaderTable(id: id, heading: heading, column: name, rows: rows)
        }
        // The budgets of what this overview is about, as far as the reader may see them.
        let scopeKind: Budget.Scope = owner.person != nil ? .person : owner.team != nil ? .team : .tenant
        let budgets = try await Budgets.budgets(tenant: tenant ?? Tenant.defaultID, in: queries.store)
            .filter { $0.scope == scopeKind && $0.target == (owner.person ?? owner.team ?? "") }
        let budgetUses = try await RoleViews.budgets(try await Budgets.use(of: budgets, in: queries.store), for: access, in: queries.store)
        var page = OverviewPage(
            scope: MaybeText(scope),
            windows: [("30", "30 days"), ("90", "90 days"), ("365", "A year"), ("all", "All time")].map {
                OverviewPage.Window(value: $0.0, label: $0.1, current: $0.0 == (days.map(String.init) ?? "all"),
                                    link: "/" + DisplayFormat.query([("days", $0.0)] + ownerFields))
            },
            totals: .init(sessions: DisplayFormat.count(totals.sessions), responses: DisplayFormat.count(usage.responses),
                          tokens: DisplayFormat.count(tokenTotal), cost: DisplayFormat.money(costTotal)),
            latest: MaybeText(totals.latest.map(DisplayFormat.time)),
            charts: [
                UsageChart(id: "tokens-chart", heading: "Tokens per day", days: dayList, tools: tools, values: tokensByDay) {
                    Self.compact($0)
                },
                UsageChart(id: "cost-chart", heading: "Cost per day", days: dayList, tools: tools, values: usage.cost) {
                    DisplayFormat.money($0)
                },
            ],
            // Projects are paths, devices are people's: shown to readers who may see them.
            leaders: [table(usage.models, filter: "model", id: "top-models", heading: "Top models", name: "Model")]
                + (access.readsEveryone ? [table(usage.projects, filter: "project", id: "top-projects", heading: "Top projects", name: "Project")] : [])
                + (access.people == nil ? [table(usage.devices, filter: "device", id: "top-devices", heading: "Top devices", name: "Device")] : []))
        page.budgets = budgetUses.map { use in
            let money = use.budget.metric == .cost
            func amount(_ value: Double) -> String { money ? DisplayFormat.money(value) : DisplayFormat.count(Int64(value)) + " tokens" }
            return OverviewPage.BudgetRow(label: use.budget.label.isEmpty ? "All of the tenant" : use.budget.label,
                                          period: "\(use.budget.period.rawValue) from \(use.periodStart)", used: amount(use.used),
                                          limit: amount(use.budget.amount), percent: String(format: "%.0f%%", use.fraction * 100),
                                          width: String(format: "%.0f", min(100, use.fraction * 100)), level: MaybeText(use.level))
        }
        return renderer.render("overview", page)
    }

    private static let pageSize = 50

    private func sessionList(_ request: Request, access: ReadAccess) async throws -> Response {
        let query = Self.query(of: request)
        func value(_ name: String) -> String? { query[name].flatMap { $0.isEmpty ? nil : $0 } }
        guard access.readsContent else { return forbidden(access.contentRefusal) }
        var filter = access.contentFilter(ReadScope.filter({ query[$0] }, token: access.token))
        // Dates from the form are days; `until` includes its day.
        filter.until = value("until").map { Self.dayAfter($0) }
        let sort = value("sort").flatMap(NormalizedReader.SessionOrder.init(rawValue:)) ?? .newest
        let page = QueryNumber.clamped(value("page"), default: 1, within: 1...(QueryNumber.maxOffset / Self.pageSize))
        let result = try await reader.sessions(filter, limit: Self.pageSize, offset: (page - 1) * Self.pageSize, order: sort)
        let choices = try await visibleChoices(access)
        func options(_ values: [String], _ selected: String?) -> [Choice] {
            values.map { Choice(value: $0, label: $0, selected: $0 == selected) }
        }
        func link(page: Int) -> String {
            "/sessions" + DisplayFormat.query([("tool", value("tool")), ("device", value("device")), ("model", value("model")),
                                               ("project", value("project")), ("since", value("since")), ("until", value("until")),
                                               ("include_empty", value("include_empty")), ("sort", value("sort")),
                                               ("person", value("person")), ("team", value("team")),
                                               ("page", page > 1 ? String(page) : nil)])
        }
        let rows = result.sessions.map { session in
            SessionsPage.Row(
                id: session.id, tool: session.tool, deleted: session.status == "deleted", project: session.project ?? "",
                label: Self.label(session), device: session.device,
                deviceShort: session.device.count > 14 ? String(session.device.prefix(13)) + "…" : session.device, started: DisplayFormat.time(session.startedAt),
                duration: DisplayFormat.duration(from: session.startedAt, to: session.endedAt),
                messages: DisplayFormat.count(session.messages), toolCalls: DisplayFormat.count(session.toolCalls),
                tokens: DisplayFormat.count(session.tokens.total), cost: Self.cost(session))
        }
        return renderer.render("sessions", SessionsPage(
            tools: options(choices.tools, filter.tool), devices: options(choices.devices, filter.device),
            models: options(choices.models, filter.model),
            people: choices.people.map { Choice(value: $0.id, label: $0.label, selected: $0.id == filter.owner.person) },
            teams: choices.teams.map { Choice(value: $0.id, label: $0.label, selected: $0.id == filter.owner.team) },
            sorts: NormalizedReader.SessionOrder.allCases.map { Choice(value: $0.rawValue, label: $0.label, selected: $0 == sort) },
            project: filter.project ?? "", since: value("since") ?? "", until: value("until") ?? "", includeEmpty: filter.includeEmpty,
            rows: rows, page: page, previous: MaybeText(page > 1 ? link(page: page - 1) : nil),
            next: MaybeText(result.nextOffset != nil ? link(page: page + 1) : nil)))
    }

    /// The filter choices a reader may see: every device and person of the tenant for a reader of
    /// every conversation; otherwise only the devices and people its role lets it read.
    private func visibleChoices(_ access: ReadAccess) async throws -> FilterChoices.Lists {
        var lists = try await choices.lists(tenant: access.tenant)
        guard let people = access.people, let tenant = access.tenant else { return lists }
        let owners = try await PeopleDirectory.owners(tenant: tenant, in: queries.store)
        let readable = access.content ?? []
        lists.devices = lists.devices.filter { owners[$0].map { readable.contains($0.person.id) } ?? false }
        lists.people = lists.people.filter { people.contains($0.id) }
        let small = Set(try await RoleViews.smallTeams(for: access, in: queries.store).map(\.id))
        lists.teams = lists.teams.filter { !small.contains($0.id) }
        return lists
    }

    /// Messages shown on one page of a conversation.
    static let conversationPage = 1000

    private func session(id: String, request: Request, from address: String, access: ReadAccess) async throws -> Response {
        guard access.readsContent else { return forbidden(access.contentRefusal) }
        guard try await access.mayRead(session: id, in: queries.store) else { return notFound("No session \(id).") }
        try await AccessLog.record(session: id, what: "session", reader: access.token.name, role: access.role, from: address, in: queries.store)
        guard let detail = try await reader.session(id: id, tenant: access.tenant) else {
            return notFound("No session \(id).")
        }
        // A long conversation is shown a thousand messages at a time: the page holding
        // `message=` (a search hit), else `from=`.
        let query = Self.query(of: request)
        var from = QueryNumber.clamped(query["from"], default: 0, within: 0...QueryNumber.maxOffset)
        if let wanted = query["message"], let index = detail.messages.firstIndex(where: { $0.id == wanted }) {
            from = index / Self.conversationPage * Self.conversationPage
        }
        from = min(from, max(0, detail.messages.count - 1) / Self.conversationPage * Self.conversationPage)
        let shown = detail.messages[from..<min(detail.messages.count, from + Self.conversationPage)]
        let isLastPage = from + Self.conversationPage >= detail.messages.count
        let session = detail.session
        let tenant = access.tenant
        var family = try await queries.tree(of: id, tenant: tenant)
        // Sub-agents and forks of other people's sessions are not this reader's to see.
        if !access.readsEveryone {
            var readable: [ExplorerQueries.TreeNode] = []
            for node in family where try await access.mayRead(session: node.id, in: queries.store) { readable.append(node) }
            family = readable
        }
        let labels = try await queries.labels(family.map(\.id), tenant: tenant)
        let callIDs = Set(detail.toolCalls.map(\.id))
        let messageIDs = Set(detail.messages.map(\.id))
        var changesByCall: [String: [SessionPage.Change]] = [:]
        var looseChanges: [SessionPage.Change] = []
        for change in detail.fileChanges {
            let shown = SessionPage.Change(path: change.path, lines: Self.diff(change).map { .init(style: $0.style.rawValue, text: $0.text) })
            if let call = change.toolCallId, callIDs.contains(call) {
                changesByCall[call, default: []].append(shown)
            } else {
                looseChanges.append(shown)
            }
        }
        var callsByMessage: [String: [SessionPage.Call]] = [:]
        var orphanCalls: [SessionPage.Call] = []
        for call in detail.toolCalls {
            let shown = SessionPage.Call(
                id: call.id, name: call.name ?? call.callId, isError: call.isError ?? false,
                duration: MaybeText(call.durationMs.map { DisplayFormat.duration(seconds: Double($0) / 1000) }),
                input: MaybeText(call.input), result: MaybeText(call.result), changes: changesByCall[call.id] ?? [])
            if let message = call.messageId, messageIDs.contains(message) {
                callsByMessage[message, default: []].append(shown)
            } else {
                orphanCalls.append(shown)
            }
        }
        var usageByMessage: [String: NormalizedReader.Tokens] = [:]
        for usage in detail.usage {
            guard let message = usage.messageId else { continue }
            var tokens = usageByMessage[message] ?? NormalizedReader.Tokens.zero
            tokens.add(usage.tokens)
            usageByMessage[message] = tokens
        }
        // A response split over several messages (text, then tool use) shows its calls and
        // usage once each, under the message that carries them. A tool's output is shown on its
        // call: the message that only carried it (``NormalizedBatch/keepResultsOnce``) is not.
        let carriesNothing = { (message: NormalizedReader.Message) in
            message.kind == "tool_result" && (message.text ?? "").isEmpty && callsByMessage[message.id] == nil
                && usageByMessage[message.id] == nil
        }
        var items = shown.filter { !carriesNothing($0) }.map { message in
            let usage = usageByMessage[message.id].map { tokens in
                "\(DisplayFormat.count(tokens.input)) in · \(DisplayFormat.count(tokens.output)) out · "
                    + "\(DisplayFormat.count(tokens.cacheRead)) cache read · \(DisplayFormat.count(tokens.cacheWrite)) cache write · "
                    + Self.cost(tokens)
            }
            let compaction = message.kind == "compaction"
            let thinking = message.kind == "thinking" || message.kind == "reasoning"
            let toolResult = message.kind == "tool_result"
            let hasText = !(message.text ?? "").isEmpty
            // An assistant writes Markdown; what a person typed is shown exactly as typed.
            let markdown = !thinking && !toolResult && hasText && message.role == "assistant"
                ? MarkdownRendering.html(message.text ?? "") : nil
            return SessionPage.Item(
                id: message.id, role: message.role, kind: message.kind, model: MaybeText(message.model),
                createdAt: DisplayFormat.time(message.createdAt), compaction: compaction, thinking: thinking && hasText,
                plain: !thinking && !toolResult && hasText && markdown == nil, markdown: MaybeText(markdown),
                toolResult: toolResult && hasText, text: message.text ?? "",
                calls: callsByMessage[message.id] ?? [],
                usage: MaybeText(usage))
        }
        if !orphanCalls.isEmpty, isLastPage {
            items.append(SessionPage.Item(id: "calls", role: "tool", kind: "tool_calls", model: MaybeText(nil), createdAt: "",
                                          compaction: false, thinking: false, plain: false, markdown: MaybeText(nil), toolResult: false,
                                          text: "", calls: orphanCalls,
                                          usage: MaybeText(nil)))
        }
        let tree = family.map { node in
            SessionPage.TreeItem(id: node.id, label: labels[node.id].map { DisplayFormat.shortened($0.label) } ?? node.id,
                                 tool: labels[node.id]?.tool ?? "", depth: min(node.depth, 3), relation: MaybeText(node.relation),
                                 current: node.id == id)
        }
        let label = Self.label(session)
        let redactions = try await reader.redactedRules(session: id, tenant: access.tenant)
        return renderer.render("session", SessionPage(
            title: label, label: label, session: session, person: MaybeText(try await queries.person(ofSession: id)),
            started: DisplayFormat.time(session.startedAt),
            duration: DisplayFormat.duration(from: session.startedAt, to: session.endedAt),
            models: session.models.isEmpty ? (session.model ?? "—") : session.models.joined(separator: ", "),
            tokens: DisplayFormat.count(session.tokens.total), cost: Self.cost(session),
            redactions: MaybeText(NormalizedReader.redactionLine(redactions)), hasTree: tree.count > 1, tree: tree, items: items, hasLooseChanges: !looseChanges.isEmpty && isLastPage, looseChanges: looseChanges,
            paged: detail.messages.count > Self.conversationPage,
            range: "messages \(DisplayFormat.count(Int64(from + 1)))–\(DisplayFormat.count(Int64(from + shown.count))) of \(DisplayFormat.count(Int64(detail.messages.count)))",
            earlier: MaybeText(from > 0 ? "/sessions/\(id)?from=\(max(0, from - Self.conversationPage))" : nil),
            later: MaybeText(isLastPage ? nil : "/sessions/\(id)?from=\(from + Self.conversationPage)")))
    }

    private func sessionRaw(id: String, from address: String, access: ReadAccess) async throws -> Response {
        guard access.readsContent else { return forbidden(access.contentRefusal) }
        guard try await access.mayRead(session: id, in: queries.store) else { return notFound("No session \(id).") }
        try await AccessLog.record(session: id, what: "raw", reader: access.token.name, role: access.role, from: address, in: queries.store)
        let tenant = access.tenant
        guard let (session, files) = try await reader.summary(id: id, tenant: tenant) else { return notFound("No session \(id).") }
        let rows = try await queries.rawEnvelopes(session: session, files: files, tenant: tenant)
        return renderer.render("raw", RawPage(
            title: "Raw envelopes", heading: "Raw envelopes of \(Self.label(session))", back: MaybeText("/sessions/\(id)"),
            envelopes: rows.map { .init(id: $0.id, receivedAt: $0.receivedAt, json: Self.pretty($0.envelope)) }))
    }

    private func raw(id: String, access: ReadAccess) async throws -> Response {
        // A single raw envelope (a drift example) is anyone's record: it needs every conversation of the tenant.
        guard access.readsEveryone else { return forbidden("a raw envelope needs read (this reader is \(access.role))") }
        guard let row = try await queries.rawEnvelope(id: id, tenant: access.tenant) else {
            return notFound("No raw envelope \(id).")
        }
        return renderer.render("raw", RawPage(title: "Raw envelope", heading: "Raw envelope", back: MaybeText(nil),
                                              envelopes: [.init(id: row.id, receivedAt: row.receivedAt, json: Self.pretty(row.envelope))]))
    }

    private func searchPage(_ request: Request, access: ReadAccess) async throws -> Response {
        let fields = Self.query(of: request)
        let query = (fields["q"] ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
        let limit = 50
        let owner = access.contentFilter(ReadScope.filter({ fields[$0] }, token: access.token)).owner
        // A usage reader's search finds nothing; a content reader's, only within its grant.
        let hits = query.isEmpty || !access.readsContent ? [] : try await search.search(String(query.prefix(500)), tenant: access.tenant, owner: owner,
                                                                limit: limit)
        let labels = try await queries.labels(Array(Set(hits.map(\.sessionId))), tenant: access.tenant)
        let choices = try await visibleChoices(access)
        return renderer.render("search", SearchPage(
            query: query,
            people: choices.people.map { Choice(value: $0.id, label: $0.label, selected: $0.id == owner.person) },
            teams: choices.teams.map { Choice(value: $0.id, label: $0.label, selected: $0.id == owner.team) },
            searched: !query.isEmpty, count: hits.count, capped: hits.count >= limit,
            hits: hits.map { hit in
                SearchPage.Hit(
                    sessionId: hit.sessionId, messageId: MaybeText(hit.messageId),
                    anchor: MaybeText(hit.toolCallId.map { "c-" + $0 } ?? hit.messageId.map { "m-" + $0 }),
                    title: hit.title ?? labels[hit.sessionId].map { DisplayFormat.shortened($0.label) } ?? hit.sessionId,
                    tool: hit.tool, what: hit.kind == "tool_call" ? "tool call" : (hit.role ?? "message"),
                    createdAt: MaybeText(hit.createdAt.map(DisplayFormat.time)), snippet: DisplayFormat.snippet(hit.snippet))
            }))
    }

    private func devices(access: ReadAccess) async throws -> Response {
        let days = 14
        let now = Date()
        let tenant = access.tenant
        let devices = try await queries.devices(tenant: tenant, days: days, now: now)
        let since = String(now.addingTimeInterval(-Double(days - 1) * 86400).ISO8601Format().prefix(10))
        let redacted = try await reader.redactedRules(tenant: tenant, since: since)
        let described = RoleViews.devices(try await DeviceDirectory.devices(in: queries.store, tenant: tenant),
                                          emails: try await RoleViews.visibleEmails(for: access, in: queries.store))
        let machines = Dictionary(described.map { ($0.device, $0) }, uniquingKeysWith: { first, _ in first })
        // A reader who may not see everyone's figures sees only the devices of those it may.
        let rows = devices.filter { access.people == nil || machines[$0.device] != nil }.map { device in
            let spark = DevicesPage.sparkBars(device.perDay)
            var behind = ""
            if let received = device.lastReceived.flatMap(DisplayFormat.date) {
                behind = DisplayFormat.duration(seconds: now.timeIntervalSince(received)) + " ago"
                if let collected = device.lastCollected.flatMap(DisplayFormat.date) {
                    behind += " · sent \(DisplayFormat.duration(seconds: received.timeIntervalSince(collected))) after collection"
                }
            }
            let machine = machines[device.device]
            return DevicesPage.Row(device: device.device, link: "/sessions" + DisplayFormat.query([("device", device.device)]),
                                   tools: device.tools.joined(separator: ", "), sensor: machines[device.device]?.sensorVersion ?? "—",
                                   envelopes: DisplayFormat.count(device.envelopes), lastReceived: DisplayFormat.time(device.lastReceived),
                                   behind: behind, sparkWidth: days * 6, sparkBars: spark,
                                   redactions: NormalizedReader.redactionLine(redacted[device.device] ?? []) ?? "",
                                   host: machine?.host ?? "",
                                   system: [machine?.os, machine?.osVersion].compactMap { $0 }.joined(separator: " "),
                                   user: machine?.user ?? "",
                                   firstSeen: machine.map { DisplayFormat.time($0.firstSeen) } ?? "",
                                   enrolledBy: machine?.enrolledBy ?? "", person: machine?.person ?? "")
        }
        return renderer.render("devices", DevicesPage(days: days, rows: rows))
    }

    private func people(access: ReadAccess) async throws -> Response {
        let figures = PeopleFigures(store: queries.store)
        let tenant = access.tenant
        let everyone = try await figures.people(tenant: tenant)
        let people = try await RoleViews.people(everyone, for: access, in: queries.store)
        let teams = RoleViews.teams(try await figures.teams(of: everyone, tenant: tenant), for: access)
        return renderer.render("people", PeoplePage(
            hidden: access.people?.isEmpty == true, minimumGroup: access.minimumGroup > 1 ? access.minimumGroup : nil,
            rows: people.map { person in
                PeoplePage.Row(email: person.email, name: person.name ?? "", inactive: !person.active, teams: person.teams.joined(separator: ", "),
                               devices: person.devices.joined(separator: ", "), sessions: DisplayFormat.count(person.sessions),
                               tokens: DisplayFormat.count(person.tokens), cost: DisplayFormat.money(person.cost),
                               tools: person.tools.joined(separator: ", "), models: person.models.joined(separator: ", "),
                               accounts: DisplayFormat.count(Int64(person.accounts)), flagged: person.flaggedAccounts > 0,
                               sessionsLink: "/sessions" + DisplayFormat.query([("person", person.id)]),
                               accountsLink: "/accounts" + DisplayFormat.query([("person", person.id)]),
                               overviewLink: "/" + DisplayFormat.query([("person", person.id)]))
            },
            teams: teams.map { team in
                PeoplePage.TeamRow(name: team.name, members: DisplayFormat.count(Int64(team.members)), sessions: DisplayFormat.count(team.sessions),
                                   tokens: DisplayFormat.count(team.tokens), cost: DisplayFormat.money(team.cost),
                                   tools: team.tools.joined(separator: ", "),
                                   sessionsLink: MaybeText(team.id == RoleViews.other ? nil : "/sessions" + DisplayFormat.query([("team", team.id)])),
                                   overviewLink: MaybeText(team.id == RoleViews.other ? nil : "/" + DisplayFormat.query([("team", team.id)])))
            }))
    }

    private func accounts(_ request: Request, access: ReadAccess) async throws -> Response {
        let person = Self.query(of: request)["person"].flatMap { $0.isEmpty ? nil : $0 }
        var tenants: [Int64] = []
        if let tenant = access.tenant { tenants = [tenant] } else { tenants = try await queries.store.tenants().map(\.id) }
        var accounts: [AccountInUse] = []
        for tenant in tenants { accounts += try await AccountsInUse.accounts(tenant: tenant, person: person, in: queries.store) }
        accounts = RoleViews.accounts(accounts, emails: try await RoleViews.visibleEmails(for: access, in: queries.store))
        return renderer.render("accounts", AccountsPage(
            person: MaybeText(person.flatMap { _ in accounts.first?.person }),
            rows: accounts.map { account in
                AccountsPage.Row(person: account.person ?? "", device: account.host.map { "\($0) (\(account.device))" } ?? account.device,
                                 tool: account.tool, account: account.email ?? account.login ?? "", organization: account.organization ?? "",
                                 plan: account.plan ?? "", standing: account.standing.rawValue, flagged: account.flagged,
                                 current: account.active == false ? "used before" : "signed in",
                                 firstSeen: DisplayFormat.time(account.firstSeen), lastSeen: DisplayFormat.time(account.lastSeen))
            }))
    }

    /// Who read whose conversations: a person signed in with `self` sees who read theirs; an
    /// admin, everyone's; other roles are told why not.
    private func accessLog(access: ReadAccess) async throws -> Response {
        let entries: [AccessEntry]
        if access.token.scope == .admin {
            entries = try await AccessLog.entries(tenant: nil, in: queries.store)
        } else if let person = access.person {
            entries = try await AccessLog.entries(tenant: access.tenant, owner: person, in: queries.store)
        } else {
            return forbidden("the access log shows a person who read their sessions (sign in as yourself), and an admin everything")
        }
        return renderer.render("access", AccessPage(own: access.person != nil, rows: entries.map {
            AccessPage.Row(at: DisplayFormat.time($0.at), reader: $0.reader, role: $0.role, session: $0.session, owner: $0.owner ?? "",
                           what: $0.what, from: $0.from)
        }))
    }

    private func drift(access: ReadAccess) async throws -> Response {
        guard access.people == nil else {
            return forbidden("drift names records' keys and example records: it needs read (this reader is \(access.role))")
        }
        let entries = try await reader.drift(tenant: access.tenant)
        return renderer.render("drift", DriftPage(rows: entries.map {
            DriftPage.Row(tool: $0.tool, toolVersion: $0.toolVersion, kind: $0.kind, reason: $0.reason, name: $0.name,
                          count: DisplayFormat.count($0.count), firstSeen: DisplayFormat.time($0.firstSeen),
                          lastSeen: DisplayFormat.time($0.lastSeen), exampleId: MaybeText($0.exampleId), normalizer: $0.normalizer ?? "none",
                          action: $0.action)
        }))
    }

    private func forbidden(_ message: String) -> Response {
        renderer.render("error", ErrorPage(title: "Not for this role", signedIn: true, heading: "Not for this role", message: message),
                        status: .forbidden)
    }

    private func notFound(_ message: String) -> Response {
        renderer.render("error", ErrorPage(title: "Not found", signedIn: true, heading: "Not found", message: message), status: .notFound)
    }

    // MARK: Helpers

    package static func label(_ session: NormalizedReader.Session) -> String {
        if let title = session.title, !title.isEmpty { return DisplayFormat.shortened(title) }
        if let prompt = session.firstPrompt, !prompt.isEmpty { return DisplayFormat.shortened(prompt) }
        return session.nativeId
    }

    package static func cost(_ tokens: NormalizedReader.Tokens) -> String {
        guard let cost = tokens.cost else { return "—" }
        return DisplayFormat.money(cost) + (tokens.costSource == "estimated" ? " est." : "")
    }

    /// A session's cost, naming where a recorded cost came from when a report gave it (a vendor's
    /// usage API: "recorded (Cursor)"; telemetry: "recorded (OpenTelemetry)").
    package static func cost(_ session: NormalizedReader.Session) -> String {
        guard let reporter = session.costRecordedBy, session.tokens.cost != nil else { return cost(session.tokens) }
        return cost(session.tokens) + " recorded (\(DisplayFormat.reporter(reporter)))"
    }

    /// Token counts as `1.2M`, `35k`, `900`.
    package static func compact(_ value: Double) -> String {
        switch value {
        case 1e9...: return UsageChart.number(value / 1e9) + "B"
        case 1e6...: return UsageChart.number(value / 1e6) + "M"
        case 1e3...: return UsageChart.number(value / 1e3) + "k"
        default: return UsageChart.number(value)
        }
    }

    package static func diff(_ change: NormalizedReader.FileChange) -> [UnifiedDiff.Line] {
        if let diff = change.diff, !diff.isEmpty { return UnifiedDiff.styled(diff) }
        return UnifiedDiff.lines(old: change.oldText ?? "", new: change.newText ?? "")
    }

    /// Every day from `since` to `until` (`YYYY-MM-DD`), at most ten years of them.
    package static func days(since: String?, until: String?) -> [String] {
        guard let since, let until, let start = DisplayFormat.date(since + "T00:00:00Z"),
              let end = DisplayFormat.date(until + "T00:00:00Z"), start <= end else { return [] }
        var days: [String] = []
        var day = start
        while day <= end, days.count < 3660 {
            days.append(String(day.ISO8601Format().prefix(10)))
            day.addTimeInterval(86400)
        }
        return days
    }

    static func dayAfter(_ day: String) -> String {
        guard let date = DisplayFormat.date(day + "T00:00:00Z") else { return day }
        return String(date.addingTimeInterval(86400).ISO8601Format().prefix(10))
    }

    /// An envelope as indented JSON for reading (the stored bytes when it does not parse).
    package static func pretty(_ json: String) -> String {
        guard let object = try? JSONSerialization.jsonObject(with: Data(json.utf8), options: [.fragmentsAllowed]),
              let data = try? JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])
        else { return json }
        return String(decoding: data, as: UTF8.self)
    }

    /// Where to go after signing in: `target` when it is a path of this server, else `/`. Only printable ASCII without a
    /// backslash is taken: a browser drops tabs and newlines from a URL and reads `\` as `/`,
    /// so `/<TAB>/evil.example` or `/\evil.example` would leave the site; what is left must
    /// parse as a path with no scheme and no host.
    package static func safeTarget(_ target: String) -> String {
        guard target.hasPrefix("/"), !target.hasPrefix("//"),
              target.unicodeScalars.allSatisfy({ (0x21...0x7E).contains($0.value) && $0 != "\\" }),
              let components = URLComponents(string: target), components.scheme == nil, components.host == nil
        else { return "/" }
        return target
    }

    /// Whether a form was posted from one of this server's own pages: a browser says where a
    /// request comes from (`Sec-Fetch-Site`, `Origin`); a POST from another site is refused, so
    /// no other page can sign a visitor in (to an attacker's tenant) or out. A client that
    /// sends neither header is not a browser acting for someone else.
    static func isSameOrigin(_ request: Request) -> Bool {
        if let site = request.headers[Self.secFetchSite]?.lowercased(), site != "same-origin", site != "none" { return false }
        guard let origin = request.headers[.origin] else { return true }
        guard let url = URLComponents(string: origin), let host = url.host else { return false }
        // An origin leaves out a scheme's default port, as a Host header does.
        let expected = url.port.map { "\(host):\($0)" } ?? host
        let authority = request.head.authority ?? ""
        return authority.lowercased() == expected.lowercased()
    }

    package static let secFetchSite = HTTPField.Name("Sec-Fetch-Site")!

    /// The query string's fields, decoded as a browser's form encodes them (`+` is a space).
    package static func query(of request: Request) -> [String: String] {
        form(request.uri.query ?? "")
    }

    /// `application/x-www-form-urlencoded` fields.
    package static func form(_ body: String) -> [String: String] {
        var fields: [String: String] = [:]
        for pair in body.split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            func decode(_ part: Substring) -> String {
                String(part).replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? String(part)
            }
            guard let name = parts.first else { continue }
            fields[decode(name)] = parts.count > 1 ? decode(parts[1]) : ""
        }
        return fields
    }
}
