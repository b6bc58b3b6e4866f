import Vapor

/// Turns every error into a page in the user's language (or JSON under `/api/`). A 500 says
/// nothing about its cause to the visitor; the cause goes to the log, never request data.
struct ErrorPagesMiddleware: AsyncMiddleware {
    struct Content: Encodable {
        let status: UInt
        let heading, message, home: String
    }

    func respond(to request: Request, chainingTo next: any AsyncResponder) async throws -> Response {
        do {
            return try await next.respond(to: request)
        } catch {
            let status: HTTPResponseStatus
            var key: String
            if let abort = error as? any AbortError {
                status = abort.status
                key = "error_\(status.code)"
                if abort.reason == "csrf" { key = "error_csrf" }
            } else {
                status = .internalServerError
                key = "error_500"
            }
            if status.code >= 500 {
                request.logger.error("request failed", metadata: ["path": .string(request.url.path), "error": .string(String(reflecting: error))])
            }
            if request.application.catalog.entries[key] == nil { key = status.code >= 500 ? "error_500" : "error_400" }
            if request.url.path.hasPrefix("/api/") {
                let body = ["error": String(status.code), "message": request.text(key)]
                let response = Response(status: status)
                try response.content.encode(body, as: .json)
                return response
            }
            do {
                return try await request.render("shared/error", title: key, Content(status: status.code, heading: request.text(key), message: request.text(key + "_detail"), home: SiteRoute.root.path), status: status)
            } catch {
                // The error page itself failed (templates missing?): plain text, still in Chinese.
                let response = Response(status: status, body: .init(string: "\(status.code) \(request.text(key))"))
                response.headers.contentType = .plainText
                return response
            }
        }
    }
}
