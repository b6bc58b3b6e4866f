@testable import JifenApp
import JifenCore
import XCTest

final class ShanghaiTimeTests: XCTestCase {
    /// Shanghai's times written by arithmetic are the time-zone database's, on either side of
    /// midnight, at year ends and leap days, and before 1992 (summer time) from the database itself.
    func testShanghaiTimesAreTheTimeZoneDatabasesTimes() {
        var rng = SystemRandomNumberGenerator()
        var instants = (0..<2_000).map { _ in Date(timeIntervalSince1970: Double.random(in: 694_195_200..<4_102_444_800, using: &rng)) }
        for text in ["2024-02-29T15:59:59Z", "2024-02-29T16:00:00Z", "2026-12-31T15:59:59Z", "2026-12-31T16:00:00Z", "1991-12-31T15:59:59Z", "1988-07-01T12:00:00Z"] {
            instants.append(ISO8601DateFormatter().date(from: text)!)
        }
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = ShanghaiTime.zone
        for instant in instants {
            XCTAssertEqual(ShanghaiTime.dateTime(instant), ShanghaiTime.format(instant, "yyyy-MM-dd HH:mm:ss"), "\(instant)")
            XCTAssertEqual(ShanghaiTime.clock(instant), ShanghaiTime.format(instant, "HH:mm"), "\(instant)")
            let parts = calendar.dateComponents([.year, .month, .day], from: instant)
            XCTAssertEqual(ShanghaiDate.today(instant), CivilDate(year: parts.year!, month: parts.month!, day: parts.day!), "\(instant)")
        }
    }
}
