import Fluent
@testable import JifenApp
import JifenCore
import XCTVapor

/// A program's conditions as the jurisdiction writes them, through the service and the pages.
final class ProgramConditionsAppTests: XCTestCase {
    func id(_ region: String, _ birth: String, _ seq: String) -> String { ProgramsTests.id(region, birth, seq) }

    /// "合法居住半年以上（含半年）": registered from 22 March, he is refused on 21 September (5
    /// months, said in months) and accepted the next day (6 months).
    func testAHalfYearConditionRefusesAtFiveMonthsAndAcceptsAtSix() async throws {
        try await withApp(demo: true) { ctx in
            let program = try await makeGrade1(ctx, code: "2026-half-year", maxChoices: 1, minResidenceMonths: 6, quotas: "H1,城北小学,320582-01,5\n")
            let (parent, child) = try await makeParent(ctx, name: "钱半年", idNumber: id("341202", "19900101", "111"), points: 60,
                                                       child: (name: "钱小", id: id("341202", "20200315", "121")))
            try await ResidenceRegistration.query(on: ctx.app.db).filter(\.$resident.$id == parent.requireID()).delete()
            try await verifiedRegistration(ctx, of: parent, address: "城北社区2幢", from: "2026-03-22")
            func service() -> ProgramService {
                ProgramService(app: ctx.app, db: ctx.app.db, now: ctx.clock.now, actor: Actor(id: nil, login: "test", address: nil), logger: ctx.app.logger)
            }
            // MUT: 21 September, 5 whole months
            guard case .refused(let refusals) = try await service().apply(resident: parent, child: child, program: program, schools: ["H1"]) else {
                return XCTFail("accepted at 5 months")
            }
            XCTAssertEqual(refusals, [.rule(.residence(neededMonths: 6, hasMonths: 5))])
            XCTAssertEqual(ProgramService.words(refusals[0], ctx.app.catalog, .zh), "需合法居住满 6个月，您目前为 5个月。")
            // 22 September: 6 months
            ctx.clock.advance(86_400)
            guard case .saved = try await service().apply(resident: parent, child: child, program: program, schools: ["H1"]) else {
                return XCTFail("refused at 6 months")
            }
            // The program page states the condition in months.
            let page = try await Browser(ctx.app).get("/programs/2026-half-year")
            XCTAssertTrue(page.body.contains("在本市合法居住满 6个月"))
        }
    }

    /// Only one of a couple applies for all their children, and the higher of the two spouses'
    /// points counts: the mother's application for their second child is refused with the reason,
    /// and the father's application is ranked with her 75 points, not his 60.
    func testASecondSpouseIsRefusedAndTheHigherSpousesPointsCount() async throws {
        try await withApp(demo: true) { ctx in
            let program = try await makeGrade1(ctx, code: "2026-couple", maxChoices: 1, quotas: "C1,城北小学,320582-01,5\n") {
                $0.spouses = .oneSpouseHigherPoints
            }
            let motherID = id("341202", "19910202", "122")
            let (father, first) = try await makeParent(ctx, name: "周父", idNumber: id("341202", "19900101", "111"), points: 60,
                                                       child: (name: "周大", id: id("341202", "20200315", "131")))
            let (mother, second) = try await makeParent(ctx, name: "吴母", idNumber: motherID, points: 75,
                                                        child: (name: "周二", id: id("341202", "20200610", "142")))
            // The father lists her as his spouse.
            guard case .success(let spouseID) = ResidentID.validate(motherID, today: ShanghaiDate.today(ctx.clock.now), regions: ctx.app.regions) else {
                return XCTFail("bad test ID")
            }
            try await HouseholdMember(.spouse, name: "吴母", id: spouseID, of: father.requireID(), data: ctx.app.personalData, at: ctx.clock.now, verifiedBy: "clerk.yangshe")
                .create(on: ctx.app.db)
            let service = ProgramService(app: ctx.app, db: ctx.app.db, now: ctx.clock.now, actor: Actor(id: nil, login: "test", address: nil), logger: ctx.app.logger)
            let found = try await service.spouse(of: mother)
            XCTAssertEqual(found?.id, father.id, "found from her side too, through his household")
            let fathersFacts = try await service.facts(for: father, child: first, program: program, excluding: nil)
            XCTAssertEqual(fathersFacts.points, Points(75), "the higher spouse's points already count when he applies")

            guard case .saved = try await service.apply(resident: father, child: first, program: program, schools: ["C1"]) else { return XCTFail("father refused") }
            // MUT
            guard case .refused(let refusals) = try await service.apply(resident: mother, child: second, program: program, schools: ["C1"]) else {
                return XCTFail("a second spouse was accepted")
            }
            XCTAssertEqual(refusals, [.rule(.spouseApplied)])
            XCTAssertTrue(ProgramService.words(refusals[0], ctx.app.catalog, .zh).contains("夫妻只能由其中一方申请"))

            // Frozen for the round: the higher spouse's points.
            var applications = try await RoundApplicant.all(of: program.requireID(), on: ctx.app.db)
            XCTAssertEqual(applications.count, 1)
            try await service.freeze(program, &applications)
            XCTAssertEqual(applications[0].points, 7_500)

            // Where either parent may apply, she could have.
            program.spouses = .either
            try await program.save(on: ctx.app.db)
            guard case .saved = try await service.apply(resident: mother, child: second, program: program, schools: ["C1"]) else { return XCTFail("refused under .either") }
        }
    }

    /// The quotas are due by the program's own rule: 30 days before a planned allocation on 10
    /// November is 11 October — not late on 21 September, where "30 days before the 30 September
    /// deadline" would have flagged it.
    func testTheQuotaDueDayFollowsTheProgramsRule() async throws {
        try await withApp(demo: true) { ctx in
            try await makeGrade1(ctx, code: "2026-deadline-rule", maxChoices: 1, quotas: "Q1,城北小学,320582-01,5\n")
            try await makeGrade1(ctx, code: "2026-allocation-rule", maxChoices: 1, quotas: "Q2,城南小学,320582-01,5\n") {
                $0.quotaRule = .beforeAllocation
                $0.allocates = CivilDate("2026-11-10")
            }
            let edu = try await ctx.signedIn("edu")
            let deadline = try await edu.get("/programs/2026-deadline-rule")
            XCTAssertTrue(deadline.body.contains("学位数应于 2026年8月31日 前公布（申请截止前 30 天），现已逾期。"))
            // MUT
            let allocation = try await edu.get("/programs/2026-allocation-rule")
            XCTAssertTrue(allocation.body.contains("学位数最迟于 2026年10月11日 公布（2026年11月10日 分配前 30 天）"))
            XCTAssertFalse(allocation.body.contains("现已逾期"))

            // Set up on the form: the allocation rule needs its day, and a tie-break sum is kept as written.
            let admin = try await ctx.signedIn("admin")
            try await admin.get("/programs/new")
            var form = ["code": "2027-grade1", "title": "2027年积分入学", "kind": "grade1", "year": "2027", "opens": "2027-05-01", "closes": "2027-05-30",
                        "maxChoices": "3", "minResidence": "半年", "requirePermit": "on", "minPermit": "6个月", "ageCutoff": "2027-08-31",
                        "tiebreak": "socialSecurity+residence, time", "quotaRule": "beforeAllocation", "quotaDays": "30", "spouses": "oneSpouse"]
            let missing = try await admin.post("/programs", form)
            XCTAssertEqual(missing.status, .badRequest)
            XCTAssertTrue(missing.body.contains("请填写计划分配（录取）日期"))
            form["allocates"] = "2027-07-10"
            form["minPermit"] = "六个月"
            let badMonths = try await admin.post("/programs", form)
            XCTAssertTrue(badMonths.body.contains("“居住证持有时间要求”应写成月数或年数"))
            form["minPermit"] = "6个月"
            let created = try await admin.post("/programs", form)
            XCTAssertEqual(created.status, .seeOther)
            let program = try await Program.query(on: ctx.app.db).filter(\.$code == "2027-grade1").first()
            XCTAssertEqual(program?.minResidenceMonths, 6)
            XCTAssertEqual(program?.minPermitMonths, 6)
            XCTAssertEqual(program?.tiebreak, ["socialSecurity+residence", "time"])
            XCTAssertEqual(program?.rules.quotaDue, CivilDate("2027-06-10"))
            XCTAssertEqual(program?.spouses, .oneSpouse)
            let page = try await admin.get("/programs/2027-grade1")
            XCTAssertTrue(page.body.contains("同分时依次比较：参加社会保障情况＋居住年限 的合计分；仍相同的按申请时间先后"), "the sum in words")
            XCTAssertTrue(page.body.contains("居住证持有满 6个月"))
            XCTAssertTrue(page.body.contains("夫妻只能由其中一方为子女申请，计该方的积分"))
        }
    }

    /// Schools have catchments (施教区); a program may take only schools whose catchment covers
    /// the applicant's verified residence, or only schools of his town. Refusals say why.
    func testASchoolOutsideTheApplicantsCatchmentIsRefusedWithTheReason() async throws {
        try await withApp(demo: true) { ctx in
            let program = try await makeGrade1(ctx, code: "2026-catchment", maxChoices: 2,
                                               quotas: "K1,城北小学,320582-01,5\nK2,南苑小学,320582-01,5\nK3,塘桥小学,320582-02,5\n") {
                $0.choiceScope = .catchment
            }
            for (school, area) in [("K1", "320582-01-01"), ("K2", "320582-01-02"), ("K3", "320582-02")] {
                let id = try await School.query(on: ctx.app.db).filter(\.$code == school).first()!.requireID()
                try await SchoolCatchment(school: id, area: area, from: CivilDate("2026-01-01")!).create(on: ctx.app.db)
            }
            // 城北小学's catchment used to be 南苑社区 too, until August.
            let k2 = try await School.query(on: ctx.app.db).filter(\.$code == "K1").first()!.requireID()
            try await SchoolCatchment(school: k2, area: "320582-01-02", from: CivilDate("2020-01-01")!, to: CivilDate("2026-08-31")!).create(on: ctx.app.db)
            // 钱家 lives in 城北社区 (grid 320582-01-01-01).
            let (parent, child) = try await makeParent(ctx, name: "钱施教", idNumber: id("341202", "19900101", "111"), points: 60,
                                                       child: (name: "钱小", id: id("341202", "20200315", "121")))
            let service = ProgramService(app: ctx.app, db: ctx.app.db, now: ctx.clock.now, actor: Actor(id: nil, login: "test", address: nil), logger: ctx.app.logger)
            // MUT
            guard case .refused(let refusals) = try await service.apply(resident: parent, child: child, program: program, schools: ["K1", "K2"]) else {
                return XCTFail("a school outside the catchment was accepted")
            }
            XCTAssertEqual(refusals, [.outsideArea(.catchment, schools: ["南苑小学"], place: "城北社区")])
            XCTAssertEqual(ProgramService.words(refusals[0], ctx.app.catalog, .zh),
                           "南苑小学 的施教区不包括您的居住地（城北社区）：本项目只能填报施教区覆盖居住地的学校。")
            guard case .saved = try await service.apply(resident: parent, child: child, program: program, schools: ["K1"]) else { return XCTFail("K1 refused") }

            // By town: 南苑小学 is in his town, 塘桥小学 is not.
            program.choiceScope = .town
            try await program.save(on: ctx.app.db)
            guard case .refused(let town) = try await service.apply(resident: parent, child: child, program: program, schools: ["K2", "K3"]) else {
                return XCTFail("a school of another town was accepted")
            }
            XCTAssertEqual(town, [.outsideArea(.town, schools: ["塘桥小学"], place: "杨舍镇（经开区）")])

            // On the parent's page, with the rule stated on the program's page.
            program.choiceScope = .catchment
            try await program.save(on: ctx.app.db)
            let (citizen, _) = try await makeApplicant(ctx)
            let added = try await citizen.post("/me/household", ["relation": "child", "name": "李小明", "idNumber": ProgramsTests.id("341202", "20200315", "221"), "evidence": "birthCertificate"])
            XCTAssertEqual(added.status, .seeOther)
            let mine = try await HouseholdMember.query(on: ctx.app.db).filter(\.$idHash == ctx.app.personalData.lookupHash(ProgramsTests.id("341202", "20200315", "221"))).first()!
            try await citizen.get("/programs/2026-catchment/apply")
            let refused = try await citizen.post("/programs/2026-catchment/apply", ["child": mine.requireID().uuidString, "school1": "K3"])
            XCTAssertEqual(refused.status, .badRequest)
            XCTAssertTrue(refused.body.contains("塘桥小学 的施教区不包括您的居住地（城北社区）"))
            let page = try await citizen.get("/programs/2026-catchment")
            XCTAssertTrue(page.body.contains("只能填报施教区覆盖居住地的学校"))
        }
    }

    /// Catchments come with the quotas' CSV (a fifth column, kept with their dates), and the
    /// second round places an applicant without a new ranking at the schools of his catchment —
    /// not of his whole town.
    func testCatchmentsFromTheQuotaFileAndTheSecondRoundPlacesByThem() async throws {
        try await withApp(demo: true) { ctx in
            let program = try await makeGrade1(ctx, code: "2026-catch2", maxChoices: 1, quotas: """
                K1,城北小学,320582-01,1,320582-01-01
                K2,南苑小学,320582-01,5,320582-01-02
                K3,城北第二小学,320582-01,5,320582-01-01;320582-01-03

                """) { $0.choiceScope = .catchment }
            let edu = try await ctx.signedIn("edu")
            try await edu.get("/programs/2026-catch2")
            let bad = try await edu.upload("/programs/2026-catch2/quotas/csv", fields: [:], file: (name: "file", filename: "q.csv",
                contents: "学校代码,学校名称,所在镇（街道）代码,学位数,施教区\nK2,南苑小学,320582-01,5,320582-99\n"))
            XCTAssertEqual(bad.status, .badRequest)
            XCTAssertTrue(bad.body.contains("第 2 行：施教区“320582-99”不是本市的镇（街道）或社区代码。"))
            let page = try await edu.get("/programs/2026-catch2")
            XCTAssertTrue(page.body.contains("城北社区、滨河社区"), "K3's catchment by name")

            // 钱 (70) and 孙 (60) live in 城北社区 and rank 城北小学, which has one seat.
            let (qian, qianChild) = try await makeParent(ctx, name: "钱高分", idNumber: id("341202", "19890101", "111"), points: 70,
                                                         child: (name: "钱小", id: id("341202", "20200315", "131")))
            let (sun, sunChild) = try await makeParent(ctx, name: "孙二轮", idNumber: id("341202", "19900202", "111"), points: 60,
                                                       child: (name: "孙小", id: id("341202", "20200416", "141")))
            func service() -> ProgramService {
                ProgramService(app: ctx.app, db: ctx.app.db, now: ctx.clock.now, actor: Actor(id: nil, login: "edu", address: nil), logger: ctx.app.logger)
            }
            guard case .saved = try await service().apply(resident: qian, child: qianChild, program: program, schools: ["K1"]),
                  case .saved(let sunApplication) = try await service().apply(resident: sun, child: sunChild, program: program, schools: ["K1"])
            else { return XCTFail("refused") }
            ctx.clock.advance(10 * 86_400)
            let first = try await service().run(program, round: 1)
            first.finalizedAt = ctx.clock.now
            try await first.save(on: ctx.app.db)

            // MUT: 孙 gives no new ranking
            let second = try await service().run(program, round: 2)

            // validate: 城北第二小学 (his catchment), not 南苑小学 (his town, first in code order)
            let placed = try await AllocationResult.query(on: ctx.app.db).filter(\.$round.$id == second.requireID())
                .filter(\.$number == sunApplication.number).first()
            XCTAssertEqual(placed?.schoolCode, "K3")

            // Replacing a catchment ends the old areas the day before and keeps them.
            let bureau = try await ctx.signedIn("edu")
            try await bureau.get("/programs/2026-catch2")
            let replaced = try await bureau.upload("/programs/2026-catch2/quotas/csv", fields: [:], file: (name: "file", filename: "q.csv",
                contents: "学校代码,学校名称,所在镇（街道）代码,学位数,施教区\nK3,城北第二小学,320582-01,5,320582-01-03\n"))
            XCTAssertEqual(replaced.location, "/programs/2026-catch2?done=quota")
            let k3 = try await School.query(on: ctx.app.db).filter(\.$code == "K3").first()!.requireID()
            let areas = try await SchoolCatchment.query(on: ctx.app.db).filter(\.$school.$id == k3).all()
            XCTAssertEqual(areas.first { $0.areaCode == "320582-01-01" }?.to, ShanghaiDate.today(ctx.clock.now).adding(days: -1))
            XCTAssertNil(areas.first { $0.areaCode == "320582-01-03" }?.to)
        }
    }
}
