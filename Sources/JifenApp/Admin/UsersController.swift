import Fluent
import JifenCore
import Vapor

/// Center admins list accounts and create staff accounts with a role and a jurisdiction.
enum UsersController {
    static let access: Access = .roles([.centerAdmin])

    static func register(_ routes: any RoutesBuilder) {
        routes.get(.adminUsers, access: access, use: list)
        routes.get(.adminUserNew, access: access, use: newPage)
        routes.post(.adminUsers, access: access, use: create)
        routes.post(.adminUserStatus(":id"), access: access, use: changeStatus)
    }

    // MARK: list

    enum Sort: String, CaseIterable { case login, displayName, role, createdAt }

    struct Row: Encodable {
        let login, displayName, roleName, place, statusName, createdAt: String
        /// What an administrator may do to the account (none to his own): the form's target and choices.
        let action: String?
        let actions: [SelectOption]
    }

    /// What an administrator does to an account from the list.
    enum Action: String, CaseIterable, Codable {
        /// Signs the account out everywhere and refuses its sign-in.
        case disable, enable
        /// The next sign-in leads to the password page until a new one is set.
        case forcePasswordReset
        /// Clears the second factor: the person sets it up again (a lost phone).
        case resetSecondFactor
    }

    static func actions(for user: User, by me: CurrentUser) -> [Action] {
        guard user.id != me.id else { return [] }
        var actions: [Action] = [user.status == .disabled ? .enable : .disable]
        if user.status != .disabled { actions.append(.forcePasswordReset) }
        if user.totpConfirmedAt != nil || user.totpSealed != nil { actions.append(.resetSecondFactor) }
        return actions
    }

    struct SortLink: Encodable { let label: String; let href: String; let active: Bool }

    struct ListContent: Encodable {
        let rows: [Row]
        let pager: Pager
        let roles: [SelectOption]
        let sorts: [SortLink]
        let newLink, query: String
    }

    struct ListQuery {
        var role: Role?
        var search: String
        var sort: Sort
        var page: Int?
    }

    /// The accounts under `scope` matching `query`: the query on its own, so a test can call it.
    static func fetch(_ query: ListQuery, scope: JurisdictionCode, on db: any Database) async throws -> (rows: [(User, Jurisdiction?)], paging: Paging) {
        func base() -> QueryBuilder<User> {
            let q = User.query(on: db).join(Jurisdiction.self, on: \User.$jurisdiction.$id == \Jurisdiction.$id, method: .left)
            // Citizens have no jurisdiction and are visible to city-level admins only.
            if scope.level == .city {
                q.group(.or) { $0.filter(\User.$jurisdiction.$id == nil).filter(Jurisdiction.self, \.$code == scope.rawValue).filter(Jurisdiction.self, \.$code, .custom("LIKE"), scope.rawValue + "-%") }
            } else {
                q.group(.or) { $0.filter(Jurisdiction.self, \.$code == scope.rawValue).filter(Jurisdiction.self, \.$code, .custom("LIKE"), scope.rawValue + "-%") }
            }
            if let role = query.role { q.filter(\User.$role == role) }
            if !query.search.isEmpty {
                let needle = "%" + query.search.replacingOccurrences(of: "%", with: "").replacingOccurrences(of: "_", with: "") + "%"
                q.group(.or) { $0.filter(\User.$login, .custom("LIKE"), needle).filter(\User.$displayName, .custom("LIKE"), needle) }
            }
            return q
        }
        let total = try await base().count()
        let paging = Paging(page: query.page, perPage: 20, total: total)
        let q = base()
        switch query.sort {
        case .login: q.sort(\User.$login)
        case .displayName: q.sort(\User.$displayName).sort(\User.$login)
        case .role: q.sort(\User.$role).sort(\User.$login)
        case .createdAt: q.sort(\User.$createdAt, .descending).sort(\User.$login)
        }
        let users = try await q.range(paging.offset..<(paging.offset + paging.perPage)).all()
        return (users.map { ($0, try? $0.joined(Jurisdiction.self)) }, paging)
    }

    static func list(_ req: Request) async throws -> Response {
        let me = try req.requireUser()
        guard let scope = me.scope else { throw Abort(.forbidden) }
        let role = req.query[String.self, at: "role"].flatMap(Role.init(rawValue:))
        let search = String((req.query[String.self, at: "q"] ?? "").trimmingCharacters(in: .whitespaces).prefix(40))
        let sort = req.query[String.self, at: "sort"].flatMap(Sort.init(rawValue:)) ?? .createdAt
        let query = ListQuery(role: role, search: search, sort: sort, page: req.query[Int.self, at: "page"])
        let (rows, paging) = try await fetch(query, scope: scope, on: req.db)

        func link(page: Int? = nil, sort newSort: Sort? = nil) -> String {
            var items: [String] = []
            if let role { items.append("role=" + role.rawValue) }
            if !search.isEmpty { items.append("q=" + (search.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "")) }
            items.append("sort=" + (newSort ?? sort).rawValue)
            if let page { items.append("page=\(page)") }
            return SiteRoute.adminUsers.path + "?" + items.joined(separator: "&")
        }

        let content = ListContent(
            rows: rows.map { user, place in
                Row(login: user.role == .citizen ? Mask.phone(user.login) : user.login,
                    displayName: user.displayName,
                    roleName: req.text("role_" + user.role.rawValue),
                    place: place?.name ?? "—",
                    statusName: req.text("status_" + user.status.rawValue) + (user.mustChangePassword ? req.text("users_must_change_suffix") : ""),
                    createdAt: ShanghaiTime.format(user.createdAt, "yyyy-MM-dd"),
                    action: actions(for: user, by: me).isEmpty ? nil : (user.id.map { SiteRoute.adminUserStatus($0.uuidString).path }),
                    actions: actions(for: user, by: me).map { SelectOption(value: $0.rawValue, label: req.text("users_action_" + $0.rawValue), selected: false) })
            },
            pager: Pager(paging) { link(page: $0) },
            roles: [SelectOption(value: "", label: req.text("users_all_roles"), selected: role == nil)]
                + Role.allCases.map { SelectOption(value: $0.rawValue, label: req.text("role_" + $0.rawValue), selected: $0 == role) },
            sorts: Sort.allCases.map { SortLink(label: req.text("users_sort_" + $0.rawValue), href: link(sort: $0), active: $0 == sort) },
            newLink: SiteRoute.adminUserNew.path,
            query: search
        )
        return try await req.render("admin/admin-users", title: "users_title", content)
    }

    // MARK: create

    static let fields = ["login", "displayName", "role", "jurisdiction", "department", "password"]

    struct NewContent: Encodable {
        let fields: [FormField]
        let action: String
        let created: String?
    }

    struct NewForm: Decodable {
        var login, displayName, role, jurisdiction, department, password: String?
    }

    static func newContent(_ req: Request, form: FormState, scope: JurisdictionCode, created: String? = nil) async throws -> NewContent {
        let places = try await Jurisdiction.within(scope, on: req.db).sort(\.$code).all()
        let departments = try await Department.query(on: req.db).sort(\.$code).all()
        let indent = ["city": "", "town": "　", "community": "　　", "grid": "　　　"]
        return NewContent(
            fields: [
                form.field("login", req.text("field_staffLogin"), autocomplete: "off", required: true),
                form.field("displayName", req.text("field_displayName"), maxLength: 30, required: true),
                form.field("role", req.text("field_role"), .select, options: [("", "—")] + Role.staff.map { ($0.rawValue, req.text("role_" + $0.rawValue)) }, required: true),
                form.field("jurisdiction", req.text("field_jurisdiction"), .select,
                           options: [("", "—")] + places.map { ($0.code, (indent[$0.level] ?? "") + $0.name) }, required: true),
                form.field("department", req.text("field_department"), .select,
                           options: [("", req.text("users_no_department"))] + departments.map { ($0.code, $0.name) }),
                form.field("password", req.text("field_initialPassword"), .password, hint: req.text("register_password_hint") + " " + req.text("users_password_hint"),
                           autocomplete: "new-password", required: true),
            ],
            action: SiteRoute.adminUsers.path, created: created
        )
    }

    static func newPage(_ req: Request) async throws -> Response {
        let user = try req.requireUser()
        guard let scope = user.scope else { throw Abort(.forbidden) }
        let created = req.query[String.self, at: "created"].map { req.text("users_created", ["login": $0]) }
        return try await req.render("admin/admin-user-new", title: "users_new_title", try await newContent(req, form: FormState(fields: fields), scope: scope, created: created))
    }

    static func create(_ req: Request) async throws -> Response {
        guard let scope = try req.requireUser().scope else { throw Abort(.forbidden) }
        let input = try req.content.decode(NewForm.self)
        let login = (input.login ?? "").trimmingCharacters(in: .whitespaces).lowercased()
        let displayName = (input.displayName ?? "").trimmingCharacters(in: .whitespaces)
        let password = input.password ?? ""
        var form = FormState(fields: fields, values: [
            "login": login, "displayName": displayName, "role": input.role ?? "",
            "jurisdiction": input.jurisdiction ?? "", "department": input.department ?? "",
        ])
        let catalog = req.application.catalog
        let language = req.language

        if let problem = AccountRules.checkStaffLogin(login) { form.fail("login", catalog.problem(problem, field: "login", language)) }
        if displayName.isEmpty { form.fail("displayName", catalog.problem(.required, field: "displayName", language)) }
        else if displayName.count > 30 { form.fail("displayName", req.text("problem_tooLong", ["field": req.text("field_displayName"), "max": "30"])) }
        let role = Role(rawValue: input.role ?? "")
        if role == nil || role == .citizen { form.fail("role", req.text("problem_choose", ["field": req.text("field_role")])) }

        var place: Jurisdiction?
        if let code = JurisdictionCode(input.jurisdiction ?? ""), scope.contains(code) {
            place = try await Jurisdiction.find(code: code.rawValue, on: req.db)
        }
        if place == nil {
            form.fail("jurisdiction", req.text("problem_choose", ["field": req.text("field_jurisdiction")]))
        } else if let role, let deepest = role.deepestLevel, let level = place?.jurisdictionCode?.level, level > deepest {
            form.fail("jurisdiction", req.text("users_level_too_deep", ["role": req.text("role_" + role.rawValue), "level": req.text("level_" + deepest.rawValue)]))
        }

        var department: Department?
        if let code = input.department, !code.isEmpty {
            department = try await Department.query(on: req.db).filter(\.$code == code).first()
            if department == nil { form.fail("department", req.text("problem_choose", ["field": req.text("field_department")])) }
        }
        if role?.needsDepartment == true, department == nil {
            form.fail("department", req.text("users_department_required"))
        }
        if let problem = AccountRules.checkPassword(password) { form.fail("password", catalog.problem(problem, field: "password", language)) }
        if form.errors["login"] == nil, try await User.find(login: login, on: req.db) != nil {
            form.fail("login", req.text("users_login_taken"))
        }
        guard form.isValid, let role, let place else {
            return try await req.render("admin/admin-user-new", title: "users_new_title", try await newContent(req, form: form, scope: scope), status: .badRequest)
        }

        let hash = try await req.password.async.hash(password)
        let now = req.now
        let actor = req.actor
        let user = User(login: login, passwordHash: hash, displayName: displayName, role: role, status: .active,
                        jurisdictionID: try place.requireID(), departmentID: try department?.requireID(), at: now)
        try await req.db.transaction { db in
            try await user.create(on: db)
            try await Audit.record("create", entity: "user", id: try user.requireID().uuidString, after: user.auditSnapshot, by: actor, at: now, on: db)
        }
        return req.redirect(to: SiteRoute.adminUserNew.path + "?created=" + login)
    }

    // MARK: status

    /// Disables or enables an account, asks for a new password, or clears the second factor; each
    /// audited, a disabled account's sessions ended, a citizen told by text.
    static func changeStatus(_ req: Request) async throws -> Response {
        let me = try req.requireUser()
        guard let scope = me.scope, let id = req.parameters.get("id", as: UUID.self),
              let target = try await User.query(on: req.db).filter(\.$id == id).with(\.$jurisdiction).first()
        else { throw Abort(.notFound) }
        if let place = target.jurisdiction {
            guard let code = place.jurisdictionCode else { throw Abort(.notFound) }
            try req.requireScope(code)
        } else if scope.level != .city { throw Abort(.notFound) }
        guard let action = (try? req.content.get(String.self, at: "action")).flatMap(Action.init(rawValue:)),
              actions(for: target, by: me).contains(action)
        else { throw Abort(.badRequest) }
        let now = req.now, actor = req.actor
        let catalog = req.application.catalog
        let notifier = req.effects.notifier, logger = req.logger
        try await req.db.transaction { db in
            try await target.save(action.rawValue, by: actor, at: now, on: db) {
                switch action {
                case .disable: target.status = .disabled
                case .enable: target.status = .active
                case .forcePasswordReset: target.mustChangePassword = true
                case .resetSecondFactor:
                    target.totpSealed = nil
                    target.totpConfirmedAt = nil
                    target.totpLastStep = nil
                }
                target.updatedAt = now
            }
            if action == .disable || action == .forcePasswordReset {
                try await UserSession.query(on: db).filter(\.$user.$id == id).delete()
            }
            if target.role == .citizen, let phone = target.phone, action == .disable || action == .enable {
                let body = catalog.text("sms_account_" + action.rawValue, .zh)
                try await notifier.send(OutgoingMessage(channel: .sms, recipient: phone, kind: "account", body: body), on: db, at: now, logger: logger)
            }
        }
        return req.redirect(to: SiteRoute.adminUsers.path)
    }
}
