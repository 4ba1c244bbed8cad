import Access
import Foundation
import HTTPTypes
import Hummingbird
import IngestStore
import Logging
import MCP

/// The MCP server (modelcontextprotocol/swift-sdk): `POST /mcp` on the server (Streamable HTTP,
/// one JSON answer per request, no session: each request is served by a server of its own, for
/// the role of the token it carries), and over stdio for `sensor-ingest mcp`. Every tool call
/// answers as its caller's token may read (``SessionTools``).
public struct MCPEndpoint: Sendable {
    public static let path = "/mcp"

    let tools: SessionTools
    let authenticator: BearerAuthenticator

    /// An MCP server whose tools answer as `access` may read.
    static func server(tools: SessionTools, access: ReadAccess) async -> Server {
        let server = Server(name: "session-sensor", version: "0.1.0", title: "Session Sensor",
                            instructions: "Past coding-agent sessions of this organisation: search them, read one, see usage and recent edits.",
                            capabilities: .init(tools: .init(listChanged: false)))
        await server.withMethodHandler(ListTools.self) { _ in ListTools.Result(tools: SessionTools.tools) }
        await server.withMethodHandler(CallTool.self) { params in
            await tools.call(params.name, params.arguments ?? [:], access: access, from: "mcp")
        }
        return server
    }

    /// Serves MCP over standard input and output for the holder of `secret` (a token of a
    /// reading role), until the client closes its end. Nothing else may write to standard output.
    public static func serveStdio(store: any IngestStore, secret: String) async throws {
        guard let token = try await store.token(withHash: TokenSecret.hash(secret)), !token.isExpired() else {
            throw StoreError("the token is unknown, revoked or expired")
        }
        guard token.scope.allows(.read) else { throw StoreError("a \(token.scope.rawValue) token reads nothing: MCP needs a reading role") }
        let server = await server(tools: SessionTools(store: store, explorer: nil), access: try await ReadAccess.of(token, in: store))
        try await server.start(transport: StdioTransport(logger: Logger(label: "sensor-ingest.mcp")))
        await server.waitUntilCompleted()
    }

    /// `POST /mcp`: a reading token (as the read API takes) and one JSON-RPC message.
    func handle(_ request: Request, context: IngestRequestContext) async throws -> Response {
        try await authenticator.reading(request, context: context, in: tools.store) { access in
            try await answer(request, access: access)
        }
    }

    /// One JSON-RPC message answered by a server made for `access`.
    private func answer(_ request: Request, access: ReadAccess) async throws -> Response {
        let body = try await request.body.collect(upTo: 1 << 20)
        var headers: [String: String] = [:]
        for field in request.headers { headers[field.name.canonicalName] = field.value }
        let server = await Self.server(tools: tools, access: access)
        let transport = StatelessHTTPServerTransport(logger: Logger(label: "sensor-ingest.mcp"))
        try await server.start(transport: transport)
        let answer = await transport.handleRequest(
            MCP.HTTPRequest(method: request.method.rawValue, headers: headers, body: Data(buffer: body), path: Self.path))
        await server.stop()
        var fields = HTTPFields()
        for (name, value) in answer.headers { if let name = HTTPField.Name(name) { fields[name] = value } }
        let bytes = answer.bodyData.map { ByteBuffer(bytes: $0) } ?? ByteBuffer()
        return Response(status: .init(code: answer.statusCode), headers: fields, body: .init(byteBuffer: bytes))
    }
}
