@testable import JifenApp
import JifenCore
import JifenResources
import XCTest

final class PolicyCLITests: XCTestCase {
    override func setUpWithError() throws { try skipInThePostgresRun() }

    func run(_ arguments: [String]) -> (Int32, [String], [String]) {
        var out: [String] = []
        var err: [String] = []
        let status = PolicyCLI.run(arguments, output: { out.append($0) }, errors: { err.append($0) })
        return (status, out, err)
    }

    func temporary(_ name: String, _ text: String) throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent(UUID().uuidString + "-" + name).path
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    var zhangjiagang: String { JifenResources.directory("Standards") + "zhangjiagang-2021.yaml" }

    func testCheckAcceptsTheShippedStandardsAndRefusesABrokenOneWithLineAndField() throws {
        let (ok, out, _) = run(["check", zhangjiagang])
        XCTAssertEqual(ok, 0)
        XCTAssertTrue(out[0].contains("zhangjiagang-2021"))
        let text = try String(contentsOfFile: zhangjiagang, encoding: .utf8)
        let broken = try temporary("broken.yaml", text.replacingOccurrences(of: "kind: perUnit", with: "kind: perunit"))
        let (status, _, err) = run(["check", broken])
        XCTAssertEqual(status, 1)
        let firstLine = text.components(separatedBy: "\n").firstIndex { $0.contains("kind: perUnit") }! + 1
        XCTAssertTrue(err.contains { $0.hasPrefix(broken + ":\(firstLine): ") && $0.contains(".rule.kind") && $0.contains("perunit") }, err.joined(separator: "\n"))
    }

    func testScoreWritesOneJSONObjectPerProfileAndReportsBadLines() throws {
        let profiles = try temporary("p.jsonl", """
        {"id":"p1","asOf":"2026-05-30","facts":{"education":"bachelor","socialInsuranceMonths":37}}
        {"id":"p2","asOf":"2026-05-30","facts":{"socialInsuranceMonths":"many"}}
        {"id":"p3","asOf":"2026-05-30","facts":{"volunteerHours":{"value":150,"date":"2018-01-01"}}}
        """)
        let (status, out, err) = run(["score", "--standard", zhangjiagang, "--profiles", profiles, "--explain"])
        XCTAssertEqual(status, 0, err.joined())
        XCTAssertEqual(out.count, 3)
        let first = try JSONSerialization.jsonObject(with: Data(out[0].utf8)) as! [String: Any]
        XCTAssertEqual(first["id"] as? String, "p1")
        XCTAssertNotNil(first["total"] as? NSNumber)
        XCTAssertNotNil(first["categories"] as? [String: Any])
        let items = first["items"] as! [[String: Any]]
        // the total equals the sum of the item lines, and matches the evaluator
        let sum = items.compactMap { ($0["points"] as? NSNumber)?.doubleValue }.reduce(0, +)
        XCTAssertEqual(sum, (first["total"] as! NSNumber).doubleValue, accuracy: 0.001)
        let standard = try StandardParser.parse(String(contentsOfFile: zhangjiagang, encoding: .utf8)).get()
        let expected = Evaluator(standard).evaluate(try ProfileReader.parse(line: #"{"id":"p1","facts":{"education":"bachelor","socialInsuranceMonths":37}}"#), asOf: CivilDate("2026-05-30")!)
        XCTAssertEqual((first["total"] as! NSNumber).stringValue, expected.total.description)
        XCTAssertTrue(out[1].contains(#""status":"invalid""#))
        XCTAssertTrue(out[2].contains(#""status":"expired""#))
        // A line that is not a profile is reported by number; the others are still scored.
        let bad = try temporary("bad.jsonl", "{\"id\":\"ok\",\"facts\":{}}\n{\"facts\":{}}\n")
        let (badStatus, badOut, badErr) = run(["score", "--standard", zhangjiagang, "--profiles", bad])
        XCTAssertEqual(badStatus, 1)
        XCTAssertEqual(badOut.count, 1)
        XCTAssertTrue(badErr.first?.contains("第 2 行") == true && badErr.first?.contains("id") == true, badErr.joined())
    }

    func testUsageErrorsExitWithTwo() {
        XCTAssertEqual(run([]).0, 2)
        XCTAssertEqual(run(["score", "--standard", zhangjiagang]).0, 2)
        XCTAssertEqual(run(["check", "/no/such/file.yaml"]).0, 2)
    }
}
