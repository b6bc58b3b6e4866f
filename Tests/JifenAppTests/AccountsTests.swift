import Fluent
@testable import JifenApp
import JifenCore
import XCTVapor

final class AccountsTests: XCTestCase {
    func testLoginPageIsChineseAndCarriesACSRFToken() async throws {
        try await withApp { ctx in
            // MUT
            let page = try await Browser(ctx.app).get("/login")
            // validate
            XCTAssertEqual(page.status, .ok)
            XCTAssertTrue(page.body.contains(#"<html lang="zh-Hans">"#))
            XCTAssertTrue(page.body.contains("<h1>登录</h1>"))
            XCTAssertNotNil(Browser.firstMatch(#"name="_csrf" value="([0-9a-f]{64})""#, in: page.body))
            let cookie = page.headers.setCookie?[ctx.app.cookieName("jifen_csrf")]
            XCTAssertEqual(cookie?.isHTTPOnly, true)
            XCTAssertEqual(cookie?.sameSite, .lax)
        }
    }

    func testEachDemoAccountLandsOnItsRoleHome() async throws {
        try await withApp(demo: true) { ctx in
            let accounts = try Demo.accounts()
            XCTAssertEqual(Set(accounts.map(\.role)), Set(Role.allCases), "one demo account per role")
            for account in accounts {
                // setup
                let browser = Browser(ctx.app)
                // MUT
                let answer = try await browser.signIn(account.login, account.password)
                // validate
                XCTAssertEqual(answer.status, .seeOther, account.login)
                XCTAssertEqual(answer.location, "/home", account.login)
                let session = answer.headers.setCookie?[ctx.app.cookieName("jifen_session")]
                XCTAssertEqual(session?.isHTTPOnly, true)
                XCTAssertEqual(session?.sameSite, .lax)
                let home = try await browser.get("/home")
                XCTAssertEqual(home.status, .ok, account.login)
                XCTAssertTrue(home.body.contains(#"data-home="\#(account.role.rawValue)""#), account.login)
                XCTAssertTrue(home.body.contains(account.displayName), account.login)
            }
        }
    }

    func testWrongPasswordIsRefusedWithAMessageBesideTheField() async throws {
        try await withApp(demo: true) { ctx in
            let browser = Browser(ctx.app)
            let answer = try await browser.signIn("admin", "wrong-password-1")
            XCTAssertEqual(answer.status, .unauthorized)
            XCTAssertTrue(answer.body.contains(#"<p class="error" id="password-error">账号或密码错误。</p>"#))
            XCTAssertTrue(answer.body.contains(#"value="admin""#), "the typed login is kept")
            XCTAssertNil(browser.cookies[ctx.app.cookieName("jifen_session")])
        }
    }

    /// Wrong passwords make the next try wait longer and longer; nothing locks the account, and
    /// its owner from another address waits at most a minute however hard someone tries.
    func testRepeatedWrongPasswordsDelayTheNextTryWithoutLockingTheOwnerOut() async throws {
        try await withApp(demo: true) { ctx in
            let guesser = Browser(ctx.app, peer: "203.0.113.66")
            for _ in 1...3 {
                let answer = try await guesser.signIn("admin", "not-the-password1")
                XCTAssertEqual(answer.status, .unauthorized)
            }
            // MUT: from the third failure the next try waits (15 s, then 30 s …), even with the right password
            let refused = try await guesser.signIn("admin", "demo12345")
            XCTAssertEqual(refused.status, .tooManyRequests)
            XCTAssertTrue(refused.body.contains("登录失败次数过多"))
            XCTAssertNil(guesser.cookies[ctx.app.cookieName("jifen_session")])
            ctx.clock.advance(16)
            let fourth = try await guesser.signIn("admin", "not-the-password1")
            XCTAssertEqual(fourth.status, .unauthorized)
            ctx.clock.advance(16)
            let tooSoon = try await guesser.signIn("admin", "not-the-password1")
            XCTAssertEqual(tooSoon.status, .tooManyRequests, "the fourth failure doubles the wait to 30 s")
            // The guesser keeps going for an hour, as fast as he is let.
            for _ in 0..<40 {
                ctx.clock.advance(61)
                _ = try await guesser.signIn("admin", "not-the-password1")
            }
            let attempts = try await LoginAttempt.query(on: ctx.app.db).filter(\.$login == "admin").count()
            XCTAssertLessThan(attempts, 15, "a few tries an hour, not thousands")
            // The owner, from his own address, is never locked out for more than a minute.
            let owner = Browser(ctx.app, peer: "198.51.100.10")
            var answer = try await owner.signIn("admin", "demo12345")
            if answer.status == .tooManyRequests {
                ctx.clock.advance(60)
                answer = try await owner.signIn("admin", "demo12345")
            }
            XCTAssertEqual(answer.status, .seeOther)
            // Another account from the guesser's address is not affected by admin's failures.
            let other = try await Browser(ctx.app, peer: "203.0.113.67").signIn("auditor", "demo12345")
            XCTAssertEqual(other.status, .seeOther)
        }
    }

    /// The try is recorded before the password is checked: tries made at once all count.
    func testATryIsRecordedBeforeThePasswordIsChecked() async throws {
        try await withApp(demo: true) { ctx in
            let app = ctx.app
            let before = try await LoginAttempt.query(on: app.db).count()
            try await withThrowingTaskGroup(of: Void.self) { group in
                for i in 0..<5 {
                    group.addTask {
                        let browser = Browser(app, peer: "203.0.113.\(70 + i)")
                        _ = try await browser.signIn("edu", "not-the-password\(i)")
                    }
                }
                try await group.waitForAll()
            }
            let failures = try await LoginAttempt.query(on: app.db).filter(\.$login == "edu").filter(\.$succeeded == false).count()
            XCTAssertEqual(failures - before, 5)
            let refused = try await Browser(app, peer: "203.0.113.90").signIn("edu", "demo12345")
            XCTAssertEqual(refused.status, .tooManyRequests, "five failures on the account, all counted: the next try waits")
        }
    }

    func testManyFailuresFromOneAddressAreThrottledAcrossAccounts() async throws {
        try await withApp(demo: true) { ctx in
            let browser = Browser(ctx.app)
            for i in 0..<20 {
                let answer = try await browser.signIn("nobody\(i)", "not-the-password1")
                XCTAssertEqual(answer.status, .unauthorized)
            }
            let refused = try await browser.signIn("auditor", "demo12345")
            XCTAssertEqual(refused.status, .tooManyRequests)
        }
    }

    func testPostWithoutCSRFTokenIsRefused() async throws {
        try await withApp(demo: true) { ctx in
            let browser = Browser(ctx.app)
            try await browser.get("/login")
            // MUT
            let missing = try await browser.post("/login", ["login": "admin", "password": "demo12345"], csrf: false)
            let forged = try await browser.post("/login", ["login": "admin", "password": "demo12345", "_csrf": String(repeating: "0", count: 64)])
            // validate
            XCTAssertEqual(missing.status, .forbidden)
            XCTAssertTrue(missing.body.contains("表单已过期"))
            XCTAssertEqual(forged.status, .forbidden)
            XCTAssertNil(browser.cookies[ctx.app.cookieName("jifen_session")])
            // A token from another browser does not work either.
            let other = Browser(ctx.app)
            try await other.get("/login")
            let stolen = try await browser.post("/login", ["login": "admin", "password": "demo12345", "_csrf": other.csrf!])
            XCTAssertEqual(stolen.status, .forbidden)
        }
    }

    /// The token is bound to the session: one taken from a page before sign-in (same browser,
    /// same browser cookie) no longer works once the session changes.
    func testATokenFromBeforeSignInDiesWithSignIn() async throws {
        try await withApp(demo: true) { ctx in
            // setup
            let browser = Browser(ctx.app)
            try await browser.get("/login")
            let before = try XCTUnwrap(browser.csrf)
            let signedIn = try await browser.post("/login", ["login": "admin", "password": "demo12345"])
            XCTAssertEqual(signedIn.status, .seeOther)
            // MUT
            let stale = try await browser.post("/logout", ["_csrf": before])
            // validate
            XCTAssertEqual(stale.status, .forbidden)
            let stillIn = try await browser.get("/home")
            XCTAssertEqual(stillIn.status, .ok, "the refused request changed nothing")
            let after = try XCTUnwrap(browser.csrf)
            XCTAssertNotEqual(after, before, "pages after sign-in carry a new token")
            let fresh = try await browser.post("/logout", [:])
            XCTAssertEqual(fresh.status, .seeOther, "the current token works")
        }
    }

    func testLogoutEndsTheSessionInTheDatabase() async throws {
        try await withApp(demo: true) { ctx in
            let browser = try await ctx.signedIn("admin")
            let token = try XCTUnwrap(browser.cookies[ctx.app.cookieName("jifen_session")])
            try await browser.get("/home")
            let awaited1 = try await UserSession.query(on: ctx.app.db).count()
            XCTAssertEqual(awaited1, 1)
            // MUT
            let answer = try await browser.post("/logout", [:])
            // validate
            XCTAssertEqual(answer.status, .seeOther)
            let awaited2 = try await UserSession.query(on: ctx.app.db).count()
            XCTAssertEqual(awaited2, 0)
            let awaited3 = try await browser.get("/home").location?.hasPrefix("/login")
            XCTAssertEqual(awaited3, true)
            // The old token is dead even if someone kept it.
            let replay = Browser(ctx.app)
            _ = try await replay.get("/login")
            var headers = HTTPHeaders()
            headers.add(name: .cookie, value: "\(ctx.app.cookieName("jifen_session"))=\(token)")
            let res = try await ctx.app.testable().performTest(request: .init(method: .GET, url: .init(path: "/home"), headers: headers, body: ByteBuffer()))
            XCTAssertEqual(res.status, .seeOther)
        }
    }

    func testIdleSessionExpires() async throws {
        try await withApp(demo: true) { ctx in
            let browser = try await ctx.signedIn("auditor")
            let awaited4 = try await browser.get("/home").status
            XCTAssertEqual(awaited4, .ok)
            ctx.clock.advance(121 * 60)
            let awaited5 = try await browser.get("/home").status
            XCTAssertEqual(awaited5, .seeOther)
        }
    }

    /// Where a language switch or a sign-in sends the browser back stays on this site: an address
    /// with a tab or line break (which browsers drop: `/<TAB>/evil.example` is `//evil.example`),
    /// a leading `//` or a backslash goes home instead.
    func testRedirectsAfterALanguageSwitchOrASignInStayOnTheSite() async throws {
        try await withApp(demo: true) { ctx in
            let browser = Browser(ctx.app)
            for bad in ["/%09/evil.example", "/%0A/evil.example", "/%0D/evil.example", "/%20/evil.example", "//evil.example", "/%5Cevil.example"] {
                let answer = try await browser.get("/lang/en?back=" + bad)
                XCTAssertEqual(answer.location, "/", bad)
            }
            let fine = try await browser.get("/lang/zh?back=%2Fprograms%3Fyear%3D2026")
            XCTAssertEqual(fine.location, "/programs?year=2026", "a path of the site is kept")
            try await browser.get("/login")
            let signedIn = try await browser.post("/login", ["login": "admin", "password": "demo12345", "next": "/\t/evil.example"])
            XCTAssertEqual(signedIn.status, .seeOther)
            XCTAssertEqual(signedIn.location, "/home")
        }
    }

    func testCitizenRegistersWithACodeSentThroughTheOutbox() async throws {
        try await withApp { ctx in
            let browser = Browser(ctx.app)
            try await browser.get("/register")
            // MUT: register
            let registered = try await browser.post("/register", [
                "phone": "13912345678", "displayName": "王小红", "password": "hong2026ab", "passwordConfirm": "hong2026ab", "acceptPrivacy": "on",
            ])
            XCTAssertEqual(registered.status, .seeOther)
            XCTAssertEqual(registered.location, "/register/verify?phone=13912345678")
            // validate: the code went through the notifier into the outbox
            let message = try XCTUnwrap(ctx.notifier.messages.last)
            XCTAssertEqual(message.recipient, "13912345678")
            let code = try XCTUnwrap(Browser.firstMatch("验证码是 ([0-9]{6})", in: message.body))
            // The outbox keeps the text sealed: the code is not in it in clear.
            let outbox = try await OutboxMessage.query(on: ctx.app.db).all()
            XCTAssertEqual(outbox.count, 1)
            XCTAssertEqual(outbox.first?.sealed, true)
            XCTAssertFalse(outbox.first?.body.contains(code) ?? true)
            XCTAssertEqual(try ctx.app.personalData.open(outbox[0].body), message.body)
            // Pending accounts cannot sign in yet.
            let early = try await Browser(ctx.app).signIn("13912345678", "hong2026ab")
            XCTAssertEqual(early.status, .unauthorized)
            XCTAssertTrue(early.body.contains("尚未完成验证"))
            // A wrong code is refused beside the field.
            try await browser.get("/register/verify?phone=13912345678")
            let wrongCode = code == "000000" ? "111111" : "000000"
            let wrong = try await browser.post("/register/verify", ["phone": "13912345678", "code": wrongCode])
            XCTAssertEqual(wrong.status, .badRequest)
            XCTAssertTrue(wrong.body.contains(#"id="code-error">验证码不正确，还可尝试 4 次。"#), wrong.body)
            // MUT: the right code activates and signs in
            let confirmed = try await browser.post("/register/verify", ["phone": "13912345678", "code": code])
            XCTAssertEqual(confirmed.status, .seeOther)
            XCTAssertEqual(confirmed.location, "/home")
            let home = try await browser.get("/home")
            XCTAssertTrue(home.body.contains(#"data-home="citizen""#))
            // validate: the audit trail holds both changes, without the password hash
            let entries = try await AuditEntry.query(on: ctx.app.db).filter(\.$entity == "user").sort(\.$at).all()
            XCTAssertEqual(entries.map(\.action), ["register", "confirmPhone"])
            XCTAssertEqual(entries[1].after?["status"], "active")
            XCTAssertEqual(entries[1].before?["status"], "pending")
            XCTAssertFalse(entries.contains { ($0.after ?? [:]).values.contains { $0.contains("$2") } }, "no password hash in the audit log")
            XCTAssertFalse(entries.contains { ($0.after ?? [:]).values.contains { $0.contains("13912345678") } }, "the phone number is masked in the audit log")
        }
    }

    func testRegistrationShowsEachFieldsErrorAndKeepsWhatWasTyped() async throws {
        try await withApp { ctx in
            let browser = Browser(ctx.app)
            try await browser.get("/register")
            let answer = try await browser.post("/register", [
                "phone": "1234", "displayName": "张三", "password": "short", "passwordConfirm": "other", "acceptPrivacy": "on",
            ])
            XCTAssertEqual(answer.status, .badRequest)
            XCTAssertTrue(answer.body.contains(#"id="phone-error">手机号应为 11 位中国大陆手机号码。"#))
            XCTAssertTrue(answer.body.contains(#"id="password-error">密码至少 8 位。"#))
            XCTAssertTrue(answer.body.contains(#"id="passwordConfirm-error">两次输入的密码不一致。"#))
            XCTAssertFalse(answer.body.contains(#"id="displayName-error""#))
            XCTAssertTrue(answer.body.contains(#"value="1234""#))
            XCTAssertTrue(answer.body.contains(#"value="张三""#))
            let awaited6 = try await User.query(on: ctx.app.db).count()
            XCTAssertEqual(awaited6, 0, "nothing half-saved")
            XCTAssertTrue(ctx.notifier.messages.isEmpty)
        }
    }

    /// Nothing is kept, and no text sent, before the privacy notice is accepted; the version
    /// accepted is kept with the account; passwords are stored as bcrypt hashes only.
    func testRegistrationNeedsThePrivacyNoticeAndKeepsItsVersion() async throws {
        try await withApp { ctx in
            let browser = Browser(ctx.app)
            try await browser.get("/register")
            let form = ["phone": "13912345670", "displayName": "王小红", "password": "hong2026ab", "passwordConfirm": "hong2026ab"]
            let refused = try await browser.post("/register", form)
            XCTAssertEqual(refused.status, .badRequest)
            XCTAssertTrue(refused.body.contains(#"id="acceptPrivacy-error">请阅读并同意《个人信息处理规则》后再注册。"#), refused.body)
            let users = try await User.query(on: ctx.app.db).count()
            XCTAssertEqual(users, 0, "nothing kept")
            XCTAssertTrue(ctx.notifier.messages.isEmpty, "no text sent")
            let notice = try await Browser(ctx.app).get("/privacy")
            XCTAssertTrue(notice.body.contains("敏感个人信息"))
            _ = try await browser.post("/register", form.merging(["acceptPrivacy": "on"]) { $1 })
            let code = try XCTUnwrap(Browser.firstMatch("验证码是 ([0-9]{6})", in: ctx.notifier.messages.last?.body ?? ""))
            try await browser.get("/register/verify?phone=13912345670")
            _ = try await browser.post("/register/verify", ["phone": "13912345670", "code": code])
            let user = try await User.find(login: "13912345670", on: ctx.app.db)
            XCTAssertEqual(user?.privacyVersion, PrivacyNotice.version)
            XCTAssertNotNil(user?.privacyAcceptedAt)
            XCTAssertTrue(user?.passwordHash.hasPrefix("$2b$") == true, "a bcrypt hash")
            XCTAssertTrue(try Bcrypt.verify("hong2026ab", created: user?.passwordHash ?? ""))
        }
    }

    func testRegisteringATakenNumberIsRefused() async throws {
        try await withApp(demo: true) { ctx in
            let browser = Browser(ctx.app)
            try await browser.get("/register")
            let answer = try await browser.post("/register", [
                "phone": "13800000001", "displayName": "李明", "password": "liming2026", "passwordConfirm": "liming2026", "acceptPrivacy": "on",
            ])
            XCTAssertEqual(answer.status, .badRequest)
            XCTAssertTrue(answer.body.contains("该手机号已注册"))
        }
    }

    func testLanguageSwitchShowsEnglishFromTheSameCatalog() async throws {
        try await withApp { ctx in
            let browser = Browser(ctx.app)
            let switched = try await browser.get("/lang/en?back=%2Flogin")
            XCTAssertEqual(switched.location, "/login")
            let page = try await browser.get("/login")
            XCTAssertTrue(page.body.contains(#"<html lang="en">"#))
            XCTAssertTrue(page.body.contains("<h1>Sign in</h1>"))
            // An outside address is never followed.
            let awaited7 = try await browser.get("/lang/zh?back=https%3A%2F%2Fevil.example").location
            XCTAssertEqual(awaited7, "/")
        }
    }
}

final class NavigationTests: XCTestCase {
    /// The centre's fifteen entries come as a few menus by task; a citizen's few stay links.
    func testStaffWithManyEntriesGetMenusByTaskAndEveryEntryStaysReachable() async throws {
        try await withApp(demo: true) { ctx in
            // setup
            let admin = try await ctx.signedIn("admin")
            // MUT
            let page = try await admin.get("/points/review")
            // validate
            let start = try XCTUnwrap(page.body.range(of: "<nav"))
            let end = try XCTUnwrap(page.body.range(of: "</nav>", range: start.upperBound..<page.body.endIndex))
            let nav = String(page.body[start.lowerBound..<end.upperBound])
            let menus = Browser.allMatches(#"<summary(?: aria-current="true")?>([^<]+)</summary>"#, in: nav)
            XCTAssertEqual(menus, ["居住", "积分", "项目", "评估", "管理"])
            XCTAssertTrue(nav.contains(#"<summary aria-current="true">积分</summary>"#), "the menu holding this page is marked")
            for path in ["/home", "/registrations", "/houses", "/permits", "/points/applications", "/points/review", "/feeds", "/standards",
                         "/programs", "/services-by-points", "/dashboard", "/surveys", "/admin/users", "/admin/calendar", "/audit"] {
                XCTAssertTrue(nav.contains(#"href="\#(path)""#), path)
            }
            let citizen = try await ctx.signedIn("13800000001")
            let home = try await citizen.get("/home")
            XCTAssertFalse(home.body.contains("<summary"), "a citizen's entries are plain links")
            XCTAssertTrue(home.body.contains(#"href="/me/points""#))
        }
    }
}

final class PasswordTests: XCTestCase {
    func testChangingThePasswordEndsOtherSessionsAndTheOldPasswordStopsWorking() async throws {
        try await withApp(demo: true) { ctx in
            let phone = try await ctx.signedIn("clerk.yangshe")
            let desk = try await ctx.signedIn("clerk.yangshe")
            try await desk.get("/account/password")
            // refused: wrong current password, beside its field
            let wrong = try await desk.post("/account/password", ["current": "guess1234", "password": "newpass2026", "passwordConfirm": "newpass2026"])
            XCTAssertEqual(wrong.status, .badRequest)
            XCTAssertTrue(wrong.body.contains(#"id="current-error">当前密码不正确。"#))
            // MUT
            let changed = try await desk.post("/account/password", ["current": "demo12345", "password": "newpass2026", "passwordConfirm": "newpass2026"])
            XCTAssertEqual(changed.status, .seeOther)
            // validate
            let deskHome = try await desk.get("/home")
            XCTAssertEqual(deskHome.status, .ok, "this session goes on")
            let phoneHome = try await phone.get("/home")
            XCTAssertEqual(phoneHome.status, .seeOther, "the other session ended")
            let old = try await Browser(ctx.app).signIn("clerk.yangshe", "demo12345")
            XCTAssertEqual(old.status, .unauthorized)
            let new = try await Browser(ctx.app).signIn("clerk.yangshe", "newpass2026")
            XCTAssertEqual(new.status, .seeOther)
            let audited = try await AuditEntry.query(on: ctx.app.db).filter(\.$action == "changePassword").count()
            XCTAssertEqual(audited, 1)
        }
    }
}
