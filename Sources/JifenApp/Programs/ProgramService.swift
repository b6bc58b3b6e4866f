import Fluent
import Foundation
import JifenCore
import NIOConcurrencyHelpers
import SQLKit
import Vapor

/// Applying for a program and running its rounds, shared by the pages, the demo and the tests.
struct ProgramService: WorkflowService {
    let app: Application
    let db: any Database
    let now: Date
    let actor: Actor
    let logger: Logger

    // MARK: the applicant's standing

    /// The points that count for `program`: an active archive of the application year in which
    /// the program opens (a window from October to May uses the points of October's year).
    func points(of resident: Resident, for program: Program) async throws -> (archive: PointsArchive, total: Points)? {
        let year = program.opens.year
        guard let archive = try await PointsArchive.query(on: db).filter(\.$resident.$id == resident.requireID()).first(),
              archive.status == .active, archive.year == year else { return nil }
        let points = PointsService(app: app, db: db, now: now, actor: actor, logger: logger)
        if program.standardSeries == ScoringStandard.generalSeries {
            // Scored today, as the round scores it: the stored total may predate an item's
            // validity window running out.
            let evaluated = try await points.evaluation(of: archive)
            return (archive, evaluated?.0.total ?? Points(hundredths: archive.total))
        }
        // A program ranked by another standard re-scores the same confirmed facts under it.
        guard let (evaluation, _) = try await points.evaluation(of: archive, series: program.standardSeries), evaluation.eligible else { return nil }
        return (archive, evaluation.total)
    }

    func facts(for resident: Resident, child: HouseholdMember?, program: Program, excluding own: ServiceApplication?) async throws -> ProgramRules.Applicant {
        let residentID = try resident.requireID()
        let valid = try await ResidencePermit.query(on: db).filter(\.$resident.$id == residentID).filter(\.$status == .issued).with(\.$steps).all()
            .filter { $0.validUntil.map { $0 >= today } ?? false }
        // Held since the day the (earliest) valid permit was issued; endorsements keep it going.
        let issued = valid.compactMap { $0.steps.first { $0.step == .issued }?.day }.min()
        let registrations = try await ResidenceRegistration.query(on: db).filter(\.$resident.$id == residentID).all()
        let months = ResidenceTime.detail(registrations.map(\.period), asOf: today).months
        var taken = false
        if let child {
            let others = try await ServiceApplication.query(on: db).filter(\.$program.$id == program.requireID()).filter(\.$childHash == child.idHash).all()
            taken = others.contains { $0.id != own?.id }
        }
        var spouseApplied = false
        var counted = try await points(of: resident, for: program)?.total
        if program.spouses != .either, let spouse = try await spouse(of: resident) {
            spouseApplied = try await !applications(of: spouse, inServiceOf: program).isEmpty
            // Where the higher of the two counts, it counts at application too.
            if program.spouses == .oneSpouseHigherPoints, let theirs = try await points(of: spouse, for: program)?.total, theirs > (counted ?? Points(hundredths: .min)) {
                counted = theirs
            }
        }
        return ProgramRules.Applicant(hasValidPermit: !valid.isEmpty, permitMonths: issued.map { ResidenceTime.months(from: $0, to: today) } ?? 0,
                                      residenceMonths: months, points: counted,
                                      childBirth: child?.birthDate, childAlreadyApplied: taken, spouseApplied: spouseApplied)
    }

    /// His spouse, found through the household: the resident he lists as spouse, or one who lists
    /// him — a listing staff confirmed (an unconfirmed one would let a stranger claim a spouse).
    func spouse(of resident: Resident) async throws -> Resident? {
        let residentID = try resident.requireID()
        if let listed = try await HouseholdMember.query(on: db).filter(\.$resident.$id == residentID).filter(\.$relation == .spouse)
            .filter(\.$verifiedAt != nil).sort(\.$createdAt).first(),
           let spouse = try await Resident.query(on: db).filter(\.$idHash == listed.idHash).first() {
            return spouse
        }
        guard let listing = try await HouseholdMember.query(on: db).filter(\.$relation == .spouse).filter(\.$idHash == resident.idHash)
            .filter(\.$verifiedAt != nil).sort(\.$createdAt).first() else { return nil }
        return try await Resident.find(listing.$resident.id, on: db)
    }

    /// His applications in the same season to programs of the same service as `program` (the
    /// school levels count as one service: one spouse applies for all the couple's children; a
    /// season is the year the window opens, so next year's kindergarten and this year's grade 1,
    /// both open now, count together).
    func applications(of resident: Resident, inServiceOf program: Program) async throws -> [ServiceApplication] {
        let sameService = try await Program.query(on: db).all()
            .filter { $0.opens.year == program.opens.year && ($0.kind == program.kind || ($0.kind.isSchool && program.kind.isSchool)) }
            .compactMap(\.id)
        return try await ServiceApplication.query(on: db).filter(\.$resident.$id == resident.requireID()).filter(\.$program.$id ~~ sameService).all()
    }

    /// Why an application is refused: the program's rules, or a ranking of schools it does not offer.
    enum Refusal: Equatable, Sendable {
        case rule(ProgramRules.Refusal)
        case unknownSchool
        case duplicateSchool
        /// The program places by residence and he has no verified residence now.
        case noVerifiedResidence
        /// Ranked schools outside his town, or whose catchment does not cover his residence.
        case outsideArea(ProgramRules.ChoiceScope, schools: [String], place: String)
        /// A priority group the program does not have, or one claimed without evidence.
        case unknownPriorityGroup
        case priorityEvidence
        /// The parent's identity, or the child's relationship to him, is not confirmed yet.
        case identityUnverified
        case childUnverified
    }

    /// The refusal in the reader's language.
    static func words(_ refusal: Refusal, _ catalog: Catalog, _ language: Catalog.Language) -> String {
        func text(_ key: String, _ arguments: [String: String] = [:]) -> String { catalog.text(key, language, arguments) }
        switch refusal {
        case .unknownSchool: return text("program_refused_unknown_school")
        case .duplicateSchool: return text("program_refused_duplicate_school")
        case .noVerifiedResidence: return text("program_refused_no_residence")
        case .unknownPriorityGroup: return text("program_refused_priority_group")
        case .priorityEvidence: return text("program_refused_priority_evidence")
        case .identityUnverified: return text("identity_needed")
        case .childUnverified: return text("program_refused_child_unverified")
        case .outsideArea(let scope, let schools, let place):
            return text("program_refused_outside_" + scope.rawValue, ["schools": schools.joined(separator: language == .en ? ", " : "、"), "place": place])
        case .rule(let rule):
            return switch rule {
            case .notOpenYet(let opens): text("program_refused_not_open", ["date": ShanghaiDate.long(opens, language)])
            case .closed(let closes): text("program_refused_closed", ["date": ShanghaiDate.long(closes, language)])
            case .noPermit: text("program_refused_permit")
            case .residence(let needed, let has):
                text("program_refused_residence", ["needed": MonthsText.words(needed, english: language == .en), "has": MonthsText.words(has, english: language == .en)])
            case .permitHeld(let needed, let has):
                text("program_refused_permit_months", ["needed": MonthsText.words(needed, english: language == .en), "has": MonthsText.words(has, english: language == .en)])
            case .spouseApplied: text("program_refused_spouse")
            case .noPoints: text("program_refused_points")
            case .belowThreshold(let needed, let has): text("program_refused_threshold", ["needed": needed.description, "has": has.description])
            case .noChild: text("program_refused_child")
            case .childAge(let ages, let age, let on): text("program_refused_age", ["min": String(ages.lowerBound), "max": String(ages.upperBound), "age": String(age), "date": ShanghaiDate.long(on, language)])
            case .childAlreadyApplied: text("program_refused_child_taken")
            case .tooManyChoices(let max): text("program_refused_choices", ["max": String(max)])
            case .noChoice: text("program_refused_no_choice")
            }
        }
    }

    // MARK: the applicant's standing

    /// Where one of his applications stands: the round that placed or did not place it, and each
    /// ranked school with its cutoff and what the round did there.
    struct Standing {
        /// `waitlist`: the seat the waitlist gave him after the round; `released`: the seat the
        /// round gave him and he no longer holds (declined, or moved up from).
        enum LineOutcome: String, Codable, Sendable { case admitted, full, noSeats, notNeeded, waitlist, released }
        struct Line { let school: String; let cutoff: Points?; let outcome: LineOutcome? }
        struct Result { let school: String?; let points: Points; let rank: Int; var offer: AllocationResult.Offer? = nil; var offerDue: CivilDate? = nil }
        /// With its program, child and ranking loaded.
        let application: ServiceApplication
        /// The latest round he took part in (the second round concerns only those not placed).
        let round: AllocationRound?
        let result: Result?
        let lines: [Line]
        let schoolNames: [String: String]
        /// The window is open: he may still change his ranking.
        let canRerank: Bool
        /// Not placed in a final first round, the second not run yet: he may rank again for it.
        let canRankSecond: Bool
    }

    func standings(of resident: Resident) async throws -> [Standing] { try await standings(ofResident: resident.requireID()) }

    /// His applications, each with where it stands: a parent opens 我的报名 often while the window
    /// is open and after the list is out, so it is read in plain rows and few statements — his
    /// applications, their programs, children and rankings, then for each his results with their
    /// rounds in one read, and his trace with the names and cutoffs of the schools in another.
    func standings(ofResident residentID: UUID) async throws -> [Standing] {
        let applications = try await PlainModels.all(ServiceApplication.self, """
            SELECT * FROM \(unsafeRaw: ServiceApplication.schema) WHERE resident_id = \(bind: residentID) ORDER BY created_at DESC
            """, on: db)
        guard !applications.isEmpty else { return [] }
        let programs = try await PlainModels.all(Program.self, """
            SELECT * FROM \(unsafeRaw: Program.schema) WHERE id IN (\(binds: Array(Set(applications.map { $0.$program.id }))))
            """, on: db)
        let children = Set(applications.compactMap { $0.$child.id })
        let members = children.isEmpty ? [] : try await PlainModels.all(HouseholdMember.self, """
            SELECT * FROM \(unsafeRaw: HouseholdMember.schema) WHERE id IN (\(binds: Array(children)))
            """, on: db)
        let programOf = Dictionary(programs.compactMap { p in p.id.map { ($0, p) } }, uniquingKeysWith: { a, _ in a })
        let memberOf = Dictionary(members.compactMap { m in m.id.map { ($0, m) } }, uniquingKeysWith: { a, _ in a })
        for a in applications {
            guard let program = programOf[a.$program.id] else { throw FluentError.missingParent(from: "service_applications", to: "programs", key: "program_id", id: a.$program.id.uuidString) }
            a.$program.value = program
            a.$child.value = .some(a.$child.id.flatMap { memberOf[$0] })
        }
        try await ServiceApplication.loadRankings(applications, on: db)
        // His result in the latest round each application took part in, with that round.
        var latest: [UUID: (result: Standing.Result, round: AllocationRound)] = [:]
        for row in try await PlainRow.all("""
            SELECT o.*, r.application_id AS result_application_id, r.rank AS result_rank, r.points AS result_points,
                   r.school_code AS result_school_code, r.offer AS result_offer, r.offer_due AS result_offer_due
            FROM allocation_results r JOIN allocation_rounds o ON o.id = r.round_id
            WHERE r.application_id IN (\(binds: applications.compactMap(\.id)))
            """, on: db) {
            let round = AllocationRound()
            try round.output(from: row.output)
            let application = try row.uuid("result_application_id")
            if let known = latest[application], known.round.round >= round.round { continue }
            // An offer's state as Fluent reads it: a value it does not know is an error, not "no offer".
            let offer = try row.optionalString("result_offer").map { raw in
                guard let state = AllocationResult.Offer(rawValue: raw) else { throw PlainRow.Missing(column: "result_offer") }
                return state
            }
            latest[application] = (Standing.Result(school: try row.optionalString("result_school_code"), points: Points(hundredths: try row.int("result_points")),
                                                   rank: Int(try row.int("result_rank")), offer: offer,
                                                   offerDue: try row.optionalDate("result_offer_due")),
                                   round)
        }
        var standings: [Standing] = []
        for a in applications {
            let program = a.program
            let round = latest[try a.requireID()]?.round
            let result = latest[try a.requireID()]?.result
            var lines: [Standing.Line] = []
            var schools: [String: String] = [:]
            let second = a.schools(round: 2)
            if let round, let result {
                // The schools of that round's list (round 2: his new ranking, or the schools of
                // his town he was placed by), each with what the round's trace says it did, and
                // that round's cutoff at each: a city's round has hundreds of schools.
                let trace = try await SchoolTrace.read(of: a.number, in: round.requireID(), schools: Set(a.schoolCodes + second), on: db)
                schools = trace.names
                let ranked = round.round == 1 ? a.schoolCodes : (second.isEmpty ? trace.steps.map(\.school) : second)
                lines = ranked.map { code in
                    let outcome: Standing.LineOutcome = switch trace.steps.first(where: { $0.school == code })?.outcome {
                    case .admitted: .admitted
                    case .full: .full
                    case .noSeats: .noSeats
                    case nil: .notNeeded
                    }
                    // After the round, a decline or the waitlist changed what he holds.
                    let now: Standing.LineOutcome = if code == result.school, outcome != .admitted { .waitlist }
                        else if outcome == .admitted, code != result.school { .released } else { outcome }
                    return Standing.Line(school: code, cutoff: trace.cutoffs[code] ?? nil, outcome: now)
                }
            } else {
                lines = a.schoolCodes.map { Standing.Line(school: $0, cutoff: nil, outcome: nil) }
                schools = try await SchoolTrace.read(of: nil, in: nil, schools: Set(a.schoolCodes + second), on: db).names
            }
            let canRankSecond = round?.round == 1 && round?.finalizedAt != nil && program.kind.isSchool && result != nil && result?.school == nil
            standings.append(Standing(application: a, round: round, result: result, lines: lines, schoolNames: schools,
                                      canRerank: today <= program.closes, canRankSecond: canRankSecond))
        }
        return standings
    }

    // MARK: applying

    enum ApplyResult { case saved(ServiceApplication), refused([Refusal]) }

    /// Applies, or changes the ranking of an application already made (until the deadline).
    func apply(resident: Resident, child: HouseholdMember?, program: Program, schools: [String],
               priority: (group: String, evidence: String)? = nil) async throws -> ApplyResult {
        let rules = program.rules
        let residentID = try resident.requireID()
        let existing = try await ServiceApplication.query(on: db).filter(\.$program.$id == program.requireID()).with(\.$ranking)
            .filter(\.$resident.$id == residentID).all().first { $0.$child.id == child?.id }
        let facts = try await facts(for: resident, child: child, program: program, excluding: existing)
        var refusals = rules.check(facts, choices: schools.count, on: today).map(Refusal.rule)
        // Only a confirmed identity applies, and only for a child confirmed to be his: a stranger who
        // typed someone's numbers cannot take or block a seat.
        if resident.heldUnconfirmed { refusals.insert(.identityUnverified, at: 0) }
        if let child, child.verifiedAt == nil { refusals.insert(.childUnverified, at: 0) }
        // Only schools with seats in this program may be ranked, each once.
        if rules.kind.isSchool {
            let offered = Set(try await Quota.query(on: db).filter(\.$program.$id == program.requireID()).with(\.$school).all().map(\.school.code))
            if schools.contains(where: { !offered.contains($0) }) { refusals.append(.unknownSchool) }
            if Set(schools).count != schools.count { refusals.append(.duplicateSchool) }
            if program.choiceScope != .city { refusals += try await outsideScope(resident, program: program, schools: schools) }
        }
        var group: PriorityGroup?
        if let priority {
            group = try await PriorityGroup.query(on: db).filter(\.$program.$id == program.requireID()).filter(\.$code == priority.group).first()
            if group == nil { refusals.append(.unknownPriorityGroup) }
            if priority.evidence.isEmpty { refusals.append(.priorityEvidence) }
        }
        guard refusals.isEmpty else { return .refused(refusals) }
        let claimed = group
        let application = existing ?? ServiceApplication()
        let before = existing.map { ["preferences": $0.schoolCodes.joined(separator: ",")] }
        if existing == nil {
            application.createdAt = now
            application.number = "FW\(program.year)-" + String(UUID().uuidString.replacingOccurrences(of: "-", with: "").prefix(8))
            application.submittedAt = now
            application.childHash = child?.idHash ?? ("resident:" + residentID.uuidString)
            application.$program.id = try program.requireID()
            application.$resident.id = residentID
            application.$child.id = child?.id
        }
        application.updatedAt = now
        do {
            try await db.transaction { db in
                try await application.save(on: db)
                try await application.rank(schools, round: 1, on: db)
                try await claimPriority(application, group: claimed, evidence: priority?.evidence ?? "", on: db)
                try await Audit.record(existing == nil ? "applyService" : "rerank", entity: "serviceApplication", id: application.number,
                                       before: before, after: ["program": program.code, "preferences": schools.joined(separator: ",")], by: actor, at: now, on: db)
                if existing == nil {
                    try await PointsService(app: app, db: db, now: now, actor: actor, logger: logger)
                        .notify(resident, kind: "serviceApplied", text("sms_service_applied", ["program": program.title, "number": application.number]))
                }
            }
        } catch {
            // The child's other parent applied at the same moment: the unique index decides.
            if existing == nil { return .refused([.rule(.childAlreadyApplied)]) }
            throw error
        }
        return .saved(application)
    }

    /// Where the program places by residence: the ranked schools outside his town, or whose
    /// catchment does not cover his verified residence today.
    func outsideScope(_ resident: Resident, program: Program, schools codes: [String]) async throws -> [Refusal] {
        guard let registration = try await ResidenceRegistration.query(on: db).filter(\.$resident.$id == resident.requireID())
            .filter(\.$toDate == nil).filter(\.$status == .verified).sort(\.$fromDate, .descending).first(),
            let grid = try await Jurisdiction.find(registration.$jurisdiction.id, on: db) else { return [.noVerifiedResidence] }
        let segments = grid.code.split(separator: "-")
        let area = segments.prefix(program.choiceScope == .town ? 2 : 3).joined(separator: "-")
        let place = try await Jurisdiction.find(code: area, on: db)?.name ?? grid.name
        let chosen = try await School.query(on: db).filter(\.$code ~~ codes).with(\.$jurisdiction).all()
            .sorted { (codes.firstIndex(of: $0.code) ?? 0) < (codes.firstIndex(of: $1.code) ?? 0) }
        let outside: [School]
        switch program.choiceScope {
        case .city: outside = []
        case .town: outside = chosen.filter { !Catchment.covers(area, $0.jurisdiction.code) }
        case .catchment:
            let catchments = try await SchoolCatchment.catchments(of: chosen.compactMap(\.id), on: db)
            outside = chosen.filter { !(catchments[$0.id!]?.covers(grid.code, on: today) ?? false) }
        }
        return outside.isEmpty ? [] : [.outsideArea(program.choiceScope, schools: outside.map(\.name), place: place)]
    }

    /// Keeps the application's priority claim as the parent left it: a new group or new evidence
    /// is claimed afresh (the department verifies it again); none withdraws the claim.
    func claimPriority(_ application: ServiceApplication, group: PriorityGroup?, evidence: String, on db: any Database) async throws {
        let existing = try await PriorityClaim.query(on: db).filter(\.$application.$id == application.requireID()).first()
        guard let group else {
            try await existing?.delete(on: db)
            return
        }
        if let existing, existing.$group.id == group.id, existing.evidence == evidence { return }
        let claim = existing ?? PriorityClaim()
        claim.createdAt = now
        claim.evidence = evidence
        claim.state = .claimed
        claim.reason = nil
        claim.decidedBy = nil
        claim.decidedAt = nil
        claim.$application.id = try application.requireID()
        claim.$group.id = try group.requireID()
        try await claim.save(on: db)
        try await Audit.record("claimPriority", entity: PriorityClaim.auditEntity, id: application.number, after: ["group": group.code], by: actor, at: now, on: db)
    }

    /// The department's decision on a priority claim; the parent gets a text.
    func decide(_ claim: PriorityClaim, verified: Bool, reason: String?) async throws {
        let application = try await claim.$application.get(on: db)
        let resident = try await application.$resident.get(on: db)
        let group = try await claim.$group.get(on: db)
        let program = try await Program.find(group.$program.id, on: db)
        try await db.transaction { db in
            try await claim.save(verified ? "verify" : "reject", id: application.number, by: actor, at: now, on: db) {
                claim.state = verified ? .verified : .rejected
                claim.reason = verified ? nil : reason
                claim.decidedBy = actor.login
                claim.decidedAt = now
            }
            try await PointsService(app: app, db: db, now: now, actor: actor, logger: logger).notify(resident, kind: "priorityDecided",
                text(verified ? "sms_priority_verified" : "sms_priority_rejected",
                     ["program": program?.title ?? "", "group": group.title, "number": application.number, "reason": reason ?? ""]))
        }
    }

    /// The schools a second-round applicant without a new ranking is tried at, in code order:
    /// those with seats left in the town of `grid`, or, for a program placing by catchment, those
    /// whose catchment covers `grid` on `day`.
    func placementList(_ program: Program, grid: String?, on day: CivilDate, seats: [String: Int], schoolsByTown: [String: [School]]) async throws -> [String] {
        guard let grid else { return [] }
        if program.choiceScope == .catchment {
            let all = schoolsByTown.values.flatMap { $0 }.filter { (seats[$0.code] ?? 0) > 0 }
            let catchments = try await SchoolCatchment.catchments(of: all.compactMap(\.id), on: db)
            return all.filter { catchments[$0.id!]?.covers(grid, on: day) ?? false }.map(\.code).sorted()
        }
        let town = JurisdictionCode(grid)?.parent?.parent?.rawValue
        return (town.flatMap { schoolsByTown[$0] } ?? []).map(\.code).filter { (seats[$0] ?? 0) > 0 }.sorted()
    }

    // MARK: rounds

    /// Freezes every applicant's points and tie-break values as of now (the first round runs
    /// after the deadline, so this is the score at the deadline plus nothing later). `archives`:
    /// the applicants' archives when already read (at least those `Archives.wanted` names).
    func freeze(_ program: Program, _ applicants: inout [RoundApplicant], archives read: Archives? = nil, stages: Stages? = nil) async throws {
        let points = PointsService(app: app, db: db, now: now, actor: actor, logger: logger)
        // The verified priority claims of the program's applications, with their groups.
        var groupOf: [UUID: PriorityGroup] = [:]
        let claims = try await PlainRow.all("""
            SELECT c.application_id, c.group_id FROM \(unsafeRaw: PriorityClaim.schema) c
            JOIN \(unsafeRaw: ServiceApplication.schema) a ON a.id = c.application_id
            WHERE a.program_id = \(bind: program.requireID()) AND c.state = \(bind: PriorityClaim.State.verified.rawValue)
            """, on: db)
        if !claims.isEmpty {
            let groups = Dictionary(try await PriorityGroup.query(on: db).filter(\.$program.$id == program.requireID()).all().map { ($0.id!, $0) }, uniquingKeysWith: { a, _ in a })
            for row in claims {
                let application = try row.uuid("application_id")
                if groupOf[application] == nil { groupOf[application] = groups[try row.uuid("group_id")] }
            }
        }
        stages?.done("read priority claims")
        // Everyone's archive, its application and items, read in slices: a city's round reads a
        // few queries per five hundred applicants, not four per applicant.
        let wanted = Archives.wanted(for: program, of: applicants)
        let known: Archives? = if let read { read } else if let wanted { try await Archives.load(of: wanted, on: db) } else { nil }
        stages?.done("read archives and claims")
        // Whole residents only where the program's rules read them: another series' archive, or
        // the spouse whose points count.
        let residents = if wanted == nil || program.spouses == .oneSpouseHigherPoints {
            try await Resident.whole(of: applicants.filter { $0.points == nil }.map(\.resident), on: db)
        } else { [UUID: Resident]() }
        let scored = if let known { try await scores(program, of: applicants.filter { $0.points == nil }, in: known) } else { [UUID: Scored]() }
        stages?.done("points and tie-break values of \(scored.count) archives")
        // Figures frozen already (imported from an earlier system for a past year) stay as they are.
        for k in applicants.indices where applicants[k].points == nil {
            let application = applicants[k]
            var total = Points.zero
            var tiebreak: [Points] = []
            // Whose archive counts: his own (for the general series read above as plain rows), or
            // a model read here.
            enum Counted { case row(Archives.Archive), model(PointsArchive) }
            var counted: (archive: Counted, total: Points)?
            let resident = residents[application.resident]
            if let known {
                // Scored today where it has an application to score (the stored total may predate
                // an item's window running out); as stored where it has none.
                counted = known.archives[application.resident].flatMap { archive in
                    archive.status == .active && archive.year == program.opens.year ? (.row(archive), scored[archive.id]?.total ?? Points(hundredths: archive.total)) : nil
                }
            } else if let resident, let (archive, total) = try await self.points(of: resident, for: program) {
                counted = (.model(archive), total)
            }
            // "Whose points count": the higher of the two spouses', when the program says so.
            if program.spouses == .oneSpouseHigherPoints, let resident, let spouse = try await spouse(of: resident),
               let theirs = try await self.points(of: spouse, for: program), theirs.total > (counted?.total ?? Points(hundredths: .min)) {
                counted = (.model(theirs.archive), theirs.total)
            }
            if let (which, frozen) = counted, !program.tiebreak.isEmpty {
                total = frozen
                if case .row(let archive) = which, let values = scored[archive.id]?.tiebreak {
                    tiebreak = values
                } else {
                    var model: PointsArchive?
                    switch which {
                    case .model(let archive): model = archive
                    case .row(let archive): model = try await PointsArchive.find(archive.id, on: db)
                    }
                    if let model, let (evaluation, _) = try await points.evaluation(of: model, series: program.standardSeries) {
                        tiebreak = TieBreakKey.values(program.tiebreakKeys, in: evaluation.categories)
                    }
                }
            } else if let (_, frozen) = counted {
                total = frozen
            }
            // A verified priority group: ahead of the points order, or a bonus within it.
            let group = groupOf[application.id]
            if let group, group.placement == .bonus { total = total + Points(hundredths: group.bonus) }
            applicants[k].priority = group?.placement == .ahead ? 1 : 0
            applicants[k].points = total.hundredths
            applicants[k].tiebreakPoints = tiebreak.map(\.hundredths)
        }
    }

    typealias Scored = Archives.Scored

    /// Each applicant's own archive read in `known` (by archive id) scored as of today: its
    /// application's confirmed facts under its standard, as `PointsService.evaluation(of:)` and
    /// the archive's own page score them — so an item whose validity window has run out since the
    /// archive was last saved no longer counts. On every core (the scoring is pure, and a city's
    /// round scores twelve thousand archives).
    func scores(_ program: Program, of applications: [RoundApplicant], in known: Archives) async throws -> [UUID: Scored] {
        let residents = Set(applications.map(\.resident))
        return try await known.scored(year: program.opens.year, keys: program.tiebreakKeys, asOf: today, on: db) { residents.contains($0) }
    }

    /// The allocation instance of round `n` from the frozen figures: round 1 over the quotas and
    /// everyone's ranking; round 2 over the seats left, for those not placed, with their new
    /// ranking or else the schools of the town they live in.
    func instance(_ program: Program, round n: Int, applications: [RoundApplicant], seats: [String: Int], towns: [String: [String]]) async throws -> AllocationInstance {
        let schools = seats.keys.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
        var instance = AllocationInstance(schools: schools, seats: schools.map { seats[$0]! })
        for application in applications {
            let points = Points(hundredths: application.points ?? 0)
            let tiebreak = (application.tiebreakPoints ?? []).map { Decimal2(hundredths: $0) }
            let submitted = Instant(seconds: Int64(application.submittedAt.timeIntervalSince1970.rounded(.down)))
            var preferences = application.first
            if n == 2 {
                let second = application.schools(round: 2)
                if !second.isEmpty { preferences = second }
                else { preferences = towns[application.resident.uuidString] ?? [] }
            }
            instance.append(id: application.number, priority: Int32(application.priority ?? 0), points: Double(points.hundredths) / 100, pointsText: points.description,
                            tiebreak: tiebreak.map { Double($0.hundredths) / 100 }, tiebreakText: tiebreak.map(\.description),
                            submittedAt: submitted, submittedText: submitted.utcText, preferences: preferences)
        }
        return instance
    }

    /// The database on another event loop than this service's, for a read to run beside this
    /// one's (each event loop keeps its own connections); this one's when there is no other loop.
    func anotherConnection() -> any Database {
        for loop in app.eventLoopGroup.makeIterator() where loop !== db.eventLoop {
            if let other = app.databases.database(logger: logger, on: loop) { return other }
        }
        return db
    }

    enum RoundProblem: Error { case firstNotFinal, alreadyRun, notAfterDeadline, waitlistOpen, recheckOpen(Int) }

    /// Runs round `n` and opens its 7-day publicity. Threshold programs have one round where
    /// everyone at or above the line qualifies.
    func run(_ program: Program, round n: Int) async throws -> AllocationRound {
        let programID = try program.requireID()
        let rules = program.rules
        guard today > rules.closes else { throw RoundProblem.notAfterDeadline }
        let rounds = try await AllocationRound.query(on: db).filter(\.$program.$id == programID).all()
        guard !rounds.contains(where: { $0.round == n }) else { throw RoundProblem.alreadyRun }
        let stages = Stages(logger: logger, what: "round \(n) of \(program.code)")
        // The applicants' archives with their claims, the largest read of the round, are read
        // on another connection (another event loop's) from the start, while this one reads the
        // applications, names and phones: which archives is known from the program alone (those
        // of its applicants not frozen yet; the freeze takes the ones it needs).
        let elsewhere = anotherConnection()
        let reading = Stages(logger: logger, what: "round \(n) of \(program.code), on a second connection: read")
        let readsArchives = n == 1 && program.standardSeries == ScoringStandard.generalSeries
        async let archives: Archives? = readsArchives ? Archives.load(.unfrozenApplicants(program: programID), on: elsewhere, stages: reading) : nil
        // The re-check before publicity: every finding decided, the confirmed ones left out.
        let undecided = try await RecheckService.open(program, on: db)
        guard undecided == 0 else { throw RoundProblem.recheckOpen(undecided) }
        let excluded = try await RecheckService.excluded(program, on: db)
        stages.done("re-check")
        var applications = try await RoundApplicant.all(of: programID, on: db).filter { !excluded.contains($0.id) }
        stages.done("read \(applications.count) applications and their rankings")
        // Of the applicants themselves the round needs their names and where texts reach them.
        let contacts = try await Resident.contacts(of: applications.map(\.resident), on: db)
        stages.done("read their names and phones")
        var seats: [String: Int] = [:]
        var names: [String: String] = [:]
        for q in try await Quota.query(on: db).filter(\.$program.$id == programID).with(\.$school).all() {
            seats[q.school.code] = q.seats
            names[q.school.code] = q.school.name
        }
        var towns: [String: [String]] = [:]
        stages.done("read quotas")
        if n == 1 {
            try await freeze(program, &applications, archives: archives, stages: stages)
            stages.done("freeze: points and tie-break values")
        } else {
            guard let first = rounds.first(where: { $0.round == n - 1 }), first.finalizedAt != nil else { throw RoundProblem.firstNotFinal }
            // Offers: the second round waits for the first's waitlist to close, and its silent
            // offers to be taken as the program says.
            if program.offerDays != nil, program.kind.isSchool {
                guard let closes = program.waitlistCloses, today > closes else { throw RoundProblem.waitlistOpen }
                try await OfferService(app: app, db: db, now: now, actor: actor, logger: logger).lapse()
            }
            let placed = try await AllocationResult.query(on: db).filter(\.$round.$id == first.requireID()).all()
            for row in placed { if let code = row.schoolCode { seats[code, default: 0] -= 1 } }
            // Those placed, and those who declined their place, are done.
            let done = Set(placed.filter { $0.schoolCode != nil || ($0.offer?.isDecline ?? false) }.map(\.$application.id))
            applications = applications.filter { !done.contains($0.id) }
            // Placement by residence for those who give no new ranking: the schools of the town of
            // their current residence — or, where the program places by catchment, the schools
            // whose catchment covers it —, in code order.
            let schoolsByTown = Dictionary(grouping: try await School.query(on: db).with(\.$jurisdiction).all(), by: { $0.jurisdiction.code })
            let unranked = applications.filter { $0.schools(round: 2).isEmpty }
            let grids = try await ResidenceRegistration.currentGridCodes(of: unranked.map(\.resident), on: db)
            for application in unranked {
                towns[application.resident.uuidString] = try await placementList(program, grid: grids[application.resident], on: today, seats: seats, schoolsByTown: schoolsByTown)
            }
        }
        let instance = try await instance(program, round: n, applications: applications, seats: seats, towns: towns)
        let outcome = Allocation.run(instance)
        stages.done("allocate")
        let round = AllocationRound()
        round.createdAt = now
        round.round = n
        round.runAt = now
        round.publicityFrom = today
        round.publicityTo = today.adding(days: 6)
        round.runBy = actor.login
        round.$program.id = programID
        let frozen = applications, schoolNames = names
        let byNumber = Dictionary(uniqueKeysWithValues: frozen.map { ($0.number, $0) })
        try await db.transaction { db in
            // Two organisers (or two app nodes) running the same round at once: the program's row
            // is locked first (PostgreSQL a row lock, SQLite its write lock), and whoever comes
            // second finds the round there and changes nothing.
            try await (db as! any SQLDatabase).raw("UPDATE programs SET code = code WHERE id = \(bind: programID)").run()
            guard try await AllocationRound.query(on: db).filter(\.$program.$id == programID).filter(\.$round == n).count() == 0 else {
                throw RoundProblem.alreadyRun
            }
            if n == 1 {
                // In the order of their ids, the order of the index each row is found by.
                try await Batches.update(ServiceApplication.schema, columns: ["points", "tiebreak_points", "priority"],
                                         frozen.map { ($0.id.uuidString, $0) }.sorted { $0.0.utf8.lexicographicallyPrecedes($1.0.utf8) }
                                             .map { [.id($0.1.id), .optional($0.1.points, Batches.Value.integer), .optional($0.1.tiebreakPoints, Batches.Value.integers), .optional($0.1.priority, Batches.Value.integer)] }, on: db)
                stages.done("store frozen points")
            }
            try await round.create(on: db)
            try await Self.storeResults(program, round: round, instance: instance, outcome: outcome, applications: frozen, contacts: contacts, on: db)
            stages.done("store results and trace")
            // Each applicant hears that the list is out, and where to read his result: one text
            // for each school and one for those not admitted, written once each.
            var texts: [(Resident.Contact, String)] = []
            var written: [String?: String] = [:]
            for a in 0..<instance.count {
                guard let application = byNumber[instance.ids[a]] else { continue }
                let school = outcome.assignment[a] >= 0 ? instance.schools[Int(outcome.assignment[a])] : nil
                guard let contact = contacts[application.resident] else { continue }
                let message: String
                if let known = written[school] { message = known } else {
                    let outcomeText = school.map { text("sms_service_admitted", ["school": schoolNames[$0] ?? $0]) } ?? text("sms_service_not_admitted")
                    message = text("sms_service_result", ["program": program.title, "round": String(n), "outcome": outcomeText, "to": round.publicityTo.description])
                    written[school] = message
                }
                texts.append((contact, message))
            }
            try await PointsService(app: app, db: db, now: now, actor: actor, logger: logger).notify(texts, kind: "serviceResult")
            stages.done("texts")
            try await Audit.record("allocate", entity: "program", id: program.code,
                                   after: ["round": String(n), "applicants": String(instance.count), "placed": String(outcome.assignment.filter { $0 >= 0 }.count)],
                                   by: actor, at: now, on: db)
            stages.done("audit")
        }
        stages.done("commit")
        return round
    }

    static func storeResults(_ program: Program, round: AllocationRound, instance: AllocationInstance, outcome: Allocation.Outcome,
                             applications: [RoundApplicant], contacts: [UUID: Resident.Contact], on db: any Database) async throws {
        let byNumber = Dictionary(uniqueKeysWithValues: applications.map { ($0.number, $0) })
        let threshold = program.rules.threshold
        let roundID = try round.requireID()
        var rows: [[Batches.Value]] = []
        rows.reserveCapacity(instance.count)
        let ids = OrderedIDs(now: round.runAt)
        // In the order of rank, as the list is read and kept (its index is by round and rank):
        // each row goes at the end of the index rather than somewhere inside it.
        for a32 in outcome.order {
            let a = Int(a32)
            guard let application = byNumber[instance.ids[a]] else { continue }
            let school = outcome.assignment[a] >= 0 ? instance.schools[Int(outcome.assignment[a])] : nil
            let qualified = threshold.map { Points(hundredths: application.points ?? 0) >= $0 } ?? (school != nil)
            rows.append([.id(ids.id(rows.count)), .integer(Int(outcome.rank[a]) + 1), .text(application.number), .text(Mask.name(contacts[application.resident]?.name ?? "")),
                         .integer(application.points ?? 0), .optional(school, Batches.Value.text), .flag(qualified), .id(roundID), .id(application.id)])
        }
        try await Batches.insert(into: AllocationResult.schema,
                                 columns: ["id", "rank", "number", "name_masked", "points", "school_code", "qualified", "round_id", "application_id"], rows, on: db)
        try await round.store(instance, outcome, points: byNumber.mapValues { $0.points ?? 0 }, on: db)
    }

    struct Change: Codable, Equatable { let number: String; let before: String; let after: String }

    /// A correction after an objection: the applicant's frozen points are corrected with a reason,
    /// the round is allocated again from the frozen figures, and every result that changed is
    /// recorded beside the reason. Corrections of one round happen one after another: each locks
    /// the round first, then reads it as the one before left it.
    func correct(_ round: AllocationRound, number: String, points: Points, reason: String) async throws -> [Change] {
        let id = try round.requireID()
        return try await db.transaction { db in
            // A write first: PostgreSQL locks the round's row, SQLite takes its write lock.
            try await AllocationRound.lock(id, on: db)
            guard let current = try await AllocationRound.find(id, on: db) else { throw Abort(.notFound) }
            // Finalized while this one waited for the lock: a final round is not corrected.
            guard current.finalizedAt == nil else { throw Abort(.conflict) }
            return try await ProgramService(app: app, db: db, now: now, actor: actor, logger: logger).correctLocked(current, number: number, points: points, reason: reason)
        }
    }

    private func correctLocked(_ round: AllocationRound, number: String, points: Points, reason: String) async throws -> [Change] {
        let program = try await round.$program.get(on: db)
        guard let target = try await ServiceApplication.query(on: db).filter(\.$program.$id == program.requireID()).filter(\.$number == number).first() else {
            throw Abort(.notFound)
        }
        let before = try await AllocationResult.query(on: db).filter(\.$round.$id == round.requireID()).all()
        let ids = before.map(\.$application.id)
        let applications = try await ServiceApplication.query(on: db).filter(\.$program.$id == program.requireID()).filter(\.$id ~~ ids).with(\.$resident).all()
        try await ServiceApplication.loadRankings(applications, on: db)
        let oldPoints = target.points ?? 0
        for application in applications where application.id == target.id {
            application.points = points.hundredths
            application.correction = reason
        }
        var seats: [String: Int] = [:]
        var names: [String: String] = [:]
        for q in try await Quota.query(on: db).filter(\.$program.$id == program.requireID()).with(\.$school).all() {
            seats[q.school.code] = q.seats
            names[q.school.code] = q.school.name
        }
        if round.round > 1, let first = try await AllocationRound.query(on: db).filter(\.$program.$id == program.requireID()).filter(\.$round == round.round - 1).first() {
            for row in try await AllocationResult.query(on: db).filter(\.$round.$id == first.requireID()).all() { if let code = row.schoolCode { seats[code, default: 0] -= 1 } }
        }
        // Round 2 keeps the placement by town it was run with. The trace stops where each was
        // admitted, so the list is rebuilt as the run built it: every school of the town of the
        // first school he was tried at, with seats in this round, in code order (the town of his
        // residence then, even if he has moved since).
        var towns: [String: [String]] = [:]
        if round.round > 1 {
            let steps = try await round.traces(on: db)
            let schools = try await School.query(on: db).with(\.$jurisdiction).all()
            let townOf = Dictionary(uniqueKeysWithValues: schools.map { ($0.code, $0.jurisdiction.code) })
            let schoolsByTown = Dictionary(grouping: schools, by: { $0.jurisdiction.code })
            let runDay = ShanghaiDate.today(round.runAt)
            for application in applications where application.schools(round: 2).isEmpty {
                if program.choiceScope == .catchment {
                    // By catchment: the grid he was registered in on the day of the run, and the
                    // catchments as they stood that day.
                    let registrations = try await ResidenceRegistration.query(on: db).filter(\.$resident.$id == application.$resident.id)
                        .filter(\.$status == .verified).filter(\.$fromDate <= runDay).with(\.$jurisdiction).all()
                    let grid = registrations.filter { $0.toDate.map { $0 >= runDay } ?? true }.max { $0.fromDate < $1.fromDate }?.jurisdiction.code
                    towns[application.$resident.id.uuidString] = try await placementList(program, grid: grid, on: runDay, seats: seats, schoolsByTown: schoolsByTown)
                    continue
                }
                guard let first = steps[application.number]?.first?.schoolCode, let town = townOf[first] else { continue }
                towns[application.$resident.id.uuidString] = (schoolsByTown[town] ?? []).map(\.code).filter { (seats[$0] ?? 0) > 0 }.sorted()
            }
        }
        let instance = try await instance(program, round: round.round, applications: try applications.map(RoundApplicant.init), seats: seats, towns: towns)
        let outcome = Allocation.run(instance)
        let old = Dictionary(uniqueKeysWithValues: before.map { ($0.number, $0) })
        var changes: [Change] = []
        for a in 0..<instance.count {
            let after = outcome.assignment[a] >= 0 ? instance.schools[Int(outcome.assignment[a])] : "-"
            let was = old[instance.ids[a]]?.schoolCode ?? "-"
            if after != was { changes.append(Change(number: instance.ids[a], before: was, after: after)) }
        }
        let correction = RoundCorrection()
        correction.at = now
        correction.by = actor.login
        correction.number = number
        correction.pointsBefore = oldPoints
        correction.pointsAfter = points.hundredths
        correction.reason = reason
        correction.$round.id = try round.requireID()
        let saved = applications, schoolNames = names
        let changed = changes
        try await db.transaction { db in
            for application in saved where application.id == target.id { try await application.save(on: db) }
            try await AllocationResult.query(on: db).filter(\.$round.$id == round.requireID()).delete()
            try await round.save(on: db)
            try await Self.storeResults(program, round: round, instance: instance, outcome: outcome, applications: try saved.map(RoundApplicant.init),
                                        contacts: Dictionary(saved.map { ($0.$resident.id, $0.resident.contact) }, uniquingKeysWith: { first, _ in first }), on: db)
            try await correction.create(on: db)
            for (k, change) in changed.enumerated() {
                try await CorrectionChange(correction: correction.requireID(), position: k, number: change.number,
                                           before: change.before == "-" ? nil : change.before, after: change.after == "-" ? nil : change.after).create(on: db)
            }
            // Those whose result changed hear of it.
            let notifier = PointsService(app: app, db: db, now: now, actor: actor, logger: logger)
            for change in changed {
                guard let application = saved.first(where: { $0.number == change.number }) else { continue }
                try await notifier.notify(application.resident, kind: "serviceResultChanged",
                                          text("sms_service_changed", ["program": program.title, "reason": reason,
                                                                       "outcome": change.after == "-" ? text("sms_service_not_admitted") : text("sms_service_admitted", ["school": schoolNames[change.after] ?? change.after])]))
            }
            try await Audit.record("correct", entity: "program", id: program.code,
                                   before: ["number": number, "points": Points(hundredths: oldPoints).description],
                                   after: ["number": number, "points": points.description, "reason": reason, "changed": String(changed.count)], by: actor, at: now, on: db)
        }
        return changes
    }
}

/// Archives of many residents with the applications behind them and their confirmed items: what
/// scoring them reads, in a few statements.
struct Archives: Sendable {
    /// The columns of an archive the freeze reads.
    struct Archive: Sendable { let id: UUID; let status: PointsArchive.Status; let year: Int; let total: Int64; let application: UUID? }
    var archives: [UUID: Archive] = [:]
    /// Each archive's application's standard.
    var standards: [UUID: String] = [:]
    /// Each application's claims review confirmed, in the order they were made: all that scoring
    /// reads of them (claims waiting or rejected give nothing).
    var confirmed: [UUID: [ConfirmedClaim]] = [:]

    /// A confirmed claim's columns its fact is made of.
    struct ConfirmedClaim: Sendable {
        let item, value: String
        let factDate: CivilDate?
        let corrected: Bool
        let confirmedValue: String?
        let confirmedDate: CivilDate?

        /// The fact that counts, as `ClaimRow.claim(for:)` makes it.
        func fact(for item: ScoringStandard.Item) -> Fact? {
            guard let claimed = ClaimInput.value(value, for: item) else { return nil }
            let fact = Fact(claimed, date: factDate)
            return corrected ? ClaimRow.corrected(fact, to: confirmedValue, on: confirmedDate, for: item) : fact
        }
    }

    /// Whose archives the freeze reads as plain rows: the applicants not yet frozen, when the
    /// program counts the general series' archives (nil: another series', read as models).
    static func wanted(for program: Program, of applicants: [RoundApplicant]) -> [UUID]? {
        guard program.standardSeries == ScoringStandard.generalSeries else { return nil }
        return applicants.filter { $0.points == nil }.map(\.resident)
    }

    /// What an archive scores on a day: its total and its tie-break values.
    struct Scored: Sendable, Equatable { let total: Points; let tiebreak: [Points] }

    /// The active archives of `year` read here (of the residents `including` admits) scored on
    /// `day`, by archive id: each application's confirmed facts under its standard, as
    /// `PointsService.evaluation(of:)` and the archive's own page score them. On every core (the
    /// scoring is pure, and a city's round scores twelve thousand archives).
    func scored(year: Int, keys: [TieBreakKey], asOf day: CivilDate, on db: any Database,
                including: (UUID) -> Bool = { _ in true }) async throws -> [UUID: Scored] {
        var jobs: [(archive: UUID, code: String, claims: [ConfirmedClaim])] = []
        var standards: [String: ScoringStandard] = [:]
        for (resident, archive) in archives where including(resident) {
            guard archive.status == .active, archive.year == year, let applicationID = archive.application, let code = self.standards[applicationID] else { continue }
            if standards[code] == nil { standards[code] = try await PointsService.standard(code: code, on: db) }
            jobs.append((archive.id, code, confirmed[applicationID] ?? []))
        }
        let scoring = standards.mapValues { standard in
            (Dictionary(standard.items.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first }), Evaluator(standard))
        }
        @Sendable func values(_ part: ArraySlice<(archive: UUID, code: String, claims: [ConfirmedClaim])>) -> [(UUID, Scored)] {
            var buffer = Evaluator.Buffer()
            return part.map { job in
                let (items, evaluator) = scoring[job.code]!
                var facts: [String: [Fact]] = [:]
                for claim in job.claims {
                    if let item = items[claim.item], let fact = claim.fact(for: item) { facts[claim.item, default: []].append(fact) }
                }
                let (total, categories) = PointsArchiveRules.score(confirmed: facts, with: evaluator, asOf: day, buffer: &buffer)
                return (job.archive, Scored(total: total, tiebreak: TieBreakKey.values(keys, in: categories)))
            }
        }
        let slices = Parallel.slices(jobs, parts: ProcessInfo.processInfo.activeProcessorCount, minimum: 1_000)
        var found: [UUID: Scored] = [:]
        for part in await Parallel.map(slices, { _, slice in values(slice) }) { for (archive, scored) in part { found[archive] = scored } }
        return found
    }

    /// Whose archives a read takes.
    enum Whose {
        /// These residents' (read in slices of five hundred).
        case residents([UUID])
        /// The applicants to a program whose points are not frozen yet: known from the program
        /// alone, so the read can begin before the round has read its applications.
        case unfrozenApplicants(program: UUID)
        /// Every active archive of a year.
        case active(year: Int)

        /// The archives' condition in SQL, where one chooses them.
        var condition: SQLQueryString? {
            switch self {
            case .residents: nil
            case .unfrozenApplicants(let program):
                "resident_id IN (SELECT resident_id FROM service_applications WHERE program_id = \(bind: program) AND points IS NULL)"
            case .active(let year): "status = \(bind: PointsArchive.Status.active.rawValue) AND \"year\" = \(bind: year)"
            }
        }
    }

    static func load(of residents: [UUID], on db: any Database, stages: Stages? = nil) async throws -> Archives {
        try await load(.residents(residents), on: db, stages: stages)
    }

    /// Everyone's archive, its application's standard and its confirmed claims, as plain rows: a few queries
    /// for all of them (a city's round reads twelve thousand archives and fifty thousand claims).
    static func load(_ whose: Whose, on db: any Database, stages: Stages? = nil) async throws -> Archives {
        var found = Archives()
        let archiveColumns: SQLQueryString = "SELECT id, resident_id, status, \"year\", total, application_id FROM points_archives"
        if let condition = whose.condition {
            // The archives chosen by a condition SQLite and PostgreSQL evaluate; their applications
            // and claims by the same condition as a sub-query, each in one statement.
            try found.addArchives(try await PlainRow.many("\(archiveColumns) WHERE \(condition)", on: db))
            stages?.done("\(found.archives.count) archives")
            try await found.addApplications("SELECT application_id FROM points_archives WHERE \(condition)", on: db)
        } else if case .residents(let residents) = whose {
            for slice in Batches.slices(residents) {
                try found.addArchives(try await PlainRow.many("\(archiveColumns) WHERE resident_id IN (\(binds: Array(slice)))", on: db))
            }
            stages?.done("\(found.archives.count) archives")
            for slice in Batches.slices(found.archives.values.compactMap(\.application)).map(Array.init) {
                try await found.addApplications("\(binds: slice)", on: db)
            }
        }
        stages?.done("their standards and \(found.confirmed.values.reduce(0) { $0 + $1.count }) confirmed claims")
        return found
    }

    private mutating func addArchives(_ rows: [PlainRow]) throws {
        for row in rows {
            guard let status = PointsArchive.Status(rawValue: try row.string("status")) else { continue }
            archives[try row.uuid("resident_id")] = Archive(id: try row.uuid("id"), status: status, year: Int(try row.int("year")),
                                                            total: try row.int("total"), application: try row.optionalUUID("application_id"))
        }
    }

    /// The standards and claims of the applications `ids` names (a list of binds or a sub-query).
    private mutating func addApplications(_ ids: SQLQueryString, on db: any Database) async throws {
        for row in try await PlainRow.many("SELECT id, standard_code FROM points_applications WHERE id IN (\(ids))", on: db) {
            standards[try row.uuid("id")] = try row.string("standard_code")
        }
        let corrected = PointsClaim.State.corrected.rawValue
        let rows = try await PlainRow.many("""
            SELECT application_id, item, "value", fact_date, state, confirmed_value, confirmed_date FROM points_claims
            WHERE application_id IN (\(ids)) AND state IN (\(bind: PointsClaim.State.verified.rawValue), \(bind: corrected)) ORDER BY created_at
            """, on: db)
        for row in rows {
            let claim = ConfirmedClaim(item: try row.string("item"), value: try row.string("value"), factDate: try row.optionalDate("fact_date"),
                                       corrected: try row.string("state") == corrected,
                                       confirmedValue: try row.optionalString("confirmed_value"), confirmedDate: try row.optionalDate("confirmed_date"))
            confirmed[try row.uuid("application_id"), default: []].append(claim)
        }
    }
}
