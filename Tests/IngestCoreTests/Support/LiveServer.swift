import AsyncHTTPClient
import Foundation
import Hummingbird
import Access
import Explorer
import IngestCore
import IngestStore
import Normalization
import Logging
import NIOCore
import NIOSSL
import ServiceLifecycle

/// Runs an `IngestServer` for real: a socket on 127.0.0.1 (a free port), HTTP or HTTPS.
enum LiveServer {
    struct Failed: Error, CustomStringConvertible { var description: String }

    /// Runs `body` with the server's URL while it listens; shuts it down gracefully after.
    static func with<Result: Sendable>(_ server: IngestServer, tls: TLSConfiguration? = nil,
                                       configPollInterval: Duration = .milliseconds(50),
                                       _ body: (String) async throws -> Result) async throws -> Result {
        let (urls, listening) = AsyncStream<String>.makeStream()
        let app = try server.application(host: "127.0.0.1", port: 0, tls: tls, configPollInterval: configPollInterval) { url in
            listening.yield(url)
        }
        let group = ServiceGroup(services: [app], gracefulShutdownSignals: [], logger: .quiet)
        return try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask {
                defer { listening.finish() }
                try await group.run()
            }
            var iterator = urls.makeAsyncIterator()
            guard let url = await iterator.next() else {
                try await tasks.waitForAll()
                throw Failed(description: "the server stopped before it listened")
            }
            do {
                let result = try await body(url)
                await group.triggerGracefulShutdown()
                try await tasks.waitForAll()
                return result
            } catch {
                await group.triggerGracefulShutdown()
                throw error
            }
        }
    }

    /// Posts a gzipped batch with AsyncHTTPClient; returns the status and the body.
    static func post(_ batch: [UInt8], to url: String, token: String, client: HTTPClient = .shared,
                     gzip: Bool = true) async throws -> (status: Int, body: Data) {
        var request = HTTPClientRequest(url: url + IngestServer.Paths.ingest)
        request.method = .POST
        request.headers.add(name: "Authorization", value: "Bearer \(token)")
        request.headers.add(name: "Content-Type", value: "application/json")
        if gzip { request.headers.add(name: "Content-Encoding", value: "gzip") }
        request.body = .bytes(ByteBuffer(bytes: gzip ? Envelopes.gzip(batch) : batch))
        // A guard against a server that never answers, not a bound on how fast it answers: a
        // clean-clone run at load average 20 on 2 cores had a request of the slow-client tests
        // wait past 60 s.
        let response = try await client.execute(request, timeout: .seconds(240))
        let body = try await response.body.collect(upTo: 16 << 20)
        return (Int(response.status.code), Data(buffer: body))
    }
}
