import Fluent
@testable import JifenApp
import Vapor
import XCTest

/// Care mode (关怀模式) and the parts of the pages that make them usable by everyone. The browser
/// check audits every page it opens with axe-core; these tests hold what a reader relies on.
final class AccessibilityTests: XCTestCase {
    /// The switch on every page turns care mode on for this browser and, signed in, for the
    /// account: another browser where he signs in gets it too, until that browser switches it off.
    func testCareModeIsRememberedPerBrowserAndPerAccount() async throws {
        try await withApp(demo: true) { ctx in
            let visitor = Browser(ctx.app)
            let plain = try await visitor.get("/estimate")
            XCTAssertTrue(plain.body.contains(#"<html lang="zh-Hans">"#), "a visitor's page starts in normal mode")
            XCTAssertTrue(plain.body.contains(#"aria-pressed="false">关怀模式</button>"#), "every page has the switch")
            let switched = try await visitor.post("/care", ["care": "on", "back": "/estimate"])
            XCTAssertEqual(switched.status, .seeOther)
            XCTAssertEqual(switched.location, "/estimate")
            let care = try await visitor.get("/estimate")
            XCTAssertTrue(care.body.contains(#"<html lang="zh-Hans" class="care">"#), "the browser remembers care mode")
            XCTAssertTrue(care.body.contains(#"aria-pressed="true">关怀模式</button>"#))
            // The public page kept for visitors is kept per mode: the other visitor still reads normal mode.
            let other = try await Browser(ctx.app).get("/estimate")
            XCTAssertFalse(other.body.contains(#"class="care""#))
            // In English too.
            try await visitor.get("/lang/en?back=%2Festimate")
            let english = try await visitor.get("/estimate")
            XCTAssertTrue(english.body.contains(#"<html lang="en" class="care">"#))
            XCTAssertTrue(english.body.contains(#"aria-pressed="true">Care mode</button>"#))

            // Signed in, the switch is kept on the account.
            let phone = Browser(ctx.app)
            _ = try await phone.signIn("13800000001", "demo12345")
            try await phone.get("/home")
            try await phone.post("/care", ["care": "on", "back": "/home"])
            let account = try await User.query(on: ctx.app.db).filter(\.$login == "13800000001").first()
            XCTAssertEqual(account?.careMode, true)
            // A browser that never chose follows the account.
            let tablet = try await ctx.signedIn("13800000001")
            let home = try await tablet.get("/home")
            XCTAssertTrue(home.body.contains(#"class="care""#), "the account's care mode follows him to another browser")
            // That browser switches it off: for itself and for the account.
            try await tablet.post("/care", ["care": "off", "back": "/home"])
            let off = try await tablet.get("/home")
            XCTAssertFalse(off.body.contains(#"class="care""#))
            let after = try await User.query(on: ctx.app.db).filter(\.$login == "13800000001").first()
            XCTAssertEqual(after?.careMode, false)
            // The first browser keeps its own choice.
            let kept = try await phone.get("/home")
            XCTAssertTrue(kept.body.contains(#"class="care""#))
            // Only a local page to go back to.
            let away = try await phone.post("/care", ["care": "on", "back": "https://evil.example/"])
            XCTAssertEqual(away.location, "/")
        }
    }

    /// A refused form says at its top what to correct, each line a link to its field, and each
    /// field carries its message (`aria-describedby`, `aria-invalid`); a form that is fine has no summary.
    func testARefusedFormSummarisesItsProblemsWithLinksToTheFields() async throws {
        try await withApp(demo: true) { ctx in
            let visitor = Browser(ctx.app)
            let blank = try await visitor.get("/register")
            XCTAssertFalse(blank.body.contains(#"class="problems""#))
            let refused = try await visitor.post("/register", ["phone": "123", "displayName": "", "password": "short", "passwordConfirm": "other"])
            XCTAssertEqual(refused.status, .badRequest)
            let summary = Browser.firstMatch(#"(<div class="problems" role="alert">.*?</div>)"#, in: refused.body) ?? ""
            XCTAssertTrue(summary.contains("需要修改"), summary)
            for field in ["phone", "displayName", "password", "acceptPrivacy"] {
                XCTAssertTrue(summary.contains("<a href=\"#\(field)\">"), "the summary links to \(field): \(summary)")
                XCTAssertTrue(refused.body.contains(#"id="\#(field)-error""#), "\(field) has its message beside it")
            }
            XCTAssertTrue(refused.body.contains(#"id="phone" name="phone" type="tel" inputmode="numeric" value="123" maxlength="11" autocomplete="tel" required aria-describedby="phone-error" aria-invalid="true""#))
        }
    }

    /// The receipt (受理回执) of a points application: none for a draft; on submission the
    /// window's first-review date counted on the holiday calendar; on return the number, what is
    /// missing (told once) and the date to complete it by; never the full ID number; only for the
    /// applicant and his town's window.
    func testAReceiptTellsTheNumberTheDueDateAndEverythingMissing() async throws {
        try await withApp(demo: true) { ctx in
            let (citizen, resident) = try await makeApplicant(ctx)
            try await citizen.get("/me/points")
            try await citizen.post("/me/points", [:])
            let application = try await PointsApplication.query(on: ctx.app.db).filter(\.$resident.$id == resident.requireID()).first()!
            let id = try application.requireID().uuidString
            let draft = try await citizen.get("/points/applications/\(id)/receipt")
            XCTAssertEqual(draft.status, .notFound, "a draft has no receipt")
            for (item, value) in [("vocationalQualification", "level3"), ("socialInsuranceMonths", "36")] {
                try await citizen.get("/me/points")
                let added = try await citizen.post("/points/applications/\(id)/claims", ["item": item, "value": value])
                XCTAssertEqual(added.status, .seeOther, item)
            }
            let claim = try await PointsClaim.query(on: ctx.app.db).filter(\.$item == "vocationalQualification").first()!
            try await citizen.get("/me/points")
            let uploaded = try await citizen.upload("/points/applications/\(id)/claims/\(claim.requireID())/evidence", fields: [:],
                                                    file: (name: "file", filename: "cert.pdf", bytes: samplePDF))
            XCTAssertEqual(uploaded.status, .seeOther)
            try await citizen.get("/me/points")
            try await citizen.post("/points/applications/\(id)/submit", [:])

            // Submitted on Monday 2026-09-21: five working days, past the Mid-Autumn holiday (25–27 September).
            let page = try await citizen.get("/me/points")
            XCTAssertTrue(page.body.contains(#"href="/points/applications/\#(id)/receipt""#), "the application links to its receipt")
            let submitted = try await citizen.get("/points/applications/\(id)/receipt")
            XCTAssertEqual(submitted.status, .ok)
            XCTAssertTrue(submitted.body.contains("积分申请提交回执"))
            XCTAssertTrue(submitted.body.contains(#"<strong id="receipt-number">\#(application.number)</strong>"#))
            XCTAssertTrue(submitted.body.contains(#"<strong id="receipt-due">2026-09-29</strong>"#), "due on the holiday calendar")
            XCTAssertTrue(submitted.body.contains("1 份（PDF）"), "the material received")
            XCTAssertTrue(submitted.body.contains("由部门数据比对核实"), "an item the feed checks needs no paper")
            XCTAssertTrue(submitted.body.contains(#"<p id="receipt-missing">无。材料齐全。</p>"#))

            // Returned by the window: what is missing, once, and the date to complete it by.
            let clerk = try await ctx.signedIn("clerk.yangshe")
            try await clerk.get("/points/applications/\(id)")
            let missing = "职业资格证书需加盖发证机关公章"
            let returned = try await clerk.post("/points/applications/\(id)/review", ["decision": "return", "missing": missing])
            XCTAssertEqual(returned.status, .seeOther)
            let receipt = try await clerk.get("/points/applications/\(id)/receipt")
            XCTAssertTrue(receipt.body.contains("积分申请补正通知"))
            XCTAssertTrue(receipt.body.contains(application.number))
            XCTAssertTrue(receipt.body.contains(#"<ol class="receipt-missing" id="receipt-missing"><li>\#(missing)</li></ol>"#))
            XCTAssertTrue(receipt.body.contains(#"<strong id="receipt-due">2026-09-29</strong>"#))
            XCTAssertTrue(receipt.body.contains("杨舍镇"), "the office is the applicant's town's window")
            XCTAssertEqual(PrivacyScan.validIDNumbers(in: receipt.body), [], "no full ID number on a receipt")
            XCTAssertTrue(receipt.body.contains("<svg"), "a QR code to follow it")
            XCTAssertTrue(receipt.body.contains("/me/points"))

            // Another town's window does not see it.
            let stranger = try await ctx.signedIn("clerk.tangqiao")
            let hidden = try await stranger.get("/points/applications/\(id)/receipt")
            XCTAssertEqual(hidden.status, .notFound)
        }
    }

    /// The publicity list for a notice board: every line of the round on one page (no pager), the
    /// period and how to object, masked names and no ID number.
    func testThePublicityPrintHoldsEveryRowAndNoIDNumber() async throws {
        try await withApp(demo: true, residents: 1000) { ctx in
            let program = try await Program.query(on: ctx.app.db).filter(\.$code == "2026-grade1").first()!
            let round = try await AllocationRound.query(on: ctx.app.db).filter(\.$program.$id == program.requireID()).filter(\.$round == 1).first()!
            let results = try await AllocationResult.query(on: ctx.app.db).filter(\.$round.$id == round.requireID()).all()
            XCTAssertGreaterThan(results.count, 50, "more lines than one screen page")
            let visitor = Browser(ctx.app)
            let screen = try await visitor.get("/publicity/2026-grade1/1")
            XCTAssertTrue(screen.body.contains(#"href="/publicity/2026-grade1/1/print""#))
            let print = try await visitor.get("/publicity/2026-grade1/1/print")
            XCTAssertEqual(print.status, .ok)
            for result in results {
                XCTAssertTrue(print.body.contains("<td>\(result.number)</td>"), "line \(result.number)")
            }
            XCTAssertTrue(print.body.contains("共 \(results.count) 人"))
            XCTAssertTrue(print.body.contains("对公示结果有异议的"))
            XCTAssertTrue(print.body.contains(round.publicityFrom.description))
            XCTAssertEqual(PrivacyScan.validIDNumbers(in: print.body), [])
            let residents = try await Resident.query(on: ctx.app.db).all()
            for resident in residents.prefix(50) where resident.name.count > 1 {
                XCTAssertFalse(print.body.contains("<td>\(resident.name)</td>"), "names are masked")
            }

            // It shows nothing of its reader, so one kept copy serves everyone, signed in or not:
            // a signed-in reader neither gets his name on it nor a page rendered again for him.
            ctx.app.pageCache = PageCache(seconds: 5)
            let admin = try await ctx.signedIn("admin")
            let staffCopy = try await admin.get("/publicity/2026-grade1/1/print")
            XCTAssertEqual(staffCopy.status, .ok)
            XCTAssertFalse(staffCopy.body.contains("_csrf") || staffCopy.body.contains("\u{1}"), "no form, no token")
            XCTAssertFalse(staffCopy.body.contains("退出"), "no header of the signed-in reader")
            let first = results.min { $0.rank < $1.rank }!
            first.nameMasked = "缓*存"
            try await first.save(on: ctx.app.db)
            let citizen = try await ctx.signedIn("13800000001")
            let kept = try await citizen.get("/publicity/2026-grade1/1/print")
            XCTAssertFalse(kept.body.contains("缓*存"), "the kept copy")
            XCTAssertEqual(kept.body, staffCopy.body)
            XCTAssertEqual(ctx.app.pageCache.count, 1)
        }
    }

    /// A residence permit application's receipt follows its steps: submitted (the window's date),
    /// accepted (the production period), in production (ready 15 working days after, over the
    /// Mid-Autumn and National Day holidays), not approved (the reason).
    func testAPermitReceiptFollowsTheApplication() async throws {
        try await withApp(demo: true) { ctx in
            let (citizen, _) = try await makeApplicant(ctx)
            try await citizen.get("/me/residence")
            let applied = try await citizen.post("/me/permit", ["basis": "employment", "evidence": "劳动合同 2025-118"])
            XCTAssertEqual(applied.status, .seeOther)
            let permit = try await ResidencePermit.query(on: ctx.app.db).first()!
            let id = try permit.requireID().uuidString
            let page = try await citizen.get("/me/residence")
            XCTAssertTrue(page.body.contains(#"href="/permits/\#(id)/receipt""#))
            let submitted = try await citizen.get("/permits/\(id)/receipt")
            XCTAssertTrue(submitted.body.contains("居住证申领提交回执"))
            XCTAssertTrue(submitted.body.contains(#"<strong id="receipt-number">\#(permit.number)</strong>"#))
            XCTAssertTrue(submitted.body.contains(#"<strong id="receipt-due">2026-09-29</strong>"#))
            XCTAssertTrue(submitted.body.contains("劳动合同 2025-118"), "the material named")

            let clerk = try await ctx.signedIn("clerk.yangshe")
            try await clerk.get("/permits")
            try await clerk.post("/permits/\(id)/advance", [:])
            let accepted = try await clerk.get("/permits/\(id)/receipt")
            XCTAssertTrue(accepted.body.contains("居住证申领受理回执"))
            XCTAssertTrue(accepted.body.contains("开始制证后 15 个工作日内制好"))
            XCTAssertEqual(PrivacyScan.validIDNumbers(in: accepted.body), [])
            try await clerk.get("/permits")
            try await clerk.post("/permits/\(id)/advance", [:])
            let making = try await citizen.get("/permits/\(id)/receipt")
            XCTAssertTrue(making.body.contains(#"<strong id="receipt-due">2026-10-19</strong>"#), "15 working days on the holiday calendar")

            // Refused (set back to a fresh application first): the reason under its own heading.
            try await ResidencePermit.query(on: ctx.app.db).filter(\.$id == permit.requireID()).set(\.$status, to: .submitted).update()
            try await clerk.get("/permits")
            try await clerk.post("/permits/\(id)/reject", ["reason": "劳动合同未盖单位公章"])
            let refused = try await citizen.get("/permits/\(id)/receipt")
            XCTAssertTrue(refused.body.contains("居住证申领未通过通知"))
            XCTAssertTrue(refused.body.contains("<h2>原因</h2>"))
            XCTAssertTrue(refused.body.contains("<li>劳动合同未盖单位公章</li>"))
            XCTAssertFalse(refused.body.contains(#"id="receipt-due""#))

            // Another town's window does not see it.
            let other = try await ctx.signedIn("clerk.tangqiao")
            let hidden = try await other.get("/permits/\(id)/receipt")
            XCTAssertEqual(hidden.status, .notFound)
        }
    }

    /// Every chart says in words what it shows, under it: the highest, the lowest, the total.
    func testEveryChartHasATextSummary() async throws {
        try await withApp(demo: true, residents: 200) { ctx in
            let admin = try await ctx.signedIn("admin")
            let page = try await admin.get("/dashboard")
            let charts = page.body.components(separatedBy: #"<svg xmlns="http://www.w3.org/2000/svg" class="chart""#).count - 1
            let summaries = Browser.allMatches(#"<p class="chart-summary">([^<]*)</p>"#, in: page.body)
            XCTAssertGreaterThan(charts, 5)
            XCTAssertEqual(summaries.count, charts, "one summary per chart")
            for summary in summaries where summary != "暂无数据。" {
                XCTAssertTrue(summary.contains("最高") && summary.contains("最低") && summary.contains("合计"), summary)
            }
            let req = Request(application: ctx.app, on: ctx.app.eventLoopGroup.next())
            let said = Chart.summary(labels: ["甲镇", "乙镇", "丙镇"], series: [Chart.Series(name: "人数", values: [3, 9, 1], color: Chart.red),
                                                                          Chart.Series(name: "申请", values: [2, 0, 5], color: Chart.grey)], for: req)
            XCTAssertEqual(said, "人数：最高 乙镇（9），最低 丙镇（1），合计 13，共 3 项。 申请：最高 丙镇（5），最低 乙镇（0），合计 7，共 3 项。")
        }
    }
}
