import Fluent
import JifenCore
import Vapor

/// Priority groups (优先/优待): the organisers name a program's groups, the parent claims one with
/// its evidence, the named department verifies it.
extension ProgramsController {
    static let groupFields = ["code", "title", "department", "placement", "bonus"]

    /// The program page's lines for its groups ("现役军人子女：市人武部核验，排在积分顺序之前").
    static func priorityLines(_ groups: [PriorityGroup], departments: [String: String], _ req: Request) -> [String] {
        groups.map { g in
            req.text("priority_group_line", ["title": g.title, "department": departments[g.department] ?? g.department,
                                             "placement": req.text("priority_placement_" + g.placement.rawValue, ["bonus": Points(hundredths: g.bonus).description])])
        }
    }

    static func priorityGroupForm(_ form: FormState, departments: [Department], _ req: Request) -> [FormField] {
        [
            form.field("code", req.text("field_priority_code"), hint: req.text("program_code_rule"), maxLength: 40, idPrefix: "pg-"),
            form.field("title", req.text("field_priority_title"), maxLength: 60, idPrefix: "pg-"),
            form.field("department", req.text("field_priority_department"), .select, options: [("", "—")] + departments.map { ($0.code, $0.name) }, idPrefix: "pg-"),
            form.field("placement", req.text("field_priority_placement"), .select,
                       options: PriorityGroup.Placement.allCases.map { ($0.rawValue, req.text("priority_placement_choice_" + $0.rawValue)) }, idPrefix: "pg-"),
            form.field("bonus", req.text("field_priority_bonus"), .decimal, hint: req.text("priority_bonus_hint"), idPrefix: "pg-"),
        ]
    }

    static func addPriorityGroup(_ req: Request) async throws -> Response {
        let program = try await find(req)
        let input = (try? req.content.decode([String: String].self)) ?? [:]
        var form = FormState(fields: groupFields, values: Dictionary(uniqueKeysWithValues: groupFields.map { ($0, (input[$0] ?? "").trimmingCharacters(in: .whitespaces)) }))
        let code = form.values["code"] ?? ""
        if !isValidRecordCode(code) { form.fail("code", req.text("program_code_rule")) }
        else if try await PriorityGroup.query(on: req.db).filter(\.$program.$id == program.requireID()).filter(\.$code == code).first() != nil {
            form.fail("code", req.text("priority_code_taken"))
        }
        form.requireText("title", label: "field_priority_title", max: 60, on: req)
        let department = try await Department.query(on: req.db).filter(\.$code == form.values["department"] ?? "").first()
        if department == nil { form.fail("department", req.text("problem_choose", ["field": req.text("field_priority_department")])) }
        let placement = PriorityGroup.Placement(rawValue: form.values["placement"] ?? "")
        if placement == nil { form.fail("placement", req.text("problem_choose", ["field": req.text("field_priority_placement")])) }
        var bonus = Points.zero
        if placement == .bonus {
            if let b = Decimal2(parsing: form.values["bonus"] ?? ""), b > .zero { bonus = b }
            else { form.fail("bonus", req.text("priority_bonus_hint")) }
        }
        guard form.isValid, let department, let placement else {
            return try await page(req, quotaForm: FormState(fields: ["school", "name", "town", "seats"]), csvErrors: [], groupForm: form, status: .badRequest)
        }
        let group = PriorityGroup()
        group.code = code
        group.title = form.values["title"] ?? ""
        group.department = department.code
        group.placement = placement
        group.bonus = bonus.hundredths
        group.$program.id = try program.requireID()
        let actor = req.actor, now = req.now, added = bonus
        try await req.db.transaction { db in
            try await group.create(on: db)
            try await Audit.record("addPriorityGroup", entity: "program", id: program.code,
                                   after: ["group": code, "title": group.title, "department": group.department, "placement": placement.rawValue, "bonus": added.description],
                                   by: actor, at: now, on: db)
        }
        return req.redirect(to: SiteRoute.program(program.code).path + "#priority")
    }

    // MARK: the department's queue

    struct ClaimRow: Encodable {
        let program, group, number, applicant, evidence, state: String
        let open: Bool
        let action: String
        let reason: String?
    }

    struct ClaimsContent: Encodable {
        let rows: [ClaimRow]
        let error: String?
    }

    /// Claims of the groups the reviewer's department verifies (all for the affairs center).
    static func claimsQuery(_ req: Request) throws -> QueryBuilder<PriorityClaim> {
        let user = try req.requireUser()
        let q = PriorityClaim.query(on: req.db).join(PriorityGroup.self, on: \PriorityClaim.$group.$id == \PriorityGroup.$id)
        if user.role != .centerAdmin { q.filter(PriorityGroup.self, \.$department == (user.departmentCode ?? "-")) }
        return q
    }

    static func priorityClaims(_ req: Request) async throws -> Response {
        try await renderClaims(req, error: nil, status: .ok)
    }

    static func renderClaims(_ req: Request, error: String?, status: HTTPStatus) async throws -> Response {
        let claims = try await claimsQuery(req).with(\.$group) { $0.with(\.$program) }.with(\.$application) { $0.with(\.$resident) }
            .sort(\.$createdAt).all()
        let rows = claims.sorted { ($0.state == .claimed ? 0 : 1, $0.createdAt) < ($1.state == .claimed ? 0 : 1, $1.createdAt) }.map { c in
            ClaimRow(program: c.group.program.title, group: c.group.title, number: c.application.number, applicant: Mask.name(c.application.resident.name),
                     evidence: c.evidence, state: req.text("priority_state_" + c.state.rawValue), open: c.state == .claimed,
                     action: SiteRoute.priorityClaim(c.id?.uuidString ?? "").path, reason: c.reason)
        }
        return try await req.render("programs/priority-claims", title: "priority_claims_title", ClaimsContent(rows: rows, error: error), status: status)
    }

    static func decidePriority(_ req: Request) async throws -> Response {
        guard let id = req.parameters.get("id").flatMap(UUID.init(uuidString:)),
              let claim = try await claimsQuery(req).filter(\.$id == id).first() else { throw Abort(.notFound) }
        let input = (try? req.content.decode([String: String].self)) ?? [:]
        let reason = (input["reason"] ?? "").trimmingCharacters(in: .whitespaces)
        guard claim.state == .claimed else { return req.redirect(to: SiteRoute.priorityClaims.path) }
        // The first round freezes the order: a decision after it could no longer count.
        let group = try await claim.$group.get(on: req.db)
        if try await AllocationRound.query(on: req.db).filter(\.$program.$id == group.$program.id).count() > 0 {
            return try await renderClaims(req, error: req.text("priority_too_late"), status: .conflict)
        }
        switch input["decision"] {
        case "verify": try await ProgramService(req).decide(claim, verified: true, reason: nil)
        case "reject" where !reason.isEmpty: try await ProgramService(req).decide(claim, verified: false, reason: String(reason.prefix(200)))
        case "reject": return try await renderClaims(req, error: req.text("priority_reason_needed"), status: .badRequest)
        default: return try await renderClaims(req, error: req.text("problem_choose", ["field": req.text("field_decision")]), status: .badRequest)
        }
        return req.redirect(to: SiteRoute.priorityClaims.path)
    }
}
