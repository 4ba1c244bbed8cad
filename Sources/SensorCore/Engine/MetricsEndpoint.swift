import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix

/// What the run loop counts, for `GET /metrics` (Prometheus text format).
public final class SensorMetrics: @unchecked Sendable {
    private let lock = NSLock()
    private var recordsRead: [String: Int] = [:]
    private var bytesRead: [String: Int64] = [:]
    private var readErrors: [String: Int] = [:]
    private var passes = 0
    private var shipping = ShippingStats()
    private var bufferCapacity = 0

    public init() {}

    public func record(pass summary: ScanSummary) {
        lock.withLock {
            passes += 1
            for (source, entry) in summary.sources {
                recordsRead[source, default: 0] += entry.envelopes
                bytesRead[source, default: 0] += entry.inputBytes
                readErrors[source, default: 0] += entry.errors.count
            }
        }
    }

    public func record(shipping stats: ShippingStats, capacity: Int) {
        lock.withLock {
            shipping = stats
            bufferCapacity = capacity
        }
    }

    /// The exposition text.
    public func render() -> String {
        lock.withLock {
            var lines: [String] = []
            func metric(_ name: String, _ type: String, _ help: String, _ samples: [(String, String)]) {
                lines.append("# HELP \(name) \(help)")
                lines.append("# TYPE \(name) \(type)")
                for (labels, value) in samples { lines.append("\(name)\(labels) \(value)") }
            }
            func bySource<T>(_ values: [String: T]) -> [(String, String)] {
                values.keys.sorted().map { ("{source=\"\($0)\"}", "\(values[$0]!)") }
            }
            metric("sensor_records_read_total", "counter", "Records read from sources.", bySource(recordsRead))
            metric("sensor_bytes_read_total", "counter", "Source bytes read.", bySource(bytesRead))
            metric("sensor_read_errors_total", "counter", "Files or databases that could not be read in a pass.", bySource(readErrors))
            metric("sensor_passes_total", "counter", "Passes over all sources.", [("", "\(passes)")])
            metric("sensor_records_acknowledged_total", "counter", "Records the server acknowledged.",
                   [("", "\(shipping.envelopesAcknowledged)")])
            metric("sensor_records_quarantined_total", "counter", "Records refused by the server and quarantined.",
                   [("", "\(shipping.envelopesQuarantined)")])
            metric("sensor_batches_sent_total", "counter", "Batch uploads attempted.", [("", "\(shipping.batchesSent)")])
            metric("sensor_upload_retries_total", "counter", "Upload attempts that will be retried.", [("", "\(shipping.retries)")])
            metric("sensor_upload_unexpected_answers_total", "counter",
                   "Answers that were not an acknowledgement (redirects, 404s, malformed acks); the batch was kept.",
                   [("", "\(shipping.unexpectedAnswers)")])
            metric("sensor_bytes_sent_total", "counter", "Compressed bytes sent.", [("", "\(shipping.bytesOnWire)")])
            metric("sensor_buffer_bytes", "gauge", "Envelope bytes read but not yet acknowledged.", [("", "\(shipping.bufferedBytes)")])
            metric("sensor_buffer_capacity_bytes", "gauge", "Capacity of the upload buffer.", [("", "\(bufferCapacity)")])
            return lines.joined(separator: "\n") + "\n"
        }
    }
}

/// Serves ``SensorMetrics`` on 127.0.0.1 only.
public final class MetricsEndpoint: Sendable {
    let channel: any Channel

    public static func start(port: Int, metrics: SensorMetrics) async throws -> MetricsEndpoint {
        let bootstrap = ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(ChannelOptions.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.pipeline.configureHTTPServerPipeline().flatMap {
                    channel.pipeline.addHandler(MetricsHandler(metrics: metrics))
                }
            }
        let channel = try await bootstrap.bind(host: "127.0.0.1", port: port).get()
        return MetricsEndpoint(channel: channel)
    }

    init(channel: any Channel) {
        self.channel = channel
    }

    public var port: Int? { channel.localAddress?.port }

    public func stop() async {
        try? await channel.close()
    }
}

private final class MetricsHandler: ChannelInboundHandler, @unchecked Sendable {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    let metrics: SensorMetrics
    var path = ""

    init(metrics: SensorMetrics) {
        self.metrics = metrics
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head):
            path = head.uri
        case .body:
            break
        case .end:
            let found = path == "/metrics"
            let body = found ? metrics.render() : "not found\n"
            var headers = HTTPHeaders()
            headers.add(name: "Content-Type", value: found ? "text/plain; version=0.0.4" : "text/plain")
            headers.add(name: "Content-Length", value: "\(body.utf8.count)")
            context.write(wrapOutboundOut(.head(HTTPResponseHead(version: .http1_1, status: found ? .ok : .notFound, headers: headers))),
                          promise: nil)
            context.write(wrapOutboundOut(.body(.byteBuffer(ByteBuffer(string: body)))), promise: nil)
            context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
        }
    }
}
