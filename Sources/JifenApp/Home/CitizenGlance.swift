import Fluent
import SQLKit
import JifenCore
import Vapor

/// Where each of a citizen's four affairs stands — residence, permit, points, services — so his
/// home can show them at a glance with the next step for each. Built by `query`, which a test
/// calls without HTTP; the page turns it into words.
struct CitizenGlance: Equatable {
    enum Residence: Equatable { case none, pending(due: CivilDate), verified(since: CivilDate), rejected }
    enum Permit: Equatable { case none, inProgress(ResidencePermit.Status), issued(validUntil: CivilDate?), expired(on: CivilDate), rejected }
    /// `barred`: points cleared after fraud, no application before `until`; `ended`: he took local hukou.
    enum Points: Equatable { case none, application(PointsApplication.Status), archive(total: Int64), barred(until: CivilDate), ended }
    enum Services: Equatable { case none, waiting(count: Int), admitted(school: String), qualified, notAdmitted, notQualified }

    var residence: Residence
    var permit: Permit
    var points: Points
    var services: Services

    /// Where the resident's four affairs stand, read in one query (below).
    static func query(resident: Resident?, today: CivilDate, on db: any Database) async throws -> CitizenGlance {
        guard let id = resident?.id else { return .nothing }
        return try await query("SELECT id FROM residents WHERE id = \(bind: id)", today: today, on: db)
    }

    /// The same for the resident of an account: what every citizen's home asks.
    static func query(user: UUID, today: CivilDate, on db: any Database) async throws -> CitizenGlance {
        try await query("SELECT id FROM residents WHERE user_id = \(bind: user) LIMIT 1", today: today, on: db)
    }

    static let nothing = CitizenGlance(residence: .none, permit: .none, points: .none, services: .none)

    /// One plain query, his records joined by their keys (a home would otherwise ask the database
    /// seven or eight times, each a trip to SQLite's thread and back).
    /// `who`: a query giving the resident's id.
    private static func query(_ who: SQLQueryString, today: CivilDate, on db: any Database) async throws -> CitizenGlance {
        guard let row = try await PlainRow.all(statement(who, today: today), on: db).first, try row.optionalUUID("resident") != nil else { return .nothing }
        return try glance(row, today: today)
    }

    /// The query: the resident and, joined to him by their keys, his current registration (the
    /// verified one first, then the pending, then the rejected; the newest of each), latest permit,
    /// archive, this year's points application, newest service application and its latest result.
    /// Written as joins rather than a column of its own for each value: SQLite prepares the
    /// statement afresh for every home, and the parsing cost more than the look-ups.
    static func statement(_ who: SQLQueryString, today: CivilDate) -> SQLQueryString {
        """
            WITH me AS (\(who))
            SELECT me.id AS resident, reg.status AS residence_status, reg.from_date, reg.due_date,
                   pm.status AS permit_status, pm.valid_until AS permit_until,
                   pa.status AS archive_status, pa."year" AS archive_year, pa.total AS archive_total, pa.barred_until,
                   papp.status AS application_status, sa.id AS newest, r.id AS result, r.school_code, s.name AS school_name, r.qualified, p.threshold,
                   (SELECT count(*) FROM service_applications a WHERE a.resident_id = me.id
                      AND NOT EXISTS (SELECT 1 FROM allocation_results x WHERE x.application_id = a.id)) AS waiting
            FROM me
            LEFT JOIN residence_registrations reg ON reg.id = (
                SELECT id FROM residence_registrations WHERE resident_id = me.id AND to_date IS NULL
                ORDER BY CASE status WHEN \(bind: ResidenceRegistration.Status.verified.rawValue) THEN 0 WHEN \(bind: ResidenceRegistration.Status.pending.rawValue) THEN 1
                                     WHEN \(bind: ResidenceRegistration.Status.rejected.rawValue) THEN 2 ELSE 3 END, created_at DESC LIMIT 1)
            LEFT JOIN residence_permits pm ON pm.id = (SELECT id FROM residence_permits WHERE resident_id = me.id ORDER BY created_at DESC LIMIT 1)
            LEFT JOIN points_archives pa ON pa.resident_id = me.id
            LEFT JOIN points_applications papp ON papp.resident_id = me.id AND papp."year" = \(bind: today.year)
            LEFT JOIN service_applications sa ON sa.id = (SELECT id FROM service_applications WHERE resident_id = me.id ORDER BY created_at DESC LIMIT 1)
            LEFT JOIN allocation_results r ON r.id = (
                SELECT x.id FROM allocation_results x JOIN allocation_rounds xr ON xr.id = x.round_id
                WHERE x.application_id = sa.id ORDER BY xr.run_at DESC LIMIT 1)
            LEFT JOIN allocation_rounds ro ON ro.id = r.round_id
            LEFT JOIN programs p ON p.id = ro.program_id
            LEFT JOIN schools s ON s.code = r.school_code
            """
    }

    private static func glance(_ row: PlainRow, today: CivilDate) throws -> CitizenGlance {
        // Residence: the current registration, the verified one first (the newest of each kind).
        let residence: Residence = switch try row.optionalString("residence_status").flatMap(ResidenceRegistration.Status.init(rawValue:)) {
        case .verified: if let since = try row.optionalDate("from_date") { .verified(since: since) } else { .none }
        case .pending: if let due = try row.optionalDate("due_date") { .pending(due: due) } else { .none }
        case .rejected: .rejected
        default: .none
        }
        // Permit: the latest.
        let permit: Permit
        if let status = try row.optionalString("permit_status").flatMap(ResidencePermit.Status.init(rawValue:)) {
            let until = try row.optionalDate("permit_until")
            permit = switch status {
            case .issued: if let until, until < today { .expired(on: until) } else { .issued(validUntil: until) }
            case .rejected: .rejected
            default: .inProgress(status)
            }
        } else {
            permit = .none
        }
        // Points: an ended archive or a bar after fraud first, then this year's archive, else the
        // application on its way.
        let points: Points
        let archiveStatus = try row.optionalString("archive_status").flatMap(PointsArchive.Status.init(rawValue:))
        if archiveStatus == .ended {
            points = .ended
        } else if archiveStatus == .cleared, let until = try row.optionalDate("barred_until"), today < until {
            points = .barred(until: until)
        } else if archiveStatus == .active, try row.optionalInt("archive_year") == Int64(today.year), let total = try row.optionalInt("archive_total") {
            points = .archive(total: total)
        } else if let status = try row.optionalString("application_status").flatMap(PointsApplication.Status.init(rawValue:)), status != .void {
            points = .application(status)
        } else {
            points = .none
        }
        // Services: his newest application — placed (or over the line) in the latest round it
        // took part in, not placed, or still waiting for its first result.
        var services: Services = .none
        if try row.optionalUUID("newest") != nil {
            if try row.optionalUUID("result") != nil {
                if let school = try row.optionalString("school_code") {
                    services = .admitted(school: try row.optionalString("school_name") ?? school)
                } else if try row.bool("qualified") {
                    services = .qualified
                } else {
                    services = try row.optionalInt("threshold") != nil ? .notQualified : .notAdmitted
                }
            } else {
                services = .waiting(count: Int(try row.int("waiting")))
            }
        }
        return CitizenGlance(residence: residence, permit: permit, points: points, services: services)
    }

    /// One affair in the reader's words: its name, where it stands, and the next step if there is one.
    struct Card: Encodable { let topic: String; let state: String; let next: HomeController.Link? }

    func cards(_ req: Request) -> [Card] {
        func link(_ key: String, _ href: String) -> HomeController.Link { HomeController.Link(label: req.text(key), href: href) }
        let residenceCard: Card = switch residence {
        case .none: Card(topic: req.text("nav_residence"), state: req.text("glance_residence_none"), next: link("glance_next_declare", SiteRoute.myResidence.path))
        case .pending(let due): Card(topic: req.text("nav_residence"), state: req.text("glance_residence_pending", ["date": ShanghaiDate.long(due, req.language)]), next: nil)
        case .verified(let since): Card(topic: req.text("nav_residence"), state: req.text("glance_residence_verified", ["date": ShanghaiDate.long(since, req.language)]), next: nil)
        case .rejected: Card(topic: req.text("nav_residence"), state: req.text("registration_rejected"), next: link("glance_next_declare", SiteRoute.myResidence.path))
        }
        let canApply = if case .verified = residence { true } else { false }
        let today = ShanghaiDate.today(req.now)
        let permitCard: Card = switch permit {
        case .none: Card(topic: req.text("glance_permit"), state: req.text("glance_permit_none"), next: canApply ? link("glance_next_permit", SiteRoute.myResidence.path) : nil)
        case .inProgress(let status): Card(topic: req.text("glance_permit"), state: req.text("permit_" + status.rawValue), next: nil)
        case .issued(let until):
            Card(topic: req.text("glance_permit"), state: until.map { req.text("glance_permit_valid", ["date": ShanghaiDate.long($0, req.language)]) } ?? req.text("permit_issued"),
                 next: until.map { ResidenceController.endorsementOpen(until: $0, today: today) } == true ? link("glance_next_endorse", SiteRoute.myResidence.path) : nil)
        case .expired(let on):
            Card(topic: req.text("glance_permit"), state: req.text("glance_permit_expired", ["date": ShanghaiDate.long(on, req.language)]),
                 next: link("glance_next_endorse", SiteRoute.myResidence.path))
        case .rejected: Card(topic: req.text("glance_permit"), state: req.text("permit_rejected"), next: canApply ? link("glance_next_permit", SiteRoute.myResidence.path) : nil)
        }
        let pointsCard: Card = switch points {
        case .none: Card(topic: req.text("nav_points"), state: req.text("glance_points_none"), next: link("glance_next_points", SiteRoute.myPoints.path))
        case .application(let status):
            Card(topic: req.text("nav_points"), state: req.text("application_" + status.rawValue),
                 next: [.draft, .returned].contains(status) ? link("glance_next_points_continue", SiteRoute.myPoints.path) : nil)
        case .archive(let total): Card(topic: req.text("nav_points"), state: req.text("glance_points_total", ["points": JifenCore.Points(hundredths: total).description]),
                                      next: link("glance_next_points_detail", SiteRoute.myPoints.path))
        case .barred(let until): Card(topic: req.text("nav_points"), state: req.text("glance_points_barred", ["date": ShanghaiDate.long(until, req.language)]),
                                      next: link("glance_next_points_detail", SiteRoute.myPoints.path))
        case .ended: Card(topic: req.text("nav_points"), state: req.text("archive_ended"), next: link("glance_next_points_detail", SiteRoute.myPoints.path))
        }
        let servicesCard: Card = switch services {
        case .none: Card(topic: req.text("nav_my_programs"), state: req.text("glance_services_none"), next: link("glance_next_programs", SiteRoute.programs.path))
        case .waiting(let count): Card(topic: req.text("nav_my_programs"), state: req.text("glance_services_waiting", ["count": String(count)]), next: link("glance_next_results", SiteRoute.myPrograms.path))
        case .admitted(let school): Card(topic: req.text("nav_my_programs"), state: req.text("glance_services_admitted", ["school": school]), next: link("glance_next_results", SiteRoute.myPrograms.path))
        case .qualified: Card(topic: req.text("nav_my_programs"), state: req.text("publicity_qualified"), next: link("glance_next_results", SiteRoute.myPrograms.path))
        case .notAdmitted: Card(topic: req.text("nav_my_programs"), state: req.text("publicity_not_admitted"), next: link("glance_next_results", SiteRoute.myPrograms.path))
        case .notQualified: Card(topic: req.text("nav_my_programs"), state: req.text("publicity_not_qualified"), next: link("glance_next_results", SiteRoute.myPrograms.path))
        }
        return [residenceCard, permitCard, pointsCard, servicesCard]
    }
}
