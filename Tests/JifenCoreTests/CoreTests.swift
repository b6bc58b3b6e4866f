import Foundation
import JifenCore
import XCTest

final class JurisdictionCodeTests: XCTestCase {
    func testContainsIsAPrefixTestOnWholeSegments() throws {
        let town = try XCTUnwrap(JurisdictionCode("320582-01"))
        XCTAssertTrue(town.contains(town))
        XCTAssertTrue(town.contains(try XCTUnwrap(JurisdictionCode("320582-01-03-02"))))
        XCTAssertFalse(town.contains(try XCTUnwrap(JurisdictionCode("320582-02"))))
        // "01" must not contain "010": segments, not characters.
        XCTAssertFalse(town.contains(try XCTUnwrap(JurisdictionCode("320582-010"))))
        XCTAssertFalse(town.contains(try XCTUnwrap(JurisdictionCode("320582"))), "a town does not contain its city")
    }

    func testLevelsAndParents() throws {
        let grid = try XCTUnwrap(JurisdictionCode("320582-01-03-02"))
        XCTAssertEqual(grid.level, .grid)
        XCTAssertEqual(grid.parent?.rawValue, "320582-01-03")
        XCTAssertEqual(grid.parent?.parent?.parent?.level, .city)
        XCTAssertNil(grid.parent?.parent?.parent?.parent)
        XCTAssertNil(grid.child("01"), "nothing below a grid")
    }

    func testMalformedCodesAreRefused() {
        for bad in ["", "-", "320582-", "-01", "320582--01", "1-2-3-4-5", "3205 82", "320582-0/1", "镇-01"] {
            XCTAssertNil(JurisdictionCode(bad), bad)
        }
    }
}

final class MaskTests: XCTestCase {
    func testNamesKeepFirstAndLastCharacter() {
        XCTAssertEqual(Mask.name("张三"), "张*")
        XCTAssertEqual(Mask.name("张小三"), "张*三")
        XCTAssertEqual(Mask.name("欧阳小明"), "欧**明")
        XCTAssertEqual(Mask.name("王"), "*")
    }

    func testPhonesShowFirstThreeAndLastFour() {
        XCTAssertEqual(Mask.phone("13812345678"), "138****5678")
        XCTAssertEqual(Mask.phone("12345"), "*****")
    }
}

final class AccountRulesTests: XCTestCase {
    func testPhones() {
        XCTAssertNil(AccountRules.checkPhone("13912345678"))
        XCTAssertNil(AccountRules.checkPhone("19912345678"))
        XCTAssertEqual(AccountRules.checkPhone(""), .required)
        for bad in ["12912345678", "1391234567", "139123456789", "1391234567a", "２３９１２３４５６７８"] {
            XCTAssertEqual(AccountRules.checkPhone(bad), .badPhone, bad)
        }
    }

    func testPasswords() {
        XCTAssertNil(AccountRules.checkPassword("abcdefg1"))
        XCTAssertEqual(AccountRules.checkPassword(""), .required)
        XCTAssertEqual(AccountRules.checkPassword("abc1"), .passwordTooShort)
        XCTAssertEqual(AccountRules.checkPassword("abcdefgh"), .passwordTooSimple)
        XCTAssertEqual(AccountRules.checkPassword("12345678"), .passwordTooSimple)
        XCTAssertEqual(AccountRules.checkPassword(String(repeating: "密", count: 24) + "1"), .passwordTooLong)
    }

    func testStaffLoginsAndCodes() {
        XCTAssertNil(AccountRules.checkStaffLogin("clerk.yangshe"))
        XCTAssertEqual(AccountRules.checkStaffLogin("Clerk"), .badLogin)
        XCTAssertEqual(AccountRules.checkStaffLogin("1clerk"), .badLogin)
        XCTAssertEqual(AccountRules.checkStaffLogin("ab"), .badLogin)
        XCTAssertNil(AccountRules.checkCode("012345"))
        XCTAssertEqual(AccountRules.checkCode("12345"), .badCode)
    }
}

final class PagingTests: XCTestCase {
    func testPagesAreClampedAndCounted() {
        let paging = Paging(page: 3, perPage: 20, total: 45)
        XCTAssertEqual(paging.offset, 40)
        XCTAssertEqual(paging.pageCount, 3)
        XCTAssertFalse(paging.hasNext)
        XCTAssertEqual(Paging(page: 99, perPage: 20, total: 45).page, 3)
        XCTAssertEqual(Paging(page: -1, perPage: 20, total: 45).page, 1)
        XCTAssertEqual(Paging(page: nil, perPage: 20, total: 0).pageCount, 1)
    }
}

final class LoginThrottleTests: XCTestCase {
    let now = Date(timeIntervalSince1970: 1_790_000_000)
    let rule = LoginThrottle()

    func ago(_ seconds: Double) -> Date { now.addingTimeInterval(-seconds) }

    func testFromOneAddressTheWaitDoublesFromTheThirdFailureUpToFifteenMinutes() {
        XCTAssertEqual(rule.verdict(pairFailures: [ago(3), ago(2)], accountFailures: [ago(3), ago(2)], addressFailures: [], now: now), .allowed)
        let three = [ago(3), ago(2), ago(1)]
        XCTAssertEqual(rule.verdict(pairFailures: three, accountFailures: three, addressFailures: [], now: now),
                       .refused(until: ago(1).addingTimeInterval(15), byAddress: false))
        XCTAssertEqual(rule.verdict(pairFailures: three, accountFailures: three, addressFailures: [], now: now.addingTimeInterval(15)), .allowed)
        let four = [ago(40), ago(30), ago(20), ago(1)]
        XCTAssertEqual(rule.verdict(pairFailures: four, accountFailures: four, addressFailures: [], now: now),
                       .refused(until: ago(1).addingTimeInterval(30), byAddress: false))
        let many = (0..<20).map { ago(Double($0 * 1800 + 1)) }.sorted()
        XCTAssertEqual(rule.verdict(pairFailures: many, accountFailures: [], addressFailures: [], now: now),
                       .refused(until: many.last!.addingTimeInterval(15 * 60), byAddress: false), "capped at 15 minutes")
    }

    /// However many addresses fail an account, its owner from his own address waits at most a minute.
    func testNoOneCanLockAnAccountForMoreThanAMinute() {
        let hundred = (1...100).map { ago(Double($0)) }.sorted()
        XCTAssertEqual(rule.verdict(pairFailures: [], accountFailures: hundred, addressFailures: [], now: now),
                       .refused(until: hundred.last!.addingTimeInterval(60), byAddress: false))
        XCTAssertEqual(rule.verdict(pairFailures: [], accountFailures: hundred, addressFailures: [], now: hundred.last!.addingTimeInterval(60)), .allowed)
        XCTAssertEqual(LoginThrottle.wait(failures: 5, free: 5, base: 5, cap: 60), 5)
        XCTAssertEqual(LoginThrottle.wait(failures: 7, free: 5, base: 5, cap: 60), 20)
        XCTAssertEqual(LoginThrottle.wait(failures: 1000, free: 5, base: 5, cap: 60), 60)
    }

    func testOldFailuresDoNotCount() {
        let old = (0..<10).map { ago(Double(25 * 3600 + $0)) }
        XCTAssertEqual(rule.verdict(pairFailures: old, accountFailures: old, addressFailures: old, now: now), .allowed)
    }

    func testAddressLimitIsSeparate() {
        let many = (0..<20).map { ago(Double($0)) }
        guard case .refused(_, let byAddress) = rule.verdict(pairFailures: [], accountFailures: [], addressFailures: many, now: now) else {
            return XCTFail("not refused")
        }
        XCTAssertTrue(byAddress)
    }
}

final class RoleTests: XCTestCase {
    func testStaffRolesAndTheirDeepestLevel() {
        XCTAssertFalse(Role.staff.contains(.citizen))
        XCTAssertEqual(Role.staff.count, Role.allCases.count - 1)
        XCTAssertEqual(Role.gridWorker.deepestLevel, .grid)
        XCTAssertEqual(Role.windowClerk.deepestLevel, .town)
        XCTAssertNil(Role.citizen.deepestLevel)
    }
}

final class ParallelTests: XCTestCase {
    /// Work split for the cores: every item once and in order, no more slices than cores, none
    /// smaller than the minimum unless there is only one; and each part's result in its place.
    func testWorkIsSplitIntoOrderedSlicesNoneTooSmall() async {
        let items = Array(0..<25_001)
        for (parts, minimum, expected) in [(2, 10_000, 2), (4, 10_000, 2), (8, 1_000, 8), (2, 30_000, 1), (1, 10, 1)] {
            let slices = Parallel.slices(items, parts: parts, minimum: minimum)
            XCTAssertEqual(slices.count, expected, "\(parts) cores, at least \(minimum)")
            XCTAssertEqual(slices.flatMap { $0 }, items)
            if slices.count > 1 { XCTAssertTrue(slices.allSatisfy { $0.count >= minimum }) }
        }
        XCTAssertTrue(Parallel.slices([Int](), parts: 2, minimum: 10).isEmpty)
        let sums = await Parallel.map(Parallel.slices(items, parts: 4, minimum: 5_000)) { _, slice in slice.reduce(0, +) }
        XCTAssertEqual(sums.count, 4)
        XCTAssertEqual(sums.first, (0..<6_251).reduce(0, +))
        XCTAssertEqual(sums.reduce(0, +), items.reduce(0, +))
    }
}
