import Fluent
@testable import JifenApp
import JifenCore
import JifenResources
import XCTVapor

/// 积分核定 at the town (seed 004 art. 4/9): items the standard leaves to the town are confirmed
/// by the window that accepts; only disputed materials go to the department for re-review.
final class TownConfirmationTests: XCTestCase {
    func testTheTownConfirmsItsItemsAndSendsOnlyADisputedOneToTheDepartment() async throws {
        try await withApp(demo: true) { ctx in
            // setup: a version of the city's standard in force from 2026 that leaves education and
            // residence years to the town's window
            let shipped = try String(contentsOfFile: JifenResources.directory("Standards") + "zhangjiagang-2021.yaml", encoding: .utf8)
            var yaml = shipped.replacingOccurrences(of: "id: zhangjiagang-2021", with: "id: zhangjiagang-2026-town")
                .replacingOccurrences(of: "effectiveFrom: 2021-05-08", with: "effectiveFrom: 2026-01-01")
            for item in ["education", "residenceYears"] {
                let start = try XCTUnwrap(yaml.range(of: "  - id: \(item)\n"))
                let rule = try XCTUnwrap(yaml.range(of: "    rule:\n", range: start.upperBound..<yaml.endIndex))
                yaml.insert(contentsOf: "    confirmedBy: town\n", at: rule.lowerBound)
            }
            let standard = try StandardParser.parse(yaml).get()
            XCTAssertEqual(standard.item("education")?.confirmedBy, .town)
            XCTAssertEqual(standard.item("professionalTitle")?.confirmedBy, .department)
            let version = StandardVersion(standard: standard, yaml: yaml, status: .published, by: "admin", at: ctx.clock.now)
            try await version.create(on: ctx.app.db)

            let (citizen, resident) = try await makeApplicant(ctx)
            let service = PointsService(app: ctx.app, db: ctx.app.db, now: ctx.clock.now, actor: .system, logger: ctx.app.logger)
            guard case .opened(let application) = try await service.open(for: resident, jurisdictionID: nil) else { return XCTFail("refused") }
            XCTAssertEqual(application.standardCode, "zhangjiagang-2026-town")
            try await makeClaims(ctx, on: application, [("education", "education", "bachelor"), ("residenceYears", "police", "3"), ("professionalTitle", "hrss", "junior")])
            try await service.submit(application)
            let education = try await PointsClaim.query(on: ctx.app.db).filter(\.$item == "education").first()!

            // The window sees the town's items with a box each, disputes 本科 and accepts.
            let clerk = try await ctx.signedIn("clerk.yangshe")
            let id = try application.requireID().uuidString
            let page = try await clerk.get("/points/applications/\(id)")
            XCTAssertTrue(page.body.contains("由本镇核定的项目"))
            XCTAssertTrue(page.body.contains(#"name="dispute_\#(try education.requireID().uuidString)""#))
            // MUT
            let accepted = try await clerk.post("/points/applications/\(id)/review", ["decision": "accept", "dispute_\(try education.requireID().uuidString)": "on"])
            XCTAssertEqual(accepted.status, .seeOther)

            // validate
            let claims = Dictionary(uniqueKeysWithValues: try await PointsClaim.query(on: ctx.app.db).all().map { ($0.item, $0) })
            XCTAssertEqual(claims["residenceYears"]?.state, .verified, "confirmed by the town")
            XCTAssertEqual(claims["residenceYears"]?.verifier, "town:clerk.yangshe")
            XCTAssertNil(claims["residenceYears"]?.dueDate)
            XCTAssertEqual(claims["education"]?.state, .claimed, "disputed: re-reviewed by the department")
            XCTAssertNotNil(claims["education"]?.dueDate)
            XCTAssertEqual(claims["professionalTitle"]?.state, .claimed, "a department's item as before")
            let disputes = try await AuditEntry.query(on: ctx.app.db).filter(\.$action == "dispute").count()
            XCTAssertEqual(disputes, 1)
            let reviewer = try await makeReviewer(ctx, login: "edu.reviewer", department: "education")
            let queue = try await reviewer.get("/points/review")
            XCTAssertTrue(queue.body.contains("文化程度"), "the disputed item waits in the education bureau's queue")
            let mine = try await citizen.get("/me/points")
            XCTAssertTrue(mine.body.contains("由镇（街道）窗口核定"))
        }
    }
}
