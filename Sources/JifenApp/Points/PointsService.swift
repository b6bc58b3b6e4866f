import Fluent
import JifenCore
import SQLKit
import Vapor

/// The points workflow as operations on the database, shared by the pages, the demo and the
/// feed import: open, submit, first review, department decisions, data matching, completion
/// into the archive, dynamic adjustment, fraud and the end of an archive.
struct PointsService: WorkflowService {
    let app: Application
    let db: any Database
    let now: Date
    let actor: Actor
    let logger: Logger

    // MARK: reading

    /// The standard of this code: one of `kept` (published standards read already) if it is
    /// there, else read.
    static func standard(code: String, among kept: [(StandardVersion, ScoringStandard)]?, on db: any Database) async throws -> ScoringStandard {
        if let found = kept?.first(where: { $0.0.code == code }) { return found.1 }
        return try await standard(code: code, on: db)
    }

    static func standard(code: String, on db: any Database) async throws -> ScoringStandard {
        if let (_, standard) = try await StandardVersion.published(code: code, on: db) { return standard }
        guard let version = try await StandardVersion.find(code: code, on: db) else {
            throw Abort(.internalServerError, reason: "scoring standard \(code) missing")
        }
        return try version.standard()
    }

    /// Why a resident may not open an application.
    enum Refusal: Equatable, Sendable {
        /// He took local hukou: the archive ended.
        case ended
        /// Fraud found on `found`: barred until `from`.
        case barred(from: CivilDate, found: String)
        case noResidence
        case noStandard
        /// His account's identity is not confirmed yet (by the identity service or at the window).
        case identityUnverified
    }

    /// The refusal in the reader's language.
    static func words(_ refusal: Refusal, _ catalog: Catalog, _ language: Catalog.Language) -> String {
        switch refusal {
        case .ended: catalog.text("points_refused_ended", language)
        case .barred(let from, let found): catalog.text("points_refused_barred", language, ["date": ShanghaiDate.long(from, language), "found": found])
        case .noResidence: catalog.text("points_refused_no_residence", language)
        case .noStandard: catalog.text("points_refused_no_standard", language)
        case .identityUnverified: catalog.text("identity_needed", language)
        }
    }

    /// Why `resident` may not open an application today, or nil.
    func refusal(for resident: Resident) async throws -> Refusal? {
        if resident.heldUnconfirmed { return .identityUnverified }
        guard let archive = try await PointsArchive.query(on: db).filter(\.$resident.$id == resident.requireID()).first() else { return nil }
        switch archive.status {
        case .ended:
            return .ended
        case .cleared:
            let found = archive.fraudFound.map { [$0] } ?? []
            let verdict = PointsValidity.mayApply(on: today, fraudFound: found)
            if !verdict.allowed, let from = verdict.from { return .barred(from: from, found: archive.fraudFound?.description ?? "") }
            return nil
        case .active:
            return nil
        }
    }

    /// The grid of the resident's current registration (not rejected, not ended), if any.
    func currentGrid(of resident: Resident) async throws -> UUID? {
        try await ResidenceRegistration.query(on: db).filter(\.$resident.$id == resident.requireID())
            .filter(\.$toDate == nil).filter(\.$status != .rejected).sort(\.$fromDate, .descending).first()?.$jurisdiction.id
    }

    // MARK: opening and claiming

    enum OpenResult { case opened(PointsApplication), refused(Refusal) }

    /// Opens the resident's application for this year, or finds the one he has: opening twice
    /// gives one application (the database holds one per person and year).
    func open(for resident: Resident, jurisdictionID fallback: UUID?) async throws -> OpenResult {
        let residentID = try resident.requireID()
        if let existing = try await PointsApplication.query(on: db).filter(\.$resident.$id == residentID).filter(\.$year == today.year).first() {
            return .opened(existing)
        }
        if let refusal = try await refusal(for: resident) { return .refused(refusal) }
        guard let grid = try await currentGrid(of: resident) ?? fallback else { return .refused(.noResidence) }
        guard let (version, _) = try await StandardVersion.inForce(on: today, on: db) else { return .refused(.noStandard) }
        let application = PointsApplication()
        application.createdAt = now
        application.updatedAt = now
        application.number = "JF\(today.year)-" + String(UUID().uuidString.replacingOccurrences(of: "-", with: "").prefix(8))
        application.year = today.year
        application.standardCode = version.code
        application.status = .draft
        application.openedBy = actor.login
        application.$resident.id = residentID
        application.$jurisdiction.id = grid
        do {
            try await db.transaction { db in
                try await application.create(on: db)
                try await Audit.record("open", entity: "pointsApplication", id: application.number, after: application.auditSnapshot, by: actor, at: now, on: db)
            }
        } catch {
            // Two tabs opening at once: the unique (resident, year) index lets one win.
            if let existing = try await PointsApplication.query(on: db).filter(\.$resident.$id == residentID).filter(\.$year == today.year).first() {
                return .opened(existing)
            }
            throw error
        }
        return .opened(application)
    }

    // MARK: submission

    /// Submits a draft or returned application. Returns false when it was already submitted
    /// (a double click, a retry): the state changes once and one notification goes out.
    @discardableResult
    func submit(_ application: PointsApplication) async throws -> Bool {
        let id = try application.requireID()
        let resident = try await application.$resident.get(on: db)
        return try await db.transaction { db in
            guard let sql = db as? any SQLDatabase else { throw Abort(.internalServerError) }
            let won = try await sql.update(PointsApplication.schema)
                .set("status", to: PointsApplication.Status.submitted.rawValue)
                .where("id", .equal, id)
                .where("status", .in, [PointsApplication.Status.draft.rawValue, PointsApplication.Status.returned.rawValue])
                .returning("id")
                .all()
            guard !won.isEmpty else { return false }
            try await application.save("submit", by: actor, at: now, on: db) {
                application.status = .submitted
                application.submittedAt = now
                application.updatedAt = now
            }
            try await on(db).notify(resident, kind: "pointsSubmitted", text("sms_points_submitted", ["number": application.number]))
            return true
        }
    }

    // MARK: first review

    /// The window returns the application with what is missing.
    func returnApplication(_ application: PointsApplication, missing: String) async throws {
        let resident = try await application.$resident.get(on: db)
        try await db.transaction { db in
            try await application.review("return", status: .returned, reason: missing, by: actor, at: now, on: db)
            try await on(db).notify(resident, kind: "pointsReturned", text("sms_points_returned", ["number": application.number, "missing": missing]))
        }
    }

    /// The window accepts: each item goes to its department, due in N working days; the items a
    /// feed covers are verified from the feed at once. Returns the years the due dates were
    /// counted through without a calendar.
    @discardableResult
    func accept(_ application: PointsApplication, disputed: Set<UUID> = []) async throws -> [Int] {
        let resident = try await application.$resident.get(on: db)
        let standard = try await Self.standard(code: application.standardCode, on: db)
        let calendar = try await app.workingCalendar(on: db)
        let due = calendar.adding(workingDays: app.jifenConfig.reviewWorkingDays, to: today)
        try await db.transaction { db in
            let service = on(db)
            try await application.review("accept", status: .inReview, reason: nil, by: actor, at: now, on: db)
            let claims = try await application.claims(on: db)
            for claim in claims where claim.state == .claimed {
                claim.dueDate = due.date
                try await claim.save(on: db)
            }
            try await service.match(application, resident: resident, standard: standard, claims: claims)
            try await service.confirmAtTown(application, standard: standard, claims: claims, disputed: disputed)
            try await service.notify(resident, kind: "pointsAccepted", text("sms_points_accepted", ["number": application.number]))
            try await service.completeIfDone(application, resident: resident, standard: standard)
        }
        return due.guessedYears
    }

    /// 积分核定 at the town (seed 004 art. 4/9): the items the standard leaves to the town's window
    /// are confirmed by the clerk who accepts; those whose materials he disputes go to their
    /// department for re-review (复审), due like any department item.
    func confirmAtTown(_ application: PointsApplication, standard: ScoringStandard, claims: [PointsClaim], disputed: Set<UUID>) async throws {
        for claim in claims where claim.state == .claimed {
            guard let item = standard.item(claim.item), item.confirmedBy == .town, item.feed == nil, let id = claim.id else { continue }
            if disputed.contains(id) {
                try await Audit.record("dispute", entity: "pointsClaim", id: application.number + "/" + claim.item, after: claim.auditSnapshot, by: actor, at: now, on: db)
                continue
            }
            let before = claim.auditSnapshot
            claim.state = .verified
            claim.verifier = "town:" + actor.login
            claim.decidedBy = actor.login
            claim.decidedAt = now
            claim.dueDate = nil
            try await claim.save(on: db)
            try await Audit.record("townConfirm", entity: "pointsClaim", id: application.number + "/" + claim.item, before: before, after: claim.auditSnapshot,
                                   by: actor, at: now, on: db)
        }
    }

    /// What a feed knows of `item` for the person with this ID hash, as of today: a verified claim
    /// from its latest record dated on or before today, or nil.
    func feedClaim(_ item: ScoringStandard.Item, feed: String, idHash: String, on db: any Database) async throws -> Claim? {
        let records = try await FeedRecordModel.query(on: db).filter(\.$feed == feed).filter(\.$idHash == idHash).all()
            .map { FeedMatching.Record(quantity: Decimal2(hundredths: $0.quantity), asOf: $0.asOf) }
        return FeedMatching.claim(item: item.id, feed: feed, records: records, asOf: today)
    }

    /// Takes `matched` (a feed's fact) as the confirmed value of `claim` (new or existing),
    /// saves it and records it in the audit log under `action`.
    func confirm(_ claim: PointsClaim, from matched: Claim, feed: String, action: String, number: String, before: [String: String]?, on db: any Database) async throws {
        let value = ClaimInput.text(matched.fact.value)
        claim.state = claim.value == value ? .verified : .corrected
        claim.confirmedValue = claim.value == value ? nil : value
        claim.confirmedDate = matched.fact.date
        claim.verifier = "feed:" + feed
        claim.feedAsOf = matched.fact.date
        claim.decidedBy = "feed:" + feed
        claim.decidedAt = now
        try await claim.save(on: db)
        try await Audit.record(action, entity: "pointsClaim", id: number + "/" + claim.item, before: before, after: claim.auditSnapshot, by: .system, at: now, on: db)
    }

    /// A claim of `item` made by a feed (not by the applicant), not saved yet.
    func newClaim(_ item: ScoringStandard.Item, value: String, application: UUID) -> PointsClaim {
        let claim = PointsClaim()
        claim.createdAt = now
        claim.item = item.id
        claim.department = item.department
        claim.value = value
        claim.$application.id = application
        return claim
    }

    /// Data matching (大数据比对): every item of the standard a feed covers, claimed or not, is
    /// taken from the feed's latest record known today, with the record as its evidence.
    func match(_ application: PointsApplication, resident: Resident, standard: ScoringStandard, claims: [PointsClaim]) async throws {
        for item in standard.items {
            guard let feed = item.feed, let matched = try await feedClaim(item, feed: feed, idHash: resident.idHash, on: db) else { continue }
            let claim: PointsClaim
            let before: [String: String]?
            if let existing = claims.first(where: { $0.item == item.id && $0.state == .claimed }) {
                claim = existing
                before = existing.auditSnapshot
            } else if claims.contains(where: { $0.item == item.id }) {
                continue
            } else {
                claim = newClaim(item, value: ClaimInput.text(matched.fact.value), application: try application.requireID())
                before = nil
            }
            try await confirm(claim, from: matched, feed: feed, action: "feedMatch", number: application.number, before: before, on: db)
        }
    }

    // MARK: department decisions

    /// Another decision on the claim came first.
    struct AlreadyDecided: Error {}

    enum Decision {
        case approve
        case reject(reason: String)
        case correct(value: Fact, reason: String)
    }

    func decide(_ claim: PointsClaim, _ decision: Decision, item: ScoringStandard.Item) async throws {
        let application = try await claim.$application.get(on: db)
        let resident = try await application.$resident.get(on: db)
        let standard = try await Self.standard(code: application.standardCode, on: db)
        try await db.transaction { db in
            // Decided once: of two decisions sent at once (two reviewers, a page and a system),
            // the one that moves the claim on first stands; the other is told.
            let moved = try await (db as! any SQLDatabase).raw("""
                UPDATE points_claims SET decided_at = \(bind: now) WHERE id = \(bind: claim.requireID()) AND state = 'claimed' RETURNING id
                """).all()
            guard !moved.isEmpty else { throw AlreadyDecided() }
            let before = claim.auditSnapshot
            claim.verifier = "department:" + claim.department
            claim.decidedBy = actor.login
            claim.decidedAt = now
            let outcome: String
            switch decision {
            case .approve:
                claim.state = .verified
                outcome = text("claim_verified")
            case .reject(let reason):
                claim.state = .rejected
                claim.reason = reason
                outcome = text("claim_rejected") + "：" + reason
            case .correct(let fact, let reason):
                claim.state = .corrected
                claim.confirmedValue = ClaimInput.text(fact.value)
                claim.confirmedDate = fact.date ?? claim.factDate
                claim.reason = reason
                outcome = text("claim_corrected") + "：" + ClaimInput.display(fact.value, for: item) + "（" + reason + "）"
            }
            try await claim.save(on: db)
            try await Audit.record("decide", entity: "pointsClaim", id: application.number + "/" + claim.item, before: before, after: claim.auditSnapshot, by: actor, at: now, on: db)
            try await on(db).notify(resident, kind: "pointsItemDecided",
                                    text("sms_points_item", ["number": application.number, "item": item.title, "outcome": outcome]))
            try await on(db).completeIfDone(application, resident: resident, standard: standard)
        }
    }

    /// When no item waits any more, the application is complete and its points enter the archive.
    func completeIfDone(_ application: PointsApplication, resident: Resident, standard: ScoringStandard) async throws {
        guard application.status == .inReview else { return }
        let claims = try await application.claims(on: db)
        guard !claims.contains(where: { $0.state == .claimed }) else { return }
        let evaluation = PointsArchiveRules.evaluate(claims.compactMap { c in standard.item(c.item).flatMap { c.claim(for: $0) } },
                                                     standard: standard, asOf: today)
        try await application.save("complete", by: actor, at: now, on: db) {
            application.status = .completed
            application.completedAt = now
            application.total = evaluation.total.hundredths
            application.updatedAt = now
        }
        let archive = try await PointsArchive.query(on: db).filter(\.$resident.$id == resident.requireID()).first() ?? {
            let a = PointsArchive()
            a.status = .active
            a.year = application.year
            a.total = 0
            a.$resident.id = resident.id!
            return a
        }()
        let previous = archive.id != nil && archive.year == application.year ? archive.total : 0
        archive.status = .active
        archive.year = application.year
        archive.total = evaluation.total.hundredths
        archive.$application.id = try application.requireID()
        archive.updatedAt = now
        try await archive.save(on: db)
        try await history(archive, .completed, before: previous, details: .init(number: application.number, year: application.year))
        try await notify(resident, kind: "pointsCompleted",
                         text("sms_points_completed", ["number": application.number, "year": String(application.year), "total": evaluation.total.description]))
    }

    /// Records a change of the archive's total: what happened as data (`details`), the staff's
    /// own words if any (`reason`), and the audit entry. Returns the entry (its `words` for a text).
    @discardableResult
    func history(_ archive: PointsArchive, _ kind: PointsHistoryEntry.Kind, before: Int64, details: PointsHistoryEntry.Details = .init(),
                 reason: String = "") async throws -> PointsHistoryEntry {
        let entry = PointsHistoryEntry()
        entry.at = now
        entry.kind = kind
        entry.before = before
        entry.after = archive.total
        entry.reason = reason
        entry.details = details
        entry.by = actor.login
        entry.$archive.id = try archive.requireID()
        try await entry.create(on: db)
        let name = kind.rawValue
        try await Audit.record("points" + name.prefix(1).uppercased() + name.dropFirst(), entity: "pointsArchive", id: try archive.requireID().uuidString,
                               before: ["total": Points(hundredths: before).description],
                               after: ["total": Points(hundredths: archive.total).description, "reason": entry.words(app.catalog, .zh)],
                               by: actor, at: now, on: db)
        return entry
    }

    // MARK: the archive over time

    /// What explaining an archive needs, read once: its completed application, that
    /// application's claims and the published standards. Its score under each standard is then
    /// worked out without reading again.
    struct ArchiveFacts {
        let application: PointsApplication
        let claims: [PointsClaim]
        let published: [(StandardVersion, ScoringStandard)]
    }

    /// The archive's facts; nil when it has no application.
    func facts(of archive: PointsArchive) async throws -> ArchiveFacts? {
        guard let id = archive.$application.id, let application = try await PlainModels.all(PointsApplication.self, """
            SELECT * FROM \(unsafeRaw: PointsApplication.schema) WHERE id = \(bind: id)
            """, on: db).first else { return nil }
        return ArchiveFacts(application: application, claims: try await application.claims(on: db), published: try await StandardVersion.allPublished(on: db))
    }

    /// The archive's explanation as of today, from the completed application's confirmed claims.
    func evaluation(of archive: PointsArchive) async throws -> (Evaluator.Evaluation, ScoringStandard)? {
        guard let facts = try await facts(of: archive) else { return nil }
        return try await evaluation(facts)
    }

    /// The explanation under the application's own standard.
    func evaluation(_ facts: ArchiveFacts) async throws -> (Evaluator.Evaluation, ScoringStandard) {
        let code = facts.application.standardCode
        let standard = try await Self.standard(code: code, among: facts.published, on: db)
        return (evaluate(facts.claims, under: standard), standard)
    }

    /// The archive's confirmed facts scored under the version of `series` in force today: items
    /// share fact keys across standards, so what a department confirmed once serves every
    /// standard that asks for the same fact. Nil without an application or a version in force.
    func evaluation(of archive: PointsArchive, series: String) async throws -> (Evaluator.Evaluation, ScoringStandard)? {
        guard let facts = try await facts(of: archive) else { return nil }
        return try await evaluation(facts, series: series)
    }

    func evaluation(_ facts: ArchiveFacts, series: String) async throws -> (Evaluator.Evaluation, ScoringStandard)? {
        if series == ScoringStandard.generalSeries { return try await evaluation(facts) }
        guard let (_, standard) = StandardVersion.inForce(on: today, series: series, among: facts.published) else { return nil }
        return (evaluate(facts.claims, under: standard), standard)
    }

    func evaluation(of application: PointsApplication, under standard: ScoringStandard) async throws -> Evaluator.Evaluation {
        evaluate(try await application.claims(on: db), under: standard)
    }

    private func evaluate(_ claims: [PointsClaim], under standard: ScoringStandard) -> Evaluator.Evaluation {
        PointsArchiveRules.evaluate(claims.compactMap { c in standard.item(c.item).flatMap { c.claim(for: $0) } }, standard: standard, asOf: today)
    }

    /// Dynamic adjustment (动态调整) when time passes: an item whose validity window has run out
    /// stops counting. Called when the archive is shown; records the change once. (Archives
    /// nobody opens are scored again once a day by `Reminders.rescore`.)
    /// Returns the archive's evaluation when it made one (an active archive of this year).
    @discardableResult
    func refreshForExpiry(_ archive: PointsArchive, facts known: ArchiveFacts? = nil) async throws -> (Evaluator.Evaluation, ScoringStandard)? {
        guard archive.status == .active, archive.year == today.year else { return nil }
        let facts: ArchiveFacts? = if let known { known } else { try await self.facts(of: archive) }
        guard let facts else { return nil }
        let evaluated = try await evaluation(facts)
        let evaluation = evaluated.0
        guard evaluation.total.hundredths != archive.total else { return evaluated }
        try await db.transaction { db in
            let before = archive.total
            archive.total = evaluation.total.hundredths
            archive.updatedAt = now
            try await archive.save(on: db)
            try await PointsService(app: app, db: db, now: now, actor: .system, logger: logger)
                .history(archive, .expired, before: before)
        }
        return evaluated
    }

    /// Dynamic adjustment after a feed import: every active archive of this year whose item the
    /// feed covers follows the newest record (新的社保月份 arrive). Returns the archives changed.
    @discardableResult
    func refresh(afterFeed feed: String) async throws -> Int {
        var changed = 0
        let archives = try await PointsArchive.query(on: db).filter(\.$status == .active).filter(\.$year == today.year)
            .with(\.$resident).with(\.$application).all()
        var standards: [String: ScoringStandard] = [:]
        for archive in archives {
            guard let application = archive.application else { continue }
            let standard: ScoringStandard
            if let known = standards[application.standardCode] { standard = known } else {
                standard = try await Self.standard(code: application.standardCode, on: db)
                standards[application.standardCode] = standard
            }
            let items = FeedMatching.items(of: standard, verifiedBy: feed)
            guard !items.isEmpty else { continue }
            let claims = try await application.claims(on: db)
            let adjusted = try await db.transaction { db -> Bool in
                var changes: [PointsHistoryEntry.Details.Change] = []
                for item in items {
                    guard let matched = try await feedClaim(item, feed: feed, idHash: archive.resident.idHash, on: db) else { continue }
                    let value = ClaimInput.text(matched.fact.value)
                    let existing = claims.first { $0.item == item.id && $0.state != .rejected }
                    let current = existing.map { $0.confirmedValue ?? $0.value }
                    guard current != value || existing?.feedAsOf != matched.fact.date else { continue }
                    let claim = try existing ?? newClaim(item, value: value, application: application.requireID())
                    try await confirm(claim, from: matched, feed: feed, action: "feedAdjust", number: application.number, before: existing?.auditSnapshot, on: db)
                    if current != value {
                        changes.append(.init(item: item.title, from: current.flatMap { ClaimInput.value($0, for: item) }.map { ClaimInput.display($0, for: item) },
                                             to: ClaimInput.display(matched.fact.value, for: item), asOf: matched.fact.date))
                    }
                }
                guard !changes.isEmpty else { return false }
                let all = try await application.claims(on: db)
                let evaluation = PointsArchiveRules.evaluate(all.compactMap { c in standard.item(c.item).flatMap { c.claim(for: $0) } }, standard: standard, asOf: today)
                let before = archive.total
                archive.total = evaluation.total.hundredths
                archive.updatedAt = now
                try await archive.save(on: db)
                let service = PointsService(app: app, db: db, now: now, actor: .system, logger: logger)
                let entry = try await service.history(archive, .adjusted, before: before, details: .init(feed: feed, changes: changes))
                try await service.notify(archive.resident, kind: "pointsAdjusted",
                                         text("sms_points_adjusted", ["total": evaluation.total.description, "reason": entry.words(app.catalog, .zh)]))
                return true
            }
            if adjusted { changed += 1 }
        }
        return changed
    }

    /// Fraud found by the centre: the points are cleared, an open application is void, and the
    /// person may not apply again for three years.
    func markFraud(_ resident: Resident, reason: String) async throws -> CivilDate {
        let until = PointsValidity.possibleAgain(afterFraudOn: today)
        try await db.transaction { db in
            let service = on(db)
            let archive = try await PointsArchive.query(on: db).filter(\.$resident.$id == resident.requireID()).first() ?? {
                let a = PointsArchive()
                a.year = today.year
                a.total = 0
                a.$resident.id = resident.id!
                return a
            }()
            let before = archive.id == nil ? 0 : archive.total
            archive.status = .cleared
            archive.total = 0
            archive.fraudFound = today
            archive.barredUntil = until
            archive.updatedAt = now
            try await archive.save(on: db)
            try await service.voidOpenApplications(of: resident)
            try await service.history(archive, .fraud, before: before, details: .init(barredUntil: until), reason: reason)
            try await service.notify(resident, kind: "pointsFraud", text("sms_points_fraud", ["date": ShanghaiDate.long(until)]))
        }
        return until
    }

    /// The person took local hukou (落户): the archive ends.
    func end(_ resident: Resident, reason: String) async throws {
        try await db.transaction { db in
            guard let archive = try await PointsArchive.query(on: db).filter(\.$resident.$id == resident.requireID()).first() else { return }
            let before = archive.total
            archive.status = .ended
            archive.endedReason = reason
            archive.total = 0
            archive.updatedAt = now
            try await archive.save(on: db)
            try await on(db).voidOpenApplications(of: resident)
            try await on(db).history(archive, .ended, before: before, reason: reason)
        }
    }

    /// Applications still open (not completed) become void: nobody reviews them any more.
    func voidOpenApplications(of resident: Resident) async throws {
        for application in try await PointsApplication.query(on: db).filter(\.$resident.$id == resident.requireID())
            .filter(\.$status ~~ [.draft, .submitted, .returned, .inReview]).all() {
            try await application.save("void", by: actor, at: now, on: db) {
                application.status = .void
                application.updatedAt = now
            }
        }
    }

    // MARK: notifications

    /// Sends a text to the resident's phone (his account's number, else the one on record).
    func notify(_ resident: Resident, kind: String, _ body: String) async throws {
        var phone = resident.phone
        if let userID = resident.$user.id, let user = try await User.find(userID, on: db), let own = user.phone { phone = own }
        guard let phone else { return }
        try await app.effects.notifier.send(OutgoingMessage(channel: .sms, recipient: phone, kind: kind, body: body), on: db, at: now, logger: logger)
    }

    /// One text to each of many residents (a round's applicants): their accounts' phones read a
    /// slice at a time, the messages written together.
    func notify(_ texts: [(Resident, String)], kind: String) async throws {
        try await notify(texts.map { ($0.0.contact, $0.1) }, kind: kind)
    }

    /// The same, to residents known by their contacts.
    func notify(_ texts: [(Resident.Contact, String)], kind: String) async throws {
        var phones: [UUID: String] = [:]
        for slice in Batches.slices(Array(Set(texts.compactMap { $0.0.user }))) {
            for row in try await PlainRow.all("SELECT id, phone FROM \(unsafeRaw: User.schema) WHERE id IN (\(binds: Array(slice)))", on: db) {
                if let phone = try row.optionalString("phone") { phones[try row.uuid("id")] = phone }
            }
        }
        let messages = texts.compactMap { contact, body in
            (contact.user.flatMap { phones[$0] } ?? contact.phone).map { OutgoingMessage(channel: .sms, recipient: $0, kind: kind, body: body) }
        }
        try await app.effects.notifier.send(all: messages, on: db, at: now, logger: logger)
    }
}

extension PointsApplication {
    func claims(on db: any Database) async throws -> [PointsClaim] {
        try await PlainModels.all(PointsClaim.self, """
            SELECT * FROM \(unsafeRaw: PointsClaim.schema) WHERE application_id = \(bind: requireID()) ORDER BY created_at
            """, on: db)
    }
}

extension ShanghaiDate {
    /// 2029年9月21日
    static func long(_ date: CivilDate) -> String { "\(date.year)年\(date.month)月\(date.day)日" }

    /// The date as a reader of `language` writes it: 2029年9月21日, or 21 September 2029.
    static func long(_ date: CivilDate, _ language: Catalog.Language) -> String {
        guard language == .en else { return long(date) }
        let months = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"]
        return "\(date.day) \(months[date.month - 1]) \(date.year)"
    }
}
