import Fluent
import JifenCore
import Vapor

/// Policy simulation (政策模拟): pick a program year and a draft standard; a job scores that
/// year's applicants again under the draft, allocates again, and reports what would change.
/// Nothing is written to live data; the result lives in the job row.
enum SimulationController {
    static let viewers: Access = .roles([.centerAdmin, .educationOfficer])
    static let kind = "simulation"

    static func register(_ routes: any RoutesBuilder) {
        routes.get(.simulate, access: viewers, use: page)
        routes.post(.simulate, access: viewers, use: start)
        routes.get(.simulationJob(":id"), access: viewers, use: job)
    }

    struct Payload: Codable, Sendable, Equatable { let program: String; let draft: String }

    /// What the result page shows, stored as JSON in the job.
    struct Report: Codable, Sendable, Equatable {
        struct Person: Codable, Sendable, Equatable { let name: String; let town: String; let before: String; let after: String; let schoolBefore: String; let schoolAfter: String }
        struct Count: Codable, Sendable, Equatable { let label: String; let count: Int }
        struct Shift: Codable, Sendable, Equatable { let label: String; let up: Int; let down: Int }
        struct Cutoff: Codable, Sendable, Equatable { let school: String; let before: String; let after: String }
        let program, current, draft: String
        let applicants, changed: Int
        let byTown: [Count]
        let categories: [Shift]
        let gainers, losers: [Person]
        let cutoffs: [Cutoff]
        let bandWidth: Int
        let before, after: [Int]
    }

    struct Content: Encodable { let fields: [FormField]; let action: String }

    static func page(_ req: Request) async throws -> Response { try await render(req, form: nil, status: .ok) }

    /// The form: a school program and the standard (by default the newest draft) to try on it.
    static func render(_ req: Request, form given: FormState?, status: HTTPStatus) async throws -> Response {
        let programs = try await Program.query(on: req.db).sort(\.$year, .descending).all().filter { $0.kind.isSchool }
        let versions = try await StandardVersion.query(on: req.db).sort(\.$createdAt, .descending).all()
        let form = given ?? FormState(fields: ["program", "draft"], values: ["program": programs.first?.code ?? "",
                                                                           "draft": versions.first { $0.status == .draft }?.code ?? ""])
        let content = Content(fields: [
            form.field("program", req.text("programs_title"), .select, options: programs.map { ($0.code, $0.title) }),
            form.field("draft", req.text("simulate_draft"), .select,
                       options: versions.map { ($0.code, $0.title + "（" + req.text("standard_status_" + $0.status.rawValue) + "）") }),
        ], action: SiteRoute.simulate.path)
        return try await req.render("insight/simulate", title: "simulate_title", content, status: status)
    }

    static func start(_ req: Request) async throws -> Response {
        let program = (try? req.content.get(String.self, at: "program")) ?? ""
        let draft = (try? req.content.get(String.self, at: "draft")) ?? ""
        var form = FormState(fields: ["program", "draft"], values: ["program": program, "draft": draft])
        if try await Program.query(on: req.db).filter(\.$code == program).first() == nil { form.fail("program", req.text("problem_choose", ["field": req.text("programs_title")])) }
        if try await StandardVersion.find(code: draft, on: req.db) == nil { form.fail("draft", req.text("problem_choose", ["field": req.text("simulate_draft")])) }
        guard form.isValid else { return try await render(req, form: form, status: .badRequest) }
        let job = Job()
        job.createdAt = req.now
        job.kind = kind
        job.status = .queued
        job.done = 0
        job.total = 0
        job.createdBy = req.actor.login
        job.payload = .simulation(Payload(program: program, draft: draft))
        try await job.create(on: req.db)
        return req.redirect(to: SiteRoute.simulationJob(job.id!.uuidString).path)
    }

    /// The applicants of `program` as the simulation sees them: the confirmed facts of their
    /// points archives, the town they live in, their ranking.
    static func applicants(_ program: Program, on db: any Database,
                           progress: (Int, Int) async throws -> Void = { _, _ in }) async throws -> [PolicySimulation.Applicant] {
        let applications = try await ServiceApplication.query(on: db).filter(\.$program.$id == program.requireID()).with(\.$resident).all()
        try await ServiceApplication.loadRankings(applications, on: db)
        let towns = Dictionary(uniqueKeysWithValues: try await Jurisdiction.query(on: db).filter(\.$level == JurisdictionLevel.town.rawValue).all().map { ($0.code, $0.name) })
        var result: [PolicySimulation.Applicant] = []
        result.reserveCapacity(applications.count)
        var standards: [String: ScoringStandard] = [:]
        // In chunks, a handful of queries each (archives, their applications, claims, where
        // people live), so a city's year reads in seconds.
        for start in stride(from: 0, to: applications.count, by: 500) {
            let chunk = Array(applications[start..<min(start + 500, applications.count)])
            let residents = chunk.map(\.$resident.id)
            let archives = Dictionary(try await PointsArchive.query(on: db).filter(\.$resident.$id ~~ residents).filter(\.$status == .active).all()
                .map { ($0.$resident.id, $0) }, uniquingKeysWith: { a, _ in a })
            let applicationIDs = archives.values.compactMap(\.$application.id)
            let codes = Dictionary(uniqueKeysWithValues: try await PointsApplication.query(on: db).filter(\.$id ~~ applicationIDs).all().map { ($0.id!, $0.standardCode) })
            let claims = Dictionary(grouping: try await PointsClaim.query(on: db).filter(\.$application.$id ~~ applicationIDs).sort(\.$createdAt).all(), by: \.$application.id)
            let grids = Dictionary(try await ResidenceRegistration.query(on: db).filter(\.$resident.$id ~~ residents).filter(\.$toDate == nil)
                .filter(\.$status == .verified).with(\.$jurisdiction).all().map { ($0.$resident.id, $0.jurisdiction.code) }, uniquingKeysWith: { a, _ in a })
            for a in chunk {
                var facts: [String: [Fact]] = [:]
                if let applicationID = archives[a.$resident.id]?.$application.id, let code = codes[applicationID] {
                    let standard: ScoringStandard
                    if let known = standards[code] { standard = known } else {
                        standard = try await PointsService.standard(code: code, on: db)
                        standards[code] = standard
                    }
                    for claim in claims[applicationID] ?? [] {
                        if let item = standard.item(claim.item), let fact = claim.claim(for: item)?.confirmedFact { facts[claim.item, default: []].append(fact) }
                    }
                }
                let town = grids[a.$resident.id].flatMap(JurisdictionCode.init)?.parent?.parent.flatMap { towns[$0.rawValue] } ?? "—"
                result.append(PolicySimulation.Applicant(id: a.number, name: Mask.name(a.resident.name), town: town, facts: facts,
                                                         submittedAt: Instant(seconds: Int64(a.submittedAt.timeIntervalSince1970.rounded(.down))),
                                                         preferences: a.schoolCodes))
            }
            try await progress(result.count, applications.count)
        }
        return result
    }

    static func run(_ job: Job, app: Application) async throws {
        guard case .simulation(let payload) = job.payload else { throw Abort(.internalServerError, reason: "not a simulation") }
        let db = app.db
        guard let program = try await Program.query(on: db).filter(\.$code == payload.program).first(),
              let draftVersion = try await StandardVersion.find(code: payload.draft, on: db) else { throw Abort(.notFound) }
        let draft = try draftVersion.standard()
        // Reading each applicant's archive is the slow part: the job row shows how far it got
        // (the page reloads itself), then scoring and both allocations take a moment.
        let people = try await applicants(program, on: db) { done, total in
            job.done = done
            job.total = total + 1
            try await job.save(on: db)
        }
        // The standard the applicants were ranked under: that of their points applications, or
        // the version in force of the series a program ranked by another standard names.
        var current: ScoringStandard?
        if program.standardSeries != ScoringStandard.generalSeries {
            current = try await StandardVersion.inForce(on: ShanghaiDate.today(app.effects.now()), series: program.standardSeries, on: db)?.1
        } else if let first = try await ServiceApplication.query(on: db).filter(\.$program.$id == program.requireID()).first(),
           let archive = try await PointsArchive.query(on: db).filter(\.$resident.$id == first.$resident.id).first(),
           let application = try await archive.$application.get(on: db) {
            current = try await PointsService.standard(code: application.standardCode, on: db)
        }
        if current == nil { current = try await StandardVersion.inForce(on: ShanghaiDate.today(app.effects.now()), on: db)?.1 }
        guard let current else { throw Abort(.notFound) }
        var seats: [String: Int] = [:]
        var names: [String: String] = [:]
        for q in try await Quota.query(on: db).filter(\.$program.$id == program.requireID()).with(\.$school).all() {
            seats[q.school.code] = q.seats
            names[q.school.code] = q.school.name
        }
        job.done = people.count
        job.total = people.count + 1
        try await job.save(on: db)
        let asOf = program.closes
        let r = PolicySimulation.run(people, seats: seats, current: current, draft: draft, tiebreak: program.tiebreakKeys, asOf: asOf)
        let text = { (key: String) in app.catalog.text(key, .zh) }
        func person(_ p: PolicySimulation.Person) -> Report.Person {
            Report.Person(name: p.name, town: p.town, before: p.before.description, after: p.after.description,
                          schoolBefore: p.schoolBefore.map { names[$0] ?? $0 } ?? text("publicity_not_admitted"),
                          schoolAfter: p.schoolAfter.map { names[$0] ?? $0 } ?? text("publicity_not_admitted"))
        }
        let byTown: [Report.Count] = r.changedByTown.map { Report.Count(label: $0.town, count: $0.count) }
        let shifts: [Report.Shift] = r.categories.filter { $0.up + $0.down > 0 }.map { Report.Shift(label: $0.title, up: $0.up, down: $0.down) }
        let gainers: [Report.Person] = r.gainers.prefix(50).map(person)
        let losers: [Report.Person] = r.losers.prefix(50).map(person)
        var cutoffs: [Report.Cutoff] = []
        for c in r.cutoffs where c.before != c.after {
            cutoffs.append(Report.Cutoff(school: names[c.school] ?? c.school, before: c.before?.description ?? "—", after: c.after?.description ?? "—"))
        }
        let report = Report(program: program.title, current: current.title, draft: draft.title, applicants: r.applicants, changed: r.changed,
                            byTown: byTown, categories: shifts, gainers: gainers, losers: losers, cutoffs: cutoffs,
                            bandWidth: r.bandWidth, before: r.distributionBefore, after: r.distributionAfter)
        job.done = job.total
        job.result = .simulation(report)
        job.status = .done
        job.finishedAt = app.effects.now()
        try await job.save(on: db)
    }

    struct JobContent: Encodable {
        let running: Bool
        let status: String
        let done, total: Int
        let report: Report?
        let distribution: String
        let distributionRows: [[String]]
        let townChart: String
        let error: String?
    }

    static func job(_ req: Request) async throws -> Response {
        guard let id = req.parameters.get("id", as: UUID.self), let job = try await Job.find(id, on: req.db), job.kind == kind else { throw Abort(.notFound) }
        let report = job.result?.simulation
        let running = job.status == .queued || job.status == .running
        var distribution = "", rows: [[String]] = [], townChart = ""
        if let report {
            let labels = report.before.indices.map { "\($0 * report.bandWidth)–\($0 * report.bandWidth + report.bandWidth - 1)" }
            distribution = Chart.bars(title: req.text("simulate_distribution"), labels: labels,
                                      series: [Chart.Series(name: req.text("simulate_before"), values: report.before.map(Double.init), color: Chart.grey),
                                               Chart.Series(name: req.text("simulate_after"), values: report.after.map(Double.init), color: Chart.red)], for: req)
            rows = labels.indices.map { [labels[$0], String(report.before[$0]), String(report.after[$0])] }
            townChart = Chart.bars(title: req.text("simulate_by_town"), labels: report.byTown.map(\.label),
                                   series: [Chart.Series(name: req.text("simulate_changed"), values: report.byTown.map { Double($0.count) }, color: Chart.red)], for: req)
        }
        let content = JobContent(running: running, status: req.text("job_" + job.status.rawValue), done: job.done, total: job.total, report: report,
                                 distribution: distribution, distributionRows: rows, townChart: townChart, error: job.error)
        let response = try await req.render("insight/simulate-result", title: "simulate_title", content)
        if running { response.headers.replaceOrAdd(name: "Refresh", value: "2") }
        return response
    }
}
