import Fluent
import JifenCore
import Vapor

/// `/account/password`: any signed-in person changes his own password. The current password is
/// asked again; every other session of the account ends.
enum PasswordController {
    static func register(_ routes: any RoutesBuilder) {
        routes.get(.password, access: .signedIn, use: page)
        routes.post(.password, access: .signedIn, use: change)
    }

    static let fields = ["current", "password", "passwordConfirm"]

    struct Content: Encodable {
        let fields: [FormField]
        var action = SiteRoute.password.path
        var done: String?

        init(_ req: Request, form: FormState, done: String? = nil) {
            fields = [
                form.field("current", req.text("field_current"), .password, autocomplete: "current-password", required: true),
                form.field("password", req.text("field_newPassword"), .password, hint: req.text("register_password_hint"), autocomplete: "new-password", required: true),
                form.field("passwordConfirm", req.text("field_passwordConfirm"), .password, autocomplete: "new-password", required: true),
            ]
            self.done = done
        }
    }

    struct Form: Decodable {
        var current, password, passwordConfirm: String?
    }

    static func page(_ req: Request) async throws -> Response {
        let must = try await User.find(try req.requireUser().id, on: req.db)?.mustChangePassword == true
        let done = req.query[String.self, at: "changed"] != nil ? req.text("password_changed") : must ? req.text("password_must_change") : nil
        return try await req.render("accounts/password", title: "password_title", Content(req, form: FormState(fields: fields), done: done))
    }

    static func change(_ req: Request) async throws -> Response {
        let me = try req.requireUser()
        let input = try req.content.decode(Form.self)
        let current = input.current ?? ""
        let password = input.password ?? ""
        var form = FormState(fields: fields)
        let catalog = req.application.catalog
        if current.isEmpty { form.fail("current", catalog.problem(.required, field: "current", req.language)) }
        if let problem = AccountRules.checkPassword(password) { form.fail("password", catalog.problem(problem, field: "password", req.language)) }
        if password != (input.passwordConfirm ?? "") { form.fail("passwordConfirm", catalog.problem(.passwordMismatch, field: "passwordConfirm", req.language)) }
        guard let user = try await User.find(me.id, on: req.db) else { throw Abort(.unauthorized) }
        if form.isValid {
            // Guessing the current password is throttled like signing in.
            if case .refused(let until, _) = try await Throttle.check(login: user.login, on: req) {
                form.fail("current", req.text("login_throttled", ["time": ShanghaiTime.format(until, "HH:mm:ss")]))
                return try await req.render("accounts/password", title: "password_title", Content(req, form: form), status: .tooManyRequests)
            }
            let attempt = try await Throttle.begin(login: user.login, on: req)
            if try await !req.password.async.verify(current, created: user.passwordHash) {
                form.fail("current", req.text("password_current_wrong"))
            } else {
                try await Throttle.succeeded(attempt, on: req)
                if current == password { form.fail("password", req.text("password_same")) }
            }
        }
        guard form.isValid else {
            return try await req.render("accounts/password", title: "password_title", Content(req, form: form), status: .badRequest)
        }
        let hash = try await req.password.async.hash(password)
        let now = req.now
        let actor = req.actor
        try await req.db.transaction { db in
            user.passwordHash = hash
            user.mustChangePassword = false
            user.updatedAt = now
            try await user.save(on: db)
            try await UserSession.query(on: db).filter(\.$user.$id == me.id).filter(\.$id != me.sessionID).delete()
            try await Audit.record("changePassword", entity: "user", id: me.id.uuidString, by: actor, at: now, on: db)
        }
        return req.redirect(to: SiteRoute.password.path + "?changed=1")
    }
}
