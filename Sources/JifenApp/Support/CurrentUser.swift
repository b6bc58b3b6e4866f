import Fluent
import JifenCore
import Vapor

/// The signed-in person, as the rest of the request sees them.
struct CurrentUser: Sendable {
    let id: UUID
    let login, displayName: String
    let role: Role
    /// The jurisdiction a staff account sees (itself and everything under it); nil for citizens.
    let scope: JurisdictionCode?
    let jurisdictionName: String?
    let departmentID: UUID?
    let departmentName, departmentCode: String?
    let sessionID: UUID
    /// An administrator asked for a new password: only the password page opens.
    var mustChangePassword = false
    /// The account's care mode (关怀模式), used where the browser has not chosen.
    var careMode = false
    /// The id of a citizen's resident record as the request began (nil: he had not declared his
    /// identity), for pages that need only the id. A handler that creates the record in the same
    /// request reads it afresh; read with a web session only (nil on the API, which reads the
    /// record itself).
    var residentID: UUID? = nil
}

extension Request {
    private struct CurrentUserKey: StorageKey { typealias Value = CurrentUser }
    private struct SessionTokenKey: StorageKey { typealias Value = String }

    var currentUser: CurrentUser? {
        get { storage[CurrentUserKey.self] }
        set { storage[CurrentUserKey.self] = newValue }
    }

    /// The raw session token of this request, if signed in (for binding the CSRF token).
    var sessionToken: String? {
        get { storage[SessionTokenKey.self] }
        set { storage[SessionTokenKey.self] = newValue }
    }

    func requireUser() throws -> CurrentUser {
        guard let user = currentUser else { throw Abort(.unauthorized) }
        return user
    }
}

/// Database-backed sessions: reads the session cookie, loads the account, ends idle or expired
/// sessions. Only the SHA-256 of the token is stored.
struct SessionMiddleware: AsyncMiddleware {
    static func cookieName(_ request: Request) -> String { request.application.cookieName("jifen_session") }
    static let absoluteLifetime: TimeInterval = 12 * 3600

    func respond(to request: Request, chainingTo next: any AsyncResponder) async throws -> Response {
        // The API takes bearer tokens only: a cookie opens nothing there.
        if request.isAPI { return try await next.respond(to: request) }
        var clearCookie = false
        let cookieName = Self.cookieName(request)
        if let token = request.sentCookies[cookieName]?.string, !token.isEmpty, token.utf8.count <= 128 {
            if let user = try await Self.load(token: token, on: request) {
                request.currentUser = user
                request.sessionToken = token
            } else {
                clearCookie = true
            }
        }
        let response = try await next.respond(to: request)
        if clearCookie, response.cookies[cookieName] == nil {
            response.cookies[cookieName] = Self.expired(request)
        }
        return response
    }

    /// The session and its account in one plain query of the columns needed (every signed-in
    /// request asks this), with the id of a citizen's resident record; the account's place and
    /// department, for staff, by id.
    private static func load(token: String, on request: Request) async throws -> CurrentUser? {
        let now = request.now
        let db = request.db
        guard let row = try await PlainRow.all("""
            SELECT s.id, s.last_seen_at, s.expires_at, u.id AS user_id, u.login, u.display_name, u.role, u.status, u.jurisdiction_id, u.department_id,
                   u.must_change_password, u.care_mode, (SELECT r.id FROM residents r WHERE r.user_id = u.id LIMIT 1) AS resident_id
            FROM user_sessions s JOIN users u ON u.id = s.user_id WHERE s.token_hash = \(bind: sha256Hex(token)) AND s.channel = 'web' LIMIT 1
            """, on: db).first,
              let role = Role(rawValue: try row.string("role"))
        else { return nil }
        let sessionID = try row.uuid("id"), lastSeen = try row.date("last_seen_at")
        let config = request.application.jifenConfig
        let idle = TimeInterval((role.isStaff ? config.staffIdleMinutes : config.sessionIdleMinutes) * 60)
        guard try row.date("expires_at") > now, lastSeen.addingTimeInterval(idle) > now, try row.string("status") == User.Status.active.rawValue else {
            try await UserSession.query(on: db).filter(\.$id == sessionID).delete()
            return nil
        }
        if now.timeIntervalSince(lastSeen) > 60 {
            try await UserSession.query(on: db).filter(\.$id == sessionID).set(\.$lastSeenAt, to: now).update()
        }
        let jurisdiction: Jurisdiction? = if let id = try row.optionalUUID("jurisdiction_id") { try await Jurisdiction.find(id, on: db) } else { nil }
        let department: Department? = if let id = try row.optionalUUID("department_id") { try await Department.find(id, on: db) } else { nil }
        return CurrentUser(
            id: try row.uuid("user_id"), login: try row.string("login"), displayName: try row.string("display_name"), role: role,
            scope: role.isStaff ? jurisdiction?.jurisdictionCode : nil,
            jurisdictionName: jurisdiction?.name, departmentID: department?.id, departmentName: department?.name, departmentCode: department?.code,
            sessionID: sessionID,
            mustChangePassword: try row.bool("must_change_password"),
            careMode: try row.bool("care_mode"),
            residentID: try row.optionalUUID("resident_id")
        )
    }

    /// Starts a new session for `user` (a fresh token every sign-in, so a token planted before
    /// sign-in is worthless) and sets its cookie on `response`.
    static func start(for user: User, on request: Request, response: Response) async throws {
        let token = request.effects.token()
        let now = request.now
        let session = UserSession(tokenHash: sha256Hex(token), userID: try user.requireID(), address: request.clientAddress,
                                  now: now, expiresAt: now.addingTimeInterval(absoluteLifetime))
        try await session.create(on: request.db)
        if let old = request.sessionToken {
            try await UserSession.query(on: request.db).filter(\.$tokenHash == sha256Hex(old)).delete()
        }
        response.cookies[cookieName(request)] = cookie(token, request: request)
    }

    static func end(on request: Request, response: Response) async throws {
        if let token = request.sessionToken {
            try await UserSession.query(on: request.db).filter(\.$tokenHash == sha256Hex(token)).delete()
        }
        response.cookies[cookieName(request)] = expired(request)
    }

    /// A cookie that deletes itself, with the attributes a `__Host-` cookie must carry.
    static func expired(_ request: Request) -> HTTPCookies.Value {
        HTTPCookies.Value(string: "", expires: Date(timeIntervalSince1970: 0), maxAge: 0, domain: nil, path: "/",
                          isSecure: request.application.jifenConfig.secureCookies, isHTTPOnly: true, sameSite: .lax)
    }

    static func cookie(_ value: String, request: Request) -> HTTPCookies.Value {
        HTTPCookies.Value(string: value, expires: nil, maxAge: nil, domain: nil, path: "/",
                          isSecure: request.application.jifenConfig.secureCookies, isHTTPOnly: true, sameSite: .lax)
    }
}
