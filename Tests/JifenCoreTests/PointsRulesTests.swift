import Foundation
import JifenCore
import XCTest

final class PointsRulesTests: XCTestCase {
    let asOf = CivilDate("2026-05-30")!

    func testOnlyConfirmedClaimsScoreAndACorrectionReplacesTheClaimedFact() throws {
        let standard = try parsed(sampleStandard)
        let claims = [
            Claim(item: "education", fact: Fact(.option("bachelor")), state: .verified(by: .department("education"))),
            Claim(item: "socialInsurance", fact: Fact(.quantity(Decimal2(40))), state: .corrected(Fact(.quantity(Decimal2(30))), by: .department("hrss"))),
            Claim(item: "garbage", fact: Fact(.flag(true)), state: .rejected(reason: "证书过期")),
            Claim(item: "tax", fact: Fact(.quantity(Decimal2(20000)))),   // still waiting
        ]
        let archive = PointsArchiveRules.evaluate(claims, standard: standard, asOf: asOf)
        // 30 (education) + 15 (30 months × 0.5, corrected from 40) — capped category 60 not reached
        XCTAssertEqual(archive.total, Decimal2(45))
        XCTAssertEqual(archive.lines.first { $0.item == "garbage" }?.status, .absent)
        XCTAssertEqual(archive.lines.first { $0.item == "tax" }?.status, .absent)
        // The estimate counts what is still waiting, never what was rejected.
        let estimate = PointsArchiveRules.estimate(claims, standard: standard, asOf: asOf)
        XCTAssertEqual(estimate.total, Decimal2(48))
    }

    func testAFeedVerifiesWithItsLatestRecordKnownOnTheDate() throws {
        let records = [
            FeedMatching.Record(quantity: Decimal2(24), asOf: CivilDate("2025-12-31")!),
            FeedMatching.Record(quantity: Decimal2(29), asOf: CivilDate("2026-05-31")!),   // after the as-of date
            FeedMatching.Record(quantity: Decimal2(28), asOf: CivilDate("2026-04-30")!),
        ]
        let claim = try XCTUnwrap(FeedMatching.claim(item: "socialInsurance", feed: "socialInsurance", records: records, asOf: asOf))
        XCTAssertEqual(claim.fact, Fact(.quantity(Decimal2(28)), date: CivilDate("2026-04-30")))
        XCTAssertEqual(claim.state, .verified(by: .feed("socialInsurance", asOf: CivilDate("2026-04-30")!)))
        XCTAssertNil(FeedMatching.claim(item: "x", feed: "f", records: [], asOf: asOf))
        let standard = try parsed(sampleStandard)
        XCTAssertEqual(FeedMatching.items(of: standard, verifiedBy: "socialInsurance").map(\.id), ["socialInsurance"])
    }

    func testPointsAreValidForTheirYearOnlyAndFraudBarsForThreeYears() {
        let year = PointsValidity.ApplicationYear(year: 2025, opens: CivilDate("2025-03-01")!, closes: CivilDate("2026-02-28")!)
        XCTAssertEqual(PointsValidity.standing(of: year, on: CivilDate("2025-06-01")!), .valid)
        XCTAssertEqual(PointsValidity.standing(of: year, on: CivilDate("2026-03-01")!), .expired(year: 2025))
        XCTAssertEqual(PointsValidity.standing(of: year, on: CivilDate("2025-02-28")!), .notYetOpen)
        let found = CivilDate("2024-02-29")!
        XCTAssertEqual(PointsValidity.possibleAgain(afterFraudOn: found), CivilDate("2027-02-28"))
        let refused = PointsValidity.mayApply(on: CivilDate("2027-02-27")!, fraudFound: [CivilDate("2021-01-01")!, found])
        XCTAssertFalse(refused.allowed)
        XCTAssertEqual(refused.from, CivilDate("2027-02-28"))
        XCTAssertTrue(PointsValidity.mayApply(on: CivilDate("2027-02-28")!, fraudFound: [found]).allowed)
        XCTAssertTrue(PointsValidity.mayApply(on: CivilDate("2027-02-28")!, fraudFound: []).allowed)
    }
}
