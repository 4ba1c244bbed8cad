import Access
import Explorer
import IngestStore
import Normalization
import NIOConcurrencyHelpers

/// The server's counters, rendered for `GET /metrics` in Prometheus' text format (0.0.4).
///
/// A small registry kept by hand: a handful of counters and one histogram do not need
/// swift-metrics' indirection, and the names and labels stay visible in one place.
public final class IngestMetrics: NormalizationMetrics, Sendable {
    /// Upper bounds of the latency histogram's buckets, in seconds.
    static let latencyBounds: [Double] = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]

    struct Histogram {
        var buckets = [Int](repeating: 0, count: IngestMetrics.latencyBounds.count)
        var sum = 0.0
        var count = 0

        mutating func observe(_ seconds: Double) {
            if let bucket = IngestMetrics.latencyBounds.firstIndex(where: { seconds <= $0 }) { buckets[bucket] += 1 }
            sum += seconds
            count += 1
        }
    }

    struct State {
        var requests: [RequestKey: Int] = [:]
        var latency: [String: Histogram] = [:]
        var envelopes: [String: Int] = ["accepted": 0, "duplicate": 0, "rejected": 0]
        var receivedBytes = 0
        var inflatedBytes = 0
        var ingestsInProgress = 0
        var normalized = 0
        var drift: [DriftMetric: Int] = [:]
        var deviceMismatches = 0
        /// Batches stored, by the `Content-Encoding` they came in (zstd, gzip, identity).
        var batchesByEncoding: [String: Int] = [:]
    }

    struct DriftMetric: Hashable, Comparable {
        var tool: String
        var kind: String
        var reason: String
        static func < (a: Self, b: Self) -> Bool { (a.tool, a.kind, a.reason) < (b.tool, b.kind, b.reason) }
    }

    struct RequestKey: Hashable, Comparable {
        var route: String
        var status: Int
        static func < (a: Self, b: Self) -> Bool { (a.route, a.status) < (b.route, b.status) }
    }

    private let state = NIOLockedValueBox(State())
    /// The most drift series kept apart (labels come from clients' records).
    static let maxDriftSeries = 500

    public init() {}

    /// One answered request: its route (a fixed name, never the raw path), status and latency.
    func request(route: String, status: Int, seconds: Double) {
        state.withLockedValue { state in
            state.requests[RequestKey(route: route, status: status), default: 0] += 1
            state.latency[route, default: Histogram()].observe(seconds)
        }
    }

    /// What one ingest request did with its envelopes, and its bytes on the wire and inflated.
    func ingested(_ outcome: InsertOutcome, rejected: Int, receivedBytes: Int, inflatedBytes: Int, encoding: String) {
        state.withLockedValue { state in
            state.batchesByEncoding[encoding, default: 0] += 1
            state.envelopes["accepted", default: 0] += outcome.accepted
            state.envelopes["duplicate", default: 0] += outcome.duplicates
            state.envelopes["rejected", default: 0] += rejected
            state.receivedBytes += receivedBytes
            state.inflatedBytes += inflatedBytes
        }
    }

    /// An admitted ingest request starts (`+1`) or ends (`-1`).
    func ingestsInProgress(add change: Int) {
        state.withLockedValue { $0.ingestsInProgress += change }
    }

    /// Envelopes rejected because they claimed another device than their token is bound to.
    func deviceMismatches(add count: Int) {
        state.withLockedValue { $0.deviceMismatches += count }
    }

    /// Body bytes read off the connection by a request refused before its envelopes were stored.
    func received(bytes: Int) {
        state.withLockedValue { $0.receivedBytes += bytes }
    }

    /// Envelopes normalised, and what of them was not understood.
    public func normalized(_ count: Int, drift: [DriftKey: Int]) {
        state.withLockedValue { state in
            state.normalized += count
            for (key, count) in drift {
                // Kinds come from clients: past a few hundred distinct ones, the rest share a label.
                let known = state.drift.keys.contains { $0.tool == key.tool && $0.kind == key.kind }
                let kind = known || state.drift.count < Self.maxDriftSeries ? key.kind : "other"
                state.drift[DriftMetric(tool: key.tool, kind: kind, reason: key.reason), default: 0] += count
            }
        }
    }

    /// A label value escaped as the text format wants it (backslash, quote, newline).
    static func label(_ value: String) -> String {
        var escaped = ""
        for character in value {
            switch character {
            case "\\": escaped += "\\\\"
            case "\"": escaped += "\\\""
            case "\n": escaped += "\\n"
            default: escaped.append(character)
            }
        }
        return escaped
    }

    /// The exposition text.
    public func render() -> String {
        let state = state.withLockedValue { $0 }
        var lines: [String] = []
        func family(_ name: String, _ type: String, _ help: String) {
            lines.append("# HELP \(name) \(help)")
            lines.append("# TYPE \(name) \(type)")
        }
        family("sensor_ingest_http_requests_total", "counter", "HTTP requests answered, by route and status.")
        for key in state.requests.keys.sorted() {
            lines.append("sensor_ingest_http_requests_total{route=\"\(key.route)\",status=\"\(key.status)\"} \(state.requests[key]!)")
        }
        family("sensor_ingest_http_request_duration_seconds", "histogram", "Time to answer an HTTP request, by route.")
        for route in state.latency.keys.sorted() {
            let histogram = state.latency[route]!
            var cumulative = 0
            for (bound, count) in zip(Self.latencyBounds, histogram.buckets) {
                cumulative += count
                lines.append("sensor_ingest_http_request_duration_seconds_bucket{route=\"\(route)\",le=\"\(bound)\"} \(cumulative)")
            }
            lines.append("sensor_ingest_http_request_duration_seconds_bucket{route=\"\(route)\",le=\"+Inf\"} \(histogram.count)")
            lines.append("sensor_ingest_http_request_duration_seconds_sum{route=\"\(route)\"} \(histogram.sum)")
            lines.append("sensor_ingest_http_request_duration_seconds_count{route=\"\(route)\"} \(histogram.count)")
        }
        family("sensor_ingest_envelopes_total", "counter", "Envelopes received, by outcome (accepted, duplicate, rejected).")
        for outcome in state.envelopes.keys.sorted() {
            lines.append("sensor_ingest_envelopes_total{outcome=\"\(outcome)\"} \(state.envelopes[outcome]!)")
        }
        family("sensor_ingest_batches_total", "counter", "Batches stored, by the Content-Encoding they came in.")
        for encoding in state.batchesByEncoding.keys.sorted() {
            lines.append("sensor_ingest_batches_total{encoding=\"\(encoding)\"} \(state.batchesByEncoding[encoding]!)")
        }
        family("sensor_ingest_received_bytes_total", "counter", "Ingest request body bytes received on the wire.")
        lines.append("sensor_ingest_received_bytes_total \(state.receivedBytes)")
        family("sensor_ingest_inflated_bytes_total", "counter", "Ingest batch bytes once inflated.")
        lines.append("sensor_ingest_inflated_bytes_total \(state.inflatedBytes)")
        family("sensor_ingest_ingests_in_progress", "gauge", "Ingest requests being worked on now (bounded by --max-concurrent).")
        lines.append("sensor_ingest_ingests_in_progress \(state.ingestsInProgress)")
        family("sensor_ingest_normalized_envelopes_total", "counter", "Raw envelopes turned into normalised rows by this process.")
        lines.append("sensor_ingest_normalized_envelopes_total \(state.normalized)")
        family("sensor_ingest_drift_total", "counter",
               "Records or fields not understood (kept raw), by tool, kind and reason, seen by this process; GET /api/v1/drift has the whole store.")
        for key in state.drift.keys.sorted() {
            lines.append("sensor_ingest_drift_total{tool=\"\(Self.label(key.tool))\",kind=\"\(Self.label(key.kind))\",reason=\"\(Self.label(key.reason))\"} \(state.drift[key]!)")
        }
        family("sensor_ingest_device_mismatch_total", "counter", "Envelopes rejected for claiming another device than their token's.")
        lines.append("sensor_ingest_device_mismatch_total \(state.deviceMismatches)")
        return lines.joined(separator: "\n") + "\n"
    }
}
