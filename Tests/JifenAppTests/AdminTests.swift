import Fluent
@testable import JifenApp
import JifenCore
import XCTVapor

final class AdminTests: XCTestCase {
    func testAdminCreatesAStaffAccountThatCanSignInAndTheAuditLogShowsIt() async throws {
        try await withApp(demo: true) { ctx in
            let admin = try await ctx.signedIn("admin")
            try await admin.get("/admin/users/new")
            // MUT
            let created = try await admin.post("/admin/users", [
                "login": "clerk.fenghuang", "displayName": "凤凰镇窗口", "role": "windowClerk",
                "jurisdiction": "320582-07", "department": "", "password": "fenghuang2026",
            ])
            // validate
            XCTAssertEqual(created.status, .seeOther)
            let clerk = Browser(ctx.app)
            let awaited1 = try await clerk.signIn("clerk.fenghuang", "fenghuang2026").location
            XCTAssertEqual(awaited1, "/home")
            let home = try await clerk.get("/home")
            XCTAssertTrue(home.body.contains("凤凰镇"))
            let awaited2 = try await clerk.get("/org/320582-07").status
            XCTAssertEqual(awaited2, .ok)
            let awaited3 = try await clerk.get("/org/320582-01").status
            XCTAssertEqual(awaited3, .notFound)

            let auditor = try await ctx.signedIn("auditor")
            let log = try await auditor.get("/audit?entity=user&action=create")
            XCTAssertEqual(log.status, .ok)
            XCTAssertTrue(log.body.contains("clerk.fenghuang"))
            XCTAssertTrue(log.body.contains("admin"), "the actor is shown")
            let (entries, paging) = try await AuditController.fetch(.init(entity: "user", action: "create", actor: "admin"), on: ctx.app.db)
            XCTAssertEqual(paging.total, 1)
            XCTAssertNil(entries[0].before)
            XCTAssertEqual(entries[0].after?["role"], "windowClerk")
            XCTAssertFalse((entries[0].after ?? [:]).values.contains { $0.contains("$2") }, "no password hash")
        }
    }

    /// An administrator disables an account (its sessions end, its sign-in is refused, a citizen
    /// gets a text), enables it again, and asks for a new password (nothing opens until it is set).
    func testAdminDisablesEnablesAndForcesANewPassword() async throws {
        try await withApp(demo: true) { ctx in
            let admin = try await ctx.signedIn("admin")
            let citizen = try await ctx.signedIn("13800000001")
            let clerk = try await ctx.signedIn("clerk.yangshe")
            let users = try await admin.get("/admin/users?q=13800000001")
            XCTAssertTrue(users.body.contains("data-user-actions"))
            let citizenID = try await User.find(login: "13800000001", on: ctx.app.db)!.requireID()
            let adminID = try await User.find(login: "admin", on: ctx.app.db)!.requireID()

            let disabled = try await admin.post("/admin/users/\(citizenID)/status", ["action": "disable"])
            XCTAssertEqual(disabled.status, .seeOther)
            let afterDisable = try await citizen.get("/home")
            XCTAssertEqual(afterDisable.status, .seeOther, "the session ended")
            let refused = try await Browser(ctx.app).signIn("13800000001", "demo12345")
            XCTAssertEqual(refused.status, .unauthorized)
            XCTAssertEqual(ctx.notifier.messages.last?.recipient, "13800000001")
            XCTAssertTrue(ctx.notifier.messages.last?.body.contains("停用") == true)
            let audit = try await AuditEntry.query(on: ctx.app.db).filter(\.$action == "disable").first()
            XCTAssertEqual(audit?.before?["status"], "active")
            XCTAssertEqual(audit?.after?["status"], "disabled")
            _ = try await admin.post("/admin/users/\(citizenID)/status", ["action": "enable"])
            let back = try await Browser(ctx.app).signIn("13800000001", "demo12345")
            XCTAssertEqual(back.status, .seeOther)

            let clerkID = try await User.find(login: "clerk.yangshe", on: ctx.app.db)!.requireID()
            _ = try await admin.post("/admin/users/\(clerkID)/status", ["action": "forcePasswordReset"])
            let ended = try await clerk.get("/home")
            XCTAssertEqual(ended.status, .seeOther, "the clerk's sessions ended")
            let again = try await ctx.signedIn("clerk.yangshe")
            let home = try await again.get("/home")
            XCTAssertEqual(home.location, "/account/password", "only the password page opens")
            let page = try await again.get("/account/password")
            XCTAssertTrue(page.body.contains("管理员要求您设置新密码"))
            let blocked = try await again.post("/residents/lookup", ["idNumber": "11010519491231002X"])
            XCTAssertEqual(blocked.location, "/account/password", "no form works either until the password is changed")
            _ = try await again.post("/account/password", ["current": "demo12345", "password": "clerk2026new", "passwordConfirm": "clerk2026new"])
            let free = try await again.get("/home")
            XCTAssertEqual(free.status, .ok)

            let own = try await admin.post("/admin/users/\(adminID)/status", ["action": "disable"])
            XCTAssertEqual(own.status, .badRequest, "not one's own account")
            let unknown = try await admin.post("/admin/users/\(citizenID)/status", ["action": "delete"])
            XCTAssertEqual(unknown.status, .badRequest)
            let notAdmin = try await again.post("/admin/users/\(citizenID)/status", ["action": "disable"])
            XCTAssertEqual(notAdmin.status, .forbidden)
        }
    }

    func testStaffFormShowsEachErrorBesideItsFieldAndSavesNothing() async throws {
        try await withApp(demo: true) { ctx in
            let admin = try await ctx.signedIn("admin")
            try await admin.get("/admin/users/new")
            let before = try await User.query(on: ctx.app.db).count()
            // A grid worker cannot sit at town level; a reviewer needs a department; the login is taken.
            let refused = try await admin.post("/admin/users", [
                "login": "admin", "displayName": "", "role": "departmentReviewer",
                "jurisdiction": "320582", "department": "", "password": "abc",
            ])
            XCTAssertEqual(refused.status, .badRequest)
            XCTAssertTrue(refused.body.contains(#"id="login-error">该账号已存在。"#))
            XCTAssertTrue(refused.body.contains(#"id="displayName-error">请填写姓名。"#))
            XCTAssertTrue(refused.body.contains(#"id="department-error">成员部门评分员必须选择所属部门。"#))
            XCTAssertTrue(refused.body.contains(#"id="password-error">密码至少 8 位。"#))
            XCTAssertTrue(refused.body.contains(#"<option value="departmentReviewer" selected>"#), "the choice is kept")
            let tooDeep = try await admin.post("/admin/users", [
                "login": "grid.town", "displayName": "网格", "role": "windowClerk",
                "jurisdiction": "320582-01-01", "department": "", "password": "abcdefg123",
            ])
            XCTAssertTrue(tooDeep.body.contains(#"id="jurisdiction-error">积分窗口工作人员账号最低只能设在“镇（街道）/区”一级。"#))
            let awaited4 = try await User.query(on: ctx.app.db).count()
            XCTAssertEqual(awaited4, before)
        }
    }

    func testAccountListPagesSortsAndFilters() async throws {
        try await withApp(demo: true) { ctx in
            // setup: enough grid workers for two pages
            let hash = try ctx.app.password.hash("whatever123")
            let found = try await Jurisdiction.find(code: "320582-03-01-01", on: ctx.app.db)
            let grid = try XCTUnwrap(found)
            for i in 0..<25 {
                try await User(login: String(format: "grid.w%02d", i), passwordHash: hash, displayName: "网格员\(i)", role: .gridWorker,
                               status: .active, jurisdictionID: grid.id, at: ctx.clock.now).create(on: ctx.app.db)
            }
            let city = JurisdictionCode("320582")!
            // MUT
            let first = try await UsersController.fetch(.init(role: .gridWorker, search: "", sort: .login, page: 1), scope: city, on: ctx.app.db)
            let second = try await UsersController.fetch(.init(role: .gridWorker, search: "", sort: .login, page: 2), scope: city, on: ctx.app.db)
            // validate
            XCTAssertEqual(first.paging.total, 26)
            XCTAssertEqual(first.rows.count, 20)
            XCTAssertEqual(second.rows.count, 6)
            XCTAssertEqual(first.rows.first?.0.login, "grid.w00")
            XCTAssertEqual(second.rows.last?.0.login, "grid.yangshe")
            let search = try await UsersController.fetch(.init(role: nil, search: "yangshe", sort: .login, page: nil), scope: city, on: ctx.app.db)
            XCTAssertEqual(search.rows.map(\.0.login), ["clerk.yangshe", "grid.yangshe"])
            // A town scope sees only its own people, never the citizens.
            let town = try await UsersController.fetch(.init(role: nil, search: "", sort: .login, page: nil), scope: JurisdictionCode("320582-01")!, on: ctx.app.db)
            XCTAssertEqual(town.rows.map(\.0.login), ["clerk.yangshe", "grid.yangshe"])

            let admin = try await ctx.signedIn("admin")
            let paged = try await admin.get("/admin/users?role=gridWorker&sort=login")
            XCTAssertTrue(paged.body.contains("共 26 · 页 1 / 2"))
            XCTAssertTrue(paged.body.contains(#"href="/admin/users?role=gridWorker&amp;sort=login&amp;page=2" rel="next""#), paged.body)
            let last = try await admin.get("/admin/users?role=gridWorker&sort=login&page=2")
            XCTAssertTrue(last.body.contains("grid.yangshe"))
            XCTAssertFalse(last.body.contains("grid.w00"))
            let page = try await admin.get("/admin/users?role=citizen")
            XCTAssertTrue(page.body.contains("138****0001"), "citizens' numbers are masked in the list")
            XCTAssertFalse(page.body.contains("13800000001"))
        }
    }

    func testTheAuditLogNeverShowsACitizensMobileNumber() async throws {
        try await withApp(demo: true) { ctx in
            try await Browser(ctx.app).signIn("13800000001", "demo12345")
            let auditor = try await ctx.signedIn("auditor")
            let page = try await auditor.get("/audit?action=signIn")
            XCTAssertTrue(page.body.contains("138****0001"))
            XCTAssertFalse(page.body.contains("13800000001"))
            XCTAssertTrue(page.body.contains("登录 (signIn)"), "actions are named in the reader's language")
            let entries = try await AuditEntry.query(on: ctx.app.db).all()
            XCTAssertFalse(entries.contains { $0.actorLogin.contains("13800000001") || ($0.after ?? [:]).values.contains { $0.contains("13800000001") } })
        }
    }

    func testAuditFilterRefusesABadDateBesideTheField() async throws {
        try await withApp(demo: true) { ctx in
            let auditor = try await ctx.signedIn("auditor")
            let page = try await auditor.get("/audit?from=2026-02-30")
            XCTAssertEqual(page.status, .badRequest)
            XCTAssertTrue(page.body.contains(#"id="from-error">开始日期应为日期"#))
            XCTAssertTrue(page.body.contains(#"value="2026-02-30""#))
        }
    }
}
