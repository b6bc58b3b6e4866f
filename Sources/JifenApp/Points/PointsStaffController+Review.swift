import Fluent
import JifenCore
import Vapor

/// One claim for its department, and the archive for the centre and the window.
extension PointsStaffController {
    // MARK: one claim, for its department

    struct ClaimContent: Encodable {
        let number, name, idMasked, item, rule, evidenceRequired, department, value: String
        let date: String?
        let state, stateCode: String
        let due: String?
        let overdue: Bool
        let reason: String?
        let evidence: [PointsController.EvidenceLink]
        let canDecide: Bool
        let action: String
        let form: FormState
        let options: [SelectOption]
        let numeric: Bool
        let unit: String?
        let back: String
    }

    /// The claim of the path, if this reviewer's department is responsible for it (else 404).
    static func loadClaim(_ req: Request) async throws -> (PointsClaim, PointsApplication, ScoringStandard.Item) {
        let user = try req.requireUser()
        guard let id = req.parameters.get("id", as: UUID.self), let claim = try await PointsClaim.find(id, on: req.db) else { throw Abort(.notFound) }
        if user.role == .departmentReviewer && claim.department != user.departmentCode { throw Abort(.notFound) }
        guard let application = try await PointsApplication.query(on: req.db).filter(\.$id == claim.$application.id).with(\.$resident).first(),
              let item = try await PointsService.standard(code: application.standardCode, on: req.db).item(claim.item)
        else { throw Abort(.notFound) }
        return (claim, application, item)
    }

    static func claimPage(_ req: Request) async throws -> Response {
        try await claimPage(req, form: FormState(fields: ["decision", "value", "date", "reason"]), status: .ok)
    }

    static func claimPage(_ req: Request, form: FormState, status: HTTPStatus) async throws -> Response {
        let user = try req.requireUser()
        let (claim, application, item) = try await loadClaim(req)
        let files = try await EvidenceFile.query(on: req.db).filter(\.$claim.$id == claim.requireID()).sort(\.$createdAt).all()
        let departments = try await PointsController.departmentNames(req.db)
        var options: [SelectOption] = []
        var unit: String?
        var numeric = false
        switch item.rule {
        case .choice(let choices): options = choices.map { SelectOption(value: $0.id, label: "\($0.title)（\($0.points) 分）", selected: form.values["value"] == $0.id) }
        case .perUnit(let u, _, _, _, _, _), .tiers(let u, _, _): numeric = true; unit = u
        default: break
        }
        let confirmed = claim.confirmedValue.flatMap { ClaimInput.value($0, for: item) }.map { ClaimInput.display($0, for: item) }
        let content = ClaimContent(
            number: application.number, name: Mask.name(application.resident.name), idMasked: application.resident.idMasked,
            item: item.title, rule: item.rule.text, evidenceRequired: item.evidence, department: departments[claim.department] ?? claim.department,
            value: ClaimInput.value(claim.value, for: item).map { ClaimInput.display($0, for: item) } ?? claim.value, date: claim.factDate?.description,
            state: req.text("claim_" + claim.state.rawValue) + (confirmed.map { "：" + $0 } ?? ""), stateCode: claim.state.rawValue,
            due: claim.dueDate?.description, overdue: claim.isOverdue(today: today(req)), reason: claim.reason,
            evidence: files.enumerated().map { n, f in
                PointsController.EvidenceLink(href: SiteRoute.evidence(f.id?.uuidString ?? "").path, label: req.text("evidence_file", ["n": String(n + 1), "kind": f.kind.rawValue.uppercased()]))
            },
            canDecide: user.role == .departmentReviewer && claim.state == .claimed && application.status == .inReview,
            action: SiteRoute.pointClaimDecision(claim.id?.uuidString ?? "").path, form: form, options: options, numeric: numeric, unit: unit,
            back: SiteRoute.pointsReview.path)
        return try await req.render("points/points-claim", title: "points_claim_title", content, status: status)
    }

    struct DecisionForm: Decodable { var decision: String?; var value: String?; var date: String?; var reason: String? }

    /// A department's decision on a claim as the page's form or the API sends it: the decision,
    /// or each field's problem.
    static func decision(_ input: DecisionForm, claim: PointsClaim, item: ScoringStandard.Item, today: CivilDate) -> (PointsService.Decision?, [(field: String, wording: Wording)]) {
        let reason = (input.reason ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
        var problems: [(field: String, wording: Wording)] = []
        var decision: PointsService.Decision?
        let reasonNeeded = Wording("problem_required", label: "field_reason")
        switch input.decision {
        case "approve":
            decision = .approve
        case "reject":
            if reason.isEmpty { problems.append(("reason", reasonNeeded)) }
            decision = .reject(reason: reason)
        case "correct":
            if reason.isEmpty { problems.append(("reason", reasonNeeded)) }
            let date = input.date?.isEmpty == false ? input.date! : (claim.factDate?.description ?? "")
            switch ClaimInput.fact(for: item, value: input.value ?? "", date: date, today: today) {
            case .success(let fact): decision = .correct(value: fact, reason: reason)
            case .failure(let problem): problems.append(("value", PointsController.wording(problem, item: item)))
            }
        default:
            problems.append(("decision", Wording("problem_choose", label: "field_decision")))
        }
        if reason.count > 500 { problems.append(("reason", Wording("problem_tooLong", ["max": "500"], label: "field_reason"))) }
        return problems.isEmpty ? (decision, []) : (nil, problems)
    }

    static func decide(_ req: Request) async throws -> Response {
        let (claim, application, item) = try await loadClaim(req)
        guard claim.state == .claimed, application.status == .inReview else { throw Abort(.conflict) }
        let input = try req.content.decode(DecisionForm.self)
        let reason = (input.reason ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
        var form = FormState(fields: ["decision", "value", "date", "reason"],
                             values: ["decision": input.decision ?? "", "value": input.value ?? "", "date": input.date ?? "", "reason": reason])
        let (decision, problems) = Self.decision(input, claim: claim, item: item, today: today(req))
        for problem in problems where form.errors[problem.field] == nil { form.fail(problem.field, problem.wording.text(req.application.catalog, req.language)) }
        guard let decision, form.isValid else { return try await claimPage(req, form: form, status: .badRequest) }
        do {
            try await PointsService(req).decide(claim, decision, item: item)
        } catch is PointsService.AlreadyDecided {
            throw Abort(.conflict)
        }
        return req.redirect(to: SiteRoute.pointsReview.path)
    }

    // MARK: the archive, for the centre and the window

    struct ArchiveContent: Encodable {
        let name, idMasked: String
        let archive: PointsController.ArchiveView?
        let applications: [Row]
        let canMark: Bool
        let fraudAction, endAction: String
        let fraudForm, endForm: FormState
    }

    static func loadResident(_ req: Request) async throws -> Resident {
        guard let id = req.parameters.get("resident", as: UUID.self), let resident = try await Resident.find(id, on: req.db) else { throw Abort(.notFound) }
        // Staff see a resident through a registration or an application in their jurisdiction.
        let scope = try await StaffResidenceController.scopeIDs(req)
        let registered = try await ResidenceRegistration.query(on: req.db).filter(\.$resident.$id == id).filter(\.$jurisdiction.$id ~~ scope).count()
        let applied = try await PointsApplication.query(on: req.db).filter(\.$resident.$id == id).filter(\.$jurisdiction.$id ~~ scope).count()
        guard registered + applied > 0 else { throw Abort(.notFound) }
        return resident
    }

    static func archive(_ req: Request) async throws -> Response {
        try await archivePage(req, fraudForm: FormState(fields: ["reason"]), endForm: FormState(fields: ["reason"]), status: .ok)
    }

    static func archivePage(_ req: Request, fraudForm: FormState, endForm: FormState, status: HTTPStatus) async throws -> Response {
        let user = try req.requireUser()
        let resident = try await loadResident(req)
        let archive = try await PointsArchive.query(on: req.db).filter(\.$resident.$id == resident.requireID()).first()
        let applications = try await PointsApplication.query(on: req.db).filter(\.$resident.$id == resident.requireID()).with(\.$jurisdiction).sort(\.$year, .descending).all()
        let id = try resident.requireID().uuidString
        let content = ArchiveContent(
            name: Mask.name(resident.name), idMasked: resident.idMasked,
            archive: try await archive.asyncMap { try await PointsController.archiveView($0, on: req) },
            applications: applications.map { a in
                Row(href: SiteRoute.pointApplication(a.id?.uuidString ?? "").path, number: a.number, name: String(a.year), idMasked: "",
                    status: req.text("application_" + a.status.rawValue), statusCode: a.status.rawValue, submitted: a.submittedAt.map(ShanghaiTime.dateTime), place: a.jurisdiction.name)
            },
            canMark: user.role == .centerAdmin && archive?.status != .ended,
            fraudAction: SiteRoute.pointArchiveFraud(id).path, endAction: SiteRoute.pointArchiveEnd(id).path, fraudForm: fraudForm, endForm: endForm)
        return try await req.render("points/points-archive", title: "points_archive_title", content, status: status)
    }

    static func fraud(_ req: Request) async throws -> Response {
        let resident = try await loadResident(req)
        let reason = ((try? req.content.get(String.self, at: "reason")) ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
        var form = FormState(fields: ["reason"], values: ["reason": reason])
        form.requireText("reason", label: "field_fraud_reason", max: 500, on: req)
        if let archive = try await PointsArchive.query(on: req.db).filter(\.$resident.$id == resident.requireID()).first(), archive.status == .ended {
            form.fail("reason", req.text("archive_already_ended"))
        }
        guard form.isValid else { return try await archivePage(req, fraudForm: form, endForm: FormState(fields: ["reason"]), status: .badRequest) }
        _ = try await PointsService(req).markFraud(resident, reason: reason)
        return req.redirect(to: SiteRoute.pointArchive(resident.id?.uuidString ?? "").path)
    }

    static func end(_ req: Request) async throws -> Response {
        let resident = try await loadResident(req)
        let reason = ((try? req.content.get(String.self, at: "reason")) ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
        var form = FormState(fields: ["reason"], values: ["reason": reason])
        form.requireText("reason", label: "field_end_reason", max: 500, on: req)
        if try await PointsArchive.query(on: req.db).filter(\.$resident.$id == resident.requireID()).first() == nil {
            form.fail("reason", req.text("archive_none"))
        }
        guard form.isValid else { return try await archivePage(req, fraudForm: FormState(fields: ["reason"]), endForm: form, status: .badRequest) }
        try await PointsService(req).end(resident, reason: reason)
        return req.redirect(to: SiteRoute.pointArchive(resident.id?.uuidString ?? "").path)
    }
}
