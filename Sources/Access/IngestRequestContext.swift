import IngestStore
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
    package var clientAddress: String { remoteAddress?.ipAddress ?? "unknown" }

    /// Whether the client is this machine (127.0.0.0/8, ::1, or IPv4-mapped loopback).
    package var isLoopback: Bool {
        guard let address = remoteAddress?.ipAddress else { return false }
        return address.hasPrefix("127.") || address == "::1" || address.hasPrefix("::ffff:127.")
    }
}
