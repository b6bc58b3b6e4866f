import Fluent
@testable import JifenApp
import JifenCore
import XCTVapor

/// Several standards in force at once: Zhangjiagang ranks school places by its own standard and
/// medical insurance by Suzhou's (seed 000). A fact confirmed once serves both.
final class StandardSeriesTests: XCTestCase {
    func testTheSameResidentScoresUnderEachStandardAndEachProgramRanksByItsOwn() async throws {
        try await withApp(demo: true) { ctx in
            // setup: 李明's application, his 本科 and 3 years of residence confirmed by the departments
            let (citizen, resident) = try await makeApplicant(ctx)
            let service = PointsService(app: ctx.app, db: ctx.app.db, now: ctx.clock.now, actor: .system, logger: ctx.app.logger)
            guard case .opened(let application) = try await service.open(for: resident, jurisdictionID: nil) else { return XCTFail("refused") }
            let claims = try await makeClaims(ctx, on: application, [("education", "education", "bachelor"), ("residenceYears", "police", "3")])
            try await service.submit(application)
            _ = try await service.accept(application)
            let zhangjiagang = try await PointsService.standard(code: application.standardCode, on: ctx.app.db)
            XCTAssertEqual(zhangjiagang.id, "zhangjiagang-2021", "points applications are scored by the city's own standard")
            for claim in claims { try await service.decide(claim, .approve, item: zhangjiagang.item(claim.item)!) }
            let archive = try await PointsArchive.query(on: ctx.app.db).filter(\.$resident.$id == resident.requireID()).first()!

            // MUT: the same facts under each standard in force
            let own = try await service.evaluation(of: archive, series: ScoringStandard.generalSeries)
            let suzhou = try await service.evaluation(of: archive, series: "suzhou")
            XCTAssertEqual(own?.0.total, Points(90), "Zhangjiagang: 本科 60 + 3 years × 10")
            XCTAssertEqual(suzhou?.0.total, Points(105), "Suzhou (demo values): 本科 90 + 3 years × 5")
            XCTAssertEqual(suzhou?.1.id, "suzhou-2021-demo")

            // Each program ranks by its own standard: 入医 at 100 points by Suzhou's takes him, where
            // Zhangjiagang's 90 would not.
            let school = try await makeGrade1(ctx, code: "2026-grade1-own", maxChoices: 1, quotas: "S1,城北小学,320582-01,5\n")
            let insurance = Program(code: "2026-insurance-sz", year: 2026, kind: .childInsurance, title: "2026年积分入医", opens: CivilDate("2026-09-01")!,
                                    closes: CivilDate("2026-09-30")!, ageCutoff: CivilDate("2026-09-30")!, by: "admin", at: ctx.clock.now)
            insurance.threshold = 10_000
            insurance.standardSeries = "suzhou"
            try await insurance.create(on: ctx.app.db)
            let programs = ProgramService(app: ctx.app, db: ctx.app.db, now: ctx.clock.now, actor: .system, logger: ctx.app.logger)
            let forSchool = try await programs.points(of: resident, for: school)
            let forInsurance = try await programs.points(of: resident, for: insurance)
            XCTAssertEqual(forSchool?.total, Points(90))
            XCTAssertEqual(forInsurance?.total, Points(105))
            try await citizen.get("/me/residence")
            let added = try await citizen.post("/me/household", ["relation": "child", "name": "李小明", "idNumber": ProgramsTests.id("341202", "20200315", "221"), "evidence": "birthCertificate"])
            XCTAssertEqual(added.status, .seeOther)
            let child = try await HouseholdMember.query(on: ctx.app.db).filter(\.$resident.$id == resident.requireID()).first()
            guard case .saved = try await programs.apply(resident: resident, child: child, program: insurance, schools: []) else {
                return XCTFail("refused under Suzhou's standard")
            }
            insurance.standardSeries = ScoringStandard.generalSeries
            guard case .refused(let refusals) = try await programs.apply(resident: resident, child: child, program: insurance, schools: []) else {
                return XCTFail("accepted under Zhangjiagang's 90")
            }
            XCTAssertEqual(refusals, [.rule(.belowThreshold(needed: Points(100), has: Points(90)))])

            // His archive shows both, each explained; the program page names its standard.
            let page = try await citizen.get("/me/points")
            XCTAssertTrue(page.body.contains(#"id="archive-total">90"#))
            XCTAssertTrue(page.body.contains("苏州市流动人口积分管理计分标准（演示）：<strong class=\"other-total\">105"))
            XCTAssertEqual(page.body.components(separatedBy: "<table class=\"stack explanation\">").count - 1, 1, "Suzhou's lines only when asked for")
            XCTAssertTrue(page.body.contains(#"href="/me/points?standard=suzhou#other-suzhou""#))
            let explained = try await citizen.get("/me/points?standard=suzhou")
            let suzhouTable = try XCTUnwrap(explained.body.components(separatedBy: #"id="other-suzhou""#).last)
            XCTAssertTrue(suzhouTable.contains(#"<td data-label="得分"><strong>90</strong>"#), "本科 90 under Suzhou's, line by line")
            XCTAssertFalse(suzhouTable.contains("?standard=suzhou"), "no link to what is shown")
            let programPage = try await citizen.get("/programs/2026-insurance-sz")
            XCTAssertTrue(programPage.body.contains("按《苏州市流动人口积分管理计分标准（演示）》计算积分"))

            // The self-estimate chooses its standard: the same 本科 is 60 here and 90 under Suzhou's.
            let visitor = Browser(ctx.app)
            let general = try await visitor.get("/estimate")
            XCTAssertTrue(general.body.contains(#"<a href="/estimate?standard=suzhou">苏州市流动人口积分管理计分标准（演示）</a>"#))
            let underSuzhou = try await visitor.get("/estimate?standard=suzhou")
            XCTAssertTrue(underSuzhou.body.contains(#"action="/estimate?standard=suzhou#result""#))
            let estimated = try await visitor.post("/estimate?standard=suzhou", ["f_education": "bachelor"])
            XCTAssertTrue(estimated.body.contains(#"<strong class="total">90"#))
            let ownEstimate = try await visitor.post("/estimate", ["f_education": "bachelor"])
            XCTAssertTrue(ownEstimate.body.contains(#"<strong class="total">60"#))
        }
    }
}
