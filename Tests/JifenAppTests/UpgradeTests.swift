import Fluent
@testable import JifenApp
import JifenCore
import SQLKit
import XCTVapor

/// A database made by the version of 2026-12-01 (Fixtures/upgrade, see its README) opens with the
/// current code, migrates, and keeps every record, readable as before.
final class UpgradeTests: XCTestCase {
    override func setUpWithError() throws { try skipInThePostgresRun() }

    struct Manifest: Decodable {
        let rows: [String: Int]
        let program, corrected: String
    }

    func testADatabaseOfTheDecember2026VersionUpgradesWithEveryRecordIntact() async throws {
        // setup: a copy of the fixture, opened with its own key, on the day it was made
        let fixture = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures/upgrade")
        let manifest = try JSONDecoder().decode(Manifest.self, from: Data(contentsOf: fixture.appendingPathComponent("manifest.json")))
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("jifen-upgrade-" + UUID().uuidString).path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        for file in ["jifen.sqlite", "demo-secret.key"] {
            try FileManager.default.copyItem(atPath: fixture.appendingPathComponent(file).path, toPath: directory + "/" + file)
        }
        // What the old version stored as text, read before anything migrates.
        struct OldRanking: Decodable { let number: String; let preferences: String; let preferences2: String? }
        let oldRankings = try await withSQLiteFile(directory + "/jifen.sqlite") { sql in
            try await sql.raw("SELECT number, preferences, preferences2 FROM service_applications").all(decoding: OldRanking.self)
        }
        XCTAssertEqual(oldRankings.count, manifest.rows["service_applications"])
        // A text the old version wrote and never delivered (it had no delivery).
        try await withSQLiteFile(directory + "/jifen.sqlite") { sql in
            try await sql.raw("""
                INSERT INTO outbox_messages (id, created_at, channel, recipient, kind, body)
                VALUES (\(bind: UUID()), \(bind: Date(timeIntervalSince1970: 1_780_000_000)), 'sms', '13900000099', 'pointsItemDecided', '旧短信')
                """).run()
        }
        struct OldRound: Decodable { let round: Int; let corrections: String }
        let oldCorrections = try await withSQLiteFile(directory + "/jifen.sqlite") { sql in
            try await sql.raw("SELECT round, corrections FROM allocation_rounds WHERE corrections <> ''").all(decoding: OldRound.self)
        }
        XCTAssertEqual(oldCorrections.count, 1, "the fixture's round with a correction")
        struct OldResult: Decodable { let id: UUID; let result: String }
        let oldResults = try await withSQLiteFile(directory + "/jifen.sqlite") { sql in
            try await sql.raw("SELECT id, result FROM allocation_rounds").all(decoding: OldResult.self)
        }
        // Every civil date the old version kept as text, by table, column and row.
        struct OldDate: Decodable { let id: UUID; let value: String? }
        var oldDates: [String: [UUID: String?]] = [:]
        for (table, column) in DateColumns.columns {
            let rows = try await withSQLiteFile(directory + "/jifen.sqlite") { sql in
                try await sql.raw("SELECT id, \(ident: column) AS value FROM \(ident: table)").all(decoding: OldDate.self)
            }
            oldDates[table + "." + column] = Dictionary(uniqueKeysWithValues: rows.map { ($0.id, $0.value) })
        }
        XCTAssertGreaterThan(oldDates.values.map { $0.values.compactMap { $0 }.count }.reduce(0, +), 6000, "the fixture has dates to keep")
        // The JSON documents it kept as text: audit snapshots, survey answers, the feed job.
        struct OldAudit: Decodable { let id: UUID; let before: String?; let after: String? }
        let oldAudit = try await withSQLiteFile(directory + "/jifen.sqlite") { sql in
            try await sql.raw("SELECT id, before, after FROM audit_entries").all(decoding: OldAudit.self)
        }
        struct OldAnswer: Decodable { let id: UUID; let answers: String }
        let oldAnswers = try await withSQLiteFile(directory + "/jifen.sqlite") { sql in
            try await sql.raw("SELECT id, answers FROM survey_answers").all(decoding: OldAnswer.self)
        }
        struct OldJob: Decodable { let id: UUID; let payload: String; let result: String? }
        let oldJobs = try await withSQLiteFile(directory + "/jifen.sqlite") { sql in
            try await sql.raw("SELECT id, payload, result FROM jobs").all(decoding: OldJob.self)
        }
        // The short lists it kept as joined text.
        struct OldTiebreak: Decodable { let code: String; let tiebreak: String; let min_residence_years: Int }
        let oldTiebreaks = try await withSQLiteFile(directory + "/jifen.sqlite") { sql in
            try await sql.raw("SELECT code, tiebreak, min_residence_years FROM programs").all(decoding: OldTiebreak.self)
        }
        struct OldValues: Decodable { let number: String; let tiebreak_values: String? }
        let oldValues = try await withSQLiteFile(directory + "/jifen.sqlite") { sql in
            try await sql.raw("SELECT number, tiebreak_values FROM service_applications").all(decoding: OldValues.self)
        }
        struct OldTopics: Decodable { let code: String; let topics: String }
        let oldTopics = try await withSQLiteFile(directory + "/jifen.sqlite") { sql in
            try await sql.raw("SELECT code, topics FROM consultations").all(decoding: OldTopics.self)
        }
        // A permit's steps and an import's refused rows, kept as joined text.
        struct OldHistory: Decodable { let number: String; let history: String }
        let oldHistories = try await withSQLiteFile(directory + "/jifen.sqlite") { sql in
            try await sql.raw("SELECT number, history FROM residence_permits").all(decoding: OldHistory.self)
        }
        struct OldProblems: Decodable { let sha256: String; let problems: String }
        let oldProblems = try await withSQLiteFile(directory + "/jifen.sqlite") { sql in
            try await sql.raw("SELECT sha256, problems FROM feed_imports").all(decoding: OldProblems.self)
        }
        let config = try AppConfig.load(environment: ["JIFEN_DATA_DIR": directory, "JIFEN_BCRYPT_COST": "4", "JIFEN_LOG_LEVEL": "warning"], demo: true)
        let day = Date(timeIntervalSince1970: 1_796_104_800)  // 2026-12-01 14:00 in Shanghai
        let effects = Effects(now: { day }, randomBytes: { n in (0..<n).map { _ in UInt8.random(in: 0...255) } }, notifier: RecordingNotifier())
        let app = try await Application.make(.testing)
        do {
            try await configure(app, config: config, effects: effects)

            // MUT
            try await prepareDatabase(app)

            // validate: every table of the old version holds as many rows as it did
            let sql = app.db as! any SQLDatabase
            struct Count: Decodable { let n: Int }
            for (table, rows) in manifest.rows.sorted(by: { $0.key < $1.key }) where table != "_fluent_migrations" {
                let now = try await sql.raw("SELECT count(*) AS n FROM \(ident: table)").first(decoding: Count.self)?.n
                XCTAssertEqual(now, rows + (table == "outbox_messages" ? 1 : 0), "rows of \(table)")
            }
            // Every date reads back as the same day, as a date, through the database and the models.
            struct NewDate: Decodable { let id: UUID; let value: CivilDate? }
            for (table, column) in DateColumns.columns {
                let rows = try await sql.raw("SELECT id, \(ident: column) AS value FROM \(ident: table)").all(decoding: NewDate.self)
                let old = try XCTUnwrap(oldDates[table + "." + column])
                XCTAssertEqual(rows.count, old.count, "\(table).\(column)")
                for row in rows { XCTAssertEqual(row.value?.description, old[row.id] ?? nil, "\(table).\(column) of \(row.id)") }
            }
            let programs = try await Program.query(on: app.db).all()
            for program in programs {
                XCTAssertEqual(program.opens.description, oldDates["programs.opens"]?[program.id!] ?? nil)
                XCTAssertEqual(program.ageCutoff.description, oldDates["programs.age_cutoff"]?[program.id!] ?? nil)
            }
            let permits = try await ResidencePermit.query(on: app.db).filter(\.$validUntil != nil).all()
            XCTAssertFalse(permits.isEmpty)
            for permit in permits { XCTAssertEqual(permit.validUntil?.description, oldDates["residence_permits.valid_until"]?[permit.id!] ?? nil) }
            // Audit snapshots, survey answers and the job's documents read back as the same values.
            let audit = Dictionary(uniqueKeysWithValues: try await AuditEntry.query(on: app.db).all().map { ($0.id!, $0) })
            func snapshot(_ text: String?) throws -> [String: String]? { try text.map { try JSONDecoder().decode([String: String].self, from: Data($0.utf8)) } }
            XCTAssertGreaterThan(oldAudit.filter { $0.after != nil }.count, 500)
            for old in oldAudit {
                let entry = try XCTUnwrap(audit[old.id])
                XCTAssertEqual(entry.before, try snapshot(old.before), "audit \(old.id)")
                XCTAssertEqual(entry.after, try snapshot(old.after), "audit \(old.id)")
            }
            struct Stored: Decodable { let choices: [[Int]]; let texts: [String] }
            let answers = Dictionary(uniqueKeysWithValues: try await SurveyAnswer.query(on: app.db).all().map { ($0.id!, $0) })
            XCTAssertEqual(answers.count, oldAnswers.count)
            for old in oldAnswers {
                let stored = try JSONDecoder().decode(Stored.self, from: Data(old.answers.utf8))
                XCTAssertEqual(answers[old.id]?.answers.choices, stored.choices)
                XCTAssertEqual(answers[old.id]?.answers.texts, stored.texts)
            }
            let oldJob = try XCTUnwrap(oldJobs.first)
            let oldPayload = try XCTUnwrap(try snapshot(oldJob.payload))
            let oldResult = try XCTUnwrap(try snapshot(oldJob.result))
            let job = try await Job.find(oldJob.id, on: app.db)
            let payload = try XCTUnwrap(job?.payload.feedImport)
            XCTAssertEqual(payload.filename, oldPayload["filename"])
            XCTAssertEqual(payload.file, oldPayload["file"])
            let result = try XCTUnwrap(job?.result?.feedImport)
            XCTAssertEqual(result.added, Int(oldResult["added"] ?? ""))
            XCTAssertEqual(result.rows, Int(oldResult["rows"] ?? ""))
            XCTAssertEqual(result.refused, Int(oldResult["refused"] ?? ""))
            XCTAssertEqual(result.problems.map { "\($0.line)\t\($0.reason)" }, (oldResult["problems"] ?? "").split(separator: "\n").map(String.init))
            // Tie-break categories, frozen tie-break points and topics read back as lists.
            for old in oldTiebreaks {
                let program = try await Program.query(on: app.db).filter(\.$code == old.code).first()
                XCTAssertEqual(program?.tiebreak, old.tiebreak.split(separator: ",").map(String.init))
                // Years of residence became months; the quotas stay due 30 days before the deadline.
                XCTAssertEqual(program?.minResidenceMonths, old.min_residence_years * 12, old.code)
                XCTAssertEqual(program?.rules.quotaTiming, .beforeDeadline(days: 30), old.code)
                XCTAssertEqual(program?.spouses, .either, old.code)
            }
            XCTAssertTrue(oldTiebreaks.contains { $0.min_residence_years > 0 }, "the fixture has a residence condition")
            XCTAssertGreaterThan(oldValues.filter { $0.tiebreak_values != nil }.count, 300, "the fixture has frozen tie-break points")
            let frozen = Dictionary(uniqueKeysWithValues: try await ServiceApplication.query(on: app.db).all().map { ($0.number, $0.tiebreakPoints) })
            for old in oldValues {
                XCTAssertEqual(frozen[old.number] ?? nil, old.tiebreak_values.map { $0.split(separator: ",").map { Points(parsing: String($0))!.hundredths } }, old.number)
            }
            for old in oldTopics {
                let consultation = try await Consultation.query(on: app.db).filter(\.$code == old.code).first()
                XCTAssertEqual(consultation?.topics, old.topics.split(separator: "\n").map(String.init))
            }
            // Each permit's steps and each import's refused rows are rows, in their order.
            let permitsWithSteps = Dictionary(uniqueKeysWithValues: try await ResidencePermit.query(on: app.db).with(\.$steps).all().map { ($0.number, $0) })
            XCTAssertEqual(permitsWithSteps.count, oldHistories.count)
            for old in oldHistories {
                XCTAssertEqual(permitsWithSteps[old.number]?.orderedSteps.map { "\($0.step.rawValue)@\($0.day)" }.joined(separator: ";"), old.history, old.number)
            }
            XCTAssertGreaterThan(oldHistories.filter { $0.history.contains(";") }.count, 50, "the fixture has permits with several steps")
            let imports = try await FeedImportModel.query(on: app.db).with(\.$problems).all()
            XCTAssertEqual(imports.count, oldProblems.count)
            for old in oldProblems {
                let found = imports.first { $0.sha256 == old.sha256 }
                XCTAssertEqual(found?.problems.sorted { $0.line < $1.line }.map { "\($0.line)\t\($0.reason)" },
                               old.problems.split(separator: "\n").map(String.init), old.sha256)
            }
            XCTAssertTrue(oldProblems.contains { !$0.problems.isEmpty }, "the fixture has refused rows")
            // Each application's ranking, once comma-joined text, is its rows in the same order.
            let applications = try await ServiceApplication.query(on: app.db).with(\.$ranking).all()
            let byNumber = Dictionary(uniqueKeysWithValues: applications.map { ($0.number, $0) })
            for old in oldRankings {
                let application = try XCTUnwrap(byNumber[old.number])
                XCTAssertEqual(application.schools(round: 1), old.preferences.split(separator: ",").map(String.init), old.number)
                XCTAssertEqual(application.schools(round: 2), (old.preferences2 ?? "").split(separator: ",").map(String.init), old.number)
            }
            XCTAssertGreaterThan(oldRankings.filter { !$0.preferences.isEmpty }.count, 400, "the fixture has rankings to convert")
            // Sealed records still open with the key: every resident's number is a valid one.
            let residents = try await Resident.query(on: app.db).all()
            XCTAssertEqual(residents.count, 1000)
            for resident in residents.prefix(50) {
                let number = try app.personalData.open(resident.idSealed)
                guard case .success(let id) = ResidentID.validate(number, today: CivilDate("2026-12-01")!, regions: app.regions) else {
                    return XCTFail("\(resident.idMasked) does not open to a valid number")
                }
                XCTAssertEqual(id.masked, resident.idMasked)
            }
            // The program, its rounds, the correction and its reason read as before, through pages.
            let publicity = try await Browser(app).get("/publicity/\(manifest.program)/1")
            XCTAssertEqual(publicity.status, .ok)
            XCTAssertTrue(publicity.body.contains("经核查社保月数漏算，更正为 150 分"), "the correction's reason")
            XCTAssertTrue(publicity.body.contains(manifest.corrected), "the corrected application")
            // Each round's result, once one JSON document, is rows: every school's seats, admitted and
            // cutoff points as the document had them, and every applicant's trace step by step.
            for old in oldResults {
                let json = try JSONText.parse(old.result)
                let found = try await AllocationRound.find(old.id, on: app.db)
                let round = try XCTUnwrap(found)
                let cutoffs = try await round.cutoffs(on: app.db)
                guard case .object(let schools)? = json["cutoffs"] else { return XCTFail("no cutoffs in the old result") }
                XCTAssertEqual(cutoffs.map(\.school), schools.map(\.0))
                for (cutoff, (_, school)) in zip(cutoffs, schools) {
                    XCTAssertEqual(cutoff.seats, Int({ if case .number(let n)? = school["seats"] { n } else { "" } }()))
                    XCTAssertEqual(cutoff.admitted, Int({ if case .number(let n)? = school["admitted"] { n } else { "" } }()))
                    XCTAssertEqual(cutoff.points.flatMap { Points(parsing: $0) }, { if case .number(let n)? = school["points"] { Points(parsing: n) } else { nil } }())
                }
                guard case .object(let trace)? = json["trace"] else { return XCTFail("no trace in the old result") }
                for (number, t) in trace.prefix(40) {
                    guard case .array(let list)? = t["steps"] else { continue }
                    let steps = try await round.steps(of: number, on: app.db)
                    XCTAssertEqual(steps.map { "\($0.schoolCode) \($0.outcome.rawValue)" },
                                   list.map { s -> String in
                                       let school = if case .string(let v)? = s["school"] { v } else { "" }
                                       let result = if case .string(let v)? = s["result"] { v } else { "" }
                                       return "\(school) \(result)"
                                   }, number)
                }
            }
            // The correction, once a JSON line, is a row with its changes, and the page lists each.
            struct OldChange: Decodable { let number: String; let before: String; let after: String }
            struct OldLine: Decodable { let number: String; let pointsBefore: String; let pointsAfter: String; let reason: String; let changes: [OldChange] }
            let oldLine = try JSONDecoder().decode(OldLine.self, from: Data(oldCorrections[0].corrections.utf8))
            let corrections = try await RoundCorrection.query(on: app.db).with(\.$changes).all()
            XCTAssertEqual(corrections.count, 1)
            let correction = try XCTUnwrap(corrections.first)
            XCTAssertEqual(correction.number, oldLine.number)
            XCTAssertEqual(Points(hundredths: correction.pointsBefore).description, oldLine.pointsBefore)
            XCTAssertEqual(Points(hundredths: correction.pointsAfter).description, oldLine.pointsAfter)
            XCTAssertEqual(correction.reason, oldLine.reason)
            XCTAssertEqual(correction.changes.sorted { $0.position < $1.position }.map { "\($0.number) \($0.schoolBefore ?? "-") \($0.schoolAfter ?? "-")" },
                           oldLine.changes.map { "\($0.number) \($0.before) \($0.after)" })
            let names = Dictionary(uniqueKeysWithValues: try await School.query(on: app.db).all().map { ($0.code, $0.name) })
            for change in oldLine.changes {
                let line = "\(change.number)：\(change.before == "-" ? "未录取" : names[change.before]!) → \(change.after == "-" ? "未录取" : names[change.after]!)"
                XCTAssertTrue(publicity.body.contains(line), line)
            }
            let corrected = try await ServiceApplication.query(on: app.db).filter(\.$number == manifest.corrected).first()
            XCTAssertEqual(corrected?.points, 15_000, "150 points, as corrected")
            let lastYear = try await Browser(app).get("/publicity/2025-grade1/2")
            XCTAssertEqual(lastYear.status, .ok, "last year's second round")
            let admin = Browser(app)
            // A centre admin of an older database sets up the second factor at his next sign-in.
            let signedIn = try await admin.signInSettingUpTheCode("admin", "demo12345", now: app.effects.now())
            XCTAssertEqual(signedIn.location, "/home")
            let program = try await admin.get("/programs/\(manifest.program)")
            XCTAssertEqual(program.status, .ok)
            let feedJob = try await Job.query(on: app.db).first()
            XCTAssertEqual(feedJob?.status, .done)
            // The texts the old version wrote (and never delivered) are not sent after the upgrade.
            let oldTexts = try await OutboxMessage.query(on: app.db).all()
            XCTAssertEqual(oldTexts.filter { $0.recipient == "13900000099" }.map(\.status), ["skipped"])
            XCTAssertEqual(Set(oldTexts.map(\.status)), ["skipped"])
            app.messageSender = LogSender()
            let delivered = try await OutboxDelivery.runOnce(app)
            XCTAssertEqual(delivered.sent + delivered.failed, 0)
            let archive = try await admin.get("/points/applications?status=completed")
            XCTAssertEqual(archive.status, .ok)
            let citizen = Browser(app)
            try await citizen.signIn("13800000001", "demo12345")
            let home = try await citizen.get("/home")
            XCTAssertEqual(home.status, .ok)
        } catch {
            try? await app.asyncShutdown()
            throw error
        }
        try await app.asyncShutdown()
    }

    /// The fixture's one import refused no row; an old result that did keeps each refused line.
    func testAnOldFeedResultKeepsItsRefusedRowsAsObjects() throws {
        let old = ["encoding": "GB18030", "rows": "3", "added": "1", "changed": "0", "unchanged": "0", "refused": "2", "adjusted": "1",
                   "problems": "2\t身份证号码无效\n3\t累计缴费月数应为整数"]
        let data = try JSONSerialization.data(withJSONObject: ["feedImport": DocumentColumns.feedResult(old)])
        let result = try JSONDecoder().decode(JobResult.self, from: data).feedImport
        XCTAssertEqual(result, FeedImportJob.Result(encoding: "GB18030", rows: 3, added: 1, changed: 0, unchanged: 0, refused: 2, header: nil, adjusted: 1,
                                                    problems: [.init(line: 2, reason: "身份证号码无效"), .init(line: 3, reason: "累计缴费月数应为整数")]))
    }

    /// Old tie-break text becomes hundredths and back, deductions (negative subtotals) included.
    func testOldTieBreakTextConvertsToHundredthsAndBack() {
        for (text, hundredths) in [("12.5", Int64(1250)), ("3", 300), ("0.05", 5), ("-3.5", -350), ("-0.5", -50), ("-12.25", -1225)] {
            XCTAssertEqual(ListColumns.hundredths(text), hundredths, text)
            XCTAssertEqual(ListColumns.points(hundredths), text, text)
        }
    }
}
