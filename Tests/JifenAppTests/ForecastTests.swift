import Fluent
@testable import JifenApp
import JifenCore
import XCTVapor

final class ForecastTests: XCTestCase {
    struct Family { let town: String; let grid: String?; let since: String; let permitUntil: String?; let childBorn: String }

    /// Next year's forecast on the page equals the count made here from the families as they were
    /// written: children of each level's age on 31 August 2027 by the town their parent lives in,
    /// and those whose parent holds a valid permit and has lived here a year.
    func testTheForecastForNextYearEqualsACountMadeIndependently() async throws {
        try await withApp(demo: true) { ctx in
            let families: [Family] = [
                // grade 1 in 2027: born 1 September 2020 – 31 August 2021
                Family(town: "320582-01", grid: "320582-01-01-01", since: "2021-03-01", permitUntil: "2027-06-30", childBorn: "20201015"),
                Family(town: "320582-01", grid: "320582-01-01-01", since: "2022-05-01", permitUntil: "2027-06-30", childBorn: "20210831"),
                Family(town: "320582-01", grid: "320582-01-01-01", since: "2026-06-01", permitUntil: "2027-06-30", childBorn: "20210101"),   // 3 months here
                Family(town: "320582-01", grid: "320582-01-01-01", since: "2020-01-01", permitUntil: "2026-09-01", childBorn: "20210202"),   // permit ran out
                Family(town: "320582-02", grid: "320582-02-01-01", since: "2019-01-01", permitUntil: "2027-12-31", childBorn: "20200901"),
                Family(town: "320582-02", grid: "320582-02-01-01", since: "2019-01-01", permitUntil: nil, childBorn: "20201111"),          // no permit
                Family(town: "", grid: nil, since: "", permitUntil: nil, childBorn: "20210303"),                                               // no residence
                Family(town: "320582-01", grid: "320582-01-01-01", since: "2021-03-01", permitUntil: "2027-06-30", childBorn: "20200831"),   // 7 by then
                // kindergarten in 2027: born 1 September 2023 – 31 August 2024
                Family(town: "320582-02", grid: "320582-02-01-01", since: "2019-01-01", permitUntil: "2027-12-31", childBorn: "20231201"),
                Family(town: "320582-01", grid: "320582-01-01-01", since: "2024-01-01", permitUntil: "2027-06-30", childBorn: "20240505"),
            ]
            let today = ShanghaiDate.today(ctx.clock.now)
            for (n, f) in families.enumerated() {
                guard case .success(let id) = ResidentID.validate(ProgramsTests.id("410102", "1985\(String(format: "%02d", n + 1))01", "71\(n % 10)"), today: today, regions: ctx.app.regions),
                      case .success(let childID) = ResidentID.validate(ProgramsTests.id("410102", f.childBorn, "72\(n % 10)"), today: today, regions: ctx.app.regions) else {
                    return XCTFail("ids")
                }
                let parent = try Resident(name: "家长\(n)", id: id, phone: nil, userID: nil, data: ctx.app.personalData, at: ctx.clock.now)
                try await parent.create(on: ctx.app.db)
                try await HouseholdMember(.child, name: "孩子\(n)", id: childID, of: parent.requireID(), data: ctx.app.personalData, at: ctx.clock.now, verifiedBy: "test").create(on: ctx.app.db)
                guard let gridCode = f.grid, let grid = try await Jurisdiction.find(code: gridCode, on: ctx.app.db) else { continue }
                let since = CivilDate(f.since)!
                try await ResidenceRegistration(of: parent.requireID(), grid: grid.requireID(), house: nil, address: "某路\(n)号", from: since,
                                                source: .gridWorker, status: .verified, due: since.adding(days: 7), at: ctx.clock.now).create(on: ctx.app.db)
                if let until = f.permitUntil {
                    let permit = ResidencePermit()
                    permit.createdAt = ctx.clock.now
                    permit.number = "JZ-F\(n)"
                    permit.basis = "employment"
                    permit.evidence = "劳动合同"
                    permit.status = .issued
                    permit.validUntil = CivilDate(until)!
                    permit.$resident.id = try parent.requireID()
                    permit.$jurisdiction.id = try grid.requireID()
                    try await permit.create(on: ctx.app.db)
                }
            }
            // The count by hand: age on 31 August 2027 from the birth date as written (`ageOf`).
            func expected(_ age: Int) -> (children: [String: Int], eligible: [String: Int], unplaced: Int) {
                var children: [String: Int] = [:], eligible: [String: Int] = [:], unplaced = 0
                for f in families where Self.ageOf(f.childBorn, age) {
                    guard f.grid != nil else { unplaced += 1; continue }
                    children[f.town, default: 0] += 1
                    let months = (2026 - Int(f.since.prefix(4))!) * 12 + (9 - Int(f.since.dropFirst(5).prefix(2))!)
                    if let until = f.permitUntil, until >= "2026-09-21", months >= 12 { eligible[f.town, default: 0] += 1 }
                }
                return (children, eligible, unplaced)
            }
            let edu = try await ctx.signedIn("edu")
            let page = try await edu.get("/forecast?year=2027")
            XCTAssertEqual(page.status, .ok)
            for (kind, entry) in [("grade1", 6), ("kindergarten", 3)] {
                let card = try XCTUnwrap(page.body.range(of: "data-level=\"\(kind)\"").map { String(page.body[$0.lowerBound...].prefix(6000)) })
                let want = expected(entry)
                func figure(_ name: String) -> Int? { Browser.firstMatch("data-figure=\"\(name)\">[^<]*<strong>([0-9]+)</strong>", in: card).flatMap { Int($0) } }
                XCTAssertEqual(figure("children"), want.children.values.reduce(want.unplaced, +), kind)
                XCTAssertEqual(figure("eligible"), want.eligible.values.reduce(0, +), kind)
                for (town, name) in [("320582-01", "杨舍镇（经开区）"), ("320582-02", "塘桥镇（高新区）")] where want.children[town] != nil {
                    let row = Browser.firstMatch("<td data-label=\"[^\"]*\">\(name)</td><td data-label=\"[^\"]*\">([0-9]+)</td><td data-label=\"[^\"]*\">([0-9]+)</td>", in: card)
                    XCTAssertEqual(row.flatMap { Int($0) }, want.children[town], "\(kind) \(name)")
                }
            }
            // The CSV says the same, town by town.
            let csv = try await edu.get("/forecast.csv?year=2027")
            let want = expected(6)
            XCTAssertTrue(csv.body.contains("grade1,320582-01,杨舍镇（经开区）,\(want.children["320582-01"]!),\(want.eligible["320582-01"] ?? 0),"), csv.body)
            let visitor = try await Browser(ctx.app).get("/forecast")
            XCTAssertNotEqual(visitor.status, .ok, "staff only")
        }
    }

    static func ageOf(_ born: String, _ age: Int) -> Bool {
        let y = Int(born.prefix(4))!, md = Int(born.suffix(4))!
        return 2027 - y - (md > 831 ? 1 : 0) == age
    }

    /// The demo's next year: the page's figures equal a recount here from the households, the
    /// registrations and the permits read row by row.
    func testTheDemosNextYearForecastEqualsARecount() async throws {
        try await withApp(demo: true, residents: 1000) { ctx in
            let today = ShanghaiDate.today(ctx.clock.now), year = today.year + 1
            let children = try await HouseholdMember.query(on: ctx.app.db).filter(\.$relation == .child).all().filter { $0.verifiedAt != nil }
            let registrations = try await ResidenceRegistration.query(on: ctx.app.db).filter(\.$status == .verified).with(\.$jurisdiction).all()
            let permits = try await ResidencePermit.query(on: ctx.app.db).filter(\.$status == .issued).with(\.$steps).all()
            let kindergarten = try await Program.query(on: ctx.app.db).filter(\.$code == "\(year)-kindergarten").first()
            var counted: [String: (children: Int, eligible: Int)] = [:]
            for child in children {
                let b = child.birthDate
                let age = year - b.year - ((b.month * 100 + b.day) > 831 ? 1 : 0)
                guard let kind = [3: "kindergarten", 6: "grade1", 12: "grade7"][age] else { continue }
                let mine = registrations.filter { $0.$resident.id == child.$resident.id }
                let current = mine.filter { $0.fromDate <= today && ($0.toDate.map { $0 >= today } ?? true) }.max { $0.fromDate < $1.fromDate }
                guard current != nil else { continue }
                var c = counted[kind] ?? (0, 0)
                c.children += 1
                let valid = permits.filter { $0.$resident.id == child.$resident.id && ($0.validUntil.map { $0 >= today } ?? false) }
                let needed = kind == "kindergarten" ? (kindergarten?.minResidenceMonths ?? 12) : 12
                let months = ResidenceTime.detail(mine.map(\.period), asOf: today).months
                if !valid.isEmpty && months >= needed { c.eligible += 1 }
                counted[kind] = c
            }
            XCTAssertGreaterThan(counted["kindergarten"]?.children ?? 0, 0, "the demo has children for next year's kindergarten: \(counted) of \(children.count)")
            let edu = try await ctx.signedIn("edu")
            let page = try await edu.get("/forecast?year=\(year)")
            for kind in ["kindergarten", "grade1", "grade7"] {
                let card = try XCTUnwrap(page.body.range(of: "data-level=\"\(kind)\"").map { String(page.body[$0.lowerBound...].prefix(1500)) })
                let children = Browser.firstMatch(#"data-figure="children">[^<]*<strong>([0-9]+)</strong>"#, in: card).flatMap { Int($0) }
                let eligible = Browser.firstMatch(#"data-figure="eligible">[^<]*<strong>([0-9]+)</strong>"#, in: card).flatMap { Int($0) }
                let unplaced = Browser.firstMatch(#"(?:无已核实居住登记) ([0-9]+)"#, in: card).flatMap { Int($0) } ?? 0
                XCTAssertEqual(children.map { $0 - unplaced }, counted[kind]?.children ?? 0, kind)
                XCTAssertEqual(eligible, counted[kind]?.eligible ?? 0, kind)
            }
        }
    }
}
