import Fluent
import JifenCore
import Vapor

/// Statistics for the centre and the education bureau, scoped by jurisdiction: each a chart
/// drawn as SVG with its numbers in a table beside it, and every table as CSV (UTF-8 with BOM).
enum DashboardController {
    static let viewers: Access = .roles([.centerAdmin, .educationOfficer])

    static func register(_ routes: any RoutesBuilder) {
        routes.get(.dashboard, access: viewers, use: page)
        routes.get(.dashboardTable(":table"), access: viewers, use: csv)
    }

    struct Table: Encodable {
        let name, title: String
        let header: [String]
        let rows: [[String]]
        let chart, csv: String
    }

    static func table(_ name: String, _ title: String, header: [String], rows: [[String]], series: [Chart.Series], for req: Request) -> Table {
        Table(name: name, title: title, header: header, rows: rows,
              chart: Chart.bars(title: title, labels: rows.map { $0.first ?? "" }, series: series, for: req), csv: SiteRoute.dashboardTable(name + ".csv").path)
    }

    static func tables(_ req: Request) async throws -> [Table] {
        let db = req.db
        let today = ShanghaiDate.today(req.now)
        let scope = try await StaffResidenceController.scopeIDs(req)
        let grids = try await Jurisdiction.query(on: db).filter(\.$id ~~ scope).all()
        let towns = Dictionary(uniqueKeysWithValues: try await Jurisdiction.query(on: db).filter(\.$level == JurisdictionLevel.town.rawValue).all().map { ($0.code, $0.name) })
        var townOfGrid: [UUID: String] = [:]
        for g in grids {
            let town = JurisdictionCode(g.code)?.parent?.parent?.rawValue
            townOfGrid[g.id!] = town.flatMap { towns[$0] } ?? g.name
        }
        var result: [Table] = []

        // Residents living here now, by town.
        let current = try await ResidenceRegistration.query(on: db).filter(\.$jurisdiction.$id ~~ scope).filter(\.$toDate == nil).filter(\.$status == .verified).all()
        let byTown = Dictionary(grouping: current, by: { townOfGrid[$0.$jurisdiction.id] ?? "" }).map { ($0.key, $0.value.count) }.sorted { $0.0 < $1.0 }
        result.append(table("residents", req.text("dash_residents"), header: [req.text("field_town"), req.text("dash_count")],
                            rows: byTown.map { [$0.0, String($0.1)] }, series: [Chart.Series(name: req.text("dash_count"), values: byTown.map { Double($0.1) }, color: Chart.red)], for: req))

        // Permits by state.
        let permits = try await ResidencePermit.query(on: db).filter(\.$jurisdiction.$id ~~ scope).all()
        let states = ResidencePermit.Status.allCases.map { s in (req.text("permit_" + s.rawValue), permits.filter { $0.status == s }.count) }
        result.append(table("permits", req.text("dash_permits"), header: [req.text("estimate_col_status"), req.text("dash_count")],
                            rows: states.map { [$0.0, String($0.1)] }, series: [Chart.Series(name: req.text("dash_count"), values: states.map { Double($0.1) }, color: Chart.red)], for: req))

        // Points applications by town and by month.
        let applications = try await PointsApplication.query(on: db).filter(\.$jurisdiction.$id ~~ scope).all()
        let appsByTown = Dictionary(grouping: applications, by: { townOfGrid[$0.$jurisdiction.id] ?? "" }).map { ($0.key, $0.value.count) }.sorted { $0.0 < $1.0 }
        result.append(table("applications-town", req.text("dash_applications_town"), header: [req.text("field_town"), req.text("dash_count")],
                            rows: appsByTown.map { [$0.0, String($0.1)] }, series: [Chart.Series(name: req.text("dash_count"), values: appsByTown.map { Double($0.1) }, color: Chart.red)], for: req))
        let month = { (d: Date) -> String in String(ShanghaiDate.today(d).description.prefix(7)) }
        let appsByMonth = Dictionary(grouping: applications, by: { month($0.createdAt) }).map { ($0.key, $0.value.count) }.sorted { $0.0 < $1.0 }
        result.append(table("applications-month", req.text("dash_applications_month"), header: [req.text("dash_month"), req.text("dash_count")],
                            rows: appsByMonth.map { [$0.0, String($0.1)] }, series: [Chart.Series(name: req.text("dash_count"), values: appsByMonth.map { Double($0.1) }, color: Chart.red)], for: req))

        // Points: the distribution of this year's totals, in bands of 20.
        let archives = try await PointsArchive.query(on: db).filter(\.$status == .active).filter(\.$year == today.year).with(\.$resident).all()
        let bandsMax = Int((archives.map(\.total).max() ?? 0) / 2000)
        let bands = (0...max(0, bandsMax)).map { b in ("\(b * 20)–\(b * 20 + 19)", archives.filter { Int($0.total / 2000) == b }.count) }
        result.append(table("scores", req.text("dash_scores", ["year": String(today.year)]), header: [req.text("dash_band"), req.text("dash_count")],
                            rows: bands.map { [$0.0, String($0.1)] }, series: [Chart.Series(name: req.text("dash_count"), values: bands.map { Double($0.1) }, color: Chart.red)], for: req))

        // Programs: seats against demand, and per school of the latest round its admitted and cutoff.
        let programs = try await Program.query(on: db).sort(\.$year).all()
        var supply: [(String, Double, Double)] = []
        for p in programs where p.kind.isSchool {
            let seats = try await Quota.query(on: db).filter(\.$program.$id == p.requireID()).all().reduce(0) { $0 + $1.seats }
            let demand = try await ServiceApplication.query(on: db).filter(\.$program.$id == p.requireID()).count()
            supply.append((p.title, Double(seats), Double(demand)))
        }
        result.append(table("supply", req.text("dash_supply"), header: [req.text("programs_title"), req.text("field_seats"), req.text("dash_demand")],
                            rows: supply.map { [$0.0, Chart.number($0.1), Chart.number($0.2)] },
                            series: [Chart.Series(name: req.text("field_seats"), values: supply.map(\.1), color: Chart.grey),
                                     Chart.Series(name: req.text("dash_demand"), values: supply.map(\.2), color: Chart.red)], for: req))
        if let round = try await AllocationRound.query(on: db).sort(\.$runAt, .descending).with(\.$program).first() {
            let names = Dictionary(uniqueKeysWithValues: try await Quota.query(on: db).filter(\.$program.$id == round.$program.id).with(\.$school).all().map { ($0.school.code, $0.school.name) })
            let cutoffs = try await round.cutoffs(on: db)
            let rows = cutoffs.map { [names[$0.school] ?? $0.school, String($0.seats), String($0.admitted), $0.points ?? "—"] }
            let admitted = cutoffs.map { Double($0.admitted) }
            result.append(table("admitted", req.text("dash_admitted", ["program": round.program.title, "round": String(round.round)]),
                                header: [req.text("field_school_name"), req.text("field_seats"), req.text("publicity_admitted"), req.text("publicity_cutoff")],
                                rows: rows, series: [Chart.Series(name: req.text("publicity_admitted"), values: admitted, color: Chart.red)], for: req))
        }

        // Reviews overdue, by department.
        let waiting = try await HomeController.waitingClaims(db, department: nil).all()
        let departments = try await PointsController.departmentNames(db)
        let overdue = Dictionary(grouping: waiting.filter { $0.isOverdue(today: today) }, by: \.department).map { (departments[$0.key] ?? $0.key, $0.value.count) }.sorted { $0.1 > $1.1 }
        result.append(table("overdue", req.text("dash_overdue"), header: [req.text("points_department"), req.text("queue_overdue")],
                            rows: overdue.map { [$0.0, String($0.1)] }, series: [Chart.Series(name: req.text("queue_overdue"), values: overdue.map { Double($0.1) }, color: Chart.red)], for: req))
        return result
    }

    static func page(_ req: Request) async throws -> Response {
        struct Content: Encodable { let tables: [Table]; let place: String? }
        return try await req.render("insight/dashboard", title: "dashboard_title", Content(tables: try await tables(req), place: req.currentUser?.jurisdictionName))
    }

    static func csv(_ req: Request) async throws -> Response {
        guard let file = req.parameters.get("table"), file.hasSuffix(".csv"),
              let table = try await tables(req).first(where: { $0.name + ".csv" == file }) else { throw Abort(.notFound) }
        return CSVExport.response(filename: "\(table.name).csv", header: table.header, rows: table.rows)
    }
}
