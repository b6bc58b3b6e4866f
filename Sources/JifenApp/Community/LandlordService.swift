import Fluent
import JifenCore
import Vapor

/// 以房管人、人屋关联: landlords, sublandlords and employers ask to manage rental houses, the grid
/// worker confirms them, and they declare the people moving in and out of their houses. Each
/// declaration goes to the grid worker's queue like a self-declaration, due in 7 days; the tenant
/// gets a text and may dispute it. Pages and the API turn the outcomes into words.
struct LandlordService: WorkflowService {
    let app: Application
    let db: any Database
    let now: Date
    let actor: Actor
    let logger: Logger

    typealias Problems = FieldProblems
    typealias Outcome<Value> = ServiceOutcome<Value>

    // MARK: asking to manage a house

    /// What a landlord gives when he asks to manage a house: its address code (from the QR code on
    /// its door), how he manages it, his real name, and the employer's name for a dormitory.
    struct Claim: Sendable {
        var house = "", kind = "", name = "", organisation = ""

        static let fields = ["house", "kind", "name", "organisation"]
        var values: [String: String] { ["house": house, "kind": kind, "name": name, "organisation": organisation] }
    }

    func ask(_ input: Claim, user: UUID) async throws -> Outcome<HouseManager> {
        var claim = input
        claim.house = claim.house.trimmingCharacters(in: .whitespaces)
        claim.name = claim.name.trimmingCharacters(in: .whitespaces)
        claim.organisation = claim.organisation.trimmingCharacters(in: .whitespaces)
        var problems: Problems = []
        let house = claim.house.isEmpty ? nil : try await RentalHouse.query(on: db).filter(\.$addressCode == claim.house).first()
        if claim.house.isEmpty { problems.append(("house", Wording("problem_required", label: "field_house_address_code"))) }
        else if house == nil { problems.append(("house", Wording("house_unknown", ["code": claim.house]))) }
        let kind = HouseManager.Kind(rawValue: claim.kind)
        if kind == nil { problems.append(("kind", Wording("problem_choose", label: "field_manager_kind"))) }
        if claim.name.isEmpty { problems.append(("name", Wording("problem_required", label: "field_realName"))) }
        else if claim.name.count > 30 { problems.append(("name", Wording("problem_tooLong", ["max": "30"], label: "field_realName"))) }
        if kind == .employer && claim.organisation.isEmpty { problems.append(("organisation", Wording("problem_required", label: "field_organisation"))) }
        else if claim.organisation.count > 50 { problems.append(("organisation", Wording("problem_tooLong", ["max": "50"], label: "field_organisation"))) }
        if let house, try await HouseManager.query(on: db).filter(\.$house.$id == house.requireID()).filter(\.$user.$id == user)
            .filter(\.$status ~~ [.pending, .confirmed]).count() > 0 {
            problems.append(("house", Wording("landlord_already_asked")))
        }
        guard problems.isEmpty, let house, let kind else { return .refused(problems) }
        let manager = HouseManager()
        manager.createdAt = now
        manager.kind = kind
        manager.name = claim.name
        manager.organisation = kind == .employer ? claim.organisation : nil
        manager.status = .pending
        manager.$house.id = try house.requireID()
        manager.$user.id = user
        try await db.transaction { db in
            try await manager.create(on: db)
            try await Audit.record("ask", entity: HouseManager.auditEntity, id: manager.auditID, after: manager.auditSnapshot, by: actor, at: now, on: db)
        }
        return .done(manager)
    }

    // MARK: the grid worker's decision

    /// The grid worker confirms (after checking the property certificate, lease or business
    /// licence on a visit) or refuses with a reason; the asker gets a text either way.
    func decide(_ manager: HouseManager, confirm: Bool, reason: String) async throws -> Outcome<HouseManager> {
        let reason = reason.trimmingCharacters(in: .whitespaces)
        var problems: Problems = []
        if manager.status != .pending { problems.append(("decision", Wording("registration_already_decided"))) }
        if !confirm && reason.isEmpty { problems.append(("reason", Wording("problem_required", label: "field_reason"))) }
        if reason.count > 200 { problems.append(("reason", Wording("problem_tooLong", ["max": "200"], label: "field_reason"))) }
        guard problems.isEmpty else { return .refused(problems) }
        let house = try await manager.$house.get(on: db)
        let account = try await manager.$user.get(on: db)
        try await db.transaction { db in
            try await manager.save(confirm ? "confirm" : "reject", by: actor, at: now, on: db) {
                manager.status = confirm ? .confirmed : .rejected
                manager.reason = reason.isEmpty ? nil : reason
                manager.decidedAt = now
                manager.decidedBy = actor.login
            }
            if let phone = account.phone {
                let body = confirm ? text("sms_landlord_confirmed", ["address": house.address])
                                   : text("sms_landlord_rejected", ["address": house.address, "reason": reason])
                try await app.effects.notifier.send(OutgoingMessage(channel: .sms, recipient: phone, kind: "houseManager", body: body), on: db, at: now, logger: logger)
            }
        }
        return .done(manager)
    }

    /// The grid worker ends a confirmation (the lease ended, the house was sold): from then on
    /// the house answers 404 to him. A reason is required; he is texted.
    func end(_ manager: HouseManager, reason rawReason: String) async throws -> Outcome<HouseManager> {
        let reason = rawReason.trimmingCharacters(in: .whitespaces)
        var problems: Problems = []
        if manager.status != .confirmed { problems.append(("decision", Wording("registration_already_decided"))) }
        if reason.isEmpty { problems.append(("reason", Wording("problem_required", label: "field_reason"))) }
        else if reason.count > 200 { problems.append(("reason", Wording("problem_tooLong", ["max": "200"], label: "field_reason"))) }
        guard problems.isEmpty else { return .refused(problems) }
        let house = try await manager.$house.get(on: db)
        let account = try await manager.$user.get(on: db)
        try await db.transaction { db in
            try await manager.save("end", by: actor, at: now, on: db) {
                manager.status = .ended
                manager.reason = reason
                manager.decidedAt = now
                manager.decidedBy = actor.login
            }
            if let phone = account.phone {
                try await app.effects.notifier.send(OutgoingMessage(channel: .sms, recipient: phone, kind: "houseManager",
                                                                    body: text("sms_landlord_ended", ["address": house.address, "reason": reason])), on: db, at: now, logger: logger)
            }
        }
        return .done(manager)
    }

    // MARK: declarations

    /// A person moving in, as the landlord declares him: name, ID number, the day he moved in.
    struct Arrival: Sendable {
        var name = "", idNumber = "", from = ""
        static let fields = ["name", "idNumber", "from"]
    }

    /// Declares `id` (named `name`) living in the manager's house from `from`: a new person is
    /// recorded (with `phone`, the tenant's mobile number, when the landlord gives it; a known
    /// person keeps his own); a known one
    /// must bear that name and have no other registration still running. Pending the grid
    /// worker's verification within 7 days; the tenant gets a text.
    func declareArrival(by manager: HouseManager, name rawName: String, id: ResidentID, from: CivilDate, phone: String? = nil) async throws -> Outcome<ResidenceRegistration> {
        let name = rawName.trimmingCharacters(in: .whitespaces)
        var problems: Problems = []
        if name.isEmpty { problems.append(("name", Wording("problem_required", label: "field_tenant_name"))) }
        else if name.count > 30 { problems.append(("name", Wording("problem_tooLong", ["max": "30"], label: "field_tenant_name"))) }
        if from > today { problems.append(("from", Wording("residence_future"))) }
        let data = app.personalData
        let known = try await Resident.find(idNumber: id.value, data: data, on: db)
        if let known, !name.isEmpty {
            if known.name != name { problems.append(("idNumber", Wording("landlord_name_mismatch"))) }
            else if try await ResidenceRegistration.query(on: db).filter(\.$resident.$id == known.requireID())
                .filter(\.$toDate == nil).filter(\.$status != .rejected).count() > 0 {
                problems.append(("idNumber", Wording("landlord_tenant_registered")))
            }
        }
        guard problems.isEmpty else { return .refused(problems) }
        let house = try await manager.$house.get(on: db)
        let registration: ResidenceRegistration = try await db.transaction { db in
            let person: Resident
            // A known person's number is never taken from the landlord: his texts stay his.
            if let known { person = known } else {
                person = try Resident(name: name, id: id, phone: phone, userID: nil, data: data, at: now)
                try await person.create(on: db)
                try await Audit.record("create", entity: "resident", id: try person.requireID().uuidString, after: person.auditSnapshot, by: actor, at: now, on: db)
            }
            let registration = try ResidenceRegistration(of: person.requireID(), grid: house.$jurisdiction.id, house: house.requireID(), address: house.address,
                                                         from: from, source: .landlord, status: .pending,
                                                         due: today.adding(days: ResidenceRegistration.verificationDays), at: now)
            registration.$declaredBy.id = try manager.requireID()
            try await registration.create(on: db)
            try await Audit.record("declareForTenant", entity: ResidenceRegistration.auditEntity, id: registration.auditID, after: registration.auditSnapshot, by: actor, at: now, on: db)
            try await PointsService(app: app, db: db, now: now, actor: actor, logger: logger).notify(person, kind: "declaredByLandlord",
                text("sms_landlord_declared", ["by": manager.shownName, "address": house.address, "from": ShanghaiDate.long(from)]))
            return registration
        }
        return .done(registration)
    }

    /// 人走注销: the landlord declares that a person of his house has left; his registration ends
    /// today (or on the day it began, if later) and he gets a text.
    func declareDeparture(by manager: HouseManager, of registration: ResidenceRegistration) async throws {
        let end = max(today, registration.fromDate)
        let resident = try await registration.$resident.get(on: db)
        let house = try await manager.$house.get(on: db)
        try await db.transaction { db in
            try await registration.save("departureByLandlord", by: actor, at: now, on: db) { registration.toDate = end }
            try await PointsService(app: app, db: db, now: now, actor: actor, logger: logger).notify(resident, kind: "departureByLandlord",
                text("sms_landlord_departure", ["by": manager.shownName, "address": house.address, "date": ShanghaiDate.long(end)]))
        }
    }

    // MARK: the tenant's dispute

    /// The tenant says a declaration made for him is wrong (he does not live there, or not from
    /// then). It goes back to the grid worker's queue as pending, due in 7 days, marked disputed
    /// with his reason.
    func dispute(_ registration: ResidenceRegistration, reason rawReason: String) async throws -> Outcome<ResidenceRegistration> {
        let reason = rawReason.trimmingCharacters(in: .whitespaces)
        var problems: Problems = []
        if reason.isEmpty { problems.append(("reason", Wording("problem_required", label: "field_dispute_reason"))) }
        else if reason.count > 200 { problems.append(("reason", Wording("problem_tooLong", ["max": "200"], label: "field_dispute_reason"))) }
        if registration.disputedAt != nil { problems.append(("reason", Wording("dispute_already"))) }
        else if !Self.disputable(registration) { problems.append(("reason", Wording("dispute_not_open"))) }
        guard problems.isEmpty else { return .refused(problems) }
        try await db.transaction { db in
            try await registration.save("dispute", by: actor, at: now, on: db) {
                registration.disputedAt = now
                registration.disputeReason = reason
                if registration.status == .verified {
                    registration.status = .pending
                    registration.dueDate = today.adding(days: ResidenceRegistration.verificationDays)
                    registration.decidedAt = nil
                    registration.decidedBy = nil
                    registration.method = nil
                }
            }
        }
        return .done(registration)
    }

    /// Whether the tenant may still dispute it: declared by someone else, not refused, not ended,
    /// not disputed already.
    static func disputable(_ registration: ResidenceRegistration) -> Bool {
        registration.source == .landlord && registration.status != .rejected && registration.toDate == nil && registration.disputedAt == nil
    }
}
