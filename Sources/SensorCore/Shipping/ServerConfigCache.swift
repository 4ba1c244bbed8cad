import Foundation
import Logging
import SensorModel

/// The server's sensor-config, fetched with ETag and kept on disk as last-known-good.
///
/// A document that fails validation is reported and ignored as a whole: the previous good one
/// stays in force (never a half-applied config). Offline, the cached one is used.
public struct ServerConfigCache: Sendable {
    public let directory: URL
    /// With a key pinned by the local policy, a document is used only with a valid signature
    /// (fetched or cached); otherwise it is rejected whole and the last-known-good one stays.
    public var publicKey: String?

    public init(directory: URL, publicKey: String? = nil) {
        self.directory = directory
        self.publicKey = publicKey
    }

    var documentURL: URL { directory.appendingPathComponent("server-config.json") }
    var etagURL: URL { directory.appendingPathComponent("server-config.etag") }
    var signatureURL: URL { directory.appendingPathComponent("server-config.sig") }

    /// The last-known-good document (nil when a pinned key does not verify it).
    public func cached() -> (data: Data, origin: String)? {
        guard let data = try? Data(contentsOf: documentURL) else { return nil }
        if let publicKey {
            let signature = try? String(contentsOf: signatureURL, encoding: .utf8)
            guard case .success = ServerConfigSignature.verify(data, signature: signature, publicKey: publicKey) else { return nil }
        }
        return (data, "server sensor-config (cached \(documentURL.path))")
    }

    /// Fetches the current document; returns the one to use (new, or last-known-good) and
    /// the problems of a rejected one.
    public func refresh(using client: IngestClient, logger: Logger) async -> (document: (data: Data, origin: String)?, problems: [ConfigProblem]) {
        let etag = try? String(contentsOf: etagURL, encoding: .utf8)
        let origin = "server sensor-config (\(client.endpoint.configURL))"
        do {
            let answer = try await client.fetchConfig(etag: cached() == nil ? nil : etag)
            switch answer.status {
            case 304:
                return (cached(), [])
            case 200:
                guard let data = answer.body else { return (cached(), []) }
                if let publicKey, case .failure(let problem) = ServerConfigSignature.verify(data, signature: answer.signature, publicKey: publicKey) {
                    let rejected = ConfigProblem(SourceLocation(file: origin), field: "", "server config rejected whole: \(problem.description); the last known good one stays")
                    logger.error("\(rejected.description)")
                    return (cached(), [rejected])
                }
                let (layer, problems) = ConfigLoader.serverLayer(data, origin: origin)
                guard layer != nil else {
                    for problem in problems { logger.error("server config rejected: \(problem.description)") }
                    return (cached(), problems)
                }
                try AtomicFile.write(data, to: documentURL)
                try AtomicFile.write(Data((answer.signature ?? "").utf8), to: signatureURL)
                try AtomicFile.write(Data((answer.etag ?? "").utf8), to: etagURL)
                return ((data, origin), [])
            case 404:
                return (cached(), [])
            default:
                logger.notice("server config not fetched; using the last known good one", metadata: ["status": "\(answer.status)"])
                return (cached(), [])
            }
        } catch {
            logger.notice("server config not fetched; using the last known good one", metadata: ["error": "\(error)"])
            return (cached(), [])
        }
    }
}
