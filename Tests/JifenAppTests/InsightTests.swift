import Fluent
@testable import JifenApp
import JifenCore
import XCTVapor

final class InsightTests: XCTestCase {
    /// A simulation asked of an unknown program and standard is refused beside each field, with
    /// what was chosen kept, and no job is queued.
    func testASimulationOfAnUnknownProgramIsRefusedBesideTheFields() async throws {
        try await withApp(demo: true) { ctx in
            let admin = try await ctx.signedIn("admin")
            let form = try await admin.get("/simulate")
            XCTAssertTrue(form.body.contains(#"<option value="zhangjiagang-2026-draft" selected>"#), "the newest draft is offered first")
            let refused = try await admin.post("/simulate", ["program": "no-such-program", "draft": "no-such-standard"])
            XCTAssertEqual(refused.status, .badRequest)
            XCTAssertTrue(refused.body.contains(#"id="program-error">请选择"#), refused.body)
            XCTAssertTrue(refused.body.contains(#"id="draft-error">请选择"#))
            let jobs = try await Job.query(on: ctx.app.db).filter(\.$kind == SimulationController.kind).count()
            XCTAssertEqual(jobs, 0)
        }
    }

    /// The acceptance check of issue 7: on the demo year, simulating the draft that lifts the
    /// volunteer-hours cap reports a number of changed outcomes equal to a recount done here.
    func testSimulatingTheLiftedVolunteerCapOnTheDemoYearMatchesARecount() async throws {
        try await withApp(demo: true, residents: 1000) { ctx in
            let year = ShanghaiDate.today(ctx.clock.now).year
            let admin = try await ctx.signedIn("admin")
            try await admin.get("/simulate")
            let started = try await admin.post("/simulate", ["program": "\(year)-grade1", "draft": "zhangjiagang-2026-draft"])
            XCTAssertEqual(started.status, .seeOther)
            let path = try XCTUnwrap(started.location)
            let waiting = try await admin.get(path)
            XCTAssertEqual(waiting.headers.first(name: "Refresh"), "2", "progress while it runs")
            let ran = try await JobWorker.runOnce(ctx.app)
            XCTAssertEqual(ran, .done)
            let page = try await admin.get(path)
            let shown = try XCTUnwrap(Browser.firstMatch(#"id="simulate-changed">(\d+)<"#, in: page.body)).flatMap { Int($0) }
            XCTAssertTrue(page.body.contains(#"class="chart""#), "the distribution chart")

            // The recount: facts straight from the claims, both standards through the evaluator,
            // seats handed out here in priority order.
            let program = try await Program.query(on: ctx.app.db).filter(\.$code == "\(year)-grade1").first()!
            let current = try await PointsService.standard(code: "zhangjiagang-2021", on: ctx.app.db)
            let draft = try await PointsService.standard(code: "zhangjiagang-2026-draft", on: ctx.app.db)
            var seats: [String: Int] = [:]
            for q in try await Quota.query(on: ctx.app.db).filter(\.$program.$id == program.requireID()).with(\.$school).all() { seats[q.school.code] = q.seats }
            let applications = try await ServiceApplication.query(on: ctx.app.db).filter(\.$program.$id == program.requireID()).with(\.$ranking).all()
            var people: [(number: String, submitted: Date, prefs: [String], facts: [String: [Fact]])] = []
            for a in applications {
                let archive = try await PointsArchive.query(on: ctx.app.db).filter(\.$resident.$id == a.$resident.id).first()!
                var facts: [String: [Fact]] = [:]
                for c in try await PointsClaim.query(on: ctx.app.db).filter(\.$application.$id == archive.$application.id!).all() where c.state == .verified {
                    let item = current.item(c.item)!
                    facts[c.item, default: []].append(Fact(ClaimInput.value(c.value, for: item)!, date: c.factDate))
                }
                people.append((a.number, a.submittedAt, a.schoolCodes, facts))
            }
            let asOf = program.closes
            func placement(_ standard: ScoringStandard) -> [String: String] {
                let evaluator = Evaluator(standard)
                let scored = people.map { p -> (String, Date, [String], Points, Points, Points) in
                    let e = evaluator.evaluate(Profile(id: p.number, facts: p.facts), asOf: asOf)
                    let cat = { (id: String) in e.categories.first { $0.id == id }?.points ?? .zero }
                    return (p.number, p.submitted, p.prefs, e.total, cat("socialSecurity"), cat("residence"))
                }
                let order = scored.sorted { x, y in
                    if x.3 != y.3 { return x.3 > y.3 }
                    if x.4 != y.4 { return x.4 > y.4 }
                    if x.5 != y.5 { return x.5 > y.5 }
                    let tx = Int64(x.1.timeIntervalSince1970.rounded(.down)), ty = Int64(y.1.timeIntervalSince1970.rounded(.down))
                    if tx != ty { return tx < ty }
                    return x.0.utf8.lexicographicallyPrecedes(y.0.utf8)
                }
                var left = seats
                var placed: [String: String] = [:]
                for p in order { if let s = p.2.first(where: { (left[$0] ?? 0) > 0 }) { left[s]! -= 1; placed[p.0] = s } }
                return placed
            }
            let before = placement(current), after = placement(draft)
            let recount = people.filter { before[$0.number] != after[$0.number] }.count
            XCTAssertGreaterThan(recount, 0, "the demo year has volunteers beyond 1500 hours")
            XCTAssertEqual(shown, recount)
            // Nothing in live data changed.
            let round = try await AllocationRound.query(on: ctx.app.db).filter(\.$program.$id == program.requireID()).first()!
            let results = try await AllocationResult.query(on: ctx.app.db).filter(\.$round.$id == round.requireID()).count()
            XCTAssertEqual(results, applications.count)
            let rounds = try await AllocationRound.query(on: ctx.app.db).filter(\.$program.$id == program.requireID()).count()
            XCTAssertEqual(rounds, 1, "no round added")
        }
    }

    /// A world small enough to count by hand: four parents whose only points are volunteer hours,
    /// two schools of one seat each. Today 1,500 hours earn the capped 100 points; the draft adds
    /// 120 points from 2,000 hours. The expected figures below are worked out from the two
    /// standards' tables, not by the evaluator.
    func testASimulationCountsCorrectedClaimsAndBreaksTiesAsWorkedOutByHand() async throws {
        try await withApp(demo: true) { ctx in
            // setup
            let program = try await makeGrade1(ctx, code: "2026-grade1-sim", maxChoices: 2, quotas: "V1,实验小学,320582-01,1\nV2,梁丰小学,320582-01,1\n")
            let grid = try await Jurisdiction.find(code: "320582-01-01-01", on: ctx.app.db)!
            // (name, claimed hours, state, confirmed hours): 丁 claimed 1,200, the department found 2,100.
            let people: [(String, String, PointsClaim.State, String?)] = [
                ("甲一", "1500", .verified, nil), ("丁二", "1200", .corrected, "2100"), ("丙三", "1000", .verified, nil), ("乙四", "2400", .rejected, nil),
            ]
            for (n, (name, hours, state, confirmed)) in people.enumerated() {
                let (resident, child) = try await makeParent(ctx, name: name, idNumber: ProgramsTests.id("410102", "198\(n)0404", "41\(n)"), points: 0,
                                                             child: (name: name.prefix(1) + "小孩", id: ProgramsTests.id("410102", "2020070\(n + 1)", "42\(n)")))
                let application = PointsApplication()
                application.createdAt = ctx.clock.now
                application.updatedAt = ctx.clock.now
                application.number = "JF2026-SIM\(n)"
                application.year = 2026
                application.standardCode = "zhangjiagang-2021"
                application.status = .completed
                application.openedBy = "clerk.yangshe"
                application.$resident.id = try resident.requireID()
                application.$jurisdiction.id = try grid.requireID()
                try await application.create(on: ctx.app.db)
                let claim = PointsClaim()
                claim.createdAt = ctx.clock.now
                claim.item = "volunteerHours"
                claim.department = "civil"
                claim.value = hours
                claim.factDate = CivilDate("2026-06-30")!
                claim.state = state
                claim.confirmedValue = confirmed
                claim.reason = state == .rejected ? "平台无记录" : nil
                claim.$application.id = try application.requireID()
                try await claim.create(on: ctx.app.db)
                let archive = try await PointsArchive.query(on: ctx.app.db).filter(\.$resident.$id == resident.requireID()).first()!
                archive.$application.id = try application.requireID()
                try await archive.save(on: ctx.app.db)
                // One minute apart, in this order: 甲 submitted before 丁.
                let service = ProgramService(app: ctx.app, db: ctx.app.db, now: ctx.clock.now.addingTimeInterval(Double(60 * n)), actor: .system, logger: ctx.app.logger)
                guard case .saved = try await service.apply(resident: resident, child: child, program: program, schools: ["V1", "V2"]) else { return XCTFail("refused") }
            }
            ctx.clock.advance(10 * 86_400)
            let admin = try await ctx.signedIn("admin")
            try await admin.get("/simulate")
            let started = try await admin.post("/simulate", ["program": "2026-grade1-sim", "draft": "zhangjiagang-2026-draft"])
            let path = try XCTUnwrap(started.location)

            // MUT
            let outcome = try await JobWorker.runOnce(ctx.app)

            // validate
            XCTAssertEqual(outcome, .done)
            // By hand. Today: 甲 1,500 h → 100; 丁 2,100 h confirmed, capped at 1,500 → 100; 丙 1,000 h
            // → 60; 乙's claim rejected → 0. 甲 and 丁 tie at 100; 甲 submitted first: 甲 V1, 丁 V2.
            // Draft: 丁 2,100 h → 120 (the 2,000-hour tier), 甲 100, 丙 60, 乙 0: 丁 V1, 甲 V2.
            // Two results change; had the claimed 1,200 h been read, 丁 would have 60 under both
            // and nothing would change; had the rejected claim counted, 乙 would take a seat.
            let page = try await admin.get(path)
            XCTAssertEqual(Browser.firstMatch(#"id="simulate-changed">(\d+)<"#, in: page.body), "2")
            let job = try await Job.find(UUID(uuidString: String(path.split(separator: "/").last!)), on: ctx.app.db)
            let report = try XCTUnwrap(job?.result?.simulation)
            XCTAssertEqual(report.applicants, 4)
            XCTAssertEqual(report.changed, 2)
            let rows = (report.gainers + report.losers).map { "\($0.name) \($0.before)→\($0.after) \($0.schoolBefore)→\($0.schoolAfter)" }.sorted()
            XCTAssertEqual(rows, ["丁* 100→120 梁丰小学→实验小学", "甲* 100→100 实验小学→梁丰小学"])
        }
    }

    func testAQuestionnaireIsBuiltAnsweredOncePerPhoneAndTabulated() async throws {
        try await withApp(demo: true) { ctx in
            let admin = try await ctx.signedIn("admin")
            try await admin.get("/surveys")
            let broken = try await admin.post("/surveys", ["code": "q1", "title": "满意度", "onePer": "phone", "questions": "单选 只有一个选项\n- 唯一\n问答 什么?"])
            XCTAssertEqual(broken.status, .badRequest)
            XCTAssertTrue(broken.body.contains("第 1 行") && broken.body.contains("第 3 行"))
            let made = try await admin.post("/surveys", ["code": "q1", "title": "满意度", "onePer": "phone",
                                                         "questions": "单选 您满意吗?\n- 满意\n- 不满意\n\n多选 哪些要改进?\n- 宣传\n- 材料\n- 条件\n\n填空 建议?"])
            XCTAssertEqual(made.status, .seeOther)
            try await admin.get("/surveys/q1")
            try await admin.post("/surveys/q1/status", ["status": "open"])
            // Three people answer; the first tries twice.
            for (phone, answers) in [("13900000011", "q0=0&q1=0&q1=1&q2=%E5%A5%BD"), ("13900000012", "q0=0&q1=1&q1=2&q2="), ("13900000013", "q0=1&q1=1&q2=")] {
                let person = Browser(ctx.app)
                try await person.get("/s/q1")
                // The first submission sends a code to the phone; with the code the answer counts.
                let asked = try await person.postRaw("/s/q1", "phone=\(phone)&" + answers)
                XCTAssertEqual(asked.status, .ok, phone)
                XCTAssertTrue(asked.body.contains("验证码已发送"), phone)
                let code = try XCTUnwrap(Browser.firstMatch("验证码是 ([0-9]{6})", in: ctx.notifier.messages.last?.body ?? ""))
                XCTAssertEqual(ctx.notifier.messages.last?.recipient, phone)
                let sent = try await person.postRaw("/s/q1", "phone=\(phone)&code=\(code)&" + answers)
                XCTAssertEqual(sent.status, .seeOther, phone)
                if phone == "13900000011" {
                    try await person.get("/s/q1")
                    let again = try await person.postRaw("/s/q1", "phone=\(phone)&q0=1&q1=0")
                    XCTAssertEqual(again.status, .badRequest)
                    XCTAssertTrue(again.body.contains("已经填写过"))
                }
            }
            let incomplete = Browser(ctx.app)
            try await incomplete.get("/s/q1")
            let missing = try await incomplete.postRaw("/s/q1", "phone=13900000014&q1=0")
            XCTAssertEqual(missing.status, .badRequest)
            XCTAssertTrue(missing.body.contains("请回答第 1 题"))
            let results = try await admin.get("/surveys/q1")
            XCTAssertTrue(results.body.contains(#"<strong id="survey-total">3</strong>"#))
            XCTAssertTrue(results.body.contains("<td>2</td><td>3</td><td>66.67%</td>"), "满意 2 of 3")
            XCTAssertTrue(results.body.contains("<td>3</td><td>3</td><td>100.00%</td>"), "材料 chosen by all three (multiple choice)")
            // One chart per choice question (the fill-in question has none), each drawn as a chart
            // and not merely some SVG (the page also carries the questionnaire's QR code).
            let charts = results.body.components(separatedBy: #"<svg xmlns="http://www.w3.org/2000/svg" class="chart""#).count - 1
            XCTAssertEqual(charts, 2, "a chart per choice question")
            XCTAssertTrue(results.body.contains(#"aria-label="您满意吗?""#) || results.body.contains("<title>您满意吗?</title>"), "the chart of question 1")
            let csv = try await admin.get("/surveys/q1/results.csv")
            XCTAssertEqual(csv.headers.contentType?.subType, "csv")
            XCTAssertTrue(csv.body.hasPrefix("\u{FEFF}序号,问题,选项,人数,调查总人数,百分比"), "UTF-8 with BOM for Excel")
        }
    }

    func testTheDemoQuestionnaireIsSeedTable3AndTheDashboardDrawsEveryTable() async throws {
        try await withApp(demo: true, residents: 1000) { ctx in
            let admin = try await ctx.signedIn("admin")
            let survey = try await admin.get("/surveys/2023-evaluation")
            XCTAssertTrue(survey.body.contains(#"<strong id="survey-total">334</strong>"#))
            XCTAssertTrue(survey.body.contains("<td>181</td><td>334</td><td>54.19%</td>"))
            XCTAssertTrue(survey.body.contains("<td>218</td><td>334</td><td>65.27%</td>"))
            let dashboard = try await admin.get("/dashboard")
            XCTAssertEqual(dashboard.status, .ok)
            let charts = dashboard.body.components(separatedBy: #"class="chart""#).count - 1
            let tables = dashboard.body.components(separatedBy: "<table").count - 1
            XCTAssertGreaterThanOrEqual(charts, 8)
            XCTAssertEqual(charts, tables, "every chart has its table")
            let csv = try await admin.get("/dashboard/residents.csv")
            XCTAssertTrue(csv.body.hasPrefix("\u{FEFF}"))
            XCTAssertTrue(csv.body.contains("杨舍镇"))
            // A clerk's statistics are not his to see; the education bureau's are.
            let clerk = try await ctx.signedIn("clerk.yangshe")
            let refused = try await clerk.get("/dashboard")
            XCTAssertEqual(refused.status, .forbidden)
            // The consultation groups its opinions; the public adds one during the period.
            let consultation = try await Consultation.query(on: ctx.app.db).first()!
            let reader = Browser(ctx.app)
            try await reader.get("/consultations/" + consultation.code)
            let sent = try await objectWithCode(ctx, reader, "/consultations/\(consultation.code)/opinions", ["topic": "志愿服务加分", "text": "支持取消封顶", "phone": "13900000021"])
            XCTAssertEqual(sent.status, .seeOther)
            let summary = try await admin.get("/consultations/" + consultation.code)
            XCTAssertTrue(summary.body.contains("<td>志愿服务加分</td><td>4</td>"), "three from the demo and one now")
        }
    }

    func testAConsultationsTopicsAreItsLinesAsABrowserSendsThem() async throws {
        try await withApp(demo: true) { ctx in
            let admin = try await ctx.signedIn("admin")
            try await admin.get("/consultations")
            // A textarea's lines come with CRLF.
            let created = try await admin.post("/consultations", ["code": "2027-draft", "title": "2027 年计分标准（征求意见稿）", "notice": "欢迎提出意见。",
                                                                  "opens": "2026-09-21", "closes": "2026-10-21", "topics": "志愿服务加分\r\n社保分值\r\n\r\n其他"])
            XCTAssertEqual(created.status, .seeOther)
            let consultation = try await Consultation.query(on: ctx.app.db).filter(\.$code == "2027-draft").first()
            XCTAssertEqual(consultation?.topics, ["志愿服务加分", "社保分值", "其他"])
        }
    }
}
