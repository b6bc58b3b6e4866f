import Fluent
@testable import JifenApp
import JifenCore
import XCTVapor

/// 监督投诉: a citizen complains about how a unit handled his case; the centre concludes it.
final class ComplaintTests: XCTestCase {
    func testACitizenComplainsAboutHisCaseAndTheCentreConcludesItWithinItsWorkingDays() async throws {
        try await withApp(demo: true) { ctx in
            let citizen = try await ctx.signedIn("13800000001")
            // Without a confirmed identity there is no form.
            let first = try await citizen.get("/me/complaints")
            XCTAssertTrue(first.body.contains("投诉前请先在居住登记中登记并核验你的身份"))
            XCTAssertFalse(first.body.contains(#"id="complaint-form""#))
            try await citizen.get("/me/residence")
            try await citizen.post("/me/identity", ["name": "李明", "idNumber": ResidenceTests.idNumber()])
            let found = try await Resident.query(on: ctx.app.db).filter(\.$name == "李明").first()
            let resident = try XCTUnwrap(found)
            try await verifiedRegistration(ctx, of: resident, address: "城北社区1幢101室", from: "2025-06-01")
            try await citizen.get("/me/residence")
            try await citizen.post("/me/permit", ["basis": "employment", "evidence": "劳动合同", "delivery": "collect", "postalAddress": ""])
            let permit = try await ResidencePermit.query(on: ctx.app.db).first()
            let number = try XCTUnwrap(permit).number

            let form = try await citizen.get("/me/complaints")
            XCTAssertTrue(form.body.contains(#"<option value="\#(number)">"#), "his own cases are offered")
            // Refused: no unit, no content, a case that is not his; nothing saved.
            let refused = try await citizen.post("/me/complaints", ["unit": "", "caseRef": "JZ000", "content": " "])
            XCTAssertEqual(refused.status, .badRequest)
            XCTAssertTrue(refused.body.contains("请选择投诉对象。"))
            XCTAssertTrue(refused.body.contains("请选择涉及的事项。"))
            XCTAssertTrue(refused.body.contains("请填写投诉内容。"))
            let none = try await Complaint.query(on: ctx.app.db).count()
            XCTAssertEqual(none, 0)
            // MUT: filed on Monday 21 September, due in 15 working days over 中秋 and 国庆 (with Saturday 10 October worked): 19 October.
            let filed = try await citizen.post("/me/complaints", ["unit": "town:320582-01", "caseRef": number, "content": "窗口要求我提供与居住证无关的材料，来回跑了三次"])
            XCTAssertEqual(filed.status, .seeOther)
            let stored = try await Complaint.query(on: ctx.app.db).first()
            let complaint = try XCTUnwrap(stored)
            XCTAssertEqual(complaint.unitName, "杨舍镇（经开区）")
            XCTAssertEqual(complaint.caseRef, number)
            XCTAssertEqual(complaint.dueDate, CivilDate("2026-10-19"))
            XCTAssertTrue(ctx.notifier.messages.contains { $0.recipient == "13800000001" && $0.body.contains(complaint.number) && $0.body.contains("2026年10月19日") })

            // The centre reads it and the figures by unit; concluding needs a finding, and a correction when upheld.
            let admin = try await ctx.signedIn("admin")
            let list = try await admin.get("/complaints")
            XCTAssertTrue(list.body.contains(complaint.number))
            XCTAssertTrue(list.body.contains(#"<th scope="row">杨舍镇（经开区）</th><td>1</td><td>1</td><td>0</td><td>0</td><td>0</td>"#))
            let path = "/complaints/" + complaint.id!.uuidString
            let page = try await admin.get(path)
            XCTAssertTrue(page.body.contains("李明"))
            XCTAssertFalse(page.body.contains(ResidenceTests.idNumber()), "the ID number masked")
            let missing = try await admin.post(path + "/conclude", ["upheld": "yes", "finding": "经查属实", "correction": ""])
            XCTAssertEqual(missing.status, .badRequest)
            XCTAssertTrue(missing.body.contains("请填写责令纠正。"))
            let concluded = try await admin.post(path + "/conclude", ["upheld": "yes", "finding": "经查属实：窗口多要了房产证明", "correction": "杨舍镇窗口按一次性告知清单受理，并向当事人致歉"])
            XCTAssertEqual(concluded.status, .seeOther)
            XCTAssertTrue(ctx.notifier.messages.contains { $0.recipient == "13800000001" && $0.body.contains("已办结") })
            let again = try await admin.post(path + "/conclude", ["upheld": "no", "finding": "再次", "correction": ""])
            XCTAssertEqual(again.status, .badRequest)
            // The citizen reads the conclusion; the figures count it as upheld.
            let mine = try await citizen.get("/me/complaints")
            XCTAssertTrue(mine.body.contains("杨舍镇窗口按一次性告知清单受理"))
            let csv = try await admin.get("/complaints/stats.csv")
            XCTAssertTrue(csv.body.contains("杨舍镇（经开区）,1,0,0,1,1"))
            // Another citizen cannot read it; a window clerk cannot open the centre's list.
            let clerk = try await ctx.signedIn("clerk.yangshe")
            let forbidden = try await clerk.get("/complaints")
            XCTAssertNotEqual(forbidden.status, .ok)
        }
    }
}
