import Fluent
import JifenCore
import Vapor

/// The staff side of points: the window's list and first review, the departments' queues and
/// decisions, the centre's archive page with fraud and the end of an archive.
enum PointsStaffController {
    static let reviewers: Access = .roles([.departmentReviewer, .centerAdmin])

    static func register(_ routes: any RoutesBuilder) {
        routes.get(.pointsReview, access: reviewers, use: queue)
        routes.get(.pointClaim(":id"), access: reviewers, use: claimPage)
        routes.post(.pointClaimDecision(":id"), access: .roles([.departmentReviewer]), use: decide)
        routes.get(.pointArchive(":resident"), access: PointsController.window, use: archive)
        routes.post(.pointArchiveFraud(":resident"), access: .roles([.centerAdmin]), use: fraud)
        routes.post(.pointArchiveEnd(":resident"), access: .roles([.centerAdmin]), use: end)
    }

    static func today(_ req: Request) -> CivilDate { ShanghaiDate.today(req.now) }

    // MARK: the window's list

    struct Row: Encodable {
        let href, number, name, idMasked, status, statusCode: String
        let submitted: String?
        let place: String
    }

    struct ListContent: Encodable {
        let rows: [Row]
        let pager: Pager
        let filters: [NavItem]
        let openForm: FormState
        let openAction: String
        let refusal: String?
    }

    static let listFilters: [PointsApplication.Status] = [.submitted, .returned, .inReview, .completed, .draft]

    static func list(_ req: Request) async throws -> Response {
        try await listPage(req, form: FormState(fields: ["idNumber"]), refusal: nil, status: .ok)
    }

    static func listPage(_ req: Request, form: FormState, refusal: String?, status httpStatus: HTTPStatus) async throws -> Response {
        let scope = try await StaffResidenceController.scopeIDs(req)
        let status = req.query[String.self, at: "status"].flatMap(PointsApplication.Status.init(rawValue:)) ?? .submitted
        func base() -> QueryBuilder<PointsApplication> {
            PointsApplication.query(on: req.db).filter(\.$jurisdiction.$id ~~ scope).filter(\.$status == status)
        }
        let paging = Paging(page: req.query[Int.self, at: "page"], perPage: 30, total: try await base().count())
        let rows = try await base().with(\.$resident).with(\.$jurisdiction).sort(\.$submittedAt).sort(\.$createdAt)
            .range(paging.offset..<(paging.offset + paging.perPage)).all()
        let content = ListContent(
            rows: rows.map { a in
                Row(href: SiteRoute.pointApplication(a.id?.uuidString ?? "").path, number: a.number, name: Mask.name(a.resident.name), idMasked: a.resident.idMasked,
                    status: req.text("application_" + a.status.rawValue), statusCode: a.status.rawValue,
                    submitted: a.submittedAt.map(ShanghaiTime.dateTime), place: a.jurisdiction.name)
            },
            pager: Pager(paging) { SiteRoute.pointApplications.path + "?status=\(status.rawValue)&page=\($0)" },
            filters: listFilters.map { NavItem(label: req.text("application_" + $0.rawValue), href: SiteRoute.pointApplications.path + "?status=" + $0.rawValue, current: $0 == status) },
            openForm: form, openAction: SiteRoute.pointApplications.path, refusal: refusal)
        return try await req.render("points/points-applications", title: "points_applications_title", content, status: httpStatus)
    }

    /// At the counter: the clerk finds the person by the ID number on his card (access-logged)
    /// and opens (or finds) his application for this year.
    static func openForResident(_ req: Request) async throws -> Response {
        var form = FormState(fields: ["idNumber"])
        guard let number = req.validateIDNumber(try? req.content.get(String.self, at: "idNumber"), into: &form)?.value else {
            return try await listPage(req, form: form, refusal: nil, status: .badRequest)
        }
        let resident = try await Resident.find(idNumber: number, data: req.application.personalData, on: req.db)
        try await req.logAccess(entity: "resident", id: resident?.id?.uuidString ?? "(none)", field: "idNumberLookup")
        let scope = try await StaffResidenceController.scopeIDs(req)
        guard let resident, let residentID = resident.id,
              try await ResidenceRegistration.query(on: req.db).filter(\.$resident.$id == residentID).filter(\.$jurisdiction.$id ~~ scope).count() > 0
        else {
            form.fail("idNumber", req.text("lookup_not_found"))
            return try await listPage(req, form: form, refusal: nil, status: .notFound)
        }
        // The clerk has the person and his card before him: an account that only typed the number loses it.
        try await RealName.detachUnconfirmed(resident, reason: "window", on: req.db, req: req)
        switch try await PointsService(req).open(for: resident, jurisdictionID: nil) {
        case .opened(let application):
            // Only an application of the clerk's own jurisdiction opens here.
            guard scope.contains(application.$jurisdiction.id) else {
                form.fail("idNumber", req.text("lookup_not_found"))
                return try await listPage(req, form: form, refusal: nil, status: .notFound)
            }
            return req.redirect(to: SiteRoute.pointApplication(application.id?.uuidString ?? "").path)
        case .refused(let why):
            return try await listPage(req, form: form, refusal: PointsService.words(why, req.application.catalog, req.language), status: .badRequest)
        }
    }

    struct ReviewForm: Decodable { var decision: String?; var missing: String? }

    /// 初审: the window accepts the application or returns it with what is missing.
    static func firstReview(_ req: Request) async throws -> Response {
        let (application, resident) = try await PointsController.load(req)
        guard application.status == .submitted else { return PointsController.back(req, application) }
        let input = try req.content.decode(ReviewForm.self)
        let missing = (input.missing ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
        var form = FormState(fields: ["decision", "missing"], values: ["decision": input.decision ?? "", "missing": missing])
        switch input.decision {
        case "accept":
            // Town-confirmed items the clerk disputes (dispute_CLAIMID=on) go to their department.
            let fields = (try? req.content.decode([String: String].self)) ?? [:]
            let disputed = Set(fields.filter { $0.key.hasPrefix("dispute_") && ($0.value == "on" || $0.value == "true") }
                .compactMap { UUID(uuidString: String($0.key.dropFirst("dispute_".count))) })
            let guessed = try await PointsService(req).accept(application, disputed: disputed)
            return req.redirect(to: SiteRoute.pointApplication(application.id?.uuidString ?? "").path + (guessed.isEmpty ? "" : "?guessed=" + guessed.map(String.init).joined(separator: ",")))
        case "return":
            form.requireText("missing", label: "field_missing", max: 500, on: req)
            guard form.isValid else { return try await PointsController.refuse(req, application, resident, reviewForm: form) }
            try await PointsService(req).returnApplication(application, missing: missing)
            return PointsController.back(req, application)
        default:
            form.fail("decision", req.text("problem_choose", ["field": req.text("field_decision")]))
            return try await PointsController.refuse(req, application, resident, reviewForm: form)
        }
    }

    // MARK: the departments' queues

    struct QueueRow: Encodable {
        let href, number, item, department, value: String
        let due: String?
        let overdue: Bool
        let state, stateCode: String
    }

    struct DepartmentLoad: Encodable { let department: String; let waiting: Int; let overdue: Int }

    struct QueueContent: Encodable {
        let rows: [QueueRow]
        let pager: Pager
        let filters: [NavItem]
        let department: String?
        let loads: [DepartmentLoad]
        let isCenter: Bool
    }

    static func queue(_ req: Request) async throws -> Response {
        let user = try req.requireUser()
        let filter = req.query[String.self, at: "show"] ?? "waiting"
        let today = today(req)
        func base() -> QueryBuilder<PointsClaim> {
            let q = PointsClaim.query(on: req.db).join(PointsApplication.self, on: \PointsClaim.$application.$id == \PointsApplication.$id)
            if user.role == .departmentReviewer { q.filter(\.$department == (user.departmentCode ?? "-")) }
            switch filter {
            case "overdue": q.filter(\.$state == .claimed).filter(PointsApplication.self, \.$status == .inReview).filter(\.$dueDate < today)
            case "done": q.filter(\.$state != .claimed).filter(\.$decidedBy !~ "feed:")
            default: q.filter(\.$state == .claimed).filter(PointsApplication.self, \.$status == .inReview)
            }
            return q
        }
        let paging = Paging(page: req.query[Int.self, at: "page"], perPage: 30, total: try await base().count())
        let claims = try await base().sort(\.$dueDate).sort(\.$createdAt).range(paging.offset..<(paging.offset + paging.perPage)).all()
        let applications = Dictionary(uniqueKeysWithValues: try await PointsApplication.query(on: req.db).filter(\.$id ~~ claims.map(\.$application.id)).all().map { ($0.id!, $0) })
        let departments = try await PointsController.departmentNames(req.db)
        var standards: [String: ScoringStandard] = [:]
        for code in Set(applications.values.map(\.standardCode)) { standards[code] = try await PointsService.standard(code: code, on: req.db) }
        var loads: [DepartmentLoad] = []
        if user.role == .centerAdmin {
            // The centre sees every department's load, the overdue ones first.
            let waiting = try await PointsClaim.query(on: req.db).join(PointsApplication.self, on: \PointsClaim.$application.$id == \PointsApplication.$id)
                .filter(\.$state == .claimed).filter(PointsApplication.self, \.$status == .inReview).all()
            let grouped = Dictionary(grouping: waiting, by: \.department)
            loads = grouped.map { code, list in
                DepartmentLoad(department: departments[code] ?? code, waiting: list.count, overdue: list.filter { $0.isOverdue(today: self.today(req)) }.count)
            }.sorted { ($0.overdue, $0.waiting, $0.department) > ($1.overdue, $1.waiting, $1.department) }
        }
        let rows = claims.map { c -> QueueRow in
            let application = applications[c.$application.id]
            let item = application.flatMap { standards[$0.standardCode]?.item(c.item) }
            return QueueRow(href: SiteRoute.pointClaim(c.id?.uuidString ?? "").path, number: application?.number ?? "", item: item?.title ?? c.item,
                            department: departments[c.department] ?? c.department,
                            value: item.flatMap { i in ClaimInput.value(c.value, for: i).map { ClaimInput.display($0, for: i) } } ?? c.value,
                            due: c.dueDate?.description, overdue: c.isOverdue(today: self.today(req)),
                            state: req.text("claim_" + c.state.rawValue), stateCode: c.isOverdue(today: self.today(req)) ? "overdue" : c.state.rawValue)
        }
        let content = QueueContent(
            rows: rows, pager: Pager(paging) { SiteRoute.pointsReview.path + "?show=\(filter)&page=\($0)" },
            filters: ["waiting", "overdue", "done"].map { NavItem(label: req.text("queue_" + $0), href: SiteRoute.pointsReview.path + "?show=" + $0, current: $0 == filter) },
            department: user.departmentName, loads: loads, isCenter: user.role == .centerAdmin)
        return try await req.render("points/points-review", title: "points_review_title", content)
    }

}

extension Optional {
    func asyncMap<T>(_ transform: (Wrapped) async throws -> T) async rethrows -> T? {
        switch self {
        case .some(let value): try await transform(value)
        case .none: nil
        }
    }
}
