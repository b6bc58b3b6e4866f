import Vapor

/// Every form carries a token (`_csrf`) that only this site can make: an HMAC, under the server's
/// key, of a random per-browser cookie and the session token. A state-changing request without
/// the right token is refused with 403.
struct CSRFMiddleware: AsyncMiddleware {
    static let fieldName = "_csrf"
    static let headerName = "X-CSRF-Token"
    private static let unsafe: [HTTPMethod] = [.POST, .PUT, .PATCH, .DELETE]

    let keys: Keys

    func respond(to request: Request, chainingTo next: any AsyncResponder) async throws -> Response {
        // The API reads no cookie (bearer tokens only), so a forged cross-site request carries nothing.
        if request.isAPI { return try await next.respond(to: request) }
        let cookieName = request.application.cookieName("jifen_csrf")
        let existing = request.sentCookies[cookieName]?.string
        let browserToken: String
        if let existing, existing.utf8.count >= 22, existing.utf8.count <= 64 {
            browserToken = existing
        } else {
            browserToken = request.effects.token(bytes: 18)
        }
        request.storage[BrowserTokenKey.self] = browserToken

        if Self.unsafe.contains(request.method) {
            // The route's own limit (uploads) or the default; access was checked before, so
            // only someone allowed to use the route gets this far with a large body.
            _ = try await request.body.collect(max: request.route?.bodyLimit ?? request.application.routes.defaultMaxBodySize.value).get()
            let sent = request.headers.first(name: Self.headerName)
                ?? (try? request.content.get(String.self, at: Self.fieldName))
            let expected = Self.token(keys: keys, browser: existing ?? "", session: request.sessionToken)
            guard let sent, existing != nil, constantTimeEqual(sent, expected) else {
                request.logger.notice("request without a valid CSRF token refused", metadata: ["path": .string(request.url.path)])
                throw Abort(.forbidden, reason: "csrf")
            }
        }

        let response = try await next.respond(to: request)
        if existing != browserToken {
            response.cookies[cookieName] = SessionMiddleware.cookie(browserToken, request: request)
        }
        return response
    }

    static func token(keys: Keys, browser: String, session: String?) -> String {
        keys.mac("csrf", browser + "|" + (session ?? ""))
    }

    struct BrowserTokenKey: StorageKey { typealias Value = String }
}

extension Request {
    /// The token the forms of this response must carry.
    var csrfToken: String {
        let keys = application.keys
        return CSRFMiddleware.token(keys: keys, browser: storage[CSRFMiddleware.BrowserTokenKey.self] ?? "", session: sessionToken)
    }
}

extension Application {
    private struct KeysKey: StorageKey { typealias Value = Keys }
    var keys: Keys {
        get { storage[KeysKey.self]! }
        set { storage[KeysKey.self] = newValue }
    }
}
