import Hummingbird
import Prometheus
import Synchronization

/// Request counts and durations by route and status, exposed at `/metrics` in the Prometheus format.
struct RequestMetrics<Context: RequestContext>: RouterMiddleware {
    let registry: PrometheusCollectorRegistry
    /// By method, route and status; routes are the router's patterns, so the cache stays small.
    let cache = SeriesCache()

    init(registry: PrometheusCollectorRegistry) { self.registry = registry }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let start = ContinuousClock.now
        let route = context.endpointPath ?? "inconnue"
        do {
            let response = try await next(request, context)
            record(route: route, method: request.method.rawValue, status: response.status.code, since: start)
            return response
        } catch {
            let status = (error as? any HTTPResponseError)?.status.code ?? 500
            record(route: route, method: request.method.rawValue, status: status, since: start)
            throw error
        }
    }

    func record(route: String, method: String, status: Int, since start: ContinuousClock.Instant) {
        let (counter, histogram) = series(route: route, method: method, status: status)
        counter.increment()
        histogram.record(ContinuousClock.now - start)
    }

    /// The counter and histogram of a route, made once: the registry's lookup by labels costs more
    /// than a request.
    func series(route: String, method: String, status: Int) -> (Counter, DurationHistogram) {
        let key = "\(method) \(route) \(status)"
        if let known = cache.series.withLock({ $0[key] }) { return known }
        let labels = [("route", route), ("method", method), ("status", String(status))]
        let made = (
            registry.makeCounter(descriptor: .init(namespace: "esms", metricName: "http_requests", unitName: "total", helpText: "Requêtes HTTP traitées"), labels: labels),
            registry.makeDurationHistogram(
                descriptor: .init(namespace: "esms", metricName: "http_request_duration", unitName: "seconds", helpText: "Durée des requêtes HTTP"),
                labels: [("route", route), ("method", method)],
                buckets: [.milliseconds(1), .milliseconds(5), .milliseconds(10), .milliseconds(50), .milliseconds(100), .milliseconds(500), .seconds(1)]
            )
        )
        cache.series.withLock { $0[key] = made }
        return made
    }
}

final class SeriesCache: Sendable {
    let series = Mutex<[String: (Counter, DurationHistogram)]>([:])
}
