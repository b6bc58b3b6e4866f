import Fluent
@testable import JifenApp
import JifenCore
import XCTest

/// Plain rows (the hot reads' SQL without models) read what Fluent reads, on SQLite and PostgreSQL.
final class PlainRowTests: XCTestCase {
    func testAUUIDsTextIsReadAsFoundationReadsIt() {
        for id in (0..<1_000).map({ _ in UUID() }) {
            XCTAssertEqual(PlainRow.uuid(id.uuidString), id)
            XCTAssertEqual(PlainRow.uuid(id.uuidString.lowercased()), id)
        }
        let text = UUID().uuidString
        for bad in [String(text.dropLast()), text + "0", text.replacingOccurrences(of: "-", with: "g"), String(repeating: "-", count: 36), ""] {
            XCTAssertNil(PlainRow.uuid(bad), bad)
        }
    }

    func testEveryKindOfValueIsWhatTheModelHolds() async throws {
        try await withApp(demo: true) { ctx in
            let db = ctx.app.db
            let admin = try await User.query(on: db).filter(\.$login == "admin").first()
            let user = try XCTUnwrap(admin)
            user.careMode = true
            user.mustChangePassword = false
            try await user.save(on: db)
            let rows = try await PlainRow.all("""
                SELECT id, login, created_at, care_mode, must_change_password, jurisdiction_id, department_id, totp_last_step FROM users WHERE id = \(bind: user.requireID())
                """, on: db)
            let row = try XCTUnwrap(rows.first)
            XCTAssertEqual(try row.uuid("id"), user.id)
            XCTAssertEqual(try row.string("login"), "admin")
            XCTAssertEqual(try row.date("created_at").timeIntervalSince1970, user.createdAt.timeIntervalSince1970, accuracy: 0.001)
            XCTAssertTrue(try row.bool("care_mode"))
            XCTAssertFalse(try row.bool("must_change_password"))
            XCTAssertEqual(try row.optionalUUID("jurisdiction_id"), user.$jurisdiction.id)
            XCTAssertEqual(try row.optionalUUID("department_id"), user.$department.id)
            XCTAssertNil(try row.optionalInt("totp_last_step"))
            XCTAssertThrowsError(try row.string("no_such_column"))
            // Days (the demo's approval records), read back as the days they are.
            let records = try await ApprovalRecord.query(on: db).all()
            XCTAssertEqual(records.count, 3)
            for record in records {
                let found = try await PlainRow.all("SELECT done_on FROM approval_records WHERE id = \(bind: record.requireID())", on: db)
                let row = try XCTUnwrap(found.first)
                XCTAssertEqual(try row.optionalDate("done_on"), record.doneOn)
            }
        }
    }
}
