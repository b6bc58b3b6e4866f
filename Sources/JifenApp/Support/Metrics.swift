import Prometheus
import Vapor

/// Request counts and durations in Prometheus text at `/metrics`. One registry per application
/// (not the process-global metrics system), so test applications do not share counters.
final class Metrics: Sendable {
    let registry = PrometheusCollectorRegistry()

    func observe(method: String, route: String, status: UInt, seconds: Double) {
        registry.makeCounter(
            name: "jifen_http_requests_total",
            labels: [("method", method), ("route", route), ("status", String(status))],
            help: "HTTP requests served"
        ).increment()
        registry.makeValueHistogram(
            name: "jifen_http_request_duration_seconds",
            labels: [("method", method), ("route", route)],
            buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
            help: "Time to answer an HTTP request"
        ).record(seconds)
    }
}

struct MetricsMiddleware: AsyncMiddleware {
    let metrics: Metrics

    func respond(to request: Request, chainingTo next: any AsyncResponder) async throws -> Response {
        let start = ContinuousClock.now
        // The route pattern, not the path, keeps the number of series bounded.
        let route = request.route.map { "/" + $0.path.map(\.description).joined(separator: "/") } ?? "unmatched"
        let method = request.method.rawValue
        do {
            let response = try await next.respond(to: request)
            metrics.observe(method: method, route: route, status: response.status.code, seconds: Self.seconds(since: start))
            return response
        } catch {
            let status = (error as? any AbortError)?.status.code ?? 500
            metrics.observe(method: method, route: route, status: status, seconds: Self.seconds(since: start))
            throw error
        }
    }

    static func seconds(since start: ContinuousClock.Instant) -> Double {
        let elapsed = ContinuousClock.now - start
        return Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
    }
}

extension Application {
    private struct MetricsKey: StorageKey { typealias Value = Metrics }
    var metrics: Metrics {
        if let existing = storage[MetricsKey.self] { return existing }
        let created = Metrics()
        storage[MetricsKey.self] = created
        return created
    }
}
