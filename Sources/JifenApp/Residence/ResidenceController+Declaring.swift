import Fluent
import JifenCore
import JifenResources
import Vapor

/// The citizen's identity, declarations and permit application.
extension ResidenceController {
    // MARK: identity

    struct IdentityForm: Decodable { var name: String?; var idNumber: String? }

    static func identity(_ req: Request) async throws -> Response {
        let user = try req.requireUser()
        let input = try req.content.decode(IdentityForm.self)
        let name = (input.name ?? "").trimmingCharacters(in: .whitespaces)
        // The number is never echoed back into the page: a refused form asks for it again.
        var form = FormState(fields: ["name", "idNumber"], values: ["name": name])
        form.requireText("name", label: "field_realName", max: 30, on: req)
        let data = req.application.personalData
        let id = req.validateIDNumber(input.idNumber, into: &form)
        guard let account = try await User.find(user.id, on: req.db) else { throw Abort(.unauthorized) }
        var known: Resident?
        var confirmed = false
        if let id, form.isValid {
            known = try await Resident.find(idNumber: id.value, data: data, on: req.db)
            confirmed = try await RealName.serviceConfirms(name: name, idNumber: id.value, user: account, on: req)
            if let known {
                // Someone else holds it (confirmed or not), or staff recorded the person and only a
                // check of the card can give it to an account: the way to claim it is told.
                if known.$user.id != nil { form.fail("idNumber", req.text("identity_taken")) }
                else if !confirmed || known.name != name { form.fail("idNumber", req.text("identity_claim_at_window")) }
            }
        }
        if try await Resident.find(user: user.id, on: req.db) != nil { form.fail("idNumber", req.text("identity_exists")) }
        guard form.isValid, let id else {
            return try await req.render("residence/me-residence", title: "residence_title", try await content(req, identityForm: form), status: .badRequest)
        }
        let actor = req.actor, now = req.now
        let found = known, serviceConfirmed = confirmed
        do { try await req.db.transaction { db in
            let resident: Resident
            if let known = found {
                resident = known
                resident.$user.id = user.id
                resident.updatedAt = now
            } else {
                resident = try Resident(name: name, id: id, phone: nil, userID: user.id, data: data, at: now)
            }
            if serviceConfirmed {
                resident.verifiedAt = now
                resident.verifiedBy = "service"
            }
            try await resident.save(on: db)
            try await Audit.record(found == nil ? "create" : "bind", entity: "resident", id: try resident.requireID().uuidString,
                                   after: resident.auditSnapshot.merging(["verified": serviceConfirmed ? "service" : "no"], uniquingKeysWith: { $1 }), by: actor, at: now, on: db)
        } } catch where (error as? any DatabaseError)?.isConstraintFailure == true {
            // Meanwhile another tab of this account declared a person (an account is bound to one
            // person, `residents.user_id` unique), or another account entered this number (a
            // number is one person, `residents.id_hash` unique): nothing of this one was saved.
            let mine = try await Resident.find(user: user.id, on: req.db) != nil
            form.fail("idNumber", req.text(mine ? "identity_exists" : "identity_taken"))
            return try await req.render("residence/me-residence", title: "residence_title", try await content(req, identityForm: form), status: .badRequest)
        }
        return req.redirect(to: SiteRoute.myResidence.path + "?done=identity")
    }

    // MARK: declaration

    struct DeclareForm: Decodable { var address: String?; var grid: String?; var from: String?; var house: String? }

    /// A citizen's own declaration of where he lives (居住申报), as the page and the API take it.
    struct Declaration: Sendable {
        var address, grid, from, house: String

        enum Outcome { case saved(ResidenceRegistration), refused(Declaration, [(field: String, wording: Wording)]) }

        /// Checks and saves it, pending the grid worker's verification within a week. An address
        /// code from the rental-house registry (typed, or from the QR on the door) decides the
        /// address and the grid.
        func file(for resident: Resident, by actor: Actor, today: CivilDate, now: Date, on db: any Database) async throws -> Outcome {
            var input = self
            input.house = house.trimmingCharacters(in: .whitespaces)
            var problems: [(field: String, wording: Wording)] = []
            var house: RentalHouse?
            if !input.house.isEmpty {
                house = try await RentalHouse.query(on: db).filter(\.$addressCode == input.house).with(\.$jurisdiction).first()
                if let house { input.address = house.address; input.grid = house.jurisdiction.code }
                else { problems.append(("house", Wording("house_unknown", ["code": input.house]))) }
            }
            input.address = input.address.trimmingCharacters(in: .whitespaces)
            if input.address.isEmpty { problems.append(("address", Wording("problem_required", label: "field_address"))) }
            else if input.address.count > 100 { problems.append(("address", Wording("problem_tooLong", ["max": "100"], label: "field_address"))) }
            var grid: Jurisdiction?
            if let code = JurisdictionCode(input.grid), code.level == .grid { grid = try await Jurisdiction.find(code: code.rawValue, on: db) }
            if grid == nil { problems.append(("grid", Wording("problem_choose", label: "field_grid"))) }
            let from = CivilDate(input.from.trimmingCharacters(in: .whitespaces))
            if from == nil { problems.append(("from", Wording("problem_date", label: "field_moveIn"))) }
            else if let from, from > today { problems.append(("from", Wording("residence_future"))) }
            let ongoing = try await ResidenceRegistration.query(on: db).filter(\.$resident.$id == resident.requireID())
                .filter(\.$toDate == nil).filter(\.$status != .rejected).count()
            if ongoing > 0 { problems.append(("address", Wording("residence_move_out_first"))) }
            guard problems.isEmpty, let grid, let from else { return .refused(input, problems) }
            let registration = try ResidenceRegistration(
                of: resident.requireID(), grid: grid.requireID(), house: house.flatMap { $0.$jurisdiction.id == grid.id ? $0.id : nil }, address: input.address,
                from: from, source: .selfDeclared, status: .pending, due: today.adding(days: ResidenceRegistration.verificationDays), at: now)
            try await db.transaction { db in
                try await registration.create(on: db)
                try await Audit.record("declare", entity: "residenceRegistration", id: try registration.requireID().uuidString, after: registration.auditSnapshot, by: actor, at: now, on: db)
            }
            return .saved(registration)
        }
    }

    static func declare(_ req: Request) async throws -> Response {
        let user = try req.requireUser()
        guard let resident = try await Resident.find(user: user.id, on: req.db) else { throw Abort(.badRequest) }
        let input = try req.content.decode(DeclareForm.self)
        let declaration = Declaration(address: input.address ?? "", grid: input.grid ?? "", from: input.from ?? "", house: input.house ?? "")
        switch try await declaration.file(for: resident, by: req.actor, today: today(req), now: req.now, on: req.db) {
        case .saved:
            return req.redirect(to: SiteRoute.myResidence.path + "?done=declared")
        case .refused(let effective, let problems):
            var form = FormState(fields: ["address", "grid", "from", "house"],
                                 values: ["address": effective.address, "grid": effective.grid, "from": effective.from, "house": effective.house])
            for problem in problems where form.errors[problem.field] == nil { form.fail(problem.field, problem.wording.text(req.application.catalog, req.language)) }
            return try await req.render("residence/me-residence", title: "residence_title", try await content(req, declareForm: form), status: .badRequest)
        }
    }

    static func moveOut(_ req: Request) async throws -> Response {
        let user = try req.requireUser()
        guard let resident = try await Resident.find(user: user.id, on: req.db),
              let id = req.parameters.get("id", as: UUID.self),
              let registration = try await ResidenceRegistration.find(id, on: req.db),
              registration.$resident.id == resident.id, registration.toDate == nil
        else { throw Abort(.notFound) }
        let end = max(today(req), registration.fromDate), actor = req.actor, now = req.now
        try await req.db.transaction { db in
            try await registration.save("moveOut", by: actor, at: now, on: db) { registration.toDate = end }
        }
        return req.redirect(to: SiteRoute.myResidence.path + "?done=movedOut")
    }

    // MARK: permit

    struct PermitForm: Decodable { var basis: String?; var evidence: String?; var delivery: String?; var postalAddress: String? }

    static let permitFields = ["basis", "evidence", "delivery", "postalAddress"]

    static func applyPermit(_ req: Request) async throws -> Response {
        let user = try req.requireUser()
        guard let resident = try await Resident.find(user: user.id, on: req.db) else { throw Abort(.badRequest) }
        let input = try req.content.decode(PermitForm.self)
        let evidence = (input.evidence ?? "").trimmingCharacters(in: .whitespaces)
        let delivery = input.delivery ?? "collect", postal = (input.postalAddress ?? "").trimmingCharacters(in: .whitespaces)
        var form = FormState(fields: permitFields, values: ["basis": input.basis ?? "", "evidence": evidence, "delivery": delivery, "postalAddress": postal])
        let basis = PermitEligibility.Basis(rawValue: input.basis ?? "")
        if evidence.count > 200 { form.fail("evidence", req.text("problem_tooLong", ["field": req.text("field_evidence"), "max": "200"])) }
        // Applied for online, nothing to bring: collected at the town's window or sent by post.
        if delivery != "collect" && delivery != "post" { form.fail("delivery", req.text("problem_choose", ["field": req.text("field_delivery")])) }
        if delivery == "post" && postal.isEmpty { form.fail("postalAddress", req.text("problem_required", ["field": req.text("field_postalAddress")])) }
        if postal.count > 100 { form.fail("postalAddress", req.text("problem_tooLong", ["field": req.text("field_postalAddress"), "max": "100"])) }
        let registrations = try await ResidenceRegistration.query(on: req.db).filter(\.$resident.$id == resident.requireID()).all()
        for refusal in PermitEligibility.check(periods: registrations.map(\.period), basis: basis, hasEvidence: !evidence.isEmpty, on: today(req)) {
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
            return try await req.render("residence/me-residence", title: "residence_title", try await content(req, permitForm: form), status: .badRequest)
        }
        let permit = ResidencePermit()
        permit.createdAt = req.now
        permit.number = "JZ" + ShanghaiTime.format(req.now, "yyyyMMddHHmmss") + String(format: "%04d", Int(req.effects.randomBytes(2).reduce(0) { $0 << 8 | Int($1) }) % 10000)
        permit.basis = basis.rawValue
        permit.evidence = evidence
        permit.delivery = delivery
        permit.postalAddress = delivery == "post" ? postal : nil
        permit.verificationToken = req.effects.randomBytes(16).map { String(format: "%02x", $0) }.joined()
        permit.$resident.id = try resident.requireID()
        permit.$jurisdiction.id = current.$jurisdiction.id
        let actor = req.actor, now = req.now, day = today(req)
        try await req.db.transaction { db in
            try await permit.record(.submitted, on: day, in: db)
            try await Audit.record("apply", entity: "residencePermit", id: permit.number, after: ["status": permit.status.rawValue, "basis": permit.basis, "delivery": delivery], by: actor, at: now, on: db)
        }
        return req.redirect(to: SiteRoute.myResidence.path + "?done=applied")
    }
}
