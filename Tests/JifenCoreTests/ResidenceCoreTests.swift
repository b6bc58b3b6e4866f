import Foundation
import JifenCore
import JifenResources
import XCTest

final class ResidentIDTests: XCTestCase {
    let today = CivilDate("2026-11-21")!
    let regions = RegionCodes(tsv: "110000\t北京市\n110105\t朝阳区\n320582\t张家港市\n")

    func validate(_ text: String) -> Result<ResidentID, ResidentID.Problem> {
        ResidentID.validate(text, today: today, regions: regions)
    }

    /// Builds a number with a correct check digit.
    func make(_ first17: String) -> String { first17 + String(ResidentID.checkDigit(first17)!) }

    func testTheStandardExampleIsValidAndTellsSexAndBirthDate() throws {
        let id = try validate("11010519491231002X").get()
        XCTAssertEqual(id.birthDate, CivilDate("1949-12-31"))
        XCTAssertEqual(id.sex, .female, "the 17th digit, 2, is even")
        XCTAssertEqual(id.regionCode, "110105")
        XCTAssertEqual(id.masked, "1101**********002X")
        XCTAssertEqual(id.age(on: CivilDate("2026-12-30")!), 76)
        XCTAssertEqual(id.age(on: CivilDate("2026-12-31")!), 77)
        XCTAssertNoThrow(try validate("11010519491231002x").get(), "a lower-case x is accepted")
    }

    func testEachKindOfBadNumberIsRefusedWithItsReason() {
        XCTAssertEqual(validate("110105194912310021"), .failure(.badCheckDigit(expected: "X")))
        XCTAssertEqual(validate(make("32058220250230123")), .failure(.impossibleBirthDate("2025-02-30")), "2 月 30 日")
        XCTAssertEqual(validate(make("32058220271001123")), .failure(.futureBirthDate(CivilDate("2027-10-01")!)))
        XCTAssertEqual(validate(make("99999919900101123")), .failure(.unknownRegion("999999")))
        XCTAssertEqual(validate("11010519491231002"), .failure(.wrongLength(17)))
        XCTAssertEqual(validate("11010519491231002XX"), .failure(.wrongLength(19)))
        // Characters, not bytes: a CR LF (a quoted CSV field keeps it) is one, a Chinese character one.
        XCTAssertEqual(validate("110105194912310021\r\n"), .failure(.wrongLength(19)))
        XCTAssertEqual(validate("1101051949123100\r\n"), .failure(.wrongLength(17)))
        XCTAssertEqual(validate("11010519491231002号"), .failure(.badCharacters))
        XCTAssertEqual(validate("1101051949123100AX"), .failure(.badCharacters))
        XCTAssertEqual(validate(""), .failure(.empty))
        XCTAssertTrue(ResidentID.Problem.badCheckDigit(expected: "X").description.contains("校验码"))
    }

    func testAMaleNumberFromZhangjiagang() throws {
        let id = try validate(make("32058219900315123")).get()
        XCTAssertEqual(id.sex, .male)
        XCTAssertEqual(regions.name(id.regionCode), "张家港市")
    }

    func testTheShippedRegionListHasTheCodesPeopleHave() throws {
        let text = try String(contentsOfFile: JifenResources.directory("Regions") + "gbt2260.tsv", encoding: .utf8)
        let shipped = RegionCodes(tsv: text)
        XCTAssertGreaterThan(shipped.count, 3000)
        for code in ["110000", "110105", "320500", "320582", "330402"] { XCTAssertTrue(shipped.contains(code), code) }
        for code in ["000000", "999999"] { XCTAssertFalse(shipped.contains(code), code) }
        XCTAssertNoThrow(try ResidentID.validate("11010519491231002X", today: today, regions: shipped).get())
    }

    /// Cards keep the code of where the number was first issued: codes abolished long ago (the
    /// 1980 list's 3328xx, Lishui's 3325xx of 1980–1999) still validate, with the years they were in force.
    func testHistoricCodesStillOnRealCardsValidate() throws {
        let text = try String(contentsOfFile: JifenResources.directory("Regions") + "gbt2260.tsv", encoding: .utf8)
        let shipped = RegionCodes(tsv: text)
        for first17 in ["33282519700101123", "33252519850607124", "33282219750101221", "46903419900101123", "37090320010101124"] {
            let number = make(first17)
            XCTAssertNoThrow(try ResidentID.validate(number, today: today, regions: shipped).get(), number)
        }
        XCTAssertEqual(shipped.years("332825"), RegionCodes.Years(first: 1980, last: 1980))
        XCTAssertEqual(shipped.years("332525"), RegionCodes.Years(first: 1980, last: 1999))
        XCTAssertEqual(shipped.years("331126")?.last, nil, "庆元县's code today is in force")
        XCTAssertEqual(shipped.name("331126"), "庆元县")
        XCTAssertEqual(shipped.place("332525"), "浙江省丽水地区庆元县")
    }
}

final class WorkingCalendarTests: XCTestCase {
    var calendar: WorkingCalendar!

    override func setUpWithError() throws {
        let text = try String(contentsOfFile: JifenResources.directory("Calendars") + "cn-working-calendar.yaml", encoding: .utf8)
        calendar = try WorkingCalendar.parse(text).get()
    }

    func d(_ text: String) -> CivilDate { CivilDate(text)! }

    func testWeekdaysAreRight() {
        XCTAssertEqual(d("2025-01-26").weekday, 7, "a Sunday")
        XCTAssertEqual(d("1970-01-01").weekday, 4)
        XCTAssertEqual(d("2024-02-29").next, d("2024-03-01"))
        XCTAssertEqual(CivilDate(dayNumber: d("2000-03-01").dayNumber), d("2000-03-01"))
    }

    func testTheSpringFestivalOf2025() {
        XCTAssertTrue(calendar.isWorkingDay(d("2025-01-26")), "Sunday 26 January is an adjusted working day")
        XCTAssertFalse(calendar.isWorkingDay(d("2025-01-28")))
        XCTAssertFalse(calendar.isWorkingDay(d("2025-02-04")))
        XCTAssertTrue(calendar.isWorkingDay(d("2025-02-08")), "Saturday 8 February is a working day")
        XCTAssertFalse(calendar.isWorkingDay(d("2025-02-09")))
        // Friday 24 January + 3 working days: Sun 26, Mon 27, then the holiday until Wed 5 February.
        let due = calendar.adding(workingDays: 3, to: d("2025-01-24"))
        XCTAssertEqual(due.date, d("2025-02-05"))
        XCTAssertTrue(due.isCertain)
        XCTAssertEqual(calendar.workingDays(from: d("2025-01-24"), to: d("2025-02-05")), 3)
        // 15 working days from the start of the holiday (the permit production deadline).
        XCTAssertEqual(calendar.adding(workingDays: 15, to: d("2025-01-27")).date, d("2025-02-24"))
    }

    /// The shipped 2026 (State Council notice of 2025-11-04): 春节 15–23 February, with Saturday
    /// 14 and Saturday 28 February worked.
    func testTheSpringFestivalOf2026() {
        XCTAssertTrue(calendar.knows(2026))
        XCTAssertTrue(calendar.isWorkingDay(d("2026-02-14")), "Saturday 14 February is worked")
        XCTAssertFalse(calendar.isWorkingDay(d("2026-02-16")), "a Monday inside the holiday")
        XCTAssertFalse(calendar.isWorkingDay(d("2026-02-23")))
        // Friday 13 February + 3 working days: Saturday 14, then nothing until Tuesday 24, Wednesday 25.
        // Counting weekends only would give Wednesday 18 February.
        let due = calendar.adding(workingDays: 3, to: d("2026-02-13"))
        XCTAssertEqual(due.date, d("2026-02-25"))
        XCTAssertTrue(due.isCertain)
        // 15 working days from Monday 9 February (a points claim sent that day): 10–13, Sat 14,
        // 24–27, Sat 28, 2–6 March.
        XCTAssertEqual(calendar.adding(workingDays: 15, to: d("2026-02-09")).date, d("2026-03-06"))
    }

    func testAYearWithoutACalendarUsesWeekendsAndSaysSo() {
        let due = calendar.adding(workingDays: 7, to: d("2026-12-28"))
        XCTAssertEqual(due.guessedYears, [2027])
        XCTAssertFalse(due.isCertain)
        // 2027-01-01 counts as a working day when no 2027 calendar is entered.
        XCTAssertEqual(due.date, d("2027-01-06"))
    }

    func testABrokenCalendarIsRefusedWithLineAndField() {
        guard case .failure(let problems) = WorkingCalendar.parse("2026:\n  holidays:\n    - 2026-02-30\n  workdays: [2026-10-10]\n") else { return XCTFail("accepted") }
        XCTAssertEqual(problems.problems.first?.line, 3)
        XCTAssertEqual(problems.problems.first?.field, "2026.holidays[0]")
        guard case .failure(let clash) = WorkingCalendar.parse("2026:\n  holidays: [2026-10-10]\n  workdays: [2026-10-10]\n") else { return XCTFail("accepted") }
        XCTAssertTrue(clash.problems[0].message.contains("同时"))
    }
}

final class ResidenceRulesTests: XCTestCase {
    func d(_ text: String) -> CivilDate { CivilDate(text)! }

    func testResidenceTimeMergesOverlapsAndCountsVerifiedPeriodsOnly() {
        let detail = ResidenceTime.detail([
            ResidencePeriod(from: d("2020-01-01"), to: d("2020-12-31"), verified: true),
            ResidencePeriod(from: d("2020-06-01"), to: d("2021-06-30"), verified: true),   // overlaps
            ResidencePeriod(from: d("2022-01-01"), to: d("2022-12-31"), verified: false),  // not verified
            ResidencePeriod(from: d("2023-03-01"), verified: true),                        // going on
        ], asOf: d("2026-03-01"))
        XCTAssertEqual(detail.counted.count, 2)
        XCTAssertEqual(detail.counted[0].from, d("2020-01-01"))
        XCTAssertEqual(detail.counted[0].to, d("2021-06-30"))
        XCTAssertEqual(detail.days, (d("2021-06-30").dayNumber - d("2020-01-01").dayNumber + 1) + (d("2026-03-01").dayNumber - d("2023-03-01").dayNumber + 1))
        XCTAssertEqual(detail.years, detail.days / 365)
        XCTAssertEqual(detail.currentMonths, 36)
    }

    /// Permit eligibility, as a table: periods, basis, evidence, date → refusals.
    func testPermitEligibilityTable() {
        let moved = d("2026-01-15")
        let cases: [(String, [ResidencePeriod], PermitEligibility.Basis?, Bool, CivilDate, [PermitEligibility.Refusal])] = [
            ("six months and a day, employment with evidence", [ResidencePeriod(from: moved, verified: true)], .employment, true, d("2026-07-16"), []),
            ("exactly six months", [ResidencePeriod(from: moved, verified: true)], .housing, true, d("2026-07-15"), []),
            ("one day short", [ResidencePeriod(from: moved, verified: true)], .study, true, d("2026-07-14"),
             [.tooShort(months: 5, possibleFrom: d("2026-07-15"))]),
            ("not verified yet", [ResidencePeriod(from: moved, verified: false)], .employment, true, d("2026-09-01"), [.noCurrentRegistration]),
            ("moved out", [ResidencePeriod(from: moved, to: d("2026-08-01"), verified: true)], .employment, true, d("2026-09-01"), [.noCurrentRegistration]),
            ("no basis", [ResidencePeriod(from: moved, verified: true)], nil, false, d("2026-09-01"), [.noBasis]),
            ("basis without evidence", [ResidencePeriod(from: moved, verified: true)], .housing, false, d("2026-09-01"), [.noEvidence(.housing)]),
            ("an earlier touching period counts", [ResidencePeriod(from: d("2025-01-01"), to: moved.adding(days: -1), verified: true),
                                                    ResidencePeriod(from: moved, verified: true)], .employment, true, d("2026-02-01"), []),
            ("31 August start: eligible on the last day of February", [ResidencePeriod(from: d("2025-08-31"), verified: true)], .employment, true, d("2026-02-28"), []),
            ("31 August start: not the day before", [ResidencePeriod(from: d("2025-08-31"), verified: true)], .employment, true, d("2026-02-27"),
             [.tooShort(months: 5, possibleFrom: d("2026-02-28"))]),
        ]
        for (name, periods, basis, evidence, date, expected) in cases {
            XCTAssertEqual(PermitEligibility.check(periods: periods, basis: basis, hasEvidence: evidence, on: date), expected, name)
        }
    }
}
