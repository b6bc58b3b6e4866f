import Fluent
import Foundation
@testable import JifenApp
import JifenCore
import XCTVapor

/// TOTP: the algorithm against RFC 6238's own table, and the sign-in of a center admin who must
/// use it.
final class SecondFactorTests: XCTestCase {
    /// RFC 6238 appendix B, SHA-1, the 20-byte ASCII secret "12345678901234567890": the 8-digit codes
    /// the RFC lists at each time.
    func testTheRFC6238TestVectors() {
        let secret = Array("12345678901234567890".utf8)
        let table: [(TimeInterval, String)] = [
            (59, "94287082"), (1_111_111_109, "07081804"), (1_111_111_111, "14050471"),
            (1_234_567_890, "89005924"), (2_000_000_000, "69279037"), (20_000_000_000, "65353130"),
        ]
        for (time, expected) in table {
            XCTAssertEqual(TOTP.code(secret: secret, at: Date(timeIntervalSince1970: time), digits: 8), expected, "T = \(time)")
            XCTAssertEqual(TOTP.code(secret: secret, at: Date(timeIntervalSince1970: time)), String(expected.suffix(6)), "6 digits at T = \(time)")
        }
        // RFC 4648's base32 examples, and back.
        XCTAssertEqual(TOTP.base32(Array("foobar".utf8)), "MZXW6YTBOI")
        XCTAssertEqual(TOTP.base32(Array("f".utf8)), "MY")
        XCTAssertEqual(TOTP.base32Decode("MZXW6YTBOI======"), Array("foobar".utf8))
        XCTAssertEqual(TOTP.base32Decode(TOTP.base32(secret)), secret)
        XCTAssertNil(TOTP.base32Decode("MZ1W"), "1 is not in the alphabet")
        // A code is good for its step and one either side, and only once.
        let now = Date(timeIntervalSince1970: 1_111_111_111)
        let code = TOTP.code(secret: secret, at: now)
        XCTAssertEqual(TOTP.verify(code, secret: secret, at: now.addingTimeInterval(30)), TOTP.step(at: now))
        XCTAssertNil(TOTP.verify(code, secret: secret, at: now.addingTimeInterval(90)))
        XCTAssertNil(TOTP.verify(code, secret: secret, at: now, after: TOTP.step(at: now)), "used already")
    }

    /// A center admin made for a real city (not a demo account) cannot sign in with his password
    /// alone: the first time he sets up the factor, every time after he types a code.
    func testACenterAdminCannotSignInWithoutTheSecondFactor() async throws {
        try await withApp(demo: true) { ctx in
            let hash = try Bcrypt.hash("city2026pass", cost: 4)
            let city = try await Jurisdiction.query(on: ctx.app.db).filter(\.$code == "320582").first()
            let admin = User(login: "admin.city", passwordHash: hash, displayName: "中心管理员", role: .centerAdmin, status: .active,
                             jurisdictionID: city?.id, at: ctx.clock.now)
            try await admin.create(on: ctx.app.db)

            let browser = Browser(ctx.app)
            let first = try await browser.signIn("admin.city", "city2026pass")
            XCTAssertEqual(first.status, .ok, "the password leads to setting up the code, not to a session")
            XCTAssertNil(browser.cookies[ctx.app.cookieName("jifen_session")])
            XCTAssertTrue(first.body.contains("data-totp-qr"))
            let shown = try XCTUnwrap(Browser.firstMatch(#"data-totp-secret>([A-Z2-7 ]+)<"#, in: first.body))
            let secret = try XCTUnwrap(TOTP.base32Decode(shown.replacingOccurrences(of: " ", with: "")))
            XCTAssertEqual(secret.count, 20)
            let ticket = try XCTUnwrap(Browser.firstMatch(#"name="ticket" value="([^"]+)""#, in: first.body))
            let got1 = try await browser.get("/home").status
            XCTAssertEqual(got1, .seeOther, "not signed in yet")

            // A wrong code: still no session.
            let right = TOTP.code(secret: secret, at: ctx.clock.now)
            let wrongCode = right == "000000" ? "111111" : "000000"
            let wrong = try await browser.post("/login/code", ["ticket": ticket, "code": wrongCode, "next": ""])
            XCTAssertEqual(wrong.status, .unauthorized)
            XCTAssertNil(browser.cookies[ctx.app.cookieName("jifen_session")])
            // A forged ticket: back to the password.
            let forged = try await browser.post("/login/code", ["ticket": ticket.dropLast(2) + "00", "code": right, "next": ""])
            XCTAssertEqual(forged.location, "/login?expired=1")

            let enrolled = try await browser.post("/login/code", ["ticket": ticket, "code": right, "next": ""])
            XCTAssertEqual(enrolled.status, .seeOther)
            XCTAssertEqual(enrolled.location, "/home")
            let got2 = try await browser.get("/home").status
            XCTAssertEqual(got2, .ok)
            let stored = try await User.find(admin.requireID(), on: ctx.app.db)
            XCTAssertNotNil(stored?.totpConfirmedAt)
            XCTAssertFalse(stored?.totpSealed?.contains(TOTP.base32(secret)) ?? true, "the secret is sealed at rest")

            // Next time: password, then the code; the same code twice does not work.
            ctx.clock.advance(31)
            let again = Browser(ctx.app)
            let asked = try await again.signIn("admin.city", "city2026pass")
            XCTAssertEqual(asked.status, .ok)
            XCTAssertFalse(asked.body.contains("data-totp-qr"), "no new secret")
            let ticket2 = try XCTUnwrap(Browser.firstMatch(#"name="ticket" value="([^"]+)""#, in: asked.body))
            let reused = try await again.post("/login/code", ["ticket": ticket2, "code": right, "next": ""])
            XCTAssertEqual(reused.status, .unauthorized, "a code is used once")
            ctx.clock.advance(30)
            let fresh = TOTP.code(secret: secret, at: ctx.clock.now)
            let signedIn = try await again.post("/login/code", ["ticket": ticket2, "code": fresh, "next": "/audit"])
            XCTAssertEqual(signedIn.location, "/audit")
            // The ticket lasts five minutes.
            let late = Browser(ctx.app)
            let page = try await late.signIn("admin.city", "city2026pass")
            let ticket3 = try XCTUnwrap(Browser.firstMatch(#"name="ticket" value="([^"]+)""#, in: page.body))
            ctx.clock.advance(6 * 60)
            let expired = try await late.post("/login/code", ["ticket": ticket3, "code": TOTP.code(secret: secret, at: ctx.clock.now), "next": ""])
            XCTAssertEqual(expired.location, "/login?expired=1")

            // Guessing codes with the password in hand: five wrong codes in 15 minutes, then even the
            // right one is refused, and typing the password again gives no new tries.
            ctx.clock.advance(60)
            let guesser = Browser(ctx.app)
            var statuses: [HTTPStatus] = []
            for _ in 0..<3 {
                let step = try await guesser.signIn("admin.city", "city2026pass")
                let ticket = try XCTUnwrap(Browser.firstMatch(#"name="ticket" value="([^"]+)""#, in: step.body))
                for _ in 0..<2 {
                    let right = TOTP.code(secret: secret, at: ctx.clock.now)
                    statuses.append(try await guesser.post("/login/code", ["ticket": ticket, "code": right == "123456" ? "654321" : "123456", "next": ""]).status)
                }
            }
            XCTAssertEqual(statuses, [.unauthorized, .unauthorized, .unauthorized, .unauthorized, .unauthorized, .tooManyRequests])
            let step4 = try await guesser.signIn("admin.city", "city2026pass")
            let ticket4 = try XCTUnwrap(Browser.firstMatch(#"name="ticket" value="([^"]+)""#, in: step4.body))
            ctx.clock.advance(30)
            let refused = try await guesser.post("/login/code", ["ticket": ticket4, "code": TOTP.code(secret: secret, at: ctx.clock.now), "next": ""])
            XCTAssertEqual(refused.status, .tooManyRequests, "six wrong codes: the right one waits too")
            ctx.clock.advance(15 * 60)
            let page5 = try await guesser.signIn("admin.city", "city2026pass")
            let ticket5 = try XCTUnwrap(Browser.firstMatch(#"name="ticket" value="([^"]+)""#, in: page5.body))
            let after = try await guesser.post("/login/code", ["ticket": ticket5, "code": TOTP.code(secret: secret, at: ctx.clock.now), "next": ""])
            XCTAssertEqual(after.status, .seeOther, "after 15 minutes the owner's code works")
        }
    }

    /// The demo's accounts are exempt and the demo's login page says so; other staff may switch it on.
    func testDemoAccountsAreExemptAndOtherStaffMayOptIn() async throws {
        try await withApp(demo: true) { ctx in
            let admin = try await ctx.signedIn("admin")
            let got3 = try await admin.get("/home").status
            XCTAssertEqual(got3, .ok)
            ctx.app.jifenConfig.demo = true
            let login = try await Browser(ctx.app).get("/login")
            XCTAssertTrue(login.body.contains("data-demo-totp"))

            let clerk = try await ctx.signedIn("clerk.yangshe")
            let setup = try await clerk.get("/account/second-factor")
            let shown = try XCTUnwrap(Browser.firstMatch(#"data-totp-secret>([A-Z2-7 ]+)<"#, in: setup.body))
            let secret = try XCTUnwrap(TOTP.base32Decode(shown.replacingOccurrences(of: " ", with: "")))
            let on = try await clerk.post("/account/second-factor", ["code": TOTP.code(secret: secret, at: ctx.clock.now)])
            XCTAssertEqual(on.status, .seeOther)
            let got4 = try await clerk.get("/account/second-factor").body.contains(#"data-totp="on""#)
            XCTAssertTrue(got4)
            // From now on the clerk, though a demo account, types a code too.
            ctx.clock.advance(31)
            let next = try await Browser(ctx.app).signIn("clerk.yangshe", "demo12345")
            XCTAssertEqual(next.status, .ok)
            XCTAssertTrue(next.body.contains(#"name="ticket""#))
        }
    }
}

extension Browser {
    /// Signs in; where the account must first set up its second factor (an admin of a database
    /// made before accounts had one), sets it up with a code for `now` and finishes the sign-in.
    @discardableResult
    func signInSettingUpTheCode(_ login: String, _ password: String, now: Date) async throws -> Page {
        let first = try await signIn(login, password)
        guard first.status == .ok,
              let ticket = Browser.firstMatch(#"name="ticket" value="([^"]+)""#, in: first.body),
              let shown = Browser.firstMatch(#"data-totp-secret>([A-Z2-7 ]+)<"#, in: first.body),
              let secret = TOTP.base32Decode(shown.replacingOccurrences(of: " ", with: ""))
        else { return first }
        return try await post("/login/code", ["ticket": ticket, "code": TOTP.code(secret: secret, at: now), "next": ""])
    }
}
