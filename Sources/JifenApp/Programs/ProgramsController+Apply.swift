import Fluent
import JifenCore
import Vapor

/// The parent's ranked application, and his new ranking for the second round (调剂).
extension ProgramsController {
    // MARK: applying

    /// The ranked schools as fields school1…schoolN, each a choice of `schools` (code, label) or none.
    static func rankingFields(_ n: Int, schools: [(value: String, label: String)], chosen: [String], on req: Request) -> [FormField] {
        let names = (1...max(1, n)).map { "school\($0)" }
        let form = FormState(fields: names, values: Dictionary(uniqueKeysWithValues: zip(names, chosen)))
        return names.enumerated().map { k, name in
            form.field(name, req.text("program_choice", ["n": String(k + 1)]), .select, options: [("", "—")] + schools)
        }
    }

    struct ApplyContent: Encodable {
        let title, programLink: String
        let points: String?
        let fields: [FormField]
        let refusals: [String]
        let action: String
        let existing: String?
        let closes: String
        let hasIdentity: Bool
        /// What this kind of program asks for, told once.
        let materials: MaterialList
    }

    static func applyPage(_ req: Request) async throws -> Response { try await renderApply(req, refusals: [], status: .ok) }

    static func renderApply(_ req: Request, refusals: [String], status: HTTPStatus, picked: [String]? = nil, child: String? = nil,
                            priority: (group: String, evidence: String)? = nil) async throws -> Response {
        let program = try await find(req)
        let rules = program.rules
        let user = try req.requireUser()
        let resident = try await Resident.find(user: user.id, on: req.db)
        let service = ProgramService(req)
        var children: [HouseholdMember] = []
        var existing: ServiceApplication?
        var points: String?
        if let resident {
            children = try await HouseholdMember.query(on: req.db).filter(\.$resident.$id == resident.requireID()).filter(\.$relation == .child).all()
            existing = try await ServiceApplication.query(on: req.db).filter(\.$program.$id == program.requireID()).filter(\.$resident.$id == resident.requireID()).with(\.$ranking).first()
            points = try await service.points(of: resident, for: program)?.total.description
        }
        let quotas = try await Quota.query(on: req.db).filter(\.$program.$id == program.requireID()).with(\.$school).all().sorted { $0.school.code < $1.school.code }
        let chosen = picked ?? existing?.schoolCodes ?? []
        let groups = try await PriorityGroup.query(on: req.db).filter(\.$program.$id == program.requireID()).sort(\.$code).all()
        var claimed = priority
        if claimed == nil, let existing, let claim = try await PriorityClaim.query(on: req.db).filter(\.$application.$id == existing.requireID()).with(\.$group).first() {
            claimed = (claim.group.code, claim.evidence)
        }
        let priorityForm = FormState(fields: ["priorityGroup", "priorityEvidence"], values: ["priorityGroup": claimed?.group ?? "", "priorityEvidence": claimed?.evidence ?? ""])
        let priorityFields = groups.isEmpty ? [] : [
            priorityForm.field("priorityGroup", req.text("field_priority_group"), .select, hint: req.text("priority_group_hint"),
                               options: [("", req.text("priority_none"))] + groups.map { ($0.code, $0.title) }),
            priorityForm.field("priorityEvidence", req.text("field_priority_evidence"), hint: req.text("priority_evidence_hint"), maxLength: 120),
        ]
        let selectedChild = child ?? existing?.$child.id?.uuidString
        let content = ApplyContent(
            title: program.title, programLink: SiteRoute.program(program.code).path, points: points,
            fields: (rules.kind.forChild ? [FormState(fields: ["child"], values: ["child": selectedChild ?? ""]).field(
                "child", req.text("program_child"), .select, hint: req.text("program_child_hint"),
                options: [("", "—")] + children.map { ($0.id?.uuidString ?? "", $0.nameMasked + "（" + $0.birthDate.description + "）") })] : [])
                + (rules.kind.isSchool && rules.maxChoices > 0 ? rankingFields(rules.maxChoices, schools: quotas.map {
                    ($0.school.code, "\($0.school.name)（\(req.text("program_seats", ["n": String($0.seats)]))）")
                }, chosen: chosen, on: req) : []) + priorityFields,
            refusals: refusals, action: SiteRoute.programApply(program.code).path, existing: existing?.number, closes: ShanghaiDate.long(rules.closes),
            hasIdentity: resident != nil, materials: try await MaterialList.load("program:" + rules.kind.rawValue, on: req))
        return try await req.render("programs/program-apply", title: "program_apply_title", content, status: status)
    }

    static func apply(_ req: Request) async throws -> Response {
        let program = try await find(req)
        let user = try req.requireUser()
        guard let resident = try await Resident.find(user: user.id, on: req.db) else { return req.redirect(to: SiteRoute.myResidence.path) }
        let input = (try? req.content.decode([String: String].self)) ?? [:]
        let schools = (1...20).compactMap { input["school\($0)"]?.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        var child: HouseholdMember?
        if let raw = input["child"], let id = UUID(uuidString: raw) {
            child = try await HouseholdMember.query(on: req.db).filter(\.$id == id).filter(\.$resident.$id == resident.requireID()).first()
        }
        let group = (input["priorityGroup"] ?? "").trimmingCharacters(in: .whitespaces)
        let priority = group.isEmpty ? nil : (group: group, evidence: String((input["priorityEvidence"] ?? "").trimmingCharacters(in: .whitespaces).prefix(120)))
        switch try await ProgramService(req).apply(resident: resident, child: child, program: program, schools: schools, priority: priority) {
        case .saved: return req.redirect(to: SiteRoute.myPrograms.path + "?done=applied")
        case .refused(let reasons):
            let words = reasons.map { ProgramService.words($0, req.application.catalog, req.language) }
            return try await renderApply(req, refusals: words, status: .badRequest, picked: schools, child: input["child"], priority: priority)
        }
    }

    // MARK: second round (调剂)

    static func secondContext(_ req: Request) async throws -> (Program, ServiceApplication, [(String, String, Int)]) {
        let program = try await find(req)
        let user = try req.requireUser()
        guard let resident = try await Resident.find(user: user.id, on: req.db),
              let application = try await ServiceApplication.query(on: req.db).filter(\.$program.$id == program.requireID()).filter(\.$resident.$id == resident.requireID()).with(\.$ranking).first(),
              let first = try await AllocationRound.query(on: req.db).filter(\.$program.$id == program.requireID()).filter(\.$round == 1).first(), first.finalizedAt != nil,
              try await AllocationRound.query(on: req.db).filter(\.$program.$id == program.requireID()).filter(\.$round == 2).count() == 0,
              let row = try await AllocationResult.query(on: req.db).filter(\.$round.$id == first.requireID()).filter(\.$application.$id == application.requireID()).first(),
              row.schoolCode == nil
        else { throw Abort(.notFound) }
        var seats: [String: (String, Int)] = [:]
        for q in try await Quota.query(on: req.db).filter(\.$program.$id == program.requireID()).with(\.$school).all() { seats[q.school.code] = (q.school.name, q.seats) }
        for r in try await AllocationResult.query(on: req.db).filter(\.$round.$id == first.requireID()).all() { if let c = r.schoolCode { seats[c]?.1 -= 1 } }
        let left = seats.filter { $0.value.1 > 0 }.map { ($0.key, $0.value.0, $0.value.1) }.sorted { $0.0 < $1.0 }
        return (program, application, left)
    }

    struct SecondContent: Encodable { let title: String; let fields: [FormField]; let action: String; let saved: Bool }

    static func secondPage(_ req: Request) async throws -> Response {
        let (program, application, left) = try await secondContext(req)
        let chosen = application.schools(round: 2)
        let content = SecondContent(title: program.title, fields: rankingFields(program.maxChoices, schools: left.map {
            ($0.0, "\($0.1)（\(req.text("program_seats", ["n": String($0.2)]))）")
        }, chosen: chosen, on: req), action: SiteRoute.programSecond(program.code).path, saved: !chosen.isEmpty)
        return try await req.render("programs/program-second", title: "program_second_title", content)
    }

    static func second(_ req: Request) async throws -> Response {
        let (program, application, left) = try await secondContext(req)
        let input = (try? req.content.decode([String: String].self)) ?? [:]
        let offered = Set(left.map(\.0))
        var schools: [String] = []
        for k in 1...max(1, program.maxChoices) {
            if let s = input["school\(k)"]?.trimmingCharacters(in: .whitespaces), !s.isEmpty, offered.contains(s), !schools.contains(s) { schools.append(s) }
        }
        application.updatedAt = req.now
        let actor = req.actor, now = req.now, ranked = schools
        try await req.db.transaction { db in
            try await application.save(on: db)
            try await application.rank(ranked, round: 2, on: db)
            try await Audit.record("rerank", entity: "serviceApplication", id: application.number, after: ["round": "2", "preferences": ranked.joined(separator: ",")], by: actor, at: now, on: db)
        }
        return req.redirect(to: SiteRoute.myPrograms.path + "?done=second")
    }
}
