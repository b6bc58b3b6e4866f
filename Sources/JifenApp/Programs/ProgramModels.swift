import Fluent
import JifenCore
import SQLKit
import Vapor

/// A program of one year (公共服务项目): set up by the centre or the education bureau.
final class Program: Model, @unchecked Sendable {
    static let schema = "programs"

    // managed fields
    @ID(key: .id) var id: UUID?
    @Field(key: "created_at") var createdAt: Date

    // data fields
    @Field(key: "code") var code: String
    @Field(key: "year") var year: Int
    @Enum(key: "kind") var kind: ProgramRules.Kind
    @Field(key: "title") var title: String
    @Field(key: "opens") var opens: CivilDate
    @Field(key: "closes") var closes: CivilDate
    @Field(key: "max_choices") var maxChoices: Int
    /// Whole months of verified residence needed (a year is 12).
    @Field(key: "min_residence_months") var minResidenceMonths: Int
    @Field(key: "require_permit") var requirePermit: Bool
    /// Whole months the current permit must have been held.
    @Field(key: "min_permit_months") var minPermitMonths: Int
    @OptionalField(key: "child_age_min") var childAgeMin: Int?
    @OptionalField(key: "child_age_max") var childAgeMax: Int?
    @Field(key: "age_cutoff") var ageCutoff: CivilDate
    /// The keys that break ties, in order, as `TieBreakKey` writes them (`socialSecurity`,
    /// `basicStatus+innovation+socialService`, `time`).
    @Field(key: "tiebreak") var tiebreak: [String]
    /// Hundredths of a point; threshold programs only.
    @OptionalField(key: "threshold") var threshold: Int64?
    @OptionalField(key: "quota_published_at") var quotaPublishedAt: Date?
    /// When the quotas are due: `quotaDays` before the deadline or before `allocates`, or by `quotaBy`.
    @Enum(key: "quota_rule") var quotaRule: QuotaRule
    @Field(key: "quota_days") var quotaDays: Int
    @OptionalField(key: "quota_by") var quotaBy: CivilDate?
    /// The day the service is planned to be allocated (the first round).
    @OptionalField(key: "allocates") var allocates: CivilDate?
    @Enum(key: "spouses") var spouses: ProgramRules.Spouses
    /// The series of the standard it ranks by (`general`: the jurisdiction's own).
    @Field(key: "standard_series") var standardSeries: String
    /// Which schools an applicant may rank: any, his town's, or his catchment's.
    @Enum(key: "choice_scope") var choiceScope: ProgramRules.ChoiceScope
    @Field(key: "created_by") var createdBy: String
    /// Offers: the days a placed family has to confirm or decline (nil: no offers, a place is
    /// taken as given), what no answer counts as, and the day the waitlist closes (after it a
    /// declined seat stays free for the second round).
    @OptionalField(key: "offer_days") var offerDays: Int?
    @OptionalEnum(key: "offer_silence") var offerSilence: OfferSilence?
    @OptionalField(key: "waitlist_closes") var waitlistCloses: CivilDate?

    // Listed rather than found by reflection on every row read (ModelPropertiesTests checks the list).
    var properties: [any AnyProperty] { [$id, $createdAt, $code, $year, $kind, $title, $opens, $closes, $maxChoices, $minResidenceMonths, $requirePermit, $minPermitMonths, $childAgeMin, $childAgeMax, $ageCutoff, $tiebreak, $threshold, $quotaPublishedAt, $quotaRule, $quotaDays, $quotaBy, $allocates, $spouses, $standardSeries, $choiceScope, $createdBy, $offerDays, $offerSilence, $waitlistCloses] }

    /// What a family's silence counts as when its days to answer have run out.
    enum OfferSilence: String, Codable, Sendable, CaseIterable { case accept, decline }

    init() {}

    /// A new program with the conditions a form leaves out: the child ages of its level, one
    /// choice for schools, no residence or permit condition, no tie-break key, quotas due 30 days
    /// before the deadline, either parent may apply. The caller sets what differs.
    convenience init(code: String, year: Int, kind: ProgramRules.Kind, title: String, opens: CivilDate, closes: CivilDate,
                     ageCutoff: CivilDate, by login: String, at now: Date) {
        self.init()
        self.createdAt = now
        self.code = code
        self.year = year
        self.kind = kind
        self.title = title
        self.opens = opens
        self.closes = closes
        self.ageCutoff = ageCutoff
        self.maxChoices = kind.isSchool ? 1 : 0
        self.minResidenceMonths = 0
        self.requirePermit = false
        self.minPermitMonths = 0
        self.childAgeMin = kind.defaultAges?.lowerBound
        self.childAgeMax = kind.defaultAges?.upperBound
        self.tiebreak = []
        self.quotaRule = .beforeDeadline
        self.quotaDays = 30
        self.spouses = .either
        self.choiceScope = .city
        self.standardSeries = ScoringStandard.generalSeries
        self.createdBy = login
    }

    enum QuotaRule: String, Codable, Sendable, CaseIterable { case beforeDeadline, beforeAllocation, fixedDay }

    var quotaTiming: ProgramRules.QuotaTiming {
        switch quotaRule {
        case .beforeDeadline: .beforeDeadline(days: quotaDays)
        case .beforeAllocation: allocates.map { .beforeAllocation(days: quotaDays, allocates: $0) } ?? .beforeDeadline(days: quotaDays)
        case .fixedDay: quotaBy.map { .by($0) } ?? .beforeDeadline(days: quotaDays)
        }
    }

    var tiebreakKeys: [TieBreakKey] { TieBreakKey.stored(tiebreak) }

    /// The names of the schools with seats in this program, by code.
    func schoolNames(on db: any Database) async throws -> [String: String] {
        Dictionary(try await Quota.query(on: db).filter(\.$program.$id == requireID()).with(\.$school).all().map { ($0.school.code, $0.school.name) },
                   uniquingKeysWith: { a, _ in a })
    }

    var rules: ProgramRules {
        let ages: ClosedRange<Int>? = if let min = childAgeMin, let max = childAgeMax, min <= max { min...max } else { nil }
        return ProgramRules(kind: kind, opens: opens, closes: closes, maxChoices: maxChoices, minResidenceMonths: minResidenceMonths,
                            requirePermit: requirePermit, minPermitMonths: minPermitMonths, childAges: ages, ageCutoff: ageCutoff,
                            threshold: threshold.map { Points(hundredths: $0) }, quotaTiming: quotaTiming, spouses: spouses)
    }

    var auditSnapshot: [String: String] {
        var s = ["code": code, "kind": kind.rawValue, "title": title, "opens": opens.description, "closes": closes.description, "maxChoices": String(maxChoices),
                 "minResidenceMonths": String(minResidenceMonths), "requirePermit": String(requirePermit), "minPermitMonths": String(minPermitMonths),
                 "tiebreak": tiebreak.joined(separator: ","), "quotaDue": quotaTiming.due(closes: closes).description, "spouses": spouses.rawValue]
        if let threshold { s["threshold"] = Points(hundredths: threshold).description }
        return s
    }
}

/// A school (or kindergarten) and the town it lies in.
final class School: Model, @unchecked Sendable {
    static let schema = "schools"

    @ID(key: .id) var id: UUID?
    @Field(key: "code") var code: String
    @Field(key: "name") var name: String
    @Parent(key: "jurisdiction_id") var jurisdiction: Jurisdiction

    // Listed rather than found by reflection on every row read (ModelPropertiesTests checks the list).
    var properties: [any AnyProperty] { [$id, $code, $name, $jurisdiction] }

    init() {}
}

/// What a round's trace says of one applicant, with the names of the schools it and his lists
/// name and each one's cutoff in that round, in two reads (a page that shows a family's own
/// schools reads those, not the program's hundreds).
struct SchoolTrace {
    struct Step { let school: String; let outcome: AllocationTrace.Outcome }
    /// The schools he was tried at, in order.
    var steps: [Step] = []
    var names: [String: String] = [:]
    /// Each school's cutoff in the round (nil: it did not fill its seats there, or was not in it).
    var cutoffs: [String: Points?] = [:]

    /// Application `number`'s trace in `round` with the names and cutoffs of its schools and of
    /// `codes`; without a round, the names of `codes` alone.
    static func read(of number: String?, in round: UUID?, schools codes: Set<String>, on db: any Database) async throws -> SchoolTrace {
        var trace = SchoolTrace()
        guard let number, let round else {
            guard !codes.isEmpty else { return trace }
            for row in try await PlainRow.all("SELECT code, name FROM schools WHERE code IN (\(binds: Array(codes)))", on: db) {
                let code = try row.string("code")
                if trace.names[code] == nil { trace.names[code] = try row.string("name") }
            }
            return trace
        }
        if let row = try await PlainRow.all("SELECT schools, outcomes FROM allocation_traces WHERE round_id = \(bind: round) AND number = \(bind: number)", on: db).first {
            trace.steps = try AllocationTrace.steps(of: number, schools: row.optionalJSON("schools", as: [String].self) ?? [],
                                                    outcomes: row.optionalJSON("outcomes", as: [String].self) ?? []).map { Step(school: $0.schoolCode, outcome: $0.outcome) }
        }
        let schools = codes.union(trace.steps.map(\.school))
        guard !schools.isEmpty else { return trace }
        for row in try await PlainRow.all("""
            SELECT s.code, s.name, rs.cutoff_points FROM schools s
            LEFT JOIN round_schools rs ON rs.round_id = \(bind: round) AND rs.school_code = s.code
            WHERE s.code IN (\(binds: Array(schools)))
            """, on: db) {
            let code = try row.string("code")
            if trace.names[code] == nil { trace.names[code] = try row.string("name") }
            if trace.cutoffs.index(forKey: code) == nil { trace.cutoffs[code] = .some(try row.optionalInt("cutoff_points").map { Points(hundredths: $0) }) }
        }
        return trace
    }
}

/// One area of a school's catchment (施教区): a town or community, from a day, possibly to a day.
final class SchoolCatchment: Model, @unchecked Sendable {
    static let schema = "school_catchments"

    @ID(key: .id) var id: UUID?
    /// A jurisdiction code: the town or community the catchment covers (with everything under it).
    @Field(key: "area_code") var areaCode: String
    @Field(key: "from_date") var from: CivilDate
    @OptionalField(key: "to_date") var to: CivilDate?
    @Parent(key: "school_id") var school: School

    // Listed rather than found by reflection on every row read (ModelPropertiesTests checks the list).
    var properties: [any AnyProperty] { [$id, $areaCode, $from, $to, $school] }

    init() {}

    init(school: UUID, area: String, from: CivilDate, to: CivilDate? = nil) {
        self.$school.id = school
        self.areaCode = area
        self.from = from
        self.to = to
    }

    static func catchments(of schools: [UUID], on db: any Database) async throws -> [UUID: Catchment] {
        let rows = try await query(on: db).filter(\.$school.$id ~~ schools).all()
        return Dictionary(grouping: rows, by: { $0.$school.id }).mapValues { Catchment(areas: $0.map { Catchment.Area(code: $0.areaCode, from: $0.from, to: $0.to) }) }
    }
}

/// Seats of one school in one program.
final class Quota: Model, @unchecked Sendable {
    static let schema = "quotas"

    @ID(key: .id) var id: UUID?
    @Field(key: "seats") var seats: Int
    @Parent(key: "program_id") var program: Program
    @Parent(key: "school_id") var school: School

    // Listed rather than found by reflection on every row read (ModelPropertiesTests checks the list).
    var properties: [any AnyProperty] { [$id, $seats, $program, $school] }

    init() {}
}

/// A parent's application for a service (服务申请): the child it is for, the ranked schools, the
/// points frozen when the allocation runs.
final class ServiceApplication: Model, @unchecked Sendable {
    static let schema = "service_applications"

    // managed fields
    @ID(key: .id) var id: UUID?
    @Field(key: "created_at") var createdAt: Date
    @Field(key: "updated_at") var updatedAt: Date

    // data fields
    @Field(key: "number") var number: String
    /// The keyed hash of the child's ID number: one application per child (and so one spouse).
    @OptionalField(key: "child_hash") var childHash: String?
    @Field(key: "submitted_at") var submittedAt: Date
    /// Frozen at the allocation: hundredths of a point, and the tie-break values.
    @OptionalField(key: "points") var points: Int64?
    /// Hundredths of a point per tie-break category, frozen with the points by round 1.
    @OptionalField(key: "tiebreak_points") var tiebreakPoints: [Int64]?
    /// The priority level frozen with the points: 1 in a verified group placed ahead, else 0.
    @OptionalField(key: "priority") var priority: Int?
    @OptionalField(key: "correction") var correction: String?

    // relationships
    @Parent(key: "program_id") var program: Program
    @Parent(key: "resident_id") var resident: Resident
    @OptionalParent(key: "child_id") var child: HouseholdMember?
    /// The ranked schools of each round (see `ServicePreference`).
    @Children(for: \.$application) var ranking: [ServicePreference]

    // Listed rather than found by reflection on every row read (ModelPropertiesTests checks the list).
    var properties: [any AnyProperty] { [$id, $createdAt, $updatedAt, $number, $childHash, $submittedAt, $points, $tiebreakPoints, $priority, $correction, $program, $resident, $child, $ranking] }

    init() {}
}

/// One allocation round of a program: its result, its publicity and objections window, and
/// whether it is final.
final class AllocationRound: Model, @unchecked Sendable {
    static let schema = "allocation_rounds"

    @ID(key: .id) var id: UUID?
    @Field(key: "created_at") var createdAt: Date
    @Field(key: "round") var round: Int
    @Field(key: "run_at") var runAt: Date
    @Field(key: "publicity_from") var publicityFrom: CivilDate
    @Field(key: "publicity_to") var publicityTo: CivilDate
    @OptionalField(key: "finalized_at") var finalizedAt: Date?
    @Field(key: "run_by") var runBy: String
    @Parent(key: "program_id") var program: Program

    // Listed rather than found by reflection on every row read (ModelPropertiesTests checks the list).
    var properties: [any AnyProperty] { [$id, $createdAt, $round, $runAt, $publicityFrom, $publicityTo, $finalizedAt, $runBy, $program] }

    init() {}
}

/// An objection (异议) to a round's publicity, from anyone, answered by staff within 15 working days.
final class Objection: Model, @unchecked Sendable {
    static let schema = "objections"

    @ID(key: .id) var id: UUID?
    @Field(key: "created_at") var createdAt: Date
    @Field(key: "contact_name") var contactName: String
    @Field(key: "contact_phone") var contactPhone: String
    @OptionalField(key: "application_number") var applicationNumber: String?
    @Field(key: "text") var text: String
    @Field(key: "due_date") var dueDate: CivilDate
    @OptionalField(key: "answer") var answer: String?
    @OptionalField(key: "answered_by") var answeredBy: String?
    @OptionalField(key: "answered_at") var answeredAt: Date?
    @Field(key: "corrected") var corrected: Bool
    @Parent(key: "round_id") var round: AllocationRound

    // Listed rather than found by reflection on every row read (ModelPropertiesTests checks the list).
    var properties: [any AnyProperty] { [$id, $createdAt, $contactName, $contactPhone, $applicationNumber, $text, $dueDate, $answer, $answeredBy, $answeredAt, $corrected, $round] }

    init() {}

    func isOverdue(today: CivilDate) -> Bool { answer == nil && dueDate < today }
}

/// One line of a round's list: what the publicity shows (masked) and the applicant's result page reads.
final class AllocationResult: Model, @unchecked Sendable {
    static let schema = "allocation_results"

    @ID(key: .id) var id: UUID?
    @Field(key: "rank") var rank: Int
    @Field(key: "number") var number: String
    @Field(key: "name_masked") var nameMasked: String
    @Field(key: "points") var points: Int64
    @OptionalField(key: "school_code") var schoolCode: String?
    /// Threshold programs: at or above the line.
    @Field(key: "qualified") var qualified: Bool
    @Parent(key: "round_id") var round: AllocationRound
    @Parent(key: "application_id") var application: ServiceApplication
    /// The family's answer to its place, where the program makes offers.
    @OptionalEnum(key: "offer") var offer: Offer?
    @OptionalField(key: "offer_due") var offerDue: CivilDate?
    @OptionalField(key: "offer_answered_at") var offerAnsweredAt: Date?

    // Listed rather than found by reflection on every row read (ModelPropertiesTests checks the list).
    var properties: [any AnyProperty] { [$id, $rank, $number, $nameMasked, $points, $schoolCode, $qualified, $round, $application, $offer, $offerDue, $offerAnsweredAt] }

    /// Pending until answered; the silent ones are taken as the program says when their days run out.
    enum Offer: String, Codable, Sendable { case pending, accepted, declined, acceptedBySilence, declinedBySilence
        var isDecline: Bool { self == .declined || self == .declinedBySilence }
    }

    init() {}
}

/// One school of an application's ranking (志愿) for a round: rank 1 is the first choice.
/// Round 1 is the application's own ranking; round 2 the new one given for the second round
/// (调剂) — none there places the applicant by the town he lives in.
final class ServicePreference: Model, @unchecked Sendable {
    static let schema = "service_preferences"

    // managed fields
    @ID(key: .id) var id: UUID?

    // data fields
    @Field(key: "round") var round: Int
    @Field(key: "rank") var rank: Int
    @Field(key: "school_code") var schoolCode: String

    // relationships
    @Parent(key: "application_id") var application: ServiceApplication

    // Listed rather than found by reflection on every row read (ModelPropertiesTests checks the list).
    var properties: [any AnyProperty] { [$id, $round, $rank, $schoolCode, $application] }

    init() {}

    init(application: UUID, round: Int, rank: Int, school: String) {
        self.$application.id = application
        self.round = round
        self.rank = rank
        self.schoolCode = school
    }
}

/// A school in a round: its seats, how many it admitted, and its cutoff — the last admitted
/// applicant, his points and his place in the priority order.
final class RoundSchool: Model, @unchecked Sendable {
    static let schema = "round_schools"

    // managed fields
    @ID(key: .id) var id: UUID?

    // data fields
    @Field(key: "school_code") var schoolCode: String
    @Field(key: "seats") var seats: Int
    @Field(key: "admitted") var admitted: Int
    @OptionalField(key: "cutoff_number") var cutoffNumber: String?
    /// Hundredths of a point.
    @OptionalField(key: "cutoff_points") var cutoffPoints: Int64?
    @OptionalField(key: "cutoff_rank") var cutoffRank: Int?

    // relationships
    @Parent(key: "round_id") var round: AllocationRound

    // Listed rather than found by reflection on every row read (ModelPropertiesTests checks the list).
    var properties: [any AnyProperty] { [$id, $schoolCode, $seats, $admitted, $cutoffNumber, $cutoffPoints, $cutoffRank, $round] }

    init() {}
}

/// An applicant's trace in a round: the schools of his list for the round, in his order, and what
/// each did when his turn came; it stops at the school that admitted him. One row an applicant (a
/// city's round writes twelve thousand, not thirty-three thousand). A school that was full when
/// his turn came was full with everyone it admitted, so the last it admitted, who ranked before
/// him, is its cutoff in the round (`round_schools`).
final class AllocationTrace: Model, @unchecked Sendable {
    static let schema = "allocation_traces"

    // managed fields
    @ID(key: .id) var id: UUID?

    // data fields
    @Field(key: "number") var number: String
    /// The schools he was tried at, in order.
    @Field(key: "schools") var schools: [String]
    /// What each did (`Outcome`), in the same order.
    @Field(key: "outcomes") var outcomes: [String]

    // relationships
    @Parent(key: "round_id") var round: AllocationRound

    // Listed rather than found by reflection on every row read (ModelPropertiesTests checks the list).
    var properties: [any AnyProperty] { [$id, $number, $schools, $outcomes, $round] }

    init() {}

    enum Outcome: String, Codable, Sendable { case admitted, full, noSeats }

    struct Step: Equatable, Sendable {
        let schoolCode: String
        let outcome: Outcome
    }

    struct Unreadable: Error, CustomStringConvertible {
        let number: String
        var description: String { "allocation_traces of \(number): the schools and their outcomes do not match" }
    }

    var steps: [Step] { get throws { try Self.steps(of: number, schools: schools, outcomes: outcomes) } }

    /// The steps of `number`'s trace as its two lists keep them, in order.
    static func steps(of number: String, schools: [String], outcomes: [String]) throws -> [Step] {
        guard schools.count == outcomes.count else { throw Unreadable(number: number) }
        return try zip(schools, outcomes).map { school, word in
            guard let outcome = Outcome(rawValue: word) else { throw Unreadable(number: number) }
            return Step(schoolCode: school, outcome: outcome)
        }
    }
}

/// One step of a trace as rows were kept from migration 015 until migration 043 made them one row
/// an applicant (`AllocationTrace`); only those two migrations read and write it.
final class AllocationStep: Model, @unchecked Sendable {
    static let schema = "allocation_steps"

    // managed fields
    @ID(key: .id) var id: UUID?

    // data fields
    @Field(key: "number") var number: String
    @Field(key: "position") var position: Int
    @Field(key: "school_code") var schoolCode: String
    @Enum(key: "outcome") var outcome: Outcome
    /// For `full`: the last applicant the school admitted, who ranked before him.
    @OptionalField(key: "cutoff_number") var cutoffNumber: String?
    @OptionalField(key: "cutoff_rank") var cutoffRank: Int?

    // relationships
    @Parent(key: "round_id") var round: AllocationRound

    // Listed rather than found by reflection on every row read (ModelPropertiesTests checks the list).
    var properties: [any AnyProperty] { [$id, $number, $position, $schoolCode, $outcome, $cutoffNumber, $cutoffRank, $round] }

    init() {}

    typealias Outcome = AllocationTrace.Outcome
}

/// A correction of a published round after an objection (更正): whose frozen points were
/// corrected, from what to what, why, by whom and when; and the results it changed.
final class RoundCorrection: Model, @unchecked Sendable {
    static let schema = "round_corrections"

    // managed fields
    @ID(key: .id) var id: UUID?
    @Field(key: "at") var at: Date

    // data fields
    @Field(key: "by") var by: String
    /// The corrected application.
    @Field(key: "number") var number: String
    /// Hundredths of a point.
    @Field(key: "points_before") var pointsBefore: Int64
    @Field(key: "points_after") var pointsAfter: Int64
    @Field(key: "reason") var reason: String

    // relationships
    @Parent(key: "round_id") var round: AllocationRound
    @Children(for: \.$correction) var changes: [CorrectionChange]

    // Listed rather than found by reflection on every row read (ModelPropertiesTests checks the list).
    var properties: [any AnyProperty] { [$id, $at, $by, $number, $pointsBefore, $pointsAfter, $reason, $round, $changes] }

    init() {}
}

/// One result a correction changed: the application and its school before and after (nil: not placed).
final class CorrectionChange: Model, @unchecked Sendable {
    static let schema = "correction_changes"

    // managed fields
    @ID(key: .id) var id: UUID?

    // data fields
    /// The order in which the round lists them (its priority order).
    @Field(key: "position") var position: Int
    @Field(key: "number") var number: String
    @OptionalField(key: "school_before") var schoolBefore: String?
    @OptionalField(key: "school_after") var schoolAfter: String?

    // relationships
    @Parent(key: "correction_id") var correction: RoundCorrection

    // Listed rather than found by reflection on every row read (ModelPropertiesTests checks the list).
    var properties: [any AnyProperty] { [$id, $position, $number, $schoolBefore, $schoolAfter, $correction] }

    init() {}

    init(correction: UUID, position: Int, number: String, before: String?, after: String?) {
        self.$correction.id = correction
        self.position = position
        self.number = number
        self.schoolBefore = before
        self.schoolAfter = after
    }
}

/// One line of a waitlist's addendum to the publicity: the family that declined (school after
/// nil) and each family the chain moved, in order.
final class WaitlistMove: Model, @unchecked Sendable {
    static let schema = "waitlist_moves"

    @ID(key: .id) var id: UUID?
    @Parent(key: "round_id") var round: AllocationRound
    @Field(key: "at") var at: Date
    @Field(key: "position") var position: Int
    /// The application whose decline started the chain.
    @Field(key: "declined_number") var declinedNumber: String
    @Field(key: "number") var number: String
    @Field(key: "name_masked") var nameMasked: String
    @OptionalField(key: "school_before") var schoolBefore: String?
    @OptionalField(key: "school_after") var schoolAfter: String?

    // Listed rather than found by reflection on every row read (ModelPropertiesTests checks the list).
    var properties: [any AnyProperty] { [$id, $round, $at, $position, $declinedNumber, $number, $nameMasked, $schoolBefore, $schoolAfter] }

    init() {}
}
