import Access
import Explorer
import IngestStore
import Normalization
import Hummingbird

/// Counts every request by route and status and times it, for `GET /metrics`.
struct RequestMetricsMiddleware<Context: RequestContext>: RouterMiddleware {
    let metrics: IngestMetrics

    func handle(_ request: Request, context: Context,
                next: (Request, Context) async throws -> Response) async throws -> Response {
        let started = ContinuousClock.now
        let route = Self.route(of: request.uri.path)
        do {
            let response = try await next(request, context)
            metrics.request(route: route, status: Int(response.status.code), seconds: Self.seconds(since: started))
            return response
        } catch {
            let status = (error as? any HTTPResponseError)?.status ?? .internalServerError
            metrics.request(route: route, status: Int(status.code), seconds: Self.seconds(since: started))
            throw error
        }
    }

    /// A fixed label per endpoint, so that arbitrary paths cannot grow the label set.
    static func route(of path: String) -> String {
        switch path {
        case IngestServer.Paths.ingest: return "ingest"
        case IngestServer.Paths.sensorConfig: return "sensor-config"
        case IngestServer.Paths.health: return "healthz"
        case IngestServer.Paths.metrics: return "metrics"
        default: return "other"
        }
    }

    static func seconds(since start: ContinuousClock.Instant) -> Double {
        let elapsed = ContinuousClock.now - start
        return Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
    }
}
