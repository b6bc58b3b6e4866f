import Fluent
@testable import JifenApp
import JifenCore
import XCTVapor

/// The permit fully online: applied for with nothing to bring, posted with a tracking number,
/// an electronic permit whose QR code opens a public check that shows nothing but validity, term
/// and a masked name; and the daily reminders, each sent once.
final class PermitOnlineTests: XCTestCase {
    func testAPermitAppliedOnlineIsPostedAndItsPublicCheckShowsOnlyValidityTermAndMaskedName() async throws {
        try await withApp(demo: true) { ctx in
            let citizen = try await ctx.signedIn("13800000001")
            try await citizen.get("/me/residence")
            try await citizen.post("/me/identity", ["name": "李明", "idNumber": ResidenceTests.idNumber()])
            let found = try await Resident.query(on: ctx.app.db).filter(\.$name == "李明").first()
            let resident = try XCTUnwrap(found)
            try await verifiedRegistration(ctx, of: resident, address: "城北社区1幢101室", from: "2025-06-01")
            try await citizen.get("/me/residence")
            let noAddress = try await citizen.post("/me/permit", ["basis": "employment", "evidence": "劳动合同 2025-118", "delivery": "post", "postalAddress": ""])
            XCTAssertEqual(noAddress.status, .badRequest)
            XCTAssertTrue(noAddress.body.contains("请填写邮寄地址。"))
            let applied = try await citizen.post("/me/permit", ["basis": "employment", "evidence": "劳动合同 2025-118", "delivery": "post", "postalAddress": "张家港市城北社区1幢101室"])
            XCTAssertEqual(applied.status, .seeOther)
            let applications = try await ResidencePermit.query(on: ctx.app.db).filter(\.$resident.$id == resident.requireID()).first()
            let permit = try XCTUnwrap(applications)
            XCTAssertEqual(permit.delivery, "post")
            XCTAssertEqual(permit.verificationToken?.count, 32)

            // The window produces it and posts it with the courier's number.
            let clerk = try await ctx.signedIn("clerk.yangshe")
            let path = "/permits/\(permit.id!.uuidString)/advance"
            for _ in 0..<2 {
                try await clerk.get("/permits")
                let moved = try await clerk.post(path, [:])
                XCTAssertEqual(moved.status, .seeOther)
            }
            let page = try await clerk.get("/permits")
            XCTAssertTrue(page.body.contains("张家港市城北社区1幢101室"))
            XCTAssertTrue(page.body.contains(#"name="tracking""#), "a posted permit asks for the tracking number")
            let noTracking = try await clerk.post(path, ["tracking": ""])
            XCTAssertEqual(noTracking.status, .badRequest)
            XCTAssertTrue(noTracking.body.contains("请填写快递单号。"))
            let posted = try await clerk.post(path, ["tracking": "SF1234567890"])
            XCTAssertEqual(posted.status, .seeOther)
            XCTAssertTrue(ctx.notifier.messages.contains { $0.recipient == "13800000001" && $0.body.contains("已寄出，快递单号 SF1234567890") })
            try await clerk.get("/permits")
            try await clerk.post(path, [:])
            let reread = try await ResidencePermit.find(permit.id, on: ctx.app.db)
            let issued = try XCTUnwrap(reread)
            XCTAssertEqual(issued.status, .issued)
            XCTAssertEqual(issued.validUntil, CivilDate("2027-09-20"))

            // The citizen sees the tracking number and his electronic permit, whose QR code opens the check.
            let mine = try await citizen.get("/me/residence")
            XCTAssertTrue(mine.body.contains("SF1234567890"))
            XCTAssertTrue(mine.body.contains("/me/permit/card"))
            let card = try await citizen.get("/me/permit/card")
            XCTAssertEqual(card.status, .ok)
            let token = try XCTUnwrap(issued.verificationToken)
            let url = "http://127.0.0.1:8080/verify/permit/" + token
            XCTAssertTrue(card.body.contains(try QRCode.encode(url, correction: .medium).svg(moduleSize: 6)), "the QR code is the check's address")

            // Anyone checks it, signed in or not: valid, its term, a masked name — nothing else.
            let agency = Browser(ctx.app)
            let check = try await agency.get("/verify/permit/" + token)
            XCTAssertEqual(check.status, .ok)
            XCTAssertTrue(check.body.contains(#"data-valid="yes""#))
            XCTAssertTrue(check.body.contains("李*"))
            XCTAssertTrue(check.body.contains("2027-09-20"))
            for secret in ["李明", resident.idMasked, ResidenceTests.idNumber(), permit.number, "城北社区1幢101室", "SF1234567890", "劳动合同", "13800000001", "138****0001"] {
                XCTAssertFalse(check.body.contains(secret), "the check shows nothing of \(secret)")
            }
            XCTAssertEqual(check.headers.first(name: .cacheControl), "no-store")
            let unknown = try await agency.get("/verify/permit/" + String(repeating: "0", count: 32))
            XCTAssertEqual(unknown.status, .notFound)
            XCTAssertTrue(unknown.body.contains("没有找到这张居住证"))
            // A year on, it has run out.
            ctx.clock.advance(366 * 86_400)
            let lapsed = try await Browser(ctx.app).get("/verify/permit/" + token)
            XCTAssertTrue(lapsed.body.contains(#"data-valid="no""#))

            // What the permit gives is public, and the centre writes it.
            let admin = try await ctx.signedIn("admin")
            try await admin.get("/admin/permit-benefits")
            let empty = try await admin.post("/admin/permit-benefits", ["kind": "service", "title": "", "detail": ""])
            XCTAssertEqual(empty.status, .badRequest)
            let added = try await admin.post("/admin/permit-benefits", ["kind": "convenience", "title": "在居住地申领机动车驾驶证", "detail": ""])
            XCTAssertEqual(added.status, .seeOther)
            let benefits = try await Browser(ctx.app).get("/permit-benefits")
            XCTAssertTrue(benefits.body.contains("在居住地申领机动车驾驶证"))
        }
    }

    func testEachReminderIsSentOnceHoweverOftenTheJobRuns() async throws {
        try await withApp(demo: true) { ctx in
            let db = ctx.app.db
            let today = ShanghaiDate.today(ctx.clock.now)
            let grid = try await Jurisdiction.find(code: "320582-01-01-01", on: db)!
            let worker = try await User.find(login: "grid.yangshe", on: db)!
            worker.phone = "13900000101"
            try await worker.save(on: db)
            let user = try await User.find(login: "13800000001", on: db)!
            func person(_ name: String, _ sequence: String) async throws -> Resident {
                let id = try ResidentID.validate(ResidenceTests.idNumber("19900101", sequence: sequence), today: today, regions: ctx.app.regions).get()
                let r = try Resident(name: name, id: id, phone: "1370000" + sequence + "0", userID: nil, data: ctx.app.personalData, at: ctx.clock.now)
                try await r.create(on: db)
                return r
            }
            func permit(_ resident: Resident, _ status: ResidencePermit.Status, until: CivilDate?) async throws {
                let p = ResidencePermit()
                p.createdAt = ctx.clock.now
                p.number = "JZ" + UUID().uuidString.prefix(6)
                p.basis = "employment"
                p.evidence = "x"
                p.status = status
                p.validUntil = until
                p.delivery = "collect"
                p.$resident.id = try resident.requireID()
                p.$jurisdiction.id = try grid.requireID()
                try await p.create(on: db)
            }
            let ready = try await person("王一", "301"), expiring = try await person("王二", "302"), later = try await person("王三", "303")
            try await permit(ready, .ready, until: nil)
            try await permit(expiring, .issued, until: today.adding(days: 20))
            try await permit(later, .issued, until: today.adding(days: 90))
            // A declaration six days old, one two days old.
            for (who, days) in [(ready, 6), (later, 2)] {
                let r = try ResidenceRegistration(of: who.requireID(), grid: grid.requireID(), house: nil, address: "城北社区", from: today.adding(days: -days),
                                                  source: .selfDeclared, status: .pending, due: today.adding(days: 7 - days), at: ctx.clock.now.addingTimeInterval(Double(-days) * 86_400))
                try await r.create(on: db)
            }
            _ = user
            let first = try await Reminders.run(ctx.app, now: ctx.clock.now)
            // (and the demo's two appointments at the window tomorrow)
            XCTAssertEqual(first, Reminders.Counts(endorsements: 1, ready: 1, unverified: 1, archives: 0, appointments: 2))
            XCTAssertTrue(ctx.notifier.messages.contains { $0.recipient == "13700003010" && $0.body.contains("已制作完成") })
            XCTAssertTrue(ctx.notifier.messages.contains { $0.recipient == "13700003020" && $0.body.contains("将于") && $0.body.contains("签注") })
            XCTAssertFalse(ctx.notifier.messages.contains { $0.recipient == "13700003030" }, "not due within 30 days")
            XCTAssertTrue(ctx.notifier.messages.contains { $0.recipient == "13900000101" && $0.body.contains("1 条居住申报已超过 5 天未核实") })
            // Again, and again an hour later: nothing more, and nothing found unsent that was sent
            // (the database's answer to "not reminded yet" is the same key the reminder wrote).
            let count = ctx.notifier.messages.count
            let second = try await Reminders.run(ctx.app, now: ctx.clock.now)
            ctx.clock.advance(3_600)
            let third = try await Reminders.run(ctx.app, now: ctx.clock.now)
            XCTAssertEqual(second, Reminders.Counts())
            XCTAssertEqual(third, Reminders.Counts())
            XCTAssertEqual(ctx.notifier.messages.count, count)
            // In December, this year's points: once.
            let archive = PointsArchive()
            archive.updatedAt = ctx.clock.now
            archive.status = .active
            archive.year = 2026
            archive.total = 8_250
            archive.$resident.id = try later.requireID()
            try await archive.create(on: db)
            let december = try XCTUnwrap(ShanghaiTime.startOfDay("2026-12-01")).addingTimeInterval(10 * 3_600)
            let inDecember = try await Reminders.run(ctx.app, now: december)
            XCTAssertEqual(inDecember.archives, 1)
            XCTAssertTrue(ctx.notifier.messages.contains { $0.recipient == "13700003030" && $0.body.contains("2026 年度积分（82.5 分）") })
            let again = try await Reminders.run(ctx.app, now: december.addingTimeInterval(86_400))
            XCTAssertEqual(again.archives, 0)
            XCTAssertEqual(again.elsewhere, 0)
            // Reminders go a batch a transaction; a batch holding an event another run recorded
            // first goes one by one: the new one is texted, the old one not again.
            let before = ctx.notifier.messages.count
            let service = PointsService(app: ctx.app, db: db, now: december, actor: .system, logger: ctx.app.logger)
            let sent = try await Reminders.onceEach([("archive:\(try archive.requireID().uuidString):2026", later, "又一条"), ("test:\(try expiring.requireID())", expiring, "新的一条")],
                                                    kind: "reminderTest", service: service, db: db, now: december)
            XCTAssertEqual(sent, 1)
            XCTAssertEqual(ctx.notifier.messages.dropFirst(before).map(\.recipient), ["13700003020"])
            let recorded = try await ReminderSent.query(on: db).filter(\.$event == "test:\(try expiring.requireID())").count()
            XCTAssertEqual(recorded, 1)
        }
    }
}
