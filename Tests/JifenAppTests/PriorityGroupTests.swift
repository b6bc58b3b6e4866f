import Fluent
@testable import JifenApp
import JifenCore
import XCTVapor

/// Priority groups (优先/优待): named by the organisers, claimed by the parent with evidence,
/// verified by the named department, placed ahead of the points order, marked on the public list
/// without the reason.
final class PriorityGroupTests: XCTestCase {
    func id(_ region: String, _ birth: String, _ seq: String) -> String { ProgramsTests.id(region, birth, seq) }

    func testAVerifiedPriorityChildIsPlacedAheadOfHigherPoints() async throws {
        try await withApp(demo: true) { ctx in
            // setup: one seat; 赵 has 70 points, 孙 has 50 and is the child of a serviceman.
            let program = try await makeGrade1(ctx, code: "2026-priority", maxChoices: 1, quotas: "P1,城北小学,320582-01,1\n")
            let edu = try await ctx.signedIn("edu")
            try await edu.get("/programs/2026-priority")
            let noDepartment = try await edu.post("/programs/2026-priority/priority-groups", ["code": "servicemen", "title": "现役军人子女", "placement": "ahead"])
            XCTAssertEqual(noDepartment.status, .badRequest)
            XCTAssertTrue(noDepartment.body.contains("请选择核验部门"))
            let added = try await edu.post("/programs/2026-priority/priority-groups",
                                           ["code": "servicemen", "title": "现役军人子女", "department": "veterans", "placement": "ahead", "bonus": ""])
            XCTAssertEqual(added.status, .seeOther)
            let page = try await Browser(ctx.app).get("/programs/2026-priority")
            XCTAssertTrue(page.body.contains("现役军人子女：由张家港市退役军人事务局核验，排在积分顺序之前"), "the group is public policy")

            let (zhao, zhaoChild) = try await makeParent(ctx, name: "赵高分", idNumber: id("341202", "19890101", "111"), points: 70,
                                                         child: (name: "赵小", id: id("341202", "20200315", "131")))
            let (sun, sunChild) = try await makeParent(ctx, name: "孙军属", idNumber: id("341202", "19900202", "111"), points: 50,
                                                       child: (name: "孙小", id: id("341202", "20200416", "141")))
            let service = ProgramService(app: ctx.app, db: ctx.app.db, now: ctx.clock.now, actor: Actor(id: nil, login: "test", address: nil), logger: ctx.app.logger)
            guard case .saved = try await service.apply(resident: zhao, child: zhaoChild, program: program, schools: ["P1"]) else { return XCTFail("赵 refused") }
            guard case .refused(let noEvidence) = try await service.apply(resident: sun, child: sunChild, program: program, schools: ["P1"],
                                                                           priority: (group: "servicemen", evidence: "")) else { return XCTFail("no evidence accepted") }
            XCTAssertEqual(noEvidence, [.priorityEvidence])
            guard case .saved(let sunApplication) = try await service.apply(resident: sun, child: sunChild, program: program, schools: ["P1"],
                                                                             priority: (group: "servicemen", evidence: "军官证 第12345号")) else { return XCTFail("孙 refused") }

            // The veterans' bureau sees the claim (another department does not) and verifies it.
            let police = try await makeReviewer(ctx, login: "police.priority", department: "police")
            let elsewhere = try await police.get("/priority-claims")
            XCTAssertFalse(elsewhere.body.contains(sunApplication.number), "another department's claim is not shown")
            let veterans = try await makeReviewer(ctx, login: "veterans.priority", department: "veterans")
            let queue = try await veterans.get("/priority-claims")
            XCTAssertTrue(queue.body.contains(sunApplication.number))
            XCTAssertTrue(queue.body.contains("军官证 第12345号"))
            let claim = try await PriorityClaim.query(on: ctx.app.db).first()!
            let noReason = try await veterans.post("/priority-claims/\(claim.requireID())", ["decision": "reject", "reason": ""])
            XCTAssertEqual(noReason.status, .badRequest)
            let verified = try await veterans.post("/priority-claims/\(claim.requireID())", ["decision": "verify"])
            XCTAssertEqual(verified.status, .seeOther)

            // MUT: the round after the deadline
            ctx.clock.advance(10 * 86_400)
            let admin = try await ctx.signedIn("admin")
            try await admin.get("/programs/2026-priority")
            let ran = try await admin.post("/programs/2026-priority/rounds", [:])
            XCTAssertEqual(ran.status, .seeOther)

            // validate: 孙 takes the seat ahead of 70 points; the list marks him without the reason.
            let results = try await AllocationResult.query(on: ctx.app.db).all()
            XCTAssertEqual(results.first { $0.number == sunApplication.number }?.schoolCode, "P1")
            XCTAssertEqual(results.first { $0.number != sunApplication.number }?.schoolCode, nil)
            XCTAssertEqual(results.first { $0.number == sunApplication.number }?.rank, 1)
            let publicity = try await Browser(ctx.app).get("/publicity/2026-priority/1")
            XCTAssertTrue(publicity.body.contains("data-priority>优先</span>"))
            XCTAssertFalse(publicity.body.contains("现役军人子女") || publicity.body.contains("军官证"), "no reason on the public list")
        }
    }

    /// An unverified claim changes nothing: the order is the points order.
    func testAnUnverifiedClaimRanksByPoints() async throws {
        try await withApp(demo: true) { ctx in
            let program = try await makeGrade1(ctx, code: "2026-claimed", maxChoices: 1, quotas: "C1,城北小学,320582-01,1\n")
            let group = PriorityGroup()
            group.code = "firefighters"
            group.title = "消防救援人员子女"
            group.department = "fire"
            group.placement = .ahead
            group.bonus = 0
            group.$program.id = try program.requireID()
            try await group.create(on: ctx.app.db)
            let (high, highChild) = try await makeParent(ctx, name: "周高分", idNumber: id("341202", "19890101", "111"), points: 70,
                                                         child: (name: "周小", id: id("341202", "20200315", "131")))
            let (low, lowChild) = try await makeParent(ctx, name: "吴申报", idNumber: id("341202", "19900202", "111"), points: 50,
                                                       child: (name: "吴小", id: id("341202", "20200416", "141")))
            let service = ProgramService(app: ctx.app, db: ctx.app.db, now: ctx.clock.now, actor: Actor(id: nil, login: "test", address: nil), logger: ctx.app.logger)
            guard case .saved(let first) = try await service.apply(resident: high, child: highChild, program: program, schools: ["C1"]),
                  case .saved = try await service.apply(resident: low, child: lowChild, program: program, schools: ["C1"], priority: (group: "firefighters", evidence: "消防员证"))
            else { return XCTFail("refused") }
            ctx.clock.advance(10 * 86_400)
            let later = ProgramService(app: ctx.app, db: ctx.app.db, now: ctx.clock.now, actor: Actor(id: nil, login: "test", address: nil), logger: ctx.app.logger)
            _ = try await later.run(program, round: 1)
            let placed = try await AllocationResult.query(on: ctx.app.db).filter(\.$schoolCode == "C1").all()
            XCTAssertEqual(placed.map(\.number), [first.number])
            // Verifying after the first round could no longer count: refused.
            let fire = try await makeReviewer(ctx, login: "fire.priority", department: "fire")
            try await fire.get("/priority-claims")
            let claim = try await PriorityClaim.query(on: ctx.app.db).first()!
            let late = try await fire.post("/priority-claims/\(claim.requireID())", ["decision": "verify"])
            XCTAssertEqual(late.status, .conflict)
            XCTAssertTrue(late.body.contains("已经开始录取"))
            let unchanged = try await PriorityClaim.find(claim.id, on: ctx.app.db)
            XCTAssertEqual(unchanged?.state, .claimed)
        }
    }
}
