import Fluent
import SQLKit
import Vapor

/// Liveness, readiness (the database answers) and Prometheus metrics.
enum HealthController {
    static func register(_ routes: any RoutesBuilder) {
        routes.get(.healthz, access: .anyone) { _ in "ok" }
        routes.get(.readyz, access: .anyone, use: ready)
        routes.get(.metrics, access: .anyone, use: metrics)
    }

    static func ready(_ req: Request) async throws -> Response {
        do {
            _ = try await (req.db as! any SQLDatabase).raw("SELECT 1 AS ok").first()
            return Response(status: .ok, body: "ready")
        } catch {
            req.logger.warning("readiness check: database unreachable")
            return Response(status: .serviceUnavailable, body: "database unreachable")
        }
    }

    /// Only for this machine's scraper (not through a proxy), or with `JIFEN_METRICS_TOKEN` as a
    /// bearer token; anyone else gets a 404, as if there were nothing here.
    static func metrics(_ req: Request) async throws -> Response {
        let token = req.application.jifenConfig.metricsToken
        let presented = req.headers.bearerAuthorization?.token
        let allowed = req.isDirectFromLoopback || (token != nil && presented != nil && constantTimeEqual(presented!, token!))
        guard allowed else { throw Abort(.notFound) }
        let response = Response(status: .ok, body: .init(string: req.application.metrics.registry.emitToString()))
        response.headers.replaceOrAdd(name: .contentType, value: "text/plain; version=0.0.4; charset=utf-8")
        return response
    }
}
