import Fluent
import JifenCore
import Vapor

/// The demand forecast (排摸) for the education bureau before it sets quotas: from the children
/// registered in households and their parents' verified residence, how many reach each level next
/// year in each town, and how many of their parents meet the level's conditions today (a valid
/// permit held long enough, the months of residence), beside last year's applications and seats;
/// once this year's window has opened, beside the applications made.
struct Forecast: Sendable {
    struct Town: Sendable { let code, name: String; var children = 0, eligible = 0, applied = 0 }
    struct Level: Sendable {
        let kind: ProgramRules.Kind
        let age: Int
        var towns: [Town]
        /// Children whose parent has no verified residence now.
        var unplaced = 0
        var lastApplications: Int?
        var lastSeats: Int?
        var seats: Int?
        /// Applications to this year's program of the level, once its window has opened.
        var applications: Int?
        var children: Int { towns.reduce(unplaced) { $0 + $1.children } }
        var eligible: Int { towns.reduce(0) { $0 + $1.eligible } }
    }

    let year: Int
    let levels: [Level]

    /// The age a child has on the cut-off day (31 August) of `year`.
    static func age(born: CivilDate, in year: Int) -> Int {
        year - born.year - ((born.month, born.day) > (8, 31) ? 1 : 0)
    }

    static let entries: [(ProgramRules.Kind, Int)] = [(.kindergarten, 3), (.grade1, 6), (.grade7, 12)]

    static func compute(year: Int, today: CivilDate, on db: any Database) async throws -> Forecast {
        let towns = try await Jurisdiction.query(on: db).filter(\.$level == JurisdictionLevel.town.rawValue).sort(\.$code).all()
        let children = try await HouseholdMember.query(on: db).filter(\.$relation == .child).filter(\.$verifiedAt != nil).all()
        let programs = try await Program.query(on: db).all()
        var levels: [Level] = []
        // Each level's children, then their parents' residence and permits, read in slices.
        var byLevel: [ProgramRules.Kind: [HouseholdMember]] = [:]
        for child in children {
            for (kind, age) in entries where Self.age(born: child.birthDate, in: year) == age { byLevel[kind, default: []].append(child) }
        }
        let parents = Array(Set(byLevel.values.flatMap { $0.map { $0.$resident.id } }))
        let grids = try await ResidenceRegistration.currentGridCodes(of: parents, on: db)
        var registrations: [UUID: [ResidenceRegistration]] = [:], permits: [UUID: [ResidencePermit]] = [:]
        for slice in Batches.slices(parents) {
            for r in try await ResidenceRegistration.query(on: db).filter(\.$resident.$id ~~ Array(slice)).all() { registrations[r.$resident.id, default: []].append(r) }
            for p in try await ResidencePermit.query(on: db).filter(\.$resident.$id ~~ Array(slice)).filter(\.$status == .issued).with(\.$steps).all() {
                permits[p.$resident.id, default: []].append(p)
            }
        }
        for (kind, age) in entries {
            // The conditions of this year's program of the level, else the usual ones.
            let current = programs.first { $0.kind == kind && $0.year == year }
            let requirePermit = current?.requirePermit ?? true
            let minPermit = current?.minPermitMonths ?? 0
            let minResidence = current?.minResidenceMonths ?? 12
            var level = Level(kind: kind, age: age, towns: towns.map { Town(code: $0.code, name: $0.name) })
            let index = Dictionary(uniqueKeysWithValues: level.towns.enumerated().map { ($1.code, $0) })
            for child in byLevel[kind] ?? [] {
                let parent = child.$resident.id
                guard let grid = grids[parent], let k = index[String(grid.prefix(9))] else { level.unplaced += 1; continue }
                level.towns[k].children += 1
                let valid = (permits[parent] ?? []).filter { $0.validUntil.map { $0 >= today } ?? false }
                let issued = valid.compactMap { $0.steps.first { $0.step == .issued }?.day }.min()
                let permitOK = !requirePermit || (!valid.isEmpty && (issued.map { ResidenceTime.months(from: $0, to: today) } ?? 0) >= minPermit)
                let months = ResidenceTime.detail((registrations[parent] ?? []).map(\.period), asOf: today).months
                if permitOK && months >= minResidence { level.towns[k].eligible += 1 }
            }
            let last = programs.filter { $0.kind == kind && $0.year == year - 1 }
            if !last.isEmpty {
                level.lastApplications = try await ServiceApplication.query(on: db).filter(\.$program.$id ~~ last.compactMap(\.id)).count()
                level.lastSeats = try await Quota.query(on: db).filter(\.$program.$id ~~ last.compactMap(\.id)).all().reduce(0) { $0 + $1.seats }
            }
            if let current {
                level.seats = try await Quota.query(on: db).filter(\.$program.$id == current.requireID()).all().reduce(0) { $0 + $1.seats }
                if today >= current.opens {
                    let applications = try await ServiceApplication.query(on: db).filter(\.$program.$id == current.requireID()).all()
                    level.applications = applications.count
                    let where_ = try await ResidenceRegistration.currentGridCodes(of: applications.map { $0.$resident.id }, on: db)
                    for a in applications { if let grid = where_[a.$resident.id], let k = index[String(grid.prefix(9))] { level.towns[k].applied += 1 } }
                }
            }
            levels.append(level)
        }
        return Forecast(year: year, levels: levels)
    }
}

enum ForecastController {
    static func register(_ routes: any RoutesBuilder) {
        routes.get(.forecast, access: .roles([.educationOfficer, .centerAdmin]), use: page)
        routes.get(.forecastCSV, access: .roles([.educationOfficer, .centerAdmin]), use: csv)
    }

    static func year(_ req: Request) -> Int {
        let next = ShanghaiDate.today(req.now).year + 1
        return req.query[Int.self, at: "year"].flatMap { (2000...2100).contains($0) ? $0 : nil } ?? next
    }

    struct TownRow: Encodable { let name: String; let children, eligible: Int; let applied: Int? }
    struct LevelView: Encodable {
        let kind, title: String
        let children, eligible, unplaced: Int
        let lastApplications, lastSeats, seats, applications: String
        let rows: [TownRow]
        let chart: String
        let opened: Bool
    }

    static func page(_ req: Request) async throws -> Response {
        let y = year(req)
        let forecast = try await Forecast.compute(year: y, today: ShanghaiDate.today(req.now), on: req.db)
        func figure(_ n: Int?) -> String { n.map(String.init) ?? "—" }
        let levels = forecast.levels.map { level in
            let shown = level.towns.filter { $0.children > 0 || $0.applied > 0 }
            return LevelView(kind: level.kind.rawValue, title: req.text("program_kind_" + level.kind.rawValue) + req.text("forecast_age", ["age": String(level.age)]),
                             children: level.children, eligible: level.eligible, unplaced: level.unplaced,
                             lastApplications: figure(level.lastApplications), lastSeats: figure(level.lastSeats), seats: figure(level.seats), applications: figure(level.applications),
                             rows: shown.map { TownRow(name: $0.name, children: $0.children, eligible: $0.eligible, applied: level.applications == nil ? nil : $0.applied) },
                             chart: Chart.bars(title: req.text("forecast_chart", ["level": req.text("program_kind_" + level.kind.rawValue)]), labels: shown.map(\.name),
                                               series: [Chart.Series(name: req.text("forecast_children"), values: shown.map { Double($0.children) }, color: "#9db8d9"),
                                                        Chart.Series(name: req.text("forecast_eligible"), values: shown.map { Double($0.eligible) }, color: "#1f5f99")], for: req),
                             opened: level.applications != nil)
        }
        struct Content: Encodable { let year: Int; let years: [NavItem]; let levels: [LevelView]; let csvLink: String }
        let now = ShanghaiDate.today(req.now).year
        return try await req.render("insight/forecast", title: "forecast_title", Content(
            year: y, years: [now, now + 1].map { NavItem(label: String($0), href: SiteRoute.forecast.path + "?year=\($0)", current: $0 == y) }, levels: levels,
            csvLink: SiteRoute.forecastCSV.path + "?year=\(y)"))
    }

    static func csv(_ req: Request) async throws -> Response {
        let y = year(req)
        let forecast = try await Forecast.compute(year: y, today: ShanghaiDate.today(req.now), on: req.db)
        var rows: [[String]] = []
        for level in forecast.levels {
            for town in level.towns { rows.append([level.kind.rawValue, town.code, town.name, String(town.children), String(town.eligible), level.applications == nil ? "" : String(town.applied)]) }
            rows.append([level.kind.rawValue, "", req.text("forecast_unplaced"), String(level.unplaced), "", ""])
        }
        return CSVExport.response(filename: "forecast-\(y).csv", header: [req.text("forecast_col_level"), req.text("forecast_col_code"), req.text("forecast_col_town"),
                                                                    req.text("forecast_children"), req.text("forecast_eligible"), req.text("forecast_applied")], rows: rows)
    }
}
