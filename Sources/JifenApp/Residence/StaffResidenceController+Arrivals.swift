import Fluent
import JifenCore
import Vapor

extension StaffResidenceController {
    struct ArrivalForm: Decodable { var name: String?; var idNumber: String?; var house: String?; var from: String? }

    /// 人来登记: the grid worker registers a person moving into a rental house of his grid. He is
    /// the verifier, so the registration is verified at once (method: visit).
    static func arrival(_ req: Request) async throws -> Response {
        guard let scope = try req.requireUser().scope else { throw Abort(.forbidden) }
        let input = try req.content.decode(ArrivalForm.self)
        let name = (input.name ?? "").trimmingCharacters(in: .whitespaces)
        var form = FormState(fields: ["name", "idNumber", "house", "from"], values: ["name": name, "house": input.house ?? "", "from": input.from ?? ""])
        if name.isEmpty { form.fail("name", req.text("problem_required", ["field": req.text("field_realName")])) }
        let id = req.validateIDNumber(input.idNumber, into: &form)
        var house: RentalHouse?
        if let found = try await RentalHouse.query(on: req.db).filter(\.$addressCode == (input.house ?? "")).with(\.$jurisdiction).first(),
           let code = found.jurisdiction.jurisdictionCode, scope.contains(code) { house = found }
        if house == nil { form.fail("house", req.text("problem_choose", ["field": req.text("field_house")])) }
        let from = CivilDate((input.from ?? "").trimmingCharacters(in: .whitespaces))
        if from == nil { form.fail("from", req.text("problem_date", ["field": req.text("field_moveIn")])) }
        else if let from, from > today(req) { form.fail("from", req.text("residence_future")) }
        let data = req.application.personalData
        var resident: Resident?
        if let id { resident = try await Resident.find(idNumber: id.value, data: data, on: req.db) }
        if let resident {
            let ongoing = try await ResidenceRegistration.query(on: req.db).filter(\.$resident.$id == resident.requireID())
                .filter(\.$toDate == nil).filter(\.$status != .rejected).count()
            if ongoing > 0 { form.fail("idNumber", req.text("arrival_still_registered")) }
        }
        guard form.isValid, let id, let house, let from else {
            return try await registrationsPage(req, form: FormState(fields: ["decision", "method", "reason"]), failedID: nil, status: .badRequest, arrival: form)
        }
        let known = resident
        let actor = req.actor, now = req.now, due = today(req).adding(days: ResidenceRegistration.verificationDays)
        let login = try req.requireUser().login
        try await req.db.transaction { db in
            let person: Resident
            if let known {
                person = known
                // The grid worker met the person; an account that only typed his number loses it.
                try await RealName.detachUnconfirmed(person, reason: "arrival", on: db, req: req)
            } else {
                person = try Resident(name: name, id: id, phone: nil, userID: nil, data: data, at: now)
                try await person.create(on: db)
                try await Audit.record("create", entity: "resident", id: try person.requireID().uuidString, after: person.auditSnapshot, by: actor, at: now, on: db)
            }
            let registration = try ResidenceRegistration(of: person.requireID(), grid: house.$jurisdiction.id, house: house.id, address: house.address,
                                                         from: from, source: .gridWorker, status: .verified, due: due, at: now)
            registration.method = ResidenceRegistration.Method.visit.rawValue
            registration.decidedAt = now
            registration.decidedBy = login
            try await registration.create(on: db)
            try await Audit.record("arrival", entity: "residenceRegistration", id: try registration.requireID().uuidString, after: registration.auditSnapshot, by: actor, at: now, on: db)
        }
        return req.redirect(to: SiteRoute.registrations.path + "?status=verified")
    }

    /// 人走注销: the grid worker ends the registration of someone who has left.
    static func end(_ req: Request) async throws -> Response {
        let registration = try await req.recordInScope(ResidenceRegistration.self, \.$jurisdiction)
        guard registration.toDate == nil, registration.status == .verified else { throw Abort(.conflict) }
        let end = max(today(req), registration.fromDate), actor = req.actor, now = req.now
        try await req.db.transaction { db in
            try await registration.save("moveOut", by: actor, at: now, on: db) { registration.toDate = end }
        }
        return req.redirect(to: SiteRoute.registrations.path + "?status=verified")
    }
}
