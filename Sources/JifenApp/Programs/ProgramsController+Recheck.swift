import Fluent
import JifenCore
import Vapor

/// The re-check before a round is published (发布前复核): the education bureau re-checks every
/// application against the program's conditions as they stand and the latest feed, and confirms
/// or dismisses each finding before the round runs.
extension ProgramsController {
    struct FindingRow: Encodable {
        let id, number, name, reason, found, due: String
        let overdue: Bool
        let decision: String?
        let note: String?
        let action: String
        let error: String?
    }

    static func recheckPage(_ req: Request) async throws -> Response { try await renderRecheck(req, failed: nil, message: nil, status: .ok) }

    static func renderRecheck(_ req: Request, failed: String?, message: String?, status: HTTPStatus) async throws -> Response {
        let program = try await find(req)
        // Undecided first, by due day; a page of 30.
        let programID = try program.requireID()
        func base() -> QueryBuilder<RecheckFinding> { RecheckFinding.query(on: req.db).filter(\.$program.$id == programID) }
        let paging = Paging(page: req.query[Int.self, at: "page"], perPage: 30, total: try await base().count())
        let open = try await RecheckService.open(program, on: req.db)
        var list: [RecheckFinding] = []
        if paging.offset < open {
            list = try await base().filter(\.$decision == nil).sort(\.$dueDate).sort(\.$number).sort(\.$kind)
                .range(paging.offset..<min(open, paging.offset + paging.perPage)).all()
        }
        if list.count < paging.perPage {
            let start = max(0, paging.offset - open)
            list += try await base().filter(\.$decision != nil).sort(\.$decidedAt, .descending).sort(\.$number).sort(\.$kind)
                .range(start..<(start + paging.perPage - list.count)).all()
        }
        var names: [UUID: String] = [:]
        for slice in Batches.slices(list.map { $0.$application.id }) {
            let applications = try await ServiceApplication.query(on: req.db).filter(\.$id ~~ Array(slice)).with(\.$resident).all()
            for a in applications { names[a.id!] = Mask.name(a.resident.name) }
        }
        let rows = list.map { f in
            FindingRow(id: f.id?.uuidString ?? "", number: f.number, name: names[f.$application.id] ?? "", reason: RecheckService.words(f, req.application.catalog, req.language),
                       found: ShanghaiTime.dateTime(f.foundAt), due: ShanghaiDate.long(f.dueDate, req.language), overdue: f.decision == nil && today(req) > f.dueDate,
                       decision: f.decision.map { req.text("recheck_decision_" + $0.rawValue) }, note: f.note,
                       action: SiteRoute.recheckDecision(program.code, f.id?.uuidString ?? "").path, error: f.id?.uuidString == failed ? message : nil)
        }
        let rounds = try await AllocationRound.query(on: req.db).filter(\.$program.$id == program.requireID()).count()
        struct Content: Encodable {
            let title, programLink, runAction: String
            let canRun: Bool
            let counts: String
            let rows: [FindingRow]
            let pager: Pager
            let notice, problem: String?
        }
        let content = Content(title: program.title, programLink: SiteRoute.program(program.code).path, runAction: SiteRoute.programRecheck(program.code).path,
                              canRun: rounds == 0 && today(req) > program.closes,
                              counts: req.text("recheck_counts", ["open": String(open), "total": String(paging.total)]), rows: rows,
                              pager: Pager(paging) { SiteRoute.programRecheck(program.code).path + "?page=\($0)" },
                              notice: req.query[Int.self, at: "found"].map { req.text("recheck_done", ["n": String($0)]) },
                              problem: failed == "run" ? message : nil)
        return try await req.render("programs/recheck", title: "recheck_title", content, status: status)
    }

    static func runRecheck(_ req: Request) async throws -> Response {
        let program = try await find(req)
        switch try await RecheckService(req).run(program) {
        case .success(let found): return req.redirect(to: SiteRoute.programRecheck(program.code).path + "?found=\(found.count)")
        case .failure(.beforeDeadline):
            return try await renderRecheck(req, failed: "run", message: req.text("recheck_before_deadline", ["date": ShanghaiDate.long(program.closes, req.language)]), status: .badRequest)
        case .failure(.alreadyRun): return try await renderRecheck(req, failed: "run", message: req.text("recheck_after_round"), status: .badRequest)
        }
    }

    struct DecisionForm: Decodable { var decision: String?; var note: String? }

    static func decideRecheck(_ req: Request) async throws -> Response {
        let program = try await find(req)
        guard let id = req.parameters.get("id", as: UUID.self), let finding = try await RecheckFinding.find(id, on: req.db), finding.$program.id == program.id else {
            throw Abort(.notFound)
        }
        let input = (try? req.content.decode(DecisionForm.self)) ?? DecisionForm()
        guard let decision = RecheckFinding.Decision(rawValue: input.decision ?? "") else {
            return try await renderRecheck(req, failed: id.uuidString, message: req.text("problem_choose", ["field": req.text("field_recheck_decision")]), status: .badRequest)
        }
        switch try await RecheckService(req).decide(finding, decision, note: (input.note ?? "").trimmingCharacters(in: .whitespacesAndNewlines)) {
        case .done: return req.redirect(to: SiteRoute.programRecheck(program.code).path)
        case .refused(let problems):
            return try await renderRecheck(req, failed: id.uuidString, message: problems.map { $0.wording.text(req.application.catalog, req.language) }.joined(separator: " "),
                                           status: .badRequest)
        }
    }
}
