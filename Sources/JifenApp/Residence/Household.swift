import Fluent
import JifenCore
import Vapor

enum HouseholdController {
    static func register(_ routes: any RoutesBuilder) {
        routes.post(.myHousehold, access: .roles([.citizen]), use: add)
    }

    struct Form: Decodable { var relation: String?; var name: String?; var idNumber: String?; var evidence: String? }

    static func add(_ req: Request) async throws -> Response {
        let user = try req.requireUser()
        guard let resident = try await Resident.find(user: user.id, on: req.db) else { throw Abort(.badRequest) }
        let input = try req.content.decode(Form.self)
        let name = (input.name ?? "").trimmingCharacters(in: .whitespaces)
        var form = FormState(fields: ["relation", "name", "idNumber", "evidence"], values: ["relation": input.relation ?? "", "name": name, "evidence": input.evidence ?? ""])
        let evidence = HouseholdMember.Evidence(rawValue: input.evidence ?? "")
        if evidence == nil { form.fail("evidence", req.text("problem_choose", ["field": req.text("field_relationEvidence")])) }
        let relation = HouseholdMember.Relation(rawValue: input.relation ?? "")
        if relation == nil { form.fail("relation", req.text("problem_choose", ["field": req.text("field_relation")])) }
        form.requireText("name", label: "field_realName", max: 30, on: req)
        let id = req.validateIDNumber(input.idNumber, into: &form)
        let data = req.application.personalData
        if let id {
            if data.lookupHash(id.value) == resident.idHash { form.fail("idNumber", req.text("household_self")) }
            if relation == .child, case let parentBirth = resident.birthDate, id.birthDate.dayNumber - parentBirth.dayNumber < 14 * 365 {
                form.fail("idNumber", req.text("household_child_age"))
            }
            let duplicate = try await HouseholdMember.query(on: req.db).filter(\.$resident.$id == resident.requireID()).filter(\.$idHash == data.lookupHash(id.value)).count()
            if duplicate > 0 { form.fail("idNumber", req.text("household_exists")) }
            if relation == .spouse {
                let spouses = try await HouseholdMember.query(on: req.db).filter(\.$resident.$id == resident.requireID()).filter(\.$relation == .spouse).count()
                if spouses > 0 { form.fail("relation", req.text("household_one_spouse")) }
            }
        }
        guard form.isValid, let id, let relation else {
            return try await req.render("residence/me-residence", title: "residence_title", try await ResidenceController.content(req, householdForm: form), status: .badRequest)
        }
        let member = try HouseholdMember(relation, name: name, id: id, of: resident.requireID(), data: data, at: req.now)
        member.evidence = evidence?.rawValue
        // The household register service may confirm the relationship; otherwise staff check the
        // document at the window, and until then the child counts in no application.
        if let account = try await User.find(user.id, on: req.db), resident.identityVerified,
           try await RealName.serviceConfirmsChild(childID: id.value, parentID: try data.open(resident.idSealed), user: account, on: req) {
            member.verifiedAt = req.now
            member.verifiedBy = "service"
        }
        let actor = req.actor, now = req.now
        try await req.db.transaction { db in
            try await member.create(on: db)
            try await Audit.record("addMember", entity: "household", id: try resident.requireID().uuidString,
                                   after: ["relation": relation.rawValue, "name": member.nameMasked, "id": member.idMasked], by: actor, at: now, on: db)
        }
        return req.redirect(to: SiteRoute.myResidence.path + "?done=member")
    }
}
