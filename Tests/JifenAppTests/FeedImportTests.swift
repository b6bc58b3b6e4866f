import Crypto
import Fluent
import FluentSQLiteDriver
@testable import JifenApp
import JifenCore
import SQLKit
import XCTVapor

/// A distinct valid ID number for every n below 6,720,000.
func uniqueID(_ n: Int) -> String {
    let sequence = n % 1000, day = 1 + (n / 1000) % 28, month = 1 + (n / 28_000) % 12, year = 1970 + (n / 336_000) % 20
    let first17 = "341202" + String(format: "%04d%02d%02d%03d", year, month, day, sequence)
    return first17 + String(ResidentID.checkDigit(first17)!)
}

/// A social-insurance feed of `rows` rows; every 100th row has a bad month count.
func socialInsuranceFeed(rows: Int, months: Int = 36) -> String {
    var lines = ["身份证号码,姓名,累计缴费月数,截至日期"]
    lines.reserveCapacity(rows + 1)
    for n in 0..<rows {
        lines.append("\(uniqueID(n)),参保人\(n % 97),\(n % 100 == 99 ? "x" : String(months + n % 24)),2026-08-31")
    }
    return lines.joined(separator: "\r\n") + "\r\n"
}

final class FeedImportTests: XCTestCase {
    func testAHundredThousandRowsWithOnePercentBadAreTakenReportedAndIdempotent() async throws {
        try await withApp { ctx in
            let csv = socialInsuranceFeed(rows: 100_000)
            let now = ctx.clock.now, today = ShanghaiDate.today(now)
            // MUT
            let first = try await FeedImporter.run(kind: .socialInsurance, bytes: Array(csv.utf8), filename: "si.csv", by: .cli,
                                                   app: ctx.app, db: ctx.app.db, today: today, now: now)
            // validate: the good rows are in, each bad row reported by its line
            XCTAssertNil(first.headerProblem)
            XCTAssertEqual(first.rows, 100_000)
            XCTAssertEqual(first.added, 99_000)
            XCTAssertEqual(first.problems.count, 1_000)
            XCTAssertEqual(first.problems.first?.line, 101, "row n = 99 sits on line 101 (the header is line 1)")
            XCTAssertEqual(first.problems.last?.line, 100_001)
            XCTAssertTrue(first.problems.allSatisfy { $0.reason.contains("累计缴费月数") })
            let stored = try await FeedRecordModel.query(on: ctx.app.db).count()
            XCTAssertEqual(stored, 99_000)
            // the same file again changes nothing
            let second = try await FeedImporter.run(kind: .socialInsurance, bytes: Array(csv.utf8), filename: "si.csv", by: .cli,
                                                    app: ctx.app, db: ctx.app.db, today: today, now: now)
            XCTAssertEqual(second.added, 0)
            XCTAssertEqual(second.changed, 0)
            XCTAssertEqual(second.unchanged, 99_000)
            let again = try await FeedRecordModel.query(on: ctx.app.db).count()
            XCTAssertEqual(again, 99_000)
            // a newer month count for the same date updates the row
            let later = socialInsuranceFeed(rows: 10, months: 40)
            let third = try await FeedImporter.run(kind: .socialInsurance, bytes: Array(later.utf8), filename: "si2.csv", by: .cli,
                                                   app: ctx.app, db: ctx.app.db, today: today, now: now)
            XCTAssertEqual(third.changed, 10)
            XCTAssertEqual(third.unchanged, 0)
            XCTAssertEqual(third.problems.count, 0)
            let hash = ctx.app.personalData.lookupHash(uniqueID(3))
            let updated = try await FeedRecordModel.query(on: ctx.app.db).filter(\.$idHash == hash).all()
            XCTAssertEqual(updated.map(\.quantity), [4300], "row n = 3 of the later file: 40 + 3 months")
            let untouched = try await FeedRecordModel.query(on: ctx.app.db).filter(\.$idHash == ctx.app.personalData.lookupHash(uniqueID(10))).all()
            XCTAssertEqual(untouched.map(\.quantity), [4600], "row n = 10 is not in the later file: 36 + 10 months")
            // no ID number is stored in clear
            let sample = try await FeedRecordModel.query(on: ctx.app.db).first()!
            XCTAssertEqual(sample.idMasked.count, 18)
            XCTAssertTrue(sample.idMasked.contains("**********"))
            let imports = try await FeedImportModel.query(on: ctx.app.db).count()
            XCTAssertEqual(imports, 3)
        }
    }

    /// The keyed hash made from an already keyed HMAC is the HMAC of the message, message after
    /// message (each starts from the keyed state, none from the one before).
    func testKeyedHashesMatchAFreshHMACForEveryMessage() {
        let secret = (0..<32).map { UInt8($0 * 7 % 256) }
        let keys = Keys(secret: secret)
        let subkey = SymmetricKey(data: HMAC<SHA256>.authenticationCode(for: Data("id-lookup".utf8), using: SymmetricKey(data: secret)))
        for message in ["110105194912310021", "", "34120219800101001X", "张三", "110105194912310021"] {
            let expected = HMAC<SHA256>.authenticationCode(for: Data(message.utf8), using: subkey).map { String(format: "%02x", $0) }.joined()
            XCTAssertEqual(keys.mac("id-lookup", message), expected, message)
            XCTAssertEqual(keys.mac("rare-purpose", message).count, 64)
        }
    }

    /// The import writes SQLite values itself; they are what SQLite's encoder (Fluent's) makes.
    func testTheImportsSQLiteValuesAreTheEncodersValues() throws {
        let encoder = SQLiteDataEncoder()
        let ids = OrderedIDs(now: Date())
        for id in (0..<1_000).map({ ids.id($0) }) + (0..<1_000).map({ _ in UUID() }) + [UUID(uuid: (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0))] {
            XCTAssertEqual(try encoder.encode(id), FeedRows.sqliteData(id))
        }
        let day = CivilDate(year: 2026, month: 8, day: 31)!
        XCTAssertEqual(try encoder.encode(day), FeedRows.sqliteData(day))
        XCTAssertEqual(try encoder.encode(Int64(4_300)), .integer(4_300))
        XCTAssertEqual(try encoder.encode("3412**********0021"), .text("3412**********0021"))
    }

    /// On PostgreSQL the rows go in with `COPY`: its text of an instant is the instant PostgresNIO
    /// binds, to the microsecond, and a text with a tab, a newline or a backslash reads back as it was.
    func testTheImportsCopyTextIsWhatPostgreSQLReadsBack() async throws {
        guard TestDatabase.postgresURL != nil else { throw XCTSkip("PostgreSQL only") }
        try await withApp { ctx in
            let sql = ctx.app.db as! any SQLDatabase
            let instants = [1_790_000_000, 1_790_000_000.123456, 1_790_000_000.999999, 946_684_800, 946_684_799.5, 1_000_000.000001, 2_000_000_000.5]
                .map { Date(timeIntervalSince1970: $0) } + [Date()]
            for instant in instants {
                let text = FeedRows.copyTime(instant)
                let row = try await sql.raw("SELECT (\(bind: text))::timestamptz = \(bind: instant) AS same").first()
                XCTAssertEqual(try row?.decode(column: "same", as: Bool.self), true, "\(instant.timeIntervalSince1970) as \(text)")
            }
            let odd = "a\tb\nc\\d\re"
            let read = try await sql.raw("SELECT E'\(unsafeRaw: FeedRows.copyText(odd).replacingOccurrences(of: "'", with: "''"))' AS t").first()
            XCTAssertEqual(try read?.decode(column: "t", as: String.self), odd)
            XCTAssertEqual(FeedRows.copyText("3412**********0021"), "3412**********0021")
        }
    }

    /// Stored ids grow in the order they are made, in UUID version 7's layout.
    func testOrderedIDsGrowAndCarryVersionSeven() {
        let ids = OrderedIDs(now: Date(timeIntervalSince1970: 1_790_000_000))
        let made = (0..<1000).map { ids.id($0) }
        XCTAssertEqual(Set(made).count, 1000)
        for (a, b) in zip(made, made.dropFirst()) {
            XCTAssertTrue(withUnsafeBytes(of: a.uuid) { x in withUnsafeBytes(of: b.uuid) { y in x.lexicographicallyPrecedes(y) } }, "\(a) before \(b)")
        }
        XCTAssertEqual(made[0].uuidString.dropFirst(14).first, "7", "version 7")
        XCTAssertTrue("89AB".contains(made[0].uuidString.dropFirst(19).first!), "RFC 4122 variant")
        let milliseconds = withUnsafeBytes(of: made[0].uuid) { $0.prefix(6).reduce(UInt64(0)) { $0 << 8 | UInt64($1) } }
        XCTAssertEqual(milliseconds, 1_790_000_000_000)
    }

    /// The fixed GB18030 and UTF-8 files of the core's fixtures (made by Python's codec, with
    /// four-byte characters in the names): see Tests/JifenCoreTests/Fixtures/feeds/README.md.
    func testAGB18030FileImportsTheSameAsItsUTF8Twin() async throws {
        let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("JifenCoreTests/Fixtures/feeds")
        let gb = [UInt8](try Data(contentsOf: folder.appendingPathComponent("social-insurance-gb18030.csv")))
        let utf8 = [UInt8](try Data(contentsOf: folder.appendingPathComponent("social-insurance-utf8.csv")))
        try await withApp { ctx in
            let now = ctx.clock.now, today = ShanghaiDate.today(now)
            // MUT
            let fromGB = try await FeedImporter.run(kind: .socialInsurance, bytes: gb, filename: "gb.csv", by: .cli, app: ctx.app, db: ctx.app.db, today: today, now: now)
            // validate
            XCTAssertEqual(fromGB.encoding, "GB18030")
            XCTAssertEqual(fromGB.added, 2)
            XCTAssertEqual(fromGB.problems.count, 0)
            // The UTF-8 twin (with a BOM, as Excel writes "CSV UTF-8") finds every row already there, unchanged.
            let fromUTF8 = try await FeedImporter.run(kind: .socialInsurance, bytes: [0xEF, 0xBB, 0xBF] + utf8, filename: "utf8.csv", by: .cli,
                                                      app: ctx.app, db: ctx.app.db, today: today, now: now)
            XCTAssertEqual(fromUTF8.encoding, "UTF-8")
            XCTAssertEqual(fromUTF8.added, 0)
            XCTAssertEqual(fromUTF8.changed, 0)
            XCTAssertEqual(fromUTF8.unchanged, 2)
        }
    }

    func testAWrongHeaderImportsNothing() async throws {
        try await withApp { ctx in
            let summary = try await FeedImporter.run(kind: .tax, bytes: Array(socialInsuranceFeed(rows: 3).utf8), filename: "x.csv", by: .cli,
                                                     app: ctx.app, db: ctx.app.db, today: ShanghaiDate.today(ctx.clock.now), now: ctx.clock.now)
            XCTAssertTrue(summary.headerProblem?.contains("纳税金额（元）") == true)
            let count = try await FeedRecordModel.query(on: ctx.app.db).count()
            XCTAssertEqual(count, 0)
        }
    }
}

final class FeedUploadTests: XCTestCase {
    func testAReviewerUploadsHisDepartmentsFeedAndFollowsItsProgress() async throws {
        try await withApp(demo: true) { ctx in
            let reviewer = try await ctx.signedIn("reviewer.hrss")
            let page = try await reviewer.get("/feeds")
            XCTAssertTrue(page.body.contains(#"<option value="socialInsurance""#))
            XCTAssertFalse(page.body.contains(#"<option value="tax""#), "another department's feed is not offered")
            let csv = socialInsuranceFeed(rows: 250)
            // Another department's feed is refused beside the field.
            let wrong = try await reviewer.upload("/feeds", fields: ["feed": "tax"], file: (name: "file", filename: "tax.csv", contents: csv))
            XCTAssertEqual(wrong.status, .badRequest)
            XCTAssertTrue(wrong.body.contains("请选择数据类型"))
            // MUT: upload, then the worker runs it
            try await reviewer.get("/feeds")
            let queued = try await reviewer.upload("/feeds", fields: ["feed": "socialInsurance"], file: (name: "file", filename: "社保2026-08.csv", contents: csv))
            XCTAssertEqual(queued.status, .seeOther)
            let jobPath = try XCTUnwrap(queued.location)
            let waiting = try await reviewer.get(jobPath)
            XCTAssertTrue(waiting.body.contains("排队中"))
            XCTAssertEqual(waiting.headers.first(name: "Refresh"), "2", "the page reloads itself while the job runs")
            let ran = try await JobWorker.runOnce(ctx.app)
            XCTAssertEqual(ran, .done)
            let idle = try await JobWorker.runOnce(ctx.app)
            XCTAssertEqual(idle, .idle, "nothing left to claim")
            // validate
            let done = try await reviewer.get(jobPath)
            XCTAssertTrue(done.body.contains("已完成"))
            XCTAssertNil(done.headers.first(name: "Refresh"))
            XCTAssertTrue(done.body.contains(#"<dd id="job-added">248</dd>"#))
            XCTAssertTrue(done.body.contains("行 101：累计缴费月数"), "each refused row by line")
            XCTAssertTrue(done.body.contains("进度 248/248"), "progress counts the good rows")
            let stored = try await FeedRecordModel.query(on: ctx.app.db).count()
            XCTAssertEqual(stored, 248)
            // Someone else's job is not shown, not even to a colleague of the same department;
            // an education officer may not import at all.
            let colleague = try await makeReviewer(ctx, login: "reviewer.hrss2", department: "hrss")
            let notHis = try await colleague.get(jobPath)
            XCTAssertEqual(notHis.status, .notFound)
            // (not the bare "248": the 404 page carries random tokens that may hold those digits)
            XCTAssertFalse(notHis.body.contains("job-added") || notHis.body.contains("248/248") || notHis.body.contains(">248<"))
            let taxReviewer = try await makeReviewer(ctx, login: "reviewer.tax2", department: "tax")
            let otherDepartment = try await taxReviewer.get(jobPath)
            XCTAssertEqual(otherDepartment.status, .notFound)
            let other = try await ctx.signedIn("edu")
            let forbidden = try await other.get("/feeds")
            XCTAssertEqual(forbidden.status, .forbidden)
            let admin = try await ctx.signedIn("admin")
            let adminView = try await admin.get(jobPath)
            XCTAssertEqual(adminView.status, .ok)
        }
    }
}

final class JobOutcomeTests: XCTestCase {
    /// A job that ends badly is reported as failed, whether it fails itself (a file with another
    /// feed's header) or throws (its stored file is gone).
    func testAFailedImportIsReportedAsFailed() async throws {
        try await withApp(demo: true) { ctx in
            // setup
            let reviewer = try await ctx.signedIn("reviewer.hrss")
            try await reviewer.get("/feeds")
            let taxLayout = "身份证号码,姓名,纳税金额（元）,截至日期\n\(uniqueID(1)),某人,1200.00,2026-08-31\n"
            let queued = try await reviewer.upload("/feeds", fields: ["feed": "socialInsurance"], file: (name: "file", filename: "wrong.csv", contents: taxLayout))
            XCTAssertEqual(queued.status, .seeOther)
            let jobPath = try XCTUnwrap(queued.location)
            // MUT
            let first = try await JobWorker.runOnce(ctx.app)
            // validate
            XCTAssertEqual(first, .failed)
            let page = try await reviewer.get(jobPath)
            XCTAssertTrue(page.body.contains("失败"), "the page says it failed")
            XCTAssertTrue(page.body.contains("累计缴费月数"), "and which columns were expected")
            let stored = try await FeedRecordModel.query(on: ctx.app.db).count()
            XCTAssertEqual(stored, 0)

            // A job whose file is missing throws; it is failed too, with the reason kept.
            let lost = Job()
            lost.createdAt = ctx.clock.now
            lost.kind = FeedImportJob.kind
            lost.status = .queued
            lost.done = 0
            lost.total = 0
            lost.createdBy = "reviewer.hrss"
            lost.payload = .feedImport(.init(feed: "socialInsurance", file: "no-such-file", filename: "gone.csv", actorID: nil, actorLogin: "reviewer.hrss"))
            try await lost.create(on: ctx.app.db)
            let second = try await JobWorker.runOnce(ctx.app)
            XCTAssertEqual(second, .failed)
            let after = try await Job.find(lost.id, on: ctx.app.db)
            XCTAssertEqual(after?.status, .failed)
            XCTAssertTrue(after?.error?.contains("feed file missing") == true, after?.error ?? "")
            let idle = try await JobWorker.runOnce(ctx.app)
            XCTAssertEqual(idle, .idle)
        }
    }
}

final class WorkerCommandTests: XCTestCase {
    override func setUpWithError() throws { try skipInThePostgresRun() }

    func testTheWorkerCommandRunsWhatIsQueuedAndStops() async throws {
        let directory = try makeTemporaryDirectory("jifen-worker")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        // setup: a database with one queued import (made with the demo key, as `jifen demo` would)
        XCTAssertEqual(try runJifen(["demo"], environment: ["JIFEN_DATA_DIR": directory, "JIFEN_BCRYPT_COST": "4"]).status, 0)
        let csv = socialInsuranceFeed(rows: 120)
        // The upload as the web stores it: sealed with the demo's key, named by a keyed hash.
        let config = try AppConfig.load(environment: ["JIFEN_DATA_DIR": directory], demo: true)
        let data = PersonalData(keys: Keys(secret: config.secretKey))
        let name = data.keys.mac("stored-file", "queued-feed")
        try FileManager.default.createDirectory(atPath: directory + "/uploads", withIntermediateDirectories: true)
        let sealed = try AES.GCM.seal(Data(csv.utf8), using: data.encryptionKey).combined!
        FileManager.default.createFile(atPath: directory + "/uploads/" + name, contents: sealed)
        /// Queues an import as the web does (a row in `jobs`), written by another SQLite client.
        func queue(_ payload: String) throws {
            let sqlite = Process()
            sqlite.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            sqlite.arguments = ["python3", "-c", """
            import sqlite3, uuid, sys
            c = sqlite3.connect(sys.argv[1])
            c.execute("insert into jobs (id, created_at, kind, status, payload, done, total, created_by) values (?, 1790000000.0, 'feedImport', 'queued', ?, 0, 0, 'admin')", (str(uuid.uuid4()).upper(), sys.argv[2]))
            c.commit()
            """, directory + "/jifen.sqlite", payload]
            try sqlite.run()
            sqlite.waitUntilExit()
            XCTAssertEqual(sqlite.terminationStatus, 0)
        }
        /// `jifen worker --once`: its exit status and what it printed.
        func work() throws -> (Int32, String) {
            let (status, output, _) = try runJifen(["worker", "--once", "--demo"], environment: ["JIFEN_DATA_DIR": directory])
            return (status, output)
        }
        try queue(#"{"feedImport":{"feed":"socialInsurance","file":"\#(name)","filename":"q.csv","actorLogin":"admin"}}"#)
        // MUT
        let (status, text) = try work()
        // validate
        XCTAssertEqual(status, 0, text)
        XCTAssertTrue(text.contains("jobs run 1"), text)
        XCTAssertTrue(text.contains("jobs failed 0"), text)

        // A queued import whose file is gone: the worker says it failed and exits with an error.
        try queue(#"{"feedImport":{"feed":"socialInsurance","file":"no-such-file","filename":"gone.csv","actorLogin":"admin"}}"#)
        let (status2, text2) = try work()
        XCTAssertNotEqual(status2, 0, text2)
        XCTAssertTrue(text2.contains("jobs run 1"), text2)
        XCTAssertTrue(text2.contains("jobs failed 1"), text2)
    }
}
