import Fluent
import JifenCore
import Vapor

/// Who may use a route. Every route declares one when it is registered; a route without one is
/// refused by `AccessMiddleware` (deny by default), and a test walks the route table to prove
/// none is missing.
public enum Access: Sendable, Hashable, CustomStringConvertible {
    /// Anyone, signed in or not (login page, public lists, health checks).
    case anyone
    /// Only visitors who are not signed in (registration).
    case signedOut
    /// Any signed-in account.
    case signedIn
    /// Signed-in accounts with one of these roles.
    case roles(Set<Role>)
    /// An API request with a bearer token of this kind (`/api/v1` only).
    case bearer(ApiGrant)

    public static let staff: Access = .roles(Set(Role.staff))

    public var description: String {
        switch self {
        case .anyone: "anyone"
        case .signedOut: "signedOut"
        case .signedIn: "signedIn"
        case .roles(let roles): "roles(" + roles.map(\.rawValue).sorted().joined(separator: ",") + ")"
        case .bearer(.citizen): "bearer(citizen)"
        case .bearer(.department(let scope)): "bearer(department:" + scope.rawValue + ")"
        }
    }

    static let userInfoKey = "jifen.access"
    static let bodyLimitKey = "jifen.bodyLimit"
}

extension Route {
    public var access: Access? { userInfo[.init(Access.userInfoKey)] as? Access }
    /// The most a request body may hold on this route, in bytes (uploads raise it).
    var bodyLimit: Int? { userInfo[.init(Access.bodyLimitKey)] as? Int }
}

extension RoutesBuilder {
    /// Registers a route with its access rule. All of Jifen's routes go through here.
    @discardableResult
    func on<Response: AsyncResponseEncodable>(
        _ method: HTTPMethod, _ site: SiteRoute, access: Access,
        body: HTTPBodyStreamStrategy = .collect,
        use handler: @Sendable @escaping (Request) async throws -> Response
    ) -> Route {
        let route = self.on(method, site.components, body: body, use: handler)
        route.userInfo[.init(Access.userInfoKey)] = access
        if case .collect(let maxSize) = body, let maxSize { route.userInfo[.init(Access.bodyLimitKey)] = maxSize.value }
        return route
    }

    @discardableResult
    func get<Response: AsyncResponseEncodable>(_ site: SiteRoute, access: Access, use handler: @Sendable @escaping (Request) async throws -> Response) -> Route {
        on(.GET, site, access: access, use: handler)
    }

    @discardableResult
    func post<Response: AsyncResponseEncodable>(_ site: SiteRoute, access: Access, use handler: @Sendable @escaping (Request) async throws -> Response) -> Route {
        on(.POST, site, access: access, use: handler)
    }
}

/// Enforces each route's `Access`. Runs after the session is loaded.
struct AccessMiddleware: AsyncMiddleware {
    func respond(to request: Request, chainingTo next: any AsyncResponder) async throws -> Response {
        guard let route = request.route else { return try await next.respond(to: request) }  // 404 follows
        guard let access = route.access else {
            request.logger.error("route without an access rule refused", metadata: ["path": .string(route.description)])
            throw Abort(.forbidden)
        }
        if case .bearer(let grant) = access { try ApiGrant.check(grant, request); return try await next.respond(to: request) }
        if request.isAPI, access != .anyone {
            request.logger.error("API route without a bearer rule refused", metadata: ["path": .string(route.description)])
            throw Abort(.forbidden)
        }
        let user = request.currentUser
        // An administrator asked for a new password: nothing else opens until it is changed.
        if let user, user.mustChangePassword,
           ![SiteRoute.password.path, SiteRoute.logout.path].contains(request.url.path), access != .anyone {
            return request.redirect(to: SiteRoute.password.path)
        }
        switch access {
        case .anyone:
            break
        case .signedOut:
            if user != nil { return request.redirect(to: SiteRoute.home.path) }
        case .signedIn:
            if user == nil { return signIn(request) }
        case .roles(let roles):
            guard let user else { return signIn(request) }
            guard roles.contains(user.role) else { throw Abort(.forbidden) }
        case .bearer:
            break  // checked above
        }
        return try await next.respond(to: request)
    }

    private func signIn(_ request: Request) -> Response {
        let next = request.method == .GET ? request.url.string : SiteRoute.home.path
        return request.redirect(to: SiteRoute.login.path + "?next=" + (next.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? ""))
    }
}

/// What kind of bearer token an API route takes.
public enum ApiGrant: Sendable, Hashable {
    /// A citizen's session token (from `POST /api/v1/citizen/session`).
    case citizen
    /// A department system's token carrying this scope.
    case department(ApiScope)

    /// Refuses a request without the right token: 401 without one, 403 with another kind or
    /// without the scope.
    static func check(_ grant: ApiGrant, _ request: Request) throws {
        let catalog = request.application.catalog
        guard let client = request.apiClient else {
            throw ApiProblem.status(.unauthorized, catalog, code: "tokenRequired", detail: "api_token_required")
        }
        switch (grant, client) {
        case (.citizen, .citizen): return
        case (.department(let scope), .department(let token)) where token.scopes.contains(scope): return
        default:
            throw ApiProblem.status(.forbidden, catalog, code: "tokenNotAllowed", detail: "api_token_not_allowed")
        }
    }
}

/// Scope checks for records that belong to a jurisdiction. A record outside the user's
/// jurisdiction answers 404, not 403, so its existence is not revealed.
extension Request {
    func requireScope(_ code: JurisdictionCode) throws {
        guard let user = currentUser, let scope = user.scope, scope.contains(code) else {
            throw Abort(.notFound)
        }
    }

    /// The record the route's `id` names, with its jurisdiction loaded, if it lies in the user's
    /// jurisdiction; 404 otherwise.
    func recordInScope<M: Model>(_ type: M.Type, _ jurisdiction: KeyPath<M, ParentProperty<M, Jurisdiction>>) async throws -> M
    where M.IDValue == UUID {
        guard let id = parameters.get("id", as: UUID.self),
              let record = try await M.query(on: db).filter(\._$id == id).with(jurisdiction).first(),
              let code = record[keyPath: jurisdiction].wrappedValue.jurisdictionCode
        else { throw Abort(.notFound) }
        try requireScope(code)
        return record
    }
}
