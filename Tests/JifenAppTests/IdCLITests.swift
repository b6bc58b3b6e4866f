@testable import JifenApp
import JifenCore
import XCTest

final class IdCLITests: XCTestCase {
    override func setUpWithError() throws { try skipInThePostgresRun() }

    func run(_ arguments: [String], stdin: [String] = []) -> (Int32, [String]) {
        var lines = stdin
        var out: [String] = []
        let status = IdCLI.run(arguments, input: { lines.isEmpty ? nil : lines.removeFirst() }, today: CivilDate("2026-11-21")!,
                               output: { out.append($0) }, errors: { out.append("ERR " + $0) })
        return (status, out)
    }

    func testOneLinePerNumberAndTheExitStatus() {
        let (ok, okLines) = run(["validate", "11010519491231002X"])
        XCTAssertEqual(ok, 0)
        XCTAssertEqual(okLines, ["11010519491231002X\tvalid"])
        let (bad, badLines) = run(["validate", "11010519491231002X", "110105194912310021", "1101051949123100"])
        XCTAssertEqual(bad, 1)
        XCTAssertEqual(badLines.count, 3)
        XCTAssertTrue(badLines[1].hasPrefix("110105194912310021\tinvalid\t"))
        XCTAssertTrue(badLines[2].hasPrefix("1101051949123100\tinvalid\t"))
        XCTAssertEqual(badLines[1].split(separator: "\t").count, 3)
    }

    func testStdinReadsOneNumberPerLine() {
        let (status, lines) = run(["validate", "--stdin"], stdin: ["11010519491231002X", "", "  11010519491231002X  "])
        XCTAssertEqual(status, 0)
        XCTAssertEqual(lines.count, 2)
    }

    func testUsage() {
        XCTAssertEqual(run([]).0, 2)
        XCTAssertEqual(run(["check", "x"]).0, 2)
    }
}

final class AllocateCLITests: XCTestCase {
    override func setUpWithError() throws { try skipInThePostgresRun() }

    func run(_ text: String) -> (Int32, [String], [String]) {
        var out: [String] = [], err: [String] = []
        let status = AllocateCLI.run(["--instance", "i.json"], read: { $0 == "i.json" ? Array(text.utf8) : nil },
                                     output: { out.append($0) }, errors: { err.append($0) })
        return (status, out, err)
    }

    func testTheCommandPrintsAssignmentsAndRefusesAMalformedInstanceWithStatusTwo() {
        let (ok, out, _) = run(#"{"seats":{"s1":1,"s2":1},"applicants":[{"id":"x","points":90,"submittedAt":"2026-03-01T00:00:00Z","preferences":["s1","s2"]},{"id":"y","points":95,"submittedAt":"2026-03-02T00:00:00Z","preferences":["s1"]}]}"#)
        XCTAssertEqual(ok, 0)
        XCTAssertEqual(out.count, 1)
        XCTAssertTrue(out[0].hasPrefix(#"{"assignments":{"x":"s2","y":"s1"},"cutoffs":{"s1":{"seats":1,"admitted":1,"applicant":"y","points":95"#), out[0])
        let (bad, badOut, err) = run(#"{"seats":{"s1":1},"applicants":[{"id":"x","points":90,"submittedAt":"March"}]}"#)
        XCTAssertEqual(bad, 2)
        XCTAssertEqual(badOut, [])
        XCTAssertTrue(err.first?.contains(#"applicant "x": submittedAt"#) == true, err.joined())
        let (broken, _, brokenErr) = run("{")
        XCTAssertEqual(broken, 2)
        XCTAssertTrue(brokenErr.first?.contains("JSON") == true)
        var usage: [String] = []
        XCTAssertEqual(AllocateCLI.run([], read: { _ in nil }, output: { _ in }, errors: { usage.append($0) }), 2)
        XCTAssertEqual(AllocateCLI.run(["--instance", "missing.json"], read: { _ in nil }, output: { _ in }, errors: { usage.append($0) }), 2)
    }
}
