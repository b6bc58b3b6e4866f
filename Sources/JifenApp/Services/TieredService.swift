import Fluent
import JifenCore
import Vapor

/// A service given by points (梯度服务): public rental housing, 市民卡 benefits such as public
/// bikes, parks, buses, women's health checks. Everyone whose points under `series` reach `line`
/// may use it.
final class TieredService: Model, @unchecked Sendable {
    static let schema = "tiered_services"

    // managed fields
    @ID(key: .id) var id: UUID?
    @Field(key: "created_at") var createdAt: Date

    // data fields
    @Field(key: "code") var code: String
    @Field(key: "title") var title: String
    /// What it gives (免押金借用公共自行车, 园林年卡半价…).
    @Field(key: "gives") var gives: String
    /// Who provides it (市公共自行车公司, 市园林局…).
    @Field(key: "provider") var provider: String
    /// Hundredths of a point.
    @Field(key: "line") var line: Int64
    /// The standard series whose points count.
    @Field(key: "series") var series: String
    @Field(key: "created_by") var createdBy: String

    // Listed rather than found by reflection on every row read (ModelPropertiesTests checks the list).
    var properties: [any AnyProperty] { [$id, $createdAt, $code, $title, $gives, $provider, $line, $series, $createdBy] }

    init() {}

    init(code: String, title: String, gives: String, provider: String, line: Points, series: String = ScoringStandard.generalSeries, by login: String, at now: Date) {
        self.createdAt = now
        self.code = code
        self.title = title
        self.gives = gives
        self.provider = provider
        self.line = line.hundredths
        self.series = series
        self.createdBy = login
    }
}

/// `/services-by-points`: every service and its points line; a citizen sees which his points reach
/// today and how many the next one needs; the affairs center adds services.
enum TieredServicesController {
    static func register(_ routes: any RoutesBuilder) {
        routes.get(.tieredServices, access: .anyone, use: page).cachedForVisitors()
        routes.post(.tieredServices, access: .roles([.centerAdmin]), use: add)
    }

    static let fields = ["code", "title", "gives", "provider", "line", "series"]

    struct Row: Encodable {
        let code, title, gives, provider, line, standard: String
        /// For a citizen: reached, or the points still needed.
        let reached: Bool?
        let needed: String?
    }

    struct Content: Encodable {
        let rows: [Row]
        /// "您的积分可享受 3 项服务；下一项「公共租赁住房」还需 12 分".
        let summary: String?
        let canAdd: Bool
        let form: FormState
        let fields: [FormField]
        let action: String
    }

    static func page(_ req: Request) async throws -> Response { try await render(req, form: nil, status: .ok) }

    static func render(_ req: Request, form: FormState?, status: HTTPStatus) async throws -> Response {
        let services = try await TieredService.query(on: req.db).sort(\.$line).sort(\.$code).all()
        let today = ShanghaiDate.today(req.now)
        let inForce = try await StandardVersion.allInForce(on: today, on: req.db).map(\.1)
        let titles = Dictionary(inForce.map { ($0.series, $0.title) }, uniquingKeysWith: { a, _ in a })
        // The citizen's total under each series, from his archive of this year.
        var totals: [String: Points] = [:]
        if req.currentUser?.role == .citizen, let user = req.currentUser, let resident = try await Resident.find(user: user.id, on: req.db),
           let archive = try await PointsArchive.query(on: req.db).filter(\.$resident.$id == resident.requireID()).first(),
           archive.status == .active, archive.year == today.year {
            let points = PointsService(req)
            for series in Set(services.map(\.series)) {
                if series == ScoringStandard.generalSeries { totals[series] = Points(hundredths: archive.total) }
                else if let (e, _) = try await points.evaluation(of: archive, series: series), e.eligible { totals[series] = e.total }
            }
        }
        var standings: [String: ServiceLadder.Standing] = [:]
        for (series, total) in totals {
            standings[series] = ServiceLadder.standing(total, on: services.filter { $0.series == series }.map { .init(code: $0.code, line: Points(hundredths: $0.line)) })
        }
        let rows = services.map { s in
            let standing = standings[s.series]
            let reached = standing.map { $0.reached.contains(s.code) }
            let needed = totals[s.series].flatMap { total in reached == false ? (Points(hundredths: s.line) - total).description : nil }
            return Row(code: s.code, title: s.title, gives: s.gives, provider: s.provider, line: Points(hundredths: s.line).description,
                       standard: titles[s.series] ?? s.series, reached: reached, needed: needed)
        }
        var summary: String?
        if !totals.isEmpty {
            let reached = standings.values.reduce(0) { $0 + $1.reached.count }
            let next = standings.values.compactMap(\.next).min { $0.needed < $1.needed }
            summary = req.text(next == nil ? "services_summary_all" : "services_summary", [
                "n": String(reached), "next": next.flatMap { n in services.first { $0.code == n.code }?.title } ?? "", "needed": next?.needed.description ?? "",
            ])
        }
        let canAdd = req.currentUser?.role == .centerAdmin
        let form = form ?? FormState(fields: fields, values: ["series": ScoringStandard.generalSeries])
        return try await req.render("services/services", title: "services_title", Content(
            rows: rows, summary: summary, canAdd: canAdd, form: form,
            fields: canAdd ? [
                form.field("code", req.text("field_service_code"), hint: req.text("program_code_rule"), maxLength: 40, idPrefix: "sv-"),
                form.field("title", req.text("field_service_title"), maxLength: 60, idPrefix: "sv-"),
                form.field("gives", req.text("field_service_gives"), maxLength: 120, idPrefix: "sv-"),
                form.field("provider", req.text("field_service_provider"), maxLength: 60, idPrefix: "sv-"),
                form.field("line", req.text("field_service_line"), .decimal, idPrefix: "sv-"),
                form.field("series", req.text("field_program_standardSeries"), .select, options: inForce.map { ($0.series, $0.title) }, idPrefix: "sv-"),
            ] : [],
            action: SiteRoute.tieredServices.path), status: status)
    }

    static func add(_ req: Request) async throws -> Response {
        let input = (try? req.content.decode([String: String].self)) ?? [:]
        var form = FormState(fields: fields, values: Dictionary(uniqueKeysWithValues: fields.map { ($0, (input[$0] ?? "").trimmingCharacters(in: .whitespaces)) }))
        let code = form.values["code"] ?? ""
        if !isValidRecordCode(code) { form.fail("code", req.text("program_code_rule")) }
        else if try await TieredService.query(on: req.db).filter(\.$code == code).first() != nil { form.fail("code", req.text("services_code_taken")) }
        form.requireText("title", label: "field_service_title", max: 60, on: req)
        form.requireText("gives", label: "field_service_gives", max: 120, on: req)
        form.requireText("provider", label: "field_service_provider", max: 60, on: req)
        let line = Decimal2(parsing: form.values["line"] ?? "")
        if line == nil || line! < .zero { form.fail("line", req.text("program_number", ["field": req.text("field_service_line")])) }
        let series = form.values["series"] ?? ""
        if try await StandardVersion.inForce(on: ShanghaiDate.today(req.now), series: series, on: req.db) == nil {
            form.fail("series", req.text("program_standard_missing"))
        }
        guard form.isValid, let line else { return try await render(req, form: form, status: .badRequest) }
        let service = TieredService(code: code, title: form.values["title"] ?? "", gives: form.values["gives"] ?? "", provider: form.values["provider"] ?? "",
                                    line: line, series: series, by: req.actor.login, at: req.now)
        let actor = req.actor, now = req.now
        try await req.db.transaction { db in
            try await service.create(on: db)
            try await Audit.record("create", entity: "tieredService", id: code, after: ["title": service.title, "line": line.description, "series": series],
                                   by: actor, at: now, on: db)
        }
        return req.redirect(to: SiteRoute.tieredServices.path)
    }
}
