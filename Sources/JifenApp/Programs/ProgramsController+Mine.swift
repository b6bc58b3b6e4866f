import Fluent
import JifenCore
import Vapor

/// 我的报名: the applicant's own page.
extension ProgramsController {
    // MARK: the applicant's own page

    struct ResultLine: Encodable { let choice: String; let school: String; let cutoff: String; let outcome: String; let mine: Bool }
    struct MyApplication: Encodable {
        let program, programLink, number: String
        let child, points: String?
        let summary: String
        let admitted: Bool
        /// A round has decided it: each choice shows its cutoff and what became of it (before,
        /// only the choices).
        let decided: Bool
        let lines: [ResultLine]
        /// The offer: what it stands at, and the forms to confirm or decline while pending.
        let offer: String?
        let offerAction: String?
        let editLink, publicityLink, secondLink: String?
        /// While the window is open: his place at each ranked school were it closed now.
        let live: [String]
        let liveNote: String?
    }

    static func mine(_ req: Request) async throws -> Response { try await render(req, problem: nil) }

    static func render(_ req: Request, problem: String?) async throws -> Response {
        let user = try req.requireUser()
        var items: [MyApplication] = []
        if let resident = user.residentID {
            for standing in try await ProgramService(req).standings(ofResident: resident) {
                let a = standing.application, program = a.program
                var summary = req.text("my_program_waiting", ["date": ShanghaiDate.long(program.closes)])
                if let result = standing.result {
                    summary = result.school.map { code in
                        req.text("my_program_admitted", ["school": standing.schoolNames[code] ?? code, "points": result.points.description, "rank": String(result.rank)])
                    } ?? req.text("my_program_not_admitted", ["points": result.points.description, "rank": String(result.rank)])
                }
                let lines = standing.lines.enumerated().map { k, line in
                    let outcome = switch line.outcome {
                    case .admitted?: req.text("my_program_line_admitted")
                    case .full?: req.text("my_program_line_full")
                    case .noSeats?: req.text("my_program_line_no_seats")
                    case .notNeeded?: req.text("my_program_line_not_needed")
                    case .waitlist?: req.text("my_program_line_waitlist")
                    case .released?: req.text("my_program_line_released")
                    case nil: ""
                    }
                    return ResultLine(choice: req.text("program_choice", ["n": String(k + 1)]), school: standing.schoolNames[line.school] ?? line.school,
                                      cutoff: standing.result == nil ? "" : (line.cutoff?.description ?? "—"), outcome: outcome,
                                      mine: line.outcome == .admitted || line.outcome == .waitlist)
                }
                var offer: String?
                if let result = standing.result, let state = result.offer {
                    offer = req.text("my_offer_" + state.rawValue, ["date": result.offerDue.map { ShanghaiDate.long($0, req.language) } ?? ""])
                    if state.isDecline, let released = standing.lines.first(where: { $0.outcome == .released }) {
                        summary = req.text("my_program_declined", ["school": standing.schoolNames[released.school] ?? released.school])
                    }
                }
                var live: [String] = [], liveNote: String?
                if standing.result == nil, program.kind.isSchool, program.quotaPublishedAt != nil, today(req) >= program.opens, today(req) <= program.closes {
                    let now = try await LiveStanding.current(program, service: ProgramService(req))
                    live = (now.places[a.number]?.places ?? []).map { place in
                        req.text("live_place", ["school": standing.schoolNames[place.school] ?? place.school, "n": String(place.position), "seats": String(place.seats)])
                    }
                    liveNote = req.text("live_note", ["time": ShanghaiTime.format(now.computedAt, "HH:mm")])
                }
                items.append(MyApplication(program: program.title, programLink: SiteRoute.program(program.code).path, number: a.number, child: a.child?.nameMasked,
                                           points: a.points.map { Points(hundredths: $0).description }, summary: summary, admitted: standing.result?.school != nil,
                                           decided: standing.result != nil, lines: lines,
                                           offer: offer, offerAction: standing.result?.offer == .pending ? SiteRoute.myProgramOffer(a.number).path : nil,
                                           editLink: standing.canRerank ? SiteRoute.programApply(program.code).path : nil,
                                           publicityLink: standing.round.map { SiteRoute.publicity(program.code, String($0.round)).path },
                                           secondLink: standing.canRankSecond ? SiteRoute.programSecond(program.code).path : nil, live: live, liveNote: liveNote))
            }
        }
        struct Content: Encodable { let items: [MyApplication]; let programsLink: String; let notice: String?; let problem: String? }
        return try await req.render("programs/me-programs", title: "my_programs_title",
                                    Content(items: items, programsLink: SiteRoute.programs.path, notice: req.query[String.self, at: "done"].map { req.text("program_done_" + $0) },
                                            problem: problem), status: problem == nil ? .ok : .badRequest)
    }

    struct OfferForm: Decodable { var answer: String? }

    /// The family confirms or declines its place; a decline moves the waitlist at once.
    static func answerOffer(_ req: Request) async throws -> Response {
        let user = try req.requireUser()
        guard let number = req.parameters.get("number"), let resident = try await Resident.find(user: user.id, on: req.db),
              let application = try await ServiceApplication.query(on: req.db).filter(\.$number == number).filter(\.$resident.$id == resident.requireID()).first(),
              let row = try await AllocationResult.query(on: req.db).filter(\.$application.$id == application.requireID()).filter(\.$offer != nil)
                .join(AllocationRound.self, on: \AllocationResult.$round.$id == \AllocationRound.$id).sort(AllocationRound.self, \.$round, .descending).first()
        else { throw Abort(.notFound) }
        guard let answer = OfferService.Answer(rawValue: (try? req.content.decode(OfferForm.self))?.answer ?? "") else {
            return try await render(req, problem: req.text("problem_choose", ["field": req.text("field_offer_answer")]))
        }
        switch try await OfferService(req).answer(row, answer) {
        case .success: return req.redirect(to: SiteRoute.myPrograms.path + "?done=" + (answer == .accept ? "offerAccepted" : "offerDeclined"))
        case .failure(.overdue): return try await render(req, problem: req.text("my_offer_overdue"))
        case .failure(.notPending): return try await render(req, problem: req.text("my_offer_answered"))
        }
    }
}
