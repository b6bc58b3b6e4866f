import Fluent
import JifenCore
import SQLKit
import Vapor

/// A code sent to a phone: proof that whoever types it back holds the phone. Only keyed hashes of
/// the phone and the code are stored; the code is bound to the browser that asked for it (a
/// cookie), so a code someone else requested for your number does not work in your browser, nor
/// yours in his.
final class PhoneCode: Model, @unchecked Sendable {
    static let schema = "phone_codes"

    // managed fields
    @ID(key: .id) var id: UUID?
    @Field(key: "created_at") var createdAt: Date

    // data fields
    @Enum(key: "purpose") var purpose: PhoneCodes.Purpose
    @Field(key: "phone_mac") var phoneMAC: String
    @Field(key: "code_hash") var codeHash: String
    @Field(key: "browser_hash") var browserHash: String
    @Field(key: "address") var address: String
    @Field(key: "expires_at") var expiresAt: Date
    /// Every try, counted in the database in one statement, so parallel tries cannot exceed the limit.
    @Field(key: "attempts") var attempts: Int
    @OptionalField(key: "consumed_at") var consumedAt: Date?
    /// A registration's chosen password (hashed) and name: they take effect only with this code.
    @OptionalField(key: "password_hash") var passwordHash: String?
    @OptionalField(key: "display_name") var displayName: String?

    // Listed rather than found by reflection on every row read (ModelPropertiesTests checks the list).
    var properties: [any AnyProperty] { [$id, $createdAt, $purpose, $phoneMAC, $codeHash, $browserHash, $address, $expiresAt, $attempts, $consumedAt, $passwordHash, $displayName] }

    init() {}
}

/// Sending and checking codes, with the throttles that keep them from being guessed or used to
/// flood a number with texts.
enum PhoneCodes {
    enum Purpose: String, Codable, Sendable {
        /// Confirming the number of a new account.
        case register
        /// Confirming the number given on a public form (an objection, an opinion, a questionnaire).
        case publicForm
    }

    static let lifetime: TimeInterval = 10 * 60
    /// At most one code per phone a minute, and ten a day.
    static let gap: TimeInterval = 60
    static let perPhonePerDay = 10
    /// Tries per phone and browser in an hour, over all its codes: a new code brings no new tries.
    static let triesPerHour = 5

    enum Issued: Sendable {
        case sent
        /// Too soon after the last code to this phone.
        case wait(until: Date)
        case phoneDailyLimit
        case addressLimit
    }

    enum Checked: Sendable {
        case confirmed(passwordHash: String?, displayName: String?)
        case wrong(remaining: Int)
        case exhausted
        case expired
        /// No code was asked for this phone from this browser.
        case none
    }

    static func phoneMAC(_ phone: String, keys: Keys) -> String { keys.mac("phone-code", phone) }

    /// The browser's own token (a cookie set on the response that carries it), made on first use.
    static func browserToken(_ req: Request) -> (token: String, isNew: Bool) {
        if let token = req.cookies[req.application.cookieName("jifen_code")]?.string, token.utf8.count >= 22, token.utf8.count <= 64 {
            return (token, false)
        }
        return (req.effects.token(bytes: 18), true)
    }

    static func setBrowserCookie(_ token: String, on response: Response, req: Request) {
        response.cookies[req.application.cookieName("jifen_code")] = HTTPCookies.Value(
            string: token, maxAge: 86_400, path: "/", isSecure: req.application.jifenConfig.secureCookies, isHTTPOnly: true, sameSite: .lax)
    }

    /// Sends a new code to `phone` unless a throttle refuses; `message` words the text from the code.
    static func issue(to phone: String, purpose: Purpose, browserToken: String, passwordHash: String? = nil, displayName: String? = nil,
                      on req: Request, db: any Database, message: (String) -> String) async throws -> Issued {
        let now = req.now
        let keys = req.application.keys
        let mac = phoneMAC(phone, keys: keys)
        let recent = try await PhoneCode.query(on: db).filter(\.$phoneMAC == mac).filter(\.$createdAt > now.addingTimeInterval(-86_400))
            .sort(\.$createdAt, .descending).all(\.$createdAt)
        if let last = recent.first, now.timeIntervalSince(last) < gap { return .wait(until: last.addingTimeInterval(gap)) }
        if recent.count >= perPhonePerDay { return .phoneDailyLimit }
        let address = req.clientAddress
        let fromAddress = try await PhoneCode.query(on: db).filter(\.$address == address).filter(\.$createdAt > now.addingTimeInterval(-3600)).count()
        if fromAddress >= req.application.jifenConfig.codesPerAddressHour { return .addressLimit }

        let code = req.effects.verificationCode()
        let row = PhoneCode()
        row.createdAt = now
        row.purpose = purpose
        row.phoneMAC = mac
        row.codeHash = keys.mac("code", code)
        row.browserHash = keys.mac("code-browser", browserToken)
        row.address = address
        row.expiresAt = now.addingTimeInterval(lifetime)
        row.attempts = 0
        row.passwordHash = passwordHash
        row.displayName = displayName
        try await row.create(on: db)
        let body = message(code)
        try await req.effects.notifier.send(
            OutgoingMessage(channel: .sms, recipient: phone, kind: "verificationCode", body: body, sealedBody: try req.application.personalData.seal(body)),
            on: db, at: now, logger: req.logger)
        return .sent
    }

    /// Checks `code` against the newest code this browser asked for `phone`. Every try counts.
    static func check(_ code: String, phone: String, purpose: Purpose, browserToken: String, on req: Request, db: any Database) async throws -> Checked {
        let now = req.now
        let keys = req.application.keys
        let mac = phoneMAC(phone, keys: keys)
        guard let latest = try await PhoneCode.query(on: db)
            .filter(\.$phoneMAC == mac).filter(\.$purpose == purpose).filter(\.$browserHash == keys.mac("code-browser", browserToken))
            .filter(\.$consumedAt == nil).sort(\.$createdAt, .descending).first()
        else { return .none }
        if latest.expiresAt <= now { return .expired }
        let id = try latest.requireID()
        // Tries this browser already spent on the phone's other codes in the last hour. (Counted per
        // browser, so a stranger's wrong tries do not lock the owner out; ten codes a day bound
        // all tries on a number to fifty.)
        let others = try await PhoneCode.query(on: db).filter(\.$phoneMAC == mac).filter(\.$id != id).filter(\.$browserHash == latest.browserHash)
            .filter(\.$createdAt > now.addingTimeInterval(-3600)).filter(\.$consumedAt == nil).all(\.$attempts).reduce(0, +)
        let limit = triesPerHour - others
        // One statement counts the try and checks the limit, so parallel tries cannot overrun it.
        let counted = try await (db as! any SQLDatabase).raw("""
            UPDATE phone_codes SET attempts = attempts + 1 WHERE id = \(bind: id) AND attempts < \(bind: limit) AND consumed_at IS NULL RETURNING attempts
            """).all()
        guard let row = counted.first, let attempts = try? row.decode(column: "attempts", as: Int.self) else { return .exhausted }
        guard constantTimeEqual(latest.codeHash, keys.mac("code", code)) else {
            return attempts >= limit ? .exhausted : .wrong(remaining: limit - attempts)
        }
        // Used once: of two tries with the same code at once, one consumes it.
        let consumed = try await (db as! any SQLDatabase).raw("""
            UPDATE phone_codes SET consumed_at = \(bind: now) WHERE id = \(bind: id) AND consumed_at IS NULL RETURNING id
            """).all()
        guard !consumed.isEmpty else { return .none }
        return .confirmed(passwordHash: latest.passwordHash, displayName: latest.displayName)
    }

    /// The words for a refused request for a code (429).
    static func refusal(_ issued: Issued, _ req: Request) -> String? {
        switch issued {
        case .sent: nil
        case .wait(let until): req.text("code_wait", ["time": ShanghaiTime.format(until, "HH:mm:ss")])
        case .phoneDailyLimit: req.text("code_phone_daily")
        case .addressLimit: req.text("code_address_limit")
        }
    }

    /// The words for a code that did not confirm the phone.
    static func problem(_ checked: Checked, _ req: Request) -> String? {
        switch checked {
        case .confirmed: nil
        case .wrong(let remaining): req.text("verify_wrong_remaining", ["n": String(remaining)])
        case .exhausted: req.text("verify_exhausted")
        case .expired: req.text("verify_expired")
        case .none: req.text("verify_unknown")
        }
    }
}

/// A public form (an objection, an opinion, a questionnaire) counts only with a phone confirmed by
/// a code: the first submission sends the code and shows the form again with everything kept; the
/// second, with the code, counts.
enum PublicFormPhone {
    enum Outcome {
        case confirmed
        /// A code went to the phone; the form is shown again for it.
        case codeSent
        /// The phone or the code was refused: the field, the words, the status.
        case refused(field: String, message: String, status: HTTPStatus)
    }

    static func confirm(_ req: Request, phone: String, code: String) async throws -> (Outcome, browser: String, newBrowser: Bool) {
        let (browser, isNew) = PhoneCodes.browserToken(req)
        let catalog = req.application.catalog
        if code.isEmpty {
            let issued = try await req.db.transaction { db in
                try await PhoneCodes.issue(to: phone, purpose: .publicForm, browserToken: browser, on: req, db: db) { code in
                    catalog.text("sms_form_code", .zh, ["code": code, "minutes": String(Int(PhoneCodes.lifetime / 60))])
                }
            }
            if let refusal = PhoneCodes.refusal(issued, req) { return (.refused(field: "phone", message: refusal, status: .tooManyRequests), browser, isNew) }
            return (.codeSent, browser, isNew)
        }
        guard AccountRules.checkCode(code) == nil else {
            return (.refused(field: "code", message: catalog.problem(.badCode, field: "code", req.language), status: .badRequest), browser, isNew)
        }
        let checked = try await PhoneCodes.check(code, phone: phone, purpose: .publicForm, browserToken: browser, on: req, db: req.db)
        if case .confirmed = checked { return (.confirmed, browser, isNew) }
        let status: HTTPStatus = if case .exhausted = checked { .tooManyRequests } else { .badRequest }
        return (.refused(field: "code", message: PhoneCodes.problem(checked, req) ?? req.text("verify_wrong"), status: status), browser, isNew)
    }

    /// The words beside the code field once a code was sent (in the demo, with the text itself:
    /// no text leaves a demo machine).
    static func sentNotice(_ req: Request, phone: String) async throws -> String {
        let notice = req.text("form_code_sent", ["phone": Mask.phone(phone)])
        guard let text = try await AccountsController.demoText(req, phone: phone) else { return notice }
        return notice + " " + req.text("verify_demo_text") + text
    }
}
