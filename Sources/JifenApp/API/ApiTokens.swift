import Fluent
import JifenCore
import Vapor

/// A token the centre issued to a department's system. Only its SHA-256 is kept; the token is
/// shown once, when it is made.
final class ApiToken: Model, @unchecked Sendable {
    static let schema = "api_tokens"

    // managed fields
    @ID(key: .id) var id: UUID?
    @Field(key: "created_at") var createdAt: Date

    // data fields
    @Field(key: "name") var name: String
    /// The department's code: the token sees that department's feeds and review queue only.
    @Field(key: "department") var department: String
    /// `ApiScope` values.
    @Field(key: "scopes") var scopes: [String]
    @Field(key: "token_hash") var tokenHash: String
    /// The first characters of the token, to tell tokens apart in lists.
    @Field(key: "token_prefix") var tokenPrefix: String
    @Field(key: "expires_at") var expiresAt: Date
    @OptionalField(key: "revoked_at") var revokedAt: Date?
    @OptionalField(key: "revoked_by") var revokedBy: String?
    @OptionalField(key: "last_used_at") var lastUsedAt: Date?
    @Field(key: "created_by") var createdBy: String

    // Listed rather than found by reflection on every row read (ModelPropertiesTests checks the list).
    var properties: [any AnyProperty] { [$id, $createdAt, $name, $department, $scopes, $tokenHash, $tokenPrefix, $expiresAt, $revokedAt, $revokedBy, $lastUsedAt, $createdBy] }

    init() {}

    var scopeSet: Set<ApiScope> { Set(scopes.compactMap(ApiScope.init(rawValue:))) }

    var grant: ApiTokenGrant? {
        guard let id else { return nil }
        return ApiTokenGrant(id: id, name: name, department: department, scopes: scopeSet)
    }

    func isUsable(at now: Date) -> Bool { revokedAt == nil && expiresAt > now }

    /// A department system's token starts `jfd_`, a citizen's session token `jfs_`.
    static let prefix = "jfd_"

    /// Issues a token (its issue audited) and returns it: the only time it is seen.
    static func issue(name: String, department: String, scopes: [ApiScope], days: Int, by actor: Actor, effects: Effects, at now: Date,
                      on db: any Database) async throws -> String {
        let token = prefix + effects.token()
        let stored = ApiToken()
        stored.createdAt = now
        stored.name = name
        stored.department = department
        stored.scopes = scopes.map(\.rawValue)
        stored.tokenHash = sha256Hex(token)
        stored.tokenPrefix = String(token.prefix(10))
        stored.expiresAt = now.addingTimeInterval(TimeInterval(days) * 86_400)
        stored.createdBy = actor.login
        try await db.transaction { db in
            try await stored.create(on: db)
            try await Audit.record("issue", entity: "apiToken", id: name,
                                   after: ["department": department, "scopes": stored.scopes.joined(separator: " "), "expires": ShanghaiTime.dateTime(stored.expiresAt), "prefix": stored.tokenPrefix],
                                   by: actor, at: now, on: db)
        }
        return token
    }
}

/// The first answer given to an `Idempotency-Key` of a token: a replay of the key gets it again.
final class ApiIdempotency: Model, @unchecked Sendable {
    static let schema = "api_idempotency"

    @ID(key: .id) var id: UUID?
    @Field(key: "created_at") var createdAt: Date
    @Field(key: "token_id") var tokenID: UUID
    @Field(key: "idempotency_key") var key: String
    /// The SHA-256 of the first request's body: the same key with another body is refused.
    @Field(key: "request_hash") var requestHash: String
    @Field(key: "status") var status: Int
    @Field(key: "body") var body: String

    // Listed rather than found by reflection on every row read (ModelPropertiesTests checks the list).
    var properties: [any AnyProperty] { [$id, $createdAt, $tokenID, $key, $requestHash, $status, $body] }

    init() {}
}

/// Resolves `Authorization: Bearer …` on API requests and audits each use of a department token.
enum ApiAuthentication {
    static let sessionPrefix = "jfs_"

    static func authenticate(_ request: Request) async throws {
        guard let header = request.headers[.authorization].first else { return }
        let catalog = request.application.catalog
        let refused = ApiProblem.status(.unauthorized, catalog, code: "invalidToken", detail: "api_token_invalid")
        let parts = header.split(separator: " ", maxSplits: 1)
        guard parts.count == 2, parts[0].lowercased() == "bearer" else { throw refused }
        let token = String(parts[1]).trimmingCharacters(in: .whitespaces)
        guard token.utf8.count <= 128 else { throw refused }
        let now = request.now
        if token.hasPrefix(ApiToken.prefix) {
            guard let stored = try await ApiToken.query(on: request.db).filter(\.$tokenHash == sha256Hex(token)).first(),
                  stored.isUsable(at: now), let grant = stored.grant else { throw refused }
            request.apiClient = .department(grant)
            if stored.lastUsedAt.map({ now.timeIntervalSince($0) > 60 }) ?? true {
                stored.lastUsedAt = now
                try await stored.save(on: request.db)
            }
        } else if token.hasPrefix(sessionPrefix) {
            guard let user = try await citizenSession(token, on: request) else { throw refused }
            if user.mustChangePassword {
                throw ApiProblem.status(.forbidden, catalog, code: "passwordChangeRequired", detail: "api_password_change")
            }
            request.currentUser = user
            request.apiClient = .citizen(user)
        } else {
            throw refused
        }
    }

    /// The citizen whose API session `token` is, if it is still alive (the web's rules: idle and
    /// absolute limits, an active account).
    static func citizenSession(_ token: String, on request: Request) async throws -> CurrentUser? {
        let now = request.now
        guard let session = try await UserSession.query(on: request.db).filter(\.$tokenHash == sha256Hex(token)).filter(\.$channel == "api")
            .with(\.$user).first() else { return nil }
        let user = session.user
        let idle = TimeInterval(request.application.jifenConfig.sessionIdleMinutes * 60)
        guard session.expiresAt > now, session.lastSeenAt.addingTimeInterval(idle) > now, user.status == .active, user.role == .citizen else {
            try await session.delete(on: request.db)
            return nil
        }
        if now.timeIntervalSince(session.lastSeenAt) > 60 {
            session.lastSeenAt = now
            try await session.save(on: request.db)
        }
        return CurrentUser(id: try user.requireID(), login: user.login, displayName: user.displayName, role: user.role, scope: nil,
                           jurisdictionName: nil, departmentID: nil, departmentName: nil, departmentCode: nil,
                           sessionID: try session.requireID(), mustChangePassword: user.mustChangePassword)
    }

    /// Every request a department token makes is in the audit log: what it asked and the answer.
    static func recordUse(_ request: Request, status: HTTPStatus) async throws {
        guard case .department(let grant) = request.apiClient else { return }
        try await Audit.record("apiUse", entity: "apiToken", id: grant.name,
                               after: ["method": request.method.rawValue, "path": request.url.path, "status": String(status.code)],
                               by: request.actor, at: request.now, on: request.db)
    }
}

/// `/admin/api-tokens`: the centre issues, lists and revokes department systems' tokens.
enum ApiTokensController {
    static let access: Access = .roles([.centerAdmin])

    static func register(_ routes: any RoutesBuilder) {
        routes.get(.apiTokens, access: access, use: page)
        routes.post(.apiTokens, access: access, use: create)
        routes.post(.apiTokenRevoke(":id"), access: access, use: revoke)
    }

    struct Row: Encodable {
        let name, department, scopes, prefix, expires, lastUsed, state: String
        let usable: Bool
        let revokeAction: String
    }

    struct Content: Encodable {
        let rows: [Row]
        let fields: [FormField]
        let action: String
        let issued: String?
        let notice: String?
        let apiReference: String
    }

    static let fields = ["name", "department", "scopeFeeds", "scopeReviews", "days"]

    static func render(_ req: Request, form: FormState, issued: String? = nil, status: HTTPStatus = .ok) async throws -> Response {
        let departments = try await Department.query(on: req.db).sort(\.$code).all()
        let names = Dictionary(departments.map { ($0.code, $0.name) }, uniquingKeysWith: { a, _ in a })
        let tokens = try await ApiToken.query(on: req.db).sort(\.$createdAt, .descending).all()
        let now = req.now
        let rows = tokens.map { t in
            Row(name: t.name, department: names[t.department] ?? t.department,
                scopes: t.scopeSet.sorted { $0.rawValue < $1.rawValue }.map { req.text("api_scope_" + $0.rawValue) }.joined(separator: "、"),
                prefix: t.tokenPrefix + "…", expires: ShanghaiTime.dateTime(t.expiresAt), lastUsed: t.lastUsedAt.map(ShanghaiTime.dateTime) ?? "—",
                state: t.revokedAt != nil ? req.text("api_token_revoked") : (t.expiresAt <= now ? req.text("api_token_expired") : req.text("api_token_active")),
                usable: t.isUsable(at: now), revokeAction: SiteRoute.apiTokenRevoke(t.id?.uuidString ?? "").path)
        }
        let fields = [
            form.field("name", req.text("field_api_token_name"), hint: req.text("api_token_name_hint"), maxLength: 60),
            form.field("department", req.text("field_department"), .select, options: [("", "—")] + departments.map { ($0.code, $0.name) }),
            form.field("scopeFeeds", req.text("api_scope_feeds"), .checkbox),
            form.field("scopeReviews", req.text("api_scope_reviews"), .checkbox),
            form.field("days", req.text("field_api_token_days"), .number, hint: req.text("api_token_days_hint"), maxLength: 3),
        ]
        let notice = req.query[String.self, at: "revoked"] != nil ? req.text("api_token_revoked_notice") : nil
        return try await req.render("admin/admin-api-tokens", title: "api_tokens_title",
                                    Content(rows: rows, fields: fields, action: SiteRoute.apiTokens.path, issued: issued, notice: notice,
                                            apiReference: ApiRoute.reference.path), status: status)
    }

    static func page(_ req: Request) async throws -> Response {
        try await render(req, form: FormState(fields: fields, values: ["days": "365", "scopeFeeds": "on", "scopeReviews": "on"]))
    }

    static func create(_ req: Request) async throws -> Response {
        let input = (try? req.content.decode([String: String].self)) ?? [:]
        var form = FormState(fields: fields, values: input.mapValues { $0.trimmingCharacters(in: .whitespacesAndNewlines) })
        form.requireText("name", label: "field_api_token_name", max: 60, on: req)
        let name = form.values["name"] ?? ""
        if !name.isEmpty, try await ApiToken.query(on: req.db).filter(\.$name == name).count() > 0 {
            form.fail("name", req.text("api_token_name_taken"))
        }
        let department = form.values["department"] ?? ""
        if try await Department.query(on: req.db).filter(\.$code == department).first() == nil {
            form.fail("department", req.text("problem_choose", ["field": req.text("field_department")]))
        }
        var scopes: [ApiScope] = []
        if input["scopeFeeds"] != nil { scopes.append(.feeds) }
        if input["scopeReviews"] != nil { scopes.append(.reviews) }
        if scopes.isEmpty { form.fail("scopeFeeds", req.text("api_token_scope_needed")) }
        let days = Int(form.values["days"] ?? "") ?? 0
        if !(1...730).contains(days) { form.fail("days", req.text("api_token_days_range")) }
        guard form.isValid else { return try await render(req, form: form, status: .badRequest) }

        let token = try await ApiToken.issue(name: name, department: department, scopes: scopes, days: days, by: req.actor,
                                             effects: req.effects, at: req.now, on: req.db)
        return try await render(req, form: FormState(fields: fields, values: ["days": "365", "scopeFeeds": "on", "scopeReviews": "on"]), issued: token)
    }

    static func revoke(_ req: Request) async throws -> Response {
        guard let id = req.parameters.get("id", as: UUID.self), let token = try await ApiToken.find(id, on: req.db) else { throw Abort(.notFound) }
        if token.revokedAt == nil {
            let actor = req.actor, now = req.now
            try await req.db.transaction { db in
                token.revokedAt = now
                token.revokedBy = actor.login
                try await token.save(on: db)
                try await Audit.record("revoke", entity: "apiToken", id: token.name, by: actor, at: now, on: db)
            }
        }
        return req.redirect(to: SiteRoute.apiTokens.path + "?revoked=1")
    }
}
