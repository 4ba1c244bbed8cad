import AsyncHTTPClient
import Foundation
import Access
import Explorer
import IngestCore
import IngestStore
import Normalization
import NIOCore
import NIOSSL
import SensorTestSupport
import Testing

/// HTTPS served directly (HummingbirdTLS over swift-nio-ssl) with a certificate made for the test.
@Suite struct TLSTests {
    /// A self-signed certificate for 127.0.0.1, made by openssl in a temporary directory.
    static func selfSignedCertificate() async throws -> (certificate: URL, key: URL) {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("ingest-tls-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let certificate = directory.appendingPathComponent("cert.pem"), key = directory.appendingPathComponent("key.pem")
        let result = try await ProcessRunner.run(URL(fileURLWithPath: "/usr/bin/env"), [
            "openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=127.0.0.1",
            "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", key.path, "-out", certificate.path,
        ])
        guard result.status == 0 else { throw LiveServer.Failed(description: "openssl: \(result.stderr)") }
        return (certificate, key)
    }

    @Test func theServerSpeaksHTTPSWithItsCertificate() async throws {
        let (certificatePath, keyPath) = try await Self.selfSignedCertificate()
        defer { try? FileManager.default.removeItem(at: certificatePath.deletingLastPathComponent()) }
        let certificates = try NIOSSLCertificate.fromPEMFile(certificatePath.path)
        let tls = TLSConfiguration.makeServerConfiguration(
            certificateChain: certificates.map { .certificate($0) },
            privateKey: .privateKey(try NIOSSLPrivateKey(file: keyPath.path, format: .pem)))

        var trusting = HTTPClient.Configuration()
        var clientTLS = TLSConfiguration.makeClientConfiguration()
        clientTLS.trustRoots = .certificates(certificates)
        trusting.tlsConfiguration = clientTLS
        let client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: trusting)
        do {
            try await Self.exercise(tls: tls, client: client)
            try await client.shutdown()
        } catch {
            try? await client.shutdown()
            throw error
        }
    }

    static func exercise(tls: TLSConfiguration, client: HTTPClient) async throws {
        try await TestServer.with(.sqlite) { test in
            try await LiveServer.with(test.server, tls: tls) { url in
                #expect(url.hasPrefix("https://127.0.0.1:"))
                let health = try await client.execute(HTTPClientRequest(url: url + IngestServer.Paths.health), timeout: .seconds(120))
                #expect(health.status == .ok)

                let batch = Envelopes.batch(Envelopes.many(5))
                let (status, body) = try await LiveServer.post(batch, to: url, token: test.token, client: client)
                #expect(status == 200)
                #expect(try JSONDecoder().decode(IngestAnswer.self, from: body).accepted == 5)

                // A client that does not trust the certificate gets no answer (its TLS check fails,
                // and it keeps retrying until the deadline), nor does plain HTTP on the same port.
                let plain = url.replacingOccurrences(of: "https://", with: "http://")
                for attempt in [url, plain] {
                    await #expect(throws: (any Error).self) {
                        _ = try await HTTPClient.shared.execute(HTTPClientRequest(url: attempt + IngestServer.Paths.health),
                                                                timeout: .seconds(2))
                    }
                }
            }
            #expect(try await test.storedCount() == 5)
        }
    }
}
