import Access
import Explorer
import IngestStore
import Normalization
import Hummingbird
import HTTPTypes
import SensorModel

/// `GET /api/v1/sensor-config`: the server layer of the sensors' config, with an ETag;
/// 304 when the client's `If-None-Match` already names it. Either answer says which
/// `Content-Encoding`s the ingest route takes (`Accept-Encoding: zstd, gzip`, as RFC 7694 has a
/// server say it): a sensor then sends zstd, and gzip to a server that does not say so.
struct SensorConfigHandler: Sendable {
    let provider: ServerConfigProvider
    let authenticator: BearerAuthenticator
    let tenants: any TenantStore

    func handle(_ request: Request, context: IngestRequestContext) async throws -> Response {
        let token: TokenRecord
        switch await authenticator.authorize(request, context: context, scope: .ingest) {
        case .failure(let refusal): return refusal.response
        case .success(let found): token = found
        }
        // A tenant's own folder, when it has one, layers over the default document.
        let name = try await tenants.tenants().first { $0.id == token.tenantID }?.name ?? "default"
        let document = await provider.document(forTenant: name)
        var headers: HTTPFields = [.eTag: document.etag, .cacheControl: "no-cache", .acceptEncoding: Self.acceptedEncodings]
        // Envelope flags beyond the first version's that this server stores (the sensor sends
        // them only to a server that says so).
        headers[HTTPField.Name("Accept-Envelope-Flags")!] = "redacted_by"
        if let condition = request.headers[.ifNoneMatch], Self.matches(condition, etag: document.etag) {
            return Response(status: .notModified, headers: headers)
        }
        headers[.contentType] = "application/json"
        if let signature = document.signature, let name = HTTPField.Name(ServerConfigSignature.header) {
            headers[name] = signature
        }
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: document.json)))
    }

    /// The encodings of a batch body the ingest route takes, preferred first.
    static let acceptedEncodings = "zstd, gzip"

    /// `If-None-Match`: `*` or a list of entity tags, weak ones (`W/"…"`) compared weakly.
    static func matches(_ condition: String, etag: String) -> Bool {
        condition.split(separator: ",").contains { candidate in
            var tag = candidate.trimmingCharacters(in: .whitespaces)
            if tag.hasPrefix("W/") { tag.removeFirst(2) }
            return tag == "*" || tag == etag
        }
    }
}
