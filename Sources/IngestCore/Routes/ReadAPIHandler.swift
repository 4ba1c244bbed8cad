import Access
import Explorer
import IngestStore
import Normalization
import Foundation
import Hummingbird

/// The read API over the normalised tables (docs/read-api.md): sessions, one session in full,
/// token usage grouped, and the drift report. Every route needs a `read` (or `admin`) token: a
/// laptop's `ingest` token gets 403.
struct ReadAPIHandler: Sendable {
    let store: any IngestStore
    let reader: NormalizedReader
    let authenticator: BearerAuthenticator

    func sessions(_ request: Request, context: IngestRequestContext) async throws -> Response {
        try await reading(request, context: context) { access in
            let query = request.uri.queryParameters
            guard access.readsContent else { return JSONAnswer.error(.forbidden, access.contentRefusal) }
            guard let limit = QueryNumber.parse(query["limit"], default: 100, within: 1...1000),
                  let offset = QueryNumber.parse(query["offset"], default: 0, within: 0...QueryNumber.maxOffset) else {
                return JSONAnswer.error(.badRequest, "limit must be 1 to 1000 and offset 0 to \(QueryNumber.maxOffset)")
            }
            let filter = access.contentFilter(ReadScope.filter(query, token: access.token))
            return Self.json(try await reader.sessions(filter, limit: limit, offset: offset))
        }
    }

    func session(_ request: Request, context: IngestRequestContext, id: String) async throws -> Response {
        try await reading(request, context: context) { access in
            guard access.readsContent else { return JSONAnswer.error(.forbidden, access.contentRefusal) }
            guard try await access.mayRead(session: id, in: store),
                  let detail = try await reader.session(id: id, tenant: access.tenant) else { return JSONAnswer.error(.notFound, "no session \(id)") }
            try await AccessLog.record(session: id, what: "session", reader: access.token.name, role: access.role,
                                       from: context.clientAddress, in: store)
            return Self.json(detail)
        }
    }

    func usage(_ request: Request, context: IngestRequestContext) async throws -> Response {
        try await reading(request, context: context) { access in
            let query = request.uri.queryParameters
            let group = query["group"].map { String($0).split(separator: ",").map(String.init) } ?? ["day", "tool", "model"]
            let known: Set<String> = ["day", "tool", "model", "device", "project"]
            if let unknown = group.first(where: { !known.contains($0) }) {
                return JSONAnswer.error(.badRequest, "group: \(unknown) is not one of day, tool, model, device, project")
            }
            // A device is a person's; a project is a path.
            if group.contains("device") && access.people != nil || group.contains("project") && !access.readsEveryone {
                return JSONAnswer.error(.forbidden, "grouping by device names people and by project shows paths: it needs read (this reader is \(access.role))")
            }
            let filter = ReadScope.filter(query, token: access.token)
            if filter.device != nil && access.people != nil || filter.project != nil && !access.readsEveryone {
                return JSONAnswer.error(.forbidden, "one device's or one project's figures need read (this reader is \(access.role))")
            }
            if let refusal = try await RoleViews.refusal(person: filter.owner.person, team: filter.owner.team, for: access, in: store) {
                return JSONAnswer.error(.forbidden, refusal)
            }
            return Self.json(["usage": try await reader.usage(group: group, filter: filter)])
        }
    }

    /// `GET /api/v1/search?q=words[&limit=N][&person=ID][&team=ID]`: messages and tool calls holding every word.
    func search(_ request: Request, context: IngestRequestContext) async throws -> Response {
        try await reading(request, context: context) { access in
            let query = request.uri.queryParameters
            guard let words = query["q"].map(String.init), !words.trimmingCharacters(in: .whitespaces).isEmpty, words.count <= 500 else {
                return JSONAnswer.error(.badRequest, "q: give the words to find (at most 500 characters)")
            }
            guard let limit = QueryNumber.parse(query["limit"], default: 50, within: 1...500) else {
                return JSONAnswer.error(.badRequest, "limit must be 1 to 500")
            }
            // A usage reader's search finds nothing; a content reader's, only within its grant.
            guard access.readsContent else { return Self.json(["hits": [FullTextSearch.Hit]()]) }
            let owner = access.contentFilter(ReadScope.filter(query, token: access.token)).owner
            let hits = try await FullTextSearch(store: reader.store).search(words, tenant: access.tenant, owner: owner, limit: limit)
            return Self.json(["hits": hits])
        }
    }

    /// `GET /api/v1/redactions[?device=&since=&until=]`: secrets the sensors redacted, by day,
    /// device and rule; counts, never a value.
    func redactions(_ request: Request, context: IngestRequestContext) async throws -> Response {
        try await reading(request, context: context) { access in
            let token = access.token
            guard access.people == nil else {
                return JSONAnswer.error(.forbidden, "redactions are counted per device, which names people: they need read (this reader is \(access.role))")
            }
            let query = request.uri.queryParameters
            func day(_ name: String) -> String? { query[name[...]].map(String.init).flatMap { $0.isEmpty ? nil : $0 } }
            for name in ["since", "until"] {
                if let value = day(name), !Self.isDay(value) { return JSONAnswer.error(.badRequest, "\(name): give a day, YYYY-MM-DD") }
            }
            return Self.json(["redactions": try await reader.redactions(tenant: ReadScope.tenant(of: token), device: day("device"),
                                                                        since: day("since"), until: day("until"))])
        }
    }

    /// `GET /api/v1/devices`: every device of the token's tenant, as its sensor describes it
    /// (host name, system and version, account, sensor version) and when it was first and last
    /// heard from.
    func devices(_ request: Request, context: IngestRequestContext) async throws -> Response {
        try await reading(request, context: context) { access in
            let devices = try await DeviceDirectory.devices(in: reader.store, tenant: access.tenant)
            return Self.json(["devices": RoleViews.devices(devices, emails: try await RoleViews.visibleEmails(for: access, in: store))])
        }
    }

    /// `GET /api/v1/people[?since=YYYY-MM-DD]`: each person, their teams and devices, and their
    /// devices' sessions, tokens, cost, tools and models summed.
    func people(_ request: Request, context: IngestRequestContext) async throws -> Response {
        try await reading(request, context: context) { access in
            let since = request.uri.queryParameters["since"].map(String.init)
            if let since, !Self.isDay(since) { return JSONAnswer.error(.badRequest, "since must be YYYY-MM-DD") }
            if access.people?.isEmpty == true {
                return JSONAnswer.error(.forbidden, "per-person figures need read, content, self or a people grant (this reader is \(access.role)); /api/v1/teams has the teams'")
            }
            let people = try await PeopleFigures(store: store).people(tenant: access.tenant, since: since)
            return Self.json(["people": try await RoleViews.people(people, for: access, in: store)])
        }
    }

    /// `GET /api/v1/teams[?since=YYYY-MM-DD]`: each team, its members' figures summed.
    func teams(_ request: Request, context: IngestRequestContext) async throws -> Response {
        try await reading(request, context: context) { access in
            let since = request.uri.queryParameters["since"].map(String.init)
            if let since, !Self.isDay(since) { return JSONAnswer.error(.badRequest, "since must be YYYY-MM-DD") }
            let teams = try await PeopleFigures(store: store).teams(tenant: access.tenant, since: since)
            return Self.json(["teams": RoleViews.teams(teams, for: access)])
        }
    }

    /// `GET /api/v1/accounts[?person=ID]`: the accounts the AI tools are signed in to, per
    /// device, each the organisation's, personal, another organisation's or unknown.
    func accounts(_ request: Request, context: IngestRequestContext) async throws -> Response {
        try await reading(request, context: context) { access in
            let person = request.uri.queryParameters["person"].map(String.init)
            var tenants: [Int64] = []
            if let tenant = access.tenant { tenants = [tenant] } else { tenants = try await store.tenants().map(\.id) }
            var accounts: [AccountInUse] = []
            for tenant in tenants { accounts += try await AccountsInUse.accounts(tenant: tenant, person: person, in: store) }
            return Self.json(["accounts": RoleViews.accounts(accounts, emails: try await RoleViews.visibleEmails(for: access, in: store))])
        }
    }

    static func isDay(_ text: String) -> Bool {
        let bytes = Array(text.utf8)
        return bytes.count == 10 && bytes[4] == UInt8(ascii: "-") && bytes[7] == UInt8(ascii: "-")
            && bytes.enumerated().allSatisfy { $0.offset == 4 || $0.offset == 7 || (0x30...0x39).contains($0.element) }
    }

    func drift(_ request: Request, context: IngestRequestContext) async throws -> Response {
        try await reading(request, context: context) { access in
            guard access.people == nil else {
                return JSONAnswer.error(.forbidden, "drift names records' keys and example records: it needs read (this reader is \(access.role))")
            }
            return Self.json(["drift": try await reader.drift(tenant: access.tenant)])
        }
    }

    /// Runs `body` with what the request's token may read, when it reads; otherwise answers its refusal.
    private func reading(_ request: Request, context: IngestRequestContext,
                         _ body: (ReadAccess) async throws -> Response) async throws -> Response {
        try await authenticator.reading(request, context: context, in: store, body)
    }

    static func json(_ value: some Encodable) -> Response {
        JSONAnswer.json(.ok, value, encoder: NormalizedReader.encoder())
    }
}
