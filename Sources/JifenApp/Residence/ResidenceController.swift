import Fluent
import JifenCore
import JifenResources
import Vapor

/// The citizen's side of residence: his identity, declarations, moving out, the residence time
/// detail and the residence permit.
enum ResidenceController {
    static func register(_ routes: any RoutesBuilder) {
        let citizen: Access = .roles([.citizen])
        routes.get("me", "residence", access: citizen, use: page)
        routes.post("me", "identity", access: citizen, use: identity)
        routes.post("me", "residence", access: citizen, use: declare)
        routes.post("me", "residence", ":id", "move-out", access: citizen, use: moveOut)
        routes.post("me", "permit", access: citizen, use: applyPermit)
        routes.post("me", "permit", "endorse", access: citizen, use: endorse)
    }

    static func today(_ req: Request) -> CivilDate { ShanghaiDate.today(req.now) }


    struct RegistrationRow: Encodable {
        let id: String
        let address: String
        let from: String
        let to: String?
        let status: String
        let statusCode: String
        let due: String
        let reason: String?
        let canMoveOut: Bool
        let moveOutAction: String
    }

    struct Step: Encodable { let label: String; let at: String }

    struct PermitView: Encodable {
        let number: String
        let status: String
        let steps: [Step]
        let productionDue: String?
        let dueWarning: String?
        let reason: String?
        let validUntil: String?
        let canEndorse: Bool
        let endorseAction: String
    }

    /// Endorsement (签注) opens 60 days before the permit runs out.
    static let endorsementWindowDays = 60

    static func canEndorse(_ permit: ResidencePermit, today: CivilDate) -> Bool {
        guard permit.status == .issued, let until = permit.validUntil.flatMap(CivilDate.init) else { return false }
        return today >= until.adding(days: -endorsementWindowDays)
    }

    struct Content: Encodable {
        let hasIdentity: Bool
        let name: String?
        let idMasked: String?
        let hukou: String?
        let identityForm: FormState
        let identityAction: String
        let registrations: [RegistrationRow]
        let detail: [Step]
        let totalDays: Int
        let totalYears: Int
        let currentMonths: Int
        let declareForm: FormState
        let declareAction: String
        let grids: [SelectOption]
        let canDeclare: Bool
        let permit: PermitView?
        let permitForm: FormState
        let permitAction: String
        let bases: [SelectOption]
        let canApply: Bool
        let notice: String?
        /// The permit form's messages, for when the form itself is not shown (endorsement).
        let permitErrors: [String]
        let household: [Member]
        let householdForm: FormState
        let householdAction: String
        let relations: [SelectOption]
    }

    struct Member: Encodable { let relation: String; let name: String; let idMasked: String; let birthDate: String; let minor: Bool }

    static func content(_ req: Request, identityForm: FormState? = nil, declareForm: FormState? = nil, permitForm: FormState? = nil,
                        householdForm: FormState? = nil, notice: String? = nil) async throws -> Content {
        let user = try req.requireUser()
        let resident = try await Resident.find(user: user.id, on: req.db)
        var registrations: [ResidenceRegistration] = []
        var permit: ResidencePermit?
        var members: [HouseholdMember] = []
        if let resident {
            members = try await HouseholdMember.query(on: req.db).filter(\.$resident.$id == resident.requireID()).sort(\.$birthDate).all()
            registrations = try await ResidenceRegistration.query(on: req.db).filter(\.$resident.$id == resident.requireID())
                .sort(\.$fromDate, .descending).all()
            permit = try await ResidencePermit.query(on: req.db).filter(\.$resident.$id == resident.requireID()).sort(\.$createdAt, .descending).first()
        }
        let detail = ResidenceTime.detail(registrations.compactMap(\.period), asOf: today(req))
        let grids = try await Jurisdiction.query(on: req.db).filter(\.$level == JurisdictionLevel.grid.rawValue).sort(\.$code).all()
        let parents = Dictionary(uniqueKeysWithValues: try await Jurisdiction.query(on: req.db).filter(\.$level != JurisdictionLevel.grid.rawValue).all().map { ($0.code, $0.name) })
        let declare = declareForm ?? FormState(fields: ["address", "grid", "from", "house"], values: ["from": today(req).description])
        let ongoing = registrations.contains { $0.toDate == nil && $0.status != .rejected }
        let regions = req.application.regions
        return Content(
            hasIdentity: resident != nil, name: resident?.name, idMasked: resident?.idMasked,
            hukou: resident.flatMap { regions.place($0.hukouRegion) },
            identityForm: identityForm ?? FormState(fields: ["name", "idNumber"]), identityAction: Paths.myIdentity,
            registrations: registrations.map { r in
                RegistrationRow(id: r.id?.uuidString ?? "", address: r.address, from: r.fromDate, to: r.toDate,
                                status: req.text("registration_" + r.status.rawValue), statusCode: r.isOverdue(today: today(req)) ? "overdue" : r.status.rawValue,
                                due: r.dueDate, reason: r.reason, canMoveOut: r.toDate == nil && r.status != .rejected,
                                moveOutAction: Paths.moveOut(r.id?.uuidString ?? ""))
            },
            detail: detail.counted.map { Step(label: $0.from.description + " – " + $0.to.description, at: String($0.to.dayNumber - $0.from.dayNumber + 1)) },
            totalDays: detail.days, totalYears: detail.years, currentMonths: detail.currentMonths,
            declareForm: declare, declareAction: Paths.myResidence,
            grids: grids.map { g in
                let town = JurisdictionCode(g.code)?.parent?.parent.flatMap { parents[$0.rawValue] } ?? ""
                return SelectOption(value: g.code, label: town + " · " + g.name, selected: declare.values["grid"] == g.code)
            },
            canDeclare: resident != nil && !ongoing,
            permit: permit.map { p in
                PermitView(number: p.number, status: req.text("permit_" + p.status.rawValue),
                           steps: p.steps.map { Step(label: req.text("permit_" + ($0.status == "endorsed" ? "endorsed" : $0.status)), at: $0.at) },
                           productionDue: p.productionDue,
                           dueWarning: p.productionDue.flatMap(CivilDate.init).flatMap { due in
                               req.application.workingCalendar.knows(due.year) ? nil : req.text("calendar_guessed", ["years": String(due.year)])
                           },
                           reason: p.reason, validUntil: p.validUntil,
                           canEndorse: canEndorse(p, today: today(req)), endorseAction: Paths.myPermit + "/endorse")
            },
            permitForm: permitForm ?? FormState(fields: ["basis", "evidence"]), permitAction: Paths.myPermit,
            bases: PermitEligibility.Basis.allCases.map { SelectOption(value: $0.rawValue, label: req.text("basis_" + $0.rawValue), selected: (permitForm?.values["basis"] ?? "") == $0.rawValue) },
            canApply: resident != nil && (permit == nil || permit?.status == .rejected),
            notice: notice,
            permitErrors: (permitForm?.errors ?? [:]).keys.sorted().compactMap { permitForm?.errors[$0] },
            household: members.map { m in
                let minor = CivilDate(m.birthDate).map { ResidentID.age(born: $0, on: today(req)) < 18 } ?? false
                return Member(relation: req.text("relation_" + m.relation.rawValue), name: m.nameMasked, idMasked: m.idMasked, birthDate: m.birthDate, minor: minor)
            },
            householdForm: householdForm ?? FormState(fields: ["relation", "name", "idNumber"]), householdAction: Paths.myHousehold,
            relations: HouseholdMember.Relation.allCases.map { SelectOption(value: $0.rawValue, label: req.text("relation_" + $0.rawValue), selected: householdForm?.values["relation"] == $0.rawValue) }
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
        return try await req.render("me-residence", title: "residence_title", try await content(req, declareForm: declare, notice: notice))
    }

    // MARK: identity

    struct IdentityForm: Decodable { var name: String?; var idNumber: String? }

    static func identity(_ req: Request) async throws -> Response {
        let user = try req.requireUser()
        let input = try req.content.decode(IdentityForm.self)
        let name = (input.name ?? "").trimmingCharacters(in: .whitespaces)
        // The number is never echoed back into the page: a refused form asks for it again.
        var form = FormState(fields: ["name", "idNumber"], values: ["name": name])
        if name.isEmpty { form.fail("name", req.text("problem_required", ["field": req.text("field_realName")])) }
        else if name.count > 30 { form.fail("name", req.text("problem_tooLong", ["field": req.text("field_realName"), "max": "30"])) }
        let data = req.application.personalData
        let id = req.validateIDNumber(input.idNumber, into: &form)
        if let id, try await Resident.find(idNumber: id.value, data: data, on: req.db) != nil {
            form.fail("idNumber", req.text("identity_taken"))
        }
        if try await Resident.find(user: user.id, on: req.db) != nil { form.fail("idNumber", req.text("identity_exists")) }
        guard form.isValid, let id else {
            return try await req.render("me-residence", title: "residence_title", try await content(req, identityForm: form), status: .badRequest)
        }
        let resident = try Resident(name: name, id: id, phone: nil, userID: user.id, data: data, at: req.now)
        let actor = req.actor, now = req.now
        try await req.db.transaction { db in
            try await resident.create(on: db)
            try await Audit.record("create", entity: "resident", id: try resident.requireID().uuidString, after: resident.auditSnapshot, by: actor, at: now, on: db)
        }
        return req.redirect(to: Paths.myResidence + "?done=identity")
    }

    // MARK: declaration

    struct DeclareForm: Decodable { var address: String?; var grid: String?; var from: String?; var house: String? }

    static func declare(_ req: Request) async throws -> Response {
        let user = try req.requireUser()
        guard let resident = try await Resident.find(user: user.id, on: req.db) else { throw Abort(.badRequest) }
        var input = try req.content.decode(DeclareForm.self)
        // An address code from the rental-house registry (typed, or from the QR on the door)
        // decides the address and the grid.
        let houseCode = (input.house ?? "").trimmingCharacters(in: .whitespaces)
        var house: RentalHouse?
        if !houseCode.isEmpty {
            house = try await RentalHouse.query(on: req.db).filter(\.$addressCode == houseCode).with(\.$jurisdiction).first()
            if let house { input.address = house.address; input.grid = house.jurisdiction.code }
        }
        let address = (input.address ?? "").trimmingCharacters(in: .whitespaces)
        var form = FormState(fields: ["address", "grid", "from", "house"], values: ["address": address, "grid": input.grid ?? "", "from": input.from ?? "", "house": input.house ?? ""])
        if !houseCode.isEmpty && house == nil { form.fail("house", req.text("house_unknown", ["code": houseCode])) }
        if address.isEmpty { form.fail("address", req.text("problem_required", ["field": req.text("field_address")])) }
        else if address.count > 100 { form.fail("address", req.text("problem_tooLong", ["field": req.text("field_address"), "max": "100"])) }
        var grid: Jurisdiction?
        if let code = JurisdictionCode(input.grid ?? ""), code.level == .grid { grid = try await Jurisdiction.find(code: code.rawValue, on: req.db) }
        if grid == nil { form.fail("grid", req.text("problem_choose", ["field": req.text("field_grid")])) }
        let from = CivilDate((input.from ?? "").trimmingCharacters(in: .whitespaces))
        if from == nil { form.fail("from", req.text("problem_date", ["field": req.text("field_moveIn")])) }
        else if let from, from > today(req) { form.fail("from", req.text("residence_future")) }
        let ongoing = try await ResidenceRegistration.query(on: req.db).filter(\.$resident.$id == resident.requireID())
            .filter(\.$toDate == nil).filter(\.$status != .rejected).count()
        if ongoing > 0 { form.fail("address", req.text("residence_move_out_first")) }
        guard form.isValid, let grid, let from else {
            return try await req.render("me-residence", title: "residence_title", try await content(req, declareForm: form), status: .badRequest)
        }
        let registration = ResidenceRegistration()
        registration.createdAt = req.now
        registration.address = address
        registration.fromDate = from.description
        registration.source = .selfDeclared
        registration.status = .pending
        registration.dueDate = today(req).adding(days: ResidenceRegistration.verificationDays).description
        registration.$resident.id = try resident.requireID()
        registration.$jurisdiction.id = try grid.requireID()
        if let house, house.$jurisdiction.id == grid.id { registration.$rentalHouse.id = house.id }
        let actor = req.actor, now = req.now
        try await req.db.transaction { db in
            try await registration.create(on: db)
            try await Audit.record("declare", entity: "residenceRegistration", id: try registration.requireID().uuidString, after: registration.auditSnapshot, by: actor, at: now, on: db)
        }
        return req.redirect(to: Paths.myResidence + "?done=declared")
    }

    static func moveOut(_ req: Request) async throws -> Response {
        let user = try req.requireUser()
        guard let resident = try await Resident.find(user: user.id, on: req.db),
              let id = req.parameters.get("id", as: UUID.self),
              let registration = try await ResidenceRegistration.find(id, on: req.db),
              registration.$resident.id == resident.id, registration.toDate == nil
        else { throw Abort(.notFound) }
        let before = registration.auditSnapshot
        let end = max(today(req), CivilDate(registration.fromDate) ?? today(req))
        registration.toDate = end.description
        let actor = req.actor, now = req.now
        try await req.db.transaction { db in
            try await registration.save(on: db)
            try await Audit.record("moveOut", entity: "residenceRegistration", id: id.uuidString, before: before, after: registration.auditSnapshot, by: actor, at: now, on: db)
        }
        return req.redirect(to: Paths.myResidence + "?done=movedOut")
    }

    // MARK: permit

    struct PermitForm: Decodable { var basis: String?; var evidence: String? }

    static func applyPermit(_ req: Request) async throws -> Response {
        let user = try req.requireUser()
        guard let resident = try await Resident.find(user: user.id, on: req.db) else { throw Abort(.badRequest) }
        let input = try req.content.decode(PermitForm.self)
        let evidence = (input.evidence ?? "").trimmingCharacters(in: .whitespaces)
        var form = FormState(fields: ["basis", "evidence"], values: ["basis": input.basis ?? "", "evidence": evidence])
        let basis = PermitEligibility.Basis(rawValue: input.basis ?? "")
        if evidence.count > 200 { form.fail("evidence", req.text("problem_tooLong", ["field": req.text("field_evidence"), "max": "200"])) }
        let registrations = try await ResidenceRegistration.query(on: req.db).filter(\.$resident.$id == resident.requireID()).all()
        for refusal in PermitEligibility.check(periods: registrations.compactMap(\.period), basis: basis, hasEvidence: !evidence.isEmpty, on: today(req)) {
            switch refusal {
            case .noCurrentRegistration: form.fail("basis", req.text("permit_refused_registration"))
            case .tooShort(let months, let possibleFrom): form.fail("basis", req.text("permit_refused_short", ["months": String(months), "date": possibleFrom.description]))
            case .noBasis: form.fail("basis", req.text("problem_choose", ["field": req.text("field_basis")]))
            case .noEvidence: form.fail("evidence", req.text("problem_required", ["field": req.text("field_evidence")]))
            }
        }
        let open = try await ResidencePermit.query(on: req.db).filter(\.$resident.$id == resident.requireID()).filter(\.$status != .rejected).count()
        if open > 0 { form.fail("basis", req.text("permit_exists")) }
        guard form.isValid, let basis,
              let current = registrations.first(where: { $0.toDate == nil && $0.status == .verified })
        else {
            return try await req.render("me-residence", title: "residence_title", try await content(req, permitForm: form), status: .badRequest)
        }
        let permit = ResidencePermit()
        permit.createdAt = req.now
        permit.number = "JZ" + ShanghaiTime.format(req.now, "yyyyMMddHHmmss") + String(format: "%04d", Int(req.effects.randomBytes(2).reduce(0) { $0 << 8 | Int($1) }) % 10000)
        permit.basis = basis.rawValue
        permit.evidence = evidence
        permit.history = ""
        permit.record(.submitted, on: today(req))
        permit.$resident.id = try resident.requireID()
        permit.$jurisdiction.id = current.$jurisdiction.id
        let actor = req.actor, now = req.now
        try await req.db.transaction { db in
            try await permit.create(on: db)
            try await Audit.record("apply", entity: "residencePermit", id: permit.number, after: ["status": permit.status.rawValue, "basis": permit.basis], by: actor, at: now, on: db)
        }
        return req.redirect(to: Paths.myResidence + "?done=applied")
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
        guard form.isValid, let until = permit.validUntil.flatMap(CivilDate.init) else {
            return try await req.render("me-residence", title: "residence_title", try await content(req, permitForm: form), status: .badRequest)
        }
        // One more year from the end of the current one (or from today, if it has lapsed).
        let base = max(until, today(req))
        let before = ["validUntil": permit.validUntil ?? ""]
        permit.validUntil = base.adding(years: 1).description
        permit.history += ";endorsed@" + today(req).description
        let actor = req.actor, now = req.now
        try await req.db.transaction { db in
            try await permit.save(on: db)
            try await Audit.record("endorse", entity: "residencePermit", id: permit.number, before: before, after: ["validUntil": permit.validUntil ?? ""], by: actor, at: now, on: db)
        }
        return req.redirect(to: Paths.myResidence + "?done=endorsed")
    }
}
