import Fluent
import JifenCore
import SQLKit
import Vapor

/// The second factor (TOTP, RFC 6238): after the password, a code from an authenticator app.
/// Roles that need one (center admins, auditors) set it up at their first sign-in; other staff
/// may set one up on `/account/second-factor`. Demo accounts are exempt, and the login page says so.
enum SecondFactor {
    static func register(_ routes: any RoutesBuilder) {
        routes.post(.loginCode, access: .signedOut, use: submit)
        routes.get(.secondFactor, access: .staff, use: settingsPage)
        routes.post(.secondFactor, access: .staff, use: confirmFromSettings)
    }

    /// How long the step between the password and the code may take.
    static let ticketLifetime: TimeInterval = 5 * 60

    struct Content: Encodable {
        let fields: [FormField]
        let ticket, next: String
        let action: String
        /// Setting up: the secret to scan (a QR code) or type.
        let enrolling: Bool
        let secret: String?
        let qr: String?
        /// Already on (the settings page).
        let enabledSince: String?
    }

    // MARK: the step after the password

    /// A signed pass from the password step to the code step, for this user only, for five minutes;
    /// it dies when the password or the secret changes.
    static func ticket(for user: User, on req: Request) throws -> String {
        let expiry = Int(req.now.addingTimeInterval(ticketLifetime).timeIntervalSince1970)
        let id = try user.requireID().uuidString
        return "\(id).\(expiry).\(mac(user: user, id: id, expiry: expiry, keys: req.application.keys))"
    }

    private static func mac(user: User, id: String, expiry: Int, keys: Keys) -> String {
        keys.mac("login-ticket", "\(id)|\(expiry)|\(user.passwordHash)|\(user.totpSealed ?? "")")
    }

    static func user(fromTicket ticket: String, on req: Request) async throws -> User? {
        let parts = ticket.split(separator: ".")
        guard parts.count == 3, let id = UUID(uuidString: String(parts[0])), let expiry = Int(parts[1]),
              Double(expiry) > req.now.timeIntervalSince1970,
              let user = try await User.find(id, on: req.db), user.status == .active,
              constantTimeEqual(String(parts[2]), mac(user: user, id: id.uuidString, expiry: expiry, keys: req.application.keys))
        else { return nil }
        return user
    }

    static func codeField(_ form: FormState, _ req: Request) -> [FormField] {
        [form.field("code", req.text("field_totp"), .number, hint: req.text("totp_code_hint"), maxLength: 6, autocomplete: "one-time-code", required: true)]
    }

    static func askCode(_ req: Request, user: User, next: String, form: FormState = FormState(fields: ["code"]), status: HTTPStatus = .ok) async throws -> Response {
        let content = Content(fields: codeField(form, req), ticket: try ticket(for: user, on: req), next: next, action: SiteRoute.loginCode.path,
                              enrolling: false, secret: nil, qr: nil, enabledSince: nil)
        return try await req.render("accounts/second-factor", title: "totp_title", content, status: status)
    }

    /// A new secret (kept sealed, not yet counting) and the page to scan it and confirm with a code.
    static func enrol(_ req: Request, user: User, next: String, form: FormState = FormState(fields: ["code"]), status: HTTPStatus = .ok,
                      action: String = SiteRoute.loginCode.path) async throws -> Response {
        let secret: [UInt8]
        if let sealed = user.totpSealed, let existing = TOTP.base32Decode(try req.application.personalData.open(sealed)), existing.count >= 20 {
            secret = existing
        } else {
            secret = req.effects.randomBytes(20)
            user.totpSealed = try req.application.personalData.seal(TOTP.base32(secret))
            user.totpConfirmedAt = nil
            try await user.save(on: req.db)
        }
        let text = TOTP.base32(secret)
        let grouped = stride(from: 0, to: text.count, by: 4).map { String(Array(text)[$0..<min($0 + 4, text.count)]) }.joined(separator: " ")
        let content = Content(fields: codeField(form, req), ticket: action == SiteRoute.loginCode.path ? try ticket(for: user, on: req) : "", next: next,
                              action: action, enrolling: true, secret: grouped,
                              qr: try QRCode.encode(TOTP.uri(secret: secret, account: user.login), correction: .medium).svg(moduleSize: 4),
                              enabledSince: nil)
        return try await req.render("accounts/second-factor", title: "totp_title", content, status: status)
    }

    struct Form: Decodable {
        var ticket, code, next: String?
    }

    /// Wrong codes an account may have in 15 minutes (after its last good code).
    static let codeTries = 5
    static let codeWindow: TimeInterval = 15 * 60

    static func codeKey(_ user: User) -> String { "totp:" + user.login }

    /// Until when codes are refused (this try included), or nil while tries are left.
    static func codeRefusal(_ user: User, on req: Request) async throws -> Date? {
        let key = codeKey(user), now = req.now
        let since = now.addingTimeInterval(-codeWindow)
        let lastGood = try await LoginAttempt.query(on: req.db).filter(\.$login == key).filter(\.$succeeded == true).filter(\.$at > since)
            .sort(\.$at, .descending).first()?.at
        let failures = try await LoginAttempt.query(on: req.db).filter(\.$login == key).filter(\.$succeeded == false)
            .filter(\.$at > (lastGood ?? since)).sort(\.$at).all(\.$at)
        guard failures.count > codeTries else { return nil }
        return failures[failures.count - codeTries - 1].addingTimeInterval(codeWindow)
    }

    /// Checks the code against the user's secret (once per time step); on the first good code a
    /// secret being set up starts to count.
    static func accept(_ code: String, user: User, on req: Request) async throws -> Bool {
        guard let sealed = user.totpSealed, let secret = TOTP.base32Decode(try req.application.personalData.open(sealed)),
              let step = TOTP.verify(code, secret: secret, at: req.now, after: user.totpLastStep.map { UInt64($0) })
        else { return false }
        // Used once, also when the same code comes twice at once: one statement moves the step on.
        let won = try await (req.db as! any SQLDatabase).raw("""
            UPDATE users SET totp_last_step = \(bind: Int64(step)) WHERE id = \(bind: try user.requireID())
            AND (totp_last_step IS NULL OR totp_last_step < \(bind: Int64(step))) RETURNING id
            """).all()
        guard !won.isEmpty else { return false }
        let enrolling = user.totpConfirmedAt == nil
        user.totpLastStep = Int64(step)
        if enrolling {
            user.totpConfirmedAt = req.now
            try await user.save(on: req.db)
        }
        if enrolling {
            try await Audit.record("enableSecondFactor", entity: "user", id: try user.requireID().uuidString,
                                   by: Actor(id: user.id, login: user.login, role: user.role, address: req.clientAddress), at: req.now, on: req.db)
        }
        return true
    }

    static func submit(_ req: Request) async throws -> Response {
        let input = try req.content.decode(Form.self)
        let next = safeLocalPath(input.next) ?? ""
        guard let user = try await user(fromTicket: input.ticket ?? "", on: req) else {
            return req.redirect(to: SiteRoute.login.path + "?expired=1")
        }
        let code = (input.code ?? "").trimmingCharacters(in: .whitespaces)
        var form = FormState(fields: ["code"])
        let enrolling = user.totpConfirmedAt == nil
        func again(_ status: HTTPStatus) async throws -> Response {
            enrolling ? try await enrol(req, user: user, next: next, form: form, status: status)
                      : try await askCode(req, user: user, next: next, form: form, status: status)
        }
        guard code.count == 6, code.allSatisfy(\.isASCII), code.allSatisfy(\.isNumber) else {
            form.fail("code", req.text("totp_code_format"))
            return try await again(.badRequest)
        }
        // Codes have their own count, which typing the password again does not reset; the try is
        // recorded before it is judged, so a burst of tries at once is counted in full.
        let attempt = try await Throttle.begin(login: codeKey(user), on: req)
        if let until = try await codeRefusal(user, on: req) {
            form.fail("code", req.text("login_throttled", ["time": ShanghaiTime.format(until, "HH:mm:ss")]))
            return try await again(.tooManyRequests)
        }
        guard try await accept(code, user: user, on: req) else {
            form.fail("code", req.text("totp_wrong"))
            return try await again(.unauthorized)
        }
        try await Throttle.succeeded(attempt, on: req)
        return try await AccountsController.signIn(user, next: next, secondFactor: true, on: req)
    }

    // MARK: settings

    static func settingsPage(_ req: Request) async throws -> Response {
        guard let user = try await User.find(try req.requireUser().id, on: req.db) else { throw Abort(.unauthorized) }
        if let since = user.totpConfirmedAt {
            let content = Content(fields: [], ticket: "", next: "", action: SiteRoute.secondFactor.path, enrolling: false, secret: nil, qr: nil,
                                  enabledSince: ShanghaiTime.dateTime(since))
            return try await req.render("accounts/second-factor", title: "totp_title", content)
        }
        return try await enrol(req, user: user, next: "", action: SiteRoute.secondFactor.path)
    }

    static func confirmFromSettings(_ req: Request) async throws -> Response {
        guard let user = try await User.find(try req.requireUser().id, on: req.db) else { throw Abort(.unauthorized) }
        guard user.totpConfirmedAt == nil else { return req.redirect(to: SiteRoute.secondFactor.path) }
        let code = ((try? req.content.get(String.self, at: "code")) ?? "").trimmingCharacters(in: .whitespaces)
        var form = FormState(fields: ["code"])
        let attempt = try await Throttle.begin(login: codeKey(user), on: req)
        if let until = try await codeRefusal(user, on: req) {
            form.fail("code", req.text("login_throttled", ["time": ShanghaiTime.format(until, "HH:mm:ss")]))
            return try await enrol(req, user: user, next: "", form: form, status: .tooManyRequests, action: SiteRoute.secondFactor.path)
        }
        guard try await accept(code, user: user, on: req) else {
            form.fail("code", req.text("totp_wrong"))
            return try await enrol(req, user: user, next: "", form: form, status: .badRequest, action: SiteRoute.secondFactor.path)
        }
        try await Throttle.succeeded(attempt, on: req)
        return req.redirect(to: SiteRoute.secondFactor.path)
    }
}
