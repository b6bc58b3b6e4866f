import Fluent
@testable import JifenApp
import JifenCore
import XCTVapor

/// Services given in steps by points (梯度服务): a citizen sees which his points reach today and
/// how many the next one needs; the affairs center adds services.
final class TieredServicesTests: XCTestCase {
    func testACitizenSeesWhichServicesHisPointsReachAndWhatTheNextNeeds() async throws {
        XCTAssertEqual(ServiceLadder.standing(Points(90), on: [.init(code: "a", line: Points(100)), .init(code: "b", line: Points(40)), .init(code: "c", line: Points(90))]),
                       ServiceLadder.Standing(reached: ["b", "c"], next: (code: "a", needed: Points(10))))
        try await withApp(demo: true) { ctx in
            // setup: 李明 has 90 points this year; the demo's lines are 40, 60, 80, 100 and 150.
            let (citizen, resident) = try await makeApplicant(ctx)
            let archive = PointsArchive()
            archive.updatedAt = ctx.clock.now
            archive.status = .active
            archive.year = 2026
            archive.total = 9_000
            archive.$resident.id = try resident.requireID()
            try await archive.create(on: ctx.app.db)

            // MUT
            let page = try await citizen.get("/services-by-points")

            XCTAssertTrue(page.body.contains("您目前的积分可享受 3 项服务；下一项“妇女“两癌”免费检查”还需 10 分。"))
            XCTAssertTrue(page.body.contains(#"<tr data-service="bus" data-reached>"#))
            XCTAssertTrue(page.body.contains(#"<tr data-service="rental-housing">"#))
            XCTAssertTrue(page.body.contains("还差 60 分"), "公共租赁住房 at 150")
            // The public sees the lines, not anyone's standing.
            let anonymous = try await Browser(ctx.app).get("/services-by-points")
            XCTAssertTrue(anonymous.body.contains("公共租赁住房"))
            XCTAssertFalse(anonymous.body.contains("services-summary"))
            XCTAssertFalse(anonymous.body.contains("id=\"service-form\""))

            // The affairs center adds one; a bad line is refused beside the field.
            let admin = try await ctx.signedIn("admin")
            try await admin.get("/services-by-points")
            let bad = try await admin.post("/services-by-points", ["code": "library", "title": "图书馆借阅", "gives": "免押金借书", "provider": "市图书馆",
                                                                 "line": "很多", "series": "general"])
            XCTAssertEqual(bad.status, .badRequest)
            XCTAssertTrue(bad.body.contains("“分数线”应为数字"))
            let saved = try await admin.post("/services-by-points", ["code": "library", "title": "图书馆借阅", "gives": "免押金借书", "provider": "市图书馆",
                                                                   "line": "20", "series": "general"])
            XCTAssertEqual(saved.status, .seeOther)
            let after = try await citizen.get("/services-by-points")
            XCTAssertTrue(after.body.contains("您目前的积分可享受 4 项服务"))
        }
    }
}
