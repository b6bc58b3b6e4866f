import Fluent
@testable import JifenApp
import JifenCore
import XCTVapor

final class HomeTests: XCTestCase {
    /// A citizen's home says where his residence, permit, points and services stand, and offers
    /// the next step of each; the model is read without HTTP and the page words it.
    func testTheCitizensHomeShowsEachAffairAndItsNextStep() async throws {
        try await withApp(demo: true) { ctx in
            // setup: 李明, verified residence since March 2023, no permit, no points, no service
            let (citizen, resident) = try await makeApplicant(ctx)
            let today = ShanghaiDate.today(ctx.clock.now)
            // MUT
            let first = try await CitizenGlance.query(resident: resident, today: today, on: ctx.app.db)
            // validate
            XCTAssertEqual(first, CitizenGlance(residence: .verified(since: CivilDate("2023-03-01")!), permit: .none, points: .none, services: .none))
            let home = try await citizen.get("/home")
            for words in ["已核实，自 2023年3月1日 起", "尚未申请", "今年尚未申请积分", "尚未报名"] {
                XCTAssertTrue(home.body.contains(words), words)
            }
            for (label, href) in [("申请居住证", "/me/residence"), ("申请积分", "/me/points"), ("查看可报名的项目", "/programs")] {
                XCTAssertTrue(home.body.contains(#"<a class="button" href="\#(href)">\#(label)</a>"#), label)
            }
            XCTAssertFalse(home.body.contains("登记居住</a>"), "no need to register again")

            // He opens this year's points application: the next step is to go on with it.
            try await citizen.get("/me/points")
            try await citizen.post("/me/points", [:])
            let second = try await CitizenGlance.query(resident: resident, today: today, on: ctx.app.db)
            XCTAssertEqual(second.points, .application(.draft))
            let again = try await citizen.get("/home")
            XCTAssertTrue(again.body.contains(#"<a class="button" href="/me/points">继续填写</a>"#))
            // In English, the same in English.
            try await citizen.get("/lang/en?back=%2Fhome")
            let english = try await citizen.get("/home")
            XCTAssertTrue(english.body.contains("Verified, since 1 March 2023"))
            XCTAssertTrue(english.body.contains(">Apply for a permit</a>"))

            // A citizen with no record yet is told to register his residence.
            let nobody = try await CitizenGlance.query(resident: nil, today: today, on: ctx.app.db)
            XCTAssertEqual(nobody, CitizenGlance(residence: .none, permit: .none, points: .none, services: .none))
        }
    }

    /// A permit that has run out says so and offers the endorsement (签注) that renews it; points
    /// cleared after fraud say from when he may apply again, and no application is offered meanwhile.
    func testAnExpiredPermitOffersRenewalAndABarredArchiveOffersNoApplication() async throws {
        try await withApp(demo: true) { ctx in
            // setup: 李明's permit ran out yesterday
            let (citizen, resident) = try await makeApplicant(ctx)
            let today = ShanghaiDate.today(ctx.clock.now)
            let grid = try await Jurisdiction.find(code: "320582-01-01-01", on: ctx.app.db)!
            let permit = ResidencePermit()
            permit.createdAt = ctx.clock.now
            permit.number = "JZ-TEST-EXPIRED"
            permit.basis = "employment"
            permit.evidence = "劳动合同"
            permit.validUntil = today.adding(days: -1)
            permit.$resident.id = try resident.requireID()
            permit.$jurisdiction.id = try grid.requireID()
            try await permit.record(.issued, on: today.adding(days: -366), in: ctx.app.db)
            // MUT
            let glance = try await CitizenGlance.query(resident: resident, today: today, on: ctx.app.db)
            // validate
            XCTAssertEqual(glance.permit, .expired(on: today.adding(days: -1)))
            let home = try await citizen.get("/home")
            XCTAssertTrue(home.body.contains("已于 " + ShanghaiDate.long(today.adding(days: -1)) + " 过期"))
            XCTAssertTrue(home.body.contains(#"<a class="button" href="/me/residence">办理签注</a>"#))
            XCTAssertFalse(home.body.contains("有效期至"), "an expired permit is not shown as valid")

            // Fraud is found: the points are cleared and he is barred for a time.
            let service = PointsService(app: ctx.app, db: ctx.app.db, now: ctx.clock.now, actor: .system, logger: ctx.app.logger)
            let until = try await service.markFraud(resident, reason: "伪造劳动合同")
            let barred = try await CitizenGlance.query(resident: resident, today: today, on: ctx.app.db)
            XCTAssertEqual(barred.points, .barred(until: until))
            let after = try await citizen.get("/home")
            XCTAssertTrue(after.body.contains("积分已清零，" + ShanghaiDate.long(until) + " 起方可重新申请"))
            XCTAssertFalse(after.body.contains(">申请积分</a>"), "no application is offered while he is barred")
            // The day the bar ends, he may apply again.
            let free = try await CitizenGlance.query(resident: resident, today: until, on: ctx.app.db)
            XCTAssertEqual(free.points, .none)
        }
    }

    /// From November the center admin is warned that next year's holidays are missing (every
    /// working-day deadline would skip weekends only); entering the year ends the warning.
    func testTheAdminIsWarnedInNovemberWhenNextYearsCalendarIsMissing() async throws {
        try await withApp(demo: true) { ctx in
            let september = try await ctx.signedIn("admin").get("/home")
            XCTAssertFalse(september.body.contains("data-warning"), "not before November")
            // MUT: 2 November 2026, no 2027 shipped or entered
            ctx.clock.advance(42 * 86400)
            let admin = try await ctx.signedIn("admin")
            let november = try await admin.get("/home")
            XCTAssertTrue(november.body.contains("尚未录入 2027 年的节假日安排"))
            XCTAssertTrue(november.body.contains(#"<a href="/admin/calendar">"#))
            let clerk = try await ctx.signedIn("clerk.yangshe")
            let clerksHome = try await clerk.get("/home")
            XCTAssertFalse(clerksHome.body.contains("data-warning"), "the admin's task only")
            try await admin.get("/admin/calendar")
            let saved = try await admin.post("/admin/calendar", ["yaml": "2027:\n  holidays:\n    - {from: 2027-01-01, to: 2027-01-03}\n"])
            XCTAssertEqual(saved.status, .seeOther)
            let after = try await admin.get("/home")
            XCTAssertFalse(after.body.contains("data-warning"))
        }
    }
}
