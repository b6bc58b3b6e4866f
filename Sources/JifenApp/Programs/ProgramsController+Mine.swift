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
        let lines: [ResultLine]
        let editLink, publicityLink, secondLink: String?
    }

    static func mine(_ req: Request) async throws -> Response {
        let user = try req.requireUser()
        var items: [MyApplication] = []
        if let resident = try await Resident.find(user: user.id, on: req.db) {
            let applications = try await ServiceApplication.query(on: req.db).filter(\.$resident.$id == resident.requireID()).with(\.$program).with(\.$child).with(\.$ranking).sort(\.$createdAt, .descending).all()
            for a in applications {
                let program = a.program
                let schools = Dictionary(uniqueKeysWithValues: try await Quota.query(on: req.db).filter(\.$program.$id == program.requireID()).with(\.$school).all().map { ($0.school.code, $0.school.name) })
                // The latest round he took part in (the second round concerns only those not placed).
                let rounds = try await AllocationRound.query(on: req.db).filter(\.$program.$id == program.requireID()).sort(\.$round, .descending).all()
                var round: AllocationRound?
                for r in rounds where try await AllocationResult.query(on: req.db).filter(\.$round.$id == r.requireID()).filter(\.$application.$id == a.requireID()).count() > 0 {
                    round = r
                    break
                }
                var summary = req.text("my_program_waiting", ["date": ShanghaiDate.long(program.closes)])
                var lines: [ResultLine] = []
                var admitted = false
                if let round, let row = try await AllocationResult.query(on: req.db).filter(\.$round.$id == round.requireID()).filter(\.$application.$id == a.requireID()).first() {
                    let cutoffs = Dictionary(uniqueKeysWithValues: try await round.cutoffs(on: req.db).map { ($0.school, $0.points ?? "—") })
                    admitted = row.schoolCode != nil
                    summary = admitted
                        ? req.text("my_program_admitted", ["school": schools[row.schoolCode!] ?? row.schoolCode!, "points": Points(hundredths: row.points).description, "rank": String(row.rank)])
                        : req.text("my_program_not_admitted", ["points": Points(hundredths: row.points).description, "rank": String(row.rank)])
                    // The schools of that round's list (round 2: his new ranking, or the schools of
                    // his town he was placed by), each with what the round's trace says it did.
                    let steps = try await round.steps(of: a.number, on: req.db)
                    let second = a.schools(round: 2)
                    let ranked = round.round == 1 ? a.schoolCodes : (second.isEmpty ? steps.map(\.schoolCode) : second)
                    for code in ranked {
                        let outcome = switch steps.first(where: { $0.schoolCode == code })?.outcome {
                        case .admitted: req.text("my_program_line_admitted")
                        case .full: req.text("my_program_line_full")
                        case .noSeats: req.text("my_program_line_no_seats")
                        case nil: req.text("my_program_line_not_needed")
                        }
                        lines.append(ResultLine(choice: req.text("program_choice", ["n": String(lines.count + 1)]), school: schools[code] ?? code,
                                                cutoff: cutoffs[code] ?? "—", outcome: outcome, mine: code == row.schoolCode))
                    }
                } else {
                    lines = a.schoolCodes.enumerated().map { k, code in
                        ResultLine(choice: req.text("program_choice", ["n": String(k + 1)]), school: schools[code] ?? code, cutoff: "", outcome: "", mine: false)
                    }
                }
                let open = today(req) <= program.closes
                // Not placed in a final first round, and the second not run yet: he may rank again.
                var secondLink: String?
                if let round, round.round == 1, round.finalizedAt != nil, program.kind.isSchool,
                   let row = try await AllocationResult.query(on: req.db).filter(\.$round.$id == round.requireID()).filter(\.$application.$id == a.requireID()).first(),
                   row.schoolCode == nil {
                    secondLink = SiteRoute.programSecond(program.code).path
                }
                items.append(MyApplication(program: program.title, programLink: SiteRoute.program(program.code).path, number: a.number, child: a.child?.nameMasked,
                                           points: a.points.map { Points(hundredths: $0).description }, summary: summary, admitted: admitted, lines: lines,
                                           editLink: open ? SiteRoute.programApply(program.code).path : nil, publicityLink: round.map { SiteRoute.publicity(program.code, String($0.round)).path },
                                           secondLink: secondLink))
            }
        }
        struct Content: Encodable { let items: [MyApplication]; let programsLink: String; let notice: String? }
        return try await req.render("programs/me-programs", title: "my_programs_title",
                                    Content(items: items, programsLink: SiteRoute.programs.path, notice: req.query[String.self, at: "done"].map { req.text("program_done_" + $0) }))
    }
}
