import Crypto
import Fluent
import JifenCore
import Vapor

/// Hazards in rental housing (隐患), as each role works them: the grid worker reports and accepts,
/// the department acknowledges, forwards and rectifies, the centre spot-checks and edits the
/// kinds; anyone reports from a door's QR code. Outside the viewer's reach a hazard answers 404.
enum HazardsController {
    static let staff: Access = .roles([.gridWorker, .windowClerk, .departmentReviewer, .centerAdmin])

    static func register(_ routes: any RoutesBuilder) {
        routes.get(.hazards, access: staff, use: list)
        routes.get(.hazardNew, access: .roles([.gridWorker]), use: newPage)
        routes.post(.hazards, access: .roles([.gridWorker]), use: create)
        routes.get(.hazardReport, access: .anyone, use: publicPage)
        routes.post(.hazardReport, access: .anyone, use: publicReport)
        routes.get(.hazardStats, access: .roles([.windowClerk, .departmentReviewer, .centerAdmin]), use: stats)
        routes.get(.hazardStatsCSV, access: .roles([.windowClerk, .departmentReviewer, .centerAdmin]), use: statsCSV)
        routes.get(.hazardTypes, access: .roles([.centerAdmin]), use: types)
        routes.post(.hazardTypes, access: .roles([.centerAdmin]), use: saveType)
        routes.get(.hazard(":id"), access: staff, use: show)
        routes.post(.hazardSteps(":id"), access: .roles([.gridWorker, .departmentReviewer, .centerAdmin]), use: step)
        routes.on(.POST, .hazardPhotos(":id"), access: .roles([.gridWorker, .departmentReviewer, .centerAdmin]), body: .collect(maxSize: "12mb"), use: uploadPhoto)
        routes.get(.hazardPhoto(":id"), access: staff, use: photo)
    }

    static func today(_ req: Request) -> CivilDate { ShanghaiDate.today(req.now) }
    // MARK: who sees what

    /// The hazards the viewer may see: in his jurisdiction (grid workers, town windows, the
    /// centre), or his department's now or first (departments).
    static func visible(_ req: Request) async throws -> QueryBuilder<Hazard> {
        let user = try req.requireUser()
        let q = Hazard.query(on: req.db)
        if user.role == .departmentReviewer {
            guard let code = user.departmentCode else { throw Abort(.forbidden) }
            return q.group(.or) { $0.filter(\.$departmentCode == code).filter(\.$firstDepartmentCode == code) }
        }
        return q.filter(\.$jurisdiction.$id ~~ (try await StaffResidenceController.scopeIDs(req)))
    }

    static func find(_ req: Request) async throws -> Hazard {
        guard let id = req.parameters.get("id", as: UUID.self),
              let hazard = try await visible(req).filter(\.$id == id).with(\.$jurisdiction).with(\.$house).first()
        else { throw Abort(.notFound) }
        return hazard
    }

    /// The steps the viewer may take on it now.
    static func steps(for user: CurrentUser, _ hazard: Hazard) -> [HazardService.Step] {
        switch (user.role, hazard.status) {
        case (.gridWorker, .received): [.send, .dismiss]
        case (.gridWorker, .rectified): [.accept, .sendBack]
        case (.departmentReviewer, .assigned) where user.departmentCode == hazard.departmentCode: [.acknowledge, .forward]
        case (.departmentReviewer, .acknowledged) where user.departmentCode == hazard.departmentCode: [.rectify, .forward]
        case (.centerAdmin, .accepted) where hazard.spotCheck == nil: [.spotCheckPass, .spotCheckFail]
        default: []
        }
    }

    static func names(_ req: Request) async throws -> (types: [String: String], departments: [String: String]) {
        let types = try await HazardType.query(on: req.db).all()
        let departments = try await Department.query(on: req.db).all()
        return (Dictionary(types.map { ($0.code, $0.name) }, uniquingKeysWith: { a, _ in a }),
                Dictionary(departments.map { ($0.code, $0.name) }, uniquingKeysWith: { a, _ in a }))
    }

    // MARK: the list

    struct Row: Encodable {
        let number, type, place, grid: String
        let department: String?
        let status, statusCode: String
        let due: String?
        let overdue: Bool
        let link: String
    }

    struct ListContent: Encodable {
        let rows: [Row]
        let pager: Pager
        let filters: [NavItem]
        let overdueCount: Int
        let newLink, statsLink, typesLink: String?
        let notice: String?
    }

    static let filterCodes = ["open", "overdue", "received", "assigned", "acknowledged", "rectified", "accepted", "all"]

    static func list(_ req: Request) async throws -> Response {
        let user = try req.requireUser()
        let filter = req.query[String.self, at: "status"].flatMap { filterCodes.contains($0) ? $0 : nil } ?? "open"
        let day = today(req)
        func base() async throws -> QueryBuilder<Hazard> {
            let q = try await visible(req)
            switch filter {
            case "open": q.filter(\.$status ~~ [.received, .assigned, .acknowledged, .rectified])
            case "overdue": q.filter(\.$status ~~ [.assigned, .acknowledged]).filter(\.$dueDate < day)
            case "all": break
            default: if let status = Hazard.Status(rawValue: filter) { q.filter(\.$status == status) }
            }
            return q
        }
        let paging = Paging(page: req.query[Int.self, at: "page"], perPage: 30, total: try await base().count())
        let hazards = try await base().with(\.$jurisdiction).sort(\.$dueDate).sort(\.$createdAt, .descending).range(paging.offset..<(paging.offset + paging.perPage)).all()
        let overdue = try await visible(req).filter(\.$status ~~ [.assigned, .acknowledged]).filter(\.$dueDate < day).count()
        let (types, departments) = try await names(req)
        let content = ListContent(
            rows: hazards.map { h in
                Row(number: h.number, type: types[h.typeCode] ?? h.typeCode, place: h.place, grid: h.jurisdiction.name,
                    department: h.departmentCode.map { departments[$0] ?? $0 }, status: req.text("hazard_status_" + h.status.rawValue),
                    statusCode: h.status.rawValue, due: h.dueDate?.description, overdue: h.isOverdue(today: day), link: SiteRoute.hazard(h.id!.uuidString).path)
            },
            pager: Pager(paging) { SiteRoute.hazards.path + "?status=\(filter)&page=\($0)" },
            filters: filterCodes.map { NavItem(label: req.text("hazard_filter_" + $0), href: SiteRoute.hazards.path + "?status=" + $0, current: $0 == filter) },
            overdueCount: overdue,
            newLink: user.role == .gridWorker ? SiteRoute.hazardNew.path : nil,
            statsLink: user.role == .gridWorker ? nil : SiteRoute.hazardStats.path,
            typesLink: user.role == .centerAdmin ? SiteRoute.hazardTypes.path : nil,
            notice: req.query[String.self, at: "done"] == "reported" ? req.text("hazard_done_reported") : nil)
        return try await req.render("community/hazards", title: "hazards_title", content)
    }

    // MARK: reporting

    struct NewContent: Encodable {
        let fields: [FormField]
        let action: String
        let publicReport: Bool
        let done: String?
    }

    static func typeOptions(_ req: Request) async throws -> [(value: String, label: String)] {
        [("", "—")] + (try await HazardType.query(on: req.db).sort(\.$position).all()).map { ($0.code, $0.name) }
    }

    static func newContent(_ req: Request, form: FormState) async throws -> NewContent {
        let user = try req.requireUser()
        guard let scope = user.scope else { throw Abort(.forbidden) }
        let within = try await Jurisdiction.within(scope, on: req.db).all()
        let grids = within.filter { $0.level == JurisdictionLevel.grid.rawValue }.sorted { $0.code < $1.code }
        let houses = try await RentalHouse.query(on: req.db).filter(\.$jurisdiction.$id ~~ within.compactMap(\.id)).sort(\.$addressCode).all()
        return NewContent(fields: [
            form.field("type", req.text("field_hazard_type"), .select, options: try await typeOptions(req), required: true),
            form.field("house", req.text("field_hazard_house"), .select, hint: req.text("hazard_house_hint"), options: [("", "—")] + houses.map { ($0.addressCode, $0.address) }),
            form.field("place", req.text("field_hazard_place"), hint: req.text("hazard_place_hint"), maxLength: 100),
            form.field("grid", req.text("field_grid"), .select, options: [("", "—")] + grids.map { ($0.code, $0.name) }),
            form.field("description", req.text("field_hazard_description"), .textarea, maxLength: 500, required: true, rows: 4),
        ], action: SiteRoute.hazards.path, publicReport: false, done: nil)
    }

    static func newPage(_ req: Request) async throws -> Response {
        let values = ["house": req.query[String.self, at: "house"] ?? "", "grid": try req.requireUser().scope?.rawValue ?? ""]
        return try await req.render("community/hazard-new", title: "hazard_new_title", try await newContent(req, form: FormState(fields: HazardService.Report.fields, values: values)))
    }

    struct ReportForm: Decodable { var type: String?, house: String?, place: String?, grid: String?, description: String?, phone: String? }

    static func report(_ req: Request) throws -> HazardService.Report {
        let input = try req.content.decode(ReportForm.self)
        return HazardService.Report(type: input.type ?? "", house: input.house ?? "", place: input.place ?? "", grid: input.grid ?? "",
                                    description: input.description ?? "", phone: input.phone ?? "")
    }

    static func create(_ req: Request) async throws -> Response {
        guard let scope = try req.requireUser().scope else { throw Abort(.forbidden) }
        let report = try report(req)
        switch try await HazardService(req).report(report, within: scope) {
        case .done(let hazard): return req.redirect(to: SiteRoute.hazard(hazard.id!.uuidString).path + "?done=reported")
        case .refused(let problems):
            var form = FormState(fields: HazardService.Report.fields, values: report.values)
            for p in problems { form.fail(p.field, p.wording.text(req.application.catalog, req.language)) }
            return try await req.render("community/hazard-new", title: "hazard_new_title", try await newContent(req, form: form), status: .badRequest)
        }
    }

    /// Anyone, from the QR code on a door: the house is known by its code; a number to be told
    /// the outcome is optional. The grid worker looks before it goes to a department.
    static func publicContent(_ req: Request, form: FormState, done: String? = nil) async throws -> NewContent {
        NewContent(fields: [
            form.field("house", req.text("field_house_address_code"), hint: req.text("landlord_house_hint"), maxLength: 40, autocomplete: "off", required: true),
            form.field("type", req.text("field_hazard_type"), .select, options: try await typeOptions(req), required: true),
            form.field("description", req.text("field_hazard_description"), .textarea, maxLength: 500, required: true, rows: 4),
            form.field("phone", req.text("field_reporter_phone"), .tel, hint: req.text("hazard_phone_hint"), maxLength: 11, autocomplete: "tel"),
        ], action: SiteRoute.hazardReport.path, publicReport: true, done: done)
    }

    static func publicPage(_ req: Request) async throws -> Response {
        let form = FormState(fields: HazardService.Report.fields, values: ["house": req.query[String.self, at: "house"] ?? ""])
        let done = req.query[String.self, at: "done"].map { req.text("hazard_done_public", ["number": $0.filter { $0.isASCII && ($0.isLetter || $0.isNumber) }]) }
        return try await req.render("community/hazard-new", title: "hazard_report_title", try await publicContent(req, form: form, done: done))
    }

    static func publicReport(_ req: Request) async throws -> Response {
        var report = try report(req)
        report.place = ""
        report.grid = ""
        switch try await HazardService(req).report(report, within: nil) {
        case .done(let hazard): return req.redirect(to: SiteRoute.hazardReport.path + "?done=" + hazard.number)
        case .refused(let problems):
            var form = FormState(fields: HazardService.Report.fields, values: report.values)
            for p in problems { form.fail(p.field, p.wording.text(req.application.catalog, req.language)) }
            return try await req.render("community/hazard-new", title: "hazard_report_title", try await publicContent(req, form: form), status: .badRequest)
        }
    }

    // MARK: one hazard

    struct StepView: Encodable { let label, actor, at: String; let department, note: String? }
    struct PhotoView: Encodable { let link, stage, alt: String }
    struct Button: Encodable { let step, label: String; let primary: Bool }

    struct ShowContent: Encodable {
        let number, type, place: String
        let houseLink: String?
        let grid, description, reportedBy: String
        let reporterPhone: String?
        let status, statusCode: String
        let department, firstDepartment, due, dueWarning: String?
        let overdue, closedLate: Bool
        let spotCheck: String?
        let steps: [StepView]
        let photos: [PhotoView]
        let buttons: [Button]
        let stepAction: String
        let note: FormField?
        let department_: FormField?
        let errors: [String]
        let photoAction: String?
        let photoError: String?
        let notice: String?
        let backLink: String
    }

    static func showPage(_ req: Request, _ hazard: Hazard, form: FormState? = nil, photoError: String? = nil, status: HTTPStatus = .ok) async throws -> Response {
        let user = try req.requireUser()
        let (types, departments) = try await names(req)
        let id = try hazard.requireID()
        let steps = try await HazardStep.query(on: req.db).filter(\.$hazard.$id == id).sort(\.$position).all()
        let photos = try await HazardPhoto.query(on: req.db).filter(\.$hazard.$id == id).sort(\.$createdAt).all()
        let allowed = Self.steps(for: user, hazard)
        let form = form ?? FormState(fields: ["note", "department"])
        let calendar = try await req.workingCalendar(), calendarKnows = hazard.dueDate.map { calendar.knows($0.year) } ?? true
        let content = ShowContent(
            number: hazard.number, type: types[hazard.typeCode] ?? hazard.typeCode, place: hazard.place,
            houseLink: hazard.$house.id.flatMap { [.gridWorker, .windowClerk, .centerAdmin].contains(user.role) ? SiteRoute.house($0.uuidString).path : nil },
            grid: hazard.jurisdiction.name, description: hazard.description,
            reportedBy: hazard.reportedBy == "public" ? req.text("hazard_reported_public") : hazard.reportedBy,
            reporterPhone: hazard.reporterPhone.map(Mask.phone),
            status: req.text("hazard_status_" + hazard.status.rawValue), statusCode: hazard.status.rawValue,
            department: hazard.departmentCode.map { departments[$0] ?? $0 },
            firstDepartment: hazard.firstDepartmentCode.flatMap { $0 != hazard.departmentCode ? departments[$0] ?? $0 : nil },
            due: hazard.dueDate?.description,
            dueWarning: calendarKnows ? nil : req.text("calendar_guessed", ["years": String(hazard.dueDate!.year)]),
            overdue: hazard.isOverdue(today: today(req)), closedLate: hazard.closedLate,
            spotCheck: hazard.spotCheck.map { req.text("hazard_spot_" + $0.rawValue) },
            steps: steps.map { s in
                StepView(label: req.text("hazard_step_" + s.action.rawValue), actor: s.actor, at: ShanghaiTime.dateTime(s.at),
                         department: s.departmentCode.map { departments[$0] ?? $0 }, note: s.note)
            },
            photos: photos.map { PhotoView(link: SiteRoute.hazardPhoto($0.id!.uuidString).path, stage: req.text("hazard_photo_" + $0.stage), alt: req.text("hazard_photo_alt", ["stage": req.text("hazard_photo_" + $0.stage), "number": hazard.number])) },
            buttons: allowed.map { Button(step: $0.rawValue, label: req.text("hazard_btn_" + $0.rawValue), primary: [.send, .acknowledge, .rectify, .accept, .spotCheckPass].contains($0)) },
            stepAction: SiteRoute.hazardSteps(id.uuidString).path,
            note: allowed.isEmpty ? nil : form.field("note", req.text("field_hazard_note"), .textarea, hint: req.text("hazard_note_hint"), maxLength: 500, rows: 3),
            department_: allowed.contains(.forward)
                ? form.field("department", req.text("field_forward_to"), .select, options: [("", "—")] + departments.sorted { $0.key < $1.key }.filter { $0.key != hazard.departmentCode }.map { ($0.key, $0.value) })
                : nil,
            errors: form.errors.keys.sorted().filter { $0 == "step" }.compactMap { form.errors[$0] },
            photoAction: user.role == .gridWorker || (user.role == .departmentReviewer && user.departmentCode == hazard.departmentCode) || user.role == .centerAdmin
                ? SiteRoute.hazardPhotos(id.uuidString).path : nil,
            photoError: photoError,
            notice: req.query[String.self, at: "done"].map { req.text("hazard_done_" + ($0 == "reported" ? "reported" : $0 == "photo" ? "photo" : "step")) },
            backLink: SiteRoute.hazards.path)
        return try await req.render("community/hazard", title: "hazard_title", content, status: status)
    }

    static func show(_ req: Request) async throws -> Response { try await showPage(req, try await find(req)) }

    struct StepForm: Decodable { var step: String?, note: String?, department: String? }

    static func step(_ req: Request) async throws -> Response {
        let user = try req.requireUser()
        let hazard = try await find(req)
        let input = try req.content.decode(StepForm.self)
        var form = FormState(fields: ["note", "department"], values: ["note": input.note ?? "", "department": input.department ?? ""])
        guard let step = HazardService.Step(rawValue: input.step ?? ""), steps(for: user, hazard).contains(step) else {
            form.fail("step", req.text("hazard_step_not_now"))
            return try await showPage(req, hazard, form: form, status: .conflict)
        }
        switch try await HazardService(req).take(step, on: hazard, note: input.note ?? "", department: input.department ?? "") {
        case .done: return req.redirect(to: SiteRoute.hazard(hazard.id!.uuidString).path + "?done=step")
        case .refused(let problems):
            for p in problems { form.fail(p.field, p.wording.text(req.application.catalog, req.language)) }
            return try await showPage(req, hazard, form: form, status: .badRequest)
        }
    }
}
