import Fluent
@testable import JifenApp
import JifenCore
import XCTVapor

final class ResidenceTests: XCTestCase {
    /// A valid number for a test person (Anhui, Fuyang district code 341202).
    static func idNumber(_ birth: String = "19900315", sequence: String = "123") -> String {
        let first17 = "341202" + birth + sequence
        return first17 + String(ResidentID.checkDigit(first17)!)
    }

    func testDeclareVerifyApplyAndIssueAcrossRolesAndJurisdictions() async throws {
        try await withApp(demo: true) { ctx in
            let number = Self.idNumber()
            // The citizen records his identity and declares where he lives (moved in a year ago).
            let citizen = try await ctx.signedIn("13800000001")
            try await citizen.get("/me/residence")
            let saved = try await citizen.post("/me/identity", ["name": "李明", "idNumber": number])
            XCTAssertEqual(saved.status, .seeOther)
            let page = try await citizen.get("/me/residence")
            XCTAssertTrue(page.body.contains("3412**********"), "masked")
            XCTAssertFalse(page.body.contains(number), "never in full on his own page either")
            let declared = try await citizen.post("/me/residence", ["address": "城北社区3幢2单元501室", "grid": "320582-01-01-01", "from": "2025-09-01"])
            XCTAssertEqual(declared.status, .seeOther)
            // Applying now is refused: the registration is not verified yet.
            try await citizen.get("/me/residence")
            let early = try await citizen.post("/me/permit", ["basis": "employment", "evidence": "劳动合同 2025-118"])
            XCTAssertEqual(early.status, .badRequest)
            XCTAssertTrue(early.body.contains("经核实、正在居住的居住登记"))

            // Another grid's worker neither sees nor decides it.
            let hash = try ctx.app.password.hash("grid2pass123")
            let otherGrid = try await Jurisdiction.find(code: "320582-01-01-02", on: ctx.app.db)
            try await User(login: "grid.other", passwordHash: hash, displayName: "城北社区第二网格员", role: .gridWorker, status: .active,
                           jurisdictionID: otherGrid?.id, at: ctx.clock.now).create(on: ctx.app.db)
            let other = Browser(ctx.app)
            try await other.signIn("grid.other", "grid2pass123")
            let otherList = try await other.get("/registrations")
            XCTAssertFalse(otherList.body.contains("城北社区3幢2单元501室"))
            let registration = try await ResidenceRegistration.query(on: ctx.app.db).filter(\.$address == "城北社区3幢2单元501室").first()!
            let regID = try registration.requireID().uuidString
            let refused = try await other.post("/registrations/\(regID)/decision", ["decision": "verify", "method": "visit"])
            XCTAssertEqual(refused.status, .notFound)

            // His grid worker verifies it by a visit.
            let worker = try await ctx.signedIn("grid.yangshe")
            let queue = try await worker.get("/registrations")
            XCTAssertTrue(queue.body.contains("城北社区3幢2单元501室"))
            XCTAssertTrue(queue.body.contains("核实期限 2026-09-28"), "due 7 days after the declaration")
            let noMethod = try await worker.post("/registrations/\(regID)/decision", ["decision": "reject"])
            XCTAssertEqual(noMethod.status, .badRequest)
            XCTAssertTrue(noMethod.body.contains("请选择核实方式"))
            XCTAssertTrue(noMethod.body.contains("请填写原因"))
            let verified = try await worker.post("/registrations/\(regID)/decision", ["decision": "verify", "method": "visit"])
            XCTAssertEqual(verified.status, .seeOther)

            // Now the permit: more than six months registered, with a basis and evidence.
            try await citizen.get("/me/residence")
            let applied = try await citizen.post("/me/permit", ["basis": "employment", "evidence": "劳动合同 2025-118"])
            XCTAssertEqual(applied.status, .seeOther)

            // A clerk of another town cannot touch it; the town's clerk takes it to issue.
            let permit = try await ResidencePermit.query(on: ctx.app.db).first()!
            let permitID = try permit.requireID().uuidString
            let stranger = try await ctx.signedIn("clerk.tangqiao")
            let strangerList = try await stranger.get("/permits")
            XCTAssertFalse(strangerList.body.contains(permit.number))
            try await stranger.get("/permits")
            let strangerAdvance = try await stranger.post("/permits/\(permitID)/advance", [:])
            XCTAssertEqual(strangerAdvance.status, .notFound)
            let clerk = try await ctx.signedIn("clerk.yangshe")
            for _ in 0..<4 {
                try await clerk.get("/permits")
                let step = try await clerk.post("/permits/\(permitID)/advance", [:])
                XCTAssertEqual(step.status, .seeOther)
            }
            let issued = try await ResidencePermit.query(on: ctx.app.db).filter(\.$id == permit.requireID()).with(\.$steps).first()!
            XCTAssertEqual(issued.status, .issued)
            XCTAssertEqual(issued.orderedSteps.map(\.step), [.submitted, .accepted, .inProduction, .ready, .issued])
            XCTAssertEqual(issued.orderedSteps.map(\.day), Array(repeating: ShanghaiDate.today(ctx.clock.now), count: 5))
            // 15 working days from Monday 2026-09-21 on the shipped 2026 calendar: 22–24 (Mid-Autumn
            // 25–27 off), 28–30, (National Day 1–7 off), 8, 9, Saturday 10 (worked), 12–16, 19.
            XCTAssertEqual(issued.productionDue, CivilDate("2026-10-19"))
            let mine = try await citizen.get("/me/residence")
            XCTAssertTrue(mine.body.contains("已发放"))
            XCTAssertTrue(mine.body.contains("有效期至 2027-09-20"))

            // Window staff see the residence time detail; the full number only on request, logged.
            let residentID = try registration.$resident.id.uuidString
            let detail = try await clerk.get("/residents/\(residentID)")
            XCTAssertTrue(detail.body.contains("3412**********"))
            XCTAssertFalse(detail.body.contains(number))
            let before = try await AccessLogEntry.query(on: ctx.app.db).count()
            XCTAssertEqual(before, 0)
            let full = try await clerk.get("/residents/\(residentID)?show=id")
            XCTAssertTrue(full.body.contains(number))
            let logged = try await AccessLogEntry.query(on: ctx.app.db).all()
            XCTAssertEqual(logged.map(\.actorLogin), ["clerk.yangshe"])
            XCTAssertEqual(logged.first?.field, "idNumber")
            // A grid worker does not get the full number even when asking.
            let gridView = try await worker.get("/residents/\(residentID)?show=id")
            XCTAssertFalse(gridView.body.contains(number))
            let strangerDetail = try await stranger.get("/residents/\(residentID)")
            XCTAssertEqual(strangerDetail.status, .notFound)
            // The clerk finds him by ID number at the counter; the search is logged. Another town's clerk does not.
            try await clerk.get("/registrations")
            let found = try await clerk.post("/residents/lookup", ["idNumber": number])
            XCTAssertEqual(found.location, "/residents/\(residentID)")
            try await stranger.get("/registrations")
            let notFound = try await stranger.post("/residents/lookup", ["idNumber": number])
            XCTAssertEqual(notFound.status, .notFound)
            XCTAssertTrue(notFound.body.contains("没有找到"))
            let lookups = try await AccessLogEntry.query(on: ctx.app.db).filter(\.$field == "idNumberLookup").count()
            XCTAssertEqual(lookups, 2)
        }
    }

    func testADeclarationNotVerifiedInSevenDaysIsOverdueForTheGridAndTheTown() async throws {
        try await withApp(demo: true) { ctx in
            let citizen = try await ctx.signedIn("13800000001")
            try await citizen.get("/me/residence")
            try await citizen.post("/me/identity", ["name": "李明", "idNumber": Self.idNumber()])
            try await citizen.post("/me/residence", ["address": "南苑社区1幢101室", "grid": "320582-01-02-01", "from": "2026-09-01"])
            let clerk = try await ctx.signedIn("clerk.yangshe")
            let fresh = try await clerk.get("/registrations")
            XCTAssertFalse(fresh.body.contains("已超期"))
            // MUT: eight days pass (sessions end meanwhile: sign in again)
            ctx.clock.advance(8 * 24 * 3600)
            try await clerk.signIn("clerk.yangshe", "demo12345")
            let late = try await clerk.get("/registrations")
            XCTAssertTrue(late.body.contains("超过 7 天未核实： <strong>1</strong>"), late.body)
            XCTAssertTrue(late.body.contains(#"<li class="overdue""#))
            XCTAssertTrue(late.body.contains("已超期"))
            let worker = try await ctx.signedIn("grid.yangshe")
            let gridList = try await worker.get("/registrations")
            XCTAssertFalse(gridList.body.contains("南苑社区1幢101室"), "another community's grid is not his")
        }
    }

    func testABadIDNumberIsRefusedBesideTheFieldAndNotEchoed() async throws {
        try await withApp(demo: true) { ctx in
            let before = try await Resident.query(on: ctx.app.db).count()
            let citizen = try await ctx.signedIn("13800000001")
            try await citizen.get("/me/residence")
            let wrong = "110105194912310021"
            let refused = try await citizen.post("/me/identity", ["name": "李明", "idNumber": wrong])
            XCTAssertEqual(refused.status, .badRequest)
            XCTAssertTrue(refused.body.contains(#"id="idNumber-error">身份证号码：校验码错误"#))
            XCTAssertFalse(refused.body.contains(wrong))
            XCTAssertTrue(refused.body.contains(#"value="李明""#))
            let count = try await Resident.query(on: ctx.app.db).count()
            XCTAssertEqual(count, before, "nothing saved")
        }
    }

    func testTheDemoHasResidentsInEveryState() async throws {
        try await withApp(demo: true, residents: 300) { ctx in
            let residents = try await Resident.query(on: ctx.app.db).count()
            XCTAssertEqual(residents, 300 + DemoCommunity.tenants.count + DemoOffers.residents, "generated, declared by the demo's landlords, and its parent with an offer")
            for status in ResidenceRegistration.Status.allCases {
                let n = try await ResidenceRegistration.query(on: ctx.app.db).filter(\.$status == status).count()
                XCTAssertGreaterThan(n, 0, status.rawValue)
            }
            let today = ShanghaiDate.today(ctx.clock.now)
            let overdue = try await ResidenceRegistration.query(on: ctx.app.db).filter(\.$status == .pending).filter(\.$dueDate < today).count()
            XCTAssertGreaterThan(overdue, 0)
            let movedOut = try await ResidenceRegistration.query(on: ctx.app.db).filter(\.$toDate != nil).count()
            XCTAssertGreaterThan(movedOut, 0)
            for status in ResidencePermit.Status.allCases {
                let n = try await ResidencePermit.query(on: ctx.app.db).filter(\.$status == status).count()
                XCTAssertGreaterThan(n, 0, status.rawValue)
            }
        }
    }
}

final class HouseholdTests: XCTestCase {
    func testAChildIsStoredSealedAndShownMasked() async throws {
        try await withApp(demo: true) { ctx in
            let citizen = try await ctx.signedIn("13800000001")
            try await citizen.get("/me/residence")
            try await citizen.post("/me/identity", ["name": "李明", "idNumber": ResidenceTests.idNumber()])
            try await citizen.get("/me/residence")
            let child = ResidenceTests.idNumber("20180601", sequence: "024")
            // MUT
            let added = try await citizen.post("/me/household", ["relation": "child", "name": "李小雨", "idNumber": child, "evidence": "birthCertificate"])
            XCTAssertEqual(added.status, .seeOther)
            // validate: shown masked, stored sealed
            let page = try await citizen.get("/me/residence")
            XCTAssertTrue(page.body.contains("李*雨"))
            XCTAssertTrue(page.body.contains("未成年"))
            XCTAssertFalse(page.body.contains("李小雨"))
            XCTAssertFalse(page.body.contains(child))
            let stored = try await HouseholdMember.query(on: ctx.app.db).first()
            XCTAssertNotNil(stored)
            XCTAssertFalse(stored!.nameSealed.contains("李小雨"))
            XCTAssertEqual(try ctx.app.personalData.open(stored!.nameSealed), "李小雨")
            XCTAssertEqual(try ctx.app.personalData.open(stored!.idSealed), child)
            // A "child" older than the parent is refused beside the field; nothing saved.
            let older = ResidenceTests.idNumber("19800101", sequence: "035")
            let refused = try await citizen.post("/me/household", ["relation": "child", "name": "李大", "idNumber": older, "evidence": "birthCertificate"])
            XCTAssertEqual(refused.status, .badRequest)
            XCTAssertTrue(refused.body.contains(#"id="member-idNumber-error">子女应比您至少小 14 岁"#))
            let count = try await HouseholdMember.query(on: ctx.app.db).count()
            XCTAssertEqual(count, 1)
        }
    }
}

final class CalendarAdminTests: XCTestCase {
    func testAnAdminEntersAYearAndDeadlinesCountOnIt() async throws {
        try await withApp(demo: true) { ctx in
            let admin = try await ctx.signedIn("admin")
            let page = try await admin.get("/admin/calendar")
            XCTAssertTrue(page.body.contains("2025"))
            // refused: 2 月 30 日, named by line and field
            let refused = try await admin.post("/admin/calendar", ["yaml": "2026:\n  holidays:\n    - 2026-02-30\n"])
            XCTAssertEqual(refused.status, .badRequest)
            XCTAssertTrue(refused.body.contains("行 3"))
            XCTAssertTrue(refused.body.contains("2026.holidays[0]"))
            let req = Request(application: ctx.app, on: ctx.app.eventLoopGroup.next())
            let shipped = try await req.workingCalendar()
            XCTAssertTrue(shipped.isWorkingDay(CivilDate("2026-10-08")!), "the shipped 2026 ends National Day on the 7th")
            // MUT: a city's own 2026 National Day week replaces the shipped one
            let saved = try await admin.post("/admin/calendar", ["yaml": "2026:\n  holidays:\n    - {from: 2026-10-01, to: 2026-10-08}\n  workdays: [2026-09-27, 2026-10-10]\n"])
            XCTAssertEqual(saved.status, .seeOther)
            let merged = try await req.workingCalendar()
            XCTAssertTrue(merged.knows(2026))
            XCTAssertFalse(merged.isWorkingDay(CivilDate("2026-10-08")!), "the entered year wins over the shipped one")
            XCTAssertFalse(merged.isWorkingDay(CivilDate("2026-09-20")!), "the shipped adjusted Sunday is gone")
            XCTAssertTrue(merged.isWorkingDay(CivilDate("2026-09-27")!), "a Sunday worked")
            // 15 working days from Monday 2026-09-21: 22–25, Sun 27, 28–30, (1–8 off), 9, Sat 10, 12–16.
            let due = merged.adding(workingDays: 15, to: CivilDate("2026-09-21")!)
            XCTAssertEqual(due.date, CivilDate("2026-10-16"))
            XCTAssertTrue(due.isCertain)
            let cityClerk = try await ctx.signedIn("clerk.yangshe")
            let forbidden = try await cityClerk.get("/admin/calendar")
            XCTAssertEqual(forbidden.status, .forbidden)
        }
    }
}

final class EndorsementTests: XCTestCase {
    func testAnIssuedPermitIsEndorsedInItsLastSixtyDaysForAnotherYear() async throws {
        try await withApp(demo: true) { ctx in
            // setup: a resident with a verified registration and an issued permit valid until 2026-11-30
            let user = try await User.find(login: "13800000001", on: ctx.app.db)!
            let id = try ResidentID.validate(ResidenceTests.idNumber(), today: CivilDate("2026-09-21")!, regions: IdCLI.loadRegions()).get()
            let resident = try Resident(name: "李明", id: id, phone: nil, userID: user.id, data: ctx.app.personalData, at: ctx.clock.now)
            try await resident.create(on: ctx.app.db)
            let grid = try await Jurisdiction.find(code: "320582-01-01-01", on: ctx.app.db)!
            let registration = ResidenceRegistration()
            registration.createdAt = ctx.clock.now; registration.address = "城北社区1幢101室"; registration.fromDate = CivilDate("2024-01-01")!
            registration.source = .gridWorker; registration.status = .verified; registration.dueDate = CivilDate("2024-01-08")!
            registration.$resident.id = resident.id!; registration.$jurisdiction.id = grid.id!
            try await registration.create(on: ctx.app.db)
            let permit = ResidencePermit()
            permit.createdAt = ctx.clock.now; permit.number = "JZ-TEST-1"; permit.basis = "employment"; permit.evidence = "劳动合同"
            permit.validUntil = CivilDate("2026-11-30")!
            permit.$resident.id = resident.id!; permit.$jurisdiction.id = grid.id!
            try await permit.record(.issued, on: CivilDate("2025-12-01")!, in: ctx.app.db)

            let citizen = try await ctx.signedIn("13800000001")
            // 2026-09-21 is 70 days before the end: too early.
            try await citizen.get("/me/residence")
            let early = try await citizen.post("/me/permit/endorse", [:])
            XCTAssertEqual(early.status, .badRequest)
            XCTAssertTrue(early.body.contains("有效期届满前 60 天内才能签注"))
            // MUT: 20 days later it opens
            ctx.clock.advance(20 * 24 * 3600)
            try await citizen.signIn("13800000001", "demo12345")
            let page = try await citizen.get("/me/residence")
            XCTAssertTrue(page.body.contains("办理签注"))
            let endorsed = try await citizen.post("/me/permit/endorse", [:])
            XCTAssertEqual(endorsed.status, .seeOther)
            let stored = try await ResidencePermit.query(on: ctx.app.db).filter(\.$id == permit.requireID()).with(\.$steps).first()!
            XCTAssertEqual(stored.validUntil, CivilDate("2027-11-30"))
            XCTAssertEqual(stored.orderedSteps.map(\.step), [.issued, .endorsed])
            XCTAssertEqual(stored.status, .issued, "an endorsement leaves the status")
            let after = try await citizen.get("/me/residence")
            XCTAssertTrue(after.body.contains("已签注"))
            XCTAssertTrue(after.body.contains("有效期至 2027-11-30"))
        }
    }
}

/// An account is bound to one person at most: every page finds a citizen's record by his account.
final class ResidentAccountTests: XCTestCase {
    func person(_ ctx: TestContext, _ name: String, _ idNumber: String, user: UUID?) throws -> Resident {
        guard case .success(let id) = ResidentID.validate(idNumber, today: ShanghaiDate.today(ctx.clock.now), regions: ctx.app.regions) else {
            throw Abort(.badRequest)
        }
        return try Resident(name: name, id: id, phone: nil, userID: user, data: ctx.app.personalData, at: ctx.clock.now)
    }

    /// What a tab of its own answers: it signs in, opens `page` and posts `form` to `action`.
    static func tab(_ app: Application, _ login: String, _ password: String = "demo12345",
                    opens page: String, posts form: [String: String], to action: String) async throws -> (status: HTTPStatus, body: String) {
        let tab = Browser(app)
        try await tab.signIn(login, password)
        try await tab.get(page)
        let answer = try await tab.post(action, form)
        return (answer.status, answer.body)
    }

    /// 李明's identity declared with `number` from a tab of its own.
    static func declare(_ app: Application, _ login: String, _ password: String = "demo12345", number: String) async throws -> (status: HTTPStatus, body: String) {
        try await tab(app, login, password, opens: "/me/residence", posts: ["name": "李明", "idNumber": number], to: "/me/identity")
    }

    /// How many people are bound to the account `login`.
    func peopleBound(to login: String, _ ctx: TestContext) async throws -> Int {
        let account = try await User.find(login: login, on: ctx.app.db)
        return try await Resident.query(on: ctx.app.db).filter(\.$user.$id == XCTUnwrap(account?.id)).count()
    }

    /// The database refuses a second person for one account; people without an account are many.
    /// A database from before that holds such a pair refuses the upgrade, saying how many.
    func testTheDatabaseBindsAnAccountToOnePersonAndAnOlderDatabaseWithAPairRefusesTheUpgrade() async throws {
        try await withApp(demo: true) { ctx in
            let db = ctx.app.db
            let found = try await User.find(login: "13800000001", on: db)
            let userID = try XCTUnwrap(found?.id)
            let before = try await Resident.find(user: userID, on: db)
            XCTAssertNil(before, "the fixture's account has no person yet")
            try await person(ctx, "甲", ResidenceTests.idNumber(sequence: "901"), user: userID).create(on: db)
            do {
                try await person(ctx, "乙", ResidenceTests.idNumber(sequence: "902"), user: userID).create(on: db)
                XCTFail("a second person for one account was saved")
            } catch let error as any DatabaseError {
                XCTAssertTrue(error.isConstraintFailure, "\(error)")
            }
            try await person(ctx, "丙", ResidenceTests.idNumber(sequence: "903"), user: nil).create(on: db)
            try await person(ctx, "丁", ResidenceTests.idNumber(sequence: "904"), user: nil).create(on: db)
            let bound = try await Resident.query(on: db).filter(\.$user.$id == userID).count()
            XCTAssertEqual(bound, 1)

            // The database as migration 041 left it, with a pair bound to one account.
            let migration = ResidentAccounts042()
            try await migration.revert(on: db)
            let pair = try person(ctx, "乙", ResidenceTests.idNumber(sequence: "902"), user: userID)
            try await pair.create(on: db)
            do {
                try await migration.prepare(on: db)
                XCTFail("the upgrade went on with two people bound to one account")
            } catch let refused as ResidentAccounts042.SharedAccounts {
                XCTAssertEqual(refused.count, 1)
                XCTAssertTrue(refused.description.contains("1 个账号绑定了不止一名居民"), refused.description)
            }
            let stillBound = try await Resident.query(on: db).filter(\.$user.$id == userID).count()
            XCTAssertEqual(stillBound, 2, "nothing changed by the refused upgrade")
            // Released, the upgrade goes through and binds again one person only.
            pair.$user.id = nil
            try await pair.save(on: db)
            try await migration.prepare(on: db)
            do {
                pair.$user.id = userID
                try await pair.save(on: db)
                XCTFail("a second person for one account was saved after the upgrade")
            } catch let error as any DatabaseError {
                XCTAssertTrue(error.isConstraintFailure, "\(error)")
            }
        }
    }

    /// Two declarations of his identity sent at once from one account (two tabs): one person is
    /// recorded, and the other tab is refused, not shown an error page (whichever check meets it:
    /// the page's own, or the database's when both passed it before either saved).
    func testTwoIdentityDeclarationsAtOnceRecordOnePerson() async throws {
        try await withApp(demo: true) { ctx in
            // Two tabs, each its own session, each sending its form as soon as it has it.
            let app = ctx.app
            async let first = Self.declare(app, "13800000001", number: ResidenceTests.idNumber(sequence: "911"))
            async let second = Self.declare(app, "13800000001", number: ResidenceTests.idNumber(sequence: "912"))
            let answers = try await [first, second]
            XCTAssertEqual(answers.filter { $0.status == .seeOther }.count, 1, answers.map { "\($0.status)" }.joined(separator: ", "))
            for refused in answers where refused.status != .seeOther {
                // Refused with nothing saved: the page shows the identity the other tab recorded.
                XCTAssertEqual(refused.status, .badRequest)
                XCTAssertTrue(refused.body.contains("data-identity="), refused.body)
            }
            let people = try await peopleBound(to: "13800000001", ctx)
            XCTAssertEqual(people, 1)
        }
    }

    /// Two accounts enter the same ID number at once: one holds it, the other is told another
    /// account entered it (never an error page), and one person is recorded.
    func testTwoAccountsEnteringOneNumberAtOnceRecordOnePerson() async throws {
        try await withApp(demo: true) { ctx in
            try await User(login: "13911112222", passwordHash: try ctx.app.password.hash("citizen12345"), displayName: "李明", role: .citizen,
                           status: .active, phone: "13911112222", jurisdictionID: nil, departmentID: nil, at: ctx.clock.now).create(on: ctx.app.db)
            let number = ResidenceTests.idNumber(sequence: "931")
            let app = ctx.app
            async let first = Self.declare(app, "13800000001", number: number)
            async let second = Self.declare(app, "13911112222", "citizen12345", number: number)
            let answers = try await [first, second]
            XCTAssertEqual(answers.filter { $0.status == .seeOther }.count, 1, answers.map { "\($0.status)" }.joined(separator: ", "))
            for refused in answers where refused.status != .seeOther {
                XCTAssertEqual(refused.status, .badRequest)
                XCTAssertTrue(refused.body.contains("该身份证号已由其他账号填写"), refused.body)
            }
            let holder = try await Resident.find(idNumber: number, data: ctx.app.personalData, on: ctx.app.db)
            XCTAssertNotNil(holder?.$user.id, "the number is recorded, bound to the account that won")
        }
    }

    /// A window clerk confirms a person he recorded to an account at the moment that account
    /// declares an identity of its own: one of the two binds him, the other is refused with its
    /// form, never an error page.
    func testAStaffConfirmationAndADeclarationAtOnceBindTheAccountOnce() async throws {
        try await withApp(demo: true) { ctx in
            let db = ctx.app.db
            // A person staff recorded in the clerk's town, with no account.
            let recorded = try person(ctx, "周明", ResidenceTests.idNumber(sequence: "922"), user: nil)
            try await recorded.create(on: db)
            try await verifiedRegistration(ctx, of: recorded, address: "城北社区 9 幢 202 室", from: "2025-05-01")
            let personID = try recorded.requireID().uuidString
            let app = ctx.app
            async let staff = Self.tab(app, "clerk.yangshe", opens: "/residents/\(personID)",
                                       posts: ["action": "verify", "phone": "13800000001", "cardChecked": "on"], to: "/residents/\(personID)/identity")
            async let citizen = Self.declare(app, "13800000001", number: ResidenceTests.idNumber(sequence: "921"))
            let (byStaff, byCitizen) = try await (staff, citizen)
            XCTAssertEqual([byStaff.status, byCitizen.status].filter { $0 == .seeOther }.count, 1, "\(byStaff.status), \(byCitizen.status)")
            if byStaff.status != .seeOther {
                XCTAssertEqual(byStaff.status, .badRequest)
                XCTAssertTrue(byStaff.body.contains("该账号已绑定其他身份"), byStaff.body)
            } else {
                XCTAssertEqual(byCitizen.status, .badRequest)
            }
            let people = try await peopleBound(to: "13800000001", ctx)
            XCTAssertEqual(people, 1)
        }
    }
}
