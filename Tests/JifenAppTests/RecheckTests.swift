import Fluent
@testable import JifenApp
import JifenCore
import XCTVapor

final class RecheckTests: XCTestCase {
    /// After the deadline the bureau re-checks every applicant: a permit that lapsed and
    /// contributions that stopped are found; the round waits for every finding to be decided; the
    /// confirmed one is texted and stays out of the published round, the dismissed one stays in.
    func testALapsedPermitFoundByTheRecheckKeepsTheApplicantOutOfThePublishedRound() async throws {
        try await withApp(demo: true) { ctx in
            // setup: one school with two seats; 王 95, 张 80, 赵 70 all want it.
            let program = try await makeGrade1(ctx, code: "2026-grade1-c", maxChoices: 1, quotas: "CA,实验小学,320582-01,2\n")
            try await approveAllSteps(ctx, .quota, "2026-grade1-c")
            let edu = try await ctx.signedIn("edu")
            try await edu.get("/programs/2026-grade1-c")
            try await edu.post("/programs/2026-grade1-c/quotas/publish", [:])
            let service = ProgramService(app: ctx.app, db: ctx.app.db, now: ctx.clock.now, actor: .system, logger: ctx.app.logger)
            var residents: [String: Resident] = [:], numbers: [String: String] = [:]
            for (n, (name, points)) in [("王大伟", Int64(95)), ("张三丰", 80), ("赵敏", 70)].enumerated() {
                let (resident, child) = try await makeParent(ctx, name: name, idNumber: ProgramsTests.id("410102", "198\(n)0303", "41\(n)"), points: points,
                                                             child: (name: name.prefix(1) + "小孩", id: ProgramsTests.id("410102", "2020060\(n + 1)", "42\(n)")))
                resident.phone = "1390000300\(n)"
                try await resident.save(on: ctx.app.db)
                guard case .saved(let application) = try await service.apply(resident: resident, child: child, program: program, schools: ["CA"]) else { return XCTFail("refused") }
                residents[name] = resident
                numbers[name] = application.number
            }
            // After the deadline 王's permit has run out; 张's ran out yesterday (he renews it at the
            // window, so the bureau dismisses the finding); 赵's is fine.
            ctx.clock.advance(10 * 86_400)   // 1 October
            for (name, until) in [("王大伟", "2026-09-15"), ("张三丰", "2026-09-30")] {
                let permit = try await ResidencePermit.query(on: ctx.app.db).filter(\.$resident.$id == residents[name]!.requireID()).first()!
                permit.validUntil = CivilDate(until)!
                try await permit.save(on: ctx.app.db)
            }
            try await edu.signIn("edu", "demo12345")
            var page = try await edu.get("/programs/2026-grade1-c/recheck")
            XCTAssertEqual(page.status, .ok)
            let run = try await edu.post("/programs/2026-grade1-c/recheck", [:])
            XCTAssertEqual(run.location, "/programs/2026-grade1-c/recheck?found=2")
            let again = try await edu.post("/programs/2026-grade1-c/recheck", [:])
            XCTAssertEqual(again.location, "/programs/2026-grade1-c/recheck?found=0", "a second run finds nothing new")
            let findings = try await RecheckFinding.query(on: ctx.app.db).filter(\.$program.$id == program.requireID()).all()
            XCTAssertEqual(Set(findings.map(\.number)), [numbers["王大伟"]!, numbers["张三丰"]!])
            XCTAssertEqual(Set(findings.map(\.kind)), [.permit])
            XCTAssertEqual(findings.first?.dueDate, CivilDate("2026-10-27")!, "15 working days after 1 October: 国庆 does not count, Saturday 10 October does")
            page = try await edu.get("/programs/2026-grade1-c/recheck")
            XCTAssertTrue(page.body.contains("王*伟") && page.body.contains("居住证已失效或没有有效居住证"))
            XCTAssertFalse(page.body.contains("王大伟"), "names masked")

            // The round waits for both findings.
            let admin = try await ctx.signedIn("admin")
            try await admin.get("/programs/2026-grade1-c")
            var round = try await admin.post("/programs/2026-grade1-c/rounds", [:])
            XCTAssertEqual(round.status, .badRequest)
            XCTAssertTrue(round.body.contains("还有 2 条发现没有处理"))

            // MUT: 王's confirmed; 张's dismissed, which needs a note.
            let wang = findings.first { $0.number == numbers["王大伟"]! }!, zhang = findings.first { $0.number == numbers["张三丰"]! }!
            let before = ctx.notifier.messages.count
            let noNote = try await edu.post("/programs/2026-grade1-c/recheck/\(zhang.id!)", ["decision": "dismissed", "note": ""])
            XCTAssertEqual(noNote.status, .badRequest)
            XCTAssertTrue(noNote.body.contains("请填写处理说明"), "the note is named")
            let confirmed = try await edu.post("/programs/2026-grade1-c/recheck/\(wang.id!)", ["decision": "confirmed", "note": "公安局已注销居住证"])
            XCTAssertEqual(confirmed.status, .seeOther)
            let dismissed = try await edu.post("/programs/2026-grade1-c/recheck/\(zhang.id!)", ["decision": "dismissed", "note": "已于10月1日在窗口续签"])
            XCTAssertEqual(dismissed.status, .seeOther)
            let twice = try await edu.post("/programs/2026-grade1-c/recheck/\(wang.id!)", ["decision": "dismissed", "note": "改变主意"])
            XCTAssertEqual(twice.status, .badRequest, "a decided finding stays decided")
            let texts = ctx.notifier.messages.dropFirst(before)
            XCTAssertEqual(texts.map(\.recipient), ["13900003000"], "only the one confirmed out is texted")
            XCTAssertTrue(texts.first?.body.contains("不参加本次分配") ?? false)
            let applications = try await edu.get("/programs/2026-grade1-c/applications")
            XCTAssertEqual(applications.body.components(separatedBy: "data-excluded").count - 1, 1, "the staff list marks him")

            round = try await admin.post("/programs/2026-grade1-c/rounds", [:])
            XCTAssertEqual(round.location, "/publicity/2026-grade1-c/1")
            let results = try await AllocationResult.query(on: ctx.app.db).all().filter { numbers.values.contains($0.number) }
            XCTAssertEqual(Dictionary(uniqueKeysWithValues: results.map { ($0.number, $0.schoolCode ?? "-") }),
                           [numbers["张三丰"]!: "CA", numbers["赵敏"]!: "CA"], "王 is not in the round; the two seats go to 张 and 赵")
            let publicity = try await Browser(ctx.app).get("/publicity/2026-grade1-c/1")
            XCTAssertFalse(publicity.body.contains(numbers["王大伟"]!))
            // Once the round ran, no more re-checks.
            let late = try await edu.post("/programs/2026-grade1-c/recheck", [:])
            XCTAssertEqual(late.status, .badRequest)
        }
    }

    /// Contributions that stopped, by the latest social-insurance feed, are a finding too.
    func testStoppedContributionsInTheLatestFeedAreFound() async throws {
        try await withApp(demo: true) { ctx in
            let program = try await makeGrade1(ctx, code: "2026-grade1-f", maxChoices: 1, quotas: "FA,实验小学,320582-01,2\n")
            let service = ProgramService(app: ctx.app, db: ctx.app.db, now: ctx.clock.now, actor: .system, logger: ctx.app.logger)
            var numbers: [String] = [], ids: [String] = []
            for n in 0..<2 {
                let id = ProgramsTests.id("410102", "198\(n)0505", "51\(n)")
                let (resident, child) = try await makeParent(ctx, name: ["孙立", "周强"][n], idNumber: id, points: 80,
                                                             child: ("小孩\(n)", ProgramsTests.id("410102", "2020070\(n + 1)", "52\(n)")))
                guard case .saved(let application) = try await service.apply(resident: resident, child: child, program: program, schools: ["FA"]) else { return XCTFail("refused") }
                numbers.append(application.number)
                ids.append(id)
            }
            // The feed the human resources bureau sends: 孙 paid until May, 周 until August
            // (the feed's latest month).
            let csv = "身份证号码,姓名,累计缴费月数,截至日期\r\n\(ids[0]),孙立,36,2026-05-31\r\n\(ids[1]),周强,40,2026-08-31\r\n"
            let imported = try await FeedImporter.run(kind: .socialInsurance, bytes: Array(csv.utf8), filename: "si.csv", by: .cli,
                                                      app: ctx.app, db: ctx.app.db, today: ShanghaiDate.today(ctx.clock.now), now: ctx.clock.now)
            XCTAssertEqual(imported.added, 2)
            ctx.clock.advance(10 * 86_400)
            let found = try await RecheckService(app: ctx.app, db: ctx.app.db, now: ctx.clock.now, actor: .system, logger: ctx.app.logger).run(program)
            guard case .success(let findings) = found else { return XCTFail("refused") }
            XCTAssertEqual(findings.map(\.number), [numbers[0]])
            XCTAssertEqual(findings.first?.kind, .insurance)
            XCTAssertEqual(RecheckService.words(findings[0], ctx.app.catalog, .zh), "社保缴费已中断（最近缴费记录截至2026年5月31日）")
        }
    }
}
