import Hummingbird
import NIOCore

/// The request context of `sensor-ingest`'s routes: Hummingbird's basic one, plus the client's
/// address (failed authentication is limited per address).
public struct IngestRequestContext: RequestContext, RemoteAddressRequestContext {
    public var coreContext: CoreRequestContextStorage
    public let remoteAddress: SocketAddress?

    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        remoteAddress = source.channel.remoteAddress
    }

    /// The client's IP address as text ("unknown" when the channel has none).
    var clientAddress: String { remoteAddress?.ipAddress ?? "unknown" }
}
