@testable import JifenApp
import JifenCore
import XCTest

/// The figures `jifen bench` prints are measured on the work they name.
final class BenchTests: XCTestCase {
    override func setUpWithError() throws { try skipInThePostgresRun() }

    /// The end-to-end allocation reads the JSON `jifen allocate` reads: the generated instance
    /// written out and read back is the same instance, with Shanghai times that parse back.
    func testTheAllocationBenchReadsBackTheInstanceItWrote() throws {
        var rng = SplitMix64(seed: 7)
        let instance = AllocationBench.instance(applicants: 500, schools: 20, using: &rng)
        guard case .success(let read) = AllocationInstance.read(bytes: AllocationBench.inputJSON(instance)) else { return XCTFail("refused") }
        XCTAssertEqual(read.ids, instance.ids)
        XCTAssertEqual(read.points, instance.points)
        XCTAssertEqual(read.tiebreak, instance.tiebreak)
        XCTAssertEqual(read.submittedAt, instance.submittedAt)
        XCTAssertEqual(read.preferenceText, instance.preferenceText)
        XCTAssertEqual(Allocation.run(read).assignment, Allocation.run(instance).assignment)
        XCTAssertEqual(AllocationBench.shanghaiText(Instant(iso8601: "2028-02-29T23:59:59+08:00")!.seconds), "2028-02-29T23:59:59+08:00")
        XCTAssertEqual(AllocationBench.shanghaiText(0), "1970-01-01T08:00:00+08:00")
    }

    func testTheSimulationBenchComparesTheCitysYearUnderBothStandards() throws {
        var lines: [String] = []
        try SimulationBench.run(applicants: 600, schools: 12, seats: 300) { lines.append($0) }
        XCTAssertEqual(lines.first, "simulation_applicants 600 applicants")
        let changed = try XCTUnwrap(lines.first { $0.hasPrefix("simulation_changed ") }?.split(separator: " ")[1]).description
        XCTAssertGreaterThan(Int(changed) ?? 0, 0, "the draft standard changes some outcomes")
        XCTAssertTrue(lines.contains { $0.hasPrefix("simulation_city_seconds ") })
    }
}
