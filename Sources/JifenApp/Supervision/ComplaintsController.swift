import Fluent
import JifenCore
import Vapor

/// 监督投诉: the citizen files a complaint about a town or a department on his case and follows
/// it; the centre investigates it by its due date, records the finding and the correction
/// ordered, and reads the figures by unit.
enum ComplaintsController {
    static func register(_ routes: any RoutesBuilder) {
        routes.get(.myComplaints, access: .roles([.citizen]), use: mine)
        routes.post(.myComplaints, access: .roles([.citizen]), use: file)
        routes.get(.complaints, access: .roles([.centerAdmin]), use: list)
        routes.get(.complaintsCSV, access: .roles([.centerAdmin]), use: csv)
        routes.get(.complaint(":id"), access: .roles([.centerAdmin]), use: show)
        routes.post(.complaintConclude(":id"), access: .roles([.centerAdmin]), use: conclude)
    }

    static func today(_ req: Request) -> CivilDate { ShanghaiDate.today(req.now) }

    struct Row: Encodable {
        let number, unit, filed, status, statusCode, due: String
        let caseRef, finding, correction: String?
        let upheld: Bool?
        let overdue: Bool
        let link: String?
        let content: String
    }

    static func row(_ c: Complaint, link: String?, on req: Request) -> Row {
        Row(number: c.number, unit: c.unitName, filed: ShanghaiTime.format(c.createdAt, "yyyy-MM-dd"),
            status: req.text("complaint_status_" + c.status.rawValue), statusCode: c.isOverdue(today: today(req)) ? "overdue" : c.status.rawValue,
            due: c.dueDate.description, caseRef: c.caseRef, finding: c.finding, correction: c.correction, upheld: c.upheld,
            overdue: c.isOverdue(today: today(req)), link: link, content: c.content)
    }

    // MARK: the citizen's

    struct MineContent: Encodable {
        let canFile: Bool
        let residenceLink: String
        let rows: [Row]
        let fields: [FormField]
        let action: String
        let notice: String?
    }

    static func mineContent(_ req: Request, form given: FormState?) async throws -> MineContent {
        let user = try req.requireUser()
        let resident = try await Resident.find(user: user.id, on: req.db)
        let service = ComplaintService(req)
        var complaints: [Complaint] = [], cases: [String] = []
        if let resident {
            complaints = try await Complaint.query(on: req.db).filter(\.$resident.$id == resident.requireID()).sort(\.$createdAt, .descending).all()
            cases = try await service.cases(of: resident)
        }
        let form = given ?? FormState(fields: ["unit", "caseRef", "content"])
        return MineContent(
            canFile: resident?.identityVerified ?? false, residenceLink: SiteRoute.myResidence.path,
            rows: complaints.map { row($0, link: nil, on: req) },
            fields: [
                form.field("unit", req.text("field_complaint_unit"), .select,
                           options: [("", "—")] + (try await service.units()).map { ($0.kind.rawValue + ":" + $0.code, req.text("complaint_unit_" + $0.kind.rawValue) + " · " + $0.name) }, required: true),
                form.field("caseRef", req.text("field_complaint_case"), .select, hint: req.text("complaint_case_hint"), options: [("", "—")] + cases.map { ($0, $0) }),
                form.field("content", req.text("field_complaint_content"), .textarea, hint: req.text("complaint_content_hint"), maxLength: 1000, required: true, rows: 5),
            ],
            action: SiteRoute.myComplaints.path,
            notice: req.query[String.self, at: "done"].map { req.text("complaint_done_filed", ["number": $0.filter { $0.isASCII && ($0.isLetter || $0.isNumber) }]) })
    }

    static func mine(_ req: Request) async throws -> Response {
        try await req.render("supervision/my-complaints", title: "complaints_mine_title", try await mineContent(req, form: nil))
    }

    struct FileForm: Decodable { var unit: String?, caseRef: String?, content: String? }

    static func file(_ req: Request) async throws -> Response {
        let user = try req.requireUser()
        guard let resident = try await Resident.find(user: user.id, on: req.db), resident.identityVerified else { throw Abort(.forbidden) }
        let input = try req.content.decode(FileForm.self)
        let filing = ComplaintService.Filing(unit: input.unit ?? "", caseRef: input.caseRef ?? "", content: input.content ?? "")
        switch try await ComplaintService(req).file(filing, by: resident) {
        case .done(let complaint): return req.redirect(to: SiteRoute.myComplaints.path + "?done=" + complaint.number)
        case .refused(let problems):
            var form = FormState(fields: ["unit", "caseRef", "content"], values: ["unit": filing.unit, "caseRef": filing.caseRef, "content": filing.content])
            for p in problems { form.fail(p.field, p.wording.text(req.application.catalog, req.language)) }
            return try await req.render("supervision/my-complaints", title: "complaints_mine_title", try await mineContent(req, form: form), status: .badRequest)
        }
    }

    // MARK: the centre's

    struct UnitFigures: Encodable { let unit: String; var received = 0, open = 0, overdue = 0, concluded = 0, upheld = 0 }

    static func figures(_ req: Request) async throws -> [UnitFigures] {
        var byUnit: [String: UnitFigures] = [:]
        let day = today(req)
        for c in try await Complaint.query(on: req.db).all() {
            var f = byUnit[c.unitName] ?? UnitFigures(unit: c.unitName)
            f.received += 1
            if c.status == .open { f.open += 1 } else { f.concluded += 1 }
            if c.isOverdue(today: day) { f.overdue += 1 }
            if c.upheld == true { f.upheld += 1 }
            byUnit[c.unitName] = f
        }
        return byUnit.values.sorted { ($0.received, $1.unit) > ($1.received, $0.unit) }
    }

    struct ListContent: Encodable {
        let rows: [Row]
        let pager: Pager
        let filters: [NavItem]
        let units: [UnitFigures]
        let csvLink: String
    }

    static let filterCodes = ["open", "overdue", "concluded", "all"]

    static func list(_ req: Request) async throws -> Response {
        let filter = req.query[String.self, at: "status"].flatMap { filterCodes.contains($0) ? $0 : nil } ?? "open"
        let day = today(req)
        func base() -> QueryBuilder<Complaint> {
            let q = Complaint.query(on: req.db)
            switch filter {
            case "open": q.filter(\.$status == .open)
            case "overdue": q.filter(\.$status == .open).filter(\.$dueDate < day)
            case "concluded": q.filter(\.$status == .concluded)
            default: break
            }
            return q
        }
        let paging = Paging(page: req.query[Int.self, at: "page"], perPage: 30, total: try await base().count())
        let complaints = try await base().sort(\.$dueDate).sort(\.$createdAt).range(paging.offset..<(paging.offset + paging.perPage)).all()
        return try await req.render("supervision/complaints", title: "complaints_title", ListContent(
            rows: complaints.map { row($0, link: SiteRoute.complaint($0.id!.uuidString).path, on: req) },
            pager: Pager(paging) { SiteRoute.complaints.path + "?status=\(filter)&page=\($0)" },
            filters: filterCodes.map { NavItem(label: req.text("complaint_filter_" + $0), href: SiteRoute.complaints.path + "?status=" + $0, current: $0 == filter) },
            units: try await figures(req), csvLink: SiteRoute.complaintsCSV.path))
    }

    static func csv(_ req: Request) async throws -> Response {
        let header = ["complaint_unit", "complaint_received", "complaint_open", "complaint_overdue", "complaint_concluded", "complaint_upheld"].map { req.text($0) }
        let rows = try await figures(req).map { [$0.unit, String($0.received), String($0.open), String($0.overdue), String($0.concluded), String($0.upheld)] }
        return CSVExport.response(filename: "complaints-\(today(req)).csv", header: header, rows: rows)
    }

    struct ShowContent: Encodable {
        let complaint: Row
        let name, idMasked: String
        let fields: [FormField]
        let action: String?
        let backLink: String
    }

    static func find(_ req: Request) async throws -> Complaint {
        guard let id = req.parameters.get("id", as: UUID.self), let complaint = try await Complaint.query(on: req.db).filter(\.$id == id).with(\.$resident).first()
        else { throw Abort(.notFound) }
        return complaint
    }

    static func showPage(_ req: Request, _ complaint: Complaint, form given: FormState? = nil, status: HTTPStatus = .ok) async throws -> Response {
        let form = given ?? FormState(fields: ["upheld", "finding", "correction"])
        return try await req.render("supervision/complaint", title: "complaint_title", ShowContent(
            complaint: row(complaint, link: nil, on: req), name: complaint.resident.name, idMasked: complaint.resident.idMasked,
            fields: [
                form.field("upheld", req.text("field_complaint_upheld"), .select, options: [("", "—"), ("yes", req.text("complaint_upheld_yes")), ("no", req.text("complaint_upheld_no"))], required: true),
                form.field("finding", req.text("field_complaint_finding"), .textarea, maxLength: 1000, required: true, rows: 4),
                form.field("correction", req.text("field_complaint_correction"), .textarea, hint: req.text("complaint_correction_hint"), maxLength: 1000, rows: 3),
            ],
            action: complaint.status == .open ? SiteRoute.complaintConclude(complaint.id!.uuidString).path : nil,
            backLink: SiteRoute.complaints.path), status: status)
    }

    static func show(_ req: Request) async throws -> Response { try await showPage(req, try await find(req)) }

    struct ConcludeForm: Decodable { var upheld: String?, finding: String?, correction: String? }

    static func conclude(_ req: Request) async throws -> Response {
        let complaint = try await find(req)
        let input = try req.content.decode(ConcludeForm.self)
        let upheld: Bool? = input.upheld == "yes" ? true : input.upheld == "no" ? false : nil
        switch try await ComplaintService(req).conclude(complaint, upheld: upheld, finding: input.finding ?? "", correction: input.correction ?? "") {
        case .done: return req.redirect(to: SiteRoute.complaint(complaint.id!.uuidString).path)
        case .refused(let problems):
            var form = FormState(fields: ["upheld", "finding", "correction"], values: ["upheld": input.upheld ?? "", "finding": input.finding ?? "", "correction": input.correction ?? ""])
            for p in problems { form.fail(p.field, p.wording.text(req.application.catalog, req.language)) }
            return try await showPage(req, complaint, form: form, status: .badRequest)
        }
    }
}
