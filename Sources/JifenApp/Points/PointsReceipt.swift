import Fluent
import JifenCore
import Vapor

/// The receipt (受理回执) of a points application, printable on A4: when the citizen submits it
/// online, when the window accepts it, when the window returns it. It says once everything the
/// applicant needs to know (一次性告知): the number, the date, the items and the materials
/// received, everything still missing, the next due date on the holiday calendar, where to follow
/// it (a QR code to his points page) and the office.
struct Receipt: Encodable {
    struct Line: Encodable { let item, value, materials: String }

    let heading, what: String
    let number, date, applicant, idMasked: String
    let office: String
    let received: [Line]
    let missingHeading: String
    let missing: [String]
    let due: String?
    let dueLabel: String?
    /// The due date was counted through a year the holiday calendar does not have yet.
    let calendarWarning: String?
    let followURL, qr: String
    let backLink: String
}

extension PointsController {
    /// `GET /points/applications/:id/receipt`: for the applicant and for the window that holds it;
    /// a draft has none.
    static func receipt(_ req: Request) async throws -> Response {
        let (application, resident) = try await load(req)
        let user = try req.requireUser()
        let kind: String, at: Date
        switch application.status {
        case .draft, .void: throw Abort(.notFound)
        case .submitted: kind = "submitted"; at = application.submittedAt ?? application.updatedAt
        case .returned: kind = "returned"; at = application.reviewedAt ?? application.updatedAt
        case .inReview: kind = "accepted"; at = application.reviewedAt ?? application.updatedAt
        case .completed: kind = "completed"; at = application.completedAt ?? application.updatedAt
        }
        let standard = try await PointsService.standard(code: application.standardCode, on: req.db)
        let claims = try await application.claims(on: req.db)
        let files = try await EvidenceFile.query(on: req.db).filter(\.$claim.$id ~~ claims.compactMap(\.id)).all()
        let calendar = try await req.workingCalendar()
        let day = ShanghaiDate.today(at)

        let received = claims.map { c -> Receipt.Line in
            let item = standard.item(c.item)
            let value = item.flatMap { i in ClaimInput.value(c.value, for: i).map { ClaimInput.display($0, for: i) } } ?? c.value
            let mine = files.filter { $0.$claim.id == c.id }
            let materials = item?.feed != nil ? req.text("receipt_by_feed")
                : mine.isEmpty ? req.text("receipt_no_material")
                : req.text("receipt_materials", ["n": String(mine.count), "kinds": Set(mine.map { $0.kind.rawValue.uppercased() }).sorted().joined(separator: "、")])
            return Receipt.Line(item: item?.title ?? c.item, value: value + (c.factDate.map { "（\($0)）" } ?? ""), materials: materials)
        }
        // Told once: what the window wrote when it returned it, and every item still without its material.
        // (Only while it is the applicant's to complete: once accepted, nothing is asked of him.)
        var missing: [String] = []
        if application.status == .returned, let reason = application.returnReason, !reason.isEmpty { missing.append(reason) }
        for c in claims where c.state == .claimed && [.submitted, .returned].contains(application.status) {
            guard let item = standard.item(c.item), item.feed == nil, !files.contains(where: { $0.$claim.id == c.id }) else { continue }
            missing.append(req.text("receipt_missing_item", ["item": item.title, "evidence": item.evidence]))
        }
        let window = req.application.jifenConfig.windowWorkingDays
        let due: CivilDate? = switch application.status {
        case .submitted, .returned: calendar.adding(workingDays: window, to: day).date
        case .inReview: claims.filter { $0.state == .claimed }.compactMap(\.dueDate).max()
        default: nil
        }
        let town = application.jurisdiction.jurisdictionCode.flatMap { code in
            sequence(first: code, next: { $0.parent }).first { $0.level == .town }
        }
        var office = application.jurisdiction.name
        if let town, let found = try await Jurisdiction.find(code: town.rawValue, on: req.db) { office = found.name }
        let follow = req.application.jifenConfig.publicURL + SiteRoute.myPoints.path
        let content = Receipt(
            heading: req.text("receipt_points_" + kind), what: req.text("receipt_points_" + kind + "_what", ["days": String(window)]),
            number: application.number, date: ShanghaiTime.dateTime(at),
            applicant: user.role == .citizen ? resident.name : Mask.name(resident.name), idMasked: resident.idMasked,
            office: req.text("receipt_office", ["town": office]),
            received: received, missingHeading: req.text("receipt_missing"), missing: missing,
            due: due?.description, dueLabel: due == nil ? nil : req.text("receipt_due_" + kind),
            calendarWarning: due.flatMap { calendar.knows($0.year) ? nil : req.text("calendar_guessed", ["years": String($0.year)]) },
            followURL: follow, qr: (try? QRCode.encode(follow, correction: .medium).svg(moduleSize: 3)) ?? "",
            backLink: user.role == .citizen ? SiteRoute.myPoints.path : SiteRoute.pointApplication(application.id?.uuidString ?? "").path)
        return try await req.render("shared/receipt", title: "receipt_title", content)
    }
}
