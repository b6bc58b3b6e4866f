import Fluent
import JifenCore
import Vapor

/// Sign-in, sign-out, citizen registration with a confirmation code, the language switch.
enum AccountsController {
    static func register(_ routes: any RoutesBuilder) {
        routes.get(.root, access: .anyone) { req in
            req.redirect(to: req.currentUser == nil ? SiteRoute.login.path : SiteRoute.home.path)
        }
        routes.get(.login, access: .anyone, use: loginPage)
        routes.post(.login, access: .anyone, use: login)
        routes.post(.logout, access: .signedIn, use: logout)
        routes.get(.register, access: .signedOut, use: registerPage)
        routes.post(.register, access: .signedOut, use: registerCitizen)
        routes.get(.verify, access: .signedOut, use: verifyPage)
        routes.post(.verify, access: .signedOut, use: verify)
        routes.get(.language(":code"), access: .anyone, use: switchLanguage)
    }

    // MARK: sign-in

    struct LoginForm: Decodable {
        var login, password, next: String?
    }

    static func loginPage(_ req: Request) async throws -> Response {
        if req.currentUser != nil { return req.redirect(to: SiteRoute.home.path) }
        let next = safeLocalPath(req.query[String.self, at: "next"]) ?? ""
        let notice = req.query[String.self, at: "registered"] != nil ? req.text("login_notice_registered")
            : req.query[String.self, at: "expired"] != nil ? req.text("login_notice_expired") : nil
        return try await req.render("accounts/login", title: "login_title", LoginContent(req, form: FormState(fields: ["login", "password"]), next: next, notice: notice))
    }

    static func login(_ req: Request) async throws -> Response {
        let input = try req.content.decode(LoginForm.self)
        let loginName = (input.login ?? "").trimmingCharacters(in: .whitespaces)
        let password = input.password ?? ""
        let next = safeLocalPath(input.next) ?? ""
        var form = FormState(fields: ["login", "password"], values: ["login": loginName])
        if loginName.isEmpty { form.fail("login", req.text("problem_required", ["field": req.text("field_login")])) }
        if password.isEmpty { form.fail("password", req.text("problem_required", ["field": req.text("field_password")])) }
        guard form.isValid else {
            return try await req.render("accounts/login", title: "login_title", LoginContent(req, form: form, next: next), status: .badRequest)
        }

        switch try await Throttle.check(login: loginName, on: req) {
        case .allowed: break
        case .refused(let until, _):
            form.fail("password", req.text("login_throttled", ["time": ShanghaiTime.format(until, "HH:mm:ss")]))
            return try await req.render("accounts/login", title: "login_title", LoginContent(req, form: form, next: next), status: .tooManyRequests)
        }

        let attempt = try await Throttle.begin(login: loginName, on: req)
        let user = try await User.find(login: loginName, on: req.db)
        // Hash even for an unknown login, so the answer takes as long either way.
        let verified = try await req.password.async.verify(password, created: user?.passwordHash ?? req.application.decoyHash)
        guard let user, verified, user.status != .disabled else {
            form.fail("password", req.text("login_failed"))
            return try await req.render("accounts/login", title: "login_title", LoginContent(req, form: form, next: next), status: .unauthorized)
        }
        if user.status == .pending {
            form.fail("login", req.text("login_pending"))
            return try await req.render("accounts/login", title: "login_title", LoginContent(req, form: form, next: next), status: .unauthorized)
        }
        try await Throttle.succeeded(attempt, on: req)
        // The second factor: asked of everyone who set one up, set up at once by roles that need one.
        if user.totpConfirmedAt != nil {
            return try await SecondFactor.askCode(req, user: user, next: next)
        }
        if user.role.requiresSecondFactor, !(user.demoAccount && req.application.jifenConfig.demo) {
            return try await SecondFactor.enrol(req, user: user, next: next)
        }
        return try await signIn(user, next: next, on: req)
    }

    /// Starts the session and lands on `next` (or the password page, if an administrator asked for a new one).
    static func signIn(_ user: User, next: String, secondFactor: Bool = false, on req: Request) async throws -> Response {
        let target = user.mustChangePassword ? SiteRoute.password.path : (next.isEmpty ? SiteRoute.home.path : next)
        let response = req.redirect(to: target)
        try await SessionMiddleware.start(for: user, on: req, response: response)
        try await Audit.record("signIn", entity: "user", id: try user.requireID().uuidString,
                               after: secondFactor ? ["secondFactor": "totp"] : nil,
                               by: Actor(id: user.id, login: user.login, role: user.role, address: req.clientAddress), at: req.now, on: req.db)
        return response
    }

    static func logout(_ req: Request) async throws -> Response {
        let user = try req.requireUser()
        let response = req.redirect(to: SiteRoute.login.path)
        try await SessionMiddleware.end(on: req, response: response)
        // Signing out on the web signs the mini-program out too (its sessions are the API's).
        try await UserSession.query(on: req.db).filter(\.$user.$id == user.id).filter(\.$channel == "api").delete()
        try await Audit.record("signOut", entity: "user", id: user.id.uuidString, by: req.actor, at: req.now, on: req.db)
        return response
    }

    // MARK: registration

    struct RegisterForm: Decodable {
        var phone, displayName, password, passwordConfirm, acceptPrivacy: String?
    }

    static let registerFields = ["phone", "displayName", "password", "passwordConfirm", "acceptPrivacy"]

    static func registerPage(_ req: Request) async throws -> Response {
        try await req.render("accounts/register", title: "register_title", RegisterContent(req, form: FormState(fields: registerFields)))
    }

    static func registerCitizen(_ req: Request) async throws -> Response {
        let input = try req.content.decode(RegisterForm.self)
        let phone = (input.phone ?? "").trimmingCharacters(in: .whitespaces)
        let displayName = (input.displayName ?? "").trimmingCharacters(in: .whitespaces)
        let password = input.password ?? ""
        var form = FormState(fields: registerFields, values: ["phone": phone, "displayName": displayName])
        let catalog = req.application.catalog
        if let problem = AccountRules.checkPhone(phone) { form.fail("phone", catalog.problem(problem, field: "phone", req.language)) }
        if displayName.isEmpty {
            form.fail("displayName", catalog.problem(.required, field: "displayName", req.language))
        } else if displayName.count > 30 {
            form.fail("displayName", req.text("problem_tooLong", ["field": req.text("field_displayName"), "max": "30"]))
        }
        if let problem = AccountRules.checkPassword(password) { form.fail("password", catalog.problem(problem, field: "password", req.language)) }
        if password != (input.passwordConfirm ?? "") { form.fail("passwordConfirm", catalog.problem(.passwordMismatch, field: "passwordConfirm", req.language)) }
        // The privacy notice is accepted before anything is kept (PIPL Art. 14); its version is kept with the account.
        if input.acceptPrivacy != "on" { form.fail("acceptPrivacy", req.text("register_privacy_required")) }
        if form.isValid, let existing = try await User.find(login: phone, on: req.db), existing.status != .pending {
            form.fail("phone", req.text("register_phone_taken"))
        }
        guard form.isValid else {
            return try await req.render("accounts/register", title: "register_title", RegisterContent(req, form: form), status: .badRequest)
        }

        let hash = try await req.password.async.hash(password)
        let now = req.now
        let (browser, newBrowser) = PhoneCodes.browserToken(req)
        // A pending registration is never changed by another request: the password and the name
        // travel with the code and take effect only when that code comes back from this browser.
        let issued: PhoneCodes.Issued = try await req.db.transaction { db in
            let issued = try await PhoneCodes.issue(to: phone, purpose: .register, browserToken: browser, passwordHash: hash, displayName: displayName,
                                                    on: req, db: db) { code in
                catalog.text("sms_code", .zh, ["code": code, "minutes": String(Int(PhoneCodes.lifetime / 60))])
            }
            if case .sent = issued, try await User.find(login: phone, on: db) == nil {
                let user = User(login: phone, passwordHash: hash, displayName: displayName, role: .citizen, status: .pending, phone: phone, at: now)
                try await user.create(on: db)
                try await Audit.record("register", entity: "user", id: try user.requireID().uuidString, after: user.auditSnapshot, by: req.actor, at: now, on: db)
            }
            return issued
        }
        if let refusal = PhoneCodes.refusal(issued, req) {
            form.fail("phone", refusal)
            return try await req.render("accounts/register", title: "register_title", RegisterContent(req, form: form), status: .tooManyRequests)
        }
        let response = req.redirect(to: SiteRoute.verify.path + "?phone=" + phone)
        if newBrowser { PhoneCodes.setBrowserCookie(browser, on: response, req: req) }
        return response
    }

    struct VerifyForm: Decodable {
        var phone, code: String?
    }

    static func verifyPage(_ req: Request) async throws -> Response {
        let phone = req.query[String.self, at: "phone"] ?? ""
        let valid = AccountRules.checkPhone(phone) == nil
        let form = FormState(fields: ["phone", "code"], values: ["phone": valid ? phone : ""])
        return try await req.render("accounts/verify", title: "verify_title", VerifyContent(req, form: form, demoText: valid ? try await demoText(req, phone: phone) : nil))
    }

    /// In the demo no text leaves the machine: the page shows the last one sent to the number.
    static func demoText(_ req: Request, phone: String) async throws -> String? {
        guard req.application.jifenConfig.demo,
              let message = try await OutboxMessage.query(on: req.db).filter(\.$recipient == phone).filter(\.$kind == "verificationCode")
                .sort(\.$createdAt, .descending).first()
        else { return nil }
        return message.sealed ? try req.application.personalData.open(message.body) : message.body
    }

    static func verify(_ req: Request) async throws -> Response {
        let input = try req.content.decode(VerifyForm.self)
        let phone = (input.phone ?? "").trimmingCharacters(in: .whitespaces)
        let code = (input.code ?? "").trimmingCharacters(in: .whitespaces)
        var form = FormState(fields: ["phone", "code"], values: ["phone": phone, "code": code])
        let catalog = req.application.catalog
        if let problem = AccountRules.checkPhone(phone) { form.fail("phone", catalog.problem(problem, field: "phone", req.language)) }
        if let problem = AccountRules.checkCode(code) { form.fail("code", catalog.problem(problem, field: "code", req.language)) }
        guard form.isValid else {
            return try await req.render("accounts/verify", title: "verify_title", VerifyContent(req, form: form), status: .badRequest)
        }
        let now = req.now
        let address = req.clientAddress
        let browser = PhoneCodes.browserToken(req).token
        enum Outcome { case activated(User), refused(PhoneCodes.Checked), unknown }
        let outcome: Outcome = try await req.db.transaction { db in
            guard let user = try await User.find(login: phone, on: db), user.status == .pending else { return .unknown }
            let checked = try await PhoneCodes.check(code, phone: phone, purpose: .register, browserToken: browser, on: req, db: db)
            guard case .confirmed(let passwordHash, let displayName) = checked else { return .refused(checked) }
            let before = user.auditSnapshot
            if let passwordHash { user.passwordHash = passwordHash }
            if let displayName { user.displayName = displayName }
            user.privacyVersion = PrivacyNotice.version
            user.privacyAcceptedAt = now
            user.status = .active
            user.updatedAt = now
            try await user.save(on: db)
            try await Audit.record("confirmPhone", entity: "user", id: try user.requireID().uuidString, before: before, after: user.auditSnapshot,
                                   by: Actor(id: user.id, login: user.login, role: user.role, address: address), at: now, on: db)
            return .activated(user)
        }
        switch outcome {
        case .activated(let user):
            let response = req.redirect(to: SiteRoute.home.path)
            try await SessionMiddleware.start(for: user, on: req, response: response)
            return response
        case .refused(let checked):
            form.fail("code", PhoneCodes.problem(checked, req) ?? req.text("verify_wrong"))
            if case .exhausted = checked {
                return try await req.render("accounts/verify", title: "verify_title", VerifyContent(req, form: form), status: .tooManyRequests)
            }
        case .unknown:
            form.fail("phone", req.text("verify_unknown"))
        }
        return try await req.render("accounts/verify", title: "verify_title", VerifyContent(req, form: form), status: .badRequest)
    }

    // MARK: language

    static func switchLanguage(_ req: Request) async throws -> Response {
        let language = Catalog.Language(rawValue: req.parameters.get("code") ?? "") ?? .zh
        let back = safeLocalPath(req.query[String.self, at: "back"]) ?? SiteRoute.root.path
        let response = req.redirect(to: back)
        response.cookies[req.application.cookieName("jifen_lang")] = HTTPCookies.Value(string: language.rawValue, maxAge: 365 * 24 * 3600, path: "/",
                                                           isSecure: req.application.jifenConfig.secureCookies, isHTTPOnly: true, sameSite: .lax)
        return response
    }
}

/// Per-account and per-address throttling of sign-in, on the rule in `JifenCore.LoginThrottle`.
enum Throttle {
    static let rule = LoginThrottle()

    static func check(login: String, on req: Request) async throws -> LoginThrottle.Verdict {
        let now = req.now
        let since = now.addingTimeInterval(-rule.window)
        let address = req.clientAddress
        let lastSuccess = try await LoginAttempt.query(on: req.db)
            .filter(\.$login == login).filter(\.$succeeded == true).filter(\.$at > since)
            .sort(\.$at, .descending).first()?.at
        let accountFailures = try await LoginAttempt.query(on: req.db)
            .filter(\.$login == login).filter(\.$succeeded == false).filter(\.$at > (lastSuccess ?? since))
            .all()
        let addressFailures = try await LoginAttempt.query(on: req.db)
            .filter(\.$address == address).filter(\.$succeeded == false).filter(\.$at > now.addingTimeInterval(-rule.addressWindow))
            .all(\.$at)
        return rule.verdict(pairFailures: accountFailures.filter { $0.address == address }.map(\.at), accountFailures: accountFailures.map(\.at),
                            addressFailures: addressFailures, now: now)
    }

    /// Records a try as failed before the password is checked (so tries made at once all count);
    /// `succeeded(_:)` turns it into a success.
    static func begin(login: String, on req: Request) async throws -> LoginAttempt {
        let attempt = LoginAttempt(login: String(login.prefix(64)), address: req.clientAddress, succeeded: false, at: req.now)
        try await attempt.create(on: req.db)
        return attempt
    }

    static func succeeded(_ attempt: LoginAttempt, on req: Request) async throws {
        attempt.succeeded = true
        try await attempt.save(on: req.db)
    }
}
