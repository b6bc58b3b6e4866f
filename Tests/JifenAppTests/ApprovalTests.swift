import Fluent
@testable import JifenApp
import JifenCore
import XCTVapor

/// A draft standard and a year's quotas pass the steps their jurisdiction requires before they
/// can be published; each step is recorded with its date, body and document.
final class ApprovalTests: XCTestCase {
    func testADraftStandardIsPublishedOnlyAfterEveryRequiredStep() async throws {
        try await withApp(demo: true) { ctx in
            var admin = try await ctx.signedIn("admin")
            let page = try await admin.get("/standards/zhangjiagang-2026-draft")
            XCTAssertTrue(page.body.contains("data-approvals-missing=\"5\""), "the demo draft has 3 of 8 steps")
            XCTAssertTrue(page.body.contains(#"<tr data-step="expertReview" data-done>"#))
            // MUT: publishing is refused, naming what is missing
            let refused = try await admin.post("/standards/zhangjiagang-2026-draft/publish", ["effectiveFrom": "2027-01-01"])
            XCTAssertEqual(refused.status, .conflict)
            XCTAssertTrue(refused.body.contains("尚未完成审批环节：公众参与（征求意见）、合法性审查、廉洁性评估、集体讨论决定、报政府批准。"))
            var draft = try await StandardVersion.find(code: "zhangjiagang-2026-draft", on: ctx.app.db)
            XCTAssertEqual(draft?.status, .draft)

            // The public consultation ran in Jifen and is still open: it cannot be recorded yet.
            try await admin.get("/standards/zhangjiagang-2026-draft")
            let early = try await admin.post("/standards/zhangjiagang-2026-draft/approvals",
                                             ["step": "publicConsultation", "doneOn": "2026-09-21", "body": "市新市民事务服务中心", "document": "2026-standard-draft"])
            XCTAssertEqual(early.status, .badRequest)
            XCTAssertTrue(early.body.contains("这次征求意见到 2026年10月11日 才结束"))
            // A day to come is refused; a missing body is named.
            let future = try await admin.post("/standards/zhangjiagang-2026-draft/approvals",
                                              ["step": "legalityReview", "doneOn": "2026-12-31", "body": "", "document": "审查意见书"])
            XCTAssertTrue(future.body.contains("完成日期不能晚于今天"))
            XCTAssertTrue(future.body.contains("请填写承办机构"))

            // After the consultation closed, every step is recorded through the page.
            ctx.clock.advance(21 * 86_400)
            admin = try await ctx.signedIn("admin")
            try await admin.get("/standards/zhangjiagang-2026-draft")
            for (step, body, document) in [("publicConsultation", "市新市民事务服务中心", "2026-standard-draft"), ("legalityReview", "市司法局", "张司审〔2026〕12号"),
                                           ("integrityReview", "市纪委监委派驻组", "廉洁性评估意见"), ("collectiveDecision", "市政府常务会议", "第 37 次会议纪要"),
                                           ("governmentApproval", "张家港市人民政府", "张政复〔2026〕5号")] {
                let saved = try await admin.post("/standards/zhangjiagang-2026-draft/approvals", ["step": step, "doneOn": "2026-10-12", "body": body, "document": document])
                XCTAssertEqual(saved.status, .seeOther, step)
            }
            let again = try await admin.post("/standards/zhangjiagang-2026-draft/approvals", ["step": "legalityReview", "doneOn": "2026-10-12", "body": "x", "document": "y"])
            XCTAssertEqual(again.status, .badRequest, "a step is recorded once")
            let done = try await admin.get("/standards/zhangjiagang-2026-draft")
            XCTAssertFalse(done.body.contains("data-approvals-missing"))
            XCTAssertTrue(done.body.contains(#"<a href="/consultations/2026-standard-draft">2026-standard-draft</a>"#), "linked to its consultation")
            let published = try await admin.post("/standards/zhangjiagang-2026-draft/publish", ["effectiveFrom": "2027-01-01"])
            XCTAssertEqual(published.status, .seeOther)
            draft = try await StandardVersion.find(code: "zhangjiagang-2026-draft", on: ctx.app.db)
            XCTAssertEqual(draft?.status, .published)
            let logged = try await AuditEntry.query(on: ctx.app.db).filter(\.$entity == "approval").count()
            XCTAssertEqual(logged, 5)
        }
    }

    /// Seed 000: the seats are published "报市政府批准后".
    func testQuotasArePublishedOnlyAfterTheGovernmentApprovedThem() async throws {
        try await withApp(demo: true) { ctx in
            try await makeGrade1(ctx, code: "2026-approved", maxChoices: 1, quotas: "A1,城北小学,320582-01,5\n")
            let edu = try await ctx.signedIn("edu")
            try await edu.get("/programs/2026-approved")
            let refused = try await edu.post("/programs/2026-approved/quotas/publish", [:])
            XCTAssertEqual(refused.status, .conflict)
            XCTAssertTrue(refused.body.contains("尚未完成审批环节：集体讨论决定、报政府批准。"))
            for step in ["collectiveDecision", "governmentApproval"] {
                let saved = try await edu.post("/programs/2026-approved/approvals", ["step": step, "doneOn": "2026-09-20", "body": "市政府", "document": "批复"])
                XCTAssertEqual(saved.status, .seeOther)
            }
            let published = try await edu.post("/programs/2026-approved/quotas/publish", [:])
            XCTAssertEqual(published.status, .seeOther)
            let program = try await Program.query(on: ctx.app.db).filter(\.$code == "2026-approved").first()
            XCTAssertNotNil(program?.quotaPublishedAt)
        }
    }

    func testTheRequiredStepsAreASetting() throws {
        let base = ["JIFEN_DATA_DIR": "/tmp/x", "JIFEN_SECRET_KEY": testSecretHex]
        let none = try AppConfig.load(environment: base.merging(["JIFEN_QUOTA_APPROVALS": "none", "JIFEN_STANDARD_APPROVALS": "legalityReview,governmentApproval"]) { $1 }, demo: false)
        XCTAssertEqual(none.quotaApprovals, [])
        XCTAssertEqual(none.standardApprovals, [.legalityReview, .governmentApproval])
        XCTAssertThrowsError(try AppConfig.load(environment: base.merging(["JIFEN_QUOTA_APPROVALS": "mayor"]) { $1 }, demo: false)) { error in
            XCTAssertTrue("\(error)".contains("JIFEN_QUOTA_APPROVALS"))
            XCTAssertTrue("\(error)".contains("mayor"))
        }
    }

    /// The steps approved a text: a draft uploaded again with a changed text passes them again.
    func testChangingADraftWithdrawsItsApprovals() async throws {
        try await withApp(demo: true) { ctx in
            let admin = try await ctx.signedIn("admin")
            let before = try await ApprovalRecord.done(.standard, "zhangjiagang-2026-draft", on: ctx.app.db)
            XCTAssertEqual(before.count, 3)
            let draft = try await StandardVersion.find(code: "zhangjiagang-2026-draft", on: ctx.app.db)!
            try await admin.get("/standards/new")
            // MUT
            let saved = try await admin.post("/standards", ["yaml": draft.yaml.replacingOccurrences(of: "（2026年修订草案）", with: "（2026年修订草案第二稿）")])
            XCTAssertEqual(saved.status, .seeOther)
            let after = try await ApprovalRecord.done(.standard, "zhangjiagang-2026-draft", on: ctx.app.db)
            XCTAssertEqual(after.count, 0)
            let withdrawn = try await AuditEntry.query(on: ctx.app.db).filter(\.$action == "withdraw").count()
            XCTAssertEqual(withdrawn, 3)
        }
    }
}
