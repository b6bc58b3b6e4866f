import Fluent
@testable import JifenApp
import JifenCore
import XCTVapor

/// A tiny valid PDF and PNG: evidence is judged by its bytes.
let samplePDF = Array("%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n".utf8)
let samplePNG: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0, 13, 0x49, 0x48, 0x44, 0x52, 0, 0, 0, 1, 0, 0, 0, 1, 8, 2, 0, 0, 0]

/// The demo citizen 李明 with an identity and a verified registration in the demo grid worker's
/// grid (城北社区第一网格, 杨舍镇) since 2023, so he may apply for points.
func makeApplicant(_ ctx: TestContext, idNumber: String = ResidenceTests.idNumber()) async throws -> (Browser, Resident) {
    let citizen = try await ctx.signedIn("13800000001")
    try await citizen.get("/me/residence")
    let saved = try await citizen.post("/me/identity", ["name": "李明", "idNumber": idNumber])
    XCTAssertEqual(saved.status, .seeOther)
    let resident = try await Resident.query(on: ctx.app.db).filter(\.$name == "李明").first()!
    try await verifiedRegistration(ctx, of: resident, address: "城北社区3幢2单元501室", from: "2023-03-01", source: .selfDeclared)
    return (citizen, resident)
}

/// A department reviewer account for `department`.
func makeReviewer(_ ctx: TestContext, login: String, department: String) async throws -> Browser {
    let hash = try ctx.app.password.hash("reviewer12345")
    let dept = try await Department.query(on: ctx.app.db).filter(\.$code == department).first()!
    let city = try await Jurisdiction.find(code: "320582", on: ctx.app.db)
    try await User(login: login, passwordHash: hash, displayName: login, role: .departmentReviewer, status: .active,
                   jurisdictionID: city?.id, departmentID: dept.id, at: ctx.clock.now).create(on: ctx.app.db)
    let browser = Browser(ctx.app)
    try await browser.signIn(login, "reviewer12345")
    return browser
}

func importFeed(_ ctx: TestContext, _ kind: FeedKind, _ csv: String) async throws {
    let summary = try await FeedImporter.run(kind: kind, bytes: Array(csv.utf8), filename: "feed.csv", by: .cli, app: ctx.app, db: ctx.app.db,
                                             today: ShanghaiDate.today(ctx.clock.now), now: ctx.clock.now)
    XCTAssertNil(summary.headerProblem)
    XCTAssertEqual(summary.problems.count, 0)
}

final class PointsTests: XCTestCase {
    func claimID(_ ctx: TestContext, item: String) async throws -> String {
        try await PointsClaim.query(on: ctx.app.db).filter(\.$item == item).first()!.requireID().uuidString
    }

    func testSubmitFirstReviewTwoDepartmentsAndTheArchiveEqualsTheStandardsEvaluation() async throws {
        try await withApp(demo: true) { ctx in
            let number = ResidenceTests.idNumber()
            let (citizen, resident) = try await makeApplicant(ctx, idNumber: number)
            // The social-insurance feed knows 40 months for him.
            try await importFeed(ctx, .socialInsurance, "身份证号码,姓名,累计缴费月数,截至日期\n\(number),李明,40,2026-08-31\n")

            // He opens this year's application; opening twice gives one.
            let start = try await citizen.get("/me/points")
            XCTAssertTrue(start.body.contains("申请 2026 年度积分"))
            let opened = try await citizen.post("/me/points", [:])
            XCTAssertEqual(opened.status, .seeOther)
            try await citizen.post("/me/points", [:])
            let applications = try await PointsApplication.query(on: ctx.app.db).all()
            XCTAssertEqual(applications.count, 1)
            let application = applications[0]
            let appID = try application.requireID().uuidString

            // Claims: a bad one is refused naming the item; three good ones.
            try await citizen.get("/me/points")
            let bad = try await citizen.post("/points/applications/\(appID)/claims", ["item": "socialInsuranceMonths", "value": "三十"])
            XCTAssertEqual(bad.status, .badRequest)
            XCTAssertTrue(bad.body.contains("“参加社会保险累计缴费月数”应为大于 0 的数字"))
            for (item, value) in [("education", "bachelor"), ("vocationalQualification", "level3"), ("socialInsuranceMonths", "36")] {
                try await citizen.get("/me/points")
                let added = try await citizen.post("/points/applications/\(appID)/claims", ["item": item, "value": value])
                XCTAssertEqual(added.status, .seeOther, item)
            }
            // Until it has a total, the application shows what it would score as claimed and what
            // is confirmed so far (nothing yet).
            let drafted = try await citizen.get("/me/points")
            let estimateLine = try XCTUnwrap(Browser.allMatches(#"<p class="lead" id="estimate-line">([^<]+)</p>"#, in: drafted.body).first)
            XCTAssertTrue(estimateLine.hasPrefix("按申报估算 "), estimateLine)
            XCTAssertTrue(estimateLine.hasSuffix("分，已核实 0 分"), estimateLine)
            XCTAssertFalse(drafted.body.contains(#"id="application-total""#))
            let twice = try await citizen.post("/points/applications/\(appID)/claims", ["item": "education", "value": "postgraduate"])
            XCTAssertEqual(twice.status, .badRequest)

            // Submitting without papers names what is missing (the feed item needs none).
            let early = try await citizen.post("/points/applications/\(appID)/submit", [:])
            XCTAssertEqual(early.status, .badRequest)
            XCTAssertTrue(early.body.contains("“文化程度”尚未上传证明材料"))
            XCTAssertTrue(early.body.contains("“职业资格（职业技能等级）”尚未上传证明材料"))
            XCTAssertFalse(early.body.contains("“参加社会保险累计缴费月数”尚未上传"))

            // Evidence is checked by its bytes and its size.
            let education = try await claimID(ctx, item: "education")
            let qualification = try await claimID(ctx, item: "vocationalQualification")
            try await citizen.get("/me/points")
            let text = try await citizen.upload("/points/applications/\(appID)/claims/\(education)/evidence", fields: [:],
                                                file: (name: "file", filename: "diploma.pdf", contents: "not really a pdf"))
            XCTAssertEqual(text.status, .badRequest)
            XCTAssertTrue(text.body.contains("只接受 PDF、JPG、PNG"))
            let big = try await citizen.upload("/points/applications/\(appID)/claims/\(education)/evidence", fields: [:],
                                               file: (name: "file", filename: "scan.pdf", bytes: samplePDF + [UInt8](repeating: 0x20, count: 10 * 1024 * 1024)))
            XCTAssertEqual(big.status, .badRequest)
            XCTAssertTrue(big.body.contains("超过 10 MB"))
            let pdf = try await citizen.upload("/points/applications/\(appID)/claims/\(education)/evidence", fields: [:], file: (name: "file", filename: "diploma.pdf", bytes: samplePDF))
            XCTAssertEqual(pdf.status, .seeOther)
            try await citizen.get("/me/points")
            let png = try await citizen.upload("/points/applications/\(appID)/claims/\(qualification)/evidence", fields: [:], file: (name: "file", filename: "cert.png", bytes: samplePNG))
            XCTAssertEqual(png.status, .seeOther)
            let stored = try await EvidenceFile.query(on: ctx.app.db).all()
            XCTAssertEqual(Set(stored.map(\.kind)), [.pdf, .png])
            // Stored sealed under a keyed name: the bytes on disk are not the PDF, the key opens them.
            let files = SealedFiles(ctx.app, folder: "evidence")
            let pdfName = files.name(sha256: stored.first { $0.kind == .pdf }!.sha256)
            let onDisk = try XCTUnwrap(FileManager.default.contents(atPath: ctx.dataDirectory + "/evidence/" + pdfName))
            XCTAssertNil(onDisk.range(of: Data("%PDF".utf8)), "sealed at rest")
            XCTAssertEqual(try files.read(pdfName).map(Array.init), samplePDF)

            // Submission is idempotent: a double click submits once and sends one message.
            try await citizen.get("/me/points")
            let submitted = try await citizen.post("/points/applications/\(appID)/submit", [:])
            XCTAssertEqual(submitted.status, .seeOther)
            let again = try await citizen.post("/points/applications/\(appID)/submit", [:])
            XCTAssertEqual(again.status, .seeOther)
            XCTAssertEqual(ctx.notifier.messages.filter { $0.kind == "pointsSubmitted" }.count, 1)

            // Another town's window does not see it; its own returns it, then accepts it.
            let stranger = try await ctx.signedIn("clerk.tangqiao")
            let hidden = try await stranger.get("/points/applications/\(appID)")
            XCTAssertEqual(hidden.status, .notFound)
            let clerk = try await ctx.signedIn("clerk.yangshe")
            let list = try await clerk.get("/points/applications")
            XCTAssertTrue(list.body.contains(application.number))
            XCTAssertFalse(list.body.contains("李明"), "names are masked in lists")
            try await clerk.get("/points/applications/\(appID)")
            let noReason = try await clerk.post("/points/applications/\(appID)/review", ["decision": "return"])
            XCTAssertEqual(noReason.status, .badRequest)
            XCTAssertTrue(noReason.body.contains("请填写需补充的材料"))
            let returned = try await clerk.post("/points/applications/\(appID)/review", ["decision": "return", "missing": "职业资格证书需加盖发证机关公章"])
            XCTAssertEqual(returned.status, .seeOther)
            let back = try await citizen.get("/me/points")
            XCTAssertTrue(back.body.contains("职业资格证书需加盖发证机关公章"))
            try await citizen.post("/points/applications/\(appID)/submit", [:])
            try await clerk.get("/points/applications/\(appID)")
            let accepted = try await clerk.post("/points/applications/\(appID)/review", ["decision": "accept"])
            XCTAssertEqual(accepted.status, .seeOther)

            // Each item waits in its department's queue, due in 15 working days; the feed item
            // is verified at once, with the feed's 40 months instead of the claimed 36.
            // From Monday 2026-09-21 on the shipped 2026 calendar (Mid-Autumn 25–27 September and
            // National Day 1–7 October off, Saturday 10 October worked): 22–24, 28–30, 8, 9, Sat 10,
            // 12–16, 19.
            let due = CivilDate("2026-10-19")
            let claims = try await PointsClaim.query(on: ctx.app.db).all()
            XCTAssertEqual(claims.first { $0.item == "education" }?.dueDate, due)
            let insurance = try XCTUnwrap(claims.first { $0.item == "socialInsuranceMonths" })
            XCTAssertEqual(insurance.state, .corrected)
            XCTAssertEqual(insurance.confirmedValue, "40")
            XCTAssertEqual(insurance.verifier, "feed:socialInsurance")

            // A reviewer of one department cannot see or decide another department's item.
            let hrss = try await ctx.signedIn("reviewer.hrss")
            let queue = try await hrss.get("/points/review")
            XCTAssertTrue(queue.body.contains("职业资格（职业技能等级）"))
            XCTAssertFalse(queue.body.contains("文化程度"))
            let foreign = try await hrss.get("/points/claims/\(education)")
            XCTAssertEqual(foreign.status, .notFound)
            try await hrss.get("/points/review")
            let foreignDecision = try await hrss.post("/points/claims/\(education)/decision", ["decision": "approve"])
            XCTAssertEqual(foreignDecision.status, .notFound)
            let foreignFile = try await hrss.get("/points/evidence/\(stored.first { $0.kind == .pdf }!.requireID().uuidString)")
            XCTAssertEqual(foreignFile.status, .notFound)

            // Two departments decide: 人社 approves, 教育 corrects the level with a reason.
            let page = try await hrss.get("/points/claims/\(qualification)")
            XCTAssertTrue(page.body.contains(resident.idMasked))
            XCTAssertFalse(page.body.contains(number), "the reviewer sees the masked number only")
            let approved = try await hrss.post("/points/claims/\(qualification)/decision", ["decision": "approve"])
            XCTAssertEqual(approved.status, .seeOther)
            let educationReviewer = try await makeReviewer(ctx, login: "reviewer.education", department: "education")
            let file = try await educationReviewer.get("/points/evidence/\(stored.first { $0.kind == .pdf }!.requireID().uuidString)")
            XCTAssertEqual(file.status, .ok)
            XCTAssertEqual(file.headers.contentType?.description, "application/pdf")
            try await educationReviewer.get("/points/claims/\(education)")
            let noReason2 = try await educationReviewer.post("/points/claims/\(education)/decision", ["decision": "correct", "value": "juniorCollege"])
            XCTAssertEqual(noReason2.status, .badRequest)
            XCTAssertTrue(noReason2.body.contains("请填写原因"))
            let corrected = try await educationReviewer.post("/points/claims/\(education)/decision",
                                                             ["decision": "correct", "value": "juniorCollege", "reason": "学信网查询为大专学历"])
            XCTAssertEqual(corrected.status, .seeOther)

            // Complete: the archive's total is the standard's evaluation of the confirmed facts.
            let done = try await PointsApplication.find(application.id, on: ctx.app.db)!
            XCTAssertEqual(done.status, .completed)
            let standard = try await PointsService.standard(code: done.standardCode, on: ctx.app.db)
            let expected = Evaluator(standard).evaluate(Profile(id: "check", facts: [
                "education": [Fact(.option("juniorCollege"))],
                "vocationalQualification": [Fact(.option("level3"))],
                "socialInsuranceMonths": [Fact(.quantity(Decimal2(parsing: "40")!), date: CivilDate("2026-08-31"))],
            ]), asOf: ShanghaiDate.today(ctx.clock.now))
            XCTAssertEqual(expected.total, Points(parsing: "115"), "40 (大专) + 35 (高级工) + 40 months")
            let archive = try await PointsArchive.query(on: ctx.app.db).first()!
            XCTAssertEqual(archive.total, expected.total.hundredths)
            XCTAssertEqual(done.total, expected.total.hundredths)
            let mine = try await citizen.get("/me/points")
            XCTAssertTrue(mine.body.contains(#"id="archive-total">\#(expected.total.description)<"#))
            XCTAssertTrue(mine.body.contains(#"id="application-total">\#(expected.total.description)<"#))
            XCTAssertFalse(mine.body.contains(#"id="estimate-line""#), "a completed application shows its total, not an estimate")
            for line in expected.lines where line.status == .counted {
                XCTAssertTrue(mine.body.contains(line.title), "explanation line \(line.title)")
            }
            XCTAssertTrue(mine.body.contains("认定为 大专（学信网查询为大专学历）"))
            // The archive explains what each item scores; of the application's items only those
            // confirmed otherwise than claimed are listed beside it, each with why.
            XCTAssertTrue(mine.body.contains("以下项目的核实结果与申报不同"))
            for item in ["文化程度", "参加社会保险累计缴费月数"] {
                XCTAssertTrue(mine.body.contains(#"data-item="\#(item)""#), "the corrected \(item) is listed")
            }
            XCTAssertFalse(mine.body.contains(#"data-item="职业资格（职业技能等级）""#), "the item approved as claimed is the archive's line only")
            XCTAssertTrue(mine.body.contains("职业资格（职业技能等级）"))
            XCTAssertTrue(mine.body.contains("审核完成"), "the history says what happened")

            // The audit trail holds every step, the messages every decision.
            let actions = Set(try await AuditEntry.query(on: ctx.app.db).all().map(\.action))
            for action in ["open", "claim", "evidence", "submit", "return", "accept", "feedMatch", "decide", "complete", "pointsCompleted"] {
                XCTAssertTrue(actions.contains(action), action)
            }
            let kinds = ctx.notifier.messages.map(\.kind)
            XCTAssertEqual(kinds.filter { $0 == "pointsItemDecided" }.count, 2)
            XCTAssertTrue(kinds.contains("pointsReturned") && kinds.contains("pointsAccepted") && kinds.contains("pointsCompleted"))
            XCTAssertTrue(ctx.notifier.messages.filter { $0.kind.hasPrefix("points") }.allSatisfy { $0.recipient == "13800000001" }, "the points texts go to him alone")

            // Dynamic adjustment: new months arrive in the department's feed upload; the import
            // job moves the archive, with a reason.
            let uploader = try await ctx.signedIn("reviewer.hrss")
            func importThroughTheJob(_ csv: String, _ filename: String) async throws -> FeedImportJob.Result {
                try await uploader.get("/feeds")
                let queued = try await uploader.upload("/feeds", fields: ["feed": "socialInsurance"], file: (name: "file", filename: filename, contents: csv))
                XCTAssertEqual(queued.status, .seeOther)
                let jobID = try XCTUnwrap(queued.location.flatMap { UUID(uuidString: String($0.split(separator: "/").last ?? "")) })
                let outcome = try await JobWorker.runOnce(ctx.app)
                XCTAssertEqual(outcome, .done)
                let job = try await Job.find(jobID, on: ctx.app.db)
                return try XCTUnwrap(job?.result?.feedImport)
            }
            let newer = "身份证号码,姓名,累计缴费月数,截至日期\n\(number),李明,41,2026-09-20\n"
            let moved = try await importThroughTheJob(newer, "社保2026-09.csv")
            XCTAssertEqual(moved.adjusted, 1)
            let after = try await PointsArchive.query(on: ctx.app.db).first()!
            XCTAssertEqual(after.total, expected.total.hundredths + 100)
            let history = try await citizen.get("/me/points")
            XCTAssertTrue(history.body.contains("社会保险缴费数据更新：参加社会保险累计缴费月数 40 月 → 41 月（截至 2026-09-20）"), history.body)
            XCTAssertTrue(history.body.contains("年度积分申请 \(done.number) 审核完成"))
            XCTAssertTrue(ctx.notifier.messages.contains { $0.kind == "pointsAdjusted" && $0.body.contains("40 月 → 41 月") }, "the text says what changed")
            // The history is kept as data and worded in the reader's language.
            try await citizen.get("/lang/en?back=%2Fme%2Fpoints")
            let english = try await citizen.get("/me/points")
            XCTAssertTrue(english.body.contains("Social insurance data updated: 参加社会保险累计缴费月数 40 月 → 41 月 (as of 2026-09-20)"), english.body)
            XCTAssertTrue(english.body.contains("Application \(done.number) for 2026 completed"))
            XCTAssertFalse(english.body.contains("审核完成"), "no Chinese sentence on the English page")
            try await citizen.get("/lang/zh?back=%2Fme%2Fpoints")
            let repeated = try await importThroughTheJob(newer, "社保2026-09-again.csv")
            XCTAssertEqual(repeated.adjusted, 0, "the same records change nothing twice")
            let still = try await PointsArchive.query(on: ctx.app.db).first()!
            XCTAssertEqual(still.total, after.total)
        }
    }

    /// Two submits at once (a double tap, two tabs): each has read the application as a draft,
    /// so only the conditional update in the database can keep it to one.
    func testTwoSubmitsAtOnceSubmitOnce() async throws {
        try await withApp(demo: true) { ctx in
            // setup
            let (citizen, _) = try await makeApplicant(ctx)
            try await citizen.post("/me/points", [:])
            let resident = try await Resident.query(on: ctx.app.db).filter(\.$name == "李明").first()!
            let appID = try await PointsApplication.query(on: ctx.app.db).filter(\.$resident.$id == resident.requireID()).first()!.requireID()
            try await citizen.get("/me/points")
            let claimed = try await citizen.post("/points/applications/\(appID.uuidString)/claims", ["item": "socialInsuranceMonths", "value": "36"])
            XCTAssertEqual(claimed.status, .seeOther)
            let first = try await PointsApplication.find(appID, on: ctx.app.db)!
            let second = try await PointsApplication.find(appID, on: ctx.app.db)!
            XCTAssertEqual(first.status, .draft)
            XCTAssertEqual(second.status, .draft)
            let app = ctx.app, now = ctx.clock.now
            let actor = Actor(id: nil, login: "13800000001", address: nil)

            // MUT
            async let a = PointsService(app: app, db: app.db, now: now, actor: actor, logger: app.logger).submit(first)
            async let b = PointsService(app: app, db: app.db, now: now, actor: actor, logger: app.logger).submit(second)
            let won = try await [a, b]

            // validate
            XCTAssertEqual(won.filter { $0 }.count, 1, "one of the two submits")
            let stored = try await PointsApplication.find(appID, on: ctx.app.db)!
            XCTAssertEqual(stored.status, .submitted)
            let audits = try await AuditEntry.query(on: ctx.app.db).filter(\.$action == "submit").filter(\.$entityID == stored.number).count()
            XCTAssertEqual(audits, 1, "one audit entry")
            XCTAssertEqual(ctx.notifier.messages.filter { $0.kind == "pointsSubmitted" }.count, 1, "one text")
        }
    }

    func testFraudClearsThePointsAndBarsANewApplicationWithTheDate() async throws {
        try await withApp(demo: true) { ctx in
            let (citizen, resident) = try await makeApplicant(ctx)
            try await citizen.post("/me/points", [:])
            let application = try await PointsApplication.query(on: ctx.app.db).first()!
            // The centre finds the papers forged.
            let admin = try await ctx.signedIn("admin")
            let residentID = try resident.requireID().uuidString
            try await admin.get("/points/archives/\(residentID)")
            let empty = try await admin.post("/points/archives/\(residentID)/fraud", ["reason": " "])
            XCTAssertEqual(empty.status, .badRequest)
            XCTAssertTrue(empty.body.contains("请填写认定理由"))
            let marked = try await admin.post("/points/archives/\(residentID)/fraud", ["reason": "伪造劳动合同"])
            XCTAssertEqual(marked.status, .seeOther)
            let void = try await PointsApplication.find(application.id, on: ctx.app.db)
            XCTAssertEqual(void?.status, .void, "the open application is void")
            XCTAssertTrue(ctx.notifier.messages.contains { $0.kind == "pointsFraud" && $0.body.contains("2029年9月21日") })

            // Next year he tries again: refused with the date it becomes possible.
            ctx.clock.advance(120 * 86_400)
            try await citizen.signIn("13800000001", "demo12345")   // the session has long expired
            let page = try await citizen.get("/me/points")
            XCTAssertTrue(page.body.contains("2029年9月21日 起方可重新申请积分"))
            XCTAssertFalse(page.body.contains(#"id="points-open""#))
            let refused = try await citizen.post("/me/points", [:])
            XCTAssertEqual(refused.status, .badRequest)
            XCTAssertTrue(refused.body.contains("2029年9月21日 起方可重新申请积分"))
            // In English the refusal and its date are English.
            try await citizen.get("/lang/en?back=%2Fme%2Fpoints")
            let english = try await citizen.post("/me/points", [:])
            XCTAssertEqual(english.status, .badRequest)
            XCTAssertTrue(english.body.contains("a new application is possible from 21 September 2029."), "the refusal in English")
            XCTAssertFalse(english.body.contains("起方可重新申请积分"))
            try await citizen.get("/lang/zh?back=%2Fme%2Fpoints")
            let count = try await PointsApplication.query(on: ctx.app.db).count()
            XCTAssertEqual(count, 1)
            // At the window too.
            let clerk = try await ctx.signedIn("clerk.yangshe")
            try await clerk.get("/points/applications")
            let atWindow = try await clerk.post("/points/applications", ["idNumber": ResidenceTests.idNumber()])
            XCTAssertEqual(atWindow.status, .badRequest)
            XCTAssertTrue(atWindow.body.contains("2029年9月21日 起方可重新申请积分"))
            // Three years on, he may.
            ctx.clock.advance(3 * 366 * 86_400)
            try await citizen.signIn("13800000001", "demo12345")
            try await citizen.get("/me/points")
            let allowed = try await citizen.post("/me/points", [:])
            XCTAssertEqual(allowed.status, .seeOther)
        }
    }

    func testLastYearsPointsShowAsExpiredAndLocalHukouEndsTheArchive() async throws {
        try await withApp(demo: true) { ctx in
            let (citizen, resident) = try await makeApplicant(ctx)
            let service = PointsService(app: ctx.app, db: ctx.app.db, now: ctx.clock.now, actor: .system, logger: ctx.app.logger)
            guard case .opened(let application) = try await service.open(for: resident, jurisdictionID: nil) else { return XCTFail("refused") }
            let claim = PointsClaim()
            claim.createdAt = ctx.clock.now
            claim.item = "education"
            claim.department = "education"
            claim.value = "bachelor"
            claim.state = .claimed
            claim.$application.id = try application.requireID()
            try await claim.create(on: ctx.app.db)
            try await service.submit(application)
            try await service.accept(application)
            let standard = try await PointsService.standard(code: application.standardCode, on: ctx.app.db)
            try await service.decide(claim, .approve, item: standard.item("education")!)
            let now = try await citizen.get("/me/points")
            XCTAssertTrue(now.body.contains(#"id="archive-total">60.00<"#) || now.body.contains(#"id="archive-total">60<"#))

            // In the next year the 2026 points are shown expired, and count for nothing.
            ctx.clock.advance(110 * 86_400)
            try await citizen.signIn("13800000001", "demo12345")
            let next = try await citizen.get("/me/points")
            XCTAssertTrue(next.body.contains("2026 年度积分"))
            XCTAssertTrue(next.body.contains("已过期，不计入本年度"))
            XCTAssertFalse(next.body.contains(#"id="archive-total""#))
            XCTAssertTrue(next.body.contains("申请 2027 年度积分"))

            // Local hukou ends the archive; no new application.
            let admin = try await ctx.signedIn("admin")
            let residentID = try resident.requireID().uuidString
            try await admin.get("/points/archives/\(residentID)")
            let ended = try await admin.post("/points/archives/\(residentID)/end", ["reason": "2027年1月落户本市"])
            XCTAssertEqual(ended.status, .seeOther)
            try await citizen.get("/me/points")
            let refused = try await citizen.post("/me/points", [:])
            XCTAssertEqual(refused.status, .badRequest)
            XCTAssertTrue(refused.body.contains("已取得本地户籍"))
        }
    }

    func testTheWindowAppliesOnAPersonsBehalfAndTheCentreSeesWhatIsOverdue() async throws {
        try await withApp(demo: true) { ctx in
            let number = ResidenceTests.idNumber()
            let (_, resident) = try await makeApplicant(ctx, idNumber: number)
            // At the counter: the clerk finds him by the number on his card (logged) and applies.
            let clerk = try await ctx.signedIn("clerk.yangshe")
            try await clerk.get("/points/applications")
            let badNumber = try await clerk.post("/points/applications", ["idNumber": "34120219900315124X"])
            XCTAssertEqual(badNumber.status, .badRequest)
            let opened = try await clerk.post("/points/applications", ["idNumber": number])
            XCTAssertEqual(opened.status, .seeOther)
            let path = try XCTUnwrap(opened.location)
            let logged = try await AccessLogEntry.query(on: ctx.app.db).filter(\.$field == "idNumberLookup").count()
            XCTAssertEqual(logged, 1, "the search is in the access log (the mistyped number was refused before any search)")
            let application = try await PointsApplication.query(on: ctx.app.db).filter(\.$resident.$id == resident.requireID()).first()!
            XCTAssertEqual(application.openedBy, "clerk.yangshe")
            let appID = try application.requireID().uuidString
            try await clerk.get(path)
            try await clerk.post("/points/applications/\(appID)/claims", ["item": "enterpriseRating", "value": "good"])
            let claim = try await PointsClaim.query(on: ctx.app.db).first()!.requireID().uuidString
            try await clerk.get(path)
            let uploaded = try await clerk.upload("/points/applications/\(appID)/claims/\(claim)/evidence", fields: [:], file: (name: "file", filename: "scan.jpg", bytes: [0xFF, 0xD8, 0xFF, 0xE0] + Array(repeating: 7, count: 64)))
            XCTAssertEqual(uploaded.status, .seeOther)
            try await clerk.get(path)
            try await clerk.post("/points/applications/\(appID)/submit", [:])
            try await clerk.get(path)
            let accepted = try await clerk.post("/points/applications/\(appID)/review", ["decision": "accept"])
            XCTAssertEqual(accepted.status, .seeOther)
            // A month on, nobody at 人社局 has decided: the item is overdue, in red for the centre.
            ctx.clock.advance(31 * 86_400)
            let admin = try await ctx.signedIn("admin")
            let overdue = try await admin.get("/points/review?show=overdue")
            XCTAssertTrue(overdue.body.contains(application.number))
            XCTAssertTrue(overdue.body.contains(#"<strong class="overdue-count">1</strong>"#))
            XCTAssertTrue(overdue.body.contains(#"<li class="overdue""#))
            let reviewer = try await ctx.signedIn("reviewer.hrss")
            let queue = try await reviewer.get("/points/review?show=overdue")
            XCTAssertTrue(queue.body.contains(application.number))
        }
    }
}
