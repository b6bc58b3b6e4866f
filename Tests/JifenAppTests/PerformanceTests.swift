import Fluent
@testable import JifenApp
import JifenCore
import XCTVapor

/// 考核: a month of a grid's work, its records, verifications, hazards and subsidy.
final class PerformanceTests: XCTestCase {
    func testAMonthOfAGridsWorkIsCountedPerWorkerGridAndTownWithItsSubsidy() async throws {
        try await withApp(demo: true) { ctx in
            let db = ctx.app.db
            let today = ShanghaiDate.today(ctx.clock.now)
            let grid = try await Jurisdiction.find(code: "320582-01-01-01", on: db)!
            let worker = try await ctx.signedIn("grid.yangshe")
            try await worker.get("/houses/new")
            try await worker.post("/houses", ["grid": "320582-01-01-01", "building": "2", "unit": "1", "room": "101", "address": "城北社区2幢1单元101室", "landlord": "孔房东", "capacity": "3"])
            let house = try await RentalHouse.query(on: db).first()
            // Three declarations of early September, decided by the grid worker: one complete and
            // on time, one without a house (incomplete) on time, one refused after its due date.
            let cases: [(String, String, Bool, String?, Int)] = [("褚一", "401", true, "13700004010", 2), ("褚二", "402", false, nil, 3), ("褚三", "403", false, "13700004030", 9)]
            for (name, sequence, withHouse, phone, daysToDecide) in cases {
                let id = try ResidentID.validate(ResidenceTests.idNumber("19900101", sequence: sequence), today: today, regions: ctx.app.regions).get()
                let person = try Resident(name: name, id: id, phone: phone, userID: nil, data: ctx.app.personalData, at: ctx.clock.now)
                try await person.create(on: db)
                let declared = CivilDate("2026-09-01")!
                let r = try ResidenceRegistration(of: person.requireID(), grid: grid.requireID(), house: withHouse ? house?.id : nil, address: "城北社区", from: declared,
                                                  source: .selfDeclared, status: daysToDecide > 7 ? .rejected : .verified, due: declared.adding(days: 7),
                                                  at: ShanghaiDate.startOfDay(declared))
                r.decidedAt = ShanghaiDate.startOfDay(declared.adding(days: daysToDecide)).addingTimeInterval(3_600 * 10)
                r.decidedBy = "grid.yangshe"
                try await r.create(on: db)
            }
            // A hazard he reported and, once rectified, accepted.
            try await worker.get("/hazards/new")
            try await worker.post("/hazards", ["type": "blockedExit", "house": "320582-01-01-01-2-1-101", "place": "", "grid": "", "description": "楼道堆放杂物"])
            let hazard = try await Hazard.query(on: db).first()!
            hazard.status = .rectified
            try await hazard.save(on: db)
            try await worker.get("/hazards/" + hazard.id!.uuidString)
            try await worker.post("/hazards/\(hazard.id!.uuidString)/steps", ["step": "accept", "note": "", "department": ""])

            let town = try await ctx.signedIn("clerk.yangshe")
            let page = try await town.get("/performance?month=2026-09")
            XCTAssertEqual(page.status, .ok)
            // collected 2 (verified), complete 1, decided 3, on time 2 (66.7%), 1 reported, 1 closed, 15 元 shared 1:1.
            let row = "<td>2</td><td>1</td><td>3</td><td>2</td><td>66.7%</td><td>1</td><td>1</td><td>15.00</td><td>7.50</td><td>7.50</td>"
            XCTAssertTrue(page.body.contains(#"<th scope="row">城北社区第一网格员（grid.yangshe）</th>"# + row), "the worker's row")
            XCTAssertTrue(page.body.contains(#"<th scope="row">城北社区第一网格</th>"# + row), "the grid's row")
            XCTAssertTrue(page.body.contains(#"<th scope="row">杨舍镇（经开区）</th>"# + row), "the town's row")
            let csv = try await town.get("/performance.csv?month=2026-09")
            XCTAssertTrue(csv.body.contains("按网格,城北社区第一网格,2,1,3,2,66.7%,1,1,15.00,7.50,7.50"))
            // Another month is empty; another town sees nothing of it.
            let august = try await town.get("/performance?month=2026-08")
            XCTAssertFalse(august.body.contains("城北社区第一网格员（grid.yangshe）"))
            let other = try await ctx.signedIn("clerk.tangqiao")
            let elsewhere = try await other.get("/performance?month=2026-09")
            XCTAssertFalse(elsewhere.body.contains("城北社区第一网格"))
            let bad = try await town.get("/performance?month=2026-13")
            XCTAssertEqual(bad.status, .badRequest)
        }
    }

    func testTheSubsidyAndWhatMakesARecordCompleteAreSettings() throws {
        let base = ["JIFEN_DATA_DIR": "/tmp/jifen-config", "JIFEN_SECRET_KEY": testSecretHex]
        let config = try AppConfig.load(environment: base.merging(["JIFEN_RECORD_SUBSIDY_FEN": "2000", "JIFEN_SUBSIDY_CITY_PERCENT": "60", "JIFEN_COMPLETE_FIELDS": "phone, identity"]) { $1 }, demo: false)
        XCTAssertEqual(config.recordSubsidyFen, 2000)
        XCTAssertEqual(config.subsidyCityPercent, 60)
        XCTAssertEqual(config.completeFields, ["phone", "identity"])
        XCTAssertThrowsError(try AppConfig.load(environment: base.merging(["JIFEN_COMPLETE_FIELDS": "phone,shoeSize"]) { $1 }, demo: false)) { error in
            XCTAssertTrue(String(describing: error).contains("shoeSize"))
        }
        XCTAssertThrowsError(try AppConfig.load(environment: base.merging(["JIFEN_SUBSIDY_CITY_PERCENT": "101"]) { $1 }, demo: false))
    }
}
