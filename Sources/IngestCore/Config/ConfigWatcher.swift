import Access
import Explorer
import IngestStore
import Normalization
import ServiceLifecycle

/// Re-reads the operator's config files every `interval` while the server runs.
struct ConfigWatcher: Service {
    let provider: ServerConfigProvider
    var interval: Duration

    func run() async {
        await cancelWhenGracefulShutdown {
            while (try? await Task.sleep(for: interval)) != nil {
                await provider.reload()
            }
        }
    }
}
