import Fluent
import Foundation
import JifenCore
import Vapor

/// Applying for a program and running its rounds, shared by the pages, the demo and the tests.
struct ProgramService {
    let app: Application
    let db: any Database
    let now: Date
    let actor: Actor
    let logger: Logger

    var today: CivilDate { ShanghaiDate.today(now) }

    init(app: Application, db: any Database, now: Date, actor: Actor, logger: Logger) {
        self.app = app
        self.db = db
        self.now = now
        self.actor = actor
        self.logger = logger
    }

    init(_ req: Request) { self.init(app: req.application, db: req.db, now: req.now, actor: req.actor, logger: req.logger) }

    func text(_ key: String, _ arguments: [String: String] = [:]) -> String { app.catalog.text(key, .zh, arguments) }

    // MARK: the applicant's standing

    /// The points that count for `program`: an active archive of the program's year.
    func points(of resident: Resident, for program: Program) async throws -> (archive: PointsArchive, total: Points)? {
        guard let archive = try await PointsArchive.query(on: db).filter(\.$resident.$id == resident.requireID()).first(),
              archive.status == .active, archive.year == program.year else { return nil }
        return (archive, Points(hundredths: archive.total))
    }

    func facts(for resident: Resident, child: HouseholdMember?, program: Program, excluding own: ServiceApplication?) async throws -> ProgramRules.Applicant {
        let residentID = try resident.requireID()
        let permit = try await ResidencePermit.query(on: db).filter(\.$resident.$id == residentID).filter(\.$status == .issued).all()
            .contains { $0.validUntil.flatMap(CivilDate.init).map { $0 >= today } ?? false }
        let registrations = try await ResidenceRegistration.query(on: db).filter(\.$resident.$id == residentID).all()
        let years = ResidenceTime.detail(registrations.compactMap(\.period), asOf: today).years
        var taken = false
        if let child {
            let others = try await ServiceApplication.query(on: db).filter(\.$program.$id == program.requireID()).filter(\.$childHash == child.idHash).all()
            taken = others.contains { $0.id != own?.id }
        }
        return ProgramRules.Applicant(hasValidPermit: permit, residenceYears: years, points: try await points(of: resident, for: program)?.total,
                                      childBirth: child.flatMap { CivilDate($0.birthDate) }, childAlreadyApplied: taken)
    }

    func message(_ refusal: ProgramRules.Refusal) -> String {
        switch refusal {
        case .notOpenYet(let opens): text("program_refused_not_open", ["date": ShanghaiDate.long(opens)])
        case .closed(let closes): text("program_refused_closed", ["date": ShanghaiDate.long(closes)])
        case .noPermit: text("program_refused_permit")
        case .residence(let needed, let has): text("program_refused_residence", ["needed": String(needed), "has": String(has)])
        case .noPoints: text("program_refused_points")
        case .belowThreshold(let needed, let has): text("program_refused_threshold", ["needed": needed.description, "has": has.description])
        case .noChild: text("program_refused_child")
        case .childAge(let ages, let age, let on): text("program_refused_age", ["min": String(ages.lowerBound), "max": String(ages.upperBound), "age": String(age), "date": ShanghaiDate.long(on)])
        case .childAlreadyApplied: text("program_refused_child_taken")
        case .tooManyChoices(let max): text("program_refused_choices", ["max": String(max)])
        case .noChoice: text("program_refused_no_choice")
        }
    }

    // MARK: applying

    enum ApplyResult { case saved(ServiceApplication), refused([String]) }

    /// Applies, or changes the ranking of an application already made (until the deadline).
    func apply(resident: Resident, child: HouseholdMember?, program: Program, schools: [String]) async throws -> ApplyResult {
        guard let rules = program.rules else { throw Abort(.internalServerError) }
        let residentID = try resident.requireID()
        let existing = try await ServiceApplication.query(on: db).filter(\.$program.$id == program.requireID())
            .filter(\.$resident.$id == residentID).all().first { $0.$child.id == child?.id }
        let facts = try await facts(for: resident, child: child, program: program, excluding: existing)
        var refusals = rules.check(facts, choices: schools.count, on: today).map(message)
        // Only schools with seats in this program may be ranked, each once.
        if rules.kind.isSchool {
            let offered = Set(try await Quota.query(on: db).filter(\.$program.$id == program.requireID()).with(\.$school).all().map(\.school.code))
            if schools.contains(where: { !offered.contains($0) }) { refusals.append(text("program_refused_unknown_school")) }
            if Set(schools).count != schools.count { refusals.append(text("program_refused_duplicate_school")) }
        }
        guard refusals.isEmpty else { return .refused(refusals) }
        let application = existing ?? ServiceApplication()
        let before = existing.map { ["preferences": $0.preferences] }
        if existing == nil {
            application.createdAt = now
            application.number = "FW\(program.year)-" + String(UUID().uuidString.replacingOccurrences(of: "-", with: "").prefix(8))
            application.submittedAt = now
            application.childHash = child?.idHash ?? ("resident:" + residentID.uuidString)
            application.$program.id = try program.requireID()
            application.$resident.id = residentID
            application.$child.id = child?.id
        }
        application.preferences = schools.joined(separator: ",")
        application.updatedAt = now
        do {
            try await db.transaction { db in
                try await application.save(on: db)
                try await Audit.record(existing == nil ? "applyService" : "rerank", entity: "serviceApplication", id: application.number,
                                       before: before, after: ["program": program.code, "preferences": application.preferences], by: actor, at: now, on: db)
            }
        } catch {
            // The child's other parent applied at the same moment: the unique index decides.
            if existing == nil { return .refused([message(.childAlreadyApplied)]) }
            throw error
        }
        return .saved(application)
    }

    // MARK: a round

    /// Freezes every applicant's points and tie-break values, runs the allocation over the
    /// quotas (DESIGN §3), stores the result and opens a 7-day publicity.
    func runFirstRound(_ program: Program) async throws -> AllocationRound {
        let programID = try program.requireID()
        let quotas = try await Quota.query(on: db).filter(\.$program.$id == programID).with(\.$school).all()
        var seats: [String: Int] = [:]
        for q in quotas { seats[q.school.code] = q.seats }
        let schools = seats.keys.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
        var instance = AllocationInstance(schools: schools, seats: schools.map { seats[$0]! })
        let applications = try await ServiceApplication.query(on: db).filter(\.$program.$id == programID).with(\.$resident).all()
        var standards: [String: ScoringStandard] = [:]
        let points = PointsService(app: app, db: db, now: now, actor: actor, logger: logger)
        for application in applications {
            var total = Points.zero
            var tiebreak: [Points] = []
            if let (archive, frozen) = try await self.points(of: application.resident, for: program) {
                total = frozen
                if !program.tiebreakCategories.isEmpty, let (evaluation, standard) = try await points.evaluation(of: archive) {
                    standards[standard.id] = standard
                    tiebreak = program.tiebreakCategories.map { id in evaluation.categories.first { $0.id == id }?.points ?? .zero }
                }
            }
            application.points = total.hundredths
            application.tiebreakValues = tiebreak.map(\.description).joined(separator: ",")
            instance.append(id: application.number, points: Double(total.hundredths) / 100, pointsText: total.description,
                            tiebreak: tiebreak.map { Double($0.hundredths) / 100 }, tiebreakText: tiebreak.map(\.description),
                            submittedAt: Instant(seconds: Int64(application.submittedAt.timeIntervalSince1970.rounded(.down))),
                            submittedText: ISO8601DateFormatter().string(from: application.submittedAt), preferences: application.schoolCodes)
        }
        let outcome = Allocation.run(instance)
        let final = instance
        let round = AllocationRound()
        round.createdAt = now
        round.round = 1
        round.runAt = now
        round.publicityFrom = today.description
        round.publicityTo = today.adding(days: 6).description
        round.result = Allocation.json(instance, outcome, trace: true)
        round.runBy = actor.login
        round.$program.id = programID
        let byNumber = Dictionary(uniqueKeysWithValues: applications.map { ($0.number, $0) })
        try await db.transaction { db in
            for application in applications { try await application.save(on: db) }
            try await round.create(on: db)
            var rows: [AllocationResult] = []
            for a in 0..<final.count {
                guard let application = byNumber[final.ids[a]] else { continue }
                let row = AllocationResult()
                row.rank = Int(outcome.rank[a]) + 1
                row.number = application.number
                row.nameMasked = Mask.name(application.resident.name)
                row.points = application.points ?? 0
                row.schoolCode = outcome.assignment[a] >= 0 ? final.schools[Int(outcome.assignment[a])] : nil
                row.$round.id = try round.requireID()
                row.$application.id = try application.requireID()
                rows.append(row)
            }
            for chunk in stride(from: 0, to: rows.count, by: 200) { try await Array(rows[chunk..<min(chunk + 200, rows.count)]).create(on: db) }
            try await Audit.record("allocate", entity: "program", id: program.code,
                                   after: ["round": "1", "applicants": String(final.count), "placed": String(outcome.assignment.filter { $0 >= 0 }.count)],
                                   by: actor, at: now, on: db)
        }
        return round
    }
}
