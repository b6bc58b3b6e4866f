import Fluent
import JifenCore
import JifenResources
import Vapor

/// The citizen's side of residence: his identity, declarations, moving out, the residence time
/// detail and the residence permit.
enum ResidenceController {
    static func register(_ routes: any RoutesBuilder) {
        let citizen: Access = .roles([.citizen])
        routes.get(.myResidence, access: citizen, use: page)
        routes.post(.myIdentity, access: citizen, use: identity)
        routes.post(.myResidence, access: citizen, use: declare)
        routes.post(.moveOut(":id"), access: citizen, use: moveOut)
        routes.post(.myPermit, access: citizen, use: applyPermit)
        routes.post(.myPermitEndorse, access: citizen, use: endorse)
    }

    static func today(_ req: Request) -> CivilDate { ShanghaiDate.today(req.now) }

    struct RegistrationRow: Encodable {
        let id, address, from: String
        let to: String?
        let status, statusCode, due: String
        let reason: String?
        let canMoveOut: Bool
        let moveOutAction: String
        /// Declared for him by his landlord or employer: who, and where he disputes it.
        let declaredBy: String?
        let disputeReason: String?
        let disputeAction: String?
        let disputeField: FormField?
        /// The dispute form stays open when it was refused.
        let disputeOpen: Bool
    }

    struct Step: Encodable { let label: String; let at: String }

    struct PermitView: Encodable {
        let number, status: String
        let steps: [Step]
        let productionDue, dueWarning, reason, validUntil: String?
        let canEndorse: Bool
        let endorseAction: String
        let receiptLink: String
        /// Collected at the window or posted (to where, with which tracking number).
        let delivery: String
        let postalAddress, trackingNumber: String?
        /// The electronic permit (with its verification QR code), once issued.
        let cardLink: String?
    }

    /// Endorsement (签注) opens 60 days before the permit runs out.
    static let endorsementWindowDays = 60

    static func canEndorse(_ permit: ResidencePermit, today: CivilDate) -> Bool {
        guard permit.status == .issued, let until = permit.validUntil else { return false }
        return endorsementOpen(until: until, today: today)
    }

    /// Whether a permit valid until `until` may be endorsed on `today` (also once it has run out).
    static func endorsementOpen(until: CivilDate, today: CivilDate) -> Bool {
        today >= until.adding(days: -endorsementWindowDays)
    }

    struct Content: Encodable {
        let hasIdentity: Bool
        /// Confirmed by the identity service or by staff who checked the card.
        let identityVerified: Bool
        let name, idMasked, hukou: String?
        let identityFields: [FormField]
        let identityAction: String
        let registrations: [RegistrationRow]
        let detail: [Step]
        let totalDays, totalYears, currentMonths: Int
        let declareFields: [FormField]
        let declareAction: String
        let canDeclare: Bool
        let permit: PermitView?
        let permitFields: [FormField]
        /// The permit form was refused (its messages show even when the form itself does not).
        let permitRefused: Bool
        let permitAction: String
        let canApply: Bool
        let notice: String?
        /// The permit form's messages, for when the form itself is not shown (endorsement).
        let permitErrors: [String]
        let household: [Member]
        let householdFields: [FormField]
        let householdOpen: Bool
        let householdAction: String
        /// For landlords, sublandlords and employers: their houses (with the scanned house's code).
        let benefitsLink: String
        let landlordLink: String
        /// What a permit application asks for, told once.
        let permitMaterials: MaterialList
    }

    struct Member: Encodable { let relation: String; let name: String; let idMasked: String; let birthDate: String; let minor: Bool; let verified: Bool }

    static func content(_ req: Request, identityForm: FormState? = nil, declareForm: FormState? = nil, permitForm: FormState? = nil,
                        householdForm: FormState? = nil, notice: String? = nil, disputeForm: FormState? = nil, disputed: UUID? = nil) async throws -> Content {
        let user = try req.requireUser()
        let resident = try await Resident.find(user: user.id, on: req.db)
        var registrations: [ResidenceRegistration] = []
        var permit: ResidencePermit?
        var members: [HouseholdMember] = []
        if let resident {
            members = try await HouseholdMember.query(on: req.db).filter(\.$resident.$id == resident.requireID()).sort(\.$birthDate).all()
            registrations = try await ResidenceRegistration.query(on: req.db).filter(\.$resident.$id == resident.requireID())
                .with(\.$declaredBy).sort(\.$fromDate, .descending).all()
            permit = try await ResidencePermit.query(on: req.db).filter(\.$resident.$id == resident.requireID()).sort(\.$createdAt, .descending).with(\.$steps).first()
        }
        let detail = ResidenceTime.detail(registrations.map(\.period), asOf: today(req))
        let grids = try await Jurisdiction.query(on: req.db).filter(\.$level == JurisdictionLevel.grid.rawValue).sort(\.$code).all()
        let parents = Dictionary(uniqueKeysWithValues: try await Jurisdiction.query(on: req.db).filter(\.$level != JurisdictionLevel.grid.rawValue).all().map { ($0.code, $0.name) })
        let declare = declareForm ?? FormState(fields: ["address", "grid", "from", "house"], values: ["from": today(req).description])
        let ongoing = registrations.contains { $0.toDate == nil && $0.status != .rejected }
        let regions = req.application.regions
        return Content(
            hasIdentity: resident != nil, identityVerified: resident?.identityVerified ?? false, name: resident?.name, idMasked: resident?.idMasked,
            hukou: resident.flatMap { regions.place($0.hukouRegion) },
            identityFields: {
                let form = identityForm ?? FormState(fields: ["name", "idNumber"])
                return [form.field("name", req.text("field_realName"), autocomplete: "name", required: true),
                        form.field("idNumber", req.text("field_idNumber"), .idNumber, maxLength: 18, autocomplete: "off", required: true)]
            }(),
            identityAction: SiteRoute.myIdentity.path,
            registrations: registrations.map { r in
                RegistrationRow(id: r.id?.uuidString ?? "", address: r.address, from: r.fromDate.description, to: r.toDate?.description,
                                status: req.text("registration_" + r.status.rawValue), statusCode: r.isOverdue(today: today(req)) ? "overdue" : r.status.rawValue,
                                due: r.dueDate.description, reason: r.reason, canMoveOut: r.toDate == nil && r.status != .rejected,
                                moveOutAction: SiteRoute.moveOut(r.id?.uuidString ?? "").path,
                                declaredBy: r.declaredBy.map { req.text("registration_declared_by", ["by": $0.shownName, "kind": req.text("manager_kind_" + $0.kind.rawValue)]) },
                                disputeReason: r.disputeReason,
                                disputeAction: LandlordService.disputable(r) && resident?.identityVerified == true ? SiteRoute.registrationDispute(r.id?.uuidString ?? "").path : nil,
                                disputeField: LandlordService.disputable(r) ? ((r.id == disputed ? disputeForm : nil) ?? FormState(fields: ["reason"]))
                                    .field("reason", req.text("field_dispute_reason"), .textarea, hint: req.text("dispute_hint"), maxLength: 200, rows: 2, idPrefix: "dispute-\(r.id?.uuidString ?? "")-") : nil,
                                disputeOpen: r.id == disputed)
            },
            detail: detail.counted.map { Step(label: $0.from.description + " – " + $0.to.description, at: String($0.to.dayNumber - $0.from.dayNumber + 1)) },
            totalDays: detail.days, totalYears: detail.years, currentMonths: detail.currentMonths,
            declareFields: [
                declare.field("house", req.text("field_houseCode"), hint: req.text("house_code_hint"), maxLength: 40, autocomplete: "off"),
                declare.field("address", req.text("field_address"), maxLength: 100, required: true),
                declare.field("grid", req.text("field_grid"), .select, options: [("", "—")] + grids.map { g in
                    (g.code, (JurisdictionCode(g.code)?.parent?.parent.flatMap { parents[$0.rawValue] } ?? "") + " · " + g.name)
                }, required: true),
                declare.field("from", req.text("field_moveIn"), .date, required: true),
            ],
            declareAction: SiteRoute.myResidence.path,
            canDeclare: resident != nil && !ongoing,
            permit: permit.map { p in
                PermitView(number: p.number, status: req.text("permit_" + p.status.rawValue),
                           steps: p.orderedSteps.map { Step(label: req.text("permit_" + $0.step.rawValue), at: $0.day.description) },
                           productionDue: p.productionDue?.description,
                           dueWarning: p.productionDue.flatMap { due in
                               req.application.workingCalendar.knows(due.year) ? nil : req.text("calendar_guessed", ["years": String(due.year)])
                           },
                           reason: p.reason, validUntil: p.validUntil?.description,
                           canEndorse: canEndorse(p, today: today(req)), endorseAction: SiteRoute.myPermitEndorse.path,
                           receiptLink: SiteRoute.permitReceipt(p.id?.uuidString ?? "").path,
                           delivery: req.text(p.byPost ? "delivery_post" : "delivery_collect"), postalAddress: p.postalAddress, trackingNumber: p.trackingNumber,
                           cardLink: p.status == .issued ? SiteRoute.myPermitCard.path : nil)
            },
            permitFields: {
                let form = permitForm ?? FormState(fields: permitFields, values: ["delivery": "collect"])
                return [form.field("basis", req.text("field_basis"), .select, options: [("", "—")] + PermitEligibility.Basis.allCases.map { ($0.rawValue, req.text("basis_" + $0.rawValue)) }),
                        form.field("evidence", req.text("field_evidence"), maxLength: 200),
                        form.field("delivery", req.text("field_delivery"), .select, options: [("collect", req.text("delivery_collect")), ("post", req.text("delivery_post"))]),
                        form.field("postalAddress", req.text("field_postalAddress"), hint: req.text("permit_postal_hint"), maxLength: 100, autocomplete: "street-address")]
            }(),
            permitRefused: !(permitForm?.isValid ?? true),
            permitAction: SiteRoute.myPermit.path,
            canApply: resident != nil && (permit == nil || permit?.status == .rejected),
            notice: notice,
            permitErrors: (permitForm?.errors ?? [:]).keys.sorted().compactMap { permitForm?.errors[$0] },
            household: members.map { m in
                let minor = ResidentID.age(born: m.birthDate, on: today(req)) < 18
                return Member(relation: req.text("relation_" + m.relation.rawValue), name: m.nameMasked, idMasked: m.idMasked, birthDate: m.birthDate.description, minor: minor,
                              verified: m.verifiedAt != nil)
            },
            householdFields: {
                let form = householdForm ?? FormState(fields: ["relation", "name", "idNumber", "evidence"])
                return [form.field("relation", req.text("field_relation"), .select,
                                   options: [("", "—")] + HouseholdMember.Relation.allCases.map { ($0.rawValue, req.text("relation_" + $0.rawValue)) }, idPrefix: "member-"),
                        form.field("name", req.text("field_realName"), maxLength: 30, idPrefix: "member-"),
                        form.field("idNumber", req.text("field_idNumber"), .idNumber, maxLength: 18, autocomplete: "off", idPrefix: "member-"),
                        form.field("evidence", req.text("field_relationEvidence"), .select, hint: req.text("household_evidence_hint"),
                                   options: [("", "—")] + HouseholdMember.Evidence.allCases.map { ($0.rawValue, req.text("evidence_" + $0.rawValue)) }, idPrefix: "member-")]
            }(),
            householdOpen: !(householdForm?.isValid ?? true),
            householdAction: SiteRoute.myHousehold.path,
            benefitsLink: SiteRoute.permitBenefits.path,
            landlordLink: SiteRoute.myHouses.path + (req.query[String.self, at: "house"].flatMap { code in
                code.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-") } ? "?house=" + code : nil } ?? ""),
            permitMaterials: try await MaterialList.load("permit", on: req)
        )
    }

    static func page(_ req: Request) async throws -> Response {
        let notice = req.query[String.self, at: "done"].map { req.text("residence_done_" + $0) }
        // Arriving from the QR code on a rental door: the house's address and grid are filled in.
        var declare: FormState?
        if let code = req.query[String.self, at: "house"],
           let house = try await RentalHouse.query(on: req.db).filter(\.$addressCode == code).with(\.$jurisdiction).first() {
            declare = FormState(fields: ["address", "grid", "from", "house"],
                                values: ["address": house.address, "grid": house.jurisdiction.code, "from": today(req).description, "house": code])
        }
        return try await req.render("residence/me-residence", title: "residence_title", try await content(req, declareForm: declare, notice: notice))
    }

}

extension ResidenceController {
    static func endorse(_ req: Request) async throws -> Response {
        let user = try req.requireUser()
        guard let resident = try await Resident.find(user: user.id, on: req.db),
              let permit = try await ResidencePermit.query(on: req.db).filter(\.$resident.$id == resident.requireID()).filter(\.$status == .issued).first()
        else { throw Abort(.notFound) }
        var form = FormState(fields: ["basis", "evidence"])
        let registrations = try await ResidenceRegistration.query(on: req.db).filter(\.$resident.$id == resident.requireID()).all()
        let living = registrations.contains { $0.toDate == nil && $0.status == .verified }
        if !canEndorse(permit, today: today(req)) { form.fail("basis", req.text("permit_endorse_not_yet", ["days": String(endorsementWindowDays)])) }
        if !living { form.fail("basis", req.text("permit_refused_registration")) }
        guard form.isValid, let until = permit.validUntil else {
            return try await req.render("residence/me-residence", title: "residence_title", try await content(req, permitForm: form), status: .badRequest)
        }
        // One more year from the end of the current one (or from today, if it has lapsed).
        let base = max(until, today(req))
        let before = ["validUntil": permit.validUntil?.description ?? ""]
        permit.validUntil = base.adding(years: 1)
        let actor = req.actor, now = req.now, day = today(req)
        try await req.db.transaction { db in
            try await permit.record(nil, on: day, in: db)
            try await Audit.record("endorse", entity: "residencePermit", id: permit.number, before: before, after: ["validUntil": permit.validUntil?.description ?? ""], by: actor, at: now, on: db)
        }
        return req.redirect(to: SiteRoute.myResidence.path + "?done=endorsed")
    }
}
