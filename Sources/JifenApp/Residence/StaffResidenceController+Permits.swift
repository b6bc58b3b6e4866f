import Fluent
import JifenCore
import Vapor

/// Permit processing by the window.
extension StaffResidenceController {
    // MARK: permits

    struct PermitRow: Encodable {
        let id, number, name, idMasked, basis, evidence, status, statusCode: String
        let next, productionDue: String?
        let advanceAction, rejectAction, receiptLink: String
        let canReject: Bool
        /// Collected or posted; for a posted permit about to go out, the tracking number is asked.
        let delivery: String
        let postalAddress, trackingNumber: String?
        let needsTracking: Bool
    }

    struct PermitsContent: Encodable {
        let rows: [PermitRow]
        let pager: Pager
        let form: FormState
        let failedID, calendarWarning: String?
        let errorList: [String]
    }

    static func permits(_ req: Request) async throws -> Response {
        try await permitsPage(req, form: FormState(fields: ["reason"]), failedID: nil, warning: req.query[String.self, at: "guessed"].map { req.text("calendar_guessed", ["years": $0]) }, status: .ok)
    }

    static func permitsPage(_ req: Request, form: FormState, failedID: String?, warning: String?, status: HTTPStatus) async throws -> Response {
        let scope = try await scopeIDs(req)
        func base() -> QueryBuilder<ResidencePermit> { ResidencePermit.query(on: req.db).filter(\.$jurisdiction.$id ~~ scope) }
        let paging = Paging(page: req.query[Int.self, at: "page"], perPage: 30, total: try await base().count())
        let permits = try await base().with(\.$resident).sort(\.$createdAt, .descending).range(paging.offset..<(paging.offset + paging.perPage)).all()
        let rows = permits.map { p in
            PermitRow(id: p.id?.uuidString ?? "", number: p.number, name: p.resident.name, idMasked: p.resident.idMasked,
                      basis: req.text("basis_" + p.basis), evidence: p.evidence, status: req.text("permit_" + p.status.rawValue), statusCode: p.status.rawValue,
                      next: p.next.map { req.text("permit_action_" + $0.rawValue) }, productionDue: p.productionDue?.description,
                      advanceAction: SiteRoute.permitAdvance(p.id?.uuidString ?? "").path, rejectAction: SiteRoute.permitReject(p.id?.uuidString ?? "").path,
                      receiptLink: SiteRoute.permitReceipt(p.id?.uuidString ?? "").path,
                      canReject: p.status == .submitted || p.status == .accepted,
                      delivery: req.text(p.byPost ? "delivery_post" : "delivery_collect"), postalAddress: p.postalAddress, trackingNumber: p.trackingNumber,
                      needsTracking: p.byPost && p.next == .ready)
        }
        return try await req.render("residence/permits", title: "permits_title",
                                    PermitsContent(rows: rows, pager: Pager(paging) { SiteRoute.permits.path + "?page=\($0)" }, form: form, failedID: failedID, calendarWarning: warning,
                                                   errorList: form.errors.keys.sorted().compactMap { form.errors[$0] }),
                                    status: status)
    }

    static func findPermit(_ req: Request) async throws -> ResidencePermit {
        try await req.recordInScope(ResidencePermit.self, \.$jurisdiction)
    }

    static func advance(_ req: Request) async throws -> Response {
        let permit = try await findPermit(req)
        guard let next = permit.next else { throw Abort(.conflict) }
        let before = ["status": permit.status.rawValue]
        // A permit sent by post leaves with the courier's tracking number.
        let tracking = ((try? req.content.get(String.self, at: "tracking")) ?? "").trimmingCharacters(in: .whitespaces)
        if permit.byPost && next == .ready {
            var form = FormState(fields: ["tracking"], values: ["tracking": tracking])
            if tracking.isEmpty { form.fail("tracking", req.text("problem_required", ["field": req.text("field_tracking")])) }
            else if tracking.count > 30 || !tracking.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber) }) { form.fail("tracking", req.text("permit_tracking_format")) }
            guard form.isValid else { return try await permitsPage(req, form: form, failedID: permit.id?.uuidString, warning: nil, status: .badRequest) }
            permit.trackingNumber = tracking
        }
        if next == .issued && permit.verificationToken == nil { permit.verificationToken = req.effects.randomBytes(16).map { String(format: "%02x", $0) }.joined() }
        var guessed: [Int] = []
        if next == .inProduction {
            let due = try await req.workingCalendar().adding(workingDays: req.application.jifenConfig.permitProductionDays, to: today(req))
            permit.productionDue = due.date
            guessed = due.guessedYears
        }
        if next == .issued { permit.validUntil = today(req).adding(years: 1).adding(days: -1) }
        let actor = req.actor, now = req.now, day = today(req)
        try await req.db.transaction { db in
            try await permit.record(next, on: day, in: db)
            var after = ["status": permit.status.rawValue]
            if let due = permit.productionDue { after["productionDue"] = due.description }
            if next == .ready, let tracking = permit.trackingNumber { after["tracking"] = tracking }
            try await Audit.record("advance", entity: "residencePermit", id: permit.number, before: before, after: after, by: actor, at: now, on: db)
            if next == .ready, permit.byPost, let tracking = permit.trackingNumber {
                let resident = try await permit.$resident.get(on: db)
                try await PointsService(app: req.application, db: db, now: now, actor: actor, logger: req.logger).notify(resident, kind: "permitPosted",
                    req.application.catalog.text("sms_permit_posted", .zh, ["number": permit.number, "tracking": tracking]))
            }
        }
        return req.redirect(to: SiteRoute.permits.path + (guessed.isEmpty ? "" : "?guessed=" + guessed.map(String.init).joined(separator: ",")))
    }

    static func reject(_ req: Request) async throws -> Response {
        let permit = try await findPermit(req)
        let reason = ((try? req.content.get(String.self, at: "reason")) ?? "").trimmingCharacters(in: .whitespaces)
        var form = FormState(fields: ["reason"], values: ["reason": reason])
        if reason.isEmpty { form.fail("reason", req.text("problem_required", ["field": req.text("field_reason")])) }
        if !(permit.status == .submitted || permit.status == .accepted) { form.fail("reason", req.text("permit_cannot_reject")) }
        guard form.isValid else { return try await permitsPage(req, form: form, failedID: permit.id?.uuidString, warning: nil, status: .badRequest) }
        let before = ["status": permit.status.rawValue]
        permit.reason = reason
        let actor = req.actor, now = req.now, day = today(req)
        try await req.db.transaction { db in
            try await permit.record(.rejected, on: day, in: db)
            try await Audit.record("reject", entity: "residencePermit", id: permit.number, before: before, after: ["status": "rejected", "reason": reason], by: actor, at: now, on: db)
        }
        return req.redirect(to: SiteRoute.permits.path)
    }
}
