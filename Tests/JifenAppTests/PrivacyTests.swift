import Fluent
import FluentSQLiteDriver
@testable import JifenApp
import JifenCore
import SQLKit
import XCTVapor

/// What a window clerk does with ID numbers in a day: opens one in full, finds a person by his
/// number, opens and submits a points application for him; a citizen records his identity.
/// Returns the numbers that went through the site in clear.
func walkWithIDNumbers(_ ctx: TestContext) async throws -> [String] {
    let clerk = try await ctx.signedIn("clerk.yangshe")
    let list = try await clerk.get("/registrations")
    let links = Browser.allMatches(#"href="(/residents/[0-9A-Fa-f-]{36})""#, in: list.body)
    XCTAssertFalse(links.isEmpty, "the clerk's list links to residents")
    var numbers: [String] = []
    for link in Array(Set(links)).sorted() {
        let full = try await clerk.get(link + "?show=id")
        XCTAssertEqual(full.status, .ok)
        let number = try XCTUnwrap(Browser.firstMatch(#"<code class="id-number">([0-9X]{18})</code>"#, in: full.body), "the full number is shown")
        numbers.append(number)
        let found = try await clerk.post("/residents/lookup", ["idNumber": number])
        XCTAssertEqual(found.location, link, "the lookup finds the same person")
        try await clerk.get("/points/applications")
        let opened = try await clerk.post("/points/applications", ["idNumber": number])
        guard opened.status == .seeOther, let application = opened.location else { continue }  // he applied already this year
        try await clerk.get(application)
        let claimed = try await clerk.post(application + "/claims", ["item": "socialInsuranceMonths", "value": "36"])
        XCTAssertEqual(claimed.status, .seeOther)
        try await clerk.get(application)
        let submitted = try await clerk.post(application + "/submit", [:])
        XCTAssertEqual(submitted.status, .seeOther)
        break
    }
    let filed = try await PointsApplication.query(on: ctx.app.db).filter(\.$openedBy == "clerk.yangshe").filter(\.$status == .submitted).count()
    XCTAssertEqual(filed, 1, "the clerk filed one application")
    let citizenNumber = ResidenceTests.idNumber()
    _ = try await makeApplicant(ctx, idNumber: citizenNumber)
    return numbers + [citizenNumber]
}

final class PrivacyTests: XCTestCase {
    /// On whichever database the suite runs (SQLite or PostgreSQL): after a day's work with full
    /// numbers, no value of any table holds one in clear; and the scan finds one planted in a real
    /// row between a hex hash (`id_hash`) and plain text (`sex`).
    func testNoTableHoldsAnIDNumberInClearAndTheScanFindsOnePlanted() async throws {
        try await withApp(demo: true, residents: 200) { ctx in
            // setup
            let numbers = try await walkWithIDNumbers(ctx)
            XCTAssertGreaterThanOrEqual(numbers.count, 2)
            let viewed = try await AccessLogEntry.query(on: ctx.app.db).filter(\.$field == "idNumber").count()
            XCTAssertGreaterThanOrEqual(viewed, 1, "every full view is in the access log")
            let looked = try await AccessLogEntry.query(on: ctx.app.db).filter(\.$field == "idNumberLookup").count()
            XCTAssertGreaterThanOrEqual(looked, 2, "every lookup is in the access log")
            let sql = try XCTUnwrap(ctx.app.db as? any SQLDatabase)

            // MUT: read every value of every table
            let clean = try await PrivacyScan.scan(sql)

            // validate
            XCTAssertEqual(clean.findings, [], "values holding an ID number in clear")
            XCTAssertGreaterThan(clean.values, 10_000, "the demo's tables were there to scan")

            // The scan can fail: one resident's masked number replaced by a clear one.
            let victim = try await Resident.query(on: ctx.app.db).sort(\.$createdAt).first()!
            let planted = numbers[0]
            try await sql.update(Resident.schema).set("id_masked", to: planted).where("id", .equal, victim.requireID()).run()
            let dirty = try await PrivacyScan.scan(sql)
            XCTAssertEqual(dirty.findings, [PrivacyScan.Finding(place: "residents.id_masked", number: planted)])
        }
    }

}

final class PrivacyScannerTests: XCTestCase {
    override func setUpWithError() throws { try skipInThePostgresRun() }

    func testTheScannerFindsNumbersWhereverTheyStand() {
        XCTAssertEqual(PrivacyScan.validIDNumbers(in: "name=李明 id=11010519491231002X;"), ["11010519491231002X"])
        // Back to back with a hash and a word, as SQLite lays out a row.
        XCTAssertEqual(PrivacyScan.validIDNumbers(in: "9f3ab1c011010519491231002Xfemale"), ["11010519491231002X"])
        XCTAssertEqual(PrivacyScan.validIDNumbers(in: "5511010519491231002x"), ["11010519491231002X"], "a lower-case check letter")
        XCTAssertEqual(PrivacyScan.validIDNumbers(in: "110105194912310021"), [], "a wrong check digit is not a number")
        XCTAssertEqual(PrivacyScan.validIDNumbers(in: "110105********002X"), [], "a masked number is not one")
        // In a database's raw file only numbers standing alone count.
        XCTAssertEqual(PrivacyScan.standaloneIDNumbers(in: Array("ab11010519491231002Xcd".utf8)), [])
        XCTAssertEqual(PrivacyScan.standaloneIDNumbers(in: Array("\u{0}11010519491231002X\u{0}".utf8)), ["11010519491231002X"])
    }
}

/// Opens a SQLite file made by another process and hands its database to `body`.
func withSQLiteFile<T>(_ path: String, _ body: (any SQLDatabase) async throws -> T) async throws -> T {
    let app = try await Application.make(.testing)
    app.databases.use(.sqlite(.file(path)), as: .sqlite)
    do {
        let result = try await body(app.db as! any SQLDatabase)
        try await app.asyncShutdown()
        return result
    } catch {
        try? await app.asyncShutdown()
        throw error
    }
}
