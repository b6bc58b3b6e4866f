import Fluent
@testable import JifenApp
import SQLKit
import XCTVapor

/// Migration 043: every round's trace from one row a step to one row an applicant, and back.
final class TraceMigrationTests: XCTestCase {
    /// The demo's round (a thousand residents), taken back to step rows (each full school's step with the school's
    /// cutoff) and brought forward again, read step for step as before; a step whose cutoff is
    /// not its school's stops the upgrade and leaves the step rows as they were.
    func testTracesMoveToOneRowAnApplicantAndBackWithoutLoss() async throws {
        try await withApp(demo: true, residents: 1000) { ctx in
            let db = ctx.app.db
            let sql = db as! any SQLDatabase
            struct Count: Decodable { let n: Int }
            func count(_ query: SQLQueryString) async throws -> Int? { try await sql.raw(query).first(decoding: Count.self)?.n }
            func traces() async throws -> [String: [AllocationTrace.Step]] {
                var all: [String: [AllocationTrace.Step]] = [:]
                for trace in try await AllocationTrace.query(on: db).all() { all["\(trace.$round.id)|\(trace.number)"] = try trace.steps }
                return all
            }
            let before = try await traces()
            XCTAssertGreaterThan(before.count, 100)
            XCTAssertFalse(before.values.contains { $0.isEmpty }, "a trace has a step at least")
            XCTAssertTrue(before.values.contains { $0.first?.outcome == .full && $0.last?.outcome == .admitted }, "one placed at a later choice")

            try await RoundTraces043().revert(on: db)
            let steps = try await count("SELECT count(*) AS n FROM allocation_steps")
            XCTAssertEqual(steps, before.values.map(\.count).reduce(0, +))
            let fullWithCutoff = try await count("""
                SELECT count(*) AS n FROM allocation_steps st JOIN round_schools rs ON rs.round_id = st.round_id AND rs.school_code = st.school_code
                WHERE st.outcome = 'full' AND st.cutoff_number = rs.cutoff_number AND st.cutoff_rank = rs.cutoff_rank
                """)
            XCTAssertEqual(fullWithCutoff, before.values.map { $0.filter { $0.outcome == .full }.count }.reduce(0, +))

            // A step naming another cutoff than its school's: the upgrade stops, nothing is moved.
            try await sql.raw("UPDATE allocation_steps SET cutoff_number = 'X' WHERE id = (SELECT id FROM allocation_steps WHERE outcome = 'full' ORDER BY id LIMIT 1)").run()
            do {
                try await RoundTraces043().prepare(on: db)
                XCTFail("a step with another cutoff than its school's was converted")
            } catch let problem as RoundTraces043.Unconvertible {
                XCTAssertTrue(problem.description.contains("cutoff"), problem.description)
            }
            let stepsAfterRefusal = try await count("SELECT count(*) AS n FROM allocation_steps")
            XCTAssertEqual(stepsAfterRefusal, steps)
            do {
                _ = try await count("SELECT count(*) AS n FROM allocation_traces")
                XCTFail("the trace table stayed after the refused upgrade")
            } catch {}

            try await sql.raw("""
                UPDATE allocation_steps SET cutoff_number = (SELECT rs.cutoff_number FROM round_schools rs
                    WHERE rs.round_id = allocation_steps.round_id AND rs.school_code = allocation_steps.school_code)
                WHERE cutoff_number = 'X'
                """).run()
            try await RoundTraces043().prepare(on: db)
            let after = try await traces()
            XCTAssertEqual(after.count, before.count)
            XCTAssertTrue(after == before, "the traces read as before")
        }
    }
}
