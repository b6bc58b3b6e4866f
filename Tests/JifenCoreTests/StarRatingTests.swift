import JifenCore
import XCTest

final class StarRatingTests: XCTestCase {
    func testFiveStarsLessEachDeductionRoundedDownNeverUnderOne() {
        let rules = StarRules.standard
        XCTAssertEqual(StarRating.rate(.init(), rules: rules).stars, 5)
        XCTAssertEqual(StarRating.rate(.init(), rules: rules).deductions, [])
        // One hazard found, closed in time: 4.5 → 4 stars, with the reason.
        let one = StarRating.rate(.init(hazardsFound: 1), rules: rules)
        XCTAssertEqual(one.stars, 4)
        XCTAssertEqual(one.deductions, [.init(reason: .hazardFound, count: 1, points: 0.5)])
        // The same closed late: 3.5 → 3.
        XCTAssertEqual(StarRating.rate(.init(hazardsFound: 1, hazardsLate: 1), rules: rules).stars, 3)
        // Two half points make a whole: exactly 4.
        XCTAssertEqual(StarRating.rate(.init(declarationsLate: 1, disputes: 1), rules: rules).stars, 4)
        // However bad, one star.
        XCTAssertEqual(StarRating.rate(.init(hazardsFound: 20, hazardsLate: 20), rules: rules).stars, 1)
        // The centre's rules decide: nothing deducted for disputes.
        var lenient = rules
        lenient.dispute = 0
        XCTAssertEqual(StarRating.rate(.init(disputes: 3), rules: lenient).stars, 5)
    }
}
