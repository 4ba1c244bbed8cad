import Foundation
import Hummingbird
import HummingbirdTesting
import Access
import Explorer
import IngestCore
import IngestStore
import Normalization
import Logging
import SensorModel

/// An `IngestServer` over a fresh store, with one live token and an empty config directory.
struct TestServer: Sendable {
    let server: IngestServer
    let store: any IngestStore
    let token: String
    let tokenName: String
    let configDirectory: URL

    /// Small limits, so that limit tests stay small: 1 MiB on the wire, 8 MiB inflated.
    static var testLimits: IngestServer.Limits {
        var limits = IngestServer.Limits()
        limits.maxBodyBytes = 1 << 20
        limits.maxInflatedBytes = 8 << 20
        return limits
    }

    /// Runs `body` with a server on a fresh store of `kind`.
    static func with<Result: Sendable>(_ kind: StoreKind, limits: IngestServer.Limits = testLimits,
                                       _ body: (TestServer) async throws -> Result) async throws -> Result {
        try await kind.withFreshStore { store in
            try await with(store: store, limits: limits, body)
        }
    }

    /// Runs `body` with a server on `store` (already running), with a new token.
    static func with<Result: Sendable>(store: any IngestStore, limits: IngestServer.Limits = testLimits,
                                       _ body: (TestServer) async throws -> Result) async throws -> Result {
        let token = TokenSecret.generate()
        let name = "test-\(UUID().uuidString.prefix(8))"
        _ = try await store.createToken(name: name, hash: TokenSecret.hash(token))
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("ingest-config-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let provider = ServerConfigProvider(location: directory, logger: .quiet) { data, origin in
            ConfigLoader.validateServerDocument(data, origin: origin)
        }
        let server = IngestServer(store: store, config: provider, limits: limits, logger: .quiet)
        return try await body(TestServer(server: server, store: store, token: token, tokenName: name,
                                         configDirectory: directory))
    }

    /// Runs `body` with Hummingbird's in-process test client on the server's router.
    func withRouterClient(_ body: @escaping @Sendable (any TestClientProtocol) async throws -> Void) async throws {
        try await Application(router: server.router(), logger: .quiet).test(.router) { client in try await body(client) }
    }

    /// Runs `body` with a client of the server listening on 127.0.0.1 (a real connection: the
    /// client's address is loopback).
    func withLiveClient(_ body: @escaping @Sendable (any TestClientProtocol) async throws -> Void) async throws {
        try await Application(router: server.router(), configuration: .init(address: .hostname("127.0.0.1", port: 0)), logger: .quiet)
            .test(.live) { client in try await body(client) }
    }

    /// Every envelope stored, as text.
    func storedEnvelopes() async throws -> [String] {
        try await store.envelopes(after: nil, limit: 1_000_000).map(\.json)
    }

    func storedCount() async throws -> Int {
        try await store.counts().reduce(0) { $0 + $1.envelopes }
    }
}

/// The JSON answer to a batch.
struct IngestAnswer: Decodable, Equatable {
    struct Rejected: Decodable, Equatable {
        var id: String
        var index: Int
        var reason: String
    }

    var accepted: Int
    var duplicates: Int
    var rejected: [Rejected]
}

extension TestClientProtocol {
    /// Posts a batch body, gzipped unless `gzip` is false, with `token` as Bearer when given.
    func postBatch(_ body: [UInt8], token: String?, gzip: Bool = true, headers extra: HTTPFields = [:]) async throws
        -> TestResponse {
        var headers = extra
        headers[.contentType] = "application/json"
        if let token { headers[.authorization] = "Bearer \(token)" }
        if gzip { headers[.contentEncoding] = "gzip" }
        return try await execute(uri: IngestServer.Paths.ingest, method: .post, headers: headers,
                                 body: ByteBuffer(bytes: gzip ? Envelopes.gzip(body) : body))
    }

    /// Posts bytes exactly as given.
    func postRaw(_ body: [UInt8], headers: HTTPFields) async throws -> TestResponse {
        try await execute(uri: IngestServer.Paths.ingest, method: .post, headers: headers, body: ByteBuffer(bytes: body))
    }
}

extension TestResponse {
    func answer() throws -> IngestAnswer {
        try JSONDecoder().decode(IngestAnswer.self, from: Data(buffer: body))
    }

    /// The `error` of an error answer.
    var errorMessage: String? {
        (try? JSONSerialization.jsonObject(with: Data(buffer: body)) as? [String: Any])?["error"] as? String
    }
}
