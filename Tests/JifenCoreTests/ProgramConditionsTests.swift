import JifenCore
import JifenResources
import XCTest

/// A program's rules as each jurisdiction writes them: tie-break keys that add categories,
/// conditions in months, quota timing, one spouse per couple.
final class ProgramConditionsTests: XCTestCase {
    func d(_ text: String) -> CivilDate { CivilDate(text)! }

    /// Nanhu art. 15: equal totals are ordered by the *sum* of 基本状况、创新创业、社会服务, then by
    /// the application time. 王 has the most 基本状况 points, so comparing the three subtotals one
    /// by one puts him first; his three-group sum is the lowest (张 and 李 lost 10 points to a
    /// deduction that the sum leaves out), so under art. 15 张 and 李 take the two seats, 张 first
    /// because he applied first.
    func testANanhuTieIsBrokenByTheThreeGroupSumThenTheApplicationTime() throws {
        let text = try String(contentsOfFile: JifenResources.directory("Standards") + "jiaxing-nanhu-2017.yaml", encoding: .utf8)
        let standard = try StandardParser.parse(text).get()
        let evaluator = Evaluator(standard)
        let asOf = d("2026-05-30")
        let wang = Profile(id: "王", facts: ["education": [Fact(.option("bachelor"))], "volunteerHours": [Fact(.quantity(Decimal2(600)))]])
        let zhang = Profile(id: "张", facts: [
            "education": [Fact(.option("juniorCollege"))], "inventionPatent": [Fact(.quantity(Decimal2(2)))],
            "volunteerHours": [Fact(.quantity(Decimal2(100)))], "heroicDeed": [Fact(.flag(true))],
            "publicOrderPenalty": [Fact(.quantity(Decimal2(1)), date: d("2025-06-01"))],
        ])
        var li = zhang
        li.id = "李"
        let scored = [wang, zhang, li].map { evaluator.evaluate($0, asOf: asOf) }
        XCTAssertEqual(scored.map(\.total), [Points(80), Points(80), Points(80)], "a tie on the total")

        // MUT: the program's key as a center admin writes it
        let keys = try TieBreakKey.parse("basicStatus+innovation+socialService", categories: Set(standard.categories.map(\.id))).get()
        XCTAssertEqual(keys, [.sum(["basicStatus", "innovation", "socialService"])])
        XCTAssertEqual(scored.map { TieBreakKey.values(keys, in: $0.categories) }, [[Points(80)], [Points(90)], [Points(90)]])

        func admitted(_ keys: [TieBreakKey]) -> [String] {
            var x = AllocationInstance(schools: ["南湖实验小学"], seats: [2])
            let applied = ["王": "2026-05-02T09:00:00+08:00", "张": "2026-05-01T09:00:00+08:00", "李": "2026-05-03T09:00:00+08:00"]
            for (id, e) in zip(["王", "张", "李"], scored) {
                x.append(id: id, points: Double(e.total.hundredths) / 100, tiebreak: TieBreakKey.values(keys, in: e.categories).map { Double($0.hundredths) / 100 },
                         submittedAt: Instant(iso8601: applied[id]!)!, preferences: ["南湖实验小学"])
            }
            let outcome = Allocation.run(x)
            return outcome.order.filter { outcome.assignment[Int($0)] >= 0 }.map { x.ids[Int($0)] }
        }
        XCTAssertEqual(admitted(keys), ["张", "李"], "art. 15: the sum, then the application time")
        let oneByOne = try TieBreakKey.parse("basicStatus,innovation,socialService", categories: nil).get()
        XCTAssertEqual(admitted(oneByOne), ["王", "张"], "compared one by one, 王 would have taken a seat")
    }

    func testTieBreakKeysAreCheckedAsTheyAreWritten() {
        let categories: Set<String> = ["basicStatus", "innovation", "socialService"]
        XCTAssertEqual(try TieBreakKey.parse("basicStatus+innovation，socialService time", categories: categories).get(),
                       [.sum(["basicStatus", "innovation"]), .sum(["socialService"]), .applicationTime])
        XCTAssertEqual(TieBreakKey.stored(["basicStatus+innovation", "time"]).map(\.description), ["basicStatus+innovation", "time"])
        let refused: [(String, TieBreakKey.Problem)] = [
            ("basicStatus+talent", .unknownCategory("talent")), ("basicStatus++innovation", .emptyTerm(key: "basicStatus++innovation")),
            ("time,basicStatus", .timeNotLast), ("basicStatus,basicStatus+innovation", .repeatedCategory("basicStatus")),
        ]
        for (text, problem) in refused {
            guard case .failure(let got) = TieBreakKey.parse(text, categories: categories) else { XCTFail(text); continue }
            XCTAssertEqual(got, problem, text)
        }
    }

    /// 保税区 "合法居住半年以上（含半年）": 6 months. Registered from 21 March, still there: on
    /// 20 September he has lived there 5 whole months, on 21 September 6.
    func testAHalfYearConditionAtFiveAndSixMonths() {
        XCTAssertEqual(MonthsText.parse("半年"), 6)
        XCTAssertEqual(MonthsText.parse("6个月"), 6)
        XCTAssertEqual(MonthsText.parse("1年"), 12)
        XCTAssertEqual(MonthsText.parse("2"), 24, "a bare number counts years")
        XCTAssertEqual(MonthsText.parse("18 months"), 18)
        XCTAssertNil(MonthsText.parse("六个月"))
        XCTAssertEqual(MonthsText.words(42, english: false), "3年6个月")
        XCTAssertEqual(MonthsText.words(6, english: true), "6 months")

        let rules = ProgramRules(kind: .grade1, opens: d("2026-09-01"), closes: d("2026-09-30"), maxChoices: 1, minResidenceMonths: 6,
                                 requirePermit: false, childAges: nil, ageCutoff: d("2026-08-31"), threshold: nil)
        let period = ResidencePeriod(from: d("2026-03-21"), verified: true)
        for (day, months, refused) in [("2026-09-20", 5, true), ("2026-09-21", 6, false)] {
            let residence = ResidenceTime.detail([period], asOf: d(day)).months
            XCTAssertEqual(residence, months, day)
            let applicant = ProgramRules.Applicant(hasValidPermit: false, residenceMonths: residence, points: Points(50), childBirth: d("2020-03-01"),
                                                   childAlreadyApplied: false)
            let refusals = rules.check(applicant, choices: 1, on: d(day))
            XCTAssertEqual(refusals.contains(.residence(neededMonths: 6, hasMonths: 5)), refused, day)
            XCTAssertEqual(refusals.isEmpty, !refused, day)
        }
        // Two stretches with a gap: March–May (3 months) and from 1 July (2 months on 1 September).
        let twice = ResidenceTime.detail([ResidencePeriod(from: d("2026-03-01"), to: d("2026-05-31"), verified: true),
                                          ResidencePeriod(from: d("2026-07-01"), verified: true)], asOf: d("2026-09-01"))
        XCTAssertEqual(twice.months, 5)
    }

    /// Seed 004 art. 8 asks for quotas 30 days before the service is allocated; Zhangjiagang
    /// publishes in mid-May for a 30 May deadline. Each program's own rule sets the due day.
    func testQuotaTimingFollowsTheProgramsRule() {
        let closes = d("2026-05-30")
        XCTAssertEqual(ProgramRules.QuotaTiming.beforeDeadline(days: 30).due(closes: closes), d("2026-04-30"))
        XCTAssertEqual(ProgramRules.QuotaTiming.beforeAllocation(days: 30, allocates: d("2026-07-10")).due(closes: closes), d("2026-06-10"))
        XCTAssertEqual(ProgramRules.QuotaTiming.by(d("2026-05-15")).due(closes: closes), d("2026-05-15"))
    }

    /// A second spouse is refused when the program lets only one of a couple apply; either parent
    /// may apply where it does not.
    func testASecondSpouseIsRefusedWhereOnlyOneMayApply() {
        var rules = ProgramRules(kind: .grade1, opens: d("2026-09-01"), closes: d("2026-09-30"), maxChoices: 1, minResidenceMonths: 0,
                                 requirePermit: false, childAges: nil, ageCutoff: d("2026-08-31"), threshold: nil, spouses: .oneSpouse)
        let second = ProgramRules.Applicant(hasValidPermit: false, residenceMonths: 40, points: Points(50), childBirth: d("2020-03-01"),
                                            childAlreadyApplied: false, spouseApplied: true)
        XCTAssertEqual(rules.check(second, choices: 1, on: d("2026-09-10")), [.spouseApplied])
        rules.spouses = .either
        XCTAssertEqual(rules.check(second, choices: 1, on: d("2026-09-10")), [])
    }
}
