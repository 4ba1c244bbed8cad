import Access
import Explorer
import Foundation
import HTTPTypes
import Hummingbird
import IngestStore

/// SCIM 2.0 (RFC 7643/7644) under `/scim/v2`: what identity providers push. Users are the
/// tenant's people (their `userName`, an email, links the devices whose tools sign in with
/// it), Groups its teams. Every request needs a `directory` token (what an identity provider
/// should hold) or an `admin` one, and reads and writes that token's tenant only. The service claims PATCH and filters; not bulk, sort, etags or
/// password changes (docs/people.md).
struct SCIMHandler: Sendable {
    static let root = "/scim/v2"

    let store: any IngestStore
    let authenticator: BearerAuthenticator
    /// Whether the server answers over TLS (the resources' locations are then `https`).
    let tls: Bool

    static let methods: [HTTPRequest.Method] = [.get, .post, .put, .patch, .delete]

    func register(on router: Router<IngestRequestContext>) {
        for method in Self.methods {
            router.on(RouterPath(Self.root + "/**"), method: method) { request, context in try await self.handle(request, context: context) }
            router.on(RouterPath(Self.root), method: method) { request, context in try await self.handle(request, context: context) }
        }
    }

    /// A SCIM error answer (RFC 7644 §3.12).
    static func error(_ status: HTTPResponse.Status, _ detail: String, type: String? = nil) -> Response {
        var body: [String: Any] = ["schemas": [SCIMSchemas.error], "status": String(status.code), "detail": detail]
        if let type { body["scimType"] = type }
        return json(body, status: status)
    }

    static func json(_ body: Any, status: HTTPResponse.Status = .ok, headers: HTTPFields = [:]) -> Response {
        let data = (try? JSONSerialization.data(withJSONObject: body, options: [.sortedKeys, .withoutEscapingSlashes])) ?? Data()
        var fields = headers
        fields[.contentType] = "application/scim+json"
        return Response(status: status, headers: fields, body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }

    func handle(_ request: Request, context: IngestRequestContext) async throws -> Response {
        let token: TokenRecord
        switch await authenticator.authorize(request, context: context, scope: .directory) {
        case .failure(let refusal):
            let detail = refusal.response.status == .forbidden ? "SCIM needs a directory (or admin) token of the tenant" : "missing, unknown, revoked or expired bearer token"
            var answer = Self.error(refusal.response.status, detail)
            for field in refusal.response.headers where field.name != .contentType { answer.headers.append(field) }
            return answer
        case .success(let record): token = record
        }
        let path = request.uri.path.dropFirst(Self.root.count).split(separator: "/").map { String($0).removingPercentEncoding ?? String($0) }
        let base = "\(tls ? "https" : "http")://\(request.head.authority ?? "localhost")\(Self.root)"
        let directory = SCIMDirectory(store: store, tenant: token.tenantID, base: base)
        let method = request.method
        do {
            switch (path.first, path.count) {
            case ("ServiceProviderConfig", 1):
                guard method == .get else { return Self.notAllowed() }
                return Self.json(SCIMSchemas.serviceProviderConfig(base: base))
            case ("ResourceTypes", _), ("Schemas", _):
                let all = path[0] == "Schemas" ? SCIMSchemas.schemas(base: base) : SCIMSchemas.resourceTypes(base: base)
                guard method == .get else { return path.count == 1 ? Self.notAllowed() : Self.error(.notFound, "no such resource") }
                if path.count == 1 { return Self.json(Self.list(all, total: all.count, start: 1)) }
                guard path.count == 2, let found = all.first(where: { $0["id"] as? String == path[1] }) else {
                    return Self.error(.notFound, "no \(path[0] == "Schemas" ? "schema" : "resource type") \(path.dropFirst().joined(separator: "/"))")
                }
                return Self.json(found)
            case (".search", 1):
                guard method == .post else { return Self.notAllowed() }
                return try await search(request, directory: directory, kinds: [.user, .group])
            case ("Users", _), ("Groups", _):
                let kind: SCIMDirectory.Kind = path[0] == "Users" ? .user : .group
                if path.count == 1 {
                    switch method {
                    case .get: return try await list(query: ExplorerHandler.query(of: request), directory: directory, kinds: [kind])
                    case .post: return try await directory.create(kind, try await Self.body(request))
                    default: return Self.notAllowed()
                    }
                }
                guard path.count == 2 else { return Self.error(.notFound, "no such resource") }
                if path[1] == ".search" {
                    guard method == .post else { return Self.notAllowed() }
                    return try await search(request, directory: directory, kinds: [kind])
                }
                let id = path[1]
                let query = ExplorerHandler.query(of: request)
                switch method {
                case .get:
                    guard let resource = try await directory.resource(kind, id: id) else { return Self.error(.notFound, "no \(kind.rawValue) \(id)") }
                    return Self.json(try Self.project(resource, query))
                case .put: return try await directory.replace(kind, id: id, with: try await Self.body(request))
                case .patch: return try await directory.patch(kind, id: id, with: try await Self.body(request))
                case .delete: return try await directory.delete(kind, id: id)
                default: return Self.notAllowed()
                }
            default:
                return Self.error(.notFound, "no such SCIM endpoint: \(request.uri.path)")
            }
        } catch let invalid as SCIMDirectory.Invalid {
            return Self.error(invalid.status, invalid.detail, type: invalid.type)
        }
    }

    static func notAllowed() -> Response { error(.methodNotAllowed, "this endpoint does not take that method") }

    static func body(_ request: Request) async throws -> [String: Any] {
        let buffer = try await request.body.collect(upTo: 1 << 20)
        guard let object = try? JSONSerialization.jsonObject(with: Data(buffer: buffer)) as? [String: Any] else {
            throw SCIMDirectory.Invalid(status: .badRequest, detail: "the body is not a JSON object", type: "invalidSyntax")
        }
        return object
    }

    private func search(_ request: Request, directory: SCIMDirectory, kinds: [SCIMDirectory.Kind]) async throws -> Response {
        let body = try await Self.body(request)
        var query: [String: String] = [:]
        if let filter = body["filter"] as? String { query["filter"] = filter }
        if let attributes = body["attributes"] as? [String] { query["attributes"] = attributes.joined(separator: ",") }
        if let excluded = body["excludedAttributes"] as? [String] { query["excludedAttributes"] = excluded.joined(separator: ",") }
        if let start = body["startIndex"] as? Int { query["startIndex"] = String(start) }
        if let count = body["count"] as? Int { query["count"] = String(count) }
        return try await list(query: query, directory: directory, kinds: kinds)
    }

    private func list(query: [String: String], directory: SCIMDirectory, kinds: [SCIMDirectory.Kind]) async throws -> Response {
        var filter: SCIMFilter?
        if let text = query["filter"], !text.isEmpty {
            do {
                filter = try SCIMFilter.parse(text)
            } catch {
                return Self.error(.badRequest, "filter: \(error)", type: "invalidFilter")
            }
        }
        let start = max(1, Int(query["startIndex"] ?? "") ?? 1)
        let count = min(SCIMSchemas.maxResults, max(0, Int(query["count"] ?? "") ?? SCIMSchemas.maxResults))
        var resources: [[String: Any]] = []
        for kind in kinds { resources += try await directory.resources(kind) }
        if let filter { resources = resources.filter(filter.matches) }
        let page = resources.dropFirst(start - 1).prefix(count)
        return Self.json(Self.list(try page.map { try Self.project($0, query) }, total: resources.count, start: start))
    }

    static func list(_ resources: [[String: Any]], total: Int, start: Int) -> [String: Any] {
        ["schemas": [SCIMSchemas.listResponse], "totalResults": total, "startIndex": start, "itemsPerPage": resources.count,
         "Resources": resources]
    }

    /// The resource with only the `attributes` asked for, or without the `excludedAttributes`
    /// (`id`, `schemas` and `meta` are always returned).
    static func project(_ resource: [String: Any], _ query: [String: String]) throws -> [String: Any] {
        func names(_ key: String) -> Set<String> {
            Set((query[key] ?? "").split(separator: ",").map {
                let name = $0.trimmingCharacters(in: .whitespaces).lowercased()
                return String(name.split(separator: ":").last ?? Substring(name)).split(separator: ".").first.map(String.init) ?? name
            }.filter { !$0.isEmpty })
        }
        let always: Set<String> = ["id", "schemas", "meta"]
        let wanted = names("attributes"), excluded = names("excludedAttributes")
        return resource.filter { key, _ in
            let name = key.lowercased()
            if always.contains(name) { return true }
            if !wanted.isEmpty { return wanted.contains(name) }
            return !excluded.contains(name)
        }
    }
}
