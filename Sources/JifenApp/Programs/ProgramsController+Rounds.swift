import Fluent
import JifenCore
import Vapor

/// Running and finalizing a round, the public publicity list, and the bureau's list of applications.
extension ProgramsController {
    // MARK: rounds and publicity

    static func runRound(_ req: Request) async throws -> Response {
        let program = try await find(req)
        let next = try await AllocationRound.query(on: req.db).filter(\.$program.$id == program.requireID()).count() + 1
        let fail: (String) async throws -> Response = { message in
            try await page(req, quotaForm: FormState(fields: ["school", "name", "town", "seats"]), csvErrors: [message], status: .badRequest)
        }
        if next > 1 && !program.kind.isSchool { return try await fail(req.text("program_one_round")) }
        if next > 2 { return try await fail(req.text("program_two_rounds")) }
        do {
            _ = try await ProgramService(req).run(program, round: next)
        } catch ProgramService.RoundProblem.notAfterDeadline {
            return try await fail(req.text("program_run_too_early", ["date": ShanghaiDate.long(program.closes)]))
        } catch ProgramService.RoundProblem.firstNotFinal {
            return try await fail(req.text("program_first_not_final"))
        } catch ProgramService.RoundProblem.recheckOpen(let n) {
            return try await fail(req.text("program_recheck_open", ["n": String(n)]))
        } catch ProgramService.RoundProblem.waitlistOpen {
            return try await fail(req.text("program_waitlist_open", ["date": program.waitlistCloses.map(ShanghaiDate.long) ?? ""]))
        } catch ProgramService.RoundProblem.alreadyRun {
            return req.redirect(to: SiteRoute.publicity(program.code, String(next)).path)
        }
        return req.redirect(to: SiteRoute.publicity(program.code, String(next)).path)
    }

    static func findRound(_ req: Request, _ program: Program) async throws -> AllocationRound {
        guard let n = req.parameters.get("round", as: Int.self),
              let round = try await AllocationRound.query(on: req.db).filter(\.$program.$id == program.requireID()).filter(\.$round == n).first()
        else { throw Abort(.notFound) }
        return round
    }

    /// Finalization locks a round: after its publicity, with every objection answered.
    static func finalize(_ req: Request) async throws -> Response {
        let program = try await find(req)
        let round = try await findRound(req, program)
        guard round.finalizedAt == nil else { return req.redirect(to: SiteRoute.publicity(program.code, String(round.round)).path) }
        var problems: [String] = []
        if today(req) <= round.publicityTo { problems.append(req.text("round_publicity_running", ["date": round.publicityTo.description])) }
        let open = try await Objection.query(on: req.db).filter(\.$round.$id == round.requireID()).filter(\.$answer == nil).count()
        if open > 0 { problems.append(req.text("round_objections_open", ["n": String(open)])) }
        guard problems.isEmpty else { return try await renderPublicity(req, program: program, round: round, objection: nil, problems: problems, status: .badRequest) }
        round.finalizedAt = req.now
        let actor = req.actor, now = req.now
        let offers = OfferService(req)
        try await req.db.transaction { db in
            try await round.save(on: db)
            try await offers.on(db).open(program, round: round)
            try await Audit.record("finalize", entity: "program", id: program.code, after: ["round": String(round.round)], by: actor, at: now, on: db)
        }
        return req.redirect(to: SiteRoute.publicity(program.code, String(round.round)).path)
    }

    // MARK: the bureau's list of applications

    struct ApplicationRow: Encodable { let number: String; let name: String; let child: String?; let points: String; let submitted: String; let schools: String
        /// An objection naming him waits for its answer (Baiyun leaves such an applicant out until it is answered).
        let objection: Bool
        /// Confirmed out by the re-check before publicity.
        let excluded: Bool
    }

    /// Every application of a program, masked, paged, sorted by submission or by frozen points.
    static func applications(_ req: Request) async throws -> Response {
        let program = try await find(req)
        let sort = req.query[String.self, at: "sort"] == "points" ? "points" : "submitted"
        func base() -> QueryBuilder<ServiceApplication> { ServiceApplication.query(on: req.db).filter(\.$program.$id == program.id!).with(\.$ranking) }
        let paging = Paging(page: req.query[Int.self, at: "page"], perPage: 50, total: try await base().count())
        let query = base().with(\.$resident).with(\.$child)
        if sort == "points" { query.sort(\.$points, .descending) }
        let rows = try await query.sort(\.$submittedAt).sort(\.$number).range(paging.offset..<(paging.offset + paging.perPage)).all()
        let schools = Dictionary(uniqueKeysWithValues: try await Quota.query(on: req.db).filter(\.$program.$id == program.requireID()).with(\.$school).all().map { ($0.school.code, $0.school.name) })
        let rounds = try await AllocationRound.query(on: req.db).filter(\.$program.$id == program.requireID()).all().compactMap(\.id)
        let objected = Set(try await Objection.query(on: req.db).filter(\.$round.$id ~~ rounds).filter(\.$answer == nil).filter(\.$applicationNumber ~~ rows.map(\.number)).all()
            .compactMap(\.applicationNumber))
        let excluded = try await RecheckService.excluded(program, on: req.db)
        struct Content: Encodable { let title: String; let programLink: String; let rows: [ApplicationRow]; let pager: Pager; let sorts: [NavItem]; let total: Int }
        let content = Content(
            title: program.title, programLink: SiteRoute.program(program.code).path,
            rows: rows.map { a in
                ApplicationRow(number: a.number, name: Mask.name(a.resident.name), child: a.child?.nameMasked,
                               points: a.points.map { Points(hundredths: $0).description } ?? "—", submitted: ShanghaiTime.dateTime(a.submittedAt),
                               schools: a.schoolCodes.map { schools[$0] ?? $0 }.joined(separator: " › "), objection: objected.contains(a.number), excluded: excluded.contains(a.id!))
            },
            pager: Pager(paging) { SiteRoute.programApplications(program.code).path + "?sort=\(sort)&page=\($0)" },
            sorts: ["submitted", "points"].map { NavItem(label: req.text("applications_sort_" + $0), href: SiteRoute.programApplications(program.code).path + "?sort=" + $0, current: $0 == sort) },
            total: paging.total)
        return try await req.render("programs/program-applications", title: "program_applications_title", content)
    }

    struct PublicRow: Encodable { let rank: Int; let number: String; let name: String; let points: String; let school: String; let admitted: Bool; let priority: Bool }
    struct Cutoff: Encodable { let school: String; let seats: Int; let admitted: Int; let points: String }

    struct PublicityContent: Encodable {
        let title: String
        let round: Int
        let period: String
        let final: Bool
        let cutoffs: [Cutoff]
        let threshold: String?
        let rows: [PublicRow]
        let pager: Pager
        let programLink: String
        let corrections: [CorrectionView]
        let addendum: [AddendumView]
        /// For the organiser: how the offers stand.
        let offers: String?
        let objectionOpen: Bool
        let objectionAction: String
        let objectionFields: [FormField]
        let notice: String?
        let isOrganiser: Bool
        let finalizeAction, objectionsLink, printLink: String
        let problems: [String]
    }

    /// The lines of a publicity list as anyone reads them: masked names, no ID number; an
    /// applicant placed as a priority group's member is marked, never with the group (the reason).
    static func publicRows(_ req: Request, _ rows: [AllocationResult], schools: [String: String], threshold: Points?) async throws -> [PublicRow] {
        var ahead = Set<UUID>()
        for slice in Batches.slices(rows.map { $0.$application.id }) {
            ahead.formUnion(try await ServiceApplication.query(on: req.db).filter(\.$id ~~ Array(slice)).filter(\.$priority > 0).all().compactMap(\.id))
        }
        return rows.map { r in
            PublicRow(rank: r.rank, number: r.number, name: r.nameMasked, points: Points(hundredths: r.points).description,
                      school: threshold != nil ? req.text(r.qualified ? "publicity_qualified" : "publicity_not_qualified")
                                               : (r.schoolCode.map { schools[$0] ?? $0 } ?? req.text(r.offer?.isDecline == true ? "publicity_declined" : "publicity_not_admitted")),
                      admitted: r.qualified, priority: ahead.contains(r.$application.id))
        }
    }

    struct PrintContent: Encodable {
        let title, heading, period, channel: String
        let final: Bool
        let threshold: String?
        let cutoffs: [Cutoff]
        let corrections: [CorrectionView]
        let rows: [PublicRow]
        let rowsLine: String
        let screenLink: String
    }

    /// `/publicity/:code/:round/print`: the whole list on A4 for a notice board (公示栏): the
    /// period, how to object, the cutoffs and every line, page numbers at the foot.
    static func publicityPrint(_ req: Request) async throws -> Response {
        let program = try await find(req)
        let round = try await findRound(req, program)
        let schools = Dictionary(uniqueKeysWithValues: try await Quota.query(on: req.db).filter(\.$program.$id == program.requireID()).with(\.$school).all()
            .map { ($0.school.code, $0.school.name) })
        let threshold = program.rules.threshold
        let cutoffs = try await round.cutoffs(on: req.db).map { Cutoff(school: schools[$0.school] ?? $0.school, seats: $0.seats, admitted: $0.admitted, points: $0.points ?? "—") }
        let results = try await AllocationResult.query(on: req.db).filter(\.$round.$id == round.requireID()).sort(\.$rank).all()
        let period = round.publicityFrom.description + " – " + round.publicityTo.description
        let screen = SiteRoute.publicity(program.code, String(round.round)).path
        let content = PrintContent(
            title: program.title, heading: req.text("publicity_print_heading", ["program": program.title, "round": String(round.round)]),
            period: period,
            channel: req.text("publicity_print_channel", ["from": round.publicityFrom.description, "to": round.publicityTo.description,
                                                          "url": req.application.jifenConfig.publicURL + screen]),
            final: round.finalizedAt != nil, threshold: threshold?.description,
            cutoffs: threshold == nil ? cutoffs : [], corrections: try await correctionViews(req, round: round, schools: schools),
            rows: try await publicRows(req, results, schools: schools, threshold: threshold),
            rowsLine: req.text("print_rows", ["n": String(results.count)]), screenLink: screen)
        return try await req.render("programs/publicity-print", title: "publicity_title", content)
    }

    struct AddendumView: Encodable { let at: String; let declined: String; let moves: [String] }

    /// The waitlist's addendum to the publicity: each decline with the moves it made, in order.
    static func addendumViews(_ req: Request, round: AllocationRound, schools: [String: String]) async throws -> [AddendumView] {
        let lines = try await WaitlistMove.query(on: req.db).filter(\.$round.$id == round.requireID()).sort(\.$at).sort(\.$position).all()
        var views: [AddendumView] = []
        var current: [WaitlistMove] = []
        func flush() {
            guard let first = current.first else { return }
            let school = { (code: String?) in code.map { schools[$0] ?? $0 } ?? req.text("publicity_not_admitted") }
            views.append(AddendumView(at: ShanghaiTime.dateTime(first.at),
                                      declined: req.text("addendum_declined", ["number": first.number, "name": first.nameMasked, "school": school(first.schoolBefore)]),
                                      moves: current.dropFirst().map { req.text("addendum_move", ["number": $0.number, "name": $0.nameMasked, "before": school($0.schoolBefore), "after": school($0.schoolAfter)]) }))
            current = []
        }
        for line in lines {
            if line.position == 0 { flush() }
            current.append(line)
        }
        flush()
        return views
    }

    struct CorrectionView: Encodable { let at: String; let number: String; let points: String; let reason: String; let changes: [String] }

    /// The corrections made to a round after an objection, each with what moved.
    static func correctionViews(_ req: Request, round: AllocationRound, schools: [String: String]) async throws -> [CorrectionView] {
        try await RoundCorrection.query(on: req.db).filter(\.$round.$id == round.requireID()).with(\.$changes).sort(\.$at).all().map { c in
            let school = { (code: String?) in code.map { schools[$0] ?? $0 } ?? req.text("publicity_not_admitted") }
            let changes = c.changes.sorted { $0.position < $1.position }.map {
                req.text("correction_change", ["number": $0.number, "before": school($0.schoolBefore), "after": school($0.schoolAfter)])
            }
            return CorrectionView(at: ShanghaiTime.dateTime(c.at), number: c.number,
                                  points: Points(hundredths: c.pointsBefore).description + " → " + Points(hundredths: c.pointsAfter).description,
                                  reason: c.reason, changes: changes)
        }
    }

    static func publicity(_ req: Request) async throws -> Response {
        let program = try await find(req)
        let round = try await findRound(req, program)
        return try await renderPublicity(req, program: program, round: round, objection: nil, problems: [], status: .ok)
    }

    static func renderPublicity(_ req: Request, program: Program, round: AllocationRound, objection: FormState?, problems: [String], status: HTTPStatus) async throws -> Response {
        let n = round.round
        let schools = Dictionary(uniqueKeysWithValues: try await Quota.query(on: req.db).filter(\.$program.$id == program.requireID()).with(\.$school).all()
            .map { ($0.school.code, $0.school.name) })
        let cutoffs = try await round.cutoffs(on: req.db).map { Cutoff(school: schools[$0.school] ?? $0.school, seats: $0.seats, admitted: $0.admitted, points: $0.points ?? "—") }
        let threshold = program.rules.threshold
        func base() -> QueryBuilder<AllocationResult> { AllocationResult.query(on: req.db).filter(\.$round.$id == round.id!) }
        let paging = Paging(page: req.query[Int.self, at: "page"], perPage: 50, total: try await base().count())
        let rows = try await base().sort(\.$rank).range(paging.offset..<(paging.offset + paging.perPage)).all()
        let corrections = try await correctionViews(req, round: round, schools: schools)
        let addendum = try await addendumViews(req, round: round, schools: schools)
        let user = req.currentUser
        let organiser = user.map { [.centerAdmin, .educationOfficer].contains($0.role) } ?? false
        let open = round.finalizedAt == nil && (today(req) <= round.publicityTo)
        var offers: String?
        if organiser, round.finalizedAt != nil, program.offerDays != nil {
            let counted = Dictionary(grouping: try await base().filter(\.$offer != nil).all(), by: { $0.offer! }).mapValues(\.count)
            offers = req.text("round_offers", ["pending": String(counted[.pending] ?? 0),
                                               "accepted": String((counted[.accepted] ?? 0) + (counted[.acceptedBySilence] ?? 0)),
                                               "declined": String((counted[.declined] ?? 0) + (counted[.declinedBySilence] ?? 0)),
                                               "closes": program.waitlistCloses.map { ShanghaiDate.long($0, req.language) } ?? ""])
        }
        let content = PublicityContent(
            title: program.title, round: n, period: round.publicityFrom.description + " – " + round.publicityTo.description, final: round.finalizedAt != nil,
            cutoffs: threshold == nil ? cutoffs : [], threshold: threshold?.description,
            rows: try await publicRows(req, rows, schools: schools, threshold: threshold),
            pager: Pager(paging) { SiteRoute.publicity(program.code, String(n)).path + "?page=\($0)" }, programLink: SiteRoute.program(program.code).path,
            corrections: corrections, addendum: addendum, offers: offers, objectionOpen: open, objectionAction: SiteRoute.publicityObjections(program.code, String(n)).path,
            objectionFields: {
                let form = objection ?? FormState(fields: ["name", "phone", "number", "text", "code"])
                return [
                    form.field("name", req.text("field_contact_name"), maxLength: 30, idPrefix: "o-"),
                    form.field("phone", req.text("field_phone"), .tel, maxLength: 11, idPrefix: "o-"),
                    form.field("number", req.text("publicity_number"), maxLength: 20, idPrefix: "o-"),
                    form.field("text", req.text("field_objection"), .textarea, maxLength: 1000, rows: 3, idPrefix: "o-"),
                    form.field("code", req.text("field_code"), .number, hint: req.text("form_code_hint"), maxLength: 6, autocomplete: "one-time-code", idPrefix: "o-"),
                ]
            }(),
            notice: req.query[String.self, at: "done"].map { req.text("publicity_done_" + $0) },
            isOrganiser: organiser, finalizeAction: SiteRoute.roundFinalize(program.code, String(n)).path, objectionsLink: SiteRoute.programObjections(program.code).path,
            printLink: SiteRoute.publicityPrint(program.code, String(n)).path,
            problems: problems)
        return try await req.render("programs/publicity", title: "publicity_title", content, status: status)
    }
}
