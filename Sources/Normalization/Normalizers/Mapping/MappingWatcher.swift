import Foundation
import IngestStore
import Logging
import ServiceLifecycle

/// Re-reads an operator's mapping directory while the server runs: an edited, added or
/// removed file takes effect for the records normalised next, with no restart; a directory
/// with a problem is refused (each problem logged with its file, line and column) and the
/// mappings in use stay. Records normalised before keep their rows until `reparse`.
public struct MappingWatcher: Service {
    package let directory: URL
    package let normalizer: Normalizer
    package let interval: Duration
    package let logger: Logger

    public init(directory: URL, normalizer: Normalizer, interval: Duration = .seconds(2), logger: Logger) {
        self.directory = directory
        self.normalizer = normalizer
        self.interval = interval
        self.logger = logger
    }

    public func run() async {
        await cancelWhenGracefulShutdown {
            var seen = fingerprint()
            while (try? await Task.sleep(for: interval)) != nil {
                let now = fingerprint()
                guard now != seen else { continue }
                seen = now
                reload()
            }
        }
    }

    /// Loads the directory over the built-in mappings; true when they are now in use.
    @discardableResult
    public func reload() -> Bool {
        let (registry, problems) = NormalizerRegistry.loading(directory: directory)
        guard problems.isEmpty else {
            for problem in problems {
                logger.error("mapping refused; the mappings in use stay", metadata: ["problem": "\(problem)"])
            }
            return false
        }
        normalizer.use(registry)
        logger.info("mappings reloaded; `sensor-ingest reparse` applies them to records stored before",
                    metadata: ["directory": "\(directory.path)"])
        return true
    }

    /// Names, sizes and modification times of the directory's mapping files (as the
    /// sensor-config files are fingerprinted).
    package func fingerprint() -> String {
        FileFingerprint.of((try? MappingCatalog.files(in: directory)) ?? [])
    }
}
