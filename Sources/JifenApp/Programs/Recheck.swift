import Fluent
import JifenCore
import SQLKit
import Vapor

/// A finding of the re-check before a round is published (发布前复核, seed 004 art. 18): an
/// application whose permit, residence or social insurance no longer meets the program's
/// conditions. The bureau confirms it (the application leaves the round) or dismisses it with a
/// note, within 15 working days.
final class RecheckFinding: Model, @unchecked Sendable {
    static let schema = "recheck_findings"

    @ID(key: .id) var id: UUID?
    @Parent(key: "program_id") var program: Program
    @Parent(key: "application_id") var application: ServiceApplication
    @Field(key: "number") var number: String
    @Field(key: "found_at") var foundAt: Date
    @Field(key: "due_date") var dueDate: CivilDate
    @Enum(key: "kind") var kind: Kind
    /// Months needed and had (residence, permit held), or nil.
    @OptionalField(key: "needed") var needed: Int?
    @OptionalField(key: "has") var has: Int?
    /// Social insurance: the day of his latest contribution record.
    @OptionalField(key: "as_of") var asOf: CivilDate?
    @OptionalEnum(key: "decision") var decision: Decision?
    @OptionalField(key: "note") var note: String?
    @OptionalField(key: "decided_by") var decidedBy: String?
    @OptionalField(key: "decided_at") var decidedAt: Date?

    // Listed rather than found by reflection on every row read (ModelPropertiesTests checks the list).
    var properties: [any AnyProperty] { [$id, $program, $application, $number, $foundAt, $dueDate, $kind, $needed, $has, $asOf, $decision, $note, $decidedBy, $decidedAt] }

    /// No valid permit now; a permit held too short; too few months of residence; contributions
    /// stopped (his latest record well behind the feed's).
    enum Kind: String, Codable, Sendable, CaseIterable { case permit, permitHeld, residence, insurance }
    enum Decision: String, Codable, Sendable { case confirmed, dismissed }

    init() {}
}

struct RecheckService: WorkflowService {
    let app: Application
    let db: any Database
    let now: Date
    let actor: Actor
    let logger: Logger

    static let workingDays = 15
    /// Contributions count as stopped when his latest record is this many days behind the feed's latest.
    static let insuranceGapDays = 62

    enum Problem: Error, Equatable { case beforeDeadline, alreadyRun }

    /// Re-checks every application of the program against its conditions as they stand today and
    /// the latest social-insurance feed; records a finding for each new failure. Returns the new ones.
    func run(_ program: Program) async throws -> Result<[RecheckFinding], Problem> {
        guard today > program.closes else { return .failure(.beforeDeadline) }
        guard try await AllocationRound.query(on: db).filter(\.$program.$id == program.requireID()).count() == 0 else { return .failure(.alreadyRun) }
        let rules = program.rules
        let applications = try await ServiceApplication.query(on: db).filter(\.$program.$id == program.requireID()).with(\.$child).all()
        try await ServiceApplication.loadResidents(applications, on: db)
        let known = Set(try await RecheckFinding.query(on: db).filter(\.$program.$id == program.requireID()).all().map { "\($0.$application.id):\($0.kind.rawValue)" })
        let due = try await app.workingCalendar(on: db).adding(workingDays: Self.workingDays, to: today).date
        let service = ProgramService(app: app, db: db, now: now, actor: actor, logger: logger)
        // The feed's latest day, and each applicant's latest record.
        let feedLatest = try await FeedRecordModel.query(on: db).filter(\.$feed == FeedKind.socialInsurance.rawValue).max(\.$asOf)
        var latest: [String: CivilDate] = [:]
        for slice in Batches.slices(applications.map(\.resident.idHash)) {
            for record in try await FeedRecordModel.query(on: db).filter(\.$feed == FeedKind.socialInsurance.rawValue).filter(\.$idHash ~~ Array(slice)).all() {
                if latest[record.idHash].map({ $0 < record.asOf }) ?? true { latest[record.idHash] = record.asOf }
            }
        }
        var found: [RecheckFinding] = []
        for application in applications {
            let facts = try await service.facts(for: application.resident, child: application.child, program: program, excluding: application)
            var kinds: [(RecheckFinding.Kind, Int?, Int?, CivilDate?)] = []
            if rules.requirePermit && !facts.hasValidPermit { kinds.append((.permit, nil, nil, nil)) }
            else if rules.requirePermit && facts.permitMonths < rules.minPermitMonths { kinds.append((.permitHeld, rules.minPermitMonths, facts.permitMonths, nil)) }
            if facts.residenceMonths < rules.minResidenceMonths { kinds.append((.residence, rules.minResidenceMonths, facts.residenceMonths, nil)) }
            if let feedLatest, let his = latest[application.resident.idHash], his < feedLatest.adding(days: -Self.insuranceGapDays) {
                kinds.append((.insurance, nil, nil, his))
            }
            for (kind, needed, has, asOf) in kinds where !known.contains("\(application.id!):\(kind.rawValue)") {
                let finding = RecheckFinding()
                finding.$program.id = try program.requireID()
                finding.$application.id = try application.requireID()
                finding.number = application.number
                finding.foundAt = now
                finding.dueDate = due
                finding.kind = kind
                finding.needed = needed
                finding.has = has
                finding.asOf = asOf
                found.append(finding)
            }
        }
        let made = found
        try await db.transaction { db in
            for finding in made { try await finding.create(on: db) }
            try await Audit.record("recheck", entity: "program", id: program.code, after: ["applications": String(applications.count), "found": String(made.count)],
                                   by: actor, at: now, on: db)
        }
        return .success(found)
    }

    /// The bureau's decision on a finding: confirmed, the application leaves the round (and the
    /// parent is texted why); dismissed, with a note saying why it still qualifies.
    func decide(_ finding: RecheckFinding, _ decision: RecheckFinding.Decision, note: String) async throws -> ServiceOutcome<RecheckFinding> {
        var problems: FieldProblems = []
        if finding.decision != nil { problems.add("decision", "recheck_decided") }
        if decision == .dismissed && note.isEmpty { problems.add("note", "problem_required", label: "field_recheck_note") }
        guard problems.isEmpty else { return .refused(problems) }
        finding.decision = decision
        finding.note = note.isEmpty ? nil : note
        finding.decidedBy = actor.login
        finding.decidedAt = now
        let program = try await finding.$program.get(on: db)
        let application = try await ServiceApplication.query(on: db).filter(\.$id == finding.$application.id).with(\.$resident).first()
        try await db.transaction { db in
            try await finding.save(on: db)
            if decision == .confirmed, let application {
                try await PointsService(app: app, db: db, now: now, actor: actor, logger: logger)
                    .notify(application.resident, kind: "recheckConfirmed", text("sms_recheck_confirmed", ["program": program.title, "number": application.number,
                                                                                                           "reason": Self.words(finding, app.catalog, .zh)]))
            }
            try await Audit.record("decideRecheck", entity: "serviceApplication", id: finding.number, after: ["kind": finding.kind.rawValue, "decision": decision.rawValue, "note": note],
                                   by: actor, at: now, on: db)
        }
        return .done(finding)
    }

    /// The applications confirmed out of the program's rounds.
    static func excluded(_ program: Program, on db: any Database) async throws -> Set<UUID> {
        Set(try await RecheckFinding.query(on: db).filter(\.$program.$id == program.requireID()).filter(\.$decision == .confirmed).all().map(\.$application.id))
    }

    /// Findings not decided yet.
    static func open(_ program: Program, on db: any Database) async throws -> Int {
        try await RecheckFinding.query(on: db).filter(\.$program.$id == program.requireID()).filter(\.$decision == nil).count()
    }

    /// What a finding says, in the reader's language.
    static func words(_ finding: RecheckFinding, _ catalog: Catalog, _ language: Catalog.Language) -> String {
        let english = language == .en
        return catalog.text("recheck_kind_" + finding.kind.rawValue, language, [
            "needed": finding.needed.map { MonthsText.words($0, english: english) } ?? "",
            "has": finding.has.map { MonthsText.words($0, english: english) } ?? "",
            "date": finding.asOf.map { ShanghaiDate.long($0, language) } ?? "",
        ])
    }
}
