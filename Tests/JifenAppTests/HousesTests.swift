import Fluent
@testable import JifenApp
import JifenCore
import XCTVapor

final class HousesTests: XCTestCase {
    func testAGridWorkerRegistersAHouseWhoseQRCodeOpensTheDeclarationFilledIn() async throws {
        try await withApp(demo: true) { ctx in
            let worker = try await ctx.signedIn("grid.yangshe")
            try await worker.get("/houses/new")
            // refused: bad room, bad landlord phone, beside their fields
            let refused = try await worker.post("/houses", ["grid": "320582-01-01-01", "building": "3", "unit": "2", "room": "5/01",
                                                            "address": "城北社区3幢2单元501室", "landlord": "王房东", "landlordPhone": "123", "capacity": "4"])
            XCTAssertEqual(refused.status, .badRequest)
            XCTAssertTrue(refused.body.contains("室应为 1–6 位字母或数字"))
            XCTAssertTrue(refused.body.contains("房东手机号应为 11 位"))
            // MUT
            let created = try await worker.post("/houses", ["grid": "320582-01-01-01", "building": "3", "unit": "2", "room": "501",
                                                            "address": "城北社区3幢2单元501室", "landlord": "王房东", "landlordPhone": "13900001111", "capacity": "4"])
            XCTAssertEqual(created.status, .seeOther)
            let path = try XCTUnwrap(created.location)
            let page = try await worker.get(path)
            XCTAssertTrue(page.body.contains("320582-01-01-01-3-2-501"))
            XCTAssertTrue(page.body.contains("139****1111"), "the landlord's number masked")
            // The QR code is an SVG of the declaration address for this house.
            let qr = try await worker.get(path + "/qr.svg")
            XCTAssertEqual(qr.status, .ok)
            XCTAssertEqual(qr.headers.contentType?.subType, "svg+xml")
            XCTAssertTrue(qr.body.hasPrefix("<svg") || qr.body.hasPrefix("<?xml"))
            let expected = try QRCode.encode("http://127.0.0.1:8080/me/residence?house=320582-01-01-01-3-2-501", correction: .medium).svg(moduleSize: 8)
            XCTAssertEqual(qr.body, expected)
            // A grid worker of another grid gets 404 on it.
            let hash = try ctx.app.password.hash("grid2pass123")
            let otherGrid = try await Jurisdiction.find(code: "320582-02-01-01", on: ctx.app.db)
            try await User(login: "grid.tq", passwordHash: hash, displayName: "塘桥网格员", role: .gridWorker, status: .active, jurisdictionID: otherGrid?.id, at: ctx.clock.now).create(on: ctx.app.db)
            let other = Browser(ctx.app)
            try await other.signIn("grid.tq", "grid2pass123")
            let outside = try await other.get(path)
            XCTAssertEqual(outside.status, .notFound)
            let outsideQR = try await other.get(path + "/qr.svg")
            XCTAssertEqual(outsideQR.status, .notFound)

            // The citizen who scans it finds the address filled in, and his declaration names the house.
            let citizen = try await ctx.signedIn("13800000001")
            try await citizen.get("/me/residence")
            try await citizen.post("/me/identity", ["name": "李明", "idNumber": ResidenceTests.idNumber()])
            let scanned = try await citizen.get("/me/residence?house=320582-01-01-01-3-2-501")
            XCTAssertTrue(scanned.body.contains(#"value="城北社区3幢2单元501室""#))
            XCTAssertTrue(scanned.body.contains(#"<option value="320582-01-01-01" selected>"#))
            try await citizen.post("/me/residence", ["address": "城北社区3幢2单元501室", "grid": "320582-01-01-01", "from": "2026-09-01", "house": "320582-01-01-01-3-2-501"])
            let tenants = try await worker.get(path)
            XCTAssertTrue(tenants.body.contains("李明"))
        }
    }
}

final class GridWorkerArrivalTests: XCTestCase {
    func testTheGridWorkerRegistersAnArrivalAndEndsItWhenThePersonLeaves() async throws {
        try await withApp(demo: true) { ctx in
            let worker = try await ctx.signedIn("grid.yangshe")
            try await worker.get("/houses/new")
            try await worker.post("/houses", ["grid": "320582-01-01-01", "building": "5", "unit": "1", "room": "201",
                                              "address": "城北社区5幢1单元201室", "landlord": "赵房东", "capacity": "3"])
            try await worker.get("/registrations")
            let number = ResidenceTests.idNumber("19881010", sequence: "051")
            // MUT: 人来登记
            let registered = try await worker.post("/registrations/arrival", ["name": "周强", "idNumber": number, "house": "320582-01-01-01-5-1-201", "from": "2026-09-01"])
            XCTAssertEqual(registered.status, .seeOther)
            let stored = try await ResidenceRegistration.query(on: ctx.app.db).with(\.$resident).first()!
            XCTAssertEqual(stored.status, .verified)
            XCTAssertEqual(stored.source, .gridWorker)
            XCTAssertEqual(stored.address, "城北社区5幢1单元201室")
            XCTAssertEqual(stored.resident.name, "周强")
            // the same person twice is refused while he still lives there
            try await worker.get("/registrations")
            let twice = try await worker.post("/registrations/arrival", ["name": "周强", "idNumber": number, "house": "320582-01-01-01-5-1-201", "from": "2026-09-10"])
            XCTAssertEqual(twice.status, .badRequest)
            XCTAssertTrue(twice.body.contains("未注销的居住登记"))
            // MUT: 人走注销
            try await worker.get("/registrations?status=verified")
            let ended = try await worker.post("/registrations/\(stored.id!.uuidString)/end", [:])
            XCTAssertEqual(ended.status, .seeOther)
            let after = try await ResidenceRegistration.find(stored.id, on: ctx.app.db)!
            XCTAssertEqual(after.toDate, CivilDate("2026-09-21"))
            // A citizen can declare by typing the house's address code: address and grid come from it.
            let citizen = try await ctx.signedIn("13800000001")
            try await citizen.get("/me/residence")
            try await citizen.post("/me/identity", ["name": "李明", "idNumber": ResidenceTests.idNumber()])
            let unknown = try await citizen.post("/me/residence", ["house": "320582-09-09-09-1-1-1", "address": "", "grid": "", "from": "2026-09-01"])
            XCTAssertEqual(unknown.status, .badRequest)
            XCTAssertTrue(unknown.body.contains("没有地址码为 320582-09-09-09-1-1-1 的出租房屋"))
            let declared = try await citizen.post("/me/residence", ["house": "320582-01-01-01-5-1-201", "address": "", "grid": "", "from": "2026-09-15"])
            XCTAssertEqual(declared.status, .seeOther)
            let mine = try await ResidenceRegistration.query(on: ctx.app.db).filter(\.$source == .selfDeclared).with(\.$jurisdiction).first()!
            XCTAssertEqual(mine.address, "城北社区5幢1单元201室")
            XCTAssertEqual(mine.jurisdiction.code, "320582-01-01-01")
            XCTAssertNotNil(mine.$rentalHouse.id)
        }
    }
}
