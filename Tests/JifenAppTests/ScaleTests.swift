import Fluent
import Foundation
@testable import JifenApp
import JifenCore
import SQLKit
import XCTest

final class ScaleTests: XCTestCase {
    /// The city loader at a size a test can afford: everything the city holds, in its proportions.
    func testTheCityDemoHoldsEveryPartOfACityAtItsSize() async throws {
        var size = DemoSize.city(0.004)
        size.grids = 60
        XCTAssertEqual(size.residents, 2_864)
        try await withApp { ctx in
            let app = ctx.app, db = ctx.app.db
            let steps = StepLog()
            let loaded = try await Demo.loadIfEmpty(app, size: size) { steps.add($0) }
            XCTAssertTrue(loaded)
            XCTAssertTrue(steps.all.contains { $0.hasPrefix("积分申请") }, "progress is told: \(steps.all)")

            let grids = try await Jurisdiction.query(on: db).filter(\.$level == JurisdictionLevel.grid.rawValue).all()
            XCTAssertEqual(grids.count, 60, "communities of grids were added to reach the city's grids")
            XCTAssertEqual(Set(grids.compactMap { JurisdictionCode($0.code)?.parent?.parent?.rawValue }).count, 10, "in every town")
            let residents = try await Resident.query(on: db).count()
            XCTAssertEqual(residents, size.residents + DemoCommunity.tenants.count + DemoOffers.residents)
            let houses = try await RentalHouse.query(on: db).count()
            XCTAssertEqual(houses, size.houses + DemoCommunity.housesAdded)
            let unregistered = try await (db as! any SQLDatabase).raw("SELECT COUNT(*) AS n FROM residents r WHERE NOT EXISTS (SELECT 1 FROM residence_registrations g WHERE g.resident_id = r.id)").first()?.decode(column: "n", as: Int.self)
            XCTAssertEqual(unregistered, 0, "every resident has a registration")

            // This year's points applications: the number asked for, in every state.
            let year = ShanghaiDate.today(ctx.clock.now).year
            let applications = try await PointsApplication.query(on: db).filter(\.$year == year).all()
            XCTAssertEqual(applications.count, size.pointsApplications)
            XCTAssertTrue(Set(applications.map(\.status)).isSuperset(of: [.draft, .submitted, .returned, .inReview, .completed]))
            let completed = Set(applications.filter { $0.status == .completed }.compactMap(\.id))
            let archived = Set(try await PointsArchive.query(on: db).all().compactMap { $0.$application.id })
            XCTAssertTrue(completed.isSubset(of: archived), "each completed application has its archive")
            let inReview = applications.filter { $0.status == .inReview }.compactMap(\.id)
            let waiting = try await PointsClaim.query(on: db).filter(\.$application.$id ~~ inReview).filter(\.$state == .claimed).count()
            XCTAssertGreaterThan(waiting, inReview.count / 2, "the departments have items waiting")

            // Schools of three levels with their seats; this year's round placed within them.
            let programs = Dictionary(uniqueKeysWithValues: try await Program.query(on: db).all().map { ($0.code, $0) })
            for (code, schools, seats) in [("\(year)-grade1", size.schools!.primary, size.seats.primary),
                                           ("\(year + 1)-kindergarten", size.schools!.kindergarten, size.seats.kindergarten),
                                           ("\(year + 1)-grade7", size.schools!.middle, size.seats.middle)] {
                let quotas = try await Quota.query(on: db).filter(\.$program.$id == XCTUnwrap(programs[code]).requireID()).all()
                XCTAssertEqual(quotas.count, schools, code)
                XCTAssertEqual(quotas.reduce(0) { $0 + $1.seats }, seats, code)
            }
            let schools = try await School.query(on: db).count()
            XCTAssertEqual(schools, size.schools!.primary + size.schools!.kindergarten + size.schools!.middle)
            let grade1 = try XCTUnwrap(programs["\(year)-grade1"])
            let applicants = try await ServiceApplication.query(on: db).filter(\.$program.$id == grade1.requireID()).count()
            XCTAssertGreaterThanOrEqual(applicants, size.applicants - 2, "nearly every candidate has a child of the age")
            let round = try await XCTUnwrapAsync(try await AllocationRound.query(on: db).filter(\.$program.$id == grade1.requireID()).filter(\.$round == 1).first())
            let results = try await AllocationResult.query(on: db).filter(\.$round.$id == round.requireID()).all()
            XCTAssertEqual(results.count, applicants, "every applicant is in the round's list")
            let cutoffs = try await round.cutoffs(on: db)
            XCTAssertTrue(cutoffs.allSatisfy { $0.admitted <= $0.seats }, "no school over its seats")
            XCTAssertEqual(results.count { $0.schoolCode != nil }, cutoffs.reduce(0) { $0 + $1.admitted })
            XCTAssertGreaterThan(results.count { $0.schoolCode == nil }, 0, "more applicants than seats: some are not placed")
            // Last year: both rounds ran and are final.
            let last = try XCTUnwrap(programs["\(year - 1)-grade1"])
            let lastRounds = try await AllocationRound.query(on: db).filter(\.$program.$id == last.requireID()).all()
            XCTAssertEqual(lastRounds.map(\.round).sorted(), [1, 2])
            XCTAssertTrue(lastRounds.allSatisfy { $0.finalizedAt != nil })
            let lastApplicants = try await ServiceApplication.query(on: db).filter(\.$program.$id == last.requireID()).count()
            XCTAssertEqual(lastApplicants, size.lastYearApplicants)

            // A second load changes nothing.
            let again = try await Demo.loadIfEmpty(app, size: size)
            XCTAssertFalse(again)
        }
    }

    /// Rows written in batches (a round's frozen figures and results) are stored as Fluent stores
    /// them: the same SQL types and text for the same values, and ids that Fluent's queries find.
    func testRowsWrittenInBatchesAreStoredAsFluentStoresThem() async throws {
        try await withApp(demo: true, residents: 1000) { ctx in
            let db = ctx.app.db
            let applications = try await ServiceApplication.query(on: db).sort(\.$number).all()
            guard applications.count > 2 else { return XCTFail("the demo has applications") }
            let (a, b) = (applications[0], applications[1])
            a.points = 8_250
            a.tiebreakPoints = [1_250, 300]
            a.priority = 1
            try await a.save(on: db)
            try await Batches.update(ServiceApplication.schema, columns: ["points", "tiebreak_points", "priority"],
                                     [[.id(try b.requireID()), .integer(Int64(8_250)), .integers([1_250, 300]), .integer(1)]], on: db)
            struct Stored: Decodable, Equatable { let kinds: String; let figures: String }
            // The type each value is stored as: SQLite's `typeof`, PostgreSQL's `pg_typeof`.
            let kind = TestDatabase.postgresURL == nil ? "typeof(%@)" : "CAST(pg_typeof(%@) AS TEXT)"
            let kinds = ["points", "tiebreak_points", "priority"].map { kind.replacingOccurrences(of: "%@", with: $0) }.joined(separator: " || ")
            func stored(_ id: UUID) async throws -> Stored? {
                try await (db as! any SQLDatabase).raw("""
                    SELECT \(unsafeRaw: kinds) AS kinds,
                           CAST(points AS TEXT) || '|' || CAST(tiebreak_points AS TEXT) || '|' || CAST(priority AS TEXT) AS figures
                    FROM service_applications WHERE id = \(bind: id)
                    """).first(decoding: Stored.self)
            }
            let fluent = try await stored(a.requireID()), batched = try await stored(b.requireID())
            XCTAssertNotNil(fluent)
            XCTAssertEqual(batched, fluent)
            let reread = try await ServiceApplication.find(b.requireID(), on: db)
            XCTAssertEqual(reread?.tiebreakPoints, [1_250, 300])
            // An id written in a batch is found by Fluent, and a parent's id filters by it.
            let round = try await XCTUnwrapAsync(try await AllocationRound.query(on: db).first())
            let id = UUID()
            let resultColumns = ["id", "rank", "number", "name_masked", "points", "school_code", "qualified", "round_id", "application_id"]
            try await Batches.insert(into: AllocationResult.schema, columns: resultColumns,
                                     [[.id(id), .integer(99_999), .text(b.number), .text("批*"), .integer(Int64(8_250)), .optional(String?.none, Batches.Value.text), .flag(false),
                                       .id(try round.requireID()), .id(try b.requireID())]], on: db)
            let found = try await AllocationResult.find(id, on: db)
            XCTAssertEqual(found?.$application.id, try b.requireID())
            XCTAssertEqual(found?.qualified, false)
            XCTAssertNil(found?.schoolCode)
            let byParent = try await AllocationResult.query(on: db).filter(\.$round.$id == round.requireID()).filter(\.$application.$id == b.requireID()).all()
            XCTAssertTrue(byParent.contains { $0.id == id })
            // Every column of a batched row as Fluent stores the same values, texts with quotes,
            // a backslash, a line break and Chinese included, and a time.
            let name = "批\"*\\\n名'"
            let columns = ["rank", "number", "name_masked", "points", "school_code", "qualified", "round_id", "application_id", "offer", "offer_answered_at"]
            let described = columns.map { "\(kind.replacingOccurrences(of: "%@", with: $0)) || ':' || COALESCE(CAST(\($0) AS TEXT), '-')" }.joined(separator: " || '|' || ")
            struct Row: Decodable, Equatable { let described: String }
            func row(_ id: UUID) async throws -> Row? {
                try await (db as! any SQLDatabase).raw("SELECT \(unsafeRaw: described) AS described FROM allocation_results WHERE id = \(bind: id)").first(decoding: Row.self)
            }
            /// The same values stored once by Fluent and once in a batch, each row described.
            func storedBothWays(rank: Int, points: Int64, school: String?, qualified: Bool, answered: Date?) async throws -> (byFluent: Row?, byBatch: Row?, batchID: UUID) {
                let model = AllocationResult()
                model.id = UUID()
                model.rank = rank
                model.number = b.number
                model.nameMasked = name
                model.points = points
                model.schoolCode = school
                model.qualified = qualified
                model.$round.id = try round.requireID()
                model.$application.id = try b.requireID()
                model.offerAnsweredAt = answered
                try await model.create(on: db)
                let twin = UUID()
                try await Batches.insert(into: AllocationResult.schema, columns: resultColumns + ["offer_answered_at"],
                                         [[.id(twin), .integer(rank), .text(b.number), .text(name), .integer(points), .optional(school, Batches.Value.text), .flag(qualified),
                                           .id(try round.requireID()), .id(try b.requireID()), .optional(answered, Batches.Value.time)]], on: db)
                return (try await row(try model.requireID()), try await row(twin), twin)
            }
            let full = try await storedBothWays(rank: 99_998, points: 8_250, school: "S-1", qualified: true,
                                                  answered: Date(timeIntervalSince1970: 1_780_000_000.125))
            XCTAssertNotNil(full.byFluent)
            XCTAssertEqual(full.byBatch, full.byFluent)
            let reread2 = try await AllocationResult.find(full.batchID, on: db)
            XCTAssertEqual(reread2?.nameMasked, name)
            XCTAssertEqual(reread2?.offerAnsweredAt, Date(timeIntervalSince1970: 1_780_000_000.125))
            // A flag that is false and a value that is absent, the same way.
            let bare = try await storedBothWays(rank: 99_997, points: 0, school: nil, qualified: false, answered: nil)
            XCTAssertNotNil(bare.byFluent)
            XCTAssertEqual(bare.byBatch, bare.byFluent)
            // A trace's lists of codes: plain ones, and ones the encoder escapes (a slash, a quote, Chinese).
            struct Lists: Decodable, Equatable { let described: String }
            func lists(_ id: UUID) async throws -> Lists? {
                try await (db as! any SQLDatabase).raw("""
                    SELECT \(unsafeRaw: kind.replacingOccurrences(of: "%@", with: "schools")) || ':' || CAST(schools AS TEXT) || '|' ||
                           \(unsafeRaw: kind.replacingOccurrences(of: "%@", with: "outcomes")) || ':' || CAST(outcomes AS TEXT) AS described
                    FROM allocation_traces WHERE id = \(bind: id)
                    """).first(decoding: Lists.self)
            }
            for (k, tried) in [["S01", "S-02"], ["S/1"], ["学校\"1"], []].enumerated() {
                let outcomes = tried.map { _ in AllocationTrace.Outcome.full.rawValue }
                let model = AllocationTrace()
                model.number = "FW\(k)"
                model.schools = tried
                model.outcomes = outcomes
                model.$round.id = try round.requireID()
                try await model.create(on: db)
                let twin = UUID()
                try await Batches.insert(into: AllocationTrace.schema, columns: ["id", "round_id", "number", "schools", "outcomes"],
                                         [[.id(twin), .id(try round.requireID()), .text("FX\(k)"), .texts(tried), .texts(outcomes)]], on: db)
                let byFluent = try await lists(try model.requireID()), byBatch = try await lists(twin)
                XCTAssertNotNil(byFluent)
                XCTAssertEqual(byBatch, byFluent, tried.joined(separator: " "))
                let reread = try await AllocationTrace.find(twin, on: db)
                XCTAssertEqual(try reread?.steps.map(\.schoolCode), tried)
            }
        }
    }

    /// A batch is written in the caller's transaction, all of it or nothing: many rows (more than
    /// a statement of values holds), seen inside the transaction, gone when it rolls back, and a
    /// row that breaks a constraint fails the whole batch.
    func testABatchIsWrittenInTheCallersTransactionAllOrNothing() async throws {
        try await withApp(demo: true, residents: 1000) { ctx in
            let db = ctx.app.db
            let round = try await XCTUnwrapAsync(try await AllocationRound.query(on: db).first())
            let application = try await XCTUnwrapAsync(try await ServiceApplication.query(on: db).first())
            let (roundID, applicationID) = (try round.requireID(), try application.requireID())
            let columns = ["id", "rank", "number", "name_masked", "points", "school_code", "qualified", "round_id", "application_id"]
            let rows: [[Batches.Value]] = (0..<4_000).map { (k: Int) -> [Batches.Value] in
                let school: String? = k % 2 == 0 ? "S-\(k)" : nil
                return [.id(UUID()), .integer(100_000 + k), .text(application.number), .text("批*"), .integer(Int64(k)), .optional(school, Batches.Value.text),
                        .flag(k % 3 == 0), .id(roundID), .id(applicationID)]
            }
            @Sendable func written(on db: any Database) async throws -> [AllocationResult] {
                try await AllocationResult.query(on: db).filter(\.$rank >= 100_000).sort(\.$rank).all()
            }
            struct Stop: Error {}
            do {
                try await db.transaction { tx in
                    try await Batches.insert(into: AllocationResult.schema, columns: columns, rows, on: tx)
                    let inside = try await written(on: tx).count
                    XCTAssertEqual(inside, 4_000, "seen inside the transaction")
                    throw Stop()
                }
                XCTFail("the transaction was stopped")
            } catch is Stop {}
            let afterRollback = try await written(on: db).count
            XCTAssertEqual(afterRollback, 0, "rolled back: nothing half-saved")
            // The same id twice: the batch fails, and none of it stays.
            do {
                try await db.transaction { tx in try await Batches.insert(into: AllocationResult.schema, columns: columns, rows + [rows[0]], on: tx) }
                XCTFail("a duplicate id was written")
            } catch {}
            let afterFailure = try await written(on: db).count
            XCTAssertEqual(afterFailure, 0)
            try await Batches.insert(into: AllocationResult.schema, columns: columns, rows, on: db)
            let stored = try await written(on: db)
            XCTAssertEqual(stored.map(\.rank), Array(100_000..<104_000))
            XCTAssertEqual(stored.map(\.points), (0..<4_000).map { Int64($0) })
            XCTAssertEqual(stored.filter { $0.schoolCode == nil }.count, 2_000)
            XCTAssertEqual(stored.filter(\.qualified).count, 1_334)
            // Updated in a batch, by id, and only the rows named.
            try await Batches.update(AllocationResult.schema, columns: ["points", "school_code"],
                                     try stored.prefix(2_500).map { (r: AllocationResult) -> [Batches.Value] in [.id(try r.requireID()), .integer(r.points + 1), .text("T-\(r.rank)")] }, on: db)
            let updated = try await written(on: db)
            XCTAssertEqual(updated.prefix(2_500).map(\.points), (1...2_500).map { Int64($0) })
            XCTAssertEqual(updated.prefix(2_500).map(\.schoolCode), (100_000..<102_500).map { "T-\($0)" })
            XCTAssertEqual(updated.suffix(1_500).map(\.points), (2_500..<4_000).map { Int64($0) }, "the rows not named are as they were")
        }
    }

    /// A model read as a plain row is the model Fluent reads: every field, of every type the
    /// round and the citizen's pages read this way (dates, days, optional lists of numbers,
    /// enums, parents, values present and absent).
    func testAModelReadAsAPlainRowIsTheModelFluentReads() async throws {
        try await withApp(demo: true, residents: 1000) { ctx in
            let db = ctx.app.db
            let applications = try await ServiceApplication.query(on: db).sort(\.$number).all()
            let child = try XCTUnwrap(applications.first)
            child.points = 8_250
            child.tiebreakPoints = [1_250, 300]
            child.priority = 1
            child.correction = "复核更正"
            try await child.save(on: db)
            XCTAssertTrue(applications.contains { $0.points == nil && $0.correction == nil }, "some values absent too")
            func same<M: Model>(_ type: M.Type, _ table: String, file: StaticString = #filePath, line: UInt = #line) async throws {
                let fluent = try await M.query(on: db).all()
                let plain = try await PlainModels.all(M.self, "SELECT * FROM \(unsafeRaw: table)", on: db)
                let encoder = JSONEncoder()
                encoder.outputFormatting = .sortedKeys
                func encoded(_ models: [M]) throws -> [String] { try models.map { String(decoding: try encoder.encode($0), as: UTF8.self) }.sorted() }
                XCTAssertGreaterThan(fluent.count, 0, table, file: file, line: line)
                XCTAssertEqual(try encoded(plain), try encoded(fluent), table, file: file, line: line)
                XCTAssertTrue(plain.allSatisfy { $0._$idExists }, "read models are stored ones", file: file, line: line)
            }
            try await same(ServiceApplication.self, ServiceApplication.schema)
            try await same(Resident.self, Resident.schema)
            try await same(ResidencePermit.self, ResidencePermit.schema)
            try await same(PointsArchive.self, PointsArchive.schema)
            try await same(Program.self, Program.schema)
            try await same(HouseholdMember.self, HouseholdMember.schema)
            try await same(PointsApplication.self, PointsApplication.schema)
            try await same(PointsClaim.self, PointsClaim.schema)
            try await same(PointsHistoryEntry.self, PointsHistoryEntry.schema)
            try await same(EvidenceFile.self, EvidenceFile.schema)
            try await same(Material.self, Material.schema)
            let read = try await PlainModels.all(ServiceApplication.self, "SELECT * FROM service_applications WHERE id = \(bind: child.requireID())", on: db)
            XCTAssertEqual(read.first?.tiebreakPoints, [1_250, 300])
            XCTAssertEqual(read.first?.correction, "复核更正")
            XCTAssertEqual(read.first?.$program.id, child.$program.id)
        }
    }

    /// The round reads its applications as plain rows: each the same as its model with its
    /// rankings (numbers, applicants, submission instants, frozen points and tie-break values,
    /// both rounds' schools in rank order), whether frozen already or not.
    func testTheRoundReadsEachApplicationAsItsModel() async throws {
        try await withApp(demo: true, residents: 1000) { ctx in
            let db = ctx.app.db
            var all: [RoundApplicant] = []
            for program in try await Program.query(on: db).all() {
                let models = try await ServiceApplication.query(on: db).filter(\.$program.$id == program.requireID()).all()
                try await ServiceApplication.loadRankings(models, on: db)
                let expected = Dictionary(uniqueKeysWithValues: try models.map { (try $0.requireID(), try RoundApplicant($0)) })
                let read = try await RoundApplicant.all(of: program.requireID(), on: db)
                XCTAssertEqual(read.count, models.count, program.code)
                for applicant in read { XCTAssertEqual(applicant, expected[applicant.id], "\(program.code) \(applicant.number)") }
                all += read
            }
            XCTAssertGreaterThan(all.count, 100)
            XCTAssertTrue(all.contains { ($0.tiebreakPoints ?? []).count > 0 }, "frozen tie-break values read")
            XCTAssertTrue(all.contains { $0.points == nil }, "applications not yet frozen read")
            XCTAssertTrue(all.contains { $0.first.count > 1 }, "several schools in rank order")
        }
    }

    /// The freeze scores a city's archives on every core: each applicant's tie-break values are
    /// those of his archive scored one by one, as his points page scores it.
    func testTheFreezesTieBreakValuesAreEachArchivesOwn() async throws {
        try await withApp(demo: true, residents: 1000) { ctx in
            let app = ctx.app, db = app.db
            let program = try await XCTUnwrapAsync(try await Program.query(on: db).filter(\.$code == "2026-grade1").first())
            XCTAssertFalse(program.tiebreakKeys.isEmpty)
            let applications = try await RoundApplicant.all(of: program.requireID(), on: db)
            let known = try await Archives.load(of: applications.map(\.resident), on: db)
            let actor = Actor(id: nil, login: "edu", address: nil)
            let values = try await ProgramService(app: app, db: db, now: ctx.clock.now, actor: actor, logger: app.logger).scores(program, of: applications, in: known)
            let points = PointsService(app: app, db: db, now: ctx.clock.now, actor: actor, logger: app.logger)
            var compared = 0, nonZero = 0
            for archive in known.archives.values where archive.status == .active && archive.year == program.opens.year && archive.application != nil {
                let model = try await XCTUnwrapAsync(try await PointsArchive.find(archive.id, on: db))
                guard let (evaluation, _) = try await points.evaluation(of: model, series: program.standardSeries) else { continue }
                let expected = TieBreakKey.values(program.tiebreakKeys, in: evaluation.categories)
                XCTAssertEqual(values[archive.id], ProgramService.Scored(total: evaluation.total, tiebreak: expected), archive.id.uuidString)
                compared += 1
                if expected.contains(where: { $0 != .zero }) { nonZero += 1 }
            }
            XCTAssertGreaterThan(compared, 100, "the demo's applicants have archives of this year")
            XCTAssertGreaterThan(nonZero, compared / 2, "most archives have points in the tie-break categories")
            XCTAssertEqual(values.count, compared)
        }
    }

    struct NoDonor: Error {}

    /// An applicant whose archive counts a blood donation or volunteer hours (items valid five
    /// years), the donation moved back `yearsAgo` years and the archive's stored total left as it
    /// was: his archive and application number.
    static func agedDonation(_ ctx: TestContext, of applicants: [RoundApplicant], year: Int, yearsAgo: Int, daysMore: Int = 0) async throws -> (PointsArchive, String) {
        let db = ctx.app.db
        let points = PointsService(app: ctx.app, db: db, now: ctx.clock.now, actor: .system, logger: ctx.app.logger)
        for applicant in applicants {
            guard let archive = try await PointsArchive.query(on: db).filter(\.$resident.$id == applicant.resident).first(),
                  archive.status == .active, archive.year == year, let application = archive.$application.id,
                  let (evaluation, _) = try await points.evaluation(of: archive), evaluation.total.hundredths == archive.total else { continue }
            let claims = try await PointsClaim.query(on: db).filter(\.$application.$id == application).all()
            guard let claim = claims.first(where: { ["bloodDonation", "volunteerHours"].contains($0.item) && $0.state == .verified }),
                  evaluation.lines.first(where: { $0.item == claim.item })?.points ?? .zero > .zero else { continue }
            let aged = ShanghaiDate.today(ctx.clock.now).adding(years: -yearsAgo).adding(days: -daysMore)
            claim.factDate = aged
            if claim.confirmedDate != nil { claim.confirmedDate = aged }
            try await claim.save(on: db)
            return (archive, applicant.number)
        }
        XCTFail("the demo has applicants who give blood or volunteer")
        throw NoDonor()
    }

    /// This year's grade-1 program of the demo, a points service, and its applicants as a round reads them.
    static func gradeOne(_ ctx: TestContext) async throws -> (Program, PointsService, [RoundApplicant]) {
        let db = ctx.app.db
        let program = try await XCTUnwrapAsync(try await Program.query(on: db).filter(\.$code == "2026-grade1").first())
        let points = PointsService(app: ctx.app, db: db, now: ctx.clock.now, actor: Actor(id: nil, login: "edu", address: nil), logger: ctx.app.logger)
        return (program, points, try await RoundApplicant.all(of: program.requireID(), on: db))
    }

    /// The applicants frozen afresh, as a round's freeze does it (their stored figures set aside).
    static func frozenAfresh(_ ctx: TestContext, _ program: Program, _ applicants: [RoundApplicant]) async throws -> [RoundApplicant] {
        var applicants = applicants
        for k in applicants.indices { applicants[k].points = nil; applicants[k].tiebreakPoints = nil; applicants[k].priority = nil }
        let service = ProgramService(app: ctx.app, db: ctx.app.db, now: ctx.clock.now, actor: Actor(id: nil, login: "edu", address: nil), logger: ctx.app.logger)
        try await service.freeze(program, &applicants)
        return applicants
    }

    /// An item counts only within its validity window: when one runs out after the archive was
    /// last saved (nobody has opened it since), the round freezes the points as the archive's
    /// page would show them today, not the total stored before.
    func testTheRoundFreezesPointsAsTheyStandOnItsDay() async throws {
        try await withApp(demo: true, residents: 1000) { ctx in
            let app = ctx.app, db = app.db
            let (program, points, applicants) = try await Self.gradeOne(ctx)
            let (archive, number) = try await Self.agedDonation(ctx, of: applicants, year: program.opens.year, yearsAgo: 6)
            let stored = archive.total
            let reread = try await XCTUnwrapAsync(try await PointsArchive.find(archive.id, on: db))
            XCTAssertEqual(reread.total, stored, "nothing has refreshed the stored total")
            let today = try await XCTUnwrapAsync(try await points.evaluation(of: reread)).0.total
            XCTAssertLessThan(today.hundredths, stored, "the item no longer counts today")

            // The freeze (as a round runs it) of everyone, afresh.
            let frozenNow = try await Self.frozenAfresh(ctx, program, applicants)
            let frozen = try XCTUnwrap(frozenNow.first { $0.number == number })
            XCTAssertEqual(frozen.points, today.hundredths, "frozen as scored today (stored: \(stored))")
            // Everyone else's as his archive's page scores it today.
            var compared = 0
            for applicant in frozenNow.prefix(150) where applicant.number != number {
                guard let model = try await PointsArchive.query(on: db).filter(\.$resident.$id == applicant.resident).first(),
                      model.status == .active, model.year == program.opens.year, model.$application.id != nil,
                      let (evaluation, _) = try await points.evaluation(of: model) else { continue }
                XCTAssertEqual(applicant.points, evaluation.total.hundredths, applicant.number)
                compared += 1
            }
            XCTAssertGreaterThan(compared, 50)
        }
    }

    /// The freeze counts what review confirmed: a reviewer's correction in place of the claimed
    /// value, and nothing of a claim still waiting or rejected.
    func testTheFreezeCountsCorrectionsAndNotWaitingOrRejectedClaims() async throws {
        try await withApp(demo: true, residents: 1000) { ctx in
            let app = ctx.app, db = app.db
            let (program, points, applicants) = try await Self.gradeOne(ctx)
            var found: (PointsArchive, PointsClaim, String)?
            for applicant in applicants {
                guard let archive = try await PointsArchive.query(on: db).filter(\.$resident.$id == applicant.resident).first(),
                      archive.status == .active, archive.year == program.opens.year, let application = archive.$application.id,
                      let (evaluation, _) = try await points.evaluation(of: archive),
                      let claim = try await PointsClaim.query(on: db).filter(\.$application.$id == application).filter(\.$item == "volunteerHours").first(),
                      claim.state == .verified, evaluation.lines.first(where: { $0.item == "volunteerHours" })?.points ?? .zero > .zero else { continue }
                found = (archive, claim, applicant.number)
                break
            }
            let (archive, claim, number) = try XCTUnwrap(found, "the demo has applicants whose volunteering counts")
            let before = try await XCTUnwrapAsync(try await points.evaluation(of: archive)).0.total
            // The reviewer found one hour, not what was claimed; a second claim of the item waits,
            // a third was rejected: either would count at the top tier.
            claim.state = .corrected
            claim.confirmedValue = "1"
            try await claim.save(on: db)
            for state in [PointsClaim.State.claimed, .rejected] {
                let other = PointsClaim()
                other.createdAt = ctx.clock.now
                other.item = "volunteerHours"
                other.department = claim.department
                other.value = "5000"
                other.factDate = claim.factDate
                other.state = state
                other.reason = state == .rejected ? "no record" : nil
                other.$application.id = try XCTUnwrap(archive.$application.id)
                try await other.create(on: db)
            }
            let page = try await XCTUnwrapAsync(try await points.evaluation(of: try await XCTUnwrapAsync(try await PointsArchive.find(archive.id, on: db)))).0.total
            XCTAssertLessThan(page, before, "the correction lowers his points")

            let frozenNow = try await Self.frozenAfresh(ctx, program, applicants)
            XCTAssertEqual(try XCTUnwrap(frozenNow.first { $0.number == number }).points, page.hundredths, "frozen as his page scores it (before: \(before))")
        }
    }

    /// Once a day each server scores this year's archives again: one whose item ran out since its
    /// total was written (nobody opened it) takes the new total, its history says why, and its
    /// resident is texted — once, however often the job runs.
    func testAnItemThatRunsOutLowersTheArchiveAndTextsItsResidentOnce() async throws {
        try await withApp(demo: true, residents: 1000) { ctx in
            let app = ctx.app, db = app.db
            let program = try await XCTUnwrapAsync(try await Program.query(on: db).filter(\.$code == "2026-grade1").first())
            let applicants = try await RoundApplicant.all(of: program.requireID(), on: db)
            let (archive, _) = try await Self.agedDonation(ctx, of: applicants, year: program.opens.year, yearsAgo: 6)
            let stored = archive.total
            let points = PointsService(app: app, db: db, now: ctx.clock.now, actor: .system, logger: app.logger)
            let expected = try await XCTUnwrapAsync(try await points.evaluation(of: archive)).0.total
            XCTAssertLessThan(expected.hundredths, stored)
            let resident = try await XCTUnwrapAsync(try await Resident.find(archive.$resident.id, on: db))
            // A phone on record, where the demo gave him none (and no account).
            var phone = resident.phone
            if let user = resident.$user.id, let account = try await User.find(user, on: db), let own = account.phone { phone = own }
            if phone == nil {
                resident.phone = "13900007777"
                try await resident.save(on: db)
                phone = resident.phone
            }
            let sent = ctx.notifier.messages.count
            func texts() -> [OutgoingMessage] { ctx.notifier.messages.dropFirst(sent).filter { $0.kind == "pointsExpired" } }

            let first = try await Reminders.run(app, now: ctx.clock.now)
            XCTAssertEqual(first.expired, 1, "his archive alone changed")
            let reread = try await XCTUnwrapAsync(try await PointsArchive.find(archive.id, on: db))
            XCTAssertEqual(reread.total, expected.hundredths)
            let history = try await PointsHistoryEntry.query(on: db).filter(\.$archive.$id == archive.requireID()).filter(\.$kind == .expired).all()
            XCTAssertEqual(history.map(\.before), [stored])
            XCTAssertEqual(history.map(\.after), [expected.hundredths])
            XCTAssertEqual(texts().count, 1)
            XCTAssertEqual(texts().first?.recipient, phone)
            XCTAssertEqual(texts().first?.body, "【积分服务】你的 \(program.opens.year) 年度积分中有事项已超过有效期，不再计分，积分由 \(Points(hundredths: stored)) 分调整为 \(expected) 分，详见“我的积分”。")

            let again = try await Reminders.run(app, now: ctx.clock.now)
            XCTAssertEqual(again.expired, 0)
            XCTAssertEqual(texts().count, 1, "texted once")
            let recorded = try await PointsHistoryEntry.query(on: db).filter(\.$archive.$id == archive.requireID()).filter(\.$kind == .expired).count()
            XCTAssertEqual(recorded, 1)
        }
    }

    /// Two organisers (or two app nodes) run the same round at the same instant: one round is made,
    /// the other run is told it exists, and no school is over its seats.
    func testTwoRunsOfOneRoundAtOnceMakeOneRound() async throws {
        try await withApp(demo: true, residents: 1000) { ctx in
            let db = ctx.app.db
            let program = try await XCTUnwrapAsync(try await Program.query(on: db).filter(\.$code == "2026-grade1").first())
            let first = try await XCTUnwrapAsync(try await AllocationRound.query(on: db).filter(\.$program.$id == program.requireID()).filter(\.$round == 1).first())
            first.finalizedAt = ctx.clock.now
            try await first.save(on: db)
            let app = ctx.app, now = ctx.clock.now
            let outcomes = try await withThrowingTaskGroup(of: String.self) { group in
                for login in ["edu", "admin"] {
                    group.addTask {
                        do {
                            _ = try await ProgramService(app: app, db: app.db, now: now, actor: Actor(id: nil, login: login, address: nil), logger: app.logger)
                                .run(program, round: 2)
                            return "ran"
                        } catch ProgramService.RoundProblem.alreadyRun {
                            return "alreadyRun"
                        }
                    }
                }
                return try await group.reduce(into: []) { $0.append($1) }.sorted()
            }
            XCTAssertEqual(outcomes, ["alreadyRun", "ran"])
            let rounds = try await AllocationRound.query(on: db).filter(\.$program.$id == program.requireID()).filter(\.$round == 2).all()
            XCTAssertEqual(rounds.count, 1)
            let second = try XCTUnwrap(rounds.first)
            let placedFirst = try await AllocationResult.query(on: db).filter(\.$round.$id == first.requireID()).filter(\.$schoolCode != nil).count()
            let all = try await ServiceApplication.query(on: db).filter(\.$program.$id == program.requireID()).count()
            let listed = try await AllocationResult.query(on: db).filter(\.$round.$id == second.requireID()).count()
            XCTAssertEqual(listed, all - placedFirst, "the second round lists everyone not placed in the first, once")
            let cutoffs = try await second.cutoffs(on: db)
            XCTAssertTrue(cutoffs.allSatisfy { $0.admitted <= $0.seats })
        }
    }

    func testTheCityScaleIsReadFromTheCommandLine() {
        XCTAssertEqual(DemoSize.parse("city")?.residents, 716_000)
        XCTAssertEqual(DemoSize.parse("city")?.grids, 900)
        XCTAssertEqual(DemoSize.parse("2")?.residents, 1_432_000)
        XCTAssertEqual(DemoSize.parse("2")?.applicants, 24_000)
        let city = DemoSize.city(1)
        XCTAssertEqual(city.schools.map { $0.primary + $0.kindergarten + $0.middle }, 300)
        XCTAssertEqual(city.seats.primary + city.seats.kindergarten + city.seats.middle, 5_800)
        XCTAssertEqual(city.pointsApplications, 20_000)
        for bad in ["0", "-1", "town", "21", "nan", ""] { XCTAssertNil(DemoSize.parse(bad), bad) }
    }

    /// Each look-up the pages make by a column other than the id reads an index, on both
    /// databases (PostgreSQL told to avoid a table scan wherever it has another way).
    func testEveryLookUpThePagesMakeReadsAnIndex() async throws {
        let u = "'00000000-0000-0000-0000-000000000000'"
        let lookUps = [
            "SELECT * FROM residence_registrations WHERE resident_id = \(u)",
            "SELECT * FROM residence_registrations WHERE jurisdiction_id = \(u) AND status = 'pending'",
            "SELECT * FROM residence_registrations WHERE rental_house_id = \(u)",
            "SELECT * FROM residence_permits WHERE resident_id = \(u)",
            "SELECT * FROM residence_permits WHERE jurisdiction_id = \(u) AND status = 'submitted'",
            "SELECT * FROM rental_houses WHERE jurisdiction_id = \(u)",
            "SELECT * FROM residents WHERE user_id = \(u)",
            "SELECT * FROM residents WHERE id_hash = 'x'",
            "SELECT * FROM points_applications WHERE resident_id = \(u)",
            "SELECT * FROM points_applications WHERE jurisdiction_id = \(u) AND status = 'submitted'",
            "SELECT * FROM points_claims WHERE application_id = \(u)",
            "SELECT * FROM points_claims WHERE department = 'hrss' AND state = 'claimed'",
            "SELECT * FROM points_archives WHERE resident_id = \(u)",
            "SELECT * FROM household_members WHERE resident_id = \(u)",
            "SELECT * FROM service_applications WHERE resident_id = \(u)",
            "SELECT * FROM service_applications WHERE program_id = \(u)",
            "SELECT * FROM allocation_results WHERE round_id = \(u) ORDER BY rank LIMIT 50",
            "SELECT * FROM allocation_results WHERE application_id = \(u)",
            "SELECT * FROM allocation_traces WHERE round_id = \(u) AND number = 'FW1'",
            "SELECT * FROM users WHERE phone = '13800000001'",
            "SELECT * FROM user_sessions WHERE user_id = \(u)",
            "SELECT * FROM jurisdictions WHERE parent_id = \(u)",
            "SELECT * FROM feed_records WHERE feed = 'socialInsurance' AND id_hash = 'x'",
            "SELECT * FROM house_managers WHERE user_id = \(u)",
            "SELECT * FROM house_managers WHERE house_id = \(u)",
            "SELECT * FROM residence_registrations WHERE declared_by_id = \(u)",
            "SELECT * FROM residence_registrations WHERE status = 'pending' AND created_at <= '2026-01-01'",
            "SELECT * FROM residence_permits WHERE verification_token = 'x'",
            "SELECT * FROM residence_permits WHERE status = 'issued' AND valid_until <= '2026-01-01'",
            "SELECT * FROM hazards WHERE jurisdiction_id = \(u) AND status = 'assigned'",
            "SELECT * FROM hazards WHERE department_code = 'fire' AND status = 'assigned'",
            "SELECT * FROM hazards WHERE house_id = \(u)",
            "SELECT * FROM hazard_steps WHERE hazard_id = \(u)",
            "SELECT * FROM hazard_photos WHERE hazard_id = \(u)",
            "SELECT * FROM reminders_sent WHERE event = 'x'",
            "SELECT * FROM points_archives WHERE status = 'active' AND \"year\" = 2026",
            "SELECT * FROM appointments WHERE status = 'booked' AND day = '2026-01-01'",
            "SELECT * FROM complaints WHERE resident_id = \(u)",
            "SELECT * FROM complaints WHERE status = 'open' AND due_date < '2026-01-01'",
        ]
        try await withApp { ctx in
            let postgres = TestDatabase.postgresURL != nil
            try await ctx.app.db.withConnection { db in
                let sql = db as! any SQLDatabase
                if postgres { try await sql.raw("SET enable_seqscan = off").run() }
                for query in lookUps {
                    let plan = try await sql.raw(SQLQueryString((postgres ? "EXPLAIN " : "EXPLAIN QUERY PLAN ") + query)).all()
                        .map { row in (try? row.decode(column: postgres ? "QUERY PLAN" : "detail", as: String.self)) ?? "" }.joined(separator: " / ")
                    XCTAssertFalse(plan.isEmpty, query)
                    if postgres {
                        XCTAssertFalse(plan.contains("Seq Scan"), "\(query): \(plan)")
                    } else {
                        XCTAssertTrue(plan.contains("USING INDEX") || plan.contains("USING COVERING INDEX"), "\(query): \(plan)")
                    }
                }
                if postgres { try await sql.raw("RESET enable_seqscan").run() }
            }
        }
    }
}

/// Progress lines a loader told, kept for the test.
final class StepLog: @unchecked Sendable {
    private let lock = NSLock()
    private var lines: [String] = []
    func add(_ line: String) { lock.lock(); lines.append(line); lock.unlock() }
    var all: [String] { lock.lock(); defer { lock.unlock() }; return lines }
}

func XCTUnwrapAsync<T>(_ value: T?, file: StaticString = #filePath, line: UInt = #line) async throws -> T {
    try XCTUnwrap(value, file: file, line: line)
}
