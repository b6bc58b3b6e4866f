@testable import JifenApp
import JifenCore
import XCTest

final class IdCLITests: XCTestCase {
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
