import Hummingbird
import Prometheus

/// Request counts and durations by route and status, exposed at `/metrics` in the Prometheus format.
struct RequestMetrics<Context: RequestContext>: RouterMiddleware {
    let registry: PrometheusCollectorRegistry

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
        let labels = [("route", route), ("method", method), ("status", String(status))]
        registry.makeCounter(descriptor: .init(namespace: "esms", metricName: "http_requests", unitName: "total", helpText: "Requêtes HTTP traitées"), labels: labels).increment()
        registry.makeDurationHistogram(
            descriptor: .init(namespace: "esms", metricName: "http_request_duration", unitName: "seconds", helpText: "Durée des requêtes HTTP"),
            labels: [("route", route), ("method", method)],
            buckets: [.milliseconds(1), .milliseconds(5), .milliseconds(10), .milliseconds(50), .milliseconds(100), .milliseconds(500), .seconds(1)]
        ).record(ContinuousClock.now - start)
    }
}
