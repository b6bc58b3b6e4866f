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

    func testNonASCIIFieldsAndSpacesAroundThemAreReadAsFoundationWouldTrimThem() {
        let rows = FeedReader.rows("\u{3000}张三\u{3000},\t李四 ,\u{00A0}𠀋王\u{00A0},\"\u{3000}\",,x\u{200B}\n")
        XCTAssertEqual(rows.map(\.fields), [["\u{3000}张三\u{3000}", "\t李四 ", "\u{00A0}𠀋王\u{00A0}", "\u{3000}", "", "x\u{200B}"]])
        for field in rows[0].fields + [" ", "\t \u{3000}", "a b", "\u{2003}é\u{2003}", "\n x \n"] {
            XCTAssertEqual(field.trimmingSpaces, field.trimmingCharacters(in: .whitespaces), "\(field.unicodeScalars.map { String($0.value, radix: 16) })")
        }
    }

    /// Checked in pieces at once, a feed gives the records and refused lines of one check: bad
    /// rows in every piece, and repeats within a piece and across pieces.
    func testCheckingInPiecesGivesWhatOneCheckGives() async {
        var lines = ["身份证号码,姓名,累计缴费月数,截至日期"]
        for n in 0..<45_000 {
            let id = feedID(n % 30_000)
            let date = n % 3 == 0 ? "2026-10-31" : "2026-09-30"
            lines.append("\(id),某人,\(n % 97 == 5 ? "x" : String(n % 120)),\(n % 1_001 == 7 ? "2026-13-01" : date)")
        }
        let rows = Array(FeedReader.rows(lines.joined(separator: "\n")).dropFirst())
        let once = FeedReader.check(rows, kind: .socialInsurance, today: today, regions: regions)
        XCTAssertGreaterThan(once.problems.filter { $0.reason.contains("重复") }.count, 1_000, "repeats across the pieces")
        for parts in [2, 3] {
            let pieces = await FeedReader.check(rows, kind: .socialInsurance, today: today, regions: regions, parts: parts)
            XCTAssertEqual(pieces.records, once.records)
            XCTAssertEqual(pieces.problems.map(\.line), once.problems.map(\.line))
            XCTAssertEqual(pieces.problems.map { $0.reason.prefix(2) }, once.problems.map { $0.reason.prefix(2) }, "the same reason for each line")
        }
    }

    /// A file read in pieces (cut at row ends, never inside a quoted field that holds line breaks)
    /// gives what one read gives: the same records with their lines, the same refused lines.
    func testAFileReadInPiecesGivesWhatOneReadGives() async {
        var text = "身份证号码,姓名,累计缴费月数,截至日期\r\n"
        for n in 0..<30_000 {
            // Quoted names with line breaks, and names with a stray quote that opens nothing.
            let name = n % 7 == 0 ? "\"某\r\n“人”\n\"\"乙\"\"\"" : n % 11 == 3 ? "张\"三" : "某人"
            text += "\(feedID(n % 25_000)),\(name),\(n % 97 == 5 ? "x" : String(n % 120)),\(n % 2 == 0 ? "2026-10-31" : "2026-09-30")\r\n"
        }
        XCTAssertGreaterThan(text.utf8.count, 1_000_000)
        let once = FeedReader.read(text, kind: .socialInsurance, today: today, regions: regions)
        XCTAssertNil(once.headerProblem)
        XCTAssertEqual(once.records.filter { $0.name.contains("\n") }.count > 1_000, true)
        XCTAssertEqual(once.records.filter { $0.name == "张\"三" }.count > 1_000, true)
        for parts in [2, 3, 7] {
            let pieces = await FeedReader.read(text, kind: .socialInsurance, today: today, regions: regions, parts: parts)
            XCTAssertNil(pieces.headerProblem)
            XCTAssertEqual(pieces.records, once.records, "\(parts) pieces")
            XCTAssertEqual(pieces.problems.map(\.line), once.problems.map(\.line), "\(parts) pieces")
        }
        let wrong = await FeedReader.read("身份证,姓名\n" + text, kind: .socialInsurance, today: today, regions: regions, parts: 2)
        XCTAssertNotNil(wrong.headerProblem)
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

    /// Fixed bytes made by another codec (Python's), with characters GB18030 writes in four
    /// bytes: see Fixtures/feeds/README.md.
    static func fixture(_ name: String) throws -> [UInt8] {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures/feeds/" + name)
        return [UInt8](try Data(contentsOf: url))
    }

    func testAGB18030FileReadsTheSameAsItsUTF8Twin() throws {
        // setup
        let gb = try Self.fixture("social-insurance-gb18030.csv")
        let utf8 = try Self.fixture("social-insurance-utf8.csv")
        XCTAssertNotNil(gb.firstRange(of: [0x98, 0x35, 0xEE, 0x37]), "𪚥 in four bytes")
        XCTAssertNotNil(gb.firstRange(of: [0x81, 0x39, 0xEE, 0x39]), "㐀 in four bytes")
        // MUT
        let a = try XCTUnwrap(FeedReader.decode(utf8)), b = try XCTUnwrap(FeedReader.decode([0xEF, 0xBB, 0xBF] + utf8)), c = try XCTUnwrap(FeedReader.decode(gb))
        // validate
        XCTAssertEqual(a.encoding, "UTF-8")
        XCTAssertEqual(b.text, a.text, "a byte-order mark is dropped")
        XCTAssertEqual(c.encoding, "GB18030")
        XCTAssertEqual(c.text, a.text)
        let records = FeedReader.read(c.text, kind: .socialInsurance, today: today, regions: regions).records
        XCTAssertEqual(records.map(\.name), ["欧阳𪚥", "王㐀"])
        XCTAssertEqual(records.map(\.quantity), [Decimal2(parsing: "60"), Decimal2(parsing: "48")])
    }
}
