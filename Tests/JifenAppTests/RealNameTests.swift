import Fluent
import Foundation
@testable import JifenApp
import JifenCore
import XCTVapor

/// Real-name binding, tried as a squatter would: typing someone else's ID number into one's own
/// account, or someone else's child into one's household.
final class RealNameTests: XCTestCase {
    func number(_ first17: String) -> String { first17 + String(ResidentID.checkDigit(first17)!) }

    /// A registered (non-demo) citizen account, signed in.
    func citizen(_ ctx: TestContext, phone: String) async throws -> Browser {
        let user = User(login: phone, passwordHash: try Bcrypt.hash("city2026pass", cost: 4), displayName: "市民", role: .citizen, status: .active,
                        phone: phone, at: ctx.clock.now)
        try await user.create(on: ctx.app.db)
        let browser = Browser(ctx.app)
        let answer = try await browser.signIn(phone, "city2026pass")
        XCTAssertEqual(answer.status, .seeOther)
        return browser
    }

    /// The squatter types the victim's number first. Nothing staff record reaches him: the grid
    /// worker's arrival registration cuts him off (he is told by text), he never submits a points
    /// application in the victim's name, and the window, having checked the victim's card, binds
    /// the identity to the victim's account.
    func testASquattedIdentityNeverReceivesStaffRecordsAndGoesToItsOwner() async throws {
        try await withApp(demo: true, residents: 30) { ctx in
            let victimNumber = number("34120219880506123")
            let squatter = try await citizen(ctx, phone: "13911110001")
            try await squatter.get("/me/residence")
            let typed = try await squatter.post("/me/identity", ["name": "周明", "idNumber": victimNumber])
            XCTAssertEqual(typed.status, .seeOther)
            let page = try await squatter.get("/me/residence")
            XCTAssertTrue(page.body.contains(#"data-identity="unverified""#), "unconfirmed: no service confirms a real city's citizen")
            // His data download holds what he typed, nothing matched on the number (department feeds, households listing it).
            let download = try await squatter.get("/me/data.json")
            XCTAssertEqual(download.status, .ok)
            XCTAssertFalse(download.body.contains("feed_records"))
            XCTAssertFalse(download.body.contains("household_members_listing_me"))

            // He cannot open a points application on an unconfirmed identity.
            try await squatter.get("/me/points")
            let opened = try await squatter.post("/me/points", [:])
            XCTAssertTrue(opened.body.contains("身份尚未核验"), "status \(opened.status)")
            let applications = try await PointsApplication.query(on: ctx.app.db).count()
            XCTAssertEqual(applications, 0)

            // The victim: the number is taken; he is told how to claim it.
            let victim = try await citizen(ctx, phone: "13911110002")
            try await victim.get("/me/residence")
            let taken = try await victim.post("/me/identity", ["name": "周明", "idNumber": victimNumber])
            XCTAssertEqual(taken.status, .badRequest)
            XCTAssertTrue(taken.body.contains("请携带身份证到积分窗口核验"), taken.body)

            // The grid worker registers the victim's arrival after seeing him: the squatter loses the identity.
            let workerAccount = try await User.find(login: "grid.yangshe", on: ctx.app.db)!
            let grid = try await Jurisdiction.find(workerAccount.$jurisdiction.id, on: ctx.app.db)!
            let inGrid = try await Jurisdiction.within(grid.jurisdictionCode!, on: ctx.app.db).all().compactMap(\.id)
            let house = try await RentalHouse.query(on: ctx.app.db).filter(\.$jurisdiction.$id ~~ inGrid).first()!
            let worker = try await ctx.signedIn("grid.yangshe")
            try await worker.get("/registrations")
            let arrival = try await worker.post("/registrations/arrival", ["name": "周明", "idNumber": victimNumber, "house": house.addressCode, "from": "2026-08-01"])
            XCTAssertEqual(arrival.status, .seeOther, arrival.body)
            let afterArrival = try await squatter.get("/me/residence")
            XCTAssertFalse(afterArrival.body.contains(house.address), "the squatter never sees the victim's address")
            XCTAssertFalse(afterArrival.body.contains("341202"), "nor his number")
            XCTAssertTrue(ctx.notifier.messages.contains { $0.recipient == "13911110001" && $0.body.contains("解除关联") })
            let detached = try await AuditEntry.query(on: ctx.app.db).filter(\.$action == "detachUnconfirmed").count()
            XCTAssertEqual(detached, 1)

            // Recorded by staff, the identity binds only after a check of the card.
            let again = try await victim.post("/me/identity", ["name": "周明", "idNumber": victimNumber])
            XCTAssertEqual(again.status, .badRequest)
            XCTAssertTrue(again.body.contains("工作人员已登记"), again.body)
            let resident = try await Resident.find(idNumber: victimNumber, data: ctx.app.personalData, on: ctx.app.db)!
            let residentID = try resident.requireID()
            try await worker.get("/residents/\(residentID)")
            let unchecked = try await worker.post("/residents/\(residentID)/identity", ["action": "verify", "phone": "13911110002"])
            XCTAssertEqual(unchecked.status, .badRequest, "the card must be checked")
            let bound = try await worker.post("/residents/\(residentID)/identity", ["action": "verify", "phone": "13911110002", "cardChecked": "on"])
            XCTAssertEqual(bound.status, .seeOther)
            let mine = try await victim.get("/me/residence")
            XCTAssertTrue(mine.body.contains(#"data-identity="verified""#))
            XCTAssertTrue(mine.body.contains(house.address), "the owner sees what staff recorded")
            let check = try await AccessLogEntry.query(on: ctx.app.db).filter(\.$field == "identityCheck").count()
            XCTAssertEqual(check, 1, "the card check is logged")
            XCTAssertTrue(ctx.notifier.messages.contains { $0.recipient == "13911110002" && $0.body.contains("身份已核验") })
        }
    }

    /// Staff release an identity taken by someone else, with a reason; the holder is told.
    func testStaffReleaseASquattedIdentityWithAReason() async throws {
        try await withApp(demo: true) { ctx in
            let victimNumber = number("34120219880506123")
            let squatter = try await citizen(ctx, phone: "13911110001")
            try await squatter.get("/me/residence")
            _ = try await squatter.post("/me/identity", ["name": "周明", "idNumber": victimNumber])
            let resident = try await Resident.find(idNumber: victimNumber, data: ctx.app.personalData, on: ctx.app.db)!
            try await verifiedRegistration(ctx, of: resident, address: "城北社区 9 幢 202 室", from: "2025-05-01", source: .selfDeclared)
            let clerk = try await ctx.signedIn("clerk.yangshe")
            try await clerk.get("/residents/\(resident.requireID())")
            let noReason = try await clerk.post("/residents/\(resident.requireID())/identity", ["action": "release"])
            XCTAssertEqual(noReason.status, .badRequest)
            let released = try await clerk.post("/residents/\(resident.requireID())/identity", ["action": "release", "reason": "本人持身份证到窗口反映被冒用"])
            XCTAssertEqual(released.status, .seeOther)
            let stored = try await Resident.find(resident.requireID(), on: ctx.app.db)
            XCTAssertNil(stored?.$user.id)
            let audit = try await AuditEntry.query(on: ctx.app.db).filter(\.$action == "releaseIdentity").first()
            XCTAssertEqual(audit?.after?["reason"], "本人持身份证到窗口反映被冒用")
            XCTAssertTrue(ctx.notifier.messages.contains { $0.recipient == "13911110001" && $0.body.contains("解除") })
        }
    }

    /// A stranger adds someone's child to his household and applies first: the application is
    /// refused until the relationship is checked, so he blocks no one; the real parent, with the
    /// birth certificate checked at the window, applies.
    func testASquattedChildCannotBlockTheRealParent() async throws {
        try await withApp(demo: true) { ctx in
            let program = try await makeGrade1(ctx, code: "2026-realname", maxChoices: 1, quotas: "R1,城北小学,320582-01,5\n")
            let childNumber = number("34120220200315132")
            // Two confirmed adults with residence, permits and points (the stranger's identity, too,
            // was checked at a window): only the child is in question.
            let stranger = try await citizen(ctx, phone: "13911110003")
            let parent = try await citizen(ctx, phone: "13911110004")
            var residents: [Resident] = []
            for (phone, name, id, other) in [("13911110003", "吴强", number("34120219850101211"), number("34120220190101121")),
                                             ("13911110004", "郑伟", number("34120219860202211"), number("34120220190202121"))] {
                let (resident, _) = try await makeParent(ctx, name: name, idNumber: id, points: 60, child: (name: "长子", id: other))
                resident.$user.id = try await User.find(login: phone, on: ctx.app.db)!.requireID()
                resident.verifiedAt = ctx.clock.now
                resident.verifiedBy = "clerk.yangshe"
                try await resident.save(on: ctx.app.db)
                residents.append(resident)
            }
            try await stranger.get("/me/residence")
            let added = try await stranger.post("/me/household", ["relation": "child", "name": "郑小宝", "idNumber": childNumber, "evidence": "birthCertificate"])
            XCTAssertEqual(added.status, .seeOther)
            let member = try await HouseholdMember.query(on: ctx.app.db).filter(\.$resident.$id == residents[0].requireID()).filter(\.$nameMasked == Mask.name("郑小宝")).first()!
            XCTAssertNil(member.verifiedAt, "nothing confirmed the relationship")
            try await stranger.get("/programs/\(program.code)/apply")
            let applied = try await stranger.post("/programs/\(program.code)/apply", ["child": try member.requireID().uuidString, "school1": "R1"])
            XCTAssertEqual(applied.status, .badRequest)
            XCTAssertTrue(applied.body.contains("孩子与您的关系尚未核验"), applied.body)
            let none = try await ServiceApplication.query(on: ctx.app.db).filter(\.$childHash == member.idHash).count()
            XCTAssertEqual(none, 0, "no seat taken, no one blocked")

            // The relationship is asked for with a document; staff confirm it after seeing it.
            try await parent.get("/me/residence")
            let missing = try await parent.post("/me/household", ["relation": "child", "name": "郑小宝", "idNumber": childNumber])
            XCTAssertEqual(missing.status, .badRequest, "the document is required")
            _ = try await parent.post("/me/household", ["relation": "child", "name": "郑小宝", "idNumber": childNumber, "evidence": "birthCertificate"])
            let own = try await HouseholdMember.query(on: ctx.app.db).filter(\.$resident.$id == residents[1].requireID()).filter(\.$nameMasked == Mask.name("郑小宝")).first()!
            let clerk = try await ctx.signedIn("clerk.yangshe")
            let residentPage = try await clerk.get("/residents/\(try residents[1].requireID())")
            XCTAssertTrue(residentPage.body.contains("data-member-verify"))
            let path = "/residents/\(try residents[1].requireID())/members/\(try own.requireID())/verify"
            let unchecked = try await clerk.post(path, [:])
            XCTAssertEqual(unchecked.status, .badRequest)
            let confirmed = try await clerk.post(path, ["documentChecked": "on"])
            XCTAssertEqual(confirmed.status, .seeOther)
            let ownChild = try await HouseholdMember.find(own.requireID(), on: ctx.app.db)
            XCTAssertEqual(ownChild?.verifiedBy, "clerk.yangshe")
            try await parent.get("/programs/\(program.code)/apply")
            let real = try await parent.post("/programs/\(program.code)/apply", ["child": try own.requireID().uuidString, "school1": "R1"])
            XCTAssertEqual(real.status, .seeOther, real.body)
        }
    }
}
