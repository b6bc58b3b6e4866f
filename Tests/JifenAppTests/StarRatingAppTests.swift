import Fluent
@testable import JifenApp
import JifenCore
import XCTVapor

/// 包租星级: a sublandlord's rating follows what happens at his houses and the centre's rules.
final class StarRatingAppTests: XCTestCase {
    func testTheStarRatingFallsWhenAHazardAtHisHouseIsClosedLateAndFollowsTheRules() async throws {
        try await withApp(demo: true) { ctx in
            var worker = try await ctx.signedIn("grid.yangshe")
            try await worker.get("/houses/new")
            for room in ["601", "602"] {
                try await worker.post("/houses", ["grid": "320582-01-01-01", "building": "9", "unit": "1", "room": room,
                                                  "address": "城北社区9幢1单元\(room)室", "landlord": "冯包租", "capacity": "4"])
            }
            let user = User(login: "13900008888", passwordHash: try ctx.app.password.hash("landlord12345"), displayName: "冯包租", role: .citizen, status: .active,
                            phone: "13900008888", at: ctx.clock.now)
            try await user.create(on: ctx.app.db)
            let sublandlord = try await ctx.signedIn("13900008888", password: "landlord12345")
            try await sublandlord.get("/me/houses")
            for room in ["601", "602"] {
                try await sublandlord.post("/me/houses", ["house": "320582-01-01-01-9-1-\(room)", "kind": "sublandlord", "name": "冯包租", "organisation": ""])
            }
            for manager in try await HouseManager.query(on: ctx.app.db).filter(\.$user.$id == user.requireID()).all() {
                try await worker.get("/houses/" + manager.$house.id.uuidString)
                try await worker.post("/houses/\(manager.$house.id.uuidString)/managers/\(manager.requireID().uuidString)/decision", ["decision": "confirm", "reason": ""])
            }
            func stars(_ browser: Browser) async throws -> String? {
                let page = try await browser.get("/landlords")
                XCTAssertEqual(page.status, .ok)
                return Browser.firstMatch(#"<li data-stars="(\d)"><strong>冯\*租</strong>"#, in: page.body)
            }
            var rating = try await stars(worker)
            XCTAssertEqual(rating, "5", "nothing has happened at his houses")

            // A blocked exit at his house (fire brigade, 3 working days) on Monday 21 Sept.
            try await worker.get("/hazards/new")
            try await worker.post("/hazards", ["type": "blockedExit", "house": "320582-01-01-01-9-1-601", "place": "", "grid": "", "description": "楼道堆放杂物"])
            rating = try await stars(worker)
            XCTAssertEqual(rating, "4", "a hazard found: half a star, rounded down")
            let town = try await ctx.signedIn("clerk.yangshe")
            let seen = try await town.get("/landlords")
            XCTAssertTrue(seen.body.contains("房屋内发现隐患 1 处，扣 0.5 星"), "the town sees the reason")

            // Rectified and accepted on Monday 28 Sept, after its due date (Thursday 24th).
            ctx.clock.advance(7 * 86_400)
            worker = try await ctx.signedIn("grid.yangshe")
            let fireDept = try await Department.query(on: ctx.app.db).filter(\.$code == "fire").first()
            try await User(login: "dept.fire", passwordHash: try ctx.app.password.hash("dept12345678"), displayName: "消防", role: .departmentReviewer, status: .active,
                           jurisdictionID: nil, departmentID: fireDept?.id, at: ctx.clock.now).create(on: ctx.app.db)
            let fire = try await ctx.signedIn("dept.fire", password: "dept12345678")
            let found = try await Hazard.query(on: ctx.app.db).filter(\.$typeCode == "blockedExit").first()
            let hazard = try XCTUnwrap(found)
            let path = "/hazards/" + hazard.id!.uuidString
            for (browser, step, note) in [(fire, "acknowledge", ""), (fire, "rectify", "已清理"), (worker, "accept", "")] {
                try await browser.get(path)
                let done = try await browser.post(path + "/steps", ["step": step, "note": note, "department": ""])
                XCTAssertEqual(done.status, .seeOther, step)
            }
            rating = try await stars(worker)
            XCTAssertEqual(rating, "3", "closed late: a whole star more")
            let house = try await worker.get("/houses/" + hazard.$house.id!.uuidString)
            XCTAssertTrue(house.body.contains("隐患逾期整改 1 处，扣 1 星"), "the house page gives the reason")
            XCTAssertTrue(house.body.contains("3 星"))

            // The centre decides lateness costs nothing more: the rating follows at once.
            let admin = try await ctx.signedIn("admin")
            try await admin.get("/landlords/rules")
            let refused = try await admin.post("/landlords/rules", ["hazardFound": "0.5", "hazardLate": "9", "declarationLate": "0.5", "declarationDays": "3", "dispute": "0.5", "windowDays": "365"])
            XCTAssertEqual(refused.status, .badRequest)
            XCTAssertTrue(refused.body.contains("每处逾期整改的隐患再扣（星）应为 0 到 5 之间的数。"))
            let saved = try await admin.post("/landlords/rules", ["hazardFound": "0.5", "hazardLate": "0", "declarationLate": "0.5", "declarationDays": "3", "dispute": "0.5", "windowDays": "365"])
            XCTAssertEqual(saved.status, .seeOther)
            rating = try await stars(worker)
            XCTAssertEqual(rating, "4")
        }
    }
}
