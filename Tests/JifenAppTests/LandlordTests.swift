import Fluent
@testable import JifenApp
import JifenCore
import XCTVapor

/// 以房管人: landlords, sublandlords and employers declare their tenants from their phones.
final class LandlordTests: XCTestCase {
    static let house = "320582-01-01-01-3-2-501"
    static let otherHouse = "320582-01-01-01-3-2-502"

    /// The grid worker registers two houses in his grid (the second one nobody asks for).
    func houses(_ ctx: TestContext, _ worker: Browser) async throws -> (RentalHouse, RentalHouse) {
        try await worker.get("/houses/new")
        for room in ["501", "502", "503"] {
            let made = try await worker.post("/houses", ["grid": "320582-01-01-01", "building": "3", "unit": "2", "room": room,
                                                         "address": "城北社区3幢2单元\(room)室", "landlord": "王建国", "capacity": "4"])
            XCTAssertEqual(made.status, .seeOther)
        }
        let one = try await RentalHouse.query(on: ctx.app.db).filter(\.$addressCode == Self.house).first()
        let two = try await RentalHouse.query(on: ctx.app.db).filter(\.$addressCode == Self.otherHouse).first()
        return (try XCTUnwrap(one), try XCTUnwrap(two))
    }

    /// A citizen account (not one of the demo's) signed in.
    func account(_ ctx: TestContext, _ phone: String, _ name: String) async throws -> Browser {
        let user = User(login: phone, passwordHash: try ctx.app.password.hash("landlord12345"), displayName: name, role: .citizen, status: .active,
                        phone: phone, at: ctx.clock.now)
        try await user.create(on: ctx.app.db)
        return try await ctx.signedIn(phone, password: "landlord12345")
    }

    /// The demo citizen 13800000001 with his identity recorded (confirmed, as a demo account).
    func tenant(_ ctx: TestContext) async throws -> (Browser, String) {
        let number = ResidenceTests.idNumber("19900315", sequence: "123")
        let tenant = try await ctx.signedIn("13800000001")
        try await tenant.get("/me/residence")
        let saved = try await tenant.post("/me/identity", ["name": "李明", "idNumber": number])
        XCTAssertEqual(saved.status, .seeOther)
        return (tenant, number)
    }

    func testALandlordDeclaresATenantTheGridWorkerVerifiesAndTheTenantSeesIt() async throws {
        try await withApp(demo: true) { ctx in
            let worker = try await ctx.signedIn("grid.yangshe")
            let (house, other) = try await houses(ctx, worker)
            let houseID = try house.requireID().uuidString, otherID = try other.requireID().uuidString
            let landlord = try await account(ctx, "13900002222", "王建国")

            // Scanning the door's QR code, he finds the way to his houses with this one filled in.
            let scanned = try await landlord.get("/me/residence?house=" + Self.house)
            XCTAssertTrue(scanned.body.contains("/me/houses?house=" + Self.house))
            let form = try await landlord.get("/me/houses?house=" + Self.house)
            XCTAssertTrue(form.body.contains(#"value="\#(Self.house)""#))
            // An employer's dormitory needs the employer's name; the problem names the field.
            let refused = try await landlord.post("/me/houses", ["house": Self.house, "kind": "employer", "name": "王建国", "organisation": ""])
            XCTAssertEqual(refused.status, .badRequest)
            XCTAssertTrue(refused.body.contains("请填写单位名称。"))
            let none = try await HouseManager.query(on: ctx.app.db).count()
            XCTAssertEqual(none, 0, "nothing saved")
            // MUT: he asks to manage it as its owner
            let asked = try await landlord.post("/me/houses", ["house": Self.house, "kind": "owner", "name": "王建国", "organisation": ""])
            XCTAssertEqual(asked.status, .seeOther)
            let list = try await landlord.get("/me/houses")
            XCTAssertTrue(list.body.contains("待网格员确认"))
            // Not confirmed yet: the house is not his to declare into.
            let early = try await landlord.post("/me/houses/\(houseID)/arrivals", ["name": "李明", "idNumber": ResidenceTests.idNumber(), "from": "2026-09-01"])
            XCTAssertEqual(early.status, .notFound)

            // The grid worker sees him on the house and confirms him; he gets a text.
            let waiting = try await worker.get("/houses/" + houseID)
            XCTAssertTrue(waiting.body.contains("王建国"))
            XCTAssertTrue(waiting.body.contains("139****2222"), "his number masked")
            let manager = try await HouseManager.query(on: ctx.app.db).first()
            let managerID = try XCTUnwrap(manager).requireID().uuidString
            let confirmed = try await worker.post("/houses/\(houseID)/managers/\(managerID)/decision", ["decision": "confirm", "reason": ""])
            XCTAssertEqual(confirmed.status, .seeOther)
            XCTAssertTrue(ctx.notifier.messages.contains { $0.recipient == "13900002222" && $0.body.contains("网格员已确认") && $0.body.contains("城北社区3幢2单元501室") })

            // The tenant has recorded his identity; the landlord declares him.
            let (tenant, number) = try await tenant(ctx)
            let page = try await landlord.get("/me/houses/" + houseID)
            XCTAssertEqual(page.status, .ok)
            let wrongName = try await landlord.post("/me/houses/\(houseID)/arrivals", ["name": "李四", "idNumber": number, "phone": "", "from": "2026-09-01"])
            XCTAssertEqual(wrongName.status, .badRequest)
            XCTAssertTrue(wrongName.body.contains("姓名与身份证号码不符"))
            XCTAssertFalse(wrongName.body.contains(number), "the number typed is never sent back")
            // MUT: declared
            let declared = try await landlord.post("/me/houses/\(houseID)/arrivals", ["name": "李明", "idNumber": number, "phone": "", "from": "2026-09-01"])
            XCTAssertEqual(declared.status, .seeOther)
            let stored = try await ResidenceRegistration.query(on: ctx.app.db).filter(\.$source == .landlord).with(\.$resident).first()
            let registration = try XCTUnwrap(stored)
            XCTAssertEqual(registration.status, .pending)
            XCTAssertEqual(registration.dueDate, CivilDate("2026-09-28"), "due in 7 days like a self-declaration")
            XCTAssertEqual(registration.$declaredBy.id?.uuidString, managerID)
            XCTAssertEqual(registration.$rentalHouse.id, house.id)
            XCTAssertEqual(registration.address, "城北社区3幢2单元501室")
            XCTAssertEqual(registration.resident.name, "李明")
            XCTAssertTrue(ctx.notifier.messages.contains { $0.recipient == "13800000001" && $0.body.contains("为你申报了居住登记：城北社区3幢2单元501室") },
                          "the tenant gets a text")
            XCTAssertFalse(ctx.notifier.messages.contains { $0.body.contains(number) }, "no ID number in any text")
            // Twice is refused: he is registered now.
            let twice = try await landlord.post("/me/houses/\(houseID)/arrivals", ["name": "李明", "idNumber": number, "phone": "", "from": "2026-09-01"])
            XCTAssertEqual(twice.status, .badRequest)
            XCTAssertTrue(twice.body.contains("未注销的居住登记"))

            // The tenant sees it, declared for him, waiting for the grid worker.
            let mine = try await tenant.get("/me/residence")
            XCTAssertTrue(mine.body.contains("城北社区3幢2单元501室"))
            XCTAssertTrue(mine.body.contains("由房东（产权人） 王*国 代为申报"))
            XCTAssertTrue(mine.body.contains("待核实"))

            // It is in the grid worker's queue like a self-declaration, named as the landlord's; he verifies it.
            let queue = try await worker.get("/registrations")
            XCTAssertTrue(queue.body.contains("房东代报（王*国）"))
            let verified = try await worker.post("/registrations/\(registration.requireID().uuidString)/decision", ["decision": "verify", "method": "visit", "reason": ""])
            XCTAssertEqual(verified.status, .seeOther)
            let after = try await tenant.get("/me/residence")
            XCTAssertTrue(after.body.contains("已核实"))
            XCTAssertFalse(after.body.contains("待核实"))
            // The house shows its people and its landlord.
            let shown = try await worker.get("/houses/" + houseID)
            XCTAssertTrue(shown.body.contains("李明"))
            XCTAssertTrue(shown.body.contains("房东代报"))
            XCTAssertTrue(shown.body.contains("已确认"))

            // A house he does not manage answers 404, whatever he tries.
            let outside = try await landlord.post("/me/houses/\(otherID)/arrivals", ["name": "李明", "idNumber": number, "phone": "", "from": "2026-09-01"])
            XCTAssertEqual(outside.status, .notFound)
            let outsidePage = try await landlord.get("/me/houses/" + otherID)
            XCTAssertEqual(outsidePage.status, .notFound)
            let someoneElse = try await account(ctx, "13900003333", "赵六")
            let notHis = try await someoneElse.get("/me/houses/" + houseID)
            XCTAssertEqual(notHis.status, .notFound)
            try await someoneElse.get("/me/houses")
            let notHisDeparture = try await someoneElse.post("/me/houses/\(houseID)/registrations/\(registration.requireID().uuidString)/departure", [:])
            XCTAssertEqual(notHisDeparture.status, .notFound)
            let running = try await ResidenceRegistration.query(on: ctx.app.db).filter(\.$toDate == nil).count()
            XCTAssertEqual(running, 1, "nothing changed")

            // 人走注销: he declares the tenant gone; the registration ends today and the tenant is told.
            try await landlord.get("/me/houses/" + houseID)
            let left = try await landlord.post("/me/houses/\(houseID)/registrations/\(registration.requireID().uuidString)/departure", [:])
            XCTAssertEqual(left.status, .seeOther)
            let ended = try await ResidenceRegistration.find(registration.id, on: ctx.app.db)
            XCTAssertEqual(ended?.toDate, CivilDate("2026-09-21"))
            XCTAssertTrue(ctx.notifier.messages.contains { $0.recipient == "13800000001" && $0.body.contains("搬离 城北社区3幢2单元501室") })
            let history = try await landlord.get("/me/houses/" + houseID)
            XCTAssertTrue(history.body.contains("历史住户"))
            XCTAssertTrue(history.body.contains("李*"), "the tenant's name masked on the landlord's page")
            XCTAssertFalse(history.body.contains("李明"))
        }
    }

    func testATenantDisputesWhatASublandlordDeclaredAndTheGridWorkerSeesIt() async throws {
        try await withApp(demo: true) { ctx in
            let worker = try await ctx.signedIn("grid.yangshe")
            let (house, other) = try await houses(ctx, worker)
            let houseID = try house.requireID().uuidString, otherID = try other.requireID().uuidString
            // A sublandlord asks for two houses; the grid worker confirms one and refuses the other with a reason.
            let sublandlord = try await account(ctx, "13900004444", "周包租")
            try await sublandlord.get("/me/houses")
            for code in [Self.house, Self.otherHouse] {
                let asked = try await sublandlord.post("/me/houses", ["house": code, "kind": "sublandlord", "name": "周包租", "organisation": ""])
                XCTAssertEqual(asked.status, .seeOther)
            }
            let again = try await sublandlord.post("/me/houses", ["house": Self.house, "kind": "sublandlord", "name": "周包租", "organisation": ""])
            XCTAssertEqual(again.status, .badRequest)
            XCTAssertTrue(again.body.contains("你已申请管理这套房屋"))
            let managers = try await HouseManager.query(on: ctx.app.db).all()
            let first = try XCTUnwrap(managers.first { $0.$house.id == house.id }), second = try XCTUnwrap(managers.first { $0.$house.id == other.id })
            try await worker.get("/houses/" + otherID)
            let noReason = try await worker.post("/houses/\(otherID)/managers/\(second.requireID().uuidString)/decision", ["decision": "reject", "reason": ""])
            XCTAssertEqual(noReason.status, .badRequest)
            XCTAssertTrue(noReason.body.contains("请填写理由") || noReason.body.contains("请填写"))
            let refused = try await worker.post("/houses/\(otherID)/managers/\(second.requireID().uuidString)/decision", ["decision": "reject", "reason": "租赁合同与房屋不符"])
            XCTAssertEqual(refused.status, .seeOther)
            XCTAssertTrue(ctx.notifier.messages.contains { $0.recipient == "13900004444" && $0.body.contains("租赁合同与房屋不符") })
            try await worker.get("/houses/" + houseID)
            try await worker.post("/houses/\(houseID)/managers/\(first.requireID().uuidString)/decision", ["decision": "confirm", "reason": ""])
            let mine = try await sublandlord.get("/me/houses")
            XCTAssertTrue(mine.body.contains("未通过"))
            XCTAssertTrue(mine.body.contains("租赁合同与房屋不符"))
            let refusedHouse = try await sublandlord.get("/me/houses/" + otherID)
            XCTAssertEqual(refusedHouse.status, .notFound)

            // He declares the tenant; the grid worker verifies; the tenant says it is wrong.
            let (tenant, number) = try await tenant(ctx)
            try await sublandlord.get("/me/houses/" + houseID)
            try await sublandlord.post("/me/houses/\(houseID)/arrivals", ["name": "李明", "idNumber": number, "phone": "", "from": "2026-08-01"])
            let found = try await ResidenceRegistration.query(on: ctx.app.db).filter(\.$source == .landlord).first()
            let registration = try XCTUnwrap(found)
            let rid = try registration.requireID().uuidString
            try await worker.get("/registrations")
            try await worker.post("/registrations/\(rid)/decision", ["decision": "verify", "method": "phone", "reason": ""])
            let page = try await tenant.get("/me/residence")
            XCTAssertTrue(page.body.contains("/me/residence/\(rid)/dispute"))
            let empty = try await tenant.post("/me/residence/\(rid)/dispute", ["reason": " "])
            XCTAssertEqual(empty.status, .badRequest)
            XCTAssertTrue(empty.body.contains("请填写异议理由。"))
            XCTAssertTrue(empty.body.contains(##"href="#dispute-\##(rid)-reason""##), "the problem links to its field")
            // MUT: disputed
            let disputed = try await tenant.post("/me/residence/\(rid)/dispute", ["reason": "我8月底才搬进来"])
            XCTAssertEqual(disputed.status, .seeOther)
            let reread = try await ResidenceRegistration.find(registration.id, on: ctx.app.db)
            let after = try XCTUnwrap(reread)
            XCTAssertNotNil(after.disputedAt)
            XCTAssertEqual(after.disputeReason, "我8月底才搬进来")
            XCTAssertEqual(after.status, .pending, "back in the grid worker's queue")
            XCTAssertEqual(after.dueDate, CivilDate("2026-09-28"))
            XCTAssertNil(after.decidedBy)
            // The grid worker sees it marked, with the reason.
            let queue = try await worker.get("/registrations")
            XCTAssertTrue(queue.body.contains(#"data-disputed="yes""#))
            XCTAssertTrue(queue.body.contains("我8月底才搬进来"))
            // Once is enough: no second dispute.
            let twice = try await tenant.post("/me/residence/\(rid)/dispute", ["reason": "再说一次"])
            XCTAssertEqual(twice.status, .badRequest)
            // Only the tenant himself may dispute it.
            let stranger = try await account(ctx, "13900005555", "钱七")
            try await stranger.get("/me/residence")
            let notHis = try await stranger.post("/me/residence/\(rid)/dispute", ["reason": "x"])
            XCTAssertEqual(notHis.status, .notFound)
            // The lease ends: the grid worker ends his management, with a reason; the house is closed to him.
            try await worker.get("/houses/" + houseID)
            let endWithoutReason = try await worker.post("/houses/\(houseID)/managers/\(first.requireID().uuidString)/decision", ["decision": "end", "reason": ""])
            XCTAssertEqual(endWithoutReason.status, .badRequest)
            let ended = try await worker.post("/houses/\(houseID)/managers/\(first.requireID().uuidString)/decision", ["decision": "end", "reason": "包租合同到期"])
            XCTAssertEqual(ended.status, .seeOther)
            XCTAssertTrue(ctx.notifier.messages.contains { $0.recipient == "13900004444" && $0.body.contains("包租合同到期") })
            let closed = try await sublandlord.get("/me/houses/" + houseID)
            XCTAssertEqual(closed.status, .notFound)
            // Every step is in the audit log.
            let actions = try await AuditEntry.query(on: ctx.app.db).filter(\.$entity ~~ ["houseManager", "residenceRegistration"]).all().map(\.action)
            for action in ["ask", "confirm", "reject", "declareForTenant", "verify", "dispute", "end"] { XCTAssertTrue(actions.contains(action), action) }
        }
    }

    func testAnEmployerDeclaresItsWorkersUnderItsOwnName() async throws {
        try await withApp(demo: true) { ctx in
            let worker = try await ctx.signedIn("grid.yangshe")
            let (house, _) = try await houses(ctx, worker)
            let houseID = try house.requireID().uuidString
            let employer = try await account(ctx, "13900006666", "孙经理")
            try await employer.get("/me/houses")
            try await employer.post("/me/houses", ["house": Self.house, "kind": "employer", "name": "孙经理", "organisation": "港城电子有限公司"])
            let first = try await HouseManager.query(on: ctx.app.db).first()
            let manager = try XCTUnwrap(first)
            XCTAssertEqual(manager.kind, .employer)
            XCTAssertEqual(manager.organisation, "港城电子有限公司")
            try await worker.get("/houses/" + houseID)
            try await worker.post("/houses/\(houseID)/managers/\(manager.requireID().uuidString)/decision", ["decision": "confirm", "reason": ""])
            // A worker nobody knew yet: recorded with the number the employer gave, and texted there.
            try await employer.get("/me/houses/" + houseID)
            let number = ResidenceTests.idNumber("19980704", sequence: "215")
            let badPhone = try await employer.post("/me/houses/\(houseID)/arrivals", ["name": "吴小工", "idNumber": number, "phone": "123", "from": "2026-09-10"])
            XCTAssertEqual(badPhone.status, .badRequest)
            let future = try await employer.post("/me/houses/\(houseID)/arrivals", ["name": "吴小工", "idNumber": number, "phone": "13700007777", "from": "2026-10-10"])
            XCTAssertEqual(future.status, .badRequest)
            let half = try await Resident.query(on: ctx.app.db).filter(\.$name == "吴小工").count()
            XCTAssertEqual(half, 0, "nothing half-saved")
            let declared = try await employer.post("/me/houses/\(houseID)/arrivals", ["name": "吴小工", "idNumber": number, "phone": "13700007777", "from": "2026-09-10"])
            XCTAssertEqual(declared.status, .seeOther)
            let recorded = try await Resident.query(on: ctx.app.db).filter(\.$name == "吴小工").first()
            let person = try XCTUnwrap(recorded)
            XCTAssertEqual(person.phone, "13700007777")
            XCTAssertNil(person.$user.id)
            XCTAssertTrue(ctx.notifier.messages.contains { $0.recipient == "13700007777" && $0.body.hasPrefix("【积分服务】港城电子有限公司 为你申报了居住登记") })
            let queue = try await worker.get("/registrations")
            XCTAssertTrue(queue.body.contains("房东代报（港城电子有限公司）"))
        }
    }
}
