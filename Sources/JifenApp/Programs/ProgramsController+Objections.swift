import Fluent
import JifenCore
import Vapor

/// Objections to a publicity list and their answers (with a correction that re-runs the round).
extension ProgramsController {
    // MARK: objections

    struct ObjectionForm: Decodable { var name: String?; var phone: String?; var number: String?; var text: String?; var code: String? }

    /// Objections one phone may make to one round.
    static let objectionsPerPhone = 3

    /// An objection to a round's publicity (异议), as the page (after the phone's code) and the API
    /// (a signed-in citizen's own phone) take it.
    struct ObjectionFiling: Sendable {
        var name, phone, number, text: String

        /// Each field's problem: a name, a mobile number, a text; the number, if given, on the
        /// list; the publicity still open; at most three per phone and list.
        func problems(round: AllocationRound, today: CivilDate, on db: any Database) async throws -> [(field: String, wording: Wording)] {
            var problems: [(field: String, wording: Wording)] = []
            if name.isEmpty { problems.append(("name", Wording("problem_required", label: "field_contact_name"))) }
            if AccountRules.checkPhone(phone) != nil { problems.append(("phone", Wording("problem_badPhone"))) }
            if text.isEmpty { problems.append(("text", Wording("problem_required", label: "field_objection"))) }
            else if text.count > 1000 { problems.append(("text", Wording("problem_tooLong", ["max": "1000"], label: "field_objection"))) }
            if !number.isEmpty, try await AllocationResult.query(on: db).filter(\.$round.$id == round.requireID()).filter(\.$number == number).count() == 0 {
                problems.append(("number", Wording("objection_unknown_number")))
            }
            if round.finalizedAt != nil || today > round.publicityTo { problems.append(("text", Wording("objection_closed"))) }
            if problems.isEmpty, try await Objection.query(on: db).filter(\.$round.$id == round.requireID()).filter(\.$contactPhone == phone).count() >= objectionsPerPhone {
                problems.append(("phone", Wording("objection_phone_limit", ["n": String(objectionsPerPhone)])))
            }
            return problems
        }

        /// Saves it, due in 15 working days.
        func file(program: Program, round: AllocationRound, by actor: Actor, today: CivilDate, now: Date, app: Application, on db: any Database) async throws -> Objection {
            let due = try await app.workingCalendar(on: db).adding(workingDays: 15, to: today)
            let objection = Objection()
            objection.createdAt = now
            objection.contactName = name
            objection.contactPhone = phone
            objection.applicationNumber = number.isEmpty ? nil : number
            objection.text = text
            objection.dueDate = due.date
            objection.corrected = false
            objection.$round.id = try round.requireID()
            try await db.transaction { db in
                try await objection.create(on: db)
                try await Audit.record("object", entity: "program", id: program.code, after: ["round": String(round.round), "number": objection.applicationNumber ?? "", "due": objection.dueDate.description],
                                       by: actor, at: now, on: db)
            }
            return objection
        }
    }

    /// Anyone may object during the publicity, with contact details; due in 15 working days.
    static func object(_ req: Request) async throws -> Response {
        let program = try await find(req)
        let round = try await findRound(req, program)
        let input = try req.content.decode(ObjectionForm.self)
        let values = ["name": (input.name ?? "").trimmingCharacters(in: .whitespaces), "phone": (input.phone ?? "").trimmingCharacters(in: .whitespaces),
                      "number": (input.number ?? "").trimmingCharacters(in: .whitespaces), "text": (input.text ?? "").trimmingCharacters(in: .whitespacesAndNewlines),
                      "code": (input.code ?? "").trimmingCharacters(in: .whitespaces)]
        var form = FormState(fields: ["name", "phone", "number", "text", "code"], values: values)
        let filing = ObjectionFiling(name: values["name"]!, phone: values["phone"]!, number: values["number"]!, text: values["text"]!)
        for problem in try await filing.problems(round: round, today: today(req), on: req.db) where form.errors[problem.field] == nil {
            form.fail(problem.field, problem.wording.text(req.application.catalog, req.language))
        }
        guard form.isValid else { return try await renderPublicity(req, program: program, round: round, objection: form, problems: [], status: .badRequest) }
        // The phone is confirmed by a code before the objection counts.
        let (outcome, browser, newBrowser) = try await PublicFormPhone.confirm(req, phone: values["phone"]!, code: values["code"]!)
        switch outcome {
        case .confirmed: break
        case .codeSent, .refused:
            var status = HTTPStatus.ok
            if case .refused(let field, let message, let refusedStatus) = outcome { form.fail(field, message); status = refusedStatus }
            else { form.fail("code", try await PublicFormPhone.sentNotice(req, phone: values["phone"]!)) }
            let response = try await renderPublicity(req, program: program, round: round, objection: form, problems: [], status: status)
            if newBrowser { PhoneCodes.setBrowserCookie(browser, on: response, req: req) }
            return response
        }
        _ = try await filing.file(program: program, round: round, by: req.actor, today: today(req), now: req.now, app: req.application, on: req.db)
        return req.redirect(to: SiteRoute.publicity(program.code, String(round.round)).path + "?done=objection")
    }

    struct ObjectionRow: Encodable {
        let id: String
        let round: Int
        let at, contact: String
        let number: String?
        let text, due: String
        let overdue: Bool
        let answer: String?
        let corrected: Bool
        let action: String
        let error: String?
    }

    static func objections(_ req: Request) async throws -> Response { try await renderObjections(req, failed: nil, message: nil, status: .ok) }

    static func renderObjections(_ req: Request, failed: String?, message: String?, status: HTTPStatus) async throws -> Response {
        let program = try await find(req)
        let rounds = try await AllocationRound.query(on: req.db).filter(\.$program.$id == program.requireID()).all()
        let byID = Dictionary(uniqueKeysWithValues: rounds.map { ($0.id!, $0.round) })
        // Unanswered first, by due date; a page of 20.
        func base() -> QueryBuilder<Objection> { Objection.query(on: req.db).filter(\.$round.$id ~~ rounds.compactMap(\.id)) }
        let paging = Paging(page: req.query[Int.self, at: "page"], perPage: 20, total: try await base().count())
        let unanswered = try await base().filter(\.$answeredAt == nil).count()
        var list: [Objection] = []
        if paging.offset < unanswered {
            list = try await base().filter(\.$answeredAt == nil).sort(\.$dueDate).sort(\.$createdAt).sort(\.$id)
                .range(paging.offset..<min(unanswered, paging.offset + paging.perPage)).all()
        }
        if list.count < paging.perPage {
            let start = max(0, paging.offset - unanswered)
            list += try await base().filter(\.$answeredAt != nil).sort(\.$dueDate).sort(\.$createdAt).sort(\.$id)
                .range(start..<(start + paging.perPage - list.count)).all()
        }
        struct Content: Encodable {
            let title: String; let programLink: String; let rows: [ObjectionRow]; let pager: Pager
            let closeAction: String; let unanswered: Int; let closeError: String?
        }
        let rows = list.map { o in
            ObjectionRow(id: o.id?.uuidString ?? "", round: byID[o.$round.id] ?? 0, at: ShanghaiTime.dateTime(o.createdAt),
                         contact: o.contactName + " " + Mask.phone(o.contactPhone), number: o.applicationNumber, text: o.text, due: o.dueDate.description,
                         overdue: o.isOverdue(today: today(req)), answer: o.answer, corrected: o.corrected,
                         action: SiteRoute.objectionAnswer(program.code, o.id?.uuidString ?? "").path, error: o.id?.uuidString == failed ? message : nil)
        }
        let content = Content(title: program.title, programLink: SiteRoute.program(program.code).path, rows: rows,
                              pager: Pager(paging) { SiteRoute.programObjections(program.code).path + "?page=\($0)" },
                              closeAction: SiteRoute.objectionsClose(program.code).path, unanswered: unanswered, closeError: failed == "close" ? message : nil)
        return try await req.render("programs/objections", title: "objections_title", content, status: status)
    }

    struct AnswerForm: Decodable { var answer: String?; var correctNumber: String?; var correctPoints: String? }

    /// Staff answer an objection; a correction of an applicant's points re-runs the round and
    /// records which results changed and why.
    static func answer(_ req: Request) async throws -> Response {
        let program = try await find(req)
        guard let id = req.parameters.get("id", as: UUID.self), let objection = try await Objection.find(id, on: req.db),
              let round = try await AllocationRound.find(objection.$round.id, on: req.db), round.$program.id == program.id
        else { throw Abort(.notFound) }
        let input = try req.content.decode(AnswerForm.self)
        let text = (input.answer ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
        let number = (input.correctNumber ?? "").trimmingCharacters(in: .whitespaces)
        let rawPoints = (input.correctPoints ?? "").trimmingCharacters(in: .whitespaces)
        let fail: (String) async throws -> Response = { try await renderObjections(req, failed: id.uuidString, message: $0, status: .badRequest) }
        guard objection.answer == nil else { return try await fail(req.text("objection_answered")) }
        guard !text.isEmpty else { return try await fail(req.text("problem_required", ["field": req.text("field_answer")])) }
        guard round.finalizedAt == nil || number.isEmpty else { return try await fail(req.text("round_final_locked")) }
        var corrected = false
        if !number.isEmpty || !rawPoints.isEmpty {
            guard let points = Decimal2(parsing: rawPoints), points >= .zero else { return try await fail(req.text("program_number", ["field": req.text("field_corrected_points")])) }
            guard try await ServiceApplication.query(on: req.db).filter(\.$program.$id == program.requireID()).filter(\.$number == number).count() > 0 else {
                return try await fail(req.text("objection_unknown_number"))
            }
            _ = try await ProgramService(req).correct(round, number: number, points: points, reason: text)
            corrected = true
        }
        objection.answer = text
        objection.answeredBy = req.actor.login
        objection.answeredAt = req.now
        objection.corrected = corrected
        let actor = req.actor, now = req.now, wasCorrected = corrected
        try await req.db.transaction { db in
            try await objection.save(on: db)
            try await Audit.record("answer", entity: "program", id: program.code, after: ["objection": id.uuidString, "corrected": String(wasCorrected)], by: actor, at: now, on: db)
        }
        return req.redirect(to: SiteRoute.programObjections(program.code).path)
    }

    struct CloseForm: Decodable { var ids: [String]?; var reason: String? }

    /// Staff close many objections at once as spam (刷屏、无关内容), with one reason: each is answered
    /// with it and audited, so a flood cannot hold up the round's finalisation.
    static func closeObjections(_ req: Request) async throws -> Response {
        let program = try await find(req)
        let input = try req.content.decode(CloseForm.self)
        let reason = (input.reason ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
        let ids = (input.ids ?? []).compactMap(UUID.init(uuidString:))
        if ids.isEmpty { return try await renderObjections(req, failed: "close", message: req.text("objections_close_none"), status: .badRequest) }
        if reason.isEmpty { return try await renderObjections(req, failed: "close", message: req.text("problem_required", ["field": req.text("field_reason")]), status: .badRequest) }
        let rounds = try await AllocationRound.query(on: req.db).filter(\.$program.$id == program.requireID()).all().compactMap(\.id)
        let objections = try await Objection.query(on: req.db).filter(\.$id ~~ ids).filter(\.$round.$id ~~ rounds).filter(\.$answeredAt == nil).all()
        let actor = req.actor, now = req.now
        let text = req.text("objection_closed_as_spam", ["reason": reason])
        try await req.db.transaction { db in
            for objection in objections {
                objection.answer = text
                objection.answeredBy = actor.login
                objection.answeredAt = now
                objection.corrected = false
                try await objection.save(on: db)
                try await Audit.record("closeObjection", entity: "program", id: program.code, after: ["objection": try objection.requireID().uuidString, "reason": reason],
                                       by: actor, at: now, on: db)
            }
        }
        return req.redirect(to: SiteRoute.programObjections(program.code).path)
    }
}
