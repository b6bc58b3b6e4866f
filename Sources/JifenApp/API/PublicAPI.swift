import Fluent
import JifenCore
import Vapor

/// What anyone may read without a token: the standards in force (as the data the system scores
/// with and as the readable table), programs with their published quotas, the publicity lists of
/// rounds (masked, paged), consultations. Each answer carries an `ETag`.
enum PublicAPI {
    static func register(_ routes: any RoutesBuilder) {
        routes.api(.GET, .standards, access: .anyone, use: standards)
        routes.api(.GET, .standard(":code"), access: .anyone, use: standard)
        routes.api(.GET, .programs, access: .anyone, use: programs)
        routes.api(.GET, .program(":code"), access: .anyone, use: program)
        routes.api(.GET, .publicity(":code", ":round"), access: .anyone, use: publicity)
        routes.api(.GET, .consultations, access: .anyone, use: consultations)
        routes.api(.POST, .estimate, access: .anyone, use: estimate)
    }

    static func today(_ req: Request) -> CivilDate { ShanghaiDate.today(req.now) }

    // MARK: standards

    struct StandardSummary: Codable {
        let code, series, title, effectiveFrom: String
        let inForce: Bool
        let publishedAt: Date?
    }

    static func standards(_ req: Request) async throws -> Response {
        let paging = try ApiPaging(req)
        let current = Set(try await StandardVersion.allInForce(on: today(req), on: req.db).map(\.0.code))
        let published = try await StandardVersion.query(on: req.db).filter(\.$status != .draft).sort(\.$effectiveFrom, .descending).sort(\.$code)
            .range(paging.offset..<(paging.offset + paging.fetch)).all()
        return try ApiJSON.response(paging.page(published.map {
            StandardSummary(code: $0.code, series: $0.series, title: $0.title, effectiveFrom: $0.effectiveFrom.description,
                            inForce: current.contains($0.code), publishedAt: $0.publishedAt)
        }), etag: true, on: req)
    }

    struct StandardDocument: Encodable {
        let code, series, title, effectiveFrom: String
        let inForce: Bool
        /// The standard as the system scores with it (the YAML of `docs/scoring-standard-format.md`).
        let yaml: String
        let table: StandardTable
    }

    static func standard(_ req: Request) async throws -> Response {
        guard let code = req.parameters.get("code"), let version = try await StandardVersion.find(code: code, on: req.db), version.status != .draft else {
            throw ApiProblem.status(.notFound, req.application.catalog)
        }
        let parsed = try version.standard()
        let current = Set(try await StandardVersion.allInForce(on: today(req), on: req.db).map(\.0.code))
        return try ApiJSON.response(StandardDocument(code: version.code, series: version.series, title: version.title, effectiveFrom: version.effectiveFrom.description,
                                                     inForce: current.contains(version.code), yaml: version.yaml,
                                                     table: try await StandardTable.make(parsed, on: req)), etag: true, on: req)
    }

    // MARK: programs

    struct ProgramSummary: Codable {
        let code, title, kind: String
        let year: Int
        let opens, closes: String
        let open: Bool
        let quotasPublished: Bool
    }

    static func summary(_ p: Program, today: CivilDate) -> ProgramSummary {
        ProgramSummary(code: p.code, title: p.title, kind: p.kind.rawValue, year: p.year, opens: p.opens.description, closes: p.closes.description,
                       open: p.opens <= today && today <= p.closes, quotasPublished: p.quotaPublishedAt != nil)
    }

    static func programs(_ req: Request) async throws -> Response {
        let paging = try ApiPaging(req)
        let found = try await Program.query(on: req.db).sort(\.$year, .descending).sort(\.$opens, .descending).sort(\.$code)
            .range(paging.offset..<(paging.offset + paging.fetch)).all()
        return try ApiJSON.response(paging.page(found.map { summary($0, today: today(req)) }), etag: true, on: req)
    }

    struct ProgramDocument: Codable {
        struct Quota: Codable { let school, name, town: String; let seats: Int }
        struct Round: Codable { let round: Int; let publicityFrom, publicityTo: String; let final: Bool }
        let program: ProgramSummary
        let maxChoices: Int
        let requirePermit: Bool
        let minResidenceMonths: Int
        let minPermitMonths: Int
        let threshold: String?
        let standardSeries: String
        let choiceScope: String
        /// Published quotas only; empty until the bureau publishes them.
        let quotas: [Quota]
        let rounds: [Round]
    }

    static func program(_ req: Request) async throws -> Response {
        let program = try await ProgramsController.find(req)
        var quotas: [ProgramDocument.Quota] = []
        if program.quotaPublishedAt != nil {
            quotas = try await Quota.query(on: req.db).filter(\.$program.$id == program.requireID()).with(\.$school) { $0.with(\.$jurisdiction) }.all()
                .sorted { $0.school.code < $1.school.code }
                .map { ProgramDocument.Quota(school: $0.school.code, name: $0.school.name, town: $0.school.jurisdiction.name, seats: $0.seats) }
        }
        let rounds = try await AllocationRound.query(on: req.db).filter(\.$program.$id == program.requireID()).sort(\.$round).all().map {
            ProgramDocument.Round(round: $0.round, publicityFrom: $0.publicityFrom.description, publicityTo: $0.publicityTo.description, final: $0.finalizedAt != nil)
        }
        let rules = program.rules
        return try ApiJSON.response(ProgramDocument(
            program: summary(program, today: today(req)), maxChoices: program.maxChoices, requirePermit: program.requirePermit,
            minResidenceMonths: program.minResidenceMonths, minPermitMonths: program.minPermitMonths, threshold: rules.threshold?.description,
            standardSeries: program.standardSeries, choiceScope: program.choiceScope.rawValue, quotas: quotas, rounds: rounds), etag: true, on: req)
    }

    struct PublicityRow: Codable {
        let rank: Int
        let number: String
        let nameMasked: String
        let points: String
        /// The school placed at (school programs), nil when not placed.
        let school: String?
        let schoolName: String?
        /// Placed, or (programs with a points line) over the line.
        let admitted: Bool
        /// Placed ahead as a member of a priority group (the group is not shown).
        let priority: Bool
    }

    struct Publicity: Codable {
        struct Cutoff: Codable { let school, name: String; let seats, admitted: Int; let points: String? }
        let program: String
        let round: Int
        let publicityFrom, publicityTo: String
        let final: Bool
        let threshold: String?
        let cutoffs: [Cutoff]
        let items: [PublicityRow]
        let nextCursor: String?
    }

    /// A round's publicity list (公示), ranked, masked, 20 to 100 rows a page.
    static func publicity(_ req: Request) async throws -> Response {
        let program = try await ProgramsController.find(req)
        let paging = try ApiPaging(req, defaultLimit: 50)
        let round = try await ProgramsController.findRound(req, program)
        let n = round.round
        let schools = Dictionary(try await Quota.query(on: req.db).filter(\.$program.$id == program.requireID()).with(\.$school).all()
            .map { ($0.school.code, $0.school.name) }, uniquingKeysWith: { a, _ in a })
        let threshold = program.rules.threshold
        let rows = try await AllocationResult.query(on: req.db).filter(\.$round.$id == round.requireID()).sort(\.$rank).sort(\.$number)
            .range(paging.offset..<(paging.offset + paging.fetch)).all()
        let ahead = Set(try await ServiceApplication.query(on: req.db).filter(\.$id ~~ rows.map { $0.$application.id }).filter(\.$priority > 0).all().compactMap(\.id))
        let page = paging.page(rows.map { r in
            PublicityRow(rank: r.rank, number: r.number, nameMasked: r.nameMasked, points: Points(hundredths: r.points).description,
                         school: r.schoolCode, schoolName: r.schoolCode.map { schools[$0] ?? $0 }, admitted: r.qualified, priority: ahead.contains(r.$application.id))
        })
        let cutoffs = threshold != nil ? [] : try await round.cutoffs(on: req.db).map {
            Publicity.Cutoff(school: $0.school, name: schools[$0.school] ?? $0.school, seats: $0.seats, admitted: $0.admitted, points: $0.points)
        }
        return try ApiJSON.response(Publicity(program: program.code, round: n, publicityFrom: round.publicityFrom.description, publicityTo: round.publicityTo.description,
                                              final: round.finalizedAt != nil, threshold: threshold?.description, cutoffs: cutoffs,
                                              items: page.items, nextCursor: page.nextCursor), etag: true, on: req)
    }

    // MARK: consultations

    struct ConsultationItem: Codable {
        let code, title, notice, opens, closes: String
        let open: Bool
        let topics: [String]
    }

    static func consultations(_ req: Request) async throws -> Response {
        let paging = try ApiPaging(req)
        let found = try await Consultation.query(on: req.db).sort(\.$opens, .descending).sort(\.$code).range(paging.offset..<(paging.offset + paging.fetch)).all()
        let day = today(req)
        return try ApiJSON.response(paging.page(found.map {
            ConsultationItem(code: $0.code, title: $0.title, notice: $0.notice, opens: $0.opens.description, closes: $0.closes.description,
                             open: $0.opens <= day && day <= $0.closes, topics: $0.topics)
        }), etag: true, on: req)
    }

    // MARK: the self-estimate

    struct EstimateBody: Decodable {
        struct Entered: Decodable { let value: String?; let date: String? }
        let standard: String?
        let facts: [String: Entered]?
    }

    struct Estimate: Codable {
        let standard: String
        let asOf: String
        let total: String
        let eligible: Bool
        let vetoes: [String]
        let categories: [CitizenAPI.PointsView.Category]
        let lines: [CitizenAPI.PointsView.Line]
        let addable: [CitizenAPI.PointsView.Addable]
    }

    /// 积分自测: his points under a standard in force (its series, the general one by default) for
    /// the facts he enters, every line explained, and what he could still add. Nothing is stored.
    static func estimate(_ req: Request) async throws -> Response {
        let catalog = req.application.catalog
        let body = try ApiJSON.body(EstimateBody.self, req)
        let today = ShanghaiDate.today(req.now)
        let series = body.standard ?? ScoringStandard.generalSeries
        guard let (_, standard) = try await StandardVersion.allInForce(on: today, on: req.db).first(where: { $0.1.series == series }) else {
            throw ApiProblem.invalid([ApiProblem.field("standard", "api_standard_unknown", catalog)], catalog)
        }
        let entered = body.facts ?? [:]
        var problems = entered.keys.filter { standard.item($0) == nil }.sorted().map { ApiProblem.field("facts." + $0, "api_item_unknown", catalog) }
        let (facts, wrong) = EstimateController.facts(entered.mapValues { ($0.value ?? "", $0.date) }, standard: standard)
        problems += wrong.sorted { $0.key < $1.key }.map { ApiProblem.field("facts." + $0.key, wording: $0.value, catalog) }
        guard problems.isEmpty else { throw ApiProblem.invalid(problems, catalog) }
        let evaluation = Evaluator(standard).evaluate(Profile(id: "estimate", facts: facts), asOf: today)
        let explained = CitizenAPI.explanation(evaluation, standard)
        return try ApiJSON.response(Estimate(standard: standard.title, asOf: today.description, total: evaluation.total.description, eligible: evaluation.eligible,
                                             vetoes: evaluation.vetoes, categories: explained.categories, lines: explained.lines, addable: explained.addable), on: req)
    }
}
