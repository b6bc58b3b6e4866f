import Fluent
@testable import JifenApp
import JifenCore
import XCTVapor

final class HomeTests: XCTestCase {
    /// A citizen's home says where his residence, permit, points and services stand, and offers
    /// the next step of each; the model is read without HTTP and the page words it.
    func testTheCitizensHomeShowsEachAffairAndItsNextStep() async throws {
        try await withApp(demo: true) { ctx in
            // setup: 李明, verified residence since March 2023, no permit, no points, no service
            let (citizen, resident) = try await makeApplicant(ctx)
            let today = ShanghaiDate.today(ctx.clock.now)
            // MUT
            let first = try await CitizenGlance.query(resident: resident, today: today, on: ctx.app.db)
            // validate
            XCTAssertEqual(first, CitizenGlance(residence: .verified(since: CivilDate("2023-03-01")!), permit: .none, points: .none, services: .none))
            let home = try await citizen.get("/home")
            for words in ["已核实，自 2023年3月1日 起", "尚未申请", "今年尚未申请积分", "尚未报名"] {
                XCTAssertTrue(home.body.contains(words), words)
            }
            for (label, href) in [("申请居住证", "/me/residence"), ("申请积分", "/me/points"), ("查看可报名的项目", "/programs")] {
                XCTAssertTrue(home.body.contains(#"<a class="button" href="\#(href)">\#(label)</a>"#), label)
            }
            XCTAssertFalse(home.body.contains("登记居住</a>"), "no need to register again")

            // He opens this year's points application: the next step is to go on with it.
            try await citizen.get("/me/points")
            try await citizen.post("/me/points", [:])
            let second = try await CitizenGlance.query(resident: resident, today: today, on: ctx.app.db)
            XCTAssertEqual(second.points, .application(.draft))
            let again = try await citizen.get("/home")
            XCTAssertTrue(again.body.contains(#"<a class="button" href="/me/points">继续填写</a>"#))
            // In English, the same in English.
            try await citizen.get("/lang/en?back=%2Fhome")
            let english = try await citizen.get("/home")
            XCTAssertTrue(english.body.contains("Verified, since 1 March 2023"))
            XCTAssertTrue(english.body.contains(">Apply for a permit</a>"))

            // A citizen with no record yet is told to register his residence.
            let nobody = try await CitizenGlance.query(resident: nil, today: today, on: ctx.app.db)
            XCTAssertEqual(nobody, CitizenGlance(residence: .none, permit: .none, points: .none, services: .none))
        }
    }
}
