import Crypto
import Fluent
import JifenCore
import Vapor

/// Points applications on the web: the citizen's points page, the application editor shared by
/// the citizen and the window clerk, the window's first review, evidence files.
enum PointsController {
    static let editors: Access = .roles([.citizen, .windowClerk, .centerAdmin])
    static let window: Access = .roles([.windowClerk, .centerAdmin])

    static func register(_ routes: any RoutesBuilder) {
        routes.get("me", "points", access: .roles([.citizen]), use: myPoints)
        routes.post("me", "points", access: .roles([.citizen]), use: openMine)
        routes.get("points", "applications", access: window, use: PointsStaffController.list)
        routes.post("points", "applications", access: window, use: PointsStaffController.openForResident)
        routes.get("points", "applications", ":id", access: window, use: staffPage)
        routes.post("points", "applications", ":id", "claims", access: editors, use: addClaim)
        routes.post("points", "applications", ":id", "claims", ":claim", "delete", access: editors, use: removeClaim)
        routes.on(.POST, ["points", "applications", ":id", "claims", ":claim", "evidence"], access: editors, body: .collect(maxSize: "24mb"), use: uploadEvidence)
        routes.post("points", "applications", ":id", "submit", access: editors, use: submit)
        routes.post("points", "applications", ":id", "review", access: window, use: PointsStaffController.firstReview)
        routes.get("points", "evidence", ":id", access: .roles([.citizen, .windowClerk, .centerAdmin, .departmentReviewer]), use: evidence)
    }

    static func today(_ req: Request) -> CivilDate { ShanghaiDate.today(req.now) }

    // MARK: page contexts

    struct EvidenceLink: Encodable { let href: String; let label: String }

    struct ClaimRow: Encodable {
        let id: String
        let title: String
        let department: String
        let value: String
        let date: String?
        let state: String
        let stateCode: String
        let detail: String?
        let due: String?
        let overdue: Bool
        let evidence: [EvidenceLink]
        let byFeed: Bool
        let needsEvidence: Bool
        let editable: Bool
        let uploadAction: String
        let deleteAction: String
        let reviewLink: String?
        let error: String?
    }

    struct ItemForm: Encodable {
        let id: String
        let title: String
        let input: String
        let options: [SelectOption]
        let unit: String?
        let dated: Bool
        let hint: String
        let department: String
        let byFeed: Bool
        let claimed: Bool
        let error: String?
        let value: String
        let date: String
    }

    struct ItemSection: Encodable { let title: String; let items: [ItemForm]; let open: Bool }

    struct ApplicationView: Encodable {
        let id: String
        let number: String
        let year: Int
        let status: String
        let statusCode: String
        let standardTitle: String
        let name: String
        let idMasked: String
        let returnReason: String?
        let editable: Bool
        let claims: [ClaimRow]
        let sections: [ItemSection]
        let addAction: String
        let submitAction: String
        let submitErrors: [String]
        let estimate: String
        let confirmed: String
        let total: String?
        let canReview: Bool
        let reviewAction: String
        let reviewForm: FormState
        let calendarWarning: String?
        let archiveLink: String?
        let heading: String
        let estimateLine: String
    }

    struct ApplicationPage: Encodable { let application: ApplicationView }

    static func departmentNames(_ db: any Database) async throws -> [String: String] {
        Dictionary(uniqueKeysWithValues: try await Department.query(on: db).all().map { ($0.code, $0.name) })
    }

    static func view(_ application: PointsApplication, resident: Resident, on req: Request,
                     claimErrors: [String: String] = [:], itemErrors: [String: String] = [:], itemValues: [String: String] = [:],
                     submitErrors: [String] = [], reviewForm: FormState? = nil, calendarWarning: String? = nil) async throws -> ApplicationView {
        let user = try req.requireUser()
        let standard = try await PointsService.standard(code: application.standardCode, on: req.db)
        let claims = try await application.claims(on: req.db)
        let files = try await EvidenceFile.query(on: req.db).filter(\.$claim.$id ~~ claims.compactMap(\.id)).sort(\.$createdAt).all()
        let departments = try await departmentNames(req.db)
        let id = try application.requireID().uuidString
        let editable = application.isEditable && (user.role == .citizen || user.role == .windowClerk)
        let rows = claims.map { c -> ClaimRow in
            let item = standard.item(c.item)
            let value = item.flatMap { i in ClaimInput.value(c.value, for: i).map { ClaimInput.display($0, for: i) } } ?? c.value
            var detail: String?
            switch c.state {
            case .claimed: detail = nil
            case .verified: detail = c.verifier?.hasPrefix("feed:") == true
                ? req.text("claim_by_feed", ["feed": req.text("feed_" + (c.verifier ?? "").dropFirst(5)), "asOf": c.feedAsOf ?? ""])
                : req.text("claim_by_department", ["department": departments[c.department] ?? c.department])
            case .corrected:
                let confirmed = item.flatMap { i in c.confirmedValue.flatMap { ClaimInput.value($0, for: i) }.map { ClaimInput.display($0, for: i) } } ?? ""
                detail = req.text("claim_corrected_to", ["value": confirmed]) + (c.verifier?.hasPrefix("feed:") == true
                    ? "（" + req.text("claim_by_feed", ["feed": req.text("feed_" + (c.verifier ?? "").dropFirst(5)), "asOf": c.feedAsOf ?? ""]) + "）"
                    : (c.reason.map { "（" + $0 + "）" } ?? ""))
            case .rejected: detail = c.reason
            }
            let claimID = c.id?.uuidString ?? ""
            let byFeed = item?.feed != nil
            let evidence = files.filter { $0.$claim.id == c.id }.enumerated().map { n, f in
                EvidenceLink(href: "/points/evidence/" + (f.id?.uuidString ?? ""), label: req.text("evidence_file", ["n": String(n + 1), "kind": f.kind.rawValue.uppercased()]))
            }
            return ClaimRow(id: claimID, title: item?.title ?? c.item, department: departments[c.department] ?? c.department, value: value, date: c.factDate,
                            state: req.text("claim_" + c.state.rawValue), stateCode: c.isOverdue(today: today(req)) ? "overdue" : c.state.rawValue,
                            detail: detail, due: c.state == .claimed ? c.dueDate : nil, overdue: c.isOverdue(today: today(req)),
                            evidence: evidence, byFeed: byFeed, needsEvidence: !byFeed && evidence.isEmpty && c.state == .claimed,
                            editable: editable && c.state == .claimed,
                            uploadAction: "/points/applications/\(id)/claims/\(claimID)/evidence", deleteAction: "/points/applications/\(id)/claims/\(claimID)/delete",
                            reviewLink: user.role == .centerAdmin ? "/points/claims/" + claimID : nil, error: claimErrors[claimID])
        }
        let claimedItems = Set(claims.map(\.item))
        let sections: [ItemSection] = editable ? standard.categories.compactMap { category in
            let forms = standard.items.filter { $0.category == category.id && $0.category != "deductions" }.compactMap { item -> ItemForm? in
                if case .veto = item.rule { return nil }
                if case .deduction = item.rule { return nil }
                var options: [SelectOption] = []
                let input: String
                var unit: String?
                switch item.rule {
                case .choice(let choices):
                    input = "select"
                    options = choices.map { SelectOption(value: $0.id, label: "\($0.title)（\($0.points) 分）", selected: itemValues["value"] == $0.id && itemValues["item"] == item.id) }
                case .perUnit(let u, _, _, _, _, _), .tiers(let u, _, _):
                    input = "number"
                    unit = u
                default:
                    input = "flag"
                }
                return ItemForm(id: item.id, title: item.title, input: input, options: options, unit: unit, dated: item.validYears != nil,
                                hint: item.rule.text + (item.validYears.map { "；" + req.text("standard_valid_years", ["years": String($0)]) } ?? "") + "；" + req.text("points_evidence_hint", ["evidence": item.evidence]),
                                department: departments[item.department] ?? item.department, byFeed: item.feed != nil,
                                claimed: claimedItems.contains(item.id), error: itemErrors[item.id],
                                value: itemValues["item"] == item.id ? itemValues["value"] ?? "" : "", date: itemValues["item"] == item.id ? itemValues["date"] ?? "" : "")
            }
            return forms.isEmpty ? nil : ItemSection(title: category.title, items: forms, open: forms.contains { $0.error != nil })
        } : []
        let domainClaims = claims.compactMap { c in standard.item(c.item).flatMap { c.claim(for: $0) } }
        let estimate = PointsArchiveRules.estimate(domainClaims, standard: standard, asOf: today(req))
        let confirmed = PointsArchiveRules.evaluate(domainClaims, standard: standard, asOf: today(req))
        let resident = resident
        let canReview = application.status == .submitted && (user.role == .windowClerk || user.role == .centerAdmin)
        return ApplicationView(
            id: id, number: application.number, year: application.year,
            status: req.text("application_" + application.status.rawValue), statusCode: application.status.rawValue,
            standardTitle: standard.title, name: user.role == .citizen ? resident.name : Mask.name(resident.name), idMasked: resident.idMasked,
            returnReason: application.status == .returned ? application.returnReason : nil, editable: editable,
            claims: rows, sections: sections, addAction: "/points/applications/\(id)/claims", submitAction: "/points/applications/\(id)/submit",
            submitErrors: submitErrors, estimate: estimate.total.description, confirmed: confirmed.total.description,
            total: application.total.map { Points(hundredths: $0).description },
            canReview: canReview, reviewAction: "/points/applications/\(id)/review",
            reviewForm: reviewForm ?? FormState(fields: ["decision", "missing"]), calendarWarning: calendarWarning,
            archiveLink: user.role.isStaff ? "/points/archives/" + (resident.id?.uuidString ?? "") : nil,
            heading: req.text("points_application_heading", ["year": String(application.year), "number": ""]),
            estimateLine: req.text("points_estimate", ["estimate": estimate.total.description, "confirmed": confirmed.total.description]))
    }

    // MARK: the archive, as the citizen and the staff see it

    struct HistoryRow: Encodable { let at: String; let kind: String; let before: String; let after: String; let reason: String; let by: String }

    struct ArchiveView: Encodable {
        let status: String
        let statusCode: String
        let year: Int
        let total: String
        let counts: Bool
        let expiredNote: String?
        let barredNote: String?
        let endedNote: String?
        let result: EstimateController.Result?
        let history: [HistoryRow]
        let yearLabel: String
    }

    static func archiveView(_ archive: PointsArchive, on req: Request) async throws -> ArchiveView {
        let service = PointsService(req)
        try await service.refreshForExpiry(archive)
        let evaluated = try await service.evaluation(of: archive)
        let history = try await PointsHistoryEntry.query(on: req.db).filter(\.$archive.$id == archive.requireID()).sort(\.$at, .descending).limit(50).all()
        let standing = PointsValidity.standing(of: .init(year: archive.year, opens: CivilDate(year: archive.year, month: 1, day: 1)!,
                                                         closes: CivilDate(year: archive.year, month: 12, day: 31)!), on: today(req))
        let expired: Bool = if case .expired = standing { true } else { false }
        let counts = archive.status == .active && !expired
        let user = try req.requireUser()
        return ArchiveView(
            status: req.text("archive_" + archive.status.rawValue), statusCode: expired && archive.status == .active ? "expired" : archive.status.rawValue,
            year: archive.year, total: Points(hundredths: archive.total).description, counts: counts,
            expiredNote: expired && archive.status == .active ? req.text("archive_expired_note", ["year": String(archive.year), "total": Points(hundredths: archive.total).description]) : nil,
            barredNote: archive.status == .cleared ? req.text("archive_barred_note", ["found": archive.fraudFound ?? "", "until": archive.barredUntil.flatMap(CivilDate.init).map(ShanghaiDate.long) ?? ""]) : nil,
            endedNote: archive.status == .ended ? req.text("archive_ended_note", ["reason": archive.endedReason ?? ""]) : nil,
            result: archive.status == .active ? evaluated.map { e in
                // The eight items that could add the most: the whole list is on the self-estimate page.
                let full = EstimateController.result(e.0, standard: e.1, on: req)
                return EstimateController.Result(total: full.total, eligible: full.eligible, vetoes: full.vetoes, categories: full.categories,
                                                 lines: full.lines, addable: Array(full.addable.prefix(8)))
            } : nil,
            history: history.map { h in
                HistoryRow(at: ShanghaiTime.dateTime(h.at), kind: req.text("history_kind_" + h.kind), before: Points(hundredths: h.before).description,
                           after: Points(hundredths: h.after).description, reason: h.reason, by: user.role == .citizen ? req.text("history_by_staff") : h.by)
            },
            yearLabel: req.text("archive_year", ["year": String(archive.year)]))
    }

    // MARK: the citizen's points page

    struct MyContent: Encodable {
        let hasIdentity: Bool
        let residenceLink: String
        let archive: ArchiveView?
        let application: ApplicationView?
        let canOpen: Bool
        let openAction: String
        let refusal: String?
        let year: Int
        let notice: String?
        let estimateLink: String
        let openLabel: String
        let noApplication: String
    }

    static func myContent(_ req: Request, refusal: String? = nil, edit: ((PointsApplication, Resident) async throws -> ApplicationView)? = nil) async throws -> MyContent {
        let user = try req.requireUser()
        let resident = try await Resident.find(user: user.id, on: req.db)
        var archive: ArchiveView?
        var application: ApplicationView?
        var refused = refusal
        if let resident {
            if let a = try await PointsArchive.query(on: req.db).filter(\.$resident.$id == resident.requireID()).first() { archive = try await archiveView(a, on: req) }
            if let current = try await PointsApplication.query(on: req.db).filter(\.$resident.$id == resident.requireID()).filter(\.$year == today(req).year).first() {
                if let edit { application = try await edit(current, resident) } else { application = try await view(current, resident: resident, on: req) }
            } else if refused == nil {
                refused = try await PointsService(req).refusal(for: resident)
            }
        }
        return MyContent(hasIdentity: resident != nil, residenceLink: Paths.myResidence, archive: archive, application: application,
                         canOpen: resident != nil && application == nil && refused == nil, openAction: "/me/points", refusal: refused,
                         year: today(req).year, notice: req.query[String.self, at: "done"].map { req.text("points_done_" + $0) },
                         estimateLink: Paths.estimate, openLabel: req.text("points_open", ["year": String(today(req).year)]),
                         noApplication: req.text("points_no_application", ["year": String(today(req).year)]))
    }

    static func myPoints(_ req: Request) async throws -> Response {
        try await req.render("me-points", title: "points_title", try await myContent(req))
    }

    static func openMine(_ req: Request) async throws -> Response {
        let user = try req.requireUser()
        guard let resident = try await Resident.find(user: user.id, on: req.db) else { return req.redirect(to: Paths.myResidence) }
        switch try await PointsService(req).open(for: resident, jurisdictionID: nil) {
        case .opened: return req.redirect(to: "/me/points")
        case .refused(let why): return try await req.render("me-points", title: "points_title", try await myContent(req, refusal: why), status: .badRequest)
        }
    }

    static func staffPage(_ req: Request) async throws -> Response {
        let (application, resident) = try await load(req)
        let guessed = req.query[String.self, at: "guessed"].map { req.text("calendar_guessed", ["years": $0]) }
        return try await req.render("points-application", title: "points_application_title",
                                    ApplicationPage(application: try await view(application, resident: resident, on: req, calendarWarning: guessed)))
    }

    // MARK: loading with access

    /// The application of the path, if this user may see it: its applicant, or window staff
    /// whose jurisdiction holds it. Anyone else gets 404.
    static func load(_ req: Request) async throws -> (PointsApplication, Resident) {
        let user = try req.requireUser()
        guard let id = req.parameters.get("id", as: UUID.self),
              let application = try await PointsApplication.query(on: req.db).filter(\.$id == id).with(\.$resident).with(\.$jurisdiction).first()
        else { throw Abort(.notFound) }
        switch user.role {
        case .citizen:
            guard application.resident.$user.id == user.id else { throw Abort(.notFound) }
        case .windowClerk, .centerAdmin:
            guard let code = application.jurisdiction.jurisdictionCode else { throw Abort(.notFound) }
            try req.requireScope(code)
        default:
            throw Abort(.notFound)
        }
        return (application, application.resident)
    }

    static func back(_ req: Request, _ application: PointsApplication, done: String? = nil) -> Response {
        let user = req.currentUser
        let base = user?.role == .citizen ? "/me/points" : "/points/applications/" + (application.id?.uuidString ?? "")
        return req.redirect(to: base + (done.map { "?done=" + $0 } ?? ""))
    }

    /// Shows the application again with messages (status 400).
    static func refuse(_ req: Request, _ application: PointsApplication, _ resident: Resident,
                       claimErrors: [String: String] = [:], itemErrors: [String: String] = [:], itemValues: [String: String] = [:],
                       submitErrors: [String] = [], reviewForm: FormState? = nil) async throws -> Response {
        let make: (PointsApplication, Resident) async throws -> ApplicationView = { a, r in
            try await view(a, resident: r, on: req, claimErrors: claimErrors, itemErrors: itemErrors, itemValues: itemValues, submitErrors: submitErrors, reviewForm: reviewForm)
        }
        if req.currentUser?.role == .citizen {
            return try await req.render("me-points", title: "points_title", try await myContent(req, edit: make), status: .badRequest)
        }
        return try await req.render("points-application", title: "points_application_title", ApplicationPage(application: try await make(application, resident)), status: .badRequest)
    }

    // MARK: claims

    struct ClaimForm: Decodable { var item: String?; var value: String?; var date: String? }

    static func addClaim(_ req: Request) async throws -> Response {
        let (application, resident) = try await load(req)
        guard application.isEditable else { throw Abort(.conflict) }
        let input = try req.content.decode(ClaimForm.self)
        let standard = try await PointsService.standard(code: application.standardCode, on: req.db)
        let itemID = input.item ?? ""
        let values = ["item": itemID, "value": input.value ?? "", "date": input.date ?? ""]
        guard let item = standard.item(itemID) else {
            return try await refuse(req, application, resident, submitErrors: [req.text("problem_choose", ["field": req.text("field_item")])])
        }
        let existing = try await application.claims(on: req.db)
        if existing.contains(where: { $0.item == item.id }) {
            return try await refuse(req, application, resident, itemErrors: [item.id: req.text("claim_duplicate", ["item": item.title])], itemValues: values)
        }
        let fact: Fact
        switch ClaimInput.fact(for: item, value: input.value ?? "", date: input.date ?? "", today: today(req)) {
        case .success(let f): fact = f
        case .failure(let problem):
            return try await refuse(req, application, resident, itemErrors: [item.id: message(problem, item: item, on: req)], itemValues: values)
        }
        let claim = PointsClaim()
        claim.createdAt = req.now
        claim.item = item.id
        claim.department = item.department
        claim.value = ClaimInput.text(fact.value)
        claim.factDate = fact.date?.description
        claim.state = .claimed
        claim.$application.id = try application.requireID()
        let actor = req.actor, now = req.now
        try await req.db.transaction { db in
            try await claim.create(on: db)
            try await Audit.record("claim", entity: "pointsClaim", id: application.number + "/" + item.id, after: claim.auditSnapshot, by: actor, at: now, on: db)
        }
        return back(req, application, done: "claim")
    }

    static func message(_ problem: ClaimInput.Problem, item: ScoringStandard.Item, on req: Request) -> String {
        switch problem {
        case .required: req.text("problem_required", ["field": item.title])
        case .unknownOption: req.text("problem_choose", ["field": item.title])
        case .notANumber: req.text("claim_number", ["field": item.title])
        case .dateRequired: req.text("estimate_date_required", ["field": item.title])
        case .badDate: req.text("problem_date", ["field": item.title])
        case .future: req.text("claim_future", ["field": item.title])
        }
    }

    static func claimOf(_ req: Request, _ application: PointsApplication) async throws -> PointsClaim {
        guard let id = req.parameters.get("claim", as: UUID.self), let claim = try await PointsClaim.find(id, on: req.db),
              claim.$application.id == application.id
        else { throw Abort(.notFound) }
        return claim
    }

    static func removeClaim(_ req: Request) async throws -> Response {
        let (application, _) = try await load(req)
        let claim = try await claimOf(req, application)
        guard application.isEditable, claim.state == .claimed else { throw Abort(.conflict) }
        let actor = req.actor, now = req.now
        try await req.db.transaction { db in
            try await EvidenceFile.query(on: db).filter(\.$claim.$id == claim.requireID()).delete()
            try await claim.delete(on: db)
            try await Audit.record("withdrawClaim", entity: "pointsClaim", id: application.number + "/" + claim.item, before: claim.auditSnapshot, by: actor, at: now, on: db)
        }
        return back(req, application, done: "removed")
    }

    // MARK: evidence

    struct EvidenceForm: Vapor.Content { var file: File? }

    static func uploadEvidence(_ req: Request) async throws -> Response {
        let (application, resident) = try await load(req)
        let claim = try await claimOf(req, application)
        guard application.isEditable, claim.state == .claimed else { throw Abort(.conflict) }
        let claimID = try claim.requireID().uuidString
        let file = (try? req.content.decode(EvidenceForm.self))?.file
        let bytes = file.map { Array($0.data.readableBytesView) } ?? []
        let kind: EvidenceKind
        switch EvidenceKind.check(bytes) {
        case .success(let k): kind = k
        case .failure(.empty): return try await refuse(req, application, resident, claimErrors: [claimID: req.text("evidence_empty")])
        case .failure(.tooLarge(let size)):
            return try await refuse(req, application, resident, claimErrors: [claimID: req.text("evidence_too_large", ["size": String(format: "%.1f", Double(size) / 1_048_576)])])
        case .failure(.notAllowed): return try await refuse(req, application, resident, claimErrors: [claimID: req.text("evidence_type")])
        }
        let sha = hex(SHA256.hash(data: Data(bytes)))
        try SealedFiles(req.application, folder: "evidence").store(bytes, sha256: sha)
        let record = EvidenceFile()
        record.createdAt = req.now
        record.sha256 = sha
        record.kind = kind
        record.size = bytes.count
        record.filename = String((file?.filename ?? "evidence").suffix(100))
        record.uploadedBy = req.actor.login
        record.$claim.id = try claim.requireID()
        let actor = req.actor, now = req.now
        try await req.db.transaction { db in
            try await record.create(on: db)
            try await Audit.record("evidence", entity: "pointsClaim", id: application.number + "/" + claim.item,
                                   after: ["sha256": sha, "kind": kind.rawValue, "size": String(bytes.count)], by: actor, at: now, on: db)
        }
        return back(req, application, done: "evidence")
    }

    /// An evidence file, to those who may see the claim it belongs to.
    static func evidence(_ req: Request) async throws -> Response {
        let user = try req.requireUser()
        guard let id = req.parameters.get("id", as: UUID.self), let file = try await EvidenceFile.find(id, on: req.db),
              let claim = try await PointsClaim.find(file.$claim.id, on: req.db),
              let application = try await PointsApplication.query(on: req.db).filter(\.$id == claim.$application.id).with(\.$resident).with(\.$jurisdiction).first()
        else { throw Abort(.notFound) }
        switch user.role {
        case .citizen: guard application.resident.$user.id == user.id else { throw Abort(.notFound) }
        case .departmentReviewer: guard user.departmentCode == claim.department else { throw Abort(.notFound) }
        case .windowClerk, .centerAdmin:
            guard let code = application.jurisdiction.jurisdictionCode else { throw Abort(.notFound) }
            try req.requireScope(code)
        default: throw Abort(.notFound)
        }
        let files = SealedFiles(req.application, folder: "evidence")
        guard let data = try files.read(files.name(sha256: file.sha256)) else { throw Abort(.notFound) }
        if user.role != .citizen { try await req.logAccess(entity: "evidenceFile", id: id.uuidString, field: "evidence") }
        let response = Response(status: .ok, body: .init(data: data))
        response.headers.contentType = HTTPMediaType(type: String(file.kind.mediaType.split(separator: "/")[0]), subType: String(file.kind.mediaType.split(separator: "/")[1]))
        response.headers.replaceOrAdd(name: .contentDisposition, value: "inline; filename=\"evidence.\(file.kind.fileExtension)\"")
        response.headers.replaceOrAdd(name: .cacheControl, value: "private, no-store")
        return response
    }

    // MARK: submission

    static func submit(_ req: Request) async throws -> Response {
        let (application, resident) = try await load(req)
        if application.status == .submitted || application.status == .inReview || application.status == .completed {
            return back(req, application, done: "submitted")   // a second click: nothing more happens
        }
        guard application.isEditable else { throw Abort(.conflict) }
        let standard = try await PointsService.standard(code: application.standardCode, on: req.db)
        let claims = try await application.claims(on: req.db)
        var problems: [String] = []
        if claims.isEmpty { problems.append(req.text("points_no_claims")) }
        let files = try await EvidenceFile.query(on: req.db).filter(\.$claim.$id ~~ claims.compactMap(\.id)).all()
        for claim in claims where claim.state == .claimed {
            guard let item = standard.item(claim.item), item.feed == nil else { continue }
            if !files.contains(where: { $0.$claim.id == claim.id }) { problems.append(req.text("points_missing_evidence", ["item": item.title])) }
        }
        guard problems.isEmpty else { return try await refuse(req, application, resident, submitErrors: problems) }
        try await PointsService(req).submit(application)
        return back(req, application, done: "submitted")
    }
}
