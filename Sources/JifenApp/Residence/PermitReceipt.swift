import Fluent
import JifenCore
import Vapor

extension StaffResidenceController {
    /// `GET /permits/:id/receipt`: the receipt of a residence permit application, for its holder
    /// and for the window that holds it — on submission (the window's review by
    /// `JIFEN_WINDOW_DAYS`), on acceptance and in production (the permit ready by
    /// `JIFEN_PERMIT_PRODUCTION_DAYS` working days), ready for collection, issued, or refused
    /// with the reason.
    static func permitReceipt(_ req: Request) async throws -> Response {
        let user = try req.requireUser()
        let permit: ResidencePermit
        if user.role == .citizen {
            guard let id = req.parameters.get("id", as: UUID.self),
                  let found = try await ResidencePermit.query(on: req.db).filter(\.$id == id).with(\.$resident).with(\.$jurisdiction).first(),
                  found.resident.$user.id == user.id
            else { throw Abort(.notFound) }
            permit = found
        } else {
            permit = try await findPermit(req)
            try await permit.$resident.load(on: req.db)
        }
        try await permit.$steps.load(on: req.db)
        let resident = permit.resident
        // The day of the step the permit is at (a later endorsement is not that day).
        let day = permit.orderedSteps.last { $0.step.rawValue == permit.status.rawValue }?.day ?? ShanghaiDate.today(permit.createdAt)
        let calendar = try await req.workingCalendar()
        let config = req.application.jifenConfig
        let kind = permit.status.rawValue
        let due: CivilDate? = switch permit.status {
        case .submitted: calendar.adding(workingDays: config.windowWorkingDays, to: day).date
        case .inProduction: permit.productionDue
        // Production is counted from the day it starts, so an accepted permit states the period, not a date.
        case .accepted, .ready, .issued, .rejected: nil
        }
        let town = permit.jurisdiction.jurisdictionCode.flatMap { code in sequence(first: code, next: { $0.parent }).first { $0.level == .town } }
        var office = permit.jurisdiction.name
        if let town, let found = try await Jurisdiction.find(code: town.rawValue, on: req.db) { office = found.name }
        let follow = config.publicURL + SiteRoute.myResidence.path
        let content = Receipt(
            heading: req.text("receipt_permit_" + kind),
            what: req.text("receipt_permit_" + kind + "_what", ["days": String(config.windowWorkingDays), "production": String(config.permitProductionDays),
                                                                "until": permit.validUntil?.description ?? ""]),
            number: permit.number, date: day.description,
            applicant: user.role == .citizen ? resident.name : Mask.name(resident.name), idMasked: resident.idMasked,
            office: req.text("receipt_office", ["town": office]),
            received: [Receipt.Line(item: req.text("receipt_permit_basis"), value: req.text("basis_" + permit.basis), materials: permit.evidence)],
            missingHeading: req.text(permit.status == .rejected ? "receipt_permit_reason" : "receipt_missing"),
            missing: permit.status == .rejected ? [permit.reason ?? ""].filter { !$0.isEmpty } : [],
            due: due?.description, dueLabel: due == nil ? nil : req.text("receipt_due_permit_" + kind),
            calendarWarning: due.flatMap { calendar.knows($0.year) ? nil : req.text("calendar_guessed", ["years": String($0.year)]) },
            followURL: follow, qr: (try? QRCode.encode(follow, correction: .medium).svg(moduleSize: 3)) ?? "",
            backLink: user.role == .citizen ? SiteRoute.myResidence.path : SiteRoute.permits.path)
        return try await req.render("shared/receipt", title: "receipt_title", content)
    }
}
