import JifenCore
import JifenResources
import XCTest

final class EvidenceAndClaimTests: XCTestCase {
    func testEvidenceIsJudgedByItsBytesAndItsSize() {
        let pdf = Array("%PDF-1.7\n%âãÏÓ\n".utf8)
        let jpeg: [UInt8] = [0xFF, 0xD8, 0xFF, 0xE0, 0, 0x10, 0x4A, 0x46, 0x49, 0x46]
        let png: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0, 13]
        XCTAssertEqual(EvidenceKind.check(pdf), .success(.pdf))
        XCTAssertEqual(EvidenceKind.check(jpeg), .success(.jpeg))
        XCTAssertEqual(EvidenceKind.check(png), .success(.png))
        // A renamed text file, a GIF, a PNG cut after four bytes and a Word file are not evidence.
        XCTAssertEqual(EvidenceKind.check(Array("hello.pdf".utf8)), .failure(.notAllowed))
        XCTAssertEqual(EvidenceKind.check(Array("GIF89a".utf8)), .failure(.notAllowed))
        XCTAssertEqual(EvidenceKind.check(Array(png.prefix(4))), .failure(.notAllowed))
        XCTAssertEqual(EvidenceKind.check([0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1]), .failure(.notAllowed))
        XCTAssertEqual(EvidenceKind.check([UInt8]()), .failure(.empty))
        // 10 MB exactly is allowed, one byte more is not.
        let limit = pdf + [UInt8](repeating: 0x20, count: EvidenceKind.maximumBytes - pdf.count)
        XCTAssertEqual(EvidenceKind.check(limit), .success(.pdf))
        XCTAssertEqual(EvidenceKind.check(limit + [0x20]), .failure(.tooLarge(bytes: EvidenceKind.maximumBytes + 1)))
    }

    func testAClaimIsReadAgainstItsItemsRule() throws {
        let text = try String(contentsOfFile: JifenResources.directory("Standards") + "zhangjiagang-2021.yaml", encoding: .utf8)
        let standard = try StandardParser.parse(text).get()
        let today = CivilDate("2026-09-21")!
        let education = try XCTUnwrap(standard.item("education"))
        XCTAssertEqual(ClaimInput.fact(for: education, value: "bachelor", date: "", today: today), .success(Fact(.option("bachelor"))))
        XCTAssertEqual(ClaimInput.fact(for: education, value: "doctor", date: "", today: today), .failure(.unknownOption))
        XCTAssertEqual(ClaimInput.fact(for: education, value: " ", date: "", today: today), .failure(.required))
        let months = try XCTUnwrap(standard.item("socialInsuranceMonths"))
        XCTAssertEqual(ClaimInput.fact(for: months, value: "36.5", date: "", today: today), .success(Fact(.quantity(Decimal2(parsing: "36.5")!))))
        XCTAssertEqual(ClaimInput.fact(for: months, value: "0", date: "", today: today), .failure(.notANumber))
        XCTAssertEqual(ClaimInput.fact(for: months, value: "三十六", date: "", today: today), .failure(.notANumber))
        // An item with a validity window needs the date it happened, not after today.
        let dated = try XCTUnwrap(standard.items.first { $0.validYears != nil })
        let value = if case .choice(let options) = dated.rule { options[0].id } else { "1" }
        XCTAssertEqual(ClaimInput.fact(for: dated, value: value, date: "", today: today), .failure(.dateRequired))
        XCTAssertEqual(ClaimInput.fact(for: dated, value: value, date: "2026-13-01", today: today), .failure(.badDate))
        XCTAssertEqual(ClaimInput.fact(for: dated, value: value, date: "2026-09-22", today: today), .failure(.future))
        XCTAssertNotNil(try? ClaimInput.fact(for: dated, value: value, date: "2024-05-01", today: today).get().date)
        // Stored as typed and read back the same; shown with the option's title or the unit.
        XCTAssertEqual(ClaimInput.value(ClaimInput.text(.quantity(Decimal2(parsing: "36.5")!)), for: months), .quantity(Decimal2(parsing: "36.5")!))
        XCTAssertEqual(ClaimInput.display(.option("bachelor"), for: education), "大学本科")
        XCTAssertEqual(ClaimInput.display(.quantity(Decimal2(parsing: "40")!), for: months), "40 月")
    }
}
