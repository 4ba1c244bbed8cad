import AsyncHTTPClient
import Foundation
import NIOCore
import SensorModel

/// This device's credential, got once from an enrollment secret an admin deployed (a file
/// beside the local policy), and kept in the state directory (mode 600) with the server it is
/// for. `IngestClient` exchanges it for short-lived ingest tokens of this device.
public struct DeviceEnrollment: Codable, Sendable, Equatable {
    public var endpoint: String
    public var device: String
    public var credential: String

    /// Where the credential is kept.
    public static func file(stateDirectory: URL) -> URL { stateDirectory.appendingPathComponent("device-credential.json") }

    /// Where an enrollment secret is looked for, strictest first: beside the system policy,
    /// then beside the person's.
    public static func secretLocations(home: String) -> [URL] {
        LocalPolicy.standardLocations(home: home).map { $0.deletingLastPathComponent().appendingPathComponent("enrollment") }
    }

    /// The secret to enroll with: `given` (a flag), else the first of ``secretLocations(home:)``
    /// that exists; nil when there is none.
    public static func secretFile(given: String?, home: String) -> URL? {
        given.map { URL(fileURLWithPath: $0) }
            ?? secretLocations(home: home).first { FileManager.default.fileExists(atPath: $0.path) }
    }

    /// The kept credential, when it is for `endpoint`.
    public static func load(stateDirectory: URL, endpoint: URL) -> DeviceEnrollment? {
        guard let data = try? Data(contentsOf: file(stateDirectory: stateDirectory)),
              let kept = try? JSONDecoder().decode(DeviceEnrollment.self, from: data),
              kept.endpoint == endpoint.absoluteString else { return nil }
        return kept
    }

    /// Exchanges `secret` for this device's credential and keeps it; the server's refusal
    /// (an expired secret, one past its devices, a revoked device) is the error's text.
    public static func enroll(endpoint: IngestEndpoint, secret: String, identity: SensorIdentity,
                              stateDirectory: URL) async throws -> DeviceEnrollment {
        // The ingest client's own HTTP client: the same trust roots, timeouts and refusal of redirects.
        let ingest = try IngestClient(endpoint: endpoint, identity: identity)
        do {
            let kept = try await enroll(with: ingest, secret: secret, stateDirectory: stateDirectory)
            await ingest.shutdown()
            return kept
        } catch {
            await ingest.shutdown()
            throw error
        }
    }

    private static func enroll(with ingest: IngestClient, secret: String, stateDirectory: URL) async throws -> DeviceEnrollment {
        let endpoint = ingest.endpoint, device = ingest.identity.device, client = ingest.client
        var request = HTTPClientRequest(url: endpoint.enrollURL)
        request.method = .POST
        request.headers.add(name: "Authorization", value: "Bearer \(secret)")
        request.headers.add(name: "Content-Type", value: "application/json")
        // Enrolling again (a rotation) shows the credential this machine holds: the server lets
        // only its holder enroll an enrolled device again.
        var asked = ["device": device]
        if let kept = load(stateDirectory: stateDirectory, endpoint: endpoint.base), kept.device == device { asked["credential"] = kept.credential }
        request.body = .bytes(ByteBuffer(bytes: Array(try JSONEncoder().encode(asked))))
        let response = try await client.execute(request, timeout: .seconds(30))
        let body = Data((try await response.body.collect(upTo: 64 << 10)).readableBytesView)
        let answer = (try? JSONSerialization.jsonObject(with: body)) as? [String: Any]
        guard response.status.code == 200, let credential = answer?["credential"] as? String else {
            let reason = answer?["error"] as? String ?? "HTTP \(response.status.code)"
            throw EndpointError("enrollment at \(endpoint.base.absoluteString) refused: \(reason)")
        }
        let kept = DeviceEnrollment(endpoint: endpoint.base.absoluteString, device: device, credential: credential)
        try FileManager.default.createDirectory(at: stateDirectory, withIntermediateDirectories: true)
        try AtomicFile.write(try JSONEncoder().encode(kept), to: file(stateDirectory: stateDirectory), permissions: 0o600)
        return kept
    }
}
