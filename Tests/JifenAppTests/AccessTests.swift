import Fluent
@testable import JifenApp
import JifenCore
import XCTVapor

final class AccessTests: XCTestCase {
    func testEveryRegisteredRouteDeclaresWhoMayUseIt() async throws {
        try await withApp { ctx in
            // validate: walk the whole route table
            let routes = ctx.app.routes.all
            XCTAssertGreaterThan(routes.count, 10)
            let undeclared = routes.filter { $0.access == nil }.map(\.description)
            XCTAssertEqual(undeclared, [], "routes without an access rule")
        }
    }

    func testEveryLinkOfTheSiteHasARouteAndEveryRouteIsOneOfTheSite() async throws {
        try await withApp { ctx in
            // Vapor's route paths, `/programs/:code` written with its parameters' names.
            let registered = Set(ctx.app.routes.all.map { "/" + $0.path.map(\.description).joined(separator: "/") })
            let site = SiteRoute.patterns.map(\.path)
            XCTAssertEqual(Set(site).count, site.count, "each route named once")
            XCTAssertEqual(Set(site).subtracting(registered).sorted(), [], "links to paths nothing serves")
            XCTAssertEqual(registered.subtracting(site).subtracting(ApiRoute.patterns.map(\.path)).sorted(), [], "routes not named in SiteRoute or ApiRoute")
            // A link fills the same pattern with values.
            XCTAssertEqual(SiteRoute.publicity("2026-grade1", "2").path, "/publicity/2026-grade1/2")
            XCTAssertEqual(SiteRoute.programApply("2026-grade1").path, "/programs/2026-grade1/apply")
        }
    }

    func testARouteWithoutAnAccessRuleIsRefused() async throws {
        try await withApp { ctx in
            // setup: a route registered around the rule, as a careless change would
            ctx.app.get("forgotten") { _ in "secret" }
            // MUT
            let page = try await Browser(ctx.app).get("/forgotten")
            // validate: deny by default
            XCTAssertEqual(page.status, .forbidden)
            XCTAssertFalse(page.body.contains("secret"))
        }
    }

    func testAClerkOfOneTownGets404OnARecordOfAnotherTown() async throws {
        try await withApp(demo: true) { ctx in
            let browser = try await ctx.signedIn("clerk.tangqiao")
            // own town and a community under it
            let own = try await browser.get("/org/320582-02")
            XCTAssertEqual(own.status, .ok)
            XCTAssertTrue(own.body.contains("塘桥镇（高新区）"))
            let ownCommunity = try await browser.get("/org/320582-02-01")
            XCTAssertEqual(ownCommunity.status, .ok)
            // MUT: another town, a community of it, and the city above
            for path in ["/org/320582-01", "/org/320582-01-01", "/org/320582"] {
                let other = try await browser.get(path)
                XCTAssertEqual(other.status, .notFound, path)
                XCTAssertTrue(other.body.contains("页面不存在"), path)
                XCTAssertFalse(other.body.contains("杨舍镇（经开区）</h1>"), path)
            }
        }
    }

    func testAGridWorkerSeesOnlyHisGrid() async throws {
        try await withApp(demo: true) { ctx in
            let browser = try await ctx.signedIn("grid.yangshe")
            let path = "/org/320582-01-01-01"
            let mine = try await browser.get(path)
            XCTAssertEqual(mine.status, .ok)
            let neighbour = try await browser.get("/org/320582-01-01-02")
            XCTAssertEqual(neighbour.status, .notFound)
        }
    }

    func testRolesAreEnforcedOnPages() async throws {
        try await withApp(demo: true) { ctx in
            let clerk = try await ctx.signedIn("clerk.yangshe")
            let clerkAudit = try await clerk.get("/audit")
            XCTAssertEqual(clerkAudit.status, .forbidden)
            XCTAssertTrue(clerkAudit.body.contains("无权访问"))
            let clerkUsers = try await clerk.get("/admin/users")
            XCTAssertEqual(clerkUsers.status, .forbidden)

            let citizen = try await ctx.signedIn("13800000001")
            let citizenOrg = try await citizen.get("/org/320582")
            XCTAssertEqual(citizenOrg.status, .forbidden)

            let auditor = try await ctx.signedIn("auditor")
            let auditorAudit = try await auditor.get("/audit")
            XCTAssertEqual(auditorAudit.status, .ok)
            let auditorUsers = try await auditor.get("/admin/users")
            XCTAssertEqual(auditorUsers.status, .forbidden)

            let anonymous = try await Browser(ctx.app).get("/audit")
            XCTAssertEqual(anonymous.status, .seeOther)
            XCTAssertEqual(anonymous.location, "/login?next=%2Faudit")
        }
    }

    func testSignInReturnsToTheRequestedPageButNeverOffSite() async throws {
        try await withApp(demo: true) { ctx in
            let browser = Browser(ctx.app)
            try await browser.get("/login?next=%2Faudit")
            let back = try await browser.post("/login", ["login": "auditor", "password": "demo12345", "next": "/audit"])
            XCTAssertEqual(back.location, "/audit")
            let other = Browser(ctx.app)
            try await other.get("/login")
            let offsite = try await other.post("/login", ["login": "auditor", "password": "demo12345", "next": "//evil.example/x"])
            XCTAssertEqual(offsite.location, "/home")
        }
    }
}
