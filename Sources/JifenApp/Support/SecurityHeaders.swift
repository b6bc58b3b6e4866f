import Vapor

/// Headers that keep pages from being framed, sniffed or fed scripts from elsewhere. Jifen
/// loads nothing from outside its own origin, so the policy can be strict. It is the outermost
/// middleware, so error pages (404, 500) carry the headers too.
struct SecurityHeadersMiddleware: AsyncMiddleware {
    func respond(to request: Request, chainingTo next: any AsyncResponder) async throws -> Response {
        let response = try await next.respond(to: request)
        response.headers.replaceOrAdd(name: "Content-Security-Policy", value: "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
        response.headers.replaceOrAdd(name: "X-Content-Type-Options", value: "nosniff")
        response.headers.replaceOrAdd(name: "X-Frame-Options", value: "DENY")
        response.headers.replaceOrAdd(name: "Referrer-Policy", value: "same-origin")
        response.headers.replaceOrAdd(name: "Permissions-Policy", value: "camera=(), geolocation=(), microphone=()")
        if request.application.jifenConfig.secureCookies {
            // Served over HTTPS: browsers keep to HTTPS for a year.
            response.headers.replaceOrAdd(name: "Strict-Transport-Security", value: "max-age=31536000; includeSubDomains")
        }
        if response.headers.contentType == .html {
            response.headers.replaceOrAdd(name: .cacheControl, value: "no-store")
        }
        return response
    }
}
