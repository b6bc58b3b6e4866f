import Fluent
import SQLKit
import JifenCore
import Vapor

/// A points application (积分申请) of one resident for one application year: the items he claims,
/// the window's first review, then each item's department.
final class PointsApplication: Model, @unchecked Sendable {
    static let schema = "points_applications"

    // managed fields
    @ID(key: .id) var id: UUID?
    @Field(key: "created_at") var createdAt: Date
    @Field(key: "updated_at") var updatedAt: Date

    // data fields
    @Field(key: "number") var number: String
    @Field(key: "year") var year: Int
    /// The version of the scoring standard the application is scored under (the one in force when opened).
    @Field(key: "standard_code") var standardCode: String
    @Enum(key: "status") var status: Status
    @Field(key: "opened_by") var openedBy: String
    @OptionalField(key: "submitted_at") var submittedAt: Date?
    @OptionalField(key: "reviewed_at") var reviewedAt: Date?
    @OptionalField(key: "reviewed_by") var reviewedBy: String?
    /// What the window found missing when it returned the application.
    @OptionalField(key: "return_reason") var returnReason: String?
    @OptionalField(key: "completed_at") var completedAt: Date?
    /// The total at completion, in hundredths of a point.
    @OptionalField(key: "total") var total: Int64?

    // relationships
    @Parent(key: "resident_id") var resident: Resident
    /// Where the applicant lives (the grid of his registration): the window of that town handles it.
    @Parent(key: "jurisdiction_id") var jurisdiction: Jurisdiction

    // Listed rather than found by reflection on every row read (ModelPropertiesTests checks the list).
    var properties: [any AnyProperty] { [$id, $createdAt, $updatedAt, $number, $year, $standardCode, $status, $openedBy, $submittedAt, $reviewedAt, $reviewedBy, $returnReason, $completedAt, $total, $resident, $jurisdiction] }

    init() {}

    enum Status: String, Codable, Sendable, CaseIterable {
        /// Being filled in by the applicant (or the clerk at the counter).
        case draft
        /// Waiting for the window's first review (初审).
        case submitted
        /// Returned by the window with what is missing; the applicant completes and submits again.
        case returned
        /// Accepted by the window; its items are in the departments' queues.
        case inReview
        /// Every item decided; the points are in the archive.
        case completed
        /// Cancelled by the centre (fraud found while it was open).
        case void
    }

    var isEditable: Bool { status == .draft || status == .returned }

    var auditSnapshot: [String: String] {
        var s = ["number": number, "year": String(year), "status": status.rawValue, "standard": standardCode]
        if let returnReason { s["returnReason"] = returnReason }
        if let total { s["total"] = Points(hundredths: total).description }
        return s
    }
}

/// One claimed item of an application and its review.
final class PointsClaim: Model, @unchecked Sendable {
    static let schema = "points_claims"

    // managed fields
    @ID(key: .id) var id: UUID?
    @Field(key: "created_at") var createdAt: Date

    // data fields
    @Field(key: "item") var item: String
    /// The member department responsible for the item (from the standard).
    @Field(key: "department") var department: String
    /// The claimed value: an option id, a number, or `true` (see `ClaimInput.text`).
    @Field(key: "value") var value: String
    @OptionalField(key: "fact_date") var factDate: CivilDate?
    @Enum(key: "state") var state: State
    /// The value review confirmed when it differs from the claim (a correction or a feed).
    @OptionalField(key: "confirmed_value") var confirmedValue: String?
    @OptionalField(key: "confirmed_date") var confirmedDate: CivilDate?
    /// `department:hrss` or `feed:socialInsurance` (with `feedAsOf`).
    @OptionalField(key: "verifier") var verifier: String?
    @OptionalField(key: "feed_as_of") var feedAsOf: CivilDate?
    @OptionalField(key: "reason") var reason: String?
    @OptionalField(key: "decided_by") var decidedBy: String?
    @OptionalField(key: "decided_at") var decidedAt: Date?
    /// Review due (working days after the window accepted the application).
    @OptionalField(key: "due_date") var dueDate: CivilDate?

    // relationships
    @Parent(key: "application_id") var application: PointsApplication

    // Listed rather than found by reflection on every row read (ModelPropertiesTests checks the list).
    var properties: [any AnyProperty] { [$id, $createdAt, $item, $department, $value, $factDate, $state, $confirmedValue, $confirmedDate, $verifier, $feedAsOf, $reason, $decidedBy, $decidedAt, $dueDate, $application] }

    init() {}

    enum State: String, Codable, Sendable, CaseIterable { case claimed, verified, corrected, rejected }

    func isOverdue(today: CivilDate) -> Bool {
        state == .claimed && (dueDate.map { $0 < today } ?? false)
    }

    var auditSnapshot: [String: String] {
        var s = ["item": item, "value": value, "state": state.rawValue, "department": department]
        if let factDate { s["date"] = factDate.description }
        if let confirmedValue { s["confirmed"] = confirmedValue }
        if let verifier { s["verifier"] = verifier + (feedAsOf.map { "@" + $0.description } ?? "") }
        if let reason { s["reason"] = reason }
        return s
    }

    /// The claim as the domain's archive rules see it.
    func claim(for item: ScoringStandard.Item) -> Claim? {
        ClaimRow(application_id: $application.id, item: self.item, department: department, value: value, fact_date: factDate, state: state,
                 confirmed_value: confirmedValue, confirmed_date: confirmedDate, verifier: verifier, feed_as_of: feedAsOf, reason: reason).claim(for: item)
    }
}

/// The columns of a claim that scoring reads: what a round reads of tens of thousands of claims,
/// in one query and without a model each.
struct ClaimRow: Decodable, Sendable {
    let application_id: UUID
    let item: String
    let department: String
    let value: String
    let fact_date: CivilDate?
    let state: PointsClaim.State
    let confirmed_value: String?
    let confirmed_date: CivilDate?
    let verifier: String?
    let feed_as_of: CivilDate?
    let reason: String?

    static let columns = ["application_id", "item", "department", "value", "fact_date", "state", "confirmed_value", "confirmed_date", "verifier", "feed_as_of", "reason"]

    func claim(for item: ScoringStandard.Item) -> Claim? {
        guard let claimed = ClaimInput.value(value, for: item) else { return nil }
        let fact = Fact(claimed, date: fact_date)
        let by: Claim.Verifier = if let feed = verifier?.split(separator: ":").last, verifier?.hasPrefix("feed:") == true {
            .feed(String(feed), asOf: feed_as_of ?? CivilDate(year: 1970, month: 1, day: 1)!)
        } else {
            .department(department)
        }
        switch state {
        case .claimed: return Claim(item: self.item, fact: fact)
        case .rejected: return Claim(item: self.item, fact: fact, state: .rejected(reason: reason ?? ""))
        case .verified: return Claim(item: self.item, fact: fact, state: .verified(by: by))
        case .corrected:
            return Claim(item: self.item, fact: fact, state: .corrected(Self.corrected(fact, to: confirmed_value, on: confirmed_date, for: item), by: by))
        }
    }

    /// The fact a reviewer's correction makes of `claimed`: the confirmed value where it reads as
    /// one of the item's, else the claimed one; the confirmed date, else the claimed one.
    static func corrected(_ claimed: Fact, to value: String?, on date: CivilDate?, for item: ScoringStandard.Item) -> Fact {
        Fact(value.flatMap { ClaimInput.value($0, for: item) } ?? claimed.value, date: date ?? claimed.date)
    }
}

/// An uploaded evidence file of a claim, stored under the data directory by its SHA-256.
final class EvidenceFile: Model, @unchecked Sendable {
    static let schema = "evidence_files"

    // managed fields
    @ID(key: .id) var id: UUID?
    @Field(key: "created_at") var createdAt: Date

    // data fields
    @Field(key: "sha256") var sha256: String
    @Enum(key: "kind") var kind: EvidenceKind
    @Field(key: "size") var size: Int
    @Field(key: "filename") var filename: String
    @Field(key: "uploaded_by") var uploadedBy: String

    // relationships
    @Parent(key: "claim_id") var claim: PointsClaim

    // Listed rather than found by reflection on every row read (ModelPropertiesTests checks the list).
    var properties: [any AnyProperty] { [$id, $createdAt, $sha256, $kind, $size, $filename, $uploadedBy, $claim] }

    init() {}
}

/// A resident's points archive (积分档案): the points that count now and what happened to them.
final class PointsArchive: Model, @unchecked Sendable {
    static let schema = "points_archives"

    // managed fields
    @ID(key: .id) var id: UUID?
    @Field(key: "updated_at") var updatedAt: Date

    // data fields
    @Enum(key: "status") var status: Status
    /// The application year the points belong to (valid for that year only).
    @Field(key: "year") var year: Int
    /// Hundredths of a point.
    @Field(key: "total") var total: Int64
    @OptionalField(key: "fraud_found") var fraudFound: CivilDate?
    @OptionalField(key: "barred_until") var barredUntil: CivilDate?
    @OptionalField(key: "ended_reason") var endedReason: String?

    // relationships
    @Parent(key: "resident_id") var resident: Resident
    /// The completed application the points come from.
    @OptionalParent(key: "application_id") var application: PointsApplication?

    // Listed rather than found by reflection on every row read (ModelPropertiesTests checks the list).
    var properties: [any AnyProperty] { [$id, $updatedAt, $status, $year, $total, $fraudFound, $barredUntil, $endedReason, $resident, $application] }

    init() {}

    enum Status: String, Codable, Sendable, CaseIterable {
        case active
        /// Cleared after fraud; the person is barred until `barredUntil`.
        case cleared
        /// Ended: the person took local hukou.
        case ended
    }
}

/// One change of an archive: who, when, why, the total before and after.
final class PointsHistoryEntry: Model, @unchecked Sendable {
    static let schema = "points_history"

    // managed fields
    @ID(key: .id) var id: UUID?
    @Field(key: "at") var at: Date

    // data fields
    @Enum(key: "kind") var kind: Kind
    @Field(key: "before_total") var before: Int64
    @Field(key: "after_total") var after: Int64
    /// The staff's own words (fraud, end of the archive); in entries made before `details`
    /// existed, the whole sentence in Chinese.
    @Field(key: "reason") var reason: String
    @OptionalField(key: "details") var details: Details?
    @Field(key: "by") var by: String

    // relationships
    @Parent(key: "archive_id") var archive: PointsArchive

    // Listed rather than found by reflection on every row read (ModelPropertiesTests checks the list).
    var properties: [any AnyProperty] { [$id, $at, $kind, $before, $after, $reason, $details, $by, $archive] }

    init() {}

    enum Kind: String, Codable, Sendable, CaseIterable { case completed, expired, adjusted, fraud, ended }

    /// What happened, as data: the completed application and its year; the feed and what it
    /// changed; the end of a fraud bar. Each page words it in its reader's language.
    struct Details: Codable, Sendable, Equatable {
        var number: String?
        var year: Int?
        var feed: String?
        var changes: [Change]?
        var barredUntil: CivilDate?

        /// One item a feed changed: its title in the standard, the value before (if any) and after
        /// as the standard shows them, and the date of the feed's figure.
        struct Change: Codable, Sendable, Equatable {
            let item: String
            let from: String?
            let to: String
            let asOf: CivilDate?
        }
    }

    /// The entry in words, in `language` (text messages use Chinese).
    func words(_ catalog: Catalog, _ language: Catalog.Language) -> String {
        guard let details else { return reason }  // written before details were kept
        switch kind {
        case .completed:
            return catalog.text("history_completed", language, ["number": details.number ?? "", "year": details.year.map(String.init) ?? ""])
        case .expired:
            return catalog.text("history_expired", language)
        case .adjusted:
            let changes = (details.changes ?? []).map {
                catalog.text("history_feed_item", language, ["item": $0.item, "from": $0.from ?? "—", "to": $0.to, "asOf": $0.asOf?.description ?? ""])
            }
            return catalog.text("history_feed", language, ["feed": catalog.text("feed_" + (details.feed ?? ""), language),
                                                            "changes": changes.joined(separator: language == .zh ? "；" : "; ")])
        case .fraud:
            return catalog.text("history_fraud", language, ["reason": reason, "date": details.barredUntil.map { ShanghaiDate.long($0, language) } ?? ""])
        case .ended:
            return catalog.text("history_ended", language, ["reason": reason])
        }
    }
}

extension PointsApplication: Audited {
    static let auditEntity = "pointsApplication"
    var auditID: String { number }
}

/// The log names a claim by its application's number and the item: pass `id:` when saving.
extension PointsClaim: Audited {
    static let auditEntity = "pointsClaim"
}

extension PointsApplication {
    /// The window's decision on the application as a whole (accept into review, or return), logged.
    func review(_ action: String, status: Status, reason: String?, by actor: Actor, at now: Date, on db: any Database) async throws {
        try await save(action, by: actor, at: now, on: db) {
            self.status = status
            returnReason = reason
            reviewedAt = now
            reviewedBy = actor.login
            updatedAt = now
        }
    }
}
