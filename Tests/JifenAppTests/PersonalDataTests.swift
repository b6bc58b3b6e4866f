import Fluent
import Foundation
@testable import JifenApp
import JifenCore
import SQLKit
import XCTVapor

/// What staff see of a person, what is logged when they see more, and who reads that log.
final class PersonalDataTests: XCTestCase {
    /// The residents with a registration in `login`'s jurisdiction.
    func residents(seenBy login: String, _ ctx: TestContext) async throws -> [Resident] {
        let user = try await User.find(login: login, on: ctx.app.db)!
        let place = try await Jurisdiction.find(user.$jurisdiction.id, on: ctx.app.db)!
        let ids = try await Jurisdiction.within(place.jurisdictionCode!, on: ctx.app.db).all().compactMap(\.id)
        let registrations = try await ResidenceRegistration.query(on: ctx.app.db).filter(\.$jurisdiction.$id ~~ ids).with(\.$resident).all()
        var seen = Set<UUID>()
        return registrations.map(\.resident).filter { seen.insert($0.id!).inserted }
    }

    /// A grid worker may not see a full ID: the page shows the masked number with the birth year and
    /// the province only — not the birth date and hukou county that would complete the 18 characters.
    func testWithoutTheFullIDRightAPageShowsBirthYearAndProvinceOnly() async throws {
        try await withApp(demo: true, residents: 40) { ctx in
            let worker = try await ctx.signedIn("grid.yangshe")
            let seenByWorker = try await residents(seenBy: "grid.yangshe", ctx)
            let resident = try XCTUnwrap(seenByWorker.first)
            let page = try await worker.get("/residents/\(resident.requireID())?show=id")
            XCTAssertEqual(page.status, .ok)
            XCTAssertTrue(page.body.contains(resident.idMasked))
            XCTAssertFalse(page.body.contains(resident.birthDate.description), "no full birth date")
            XCTAssertTrue(page.body.contains("\(resident.birthDate.year) 年"))
            let regions = ctx.app.regions
            let province = try XCTUnwrap(regions.name(String(resident.hukouRegion.prefix(2)) + "0000"))
            XCTAssertTrue(page.body.contains(province))
            if let county = regions.name(resident.hukouRegion), county != province {
                XCTAssertFalse(page.body.contains(">" + (regions.place(resident.hukouRegion) ?? county) + "<"), "no hukou county")
            }
            let logged = try await AccessLogEntry.query(on: ctx.app.db).count()
            XCTAssertEqual(logged, 0, "nothing was revealed, nothing logged")

            // A window clerk who asks for the full number sees it all, and that view is logged.
            let clerk = try await ctx.signedIn("clerk.yangshe")
            let seenByClerk = try await residents(seenBy: "clerk.yangshe", ctx)
            let clerkResident = try XCTUnwrap(seenByClerk.first)
            let full = try await clerk.get("/residents/\(clerkResident.requireID())?show=id")
            XCTAssertTrue(full.body.contains(clerkResident.birthDate.description))
            let fieldLogged = try await AccessLogEntry.query(on: ctx.app.db).filter(\.$field == "idNumber").count()
            XCTAssertEqual(fieldLogged, 1)
        }
    }

    /// A clerk who opens the page of a parent sees the children (masked name, birth year) and
    /// the view is logged; the auditor reads the log on a page, filters it and downloads it.
    func testAMinorsRecordIsLoggedAndTheAuditorReadsTheLog() async throws {
        try await withApp(demo: true, residents: 20) { ctx in
            let withChild = try await Resident.query(on: ctx.app.db).first()!
            let first17 = "32058220180512302"
            let childID = try ResidentID.validate(first17 + String(ResidentID.checkDigit(first17)!), today: ShanghaiDate.today(ctx.clock.now), regions: ctx.app.regions).get()
            let child = try HouseholdMember(.child, name: "王小宝", id: childID, of: withChild.requireID(), data: ctx.app.personalData, at: ctx.clock.now)
            try await child.create(on: ctx.app.db)
            // The parent lives in 杨舍镇 (where the clerk works), registered and verified.
            try await verifiedRegistration(ctx, of: withChild, address: "城北社区 8 幢 101 室", from: "2024-03-01")
            let clerk = try await ctx.signedIn("clerk.yangshe")
            let page = try await clerk.get("/residents/\(withChild.requireID())")
            XCTAssertTrue(page.body.contains("data-members"))
            XCTAssertTrue(page.body.contains(child.nameMasked))
            XCTAssertFalse(page.body.contains(child.birthDate.description), "the birth year only")
            let entries = try await AccessLogEntry.query(on: ctx.app.db).filter(\.$field == "minorMembers").all()
            XCTAssertEqual(entries.map(\.actorLogin), ["clerk.yangshe"])
            XCTAssertEqual(entries.first?.entityID, try withChild.requireID().uuidString)

            let auditor = try await ctx.signedIn("auditor")
            let log = try await auditor.get("/audit/access")
            XCTAssertEqual(log.status, .ok)
            XCTAssertTrue(log.body.contains("clerk.yangshe"))
            XCTAssertTrue(log.body.contains(#"data-label="查看内容">未成年人信息<"#))
            let filtered = try await auditor.get("/audit/access?field=idNumber")
            XCTAssertFalse(filtered.body.contains(#"data-label="查看内容">未成年人信息<"#), "filtered to full-ID views: none")
            let csv = try await auditor.get("/audit/access?field=minorMembers&format=csv")
            XCTAssertEqual(csv.headers.contentType?.subType, "csv")
            XCTAssertTrue(csv.body.contains("clerk.yangshe"))
            XCTAssertTrue(csv.body.contains(try withChild.requireID().uuidString))
            let bad = try await auditor.get("/audit/access?from=2026-13-01")
            XCTAssertEqual(bad.status, .badRequest)
            let exported = try await AuditEntry.query(on: ctx.app.db).filter(\.$action == "exportAccessLog").count()
            XCTAssertEqual(exported, 1, "the download itself is audited")
            let refused = try await clerk.get("/audit/access")
            XCTAssertEqual(refused.status, .forbidden)
        }
    }

    /// A cell a spreadsheet would run (`=HYPERLINK(…)` typed into a public questionnaire) is
    /// exported as text; numbers, negative ones too, stay numbers.
    func testExportsNeutraliseFormulaCells() {
        let bytes = CSVExport.bytes(header: ["答案", "分值"], rows: [
            ["=HYPERLINK(\"http://evil.example\",\"点我\")", "-5"], ["+1+1", "+0.5"], ["@SUM(A1)", "12"], ["-2-3", "-"], ["\tx", "普通文字"],
        ])
        let text = String(decoding: bytes.dropFirst(3), as: UTF8.self)
        let lines = text.components(separatedBy: "\r\n")
        XCTAssertEqual(lines[1], "\"'=HYPERLINK(\"\"http://evil.example\"\",\"\"点我\"\")\",-5")
        XCTAssertEqual(lines[2], "'+1+1,+0.5")
        XCTAssertEqual(lines[3], "'@SUM(A1),12")
        XCTAssertEqual(lines[4], "'-2-3,'-")
        XCTAssertEqual(lines[5], "'\tx,普通文字")
    }
}

/// PIPL Art. 44–45: a citizen downloads everything Jifen holds about him.
final class MyDataTests: XCTestCase {
    /// The tables of the database that have `column`, found from the database's own catalogue, so a
    /// table added later is checked without this test knowing it.
    func tables(with column: String, _ ctx: TestContext) async throws -> [String] {
        let sql = ctx.app.db as! any SQLDatabase
        struct Name: Decodable { let name: String }
        if sql.dialect.name == "postgresql" {
            return try await sql.raw("SELECT table_name AS name FROM information_schema.columns WHERE table_schema = current_schema() AND column_name = \(bind: column)")
                .all(decoding: Name.self).map(\.name)
        }
        let all = try await sql.raw("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'").all(decoding: Name.self).map(\.name)
        var found: [String] = []
        for table in all {
            let columns = try await sql.raw("SELECT name FROM pragma_table_info(\(bind: table))").all(decoding: Name.self).map(\.name)
            if columns.contains(column) { found.append(table) }
        }
        return found
    }

    func testACitizenDownloadsEveryRecordTheDatabaseHoldsAboutHim() async throws {
        try await withApp(demo: true) { ctx in
            let idNumber = ResidenceTests.idNumber()
            let (citizen, resident) = try await makeApplicant(ctx, idNumber: idNumber)
            // A points application with a claim, a child, an application to a program.
            try await citizen.get("/me/points")
            _ = try await citizen.post("/me/points", [:])
            let application = try await PointsApplication.query(on: ctx.app.db).filter(\.$resident.$id == resident.requireID()).first()
            XCTAssertNotNil(application)
            try await citizen.get("/me/residence")
            let childNumber = ProgramsTests.id("341202", "20200315", "221")
            _ = try await citizen.post("/me/household", ["relation": "child", "name": "李小明", "idNumber": childNumber, "evidence": "birthCertificate"])

            let download = try await citizen.get("/me/data.json")
            XCTAssertEqual(download.status, .ok)
            XCTAssertEqual(download.headers.contentType, .json)
            let document = try JSONDecoder().decode([String: [[String: String]]].self, from: Data(download.body.utf8))
            let user = try await User.find(login: "13800000001", on: ctx.app.db)!
            let sql = ctx.app.db as! any SQLDatabase
            struct Row: Decodable { let id: UUID }
            // Every row of every table that points at him as a resident, or at his account.
            for (column, owner) in [("resident_id", try resident.requireID()), ("user_id", try user.requireID())] {
                for table in try await tables(with: column, ctx) {
                    let rows = try await sql.raw("SELECT id FROM \(ident: table) WHERE \(ident: column) = \(bind: owner)").all(decoding: Row.self)
                    let exported = Set((document[table] ?? []).compactMap { $0["id"] })
                    for row in rows {
                        XCTAssertTrue(exported.contains(row.id.uuidString), "\(table) row \(row.id) (by \(column)) is in the download")
                    }
                }
            }
            XCTAssertEqual(document["residents"]?.first?["id"], try resident.requireID().uuidString)
            XCTAssertEqual(document["residents"]?.first?["id_number"], idNumber, "sealed values are opened, not copied")
            XCTAssertNil(document["residents"]?.first?["id_sealed"])
            XCTAssertTrue(download.body.contains(idNumber), "his own ID number, in clear: it is his")
            XCTAssertTrue(download.body.contains(childNumber), "and his child's")
            XCTAssertEqual(document["points_applications"]?.count, 1)
            XCTAssertEqual(document["household_members"]?.count, 1)
            XCTAssertFalse(download.body.contains(user.passwordHash), "no password hash")
            XCTAssertFalse(download.body.contains("password_hash"))
            let logged = try await AccessLogEntry.query(on: ctx.app.db).filter(\.$field == "selfExport").count()
            XCTAssertEqual(logged, 1)
            let page = try await citizen.get("/me/data")
            XCTAssertEqual(page.status, .ok)
            XCTAssertTrue(page.body.contains(#"data-section="residence_registrations""#))
            // Someone else's download does not carry his records.
            let other = try await ctx.signedIn("admin")
            let refused = try await other.get("/me/data.json")
            XCTAssertEqual(refused.status, .forbidden)
        }
    }
}
