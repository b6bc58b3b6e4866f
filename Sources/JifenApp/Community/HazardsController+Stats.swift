import Fluent
import JifenCore
import Vapor

/// The hazards' figures (处理率, overdue by department and by town, by kind and area) and the
/// table of kinds the centre edits. A report: it reads every hazard the viewer may see.
extension HazardsController {
    struct Figures: Encodable {
        let name: String
        var total = 0, open = 0, overdue = 0, closed = 0, closedLate = 0, dismissed = 0
        /// 处理率: closed of those not dismissed, in per cent.
        var rate: String {
            let reached = total - dismissed
            return reached == 0 ? "—" : String(format: "%.1f%%", Double(closed) * 100 / Double(reached))
        }

        init(name: String) { self.name = name }

        mutating func count(_ h: Hazard, today: CivilDate) {
            total += 1
            if h.status == .dismissed { dismissed += 1 }
            else if h.status == .accepted { closed += 1; if h.closedLate { closedLate += 1 } }
            else { open += 1 }
            if h.isOverdue(today: today) { overdue += 1 }
        }

        enum CodingKeys: String, CodingKey { case name, total, open, overdue, closed, closedLate, rate }
        func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(name, forKey: .name)
            try c.encode(total, forKey: .total)
            try c.encode(open, forKey: .open)
            try c.encode(overdue, forKey: .overdue)
            try c.encode(closed, forKey: .closed)
            try c.encode(closedLate, forKey: .closedLate)
            try c.encode(rate, forKey: .rate)
        }
    }

    /// One table of figures: by department, by town, by kind (with its chart).
    struct Group: Encodable { let id, title: String; let rows: [Figures]; let chart: String? }

    struct StatsContent: Encodable {
        let all: Figures
        let departments, towns, kinds: [Figures]
        let groups: [Group]
        /// Kinds (rows) by town (columns).
        let areaHeader: [String]
        let areaRows: [AreaRow]
        let csvLink, listLink: String
    }

    struct AreaRow: Encodable { let kind: String; let counts: [Int] }

    static func figures(_ req: Request) async throws -> StatsContent {
        let day = today(req)
        let hazards = try await visible(req).with(\.$jurisdiction).all()
        let (types, departments) = try await names(req)
        let kinds = try await HazardType.query(on: req.db).sort(\.$position).all()
        let townCodes = Set(hazards.compactMap { $0.jurisdiction.jurisdictionCode?.parent?.parent?.rawValue })
        let towns = Dictionary(uniqueKeysWithValues: try await Jurisdiction.query(on: req.db).filter(\.$code ~~ Array(townCodes)).all().map { ($0.code, $0.name) })
        var all = Figures(name: req.text("hazard_stats_all"))
        var byDepartment: [String: Figures] = [:], byTown: [String: Figures] = [:], byKind: [String: Figures] = [:]
        var area: [String: [String: Int]] = [:]
        for h in hazards {
            all.count(h, today: day)
            if let d = h.departmentCode { byDepartment[d, default: Figures(name: departments[d] ?? d)].count(h, today: day) }
            let town = h.jurisdiction.jurisdictionCode?.parent?.parent?.rawValue ?? ""
            byTown[town, default: Figures(name: towns[town] ?? town)].count(h, today: day)
            byKind[h.typeCode, default: Figures(name: types[h.typeCode] ?? h.typeCode)].count(h, today: day)
            area[h.typeCode, default: [:]][town, default: 0] += 1
        }
        let townOrder = byTown.keys.sorted()
        let kindRows = kinds.map { byKind[$0.code] ?? Figures(name: $0.name) }
        let labels = kindRows.map(\.name)
        let series = [Chart.Series(name: req.text("hazard_stats_total"), values: kindRows.map { Double($0.total) }, color: "#b3261e"),
                      Chart.Series(name: req.text("hazard_stats_closed"), values: kindRows.map { Double($0.closed) }, color: "#2e7d32")]
        let departmentRows = byDepartment.values.sorted { ($0.overdue, $0.total, $1.name) > ($1.overdue, $1.total, $0.name) }
        let townRows = townOrder.compactMap { byTown[$0] }
        let chart = Chart.bars(title: req.text("hazard_stats_chart"), labels: labels, series: series, for: req)
        return StatsContent(
            all: all,
            departments: departmentRows, towns: townRows, kinds: kindRows,
            groups: [Group(id: "by-department", title: req.text("hazard_stats_by_department"), rows: departmentRows, chart: nil),
                     Group(id: "by-town", title: req.text("hazard_stats_by_town"), rows: townRows, chart: nil),
                     Group(id: "by-kind", title: req.text("hazard_stats_by_kind"), rows: kindRows, chart: chart)],
            areaHeader: townOrder.map { towns[$0] ?? $0 },
            areaRows: kinds.map { k in AreaRow(kind: k.name, counts: townOrder.map { area[k.code]?[$0] ?? 0 }) },
            csvLink: SiteRoute.hazardStatsCSV.path, listLink: SiteRoute.hazards.path)
    }

    static func stats(_ req: Request) async throws -> Response {
        try await req.render("community/hazard-stats", title: "hazard_stats_title", try await figures(req))
    }

    static func statsCSV(_ req: Request) async throws -> Response {
        let f = try await figures(req)
        func row(_ group: String, _ x: Figures) -> [String] {
            [group, x.name, String(x.total), String(x.open), String(x.overdue), String(x.closed), String(x.closedLate), x.rate]
        }
        let rows = [row(req.text("hazard_stats_all"), f.all)]
            + f.departments.map { row(req.text("hazard_stats_by_department"), $0) }
            + f.towns.map { row(req.text("hazard_stats_by_town"), $0) }
            + f.kinds.map { row(req.text("hazard_stats_by_kind"), $0) }
        let header = ["hazard_csv_group", "hazard_csv_name", "hazard_stats_total", "hazard_stats_open", "hazard_stats_overdue", "hazard_stats_closed",
                      "hazard_stats_closed_late", "hazard_stats_rate"].map { req.text($0) }
        return CSVExport.response(filename: "hazards-\(today(req)).csv", header: header, rows: rows)
    }

    // MARK: the kinds

    struct TypeRow: Encodable { let code, name: String; let department: FormField; let days: FormField; let action: String }
    struct TypesContent: Encodable { let rows: [TypeRow]; let notice: String?; let errors: [String] }

    static func typesPage(_ req: Request, failed: (code: String, form: FormState)? = nil, status: HTTPStatus = .ok) async throws -> Response {
        let kinds = try await HazardType.query(on: req.db).sort(\.$position).all()
        let departments = try await Department.query(on: req.db).sort(\.$code).all()
        let content = TypesContent(
            rows: kinds.map { k in
                let form = failed?.code == k.code ? failed!.form : FormState(fields: ["department", "days"], values: ["department": k.departmentCode, "days": String(k.dueWorkingDays)])
                return TypeRow(code: k.code, name: k.name,
                               department: form.field("department", req.text("field_department"), .select, options: departments.map { ($0.code, $0.name) }, idPrefix: k.code + "-"),
                               days: form.field("days", req.text("field_due_working_days"), .number, maxLength: 2, idPrefix: k.code + "-"),
                               action: SiteRoute.hazardTypes.path)
            },
            notice: req.query[String.self, at: "done"] != nil ? req.text("hazard_types_saved") : nil,
            errors: failed.map { f in f.form.errors.keys.sorted().compactMap { f.form.errors[$0] } } ?? [])
        return try await req.render("community/hazard-types", title: "hazard_types_title", content, status: status)
    }

    static func types(_ req: Request) async throws -> Response { try await typesPage(req) }

    struct TypeForm: Decodable { var code: String?, department: String?, days: String? }

    static func saveType(_ req: Request) async throws -> Response {
        let input = try req.content.decode(TypeForm.self)
        guard let kind = try await HazardType.query(on: req.db).filter(\.$code == (input.code ?? "")).first() else { throw Abort(.notFound) }
        var form = FormState(fields: ["department", "days"], values: ["department": input.department ?? "", "days": input.days ?? ""])
        if try await Department.query(on: req.db).filter(\.$code == (input.department ?? "")).count() == 0 {
            form.fail("department", req.text("problem_choose", ["field": req.text("field_department")]))
        }
        let days = Int((input.days ?? "").trimmingCharacters(in: .whitespaces))
        if days == nil || !(1...60).contains(days!) { form.fail("days", req.text("hazard_days_range", ["field": req.text("field_due_working_days")])) }
        guard form.isValid, let days, let department = input.department else {
            return try await typesPage(req, failed: (kind.code, form), status: .badRequest)
        }
        let before = ["department": kind.departmentCode, "days": String(kind.dueWorkingDays)]
        kind.departmentCode = department
        kind.dueWorkingDays = days
        kind.updatedAt = req.now
        kind.updatedBy = req.actor.login
        let actor = req.actor, now = req.now
        try await req.db.transaction { db in
            try await kind.save(on: db)
            try await Audit.record("update", entity: "hazardType", id: kind.code, before: before, after: ["department": department, "days": String(days)], by: actor, at: now, on: db)
        }
        return req.redirect(to: SiteRoute.hazardTypes.path + "?done=saved")
    }
}
