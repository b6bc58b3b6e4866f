import Fluent
@testable import JifenApp
import JifenCore
import XCTVapor

final class PortalTests: XCTestCase {
    /// The centre writes in Markdown; anyone reads it safely rendered, finds it by a word, and sees
    /// the year's calendar built from the programs.
    func testTheCentreWritesInMarkdownAndAnyoneReadsItSafelyAndFindsIt() async throws {
        try await withApp(demo: true) { ctx in
            // Two programs of the year: grade 1 (with offers) and one whose first round has run.
            try await makeGrade1(ctx, code: "2026-grade1-p", maxChoices: 2, quotas: "PA,实验小学,320582-01,1\n") { $0.waitlistCloses = CivilDate("2026-11-15")! }
            let announcementsBefore = try await PortalArticle.query(on: ctx.app.db).filter(\.$kind == .announcement).count()
            let admin = try await ctx.signedIn("admin")
            try await admin.get("/admin/policy")
            let empty = try await admin.post("/admin/policy", ["kind": "announcement", "title": "", "body": "正文"])
            XCTAssertEqual(empty.status, .badRequest)
            XCTAssertTrue(empty.body.contains("请填写标题"), "the field is named")
            let body = """
            # 报名须知
            今年**幼儿园小班**学位 1,200 个（试点甲）。详见[市政府网站](https://www.zjg.gov.cn/jifen)和[本站](/programs)。
            <script>alert(1)</script>
            [点我](javascript:alert(1)) ![海报](http://example.com/a.png)
            """
            let saved = try await admin.post("/admin/policy", ["kind": "announcement", "title": "关于2027年幼儿园积分入学的通知", "body": body])
            XCTAssertEqual(saved.status, .seeOther)
            try await admin.post("/admin/policy", ["kind": "policy", "title": "张家港市流动人口积分管理办法", "body": "第一条 为了……",
                                                   "interpretation": "积分只看**你做了什么**，不看户口。"])
            try await admin.post("/admin/policy", ["kind": "faq", "title": "积分够了就一定有学位吗？", "body": "不一定：学位按积分从高到低分配（试点甲）。"])

            let visitor = Browser(ctx.app)
            var page = try await visitor.get("/policy")
            XCTAssertEqual(page.status, .ok)
            for title in ["关于2027年幼儿园积分入学的通知", "张家港市流动人口积分管理办法", "积分够了就一定有学位吗？"] { XCTAssertTrue(page.body.contains(title), title) }
            let link = try XCTUnwrap(Browser.firstMatch(#"href="(/policy/[0-9A-Fa-f-]+)"><strong>关于2027年"#, in: page.body))
            let article = try await visitor.get(link)
            XCTAssertEqual(article.status, .ok)
            let html = try XCTUnwrap(article.body.range(of: #"id="article-body">"#).map { String(article.body[$0.upperBound...].prefix(2000)) })
            XCTAssertTrue(html.contains("<h2>报名须知</h2>"), "a heading starts below the page's own: \(html)")
            XCTAssertTrue(html.contains("<strong>幼儿园小班</strong>"))
            XCTAssertTrue(html.contains(#"<a rel="nofollow noopener" href="https://www.zjg.gov.cn/jifen">市政府网站</a>"#))
            XCTAssertTrue(html.contains(#"href="/programs">本站</a>"#))
            XCTAssertFalse(html.contains("<script"), "raw HTML is text")
            XCTAssertTrue(html.contains("&lt;script>") || html.contains("&lt;script&gt;"))
            XCTAssertFalse(html.contains("javascript:"), "a script link loses its link: \(html)")
            XCTAssertTrue(html.contains("点我"))
            XCTAssertFalse(html.contains("<img"), "no image is loaded from elsewhere")
            // A policy with its interpretation.
            page = try await visitor.get("/policy?kind=policy")
            let policy = try XCTUnwrap(Browser.firstMatch(#"href="(/policy/[0-9A-Fa-f-]+)""#, in: page.body))
            let policyPage = try await visitor.get(policy)
            XCTAssertTrue(policyPage.body.contains(#"id="article-interpretation"><p>积分只看<strong>你做了什么</strong>"#))

            // Search finds by a word of the text.
            page = try await visitor.get("/policy?q=" + "试点甲".addingPercentEncoding(withAllowedCharacters: .urlQueryAllowed)!)
            XCTAssertEqual(page.body.components(separatedBy: "data-kind=").count - 1, 2, "the notice and the question say 试点甲; the policy does not")
            XCTAssertTrue(page.body.contains("找到 2 篇"))

            // The calendar: each of this year's programs closes on its day, in date order.
            page = try await visitor.get("/policy")
            let calendar = try XCTUnwrap(page.body.range(of: #"id="policy-calendar""#).map { String(page.body[$0.lowerBound...].prefix(8000)) })
            let programs = try await Program.query(on: ctx.app.db).all().filter { $0.opens.year == 2026 || $0.closes.year == 2026 }
            XCTAssertFalse(programs.isEmpty)
            for program in programs {
                XCTAssertTrue(calendar.contains("<strong>\(ShanghaiDate.long(program.closes))</strong> \(program.title)：报名截止"), program.code)
                XCTAssertTrue(calendar.contains("<strong>\(ShanghaiDate.long(program.opens))</strong> \(program.title)：开始报名"), program.code)
            }
            XCTAssertTrue(calendar.contains("<strong>2026年11月15日</strong> 2026年积分入学（2026-grade1-p）：候补截止"))
            let days = Browser.allMatches(#"<li><strong>([0-9]+年[0-9]+月[0-9]+日)</strong>"#, in: calendar).map { text -> Int in
                let n = text.split(whereSeparator: { !$0.isNumber }).compactMap { Int($0) }
                return n[0] * 10_000 + n[1] * 100 + n[2]
            }
            XCTAssertEqual(days, days.sorted())
            let stats = Dictionary(uniqueKeysWithValues: try await Stats.counts(on: ctx.app.db))
            XCTAssertEqual(stats["announcements"], announcementsBefore + 1)
        }
    }
}
