import Crypto
import Fluent
import SQLKit
import JifenCore
import Vapor

/// Points applications on the web: the citizen's points page, the application editor shared by
/// the citizen and the window clerk, the window's first review, evidence files.
enum PointsController {
    static let editors: Access = .roles([.citizen, .windowClerk, .centerAdmin])
    static let window: Access = .roles([.windowClerk, .centerAdmin])

    static func register(_ routes: any RoutesBuilder) {
        routes.get(.myPoints, access: .roles([.citizen]), use: myPoints)
        routes.post(.myPoints, access: .roles([.citizen]), use: openMine)
        routes.get(.pointApplications, access: window, use: PointsStaffController.list)
        routes.post(.pointApplications, access: window, use: PointsStaffController.openForResident)
        routes.get(.pointApplication(":id"), access: window, use: staffPage)
        routes.get(.pointApplicationReceipt(":id"), access: editors, use: receipt)
        routes.post(.pointApplicationClaims(":id"), access: editors, use: addClaim)
        routes.post(.pointClaimDelete(":id", ":claim"), access: editors, use: removeClaim)
        routes.on(.POST, .pointClaimEvidence(":id", ":claim"), access: editors, body: .collect(maxSize: "24mb"), use: uploadEvidence)
        routes.post(.pointApplicationSubmit(":id"), access: editors, use: submit)
        routes.post(.pointApplicationReview(":id"), access: window, use: PointsStaffController.firstReview)
        routes.get(.evidence(":id"), access: .roles([.citizen, .windowClerk, .centerAdmin, .departmentReviewer]), use: evidence)
    }

    static func today(_ req: Request) -> CivilDate { ShanghaiDate.today(req.now) }

    // MARK: page contexts

    struct EvidenceLink: Encodable { let href: String; let label: String }

    struct ClaimRow: Encodable {
        let id, title, department, value: String
        let date: String?
        let state, stateCode: String
        let detail, due: String?
        let overdue: Bool
        let evidence: [EvidenceLink]
        let byFeed, needsEvidence, editable: Bool
        let uploadAction, deleteAction: String
        let reviewLink, error: String?
    }

    struct ItemForm: Encodable {
        let id, title, input: String
        let options: [SelectOption]
        let unit: String?
        let dated: Bool
        let hint, department: String
        let byFeed, claimed: Bool
        let error: String?
        let value, date: String
    }

    struct ItemSection: Encodable { let title: String; let items: [ItemForm]; let open: Bool }

    struct TownItem: Encodable { let id, title, label: String }

    struct ApplicationView: Encodable {
        let id, number: String
        let year: Int
        let status, statusCode, standardTitle, name, idMasked: String
        let returnReason: String?
        let editable: Bool
        let claims: [ClaimRow]
        let sections: [ItemSection]
        let addAction, submitAction: String
        let submitErrors: [String]
        let total: String?
        let canReview: Bool
        /// Items the town's window confirms itself (积分核定), each with a box to send it for re-review.
        let townItems: [TownItem]
        let reviewAction: String
        let reviewForm: FormState
        let calendarWarning, archiveLink: String?
        let heading: String
        /// Before the application has a total: what it would score, and what is confirmed so far.
        let estimateLine: String?
        /// The receipt of its last step (submission, acceptance, return), once submitted.
        let receiptLink: String?
        /// Completed, with the archive above it on the citizen's page explaining what each item
        /// scores: only the items review confirmed otherwise than claimed (corrected, rejected) are
        /// listed, with why; this says so (what was claimed and handed in is on the receipt).
        let claimsNote: String?
        /// Whether `total`, `receiptLink` and `claimsNote` are there (the template tests them).
        let hasTotal, hasReceipt, hasClaimsNote: Bool
    }

    struct ApplicationPage: Encodable { let application: ApplicationView }

    static func departmentNames(_ db: any Database) async throws -> [String: String] {
        Dictionary(try await PlainRow.all("SELECT code, name FROM \(unsafeRaw: Department.schema)", on: db).map { (try $0.string("code"), try $0.string("name")) },
                   uniquingKeysWith: { a, _ in a })
    }

    static func view(_ application: PointsApplication, resident: Resident, on req: Request,
                     claimErrors: [String: String] = [:], itemErrors: [String: String] = [:], itemValues: [String: String] = [:],
                     submitErrors: [String] = [], reviewForm: FormState? = nil, calendarWarning: String? = nil,
                     claims known: [PointsClaim]? = nil, published: [(StandardVersion, ScoringStandard)]? = nil,
                     claimsInArchive: Bool = false) async throws -> ApplicationView {
        let user = try req.requireUser()
        let code = application.standardCode
        let standard = try await PointsService.standard(code: code, among: published, on: req.db)
        let claims = if let known { known } else { try await application.claims(on: req.db) }
        let id = try application.requireID().uuidString
        let editable = application.isEditable && (user.role == .citizen || user.role == .windowClerk)
        let canReview = application.status == .submitted && (user.role == .windowClerk || user.role == .centerAdmin)
        // A completed application's items are explained by the archive: listed are those confirmed otherwise than claimed.
        let inArchive = claimsInArchive && application.status == .completed
        let listed = inArchive ? claims.filter { [.corrected, .rejected].contains($0.state) } : claims
        let claimIDs = listed.compactMap(\.id)
        let files = claimIDs.isEmpty ? [] : try await PlainModels.all(EvidenceFile.self, """
            SELECT * FROM \(unsafeRaw: EvidenceFile.schema) WHERE claim_id IN (\(binds: claimIDs)) ORDER BY created_at
            """, on: req.db)
        let departments = listed.isEmpty && !editable && !canReview ? [:] : try await departmentNames(req.db)
        let rows = listed.map { c -> ClaimRow in
            let item = standard.item(c.item)
            let value = item.flatMap { i in ClaimInput.value(c.value, for: i).map { ClaimInput.display($0, for: i) } } ?? c.value
            var detail: String?
            switch c.state {
            case .claimed: detail = nil
            case .verified: detail = c.verifier?.hasPrefix("feed:") == true
                ? req.text("claim_by_feed", ["feed": req.text("feed_" + (c.verifier ?? "").dropFirst(5)), "asOf": c.feedAsOf?.description ?? ""])
                : c.verifier?.hasPrefix("town:") == true ? req.text("claim_by_town")
                : req.text("claim_by_department", ["department": departments[c.department] ?? c.department])
            case .corrected:
                let confirmed = item.flatMap { i in c.confirmedValue.flatMap { ClaimInput.value($0, for: i) }.map { ClaimInput.display($0, for: i) } } ?? ""
                detail = req.text("claim_corrected_to", ["value": confirmed]) + (c.verifier?.hasPrefix("feed:") == true
                    ? "（" + req.text("claim_by_feed", ["feed": req.text("feed_" + (c.verifier ?? "").dropFirst(5)), "asOf": c.feedAsOf?.description ?? ""]) + "）"
                    : (c.reason.map { "（" + $0 + "）" } ?? ""))
            case .rejected: detail = c.reason
            }
            let claimID = c.id?.uuidString ?? ""
            let byFeed = item?.feed != nil
            let evidence = files.filter { $0.$claim.id == c.id }.enumerated().map { n, f in
                EvidenceLink(href: SiteRoute.evidence(f.id?.uuidString ?? "").path, label: req.text("evidence_file", ["n": String(n + 1), "kind": f.kind.rawValue.uppercased()]))
            }
            return ClaimRow(id: claimID, title: item?.title ?? c.item, department: departments[c.department] ?? c.department, value: value, date: c.factDate?.description,
                            state: req.text("claim_" + c.state.rawValue), stateCode: c.isOverdue(today: today(req)) ? "overdue" : c.state.rawValue,
                            detail: detail, due: c.state == .claimed ? c.dueDate?.description : nil, overdue: c.isOverdue(today: today(req)),
                            evidence: evidence, byFeed: byFeed, needsEvidence: !byFeed && evidence.isEmpty && c.state == .claimed,
                            editable: editable && c.state == .claimed,
                            uploadAction: SiteRoute.pointClaimEvidence(id, claimID).path, deleteAction: SiteRoute.pointClaimDelete(id, claimID).path,
                            reviewLink: user.role == .centerAdmin ? SiteRoute.pointClaim(claimID).path : nil, error: claimErrors[claimID])
        }
        let claimedItems = Set(claims.map(\.item))
        let sections: [ItemSection] = editable ? standard.categories.compactMap { category in
            let forms = standard.items.filter { $0.category == category.id && $0.category != "deductions" }.compactMap { item -> ItemForm? in
                if case .veto = item.rule { return nil }
                if case .deduction = item.rule { return nil }
                let ask = ItemInput(item, selected: itemValues["item"] == item.id ? itemValues["value"] : nil, on: req)
                return ItemForm(id: item.id, title: item.title, input: ask.input, options: ask.options, unit: ask.unit, dated: item.validYears != nil,
                                hint: ask.hint + "；" + req.text("points_evidence_hint", ["evidence": item.evidence]),
                                department: departments[item.department] ?? item.department, byFeed: item.feed != nil,
                                claimed: claimedItems.contains(item.id), error: itemErrors[item.id],
                                value: itemValues["item"] == item.id ? itemValues["value"] ?? "" : "", date: itemValues["item"] == item.id ? itemValues["date"] ?? "" : "")
            }
            return forms.isEmpty ? nil : ItemSection(title: category.title, items: forms, open: forms.contains { $0.error != nil })
        } : []
        // Shown until the application has its total (from then on, its total and the archive).
        let estimateLine: String? = application.total == nil ? {
            let domainClaims = claims.compactMap { c in standard.item(c.item).flatMap { c.claim(for: $0) } }
            let estimate = PointsArchiveRules.estimate(domainClaims, standard: standard, asOf: today(req))
            let confirmed = PointsArchiveRules.evaluate(domainClaims, standard: standard, asOf: today(req))
            return req.text("points_estimate", ["estimate": estimate.total.description, "confirmed": confirmed.total.description])
        }() : nil
        let resident = resident
        let total = application.total.map { Points(hundredths: $0).description }
        let receiptLink = [.draft, .void].contains(application.status) ? nil : SiteRoute.pointApplicationReceipt(id).path
        let claimsNote = inArchive ? req.text(listed.isEmpty ? "points_claims_in_archive" : "points_claims_in_archive_changed") : nil
        return ApplicationView(
            id: id, number: application.number, year: application.year,
            status: req.text("application_" + application.status.rawValue), statusCode: application.status.rawValue,
            standardTitle: standard.title, name: user.role == .citizen ? resident.name : Mask.name(resident.name), idMasked: resident.idMasked,
            returnReason: application.status == .returned ? application.returnReason : nil, editable: editable,
            claims: rows, sections: sections, addAction: SiteRoute.pointApplicationClaims(id).path, submitAction: SiteRoute.pointApplicationSubmit(id).path,
            submitErrors: submitErrors,
            total: total,
            canReview: canReview,
            townItems: canReview ? claims.filter { c in c.state == .claimed && standard.item(c.item).map { $0.confirmedBy == .town && $0.feed == nil } ?? false }.map { c in
                TownItem(id: c.id?.uuidString ?? "", title: standard.item(c.item)?.title ?? c.item,
                         label: req.text("points_dispute", ["department": departments[c.department] ?? c.department]))
            } : [],
            reviewAction: SiteRoute.pointApplicationReview(id).path,
            reviewForm: reviewForm ?? FormState(fields: ["decision", "missing"]), calendarWarning: calendarWarning,
            archiveLink: user.role.isStaff ? SiteRoute.pointArchive(resident.id?.uuidString ?? "").path : nil,
            heading: req.text("points_application_heading", ["year": String(application.year), "number": ""]),
            estimateLine: estimateLine,
            receiptLink: receiptLink, claimsNote: claimsNote,
            hasTotal: total != nil, hasReceipt: receiptLink != nil, hasClaimsNote: claimsNote != nil)
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
        let base = user?.role == .citizen ? SiteRoute.myPoints.path : SiteRoute.pointApplication(application.id?.uuidString ?? "").path
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
            return try await req.render("points/me-points", title: "points_title", try await myContent(req, edit: make), status: .badRequest)
        }
        return try await req.render("points/points-application", title: "points_application_title", ApplicationPage(application: try await make(application, resident)), status: .badRequest)
    }

}
