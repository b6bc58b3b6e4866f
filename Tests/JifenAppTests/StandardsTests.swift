import Fluent
@testable import JifenApp
import JifenCore
import JifenResources
import XCTVapor

final class StandardsTests: XCTestCase {
    var shipped2021: String { get throws { try String(contentsOfFile: JifenResources.directory("Standards") + "zhangjiagang-2021.yaml", encoding: .utf8) } }

    func testThePublishedStandardIsAReadableTableForEveryoneAndADraftOnlyForTheCenter() async throws {
        try await withApp(demo: true) { ctx in
            let table = try await Browser(ctx.app).get("/standards/zhangjiagang-2021")
            XCTAssertEqual(table.status, .ok)
            XCTAssertTrue(table.body.contains("张家港市新市民积分管理计分标准（2021年修订）"))
            XCTAssertTrue(table.body.contains("个人基本情况"))
            XCTAssertTrue(table.body.contains("张家港市人力资源和社会保障局"), "department names, not codes")
            XCTAssertTrue(table.body.contains("示意分值"), "illustrative values are marked")
            let draftForPublic = try await Browser(ctx.app).get("/standards/zhangjiagang-2026-draft")
            XCTAssertEqual(draftForPublic.status, .notFound)
            let clerk = try await ctx.signedIn("clerk.yangshe")
            let draftForClerk = try await clerk.get("/standards/zhangjiagang-2026-draft")
            XCTAssertEqual(draftForClerk.status, .notFound)
            let list = try await clerk.get("/standards")
            XCTAssertTrue(list.body.contains("zhangjiagang-2021"))
            let admin = try await ctx.signedIn("admin")
            let draft = try await admin.get("/standards/zhangjiagang-2026-draft")
            XCTAssertEqual(draft.status, .ok)
            XCTAssertTrue(draft.body.contains(#"action="/standards/zhangjiagang-2026-draft/publish""#))
        }
    }

    func testABrokenDraftIsRefusedWithEachProblemByLineAndTheTextKept() async throws {
        try await withApp(demo: true) { ctx in
            let admin = try await ctx.signedIn("admin")
            try await admin.get("/standards/new?from=zhangjiagang-2021")
            let broken = try shipped2021.replacingOccurrences(of: "id: zhangjiagang-2021", with: "id: zhangjiagang-2027")
                .replacingOccurrences(of: "kind: perUnit", with: "kind: perunit")
            let expectedLine = broken.components(separatedBy: "\n").firstIndex { $0.contains("kind: perunit") }! + 1
            // MUT
            let refused = try await admin.post("/standards", ["yaml": broken])
            // validate
            XCTAssertEqual(refused.status, .badRequest)
            XCTAssertTrue(refused.body.contains(#"<td data-label="行">\#(expectedLine)</td>"#), "line \(expectedLine) is named")
            XCTAssertTrue(refused.body.contains("rule.kind"))
            XCTAssertTrue(refused.body.contains("kind: perunit"), "the text is kept")
            let count = try await StandardVersion.query(on: ctx.app.db).count()
            XCTAssertEqual(count, 3, "nothing saved: the demo's three versions only")
        }
    }

    func testADraftCanBeUploadedAsAFile() async throws {
        try await withApp(demo: true) { ctx in
            let admin = try await ctx.signedIn("admin")
            try await admin.get("/standards/new")
            let nanhu = try String(contentsOfFile: JifenResources.directory("Standards") + "jiaxing-nanhu-2017.yaml", encoding: .utf8)
            // MUT
            let saved = try await admin.upload("/standards", fields: ["yaml": ""], file: (name: "file", filename: "jiaxing-nanhu-2017.yaml", contents: nanhu))
            // validate
            XCTAssertEqual(saved.status, .seeOther)
            XCTAssertEqual(saved.location, "/standards/jiaxing-nanhu-2017")
            let stored = try await StandardVersion.find(code: "jiaxing-nanhu-2017", on: ctx.app.db)
            XCTAssertEqual(stored?.status, .draft)
            XCTAssertEqual(stored?.yaml, nanhu)
            let page = try await admin.get("/standards/jiaxing-nanhu-2017")
            XCTAssertTrue(page.body.contains("创新创业"))
        }
    }

    func testAPublishedVersionIsNeverChangedOnlySuperseded() async throws {
        try await withApp(demo: true) { ctx in
            let admin = try await ctx.signedIn("admin")
            try await admin.get("/standards/new")
            let changed = try shipped2021.replacingOccurrences(of: "title: 张家港市新市民积分管理计分标准（2021年修订）", with: "title: 改过的标题")
            let refused = try await admin.post("/standards", ["yaml": changed])
            XCTAssertEqual(refused.status, .conflict)
            XCTAssertTrue(refused.body.contains("已发布，不能修改"))
            let version = try await StandardVersion.find(code: "zhangjiagang-2021", on: ctx.app.db)
            XCTAssertEqual(version?.yaml, try shipped2021)
            // Publishing twice is refused too.
            try await admin.get("/standards/zhangjiagang-2026-draft")
            let republish = try await admin.post("/standards/zhangjiagang-2021/publish", ["effectiveFrom": "2030-01-01"])
            XCTAssertEqual(republish.status, .conflict)
        }
    }

    func testADraftIsSavedPublishedWithAnEffectiveDateAndTakesOverOnThatDay() async throws {
        try await withApp(demo: true) { ctx in
            // setup: the clock is 2026-09-21 (Shanghai)
            let admin = try await ctx.signedIn("admin")
            try await admin.get("/standards/new")
            let draft = try shipped2021.replacingOccurrences(of: "id: zhangjiagang-2021", with: "id: zhangjiagang-2027")
                .replacingOccurrences(of: "title: 张家港市新市民积分管理计分标准（2021年修订）", with: "title: 张家港市计分标准（2027年）")
            let saved = try await admin.post("/standards", ["yaml": draft])
            XCTAssertEqual(saved.location, "/standards/zhangjiagang-2027")
            // a date in the past is refused beside the field
            try await admin.get("/standards/zhangjiagang-2027")
            let past = try await admin.post("/standards/zhangjiagang-2027/publish", ["effectiveFrom": "2026-01-01"])
            XCTAssertEqual(past.status, .badRequest)
            XCTAssertTrue(past.body.contains(#"id="effectiveFrom-error">生效日期不能早于今天"#))
            try await approveAllSteps(ctx, .standard, "zhangjiagang-2027")
            // MUT
            let published = try await admin.post("/standards/zhangjiagang-2027/publish", ["effectiveFrom": "2027-03-01"])
            XCTAssertEqual(published.status, .seeOther)
            // validate: each date picks the right version
            let before = try await StandardVersion.inForce(on: CivilDate("2027-02-28")!, on: ctx.app.db)
            let after = try await StandardVersion.inForce(on: CivilDate("2027-03-01")!, on: ctx.app.db)
            XCTAssertEqual(before?.1.id, "zhangjiagang-2021")
            XCTAssertEqual(after?.1.id, "zhangjiagang-2027")
            XCTAssertEqual(after?.1.effectiveFrom, CivilDate("2027-03-01"), "the date chosen at publication")
            let audit = try await AuditEntry.query(on: ctx.app.db).filter(\.$entity == "scoringStandard").sort(\.$at).all()
            XCTAssertEqual(audit.map(\.action), ["create", "publish"])
            XCTAssertEqual(audit[1].before?["status"], "draft")
            XCTAssertEqual(audit[1].after?["status"], "published")
        }
    }

    func testTheDiffShowsTheLiftedVolunteerCap() async throws {
        try await withApp(demo: true) { ctx in
            let admin = try await ctx.signedIn("admin")
            let diff = try await admin.get("/standards/diff?from=zhangjiagang-2021&to=zhangjiagang-2026-draft")
            XCTAssertEqual(diff.status, .ok)
            XCTAssertTrue(diff.body.contains("志愿服务时长"))
            XCTAssertTrue(diff.body.contains("最多计 1500 小时"))
            XCTAssertTrue(diff.body.contains("最多计 3000 小时"))
            XCTAssertTrue(diff.body.contains("每满 1 次 8 分"))
        }
    }

    func testTheSelfEstimateScoresExactlyLikeTheStandardAndSaysWhatCouldBeAdded() async throws {
        try await withApp(demo: true) { ctx in
            let browser = Browser(ctx.app)
            let form = try await browser.get("/estimate")
            XCTAssertEqual(form.status, .ok)
            XCTAssertTrue(form.body.contains(#"name="f_education""#))
            XCTAssertTrue(form.body.contains(#"name="d_volunteerHours""#), "dated items ask for a date")
            // MUT
            let answer = try await browser.post("/estimate", [
                "f_education": "bachelor", "f_socialInsuranceMonths": "37", "f_residenceYears": "4",
                "f_volunteerHours": "150", "d_volunteerHours": "2025-06-01",
            ])
            // validate: the same numbers as the evaluator
            XCTAssertEqual(answer.status, .ok)
            let standard = try StandardParser.parse(try shipped2021).get()
            let expected = Evaluator(standard).evaluate(Profile(id: "x", facts: [
                "education": [Fact(.option("bachelor"))], "socialInsuranceMonths": [Fact(.quantity(Decimal2(37)))],
                "residenceYears": [Fact(.quantity(Decimal2(4)))], "volunteerHours": [Fact(.quantity(Decimal2(150)), date: CivilDate("2025-06-01"))],
            ]), asOf: CivilDate("2026-09-21")!)
            XCTAssertTrue(answer.body.contains(#"<strong class="total">\#(expected.total)</strong>"#), "total \(expected.total)")
            XCTAssertTrue(answer.body.contains("您还可以争取的加分"))
            XCTAssertTrue(answer.body.contains("专业技术职称"), "an item of the qualification group can still be added")
            XCTAssertTrue(answer.body.contains(#"value="37""#), "what was typed is kept")
            // A bad number is refused beside its field, naming it.
            let bad = try await browser.post("/estimate", ["f_residenceYears": "四年"])
            XCTAssertEqual(bad.status, .badRequest)
            XCTAssertTrue(bad.body.contains("“在本市登记居住年限”应为不小于 0 的数字"))
            // …and summarised at the top of the form with a link to the field it is tied to.
            XCTAssertTrue(bad.body.contains(##"<div class="problems" role="alert"><h2>有 1 处需要修改：</h2><ul><li><a href="#f_residenceYears">“在本市登记居住年限”应为不小于 0 的数字"##))
            XCTAssertTrue(bad.body.contains(#"aria-describedby="f_residenceYears-hint f_residenceYears-error" aria-invalid="true""#))
            let undated = try await browser.post("/estimate", ["f_volunteerHours": "150"])
            XCTAssertTrue(undated.body.contains("请填写取得日期"))
        }
    }
}
