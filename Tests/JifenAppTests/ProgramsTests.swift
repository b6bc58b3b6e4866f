import Fluent
@testable import JifenApp
import JifenCore
import XCTVapor

/// A resident who can apply: verified residence for years, an issued permit, this year's points
/// in an active archive, and a child of the right age.
/// Files a public form that needs a confirmed phone: the first post sends the code, the second
/// carries it (the code read from the text, as the person would).
func objectWithCode(_ ctx: TestContext, _ browser: Browser, _ path: String, _ form: [String: String]) async throws -> Browser.Page {
    let sent = ctx.notifier.messages.count
    let first = try await browser.post(path, form)
    guard first.status == .ok, ctx.notifier.messages.count > sent,
          let code = Browser.firstMatch("验证码是 ([0-9]{6})", in: ctx.notifier.messages.last?.body ?? "") else { return first }
    return try await browser.post(path, form.merging(["code": code]) { $1 })
}

func makeParent(_ ctx: TestContext, name: String, idNumber: String, points: Int64, child: (name: String, id: String), phone: String? = nil) async throws -> (Resident, HouseholdMember) {
    let data = ctx.app.personalData
    let today = ShanghaiDate.today(ctx.clock.now)
    guard case .success(let id) = ResidentID.validate(idNumber, today: today, regions: ctx.app.regions),
          case .success(let childID) = ResidentID.validate(child.id, today: today, regions: ctx.app.regions) else { throw Abort(.badRequest) }
    let resident = try Resident(name: name, id: id, phone: phone, userID: nil, data: data, at: ctx.clock.now)
    try await resident.create(on: ctx.app.db)
    try await residenceAndPoints(ctx, resident: resident, points: points)
    let member = try HouseholdMember(.child, name: child.name, id: childID, of: resident.requireID(), data: data, at: ctx.clock.now, verifiedBy: "clerk.yangshe")
    try await member.create(on: ctx.app.db)
    return (resident, member)
}

/// Verified residence since 2021, an issued permit valid a year on, and an archive for 2026.
func residenceAndPoints(_ ctx: TestContext, resident: Resident, points: Int64) async throws {
    let grid = try await Jurisdiction.find(code: "320582-01-01-01", on: ctx.app.db)!
    try await verifiedRegistration(ctx, of: resident, address: "城北社区1幢", from: "2021-03-01")
    let permit = ResidencePermit()
    permit.createdAt = ctx.clock.now
    permit.number = "JZ-" + UUID().uuidString.prefix(8)
    permit.basis = "employment"
    permit.evidence = "劳动合同"
    permit.status = .issued
    permit.validUntil = CivilDate("2027-06-30")!
    permit.$resident.id = try resident.requireID()
    permit.$jurisdiction.id = try grid.requireID()
    try await permit.create(on: ctx.app.db)
    let archive = PointsArchive()
    archive.updatedAt = ctx.clock.now
    archive.status = .active
    archive.year = 2026
    archive.total = points * 100
    archive.$resident.id = try resident.requireID()
    try await archive.create(on: ctx.app.db)
}

/// Grade 1 of 2026 (applications in September, children of 6 on 31 August, a permit required),
/// set up directly, with its quotas entered by the education bureau from `quotas` (CSV rows
/// after the header: code, name, town, seats).
@discardableResult
func makeGrade1(_ ctx: TestContext, code: String, maxChoices: Int, minResidenceMonths: Int = 12, quotas: String,
                configure: (Program) -> Void = { _ in }) async throws -> Program {
    let program = Program(code: code, year: 2026, kind: .grade1, title: "2026年积分入学（\(code)）", opens: CivilDate("2026-09-01")!,
                          closes: CivilDate("2026-09-30")!, ageCutoff: CivilDate("2026-08-31")!, by: "admin", at: ctx.clock.now)
    program.maxChoices = maxChoices
    program.minResidenceMonths = minResidenceMonths
    program.requirePermit = true
    configure(program)
    try await program.create(on: ctx.app.db)
    let edu = try await ctx.signedIn("edu")
    try await edu.get("/programs/\(code)")
    let entered = try await edu.upload("/programs/\(code)/quotas/csv", fields: [:], file: (name: "file", filename: "q.csv",
        contents: "学校代码,学校名称,所在镇（街道）代码,学位数\n" + quotas))
    XCTAssertEqual(entered.status, .seeOther, "quotas of \(code)")
    return program
}

final class ProgramsTests: XCTestCase {
    /// A service's refusals as a Chinese page words them.
    static func chinese(_ refusals: [ProgramService.Refusal], _ app: Application) -> [String] {
        refusals.map { ProgramService.words($0, app.catalog, .zh) }
    }

    /// The school and outcome of each line of 我的报名's table.
    static func resultLines(_ body: String) -> [[String]] { resultCells(body).map { [$0[0], $0[2]] } }

    /// Each line of 我的报名 as it reads: the school, its cutoff, what the round did there.
    static func resultCells(_ body: String) -> [[String]] {
        let cell = #"<td data-label="[^"]*">([^<]*)</td>"#
        guard let regex = try? NSRegularExpression(pattern: cell + cell + cell) else { return [] }
        return regex.matches(in: body, range: NSRange(body.startIndex..., in: body)).map { match in
            [1, 2, 3].map { String(body[Range(match.range(at: $0), in: body)!]) }
        }
    }

    static func id(_ region: String, _ birth: String, _ seq: String) -> String {
        let first17 = region + birth + seq
        return first17 + String(ResidentID.checkDigit(first17)!)
    }

    func testSetUpQuotasApplyAllocateAndPublishWithoutPersonalData() async throws {
        try await withApp(demo: true) { ctx in
            // The centre sets up grade 1 of 2026 (applications until 30 September).
            let admin = try await ctx.signedIn("admin")
            try await admin.get("/programs/new")
            var form = ["code": "2026-grade1", "title": "", "kind": "grade1", "year": "2026", "opens": "2026-09-01", "closes": "2026-09-30",
                        "maxChoices": "3", "minResidence": "1年", "requirePermit": "on", "ageCutoff": "2026-08-31", "tiebreak": "socialSecurity,residence"]
            let missing = try await admin.post("/programs", form)
            XCTAssertEqual(missing.status, .badRequest)
            XCTAssertTrue(missing.body.contains("请填写项目名称"))
            // The refused form keeps what was typed, marks the field and ties its message to it.
            XCTAssertTrue(missing.body.contains(#"<input id="title" name="title" value="" maxlength="80" aria-describedby="title-error" aria-invalid="true"><p class="error" id="title-error">"#))
            XCTAssertTrue(missing.body.contains(#"<input id="closes" name="closes" type="date" value="2026-09-30">"#))
            XCTAssertTrue(missing.body.contains(#"<option value="grade1" selected>"#))
            XCTAssertTrue(missing.body.contains(#"<input type="checkbox" id="requirePermit" name="requirePermit" checked>"#))
            form["title"] = "2026年积分入学（小学一年级）"
            form["tiebreak"] = "socialSecurity,nonsense"
            let badCategory = try await admin.post("/programs", form)
            XCTAssertTrue(badCategory.body.contains("计分标准中没有类别“nonsense”"))
            form["tiebreak"] = "socialSecurity,residence"
            let created = try await admin.post("/programs", form)
            XCTAssertEqual(created.status, .seeOther)

            // The education bureau enters quotas from a CSV: a bad row changes nothing.
            let edu = try await ctx.signedIn("edu")
            try await edu.get("/programs/2026-grade1")
            let bad = try await edu.upload("/programs/2026-grade1/quotas/csv", fields: [:], file: (name: "file", filename: "q.csv",
                contents: "学校代码,学校名称,所在镇（街道）代码,学位数\nS1,实验小学,320582-01,1\nS2,梁丰小学,320582-01,很多\n"))
            XCTAssertEqual(bad.status, .badRequest)
            XCTAssertTrue(bad.body.contains("第 3 行：学位数应为 0–10000 的整数"))
            let none = try await Quota.query(on: ctx.app.db).count()
            XCTAssertEqual(none, 0, "all rows or none")
            try await edu.get("/programs/2026-grade1")
            let good = try await edu.upload("/programs/2026-grade1/quotas/csv", fields: [:], file: (name: "file", filename: "q.csv",
                contents: "学校代码,学校名称,所在镇（街道）代码,学位数\r\nS1,实验小学,320582-01,1\r\nS2,梁丰小学,320582-01,2\r\nS3,塘桥中心小学,320582-02,1\r\nS4,城北小学,320582-01,1\r\n"))
            XCTAssertEqual(good.status, .seeOther)
            try await edu.get("/programs/2026-grade1")
            try await approveAllSteps(ctx, .quota, "2026-grade1")
            try await edu.post("/programs/2026-grade1/quotas/publish", [:])
            let public1 = try await Browser(ctx.app).get("/programs/2026-grade1")
            XCTAssertTrue(public1.body.contains("梁丰小学"), "published quotas are public")
            XCTAssertTrue(public1.body.contains(#"<strong id="total-seats">5</strong>"#))

            // Five parents apply. 李明 through the pages; four others through the same service.
            let (citizen, liming) = try await makeApplicant(ctx)
            try await residenceAndPoints(ctx, resident: liming, points: 80)
            try await citizen.get("/me/residence")
            let childName = "李小明"
            let childNumber = Self.id("341202", "20200315", "221")
            let added = try await citizen.post("/me/household", ["relation": "child", "name": childName, "idNumber": childNumber, "evidence": "birthCertificate"])
            XCTAssertEqual(added.status, .seeOther)
            try await citizen.get("/programs/2026-grade1/apply")
            let noChild = try await citizen.post("/programs/2026-grade1/apply", ["school1": "S1"])
            XCTAssertEqual(noChild.status, .badRequest)
            XCTAssertTrue(noChild.body.contains("请选择为哪个孩子报名"))
            let child = try await HouseholdMember.query(on: ctx.app.db).first()!
            let childID = try child.requireID().uuidString
            let applied = try await citizen.post("/programs/2026-grade1/apply", ["child": childID, "school1": "S2", "school2": "S1"])
            XCTAssertEqual(applied.status, .seeOther)
            // He may change the ranking until the deadline; it stays one application.
            try await citizen.get("/programs/2026-grade1/apply")
            let reranked = try await citizen.post("/programs/2026-grade1/apply", ["child": childID, "school1": "S1", "school2": "S2"])
            XCTAssertEqual(reranked.status, .seeOther)

            // The others apply a minute later: 李明 submitted first.
            ctx.clock.advance(60)
            let program = try await Program.query(on: ctx.app.db).first()!
            let service = ProgramService(app: ctx.app, db: ctx.app.db, now: ctx.clock.now, actor: .system, logger: ctx.app.logger)
            var parents: [(Resident, HouseholdMember)] = []
            for (n, (name, points)) in [("王大伟", Int64(90)), ("张三丰", 85), ("赵敏", 80), ("钱多多", 70)].enumerated() {
                let parent = try await makeParent(ctx, name: name, idNumber: Self.id("410102", "198\(n)0101", "13\(n)"), points: points,
                                                  child: (name: name.prefix(1) + "小孩", id: Self.id("410102", "2020050\(n + 1)", "24\(n)")),
                                                  phone: "1390000010\(n)")
                parents.append(parent)
            }
            let prefs = [["S1", "S2"], ["S1", "S3"], ["S2"], ["S1", "S2", "S3"]]
            for ((resident, child), p) in zip(parents, prefs) {
                guard case .saved = try await service.apply(resident: resident, child: child, program: program, schools: p) else { return XCTFail("refused") }
            }
            // The other parent of 王大伟's child cannot apply for the same child again.
            let spouse = try await makeParent(ctx, name: "王妻", idNumber: Self.id("410102", "19850101", "150"), points: 95,
                                              child: (name: "王小孩", id: Self.id("410102", "20200501", "240")))
            let twice = try await service.apply(resident: spouse.0, child: spouse.1, program: program, schools: ["S1"])
            guard case .refused(let refusals) = twice else { return XCTFail("a child applied for twice") }
            let reasons = Self.chinese(refusals, ctx.app)
            XCTAssertTrue(reasons.contains("这个孩子已经报过名了（夫妻双方只能一方报名）。"))
            // A child of the wrong age, and more schools than allowed, are refused with reasons.
            let young = try await makeParent(ctx, name: "孙年轻", idNumber: Self.id("410102", "19900101", "160"), points: 99,
                                             child: (name: "孙宝宝", id: Self.id("410102", "20221001", "260")))
            let refused = try await service.apply(resident: young.0, child: young.1, program: program, schools: ["S1", "S2", "S3", "S1"])
            guard case .refused(let refusals2) = refused else { return XCTFail("accepted") }
            let why = Self.chinese(refusals2, ctx.app)
            XCTAssertTrue(why.contains { $0.contains("满 3 周岁，本项目要求 6–6 周岁") }, why.joined())
            XCTAssertTrue(why.contains("最多可填报 3 所学校。"))

            // Running before the deadline is refused; after it, the round is allocated and published.
            try await admin.get("/programs/2026-grade1")
            let early = try await admin.post("/programs/2026-grade1/rounds", [:])
            XCTAssertEqual(early.status, .badRequest)
            ctx.clock.advance(10 * 86_400)
            try await admin.signIn("admin", "demo12345")
            try await admin.get("/programs/2026-grade1")
            let ran = try await admin.post("/programs/2026-grade1/rounds", [:])
            XCTAssertEqual(ran.status, .seeOther)
            XCTAssertEqual(ran.location, "/publicity/2026-grade1/1")

            // The bureau's list: every application, masked, highest frozen points first.
            let list = try await admin.get("/programs/2026-grade1/applications?sort=points")
            XCTAssertEqual(list.status, .ok)
            XCTAssertTrue(list.body.contains("王*伟"))
            XCTAssertFalse(list.body.contains("王大伟") || list.body.contains(childName))
            let order = try ["王*伟", "张*丰", "钱*多"].map { try XCTUnwrap(list.body.range(of: $0)?.lowerBound, "\($0) is listed") }
            XCTAssertEqual(order, order.sorted(), "90, 85, then 70 points")

            // By hand: 王大伟 90 → S1; 张三丰 85 → S1 full → S3; 李明 and 赵敏 tie at 80 and S2 has two
            // seats: 李明 (S1 full) → S2, 赵敏 → S2; 钱多多 70 → S1, S2, S3 all full → nothing (S4
            // is ranked by nobody).
            let results = try await AllocationResult.query(on: ctx.app.db).with(\.$application) { $0.with(\.$resident) }.all()
            let got = Dictionary(uniqueKeysWithValues: results.map { ($0.application.resident.name, $0.schoolCode ?? "-") })
            // Each parent's text tells his own outcome: two schools, one school twice (李明 and
            // 赵敏 at 梁丰小学), and one not placed.
            func resultText(_ phone: String) -> String? {
                ctx.notifier.messages.last { $0.recipient == phone && $0.kind == "serviceResult" }?.body
                    .replacingOccurrences(of: "【积分】“2026年积分入学（小学一年级）”第 1 轮录取结果已公示：", with: "")
                    .replacingOccurrences(of: "。公示至 2026-10-07，有异议可在公示页提出。", with: "")
            }
            XCTAssertEqual(["13900000100", "13900000101", "13900000102", "13900000103", "13800000001"].map(resultText),
                           ["已被实验小学录取", "已被塘桥中心小学录取", "已被梁丰小学录取", "本轮未录取", "已被梁丰小学录取"])
            XCTAssertEqual(got, ["王大伟": "S1", "张三丰": "S3", "李明": "S2", "赵敏": "S2", "钱多多": "-"])

            // The publicity is public, masked, and holds no ID number and no child's name.
            let page = try await Browser(ctx.app).get("/publicity/2026-grade1/1")
            XCTAssertEqual(page.status, .ok)
            XCTAssertTrue(page.body.contains("王*伟") && page.body.contains("李*"), "masked names")
            XCTAssertFalse(page.body.contains("王大伟"))
            XCTAssertNil(page.body.range(of: #"\d{17}[\dXx]"#, options: .regularExpression), "no ID number")
            XCTAssertFalse(page.body.contains(childName) || page.body.contains("王小孩"), "no child's name")
            XCTAssertTrue(page.body.contains("2026-10-01 – 2026-10-07"), "7 days of publicity")

            // 李明's result in plain words, with each school's cutoff.
            let mine = try await citizen.signIn("13800000001", "demo12345")
            _ = mine
            let result = try await citizen.get("/me/programs")
            XCTAssertTrue(result.body.contains("已录取：梁丰小学"))
            XCTAssertTrue(result.body.contains("轮到您时已满额"), "his first choice S1 was full")
            // Each of his schools with its cutoff: S1's one seat went to 王大伟 (90), S2's last to 80.
            XCTAssertEqual(Self.resultCells(result.body), [["实验小学", "90", "轮到您时已满额"], ["梁丰小学", "80", "录取"]])
            let stats = try await Stats.counts(on: ctx.app.db)
            XCTAssertEqual(stats.first { $0.0 == "applications" }?.1, 5)
            XCTAssertEqual(stats.first { $0.0 == "schools" }?.1, 4)
            XCTAssertEqual(stats.first { $0.0 == "seats" }?.1, 5)

            // An objection from the public: 钱多多's points were entered wrong.
            let numberOf = Dictionary(uniqueKeysWithValues: results.map { ($0.application.resident.name, $0.number) })
            let publicBrowser = Browser(ctx.app)
            try await publicBrowser.get("/publicity/2026-grade1/1")
            let badPhone = try await publicBrowser.post("/publicity/2026-grade1/1/objections", ["name": "钱先生", "phone": "12345", "number": numberOf["钱多多"]!, "text": "社保月数漏算"])
            XCTAssertEqual(badPhone.status, .badRequest)
            let filed = try await objectWithCode(ctx, publicBrowser, "/publicity/2026-grade1/1/objections", ["name": "钱先生", "phone": "13900000002", "number": numberOf["钱多多"]!, "text": "社保月数漏算，应为 95 分"])
            XCTAssertEqual(filed.status, .seeOther)
            let objection = try await Objection.query(on: ctx.app.db).first()!
            // 15 working days from Thursday 2026-10-01 on the shipped 2026 calendar: (1–7 off), 8, 9,
            // Saturday 10 (worked), 12–16, 19–23, 26, 27.
            XCTAssertEqual(objection.dueDate, CivilDate("2026-10-27"))
            // Finalizing with the objection open is refused.
            try await admin.get("/publicity/2026-grade1/1")
            let tooSoon = try await admin.post("/programs/2026-grade1/rounds/1/finalize", [:])
            XCTAssertEqual(tooSoon.status, .badRequest)
            XCTAssertTrue(tooSoon.body.contains("还有 1 件异议未答复"))
            // The bureau corrects 钱多多 to 95 points: the round is allocated again, and the
            // publicity says which results changed and why.
            try await edu.signIn("edu", "demo12345")   // ten days on, a new session
            let objectionsPage = try await edu.get("/programs/2026-grade1/objections")
            XCTAssertTrue(objectionsPage.body.contains("社保月数漏算"))
            let answered = try await edu.post("/programs/2026-grade1/objections/\(objection.requireID().uuidString)/answer",
                                              ["answer": "经核查社保月数漏算，更正为 95 分", "correctNumber": numberOf["钱多多"]!, "correctPoints": "95"])
            XCTAssertEqual(answered.status, .seeOther)
            XCTAssertEqual(answered.location, "/programs/2026-grade1/objections")
            let corrected = try await AllocationResult.query(on: ctx.app.db).with(\.$application) { $0.with(\.$resident) }.all()
            let after = Dictionary(uniqueKeysWithValues: corrected.map { ($0.application.resident.name, $0.schoolCode ?? "-") })
            XCTAssertEqual(after, ["钱多多": "S1", "王大伟": "S2", "张三丰": "S3", "李明": "S2", "赵敏": "-"])
            let correctedPage = try await Browser(ctx.app).get("/publicity/2026-grade1/1")
            XCTAssertTrue(correctedPage.body.contains("经核查社保月数漏算，更正为 95 分"))
            XCTAssertTrue(correctedPage.body.contains("\(numberOf["赵敏"]!)：梁丰小学 → 未录取"))
            XCTAssertTrue(correctedPage.body.contains("\(numberOf["钱多多"]!)：未录取 → 实验小学"))
            // After the 7 days, the round is final and locked.
            ctx.clock.advance(7 * 86_400)
            try await admin.signIn("admin", "demo12345")
            try await admin.get("/publicity/2026-grade1/1")
            let final = try await admin.post("/programs/2026-grade1/rounds/1/finalize", [:])
            XCTAssertEqual(final.status, .seeOther)
            let locked = try await publicBrowser.post("/publicity/2026-grade1/1/objections", ["name": "某人", "phone": "13900000003", "text": "迟到的异议"])
            XCTAssertEqual(locked.status, .badRequest)

            // Second round (调剂): 赵敏 gives no new ranking and is placed by the town she lives in
            // (杨舍镇: S4 has its seat left); the list is published the same way.
            try await admin.get("/programs/2026-grade1")
            let second = try await admin.post("/programs/2026-grade1/rounds", [:])
            XCTAssertEqual(second.location, "/publicity/2026-grade1/2")
            let round2 = try await AllocationRound.query(on: ctx.app.db).filter(\.$round == 2).first()!
            let placed = try await AllocationResult.query(on: ctx.app.db).filter(\.$round.$id == round2.requireID()).all()
            XCTAssertEqual(placed.map(\.number), [numberOf["赵敏"]!])
            XCTAssertEqual(placed.first?.schoolCode, "S4")
            let list2 = try await Browser(ctx.app).get("/publicity/2026-grade1/2")
            XCTAssertTrue(list2.body.contains("城北小学") && list2.body.contains("赵*"))
            XCTAssertNil(list2.body.range(of: #"\d{17}[\dXx]"#, options: .regularExpression))
            // Its publicity over, the second round is final too: the final lists stand.
            ctx.clock.advance(7 * 86_400)
            try await admin.signIn("admin", "demo12345")
            try await admin.get("/publicity/2026-grade1/2")
            let final2 = try await admin.post("/programs/2026-grade1/rounds/2/finalize", [:])
            XCTAssertEqual(final2.status, .seeOther)
            let rounds = try await AllocationRound.query(on: ctx.app.db).all()
            XCTAssertTrue(rounds.allSatisfy { $0.finalizedAt != nil })
            let third = try await admin.post("/programs/2026-grade1/rounds", [:])
            XCTAssertEqual(third.status, .badRequest, "two rounds at most")
            // 李明 (the one with a phone) got a text when he applied (not when he re-ranked) and one
            // when the first round was published; the second round did not concern him.
            let texts = ctx.notifier.messages.filter { $0.recipient == "13800000001" }
            XCTAssertEqual(texts.filter { $0.kind == "serviceApplied" }.count, 1)
            XCTAssertEqual(texts.filter { $0.kind == "serviceResult" }.map(\.body), ["【积分】“2026年积分入学（小学一年级）”第 1 轮录取结果已公示：已被梁丰小学录取。公示至 2026-10-07，有异议可在公示页提出。"])
            try await citizen.signIn("13800000001", "demo12345")
            let finalMine = try await citizen.get("/me/programs")
            XCTAssertTrue(finalMine.body.contains("已录取：梁丰小学"))
        }
    }

    /// Round 2 (调剂) places those left by the ranking they give again, in the same priority
    /// order, at any school with seats left — not by the town they live in when they gave one.
    func testACorrectionOfASecondRoundPlacedByTownMovesTheDisplacedOnToTheNextSchoolOfTheTown() async throws {
        try await withApp(demo: true) { ctx in
            // setup: R1, R3 and R5 in 杨舍镇 (where everyone lives), one seat each.
            let program = try await makeGrade1(ctx, code: "2026-grade1-t", maxChoices: 1,
                                               quotas: "R1,实验小学,320582-01,1\nR3,城北小学,320582-01,1\nR5,城南小学,320582-01,1\n")
            let edu = try await ctx.signedIn("edu")
            try await edu.get("/programs/2026-grade1-t")
            try await approveAllSteps(ctx, .quota, "2026-grade1-t")
            try await edu.post("/programs/2026-grade1-t/quotas/publish", [:])
            // Four parents, all wanting R1 only: 王 95, 张 80, 赵 70, 钱 60.
            let service = ProgramService(app: ctx.app, db: ctx.app.db, now: ctx.clock.now, actor: .system, logger: ctx.app.logger)
            var numbers: [String: String] = [:]
            var parents: [String: Resident] = [:]
            for (n, (name, points)) in [("王大伟", Int64(95)), ("张三丰", 80), ("赵敏", 70), ("钱多多", 60)].enumerated() {
                let (resident, child) = try await makeParent(ctx, name: name, idNumber: Self.id("410102", "198\(n)0404", "41\(n)"), points: points,
                                                             child: (name: name.prefix(1) + "小孩", id: Self.id("410102", "2020070\(n + 1)", "42\(n)")))
                parents[name] = resident
                guard case .saved = try await service.apply(resident: resident, child: child, program: program, schools: ["R1"]) else { return XCTFail("refused") }
                numbers[name] = try await ServiceApplication.query(on: ctx.app.db).filter(\.$resident.$id == resident.requireID()).first()?.number
            }
            // Round 1: 王 takes R1. Round 2, nobody ranks again: placement by town, in code order.
            ctx.clock.advance(10 * 86_400)
            let organiser = { ProgramService(app: ctx.app, db: ctx.app.db, now: ctx.clock.now, actor: .system, logger: ctx.app.logger) }
            _ = try await organiser().run(program, round: 1)
            ctx.clock.advance(7 * 86_400)
            let round1 = try await AllocationRound.query(on: ctx.app.db).filter(\.$program.$id == program.requireID()).filter(\.$round == 1).first()!
            round1.finalizedAt = ctx.clock.now
            try await round1.save(on: ctx.app.db)
            _ = try await organiser().run(program, round: 2)
            let round2 = try await AllocationRound.query(on: ctx.app.db).filter(\.$program.$id == program.requireID()).filter(\.$round == 2).first()!
            func placed() async throws -> [String: String] {
                let rows = try await AllocationResult.query(on: ctx.app.db).filter(\.$round.$id == round2.requireID()).with(\.$application) { $0.with(\.$resident) }.all()
                // (a result stored twice shows as both, not as a crash)
                return Dictionary(rows.map { ($0.application.resident.name, $0.schoolCode ?? "-") }, uniquingKeysWith: { $0 + "+" + $1 })
            }
            // By hand: 张 (80) → R3; 赵 (70) → R3 full → R5; 钱 (60) → R3 full → R5 full → none.
            let before = try await placed()
            XCTAssertEqual(before, ["张三丰": "R3", "赵敏": "R5", "钱多多": "-"])
            // What 我的报名 tells those placed by town: round 2 (not round 1, where R1 was full),
            // the schools of the town in the order tried, each with round 2's cutoff there (R3 went
            // to 张 with 80, R5 to 赵 with 70).
            for (name, expected) in [("赵敏", [["R3", "80", "full"], ["R5", "70", "admitted"]]),
                                     ("钱多多", [["R3", "80", "full"], ["R5", "70", "full"]])] {
                let standings = try await organiser().standings(of: try XCTUnwrap(parents[name]))
                let standing = try XCTUnwrap(standings.first, name)
                XCTAssertEqual(standing.round?.round, 2, name)
                XCTAssertEqual(standing.lines.map { [$0.school, $0.cutoff?.description ?? "-", $0.outcome?.rawValue ?? "-"] }, expected, name)
                XCTAssertEqual(standing.schoolNames["R5"], "城南小学", name)
            }

            // MUT: an objection finds 钱 had 90 points.
            let changes = try await organiser().correct(round2, number: try XCTUnwrap(numbers["钱多多"]), points: Points(hundredths: 9000), reason: "社保月数漏算")

            // validate: by hand again, 钱 (90) → R3; 张 (80) → R3 full → R5 (the next school of his
            // town, past where the first run admitted him); 赵 (70) → R3, R5 full → none.
            let after = try await placed()
            XCTAssertEqual(after, ["钱多多": "R3", "张三丰": "R5", "赵敏": "-"])
            XCTAssertEqual(Set(changes.map { "\($0.number) \($0.before)→\($0.after)" }),
                           [try XCTUnwrap(numbers["钱多多"]) + " -→R3", try XCTUnwrap(numbers["张三丰"]) + " R3→R5", try XCTUnwrap(numbers["赵敏"]) + " R5→-"])

            // Two more corrections at the same moment (张 had 95, 赵 only 50): each waits for the
            // other and reads what it left, so the end is what both together give: 张 (95) → R3,
            // 钱 (90) → R5, 赵 (50) → none.
            let zhang = try XCTUnwrap(numbers["张三丰"]), zhao = try XCTUnwrap(numbers["赵敏"])
            let one = organiser(), other = organiser(), roundID = try round2.requireID(), db = ctx.app.db
            async let first: [ProgramService.Change] = {
                try await one.correct(AllocationRound.find(roundID, on: db)!, number: zhang, points: Points(hundredths: 9500), reason: "学历加分漏算")
            }()
            async let second: [ProgramService.Change] = {
                try await other.correct(AllocationRound.find(roundID, on: db)!, number: zhao, points: Points(hundredths: 5000), reason: "志愿服务时长核减")
            }()
            _ = try await (first, second)
            let both = try await placed()
            XCTAssertEqual(both, ["张三丰": "R3", "钱多多": "R5", "赵敏": "-"])
            let corrections = try await RoundCorrection.query(on: ctx.app.db).filter(\.$round.$id == round2.requireID()).count()
            XCTAssertEqual(corrections, 3)
            // A final round is not corrected, even by a correction that was waiting for the lock.
            round2.finalizedAt = ctx.clock.now
            try await round2.save(on: ctx.app.db)
            do {
                _ = try await organiser().correct(round2, number: zhao, points: Points(hundredths: 9900), reason: "晚到的更正")
                XCTFail("a final round was corrected")
            } catch let abort as Abort {
                XCTAssertEqual(abort.status, .conflict)
            }
            let unchanged = try await placed()
            XCTAssertEqual(unchanged, both)
        }
    }

    func testTheSecondRoundFollowsEachParentsNewRanking() async throws {
        try await withApp(demo: true) { ctx in
            // setup: grade 1 with three schools: R1 and R3 in 杨舍镇 (where everyone lives), R2 in 塘桥镇.
            let program = try await makeGrade1(ctx, code: "2026-grade1-r", maxChoices: 2,
                                               quotas: "R1,实验小学,320582-01,1\nR2,塘桥中心小学,320582-02,2\nR3,城北小学,320582-01,1\n")
            let edu = try await ctx.signedIn("edu")
            try await edu.get("/programs/2026-grade1-r")
            try await approveAllSteps(ctx, .quota, "2026-grade1-r")
            try await edu.post("/programs/2026-grade1-r/quotas/publish", [:])

            // Four parents, all wanting R1 only: 王 95, 张 80, 赵 70, 钱 60. Each can sign in.
            let service = ProgramService(app: ctx.app, db: ctx.app.db, now: ctx.clock.now, actor: .system, logger: ctx.app.logger)
            var browsers: [String: Browser] = [:], phones: [String: String] = [:]
            for (n, (name, points)) in [("王大伟", Int64(95)), ("张三丰", 80), ("赵敏", 70), ("钱多多", 60)].enumerated() {
                let (resident, child) = try await makeParent(ctx, name: name, idNumber: Self.id("410102", "198\(n)0303", "31\(n)"), points: points,
                                                             child: (name: name.prefix(1) + "小孩", id: Self.id("410102", "2020060\(n + 1)", "32\(n)")))
                guard case .saved = try await service.apply(resident: resident, child: child, program: program, schools: ["R1"]) else { return XCTFail("refused") }
                let phone = "1390000100\(n)"
                let user = User(login: phone, passwordHash: try ctx.app.password.hash("parent12345"), displayName: name, role: .citizen, status: .active,
                                jurisdictionID: nil, departmentID: nil, at: ctx.clock.now)
                try await user.create(on: ctx.app.db)
                resident.$user.id = try user.requireID()
                try await resident.save(on: ctx.app.db)
                let browser = Browser(ctx.app)
                try await browser.signIn(phone, "parent12345")
                browsers[name] = browser
                phones[name] = phone
            }
            // Round 1 after the deadline: only 王 gets R1; the round is published and made final.
            ctx.clock.advance(10 * 86_400)
            let admin = try await ctx.signedIn("admin")
            try await admin.get("/programs/2026-grade1-r")
            let first = try await admin.post("/programs/2026-grade1-r/rounds", [:])
            XCTAssertEqual(first.location, "/publicity/2026-grade1-r/1")
            let zhangBrowser = try XCTUnwrap(browsers["张三丰"])
            try await zhangBrowser.signIn(try XCTUnwrap(phones["张三丰"]), "parent12345")
            let inPublicity = try await zhangBrowser.get("/me/programs")
            XCTAssertFalse(inPublicity.body.contains("/programs/2026-grade1-r/second"), "no second round while the first is in publicity")
            ctx.clock.advance(7 * 86_400)
            try await admin.signIn("admin", "demo12345")
            try await admin.get("/publicity/2026-grade1-r/1")
            let final = try await admin.post("/programs/2026-grade1-r/rounds/1/finalize", [:])
            XCTAssertEqual(final.status, .seeOther)

            // New rankings over the seats left: 张 R2 only (a school of another town, not in his
            // first list); 赵 and 钱 both R3 then R2.
            for (name, choices) in [("张三丰", ["R2"]), ("赵敏", ["R3", "R2"]), ("钱多多", ["R3", "R2"])] {
                let parent = try XCTUnwrap(browsers[name])
                try await parent.signIn(try XCTUnwrap(phones[name]), "parent12345")   // ten days on, a new session
                // 我的报名 leads him there: not placed, round 1 final.
                let mine = try await parent.get("/me/programs")
                XCTAssertTrue(mine.body.contains(#"href="/programs/2026-grade1-r/second""#), name)
                let page = try await parent.get("/programs/2026-grade1-r/second")
                XCTAssertEqual(page.status, .ok, name)
                XCTAssertFalse(page.body.contains(#"value="R1""#), "a full school is not offered")
                var form: [String: String] = [:]
                for (k, code) in choices.enumerated() { form["school\(k + 1)"] = code }
                let saved = try await parent.post("/programs/2026-grade1-r/second", form)
                XCTAssertEqual(saved.status, .seeOther, name)
            }
            let wang = try XCTUnwrap(browsers["王大伟"])
            try await wang.signIn("13900001000", "parent12345")
            let placedAlready = try await wang.get("/programs/2026-grade1-r/second")
            XCTAssertEqual(placedAlready.status, .notFound, "the one placed in round 1 has no second round")
            let wangsPage = try await wang.get("/me/programs")
            XCTAssertFalse(wangsPage.body.contains("/programs/2026-grade1-r/second"), "nor a link to it")

            // MUT
            try await admin.signIn("admin", "demo12345")
            try await admin.get("/programs/2026-grade1-r")
            let second = try await admin.post("/programs/2026-grade1-r/rounds", [:])
            XCTAssertEqual(second.location, "/publicity/2026-grade1-r/2")

            // validate: by hand, in priority order 张 (80) → R2; 赵 (70) → R3; 钱 (60) → R3 full → R2.
            let round2 = try await AllocationRound.query(on: ctx.app.db).filter(\.$round == 2).filter(\.$program.$id == program.requireID()).first()!
            let results = try await AllocationResult.query(on: ctx.app.db).filter(\.$round.$id == round2.requireID())
                .with(\.$application) { $0.with(\.$resident) }.all()
            let got = Dictionary(uniqueKeysWithValues: results.map { ($0.application.resident.name, $0.schoolCode ?? "-") })
            XCTAssertEqual(got, ["张三丰": "R2", "赵敏": "R3", "钱多多": "R2"])
            let zhang = try XCTUnwrap(browsers["张三丰"])
            try await zhang.signIn("13900001001", "parent12345")
            let mine = try await zhang.get("/me/programs")
            XCTAssertTrue(mine.body.contains("已录取：塘桥中心小学"), "his round-2 school, by name")
            let zhangResident = try await Resident.query(on: ctx.app.db).filter(\.$name == "张三丰").first()
            let glance = try await CitizenGlance.query(resident: zhangResident, today: ShanghaiDate.today(ctx.clock.now), on: ctx.app.db)
            XCTAssertEqual(glance.services, .admitted(school: "塘桥中心小学"), "his home says where he was placed")
            // 我的报名 lists the round-2 ranking with what each school did, not his round-1 list
            // (R1, full, beside a school he never ranked there).
            XCTAssertEqual(Self.resultLines(mine.body), [["塘桥中心小学", "录取"]])
            for (name, expected) in [("钱多多", [["城北小学", "轮到您时已满额"], ["塘桥中心小学", "录取"]]),
                                     ("赵敏", [["城北小学", "录取"], ["塘桥中心小学", "（已被前一志愿录取）"]])] {
                let parent = try XCTUnwrap(browsers[name])
                try await parent.signIn(try XCTUnwrap(phones[name]), "parent12345")
                let page = try await parent.get("/me/programs")
                XCTAssertEqual(Self.resultLines(page.body), expected, name)
            }
        }
    }

    /// A parent reading in English is told in English why the service refuses him.
    func testAnEnglishPageShowsTheRefusalsInEnglish() async throws {
        try await withApp(demo: true) { ctx in
            // setup: grade 1 asking for a permit and five years of residence; 李明 has lived
            // here since March 2023 and has no permit.
            try await makeGrade1(ctx, code: "2026-grade1-en", maxChoices: 1, minResidenceMonths: 60, quotas: "E1,实验小学,320582-01,3\n")
            let (citizen, _) = try await makeApplicant(ctx)
            try await citizen.get("/me/residence")
            let added = try await citizen.post("/me/household", ["relation": "child", "name": "李小明", "idNumber": Self.id("341202", "20200315", "221"), "evidence": "birthCertificate"])
            XCTAssertEqual(added.status, .seeOther)
            let child = try await HouseholdMember.query(on: ctx.app.db).first()!
            try await citizen.get("/lang/en?back=%2Fhome")
            try await citizen.get("/programs/2026-grade1-en/apply")

            // MUT
            let refused = try await citizen.post("/programs/2026-grade1-en/apply", ["child": child.requireID().uuidString, "school1": "E1"])

            // validate
            XCTAssertEqual(refused.status, .badRequest)
            XCTAssertTrue(refused.body.contains("A valid residence permit is required."), "the permit, in English")
            XCTAssertTrue(refused.body.contains("5 years of residence needed; you have 3 years 6 months."), "the years, in English")
            XCTAssertFalse(refused.body.contains("需持有有效的居住证"), "no Chinese refusal on an English page")
            XCTAssertFalse(refused.body.contains("需合法居住满"))
        }
    }

    func testAThresholdProgramQualifiesEveryoneAtTheLine() async throws {
        try await withApp(demo: true) { ctx in
            let program = Program(code: "2026-insurance", year: 2026, kind: .childInsurance, title: "2026年积分入医", opens: CivilDate("2026-09-01")!,
                                  closes: CivilDate("2026-09-30")!, ageCutoff: CivilDate("2026-09-30")!, by: "admin", at: ctx.clock.now)
            program.minResidenceMonths = 12
            program.requirePermit = true
            program.threshold = 8_000
            try await program.create(on: ctx.app.db)
            let service = ProgramService(app: ctx.app, db: ctx.app.db, now: ctx.clock.now, actor: .system, logger: ctx.app.logger)
            for (n, points) in [Int64(90), 80, 70].enumerated() {
                let (resident, child) = try await makeParent(ctx, name: ["周一", "吴二", "郑三"][n], idNumber: Self.id("410102", "198\(n)0202", "17\(n)"), points: points,
                                                             child: (name: "孩子\(n)", id: Self.id("410102", "2015020\(n + 1)", "27\(n)")))
                let result = try await service.apply(resident: resident, child: child, program: program, schools: [])
                if points < 80 {
                    guard case .refused(let refusals) = result else { return XCTFail("below the line accepted") }
                    XCTAssertTrue(Self.chinese(refusals, ctx.app).contains("积分需达到 80 分，您目前为 70 分。"))
                } else {
                    guard case .saved = result else { return XCTFail("refused") }
                }
            }
            ctx.clock.advance(10 * 86_400)
            let later = ProgramService(app: ctx.app, db: ctx.app.db, now: ctx.clock.now, actor: .system, logger: ctx.app.logger)
            _ = try await later.run(program, round: 1)
            let page = try await Browser(ctx.app).get("/publicity/2026-insurance/1")
            XCTAssertTrue(page.body.contains("积分线"))
            XCTAssertEqual(page.body.components(separatedBy: ">达标<").count - 1, 2, "both at or above 80 qualify")
            for (name, expected) in [("周一", CitizenGlance.Services.qualified), ("吴二", .qualified)] {
                let resident = try await Resident.query(on: ctx.app.db).filter(\.$name == name).first()
                let glance = try await CitizenGlance.query(resident: resident, today: ShanghaiDate.today(ctx.clock.now), on: ctx.app.db)
                XCTAssertEqual(glance.services, expected, name)
            }
        }
    }
}
