import JifenCore
import XCTest

/// A small deterministic generator (SplitMix64), so random tests are repeatable.
struct SeededGenerator: RandomNumberGenerator {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// A random profile for `standard`: each item absent or with a fitting (sometimes dated, sometimes
/// expired, sometimes wrong) fact.
func randomProfile(_ standard: ScoringStandard, id: Int, asOf: CivilDate, using rng: inout SeededGenerator) -> Profile {
    var facts: [String: [Fact]] = [:]
    for item in standard.items where Int.random(in: 0..<3, using: &rng) > 0 {
        func date() -> CivilDate? {
            if item.validYears == nil && Bool.random(using: &rng) { return nil }
            return asOf.adding(years: -Int.random(in: 0...8, using: &rng))
        }
        let count = Int.random(in: 1...2, using: &rng)
        facts[item.id] = (0..<count).map { _ in
            switch item.rule {
            case .choice(let options):
                let pick = Int.random(in: 0...options.count, using: &rng)
                return Fact(.option(pick == options.count ? "nonsense" : options[pick].id), date: date())
            case .perUnit, .tiers:
                return Fact(.quantity(Decimal2(hundredths: Int64.random(in: 0...300_000, using: &rng))), date: date())
            case .deduction:
                return Fact(.quantity(Decimal2(Int.random(in: 0...4, using: &rng))), date: date())
            case .flag, .veto:
                return Fact(.flag(Int.random(in: 0..<4, using: &rng) == 0), date: date())
            }
        }
    }
    return Profile(id: "p\(id)", asOf: asOf, facts: facts)
}

final class EvaluatorTests: XCTestCase {
    let asOf = CivilDate("2026-05-30")!
    var standard: ScoringStandard!
    var evaluator: Evaluator!

    override func setUpWithError() throws {
        standard = try parsed(sampleStandard)
        evaluator = Evaluator(standard)
    }

    func line(_ e: Evaluator.Evaluation, _ id: String) -> Evaluator.Line { e.lines.first { $0.item == id }! }

    func testHalfPointStepsAreExact() {
        let e = evaluator.evaluate(Profile(id: "a", facts: ["socialInsurance": [Fact(.quantity(Decimal2(37)))]]), asOf: asOf)
        XCTAssertEqual(line(e, "socialInsurance").points, Decimal2(parsing: "18.5"))
        XCTAssertEqual(e.total, Decimal2(parsing: "18.5"))
        // floor: 37.9 months are 37 whole months
        let partial = evaluator.evaluate(Profile(id: "b", facts: ["socialInsurance": [Fact(.quantity(Decimal2(parsing: "37.9")!))]]), asOf: asOf)
        XCTAssertEqual(partial.total, Decimal2(parsing: "18.5"))
        // exact: 12,345 yuan at 1.5 points per 10,000 = 1.85175, cut to 1.85
        let tax = evaluator.evaluate(Profile(id: "c", facts: ["tax": [Fact(.quantity(Decimal2(12345)))]]), asOf: asOf)
        XCTAssertEqual(line(tax, "tax").points, Decimal2(parsing: "1.85"))
        // 0.1 + 0.2 style sums stay exact
        let flags = evaluator.evaluate(Profile(id: "d", facts: ["garbage": [Fact(.flag(true))], "tax": [Fact(.quantity(Decimal2(20000)))]]), asOf: asOf)
        XCTAssertEqual(flags.total, Decimal2(parsing: "5.5"))
    }

    func testRuleCapAndCategoryCapCutWithAReason() {
        let e = evaluator.evaluate(Profile(id: "a", facts: [
            "socialInsurance": [Fact(.quantity(Decimal2(100)))],   // 50 points, rule cap 30
            "education": [Fact(.option("bachelor"))],                // 30
            "skill": [Fact(.option("technician"))],                  // 35, category cap 60 reached
        ]), asOf: asOf)
        let si = line(e, "socialInsurance")
        XCTAssertEqual(si.status, .capped)
        XCTAssertEqual(e.categories[0].points, Decimal2(60))
        XCTAssertEqual(line(e, "education").points, Decimal2(30))
        XCTAssertEqual(line(e, "skill").points, Decimal2(30), "cut to what the category has left")
        XCTAssertEqual(line(e, "skill").status, .capped)
        XCTAssertTrue(line(e, "skill").reason?.contains("类别上限 60 分") == true)
        XCTAssertEqual(si.points, Decimal2(0), "nothing left for the last item")
    }

    func testARulesOwnCapCutsTheItemAlone() {
        // setup: 100 months at 0.5 a month make 50 points; the rule caps them at 30, and the
        // category (cap 60) has room, so only the rule's cap can cut.
        let profile = Profile(id: "a", facts: ["socialInsurance": [Fact(.quantity(Decimal2(100)))]])
        // MUT
        let e = evaluator.evaluate(profile, asOf: asOf)
        // validate
        XCTAssertEqual(line(e, "socialInsurance").points, Decimal2(30))
        XCTAssertEqual(line(e, "socialInsurance").status, .capped)
        XCTAssertEqual(e.total, Decimal2(30))
        var buffer = Evaluator.Buffer()
        XCTAssertEqual(evaluator.score(evaluator.facts(profile), asOf: asOf, into: &buffer).total, Decimal2(30), "the numeric path agrees")
    }

    func testHighestOneOnlyAndTiersAndTheVolunteerCap() {
        let e = evaluator.evaluate(Profile(id: "a", facts: [
            "skill": [Fact(.option("senior"))],       // 20
            "title": [Fact(.option("middle"))],       // 25 wins
            "volunteer": [Fact(.quantity(Decimal2(2000)), date: CivilDate("2025-01-01"))],
        ]), asOf: asOf)
        XCTAssertEqual(line(e, "title").points, Decimal2(25))
        XCTAssertEqual(line(e, "skill").status, .superseded)
        XCTAssertEqual(line(e, "skill").points, .zero)
        XCTAssertTrue(line(e, "skill").reason?.contains("专业技术职称") == true)
        XCTAssertEqual(line(e, "volunteer").points, Decimal2(100), "2000 hours count as the 1500-hour top tier")
        XCTAssertEqual(line(e, "volunteer").fact, "2000 小时")
    }

    func testValidityWindowExpiresOldFactsWithTheDate() {
        let old = evaluator.evaluate(Profile(id: "a", facts: ["volunteer": [Fact(.quantity(Decimal2(150)), date: CivilDate("2021-05-29"))]]), asOf: asOf)
        XCTAssertEqual(line(old, "volunteer").status, .expired)
        XCTAssertEqual(line(old, "volunteer").points, .zero)
        XCTAssertEqual(line(old, "volunteer").reason, "已超过 5 年有效期（2021-05-29）")
        let edge = evaluator.evaluate(Profile(id: "b", facts: ["volunteer": [Fact(.quantity(Decimal2(150)), date: CivilDate("2021-05-30"))]]), asOf: asOf)
        XCTAssertEqual(line(edge, "volunteer").points, Decimal2(5), "exactly five years ago still counts")
        let undated = evaluator.evaluate(Profile(id: "c", facts: ["volunteer": [Fact(.quantity(Decimal2(150)))]]), asOf: asOf)
        XCTAssertEqual(line(undated, "volunteer").status, .invalid)
        // Two periods: only the valid one counts.
        let mixed = evaluator.evaluate(Profile(id: "d", facts: ["volunteer": [
            Fact(.quantity(Decimal2(80)), date: CivilDate("2019-01-01")), Fact(.quantity(Decimal2(30)), date: CivilDate("2024-01-01")),
        ]]), asOf: asOf)
        XCTAssertEqual(line(mixed, "volunteer").points, Decimal2(2))
    }

    func testDeductionsAndVeto() {
        let e = evaluator.evaluate(Profile(id: "a", facts: [
            "education": [Fact(.option("senior"))],
            "violation": [Fact(.quantity(Decimal2(3)))],   // -45, category cap 20
            "fraud": [Fact(.flag(true), date: CivilDate("2024-03-01"))],
        ]), asOf: asOf)
        XCTAssertEqual(line(e, "violation").points, Decimal2(-20))
        XCTAssertEqual(e.total, Decimal2(-10))
        XCTAssertFalse(e.eligible)
        XCTAssertEqual(e.vetoes, ["提供虚假材料，三年内不得申请"])
        // Fraud more than three years ago no longer bars.
        let later = evaluator.evaluate(Profile(id: "b", facts: ["fraud": [Fact(.flag(true), date: CivilDate("2022-01-01"))]]), asOf: asOf)
        XCTAssertTrue(later.eligible)
    }

    func testUnknownOptionsAndItemsAreReportedNotCounted() {
        let e = evaluator.evaluate(Profile(id: "a", facts: ["education": [Fact(.option("phd"))], "pets": [Fact(.flag(true))]]), asOf: asOf)
        XCTAssertEqual(line(e, "education").status, .invalid)
        XCTAssertEqual(line(e, "education").reason, "没有这个选项")
        XCTAssertEqual(e.unknownItems, ["pets"])
        XCTAssertEqual(e.total, .zero)
    }

    /// Properties over many random profiles.
    func testPropertiesHoldForRandomProfiles() throws {
        var rng = SeededGenerator(state: 2026)
        var buffer = Evaluator.Buffer()
        for n in 0..<3000 {
            let profile = randomProfile(standard, id: n, asOf: asOf, using: &rng)
            let e = evaluator.evaluate(profile, asOf: asOf)
            // the total is the sum of the lines, and of the categories
            XCTAssertEqual(e.lines.reduce(Points.zero) { $0 + $1.points }, e.total)
            XCTAssertEqual(e.categories.reduce(Points.zero) { $0 + $1.points }, e.total)
            // no category goes past its cap
            for (i, category) in standard.categories.enumerated() {
                if let cap = category.cap {
                    XCTAssertLessThanOrEqual(e.categories[i].points.hundredths.magnitude, UInt64(cap.hundredths), "\(profile)")
                }
            }
            // a highest-only group counts one item at most
            let counted = e.lines.filter { ["skill", "title"].contains($0.item) && $0.points > .zero }
            XCTAssertLessThanOrEqual(counted.count, 1)
            // an expired or superseded or absent item gives 0, with a reason
            for line in e.lines where [.expired, .superseded, .absent, .invalid, .veto].contains(line.status) {
                XCTAssertEqual(line.points, .zero)
                XCTAssertNotNil(line.reason)
            }
            // the fast path and the explanation agree; the same input gives the same output
            let fast = evaluator.score(evaluator.facts(profile), asOf: asOf, into: &buffer)
            XCTAssertEqual(fast.total, e.total)
            XCTAssertEqual(fast.eligible, e.eligible)
            // the subtotals a round's tie-break reads without the explanation are the explanation's
            let categories = evaluator.categoryPoints(profile, asOf: asOf, buffer: &buffer)
            XCTAssertEqual(categories.map(\.id), e.categories.map(\.id))
            XCTAssertEqual(categories.map(\.points), e.categories.map(\.points), "\(profile)")
            XCTAssertEqual(evaluator.evaluate(profile, asOf: asOf), e)
        }
    }
}
