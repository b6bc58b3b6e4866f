import Fluent
@testable import JifenApp
import JifenCore
import XCTVapor

/// 一次性告知: every business's materials, told at once before applying; the centre edits them.
final class MaterialsTests: XCTestCase {
    func testEachBusinessTellsItsWholeListOfMaterialsBeforeApplyingAndTheCentreEditsIt() async throws {
        try await withApp(demo: true) { ctx in
            // Anyone reads the kindergarten's list: ID cards, residence, birth certificate, household register.
            let visitor = try await Browser(ctx.app).get("/materials")
            XCTAssertEqual(visitor.status, .ok)
            for document in ["父母居民身份证", "居住证或居住登记", "出生医学证明", "户口簿"] { XCTAssertTrue(visitor.body.contains(document), document) }
            // The citizen sees the permit's list where he applies, and the points' before he opens an application.
            let citizen = try await ctx.signedIn("13800000001")
            try await citizen.get("/me/residence")
            try await citizen.post("/me/identity", ["name": "李明", "idNumber": ResidenceTests.idNumber()])
            let residence = try await citizen.get("/me/residence")
            XCTAssertTrue(residence.body.contains(#"data-materials="permit""#))
            XCTAssertTrue(residence.body.contains("劳动合同或营业执照"))
            let points = try await citizen.get("/me/points")
            XCTAssertTrue(points.body.contains(#"data-materials="points""#))
            XCTAssertTrue(points.body.contains("系统与人社局数据比对，无需提供"))

            // The centre adds one to grade 1; a title is required.
            let admin = try await ctx.signedIn("admin")
            try await admin.get("/admin/materials")
            let refused = try await admin.post("/admin/materials", ["business": "program:grade1", "title": "", "required": "on", "note": ""])
            XCTAssertEqual(refused.status, .badRequest)
            XCTAssertTrue(refused.body.contains("请填写材料名称。"))
            let added = try await admin.post("/admin/materials", ["business": "program:grade1", "title": "幼儿园毕业证明", "note": ""])
            XCTAssertEqual(added.status, .seeOther)
            let stored = try await Material.query(on: ctx.app.db).filter(\.$title == "幼儿园毕业证明").first()
            XCTAssertEqual(stored?.required, false, "not ticked: one that helps")
            let after = try await Browser(ctx.app).get("/materials")
            XCTAssertTrue(after.body.contains("幼儿园毕业证明"))
            // Deleted, it is gone.
            try await admin.get("/admin/materials")
            let deleted = try await admin.post("/admin/materials/\(try XCTUnwrap(stored).requireID().uuidString)/delete", [:])
            XCTAssertEqual(deleted.status, .seeOther)
            let gone = try await Browser(ctx.app).get("/materials")
            XCTAssertFalse(gone.body.contains("幼儿园毕业证明"))
        }
    }
}
