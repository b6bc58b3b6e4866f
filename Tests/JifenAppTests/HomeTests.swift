import Fluent
@testable import JifenApp
import JifenCore
import SQLKit
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

    /// The glance read in one query is, for every resident of the demo, the glance read record
    /// by record with Fluent (registrations, permits, archive, applications, results), in every
    /// state the demo holds; by account as by resident.
    func testTheOneQueryGlanceIsTheGlanceReadRecordByRecord() async throws {
        try await withApp(demo: true, residents: 1000) { ctx in
            let db = ctx.app.db
            let today = ShanghaiDate.today(ctx.clock.now)
            func byRecords(_ resident: Resident) async throws -> CitizenGlance {
                let id = try resident.requireID()
                let current = try await ResidenceRegistration.query(on: db).filter(\.$resident.$id == id).filter(\.$toDate == nil).sort(\.$createdAt, .descending).all()
                let residence: CitizenGlance.Residence = if let r = current.first(where: { $0.status == .verified }) { .verified(since: r.fromDate) }
                    else if let r = current.first(where: { $0.status == .pending }) { .pending(due: r.dueDate) }
                    else if current.contains(where: { $0.status == .rejected }) { .rejected } else { .none }
                var permit = CitizenGlance.Permit.none
                if let p = try await ResidencePermit.query(on: db).filter(\.$resident.$id == id).sort(\.$createdAt, .descending).first() {
                    permit = switch p.status {
                    case .issued: if let until = p.validUntil, until < today { .expired(on: until) } else { .issued(validUntil: p.validUntil) }
                    case .rejected: .rejected
                    default: .inProgress(p.status)
                    }
                }
                var points = CitizenGlance.Points.none
                let archive = try await PointsArchive.query(on: db).filter(\.$resident.$id == id).first()
                if archive?.status == .ended { points = .ended }
                else if archive?.status == .cleared, let until = archive?.barredUntil, today < until { points = .barred(until: until) }
                else if let archive, archive.status == .active, archive.year == today.year { points = .archive(total: archive.total) }
                else if let a = try await PointsApplication.query(on: db).filter(\.$resident.$id == id).filter(\.$year == today.year).first(), a.status != .void {
                    points = .application(a.status)
                }
                var services = CitizenGlance.Services.none
                let applications = try await ServiceApplication.query(on: db).filter(\.$resident.$id == id).sort(\.$createdAt, .descending).all()
                if let newest = applications.first {
                    let results = try await AllocationResult.query(on: db).filter(\.$application.$id == newest.requireID()).with(\.$round) { $0.with(\.$program) }.all()
                    if let latest = results.max(by: { $0.round.runAt < $1.round.runAt }) {
                        if let code = latest.schoolCode {
                            services = .admitted(school: try await School.query(on: db).filter(\.$code == code).first()?.name ?? code)
                        } else if latest.qualified { services = .qualified }
                        else { services = latest.round.program.threshold != nil ? .notQualified : .notAdmitted }
                    } else {
                        var waiting = 0
                        for a in applications where try await AllocationResult.query(on: db).filter(\.$application.$id == a.requireID()).count() == 0 { waiting += 1 }
                        services = .waiting(count: waiting)
                    }
                }
                return CitizenGlance(residence: residence, permit: permit, points: points, services: services)
            }
            var kinds: Set<String> = []
            for resident in try await Resident.query(on: db).all() {
                let expected = try await byRecords(resident)
                let glance = try await CitizenGlance.query(resident: resident, today: today, on: db)
                XCTAssertEqual(glance, expected, resident.name)
                if let user = resident.$user.id {
                    let byAccount = try await CitizenGlance.query(user: user, today: today, on: db)
                    XCTAssertEqual(byAccount, expected, resident.name)
                }
                for part in [String(describing: glance.residence), String(describing: glance.permit), String(describing: glance.points), String(describing: glance.services)] {
                    kinds.insert(String(part.prefix { $0 != "(" }))
                }
            }
            // The demo holds most states: the comparison is not between empty glances.
            for kind in ["verified", "pending", "issued", "inProgress", "archive", "application", "waiting", "admitted", "notAdmitted"] {
                XCTAssertTrue(kinds.contains(kind), "\(kind) in \(kinds.sorted())")
            }
        }
    }

    /// Each record the home's one query joins is found by the resident's key, his newest
    /// application's or its own id, never through an index of everyone's records by status.
    func testTheGlancesQueryLooksUpOnlyTheResidentsRecords() async throws {
        guard TestDatabase.postgresURL == nil else { return }
        try await withApp { ctx in
            let sql = ctx.app.db as! any SQLDatabase
            let statement = CitizenGlance.statement("SELECT id FROM residents WHERE user_id = \(bind: UUID())", today: ShanghaiDate.today(ctx.clock.now))
            let plan = try await sql.raw("EXPLAIN QUERY PLAN " + statement).all().map { try $0.decode(column: "detail", as: String.self) }
            let searches = plan.filter { $0.hasPrefix("SEARCH") }.map { $0.replacingOccurrences(of: " LEFT-JOIN", with: "") }
            XCTAssertGreaterThan(searches.count, 8)
            for line in searches {
                XCTAssertTrue(["(user_id=?)", "(resident_id=?)", "(resident_id=? AND year=?)", "(application_id=?)", "(id=?)", "(code=?)"].contains { line.hasSuffix($0) }, line)
            }
            XCTAssertFalse(plan.contains { $0.hasPrefix("SCAN") && !$0.hasPrefix("SCAN CONSTANT") && !["me"].contains($0.split(separator: " ").dropFirst().first.map(String.init) ?? "") }, plan.joined(separator: " / "))
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
