import Fluent
import JifenCore
import Vapor

/// 报名情况: while the window is open, each school's seats, how many rank it first, second…, and
/// last year's cutoff — counts only, never an applicant.
extension ProgramsController {
    struct DemandRow: Encodable { let code, name: String; let seats: Int; let byRank: [Int]; let lastCutoff: String }

    static func demand(_ req: Request) async throws -> Response {
        let program = try await find(req)
        guard program.kind.isSchool, program.quotaPublishedAt != nil else { throw Abort(.notFound) }
        let standing = try await LiveStanding.current(program, service: ProgramService(req))
        let names = try await program.schoolNames(on: req.db)
        // Last year's program of the same level: its first round's cutoff at each school.
        var cutoffs: [String: String] = [:]
        if let last = try await Program.query(on: req.db).filter(\.$year == program.year - 1).all().first(where: { $0.kind == program.kind }),
           let round = try await AllocationRound.query(on: req.db).filter(\.$program.$id == last.requireID()).filter(\.$round == 1).first() {
            for school in try await RoundSchool.query(on: req.db).filter(\.$round.$id == round.requireID()).all() {
                cutoffs[school.schoolCode] = school.cutoffPoints.map { Points(hundredths: $0).description }
            }
        }
        let choices = max(1, program.maxChoices)
        let rows = standing.demand.keys.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }.map { code in
            let d = standing.demand[code]!
            return DemandRow(code: code, name: names[code] ?? code, seats: d.seats, byRank: (0..<choices).map { $0 < d.byRank.count ? d.byRank[$0] : 0 }, lastCutoff: cutoffs[code] ?? "—")
        }
        struct Content: Encodable {
            let title, programLink, computed, safe: String
            let ranks: [String]
            let rows: [DemandRow]
            let applicants: Int
        }
        return try await req.render("programs/demand", title: "demand_title", Content(
            title: program.title, programLink: SiteRoute.program(program.code).path,
            computed: req.text("live_note", ["time": ShanghaiTime.format(standing.computedAt, "HH:mm")]), safe: req.text("live_safe"),
            ranks: (1...choices).map { req.text("program_choice", ["n": String($0)]) }, rows: rows, applicants: standing.places.count))
    }
}
