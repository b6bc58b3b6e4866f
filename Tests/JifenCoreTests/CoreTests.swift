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

    func testFifthFailureWithinTheWindowRefusesUntilTheOldestLeaves() {
        let rule = LoginThrottle()
        let failures = (0..<5).map { now.addingTimeInterval(Double(-600 + $0 * 60)) }
        XCTAssertEqual(rule.verdict(accountFailures: Array(failures.prefix(4)), addressFailures: [], now: now), .allowed)
        XCTAssertEqual(rule.verdict(accountFailures: failures, addressFailures: [], now: now),
                       .refused(until: failures[0].addingTimeInterval(15 * 60), byAddress: false))
    }

    func testOldFailuresDoNotCount() {
        let rule = LoginThrottle()
        let old = (0..<10).map { now.addingTimeInterval(Double(-3600 - $0)) }
        XCTAssertEqual(rule.verdict(accountFailures: old, addressFailures: old, now: now), .allowed)
    }

    func testAddressLimitIsSeparate() {
        let rule = LoginThrottle()
        let many = (0..<20).map { now.addingTimeInterval(Double(-$0)) }
        guard case .refused(_, let byAddress) = rule.verdict(accountFailures: [], addressFailures: many, now: now) else {
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
