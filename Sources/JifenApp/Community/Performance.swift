import Fluent
import JifenCore
import Vapor

/// Grid and town performance (考核), a month at a time: per grid worker, grid and town, the
/// records collected (registrations verified) and how many are complete (the fields the centre
/// names), verifications made within their 7 days, hazards reported and closed, and the
/// collection subsidy due (a rate per complete record, shared by the city and the town). A
/// report over the viewer's jurisdiction; a table and CSV.
enum PerformanceController {
    static func register(_ routes: any RoutesBuilder) {
        let staff: Access = .roles([.gridWorker, .windowClerk, .centerAdmin])
        routes.get(.performance, access: staff, use: page)
        routes.get(.performanceCSV, access: staff, use: csv)
    }

    struct Figures: Encodable {
        let name: String
        var collected = 0, complete = 0, decided = 0, onTime = 0, hazardsReported = 0, hazardsClosed = 0
        var subsidyFen = 0, cityFen = 0

        init(name: String) { self.name = name }

        enum CodingKeys: String, CodingKey { case name, collected, complete, decided, onTime, onTimeRate, hazardsReported, hazardsClosed, subsidy, city, town }
        func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(name, forKey: .name)
            try c.encode(collected, forKey: .collected)
            try c.encode(complete, forKey: .complete)
            try c.encode(decided, forKey: .decided)
            try c.encode(onTime, forKey: .onTime)
            try c.encode(onTimeRate, forKey: .onTimeRate)
            try c.encode(hazardsReported, forKey: .hazardsReported)
            try c.encode(hazardsClosed, forKey: .hazardsClosed)
            try c.encode(Self.yuan(subsidyFen), forKey: .subsidy)
            try c.encode(Self.yuan(cityFen), forKey: .city)
            try c.encode(Self.yuan(subsidyFen - cityFen), forKey: .town)
        }

        var onTimeRate: String { decided == 0 ? "—" : String(format: "%.1f%%", Double(onTime) * 100 / Double(decided)) }
        static func yuan(_ fen: Int) -> String { String(format: "%d.%02d", fen / 100, fen % 100) }

        var cells: [String] {
            [name, String(collected), String(complete), String(decided), String(onTime), onTimeRate, String(hazardsReported), String(hazardsClosed),
             Self.yuan(subsidyFen), Self.yuan(cityFen), Self.yuan(subsidyFen - cityFen)]
        }
    }

    struct Table: Encodable { let id, title: String; let rows: [Figures] }

    struct Content: Encodable {
        let month: String
        let previous, next: String
        let total: Figures
        let tables: [Table]
        let csvLink: String
        let settings: String
    }

    /// `2026-09` → (its first day, the next month's first day); nil when not a month.
    static func month(_ text: String?, today: CivilDate) -> (first: CivilDate, next: CivilDate)? {
        let raw = text ?? String(format: "%04d-%02d", today.year, today.month)
        guard let first = CivilDate(raw + "-01") else { return nil }
        let next = first.month == 12 ? CivilDate(year: first.year + 1, month: 1, day: 1)! : CivilDate(year: first.year, month: first.month + 1, day: 1)!
        return (first, next)
    }

    static func figures(_ req: Request) async throws -> Content {
        let today = ShanghaiDate.today(req.now)
        guard let (first, next) = month(req.query[String.self, at: "month"], today: today) else { throw Abort(.badRequest, reason: req.text("performance_month")) }
        let config = req.application.jifenConfig
        let scope = try await StaffResidenceController.scopeIDs(req)
        let places = try await Jurisdiction.query(on: req.db).filter(\.$id ~~ scope).all()
        let byID = Dictionary(uniqueKeysWithValues: places.map { ($0.id!, $0) })
        let townNames = Dictionary(try await Jurisdiction.query(on: req.db).filter(\.$level == JurisdictionLevel.town.rawValue).all().map { ($0.code, $0.name) }, uniquingKeysWith: { a, _ in a })
        let start = ShanghaiDate.startOfDay(first), end = ShanghaiDate.startOfDay(next)

        var registrations: [ResidenceRegistration] = []
        var hazards: [Hazard] = []
        for slice in Batches.slices(scope) {
            registrations += try await ResidenceRegistration.query(on: req.db).filter(\.$jurisdiction.$id ~~ Array(slice))
                .filter(\.$decidedAt >= start).filter(\.$decidedAt < end).with(\.$resident).all()
            hazards += try await Hazard.query(on: req.db).filter(\.$jurisdiction.$id ~~ Array(slice)).group(.or) {
                $0.group(.and) { $0.filter(\.$createdAt >= start).filter(\.$createdAt < end) }
                  .group(.and) { $0.filter(\.$acceptedOn >= first).filter(\.$acceptedOn < next) }
            }.all()
        }
        var acceptedBy: [UUID: String] = [:]
        let closed = hazards.filter { ($0.acceptedOn.map { $0 >= first && $0 < next }) ?? false }
        for slice in Batches.slices(closed.compactMap(\.id)) {
            for step in try await HazardStep.query(on: req.db).filter(\.$hazard.$id ~~ Array(slice)).filter(\.$action == .accepted).all() { acceptedBy[step.$hazard.id] = step.actor }
        }
        let logins = Set(registrations.compactMap(\.decidedBy) + hazards.map(\.reportedBy) + acceptedBy.values)
        let workers = Dictionary(try await User.query(on: req.db).filter(\.$login ~~ Array(logins)).filter(\.$role == .gridWorker).all().map { ($0.login, $0.displayName) }, uniquingKeysWith: { a, _ in a })

        var total = Figures(name: req.text("performance_all"))
        var byWorker: [String: Figures] = [:], byGrid: [UUID: Figures] = [:], byTown: [String: Figures] = [:]
        func townCode(_ grid: UUID) -> String { byID[grid]?.jurisdictionCode?.parent?.parent?.rawValue ?? "" }
        func add(grid: UUID, worker: String?, _ change: (inout Figures) -> Void) {
            change(&total)
            change(&byGrid[grid, default: Figures(name: byID[grid]?.name ?? "")])
            let town = townCode(grid)
            change(&byTown[town, default: Figures(name: townNames[town] ?? town)])
            if let worker, let name = workers[worker] { change(&byWorker[worker, default: Figures(name: name + "（" + worker + "）")]) }
        }
        for r in registrations {
            let complete = config.completeFields.allSatisfy { field in
                switch field {
                case "phone": r.resident.phone != nil || r.resident.$user.id != nil
                case "house": r.$rentalHouse.id != nil
                case "identity": r.resident.identityVerified
                default: true
                }
            }
            let onTime = r.decidedAt.map { ShanghaiDate.today($0) <= r.dueDate } ?? false
            add(grid: r.$jurisdiction.id, worker: r.decidedBy) { f in
                f.decided += 1
                if onTime { f.onTime += 1 }
                guard r.status == .verified else { return }
                f.collected += 1
                if complete {
                    f.complete += 1
                    f.subsidyFen += config.recordSubsidyFen
                    f.cityFen += config.recordSubsidyFen * config.subsidyCityPercent / 100
                }
            }
        }
        for h in hazards {
            if h.createdAt >= start && h.createdAt < end { add(grid: h.$jurisdiction.id, worker: h.reportedBy) { $0.hazardsReported += 1 } }
            if let id = h.id, let by = acceptedBy[id] { add(grid: h.$jurisdiction.id, worker: by) { $0.hazardsClosed += 1 } }
        }
        let monthText = String(format: "%04d-%02d", first.year, first.month)
        let previous = first.adding(days: -1)
        return Content(
            month: monthText,
            previous: SiteRoute.performance.path + String(format: "?month=%04d-%02d", previous.year, previous.month),
            next: SiteRoute.performance.path + String(format: "?month=%04d-%02d", next.year, next.month),
            total: total,
            tables: [
                Table(id: "by-worker", title: req.text("performance_by_worker"), rows: byWorker.sorted { $0.key < $1.key }.map(\.value)),
                Table(id: "by-grid", title: req.text("performance_by_grid"), rows: byGrid.sorted { (byID[$0.key]?.code ?? "") < (byID[$1.key]?.code ?? "") }.map(\.value)),
                Table(id: "by-town", title: req.text("performance_by_town"), rows: byTown.sorted { $0.key < $1.key }.map(\.value)),
            ],
            csvLink: SiteRoute.performanceCSV.path + "?month=" + monthText,
            settings: req.text("performance_settings", ["rate": Figures.yuan(config.recordSubsidyFen), "city": String(config.subsidyCityPercent),
                                                        "town": String(100 - config.subsidyCityPercent),
                                                        "fields": config.completeFields.map { req.text("record_field_" + $0) }.joined(separator: "、")]))
    }

    static func page(_ req: Request) async throws -> Response {
        try await req.render("community/performance", title: "performance_title", try await figures(req))
    }

    static func csv(_ req: Request) async throws -> Response {
        let content = try await figures(req)
        let header = ["performance_csv_group", "hazard_csv_name", "performance_collected", "performance_complete", "performance_decided", "performance_on_time",
                      "performance_on_time_rate", "performance_hazards_reported", "performance_hazards_closed", "performance_subsidy", "performance_city", "performance_town"].map { req.text($0) }
        let rows = [[req.text("performance_all")] + content.total.cells] + content.tables.flatMap { table in table.rows.map { [table.title] + $0.cells } }
        return CSVExport.response(filename: "performance-\(content.month).csv", header: header, rows: rows)
    }
}
