import Foundation

/// Counters for `GET /metrics` (Prometheus text format).
public final class IngestMetrics: @unchecked Sendable {
    private let lock = NSLock()
    private var requests: [String: Int] = [:]
    private var accepted = 0
    private var duplicates = 0
    private var rejected = 0
    private var bytesReceived: Int64 = 0
    private var latencyBuckets = [Int](repeating: 0, count: IngestMetrics.bounds.count + 1)
    private var latencySum = 0.0
    private var latencyCount = 0

    static let bounds: [Double] = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]

    public init() {}

    func request(route: String, status: Int, bytes: Int, seconds: Double) {
        lock.withLock {
            requests["route=\"\(route)\",status=\"\(status)\"", default: 0] += 1
            bytesReceived += Int64(bytes)
            let bucket = Self.bounds.firstIndex { seconds <= $0 } ?? Self.bounds.count
            latencyBuckets[bucket] += 1
            latencySum += seconds
            latencyCount += 1
        }
    }

    func envelopes(accepted: Int, duplicates: Int, rejected: Int) {
        lock.withLock {
            self.accepted += accepted
            self.duplicates += duplicates
            self.rejected += rejected
        }
    }

    public func render() -> String {
        lock.withLock {
            var lines = ["# HELP ingest_requests_total Requests by route and status.", "# TYPE ingest_requests_total counter"]
            for key in requests.keys.sorted() { lines.append("ingest_requests_total{\(key)} \(requests[key]!)") }
            lines += ["# HELP ingest_envelopes_total Envelopes received, by outcome.", "# TYPE ingest_envelopes_total counter",
                      "ingest_envelopes_total{outcome=\"accepted\"} \(accepted)",
                      "ingest_envelopes_total{outcome=\"duplicate\"} \(duplicates)",
                      "ingest_envelopes_total{outcome=\"rejected\"} \(rejected)",
                      "# HELP ingest_received_bytes_total Request body bytes received.", "# TYPE ingest_received_bytes_total counter",
                      "ingest_received_bytes_total \(bytesReceived)",
                      "# HELP ingest_request_duration_seconds Request latency.", "# TYPE ingest_request_duration_seconds histogram"]
            var cumulative = 0
            for (index, bound) in Self.bounds.enumerated() {
                cumulative += latencyBuckets[index]
                lines.append("ingest_request_duration_seconds_bucket{le=\"\(bound)\"} \(cumulative)")
            }
            cumulative += latencyBuckets[Self.bounds.count]
            lines.append("ingest_request_duration_seconds_bucket{le=\"+Inf\"} \(cumulative)")
            lines.append("ingest_request_duration_seconds_sum \(latencySum)")
            lines.append("ingest_request_duration_seconds_count \(latencyCount)")
            return lines.joined(separator: "\n") + "\n"
        }
    }
}

/// Bounds the ingest work running at once; past it, requests are told to come back later.
final class AdmissionGate: @unchecked Sendable {
    private let lock = NSLock()
    private var running = 0
    let limit: Int

    init(limit: Int) {
        self.limit = limit
    }

    func enter() -> Bool {
        lock.withLock {
            guard running < limit else { return false }
            running += 1
            return true
        }
    }

    func leave() {
        lock.withLock { running -= 1 }
    }
}
