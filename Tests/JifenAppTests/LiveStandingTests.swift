import Fluent
@testable import JifenApp
import JifenCore
import XCTVapor

final class LiveStandingTests: XCTestCase {
    /// Serial dictatorship by hand over (points, ranking), and each one's place at each school he
    /// ranked: 1 + those before him who took a seat there.
    static func places(_ people: [(name: String, points: Int, schools: [String])], seats: [String: Int]) -> [String: [(String, Int)]] {
        var left = seats, taken: [String: Int] = [:], found: [String: [(String, Int)]] = [:]
        for p in people.sorted(by: { $0.points > $1.points }) {
            found[p.name] = p.schools.map { ($0, (taken[$0] ?? 0) + 1) }
            if let school = p.schools.first(where: { (left[$0] ?? 0) > 0 }) {
                left[school]! -= 1
                taken[school, default: 0] += 1
            }
        }
        return found
    }

    /// While the window is open a parent reads, for each school he ranked, his place were it
    /// closed now — the place an allocation of the applications present gives him — and nothing
    /// about anyone else; a new application shows after the few minutes the standing is kept.
    func testLiveStandingIsThePlaceAnAllocationOfTheApplicationsPresentGives() async throws {
        try await withApp(demo: true) { ctx in
            let program = try await makeGrade1(ctx, code: "2026-grade1-l", maxChoices: 2, quotas: "L1,实验小学,320582-01,3\nL2,城北小学,320582-01,1\n")
            try await approveAllSteps(ctx, .quota, "2026-grade1-l")
            let edu = try await ctx.signedIn("edu")
            try await edu.get("/programs/2026-grade1-l")
            try await edu.post("/programs/2026-grade1-l/quotas/publish", [:])
            let service = ProgramService(app: ctx.app, db: ctx.app.db, now: ctx.clock.now, actor: .system, logger: ctx.app.logger)
            var people: [(name: String, points: Int, schools: [String])] = [("王大伟", 95, ["L1", "L2"]), ("张三丰", 90, ["L1"]), ("赵敏", 80, ["L2", "L1"]), ("钱多多", 70, ["L1", "L2"])]
            var numbers: [String: String] = [:]
            func apply(_ n: Int, _ person: (name: String, points: Int, schools: [String])) async throws {
                let (resident, child) = try await makeParent(ctx, name: person.name, idNumber: ProgramsTests.id("410102", "198\(n)0909", "61\(n)"), points: Int64(person.points),
                                                             child: (person.name.prefix(1) + "小孩", ProgramsTests.id("410102", "2020080\(n + 1)", "62\(n)")))
                guard case .saved(let application) = try await service.apply(resident: resident, child: child, program: program, schools: person.schools) else { return XCTFail("refused") }
                numbers[person.name] = application.number
                if person.name == "钱多多" {
                    let user = User(login: "13900004000", passwordHash: try ctx.app.password.hash("parent12345"), displayName: person.name, role: .citizen, status: .active,
                                    jurisdictionID: nil, departmentID: nil, at: ctx.clock.now)
                    try await user.create(on: ctx.app.db)
                    resident.$user.id = try user.requireID()
                    try await resident.save(on: ctx.app.db)
                }
            }
            for (n, person) in people.enumerated() { try await apply(n, person) }
            let parent = Browser(ctx.app)
            try await parent.signIn("13900004000", "parent12345")
            func lines() async throws -> [String] {
                let page = try await parent.get("/me/programs")
                return Browser.allMatches("(以目前的报名情况，你的孩子在[^<]*)</li>", in: page.body)
            }
            func expected() -> [String] {
                let seats = ["L1": 3, "L2": 1], names = ["L1": "实验小学", "L2": "城北小学"]
                return Self.places(people, seats: seats)["钱多多"]!.map { "以目前的报名情况，你的孩子在\(names[$0.0]!)排第 \($0.1) 位（学位 \(seats[$0.0]!) 个）。" }
            }
            // MUT
            var now = try await lines()
            // validate: 王 and 张 take L1 before him, 赵 takes L2: third of three at L1, second of one at L2.
            XCTAssertEqual(now, expected())
            XCTAssertEqual(now, ["以目前的报名情况，你的孩子在实验小学排第 3 位（学位 3 个）。", "以目前的报名情况，你的孩子在城北小学排第 2 位（学位 1 个）。"])
            let page = try await parent.get("/me/programs")
            for other in ["王大伟", "张三丰", "赵敏", "王*伟", "张*丰", "赵*"] { XCTAssertFalse(page.body.contains(other), other) }
            for name in ["王大伟", "张三丰", "赵敏"] { XCTAssertFalse(page.body.contains(numbers[name]!), "no other applicant's number") }
            XCTAssertTrue(page.body.contains("按真实意愿排列志愿始终是安全的"))
            // Before any round his choices are listed in his order, without the empty cutoff and
            // outcome columns a result fills.
            XCTAssertEqual(Browser.allMatches(#"<ol class="choices">(.*?)</ol>"#, in: page.body).first.map { Browser.allMatches("<li>([^<]*)</li>", in: $0) },
                           ["实验小学", "城北小学"])
            XCTAssertFalse(page.body.contains("<th>录取线</th>"))

            // 孙 (99, L1) applies: kept for a few minutes, then he is fourth at L1.
            people.append(("孙立", 99, ["L1"]))
            try await apply(4, people[4])
            now = try await lines()
            XCTAssertEqual(now.first, "以目前的报名情况，你的孩子在实验小学排第 3 位（学位 3 个）。", "the standing is kept a few minutes")
            ctx.clock.advance(LiveStanding.keepSeconds + 1)
            try await parent.signIn("13900004000", "parent12345")
            now = try await lines()
            XCTAssertEqual(now, expected())
            XCTAssertEqual(now.first, "以目前的报名情况，你的孩子在实验小学排第 4 位（学位 3 个）。")

            // The program's page of counts: seats, first and second choices, nobody named.
            let demand = try await Browser(ctx.app).get("/programs/2026-grade1-l/demand")
            XCTAssertEqual(demand.status, .ok)
            let l1 = try XCTUnwrap(demand.body.range(of: #"data-school="L1""#).map { String(demand.body[$0.lowerBound...].prefix(600)) })
            XCTAssertEqual(Browser.allMatches(#"<td data-label="[^"]*">([0-9]+)</td>"#, in: l1).prefix(3), ["3", "4", "1"], "3 seats, 4 rank it first (王 张 钱 孙), 1 second (赵)")
            XCTAssertTrue(demand.body.contains("<strong id=\"demand-applicants\">5</strong>"))
            XCTAssertFalse(demand.body.contains("王*伟") || demand.body.contains(numbers["王大伟"]!))
            // Nothing was frozen: the points are still open until the round.
            let frozen = try await ServiceApplication.query(on: ctx.app.db).filter(\.$program.$id == program.requireID()).filter(\.$points != nil).count()
            XCTAssertEqual(frozen, 0)
        }
    }
}
