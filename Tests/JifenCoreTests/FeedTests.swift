import Foundation
import JifenCore
import JifenResources
import XCTest

/// A valid ID number made from a counter (Anhui county codes, births in the 1980s and 1990s).
func feedID(_ n: Int) -> String {
    let first17 = "341202" + String(format: "19%02d%02d%02d", 80 + n % 20, 1 + n % 12, 1 + n % 28) + String(format: "%03d", n % 1000)
    return first17 + String(ResidentID.checkDigit(first17)!)
}

final class FeedTests: XCTestCase {
    let today = CivilDate("2026-11-21")!
    var regions: RegionCodes!

    override func setUpWithError() throws {
        regions = RegionCodes(tsv: try String(contentsOfFile: JifenResources.directory("Regions") + "gbt2260.tsv", encoding: .utf8))
    }

    func testCSVQuotingAndLineEndings() {
        let rows = FeedReader.rows("a,\"b,c\",\"say \"\"hi\"\"\"\r\n1,2,3\n\n\"multi\nline\",x,y\nlast,row,here")
        XCTAssertEqual(rows.map(\.fields), [["a", "b,c", "say \"hi\""], ["1", "2", "3"], ["multi\nline", "x", "y"], ["last", "row", "here"]])
        XCTAssertEqual(rows.map(\.line), [1, 2, 4, 6])
    }

    func testGoodRowsAreTakenAndEachBadRowIsReportedByLine() {
        let csv = """
        身份证号码,姓名,累计缴费月数,截至日期
        \(feedID(1)),张三,36,2026-10-31
        110105194912310021,李四,12,2026-10-31
        \(feedID(2)),王五,十二,2026-10-31
        \(feedID(3)),赵六,24,2026-02-30
        \(feedID(4)),孙七,24
        \(feedID(5)),周八,48.5,2026/9/30
        \(feedID(1)),张三,37,2026-10-31
        """
        let result = FeedReader.read(csv, kind: .socialInsurance, today: today, regions: regions)
        XCTAssertNil(result.headerProblem)
        XCTAssertEqual(result.records.map(\.line), [2, 7])
        XCTAssertEqual(result.records[1].quantity, Decimal2(parsing: "48.5"))
        XCTAssertEqual(result.records[1].asOf, CivilDate("2026-09-30"))
        XCTAssertEqual(result.problems.map(\.line), [3, 4, 5, 6, 8])
        XCTAssertTrue(result.problems[0].reason.contains("校验码"))
        XCTAssertTrue(result.problems[1].reason.contains("累计缴费月数"))
        XCTAssertTrue(result.problems[2].reason.contains("截至日期"))
        XCTAssertTrue(result.problems[3].reason.contains("应有 4 列"))
        XCTAssertTrue(result.problems[4].reason.contains("与第 2 行重复"))
    }

    func testAWrongHeaderIsRefusedNamingTheExpectedColumns() {
        let result = FeedReader.read("身份证,姓名,月数,日期\n", kind: .socialInsurance, today: today, regions: regions)
        XCTAssertTrue(result.headerProblem?.contains("身份证号码,姓名,累计缴费月数,截至日期") == true)
    }

    func testAGB18030FileReadsTheSameAsItsUTF8Twin() throws {
        let csv = "身份证号码,姓名,累计缴费月数,截至日期\r\n\(feedID(7)),欧阳小明,60,2026-10-31\r\n"
        let utf8 = Array(csv.utf8)
        let withBOM = [0xEF, 0xBB, 0xBF] + utf8
        let gb = try XCTUnwrap(csv.data(using: String.Encoding(rawValue: 0x8000_0632)))
        XCTAssertNotEqual(Array(gb), utf8, "a real GB18030 encoding, not UTF-8")
        let a = try XCTUnwrap(FeedReader.decode(utf8)), b = try XCTUnwrap(FeedReader.decode(withBOM)), c = try XCTUnwrap(FeedReader.decode(Array(gb)))
        XCTAssertEqual(a.encoding, "UTF-8")
        XCTAssertEqual(b.text, a.text)
        XCTAssertEqual(c.encoding, "GB18030")
        XCTAssertEqual(c.text, a.text)
        XCTAssertEqual(FeedReader.read(c.text, kind: .socialInsurance, today: today, regions: regions).records.first?.name, "欧阳小明")
    }
}
