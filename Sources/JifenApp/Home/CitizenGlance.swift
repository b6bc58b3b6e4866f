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

    /// One plain query of a few columns, each a small indexed look-up of its own (a home would
    /// otherwise ask the database seven or eight times, each a trip to SQLite's thread and back).
    /// `who`: a query giving the resident's id.
    private static func query(_ who: SQLQueryString, today: CivilDate, on db: any Database) async throws -> CitizenGlance {
        guard let row = try await PlainRow.all(statement(who, today: today), on: db).first, try row.optionalUUID("resident") != nil else { return .nothing }
        return try glance(row, today: today)
    }

    /// The query: each column a look-up by the resident's (or his newest application's) key. The
    /// current registrations are read once (`MATERIALIZED`): inlined into each column, SQLite 3.54
    /// found "the newest verified one" through the index of all registrations by status and day
    /// instead, reading a city's 700,000 (three quarters of a second a home).
    static func statement(_ who: SQLQueryString, today: CivilDate) -> SQLQueryString {
        """
            WITH me AS (\(who)),
            current AS MATERIALIZED (SELECT status, from_date, due_date, created_at FROM residence_registrations
                        WHERE resident_id = (SELECT id FROM me) AND to_date IS NULL),
            permit AS (SELECT status, valid_until FROM residence_permits WHERE resident_id = (SELECT id FROM me) ORDER BY created_at DESC LIMIT 1),
            archive AS (SELECT status, "year", total, barred_until FROM points_archives WHERE resident_id = (SELECT id FROM me) LIMIT 1),
            newest AS (SELECT id FROM service_applications WHERE resident_id = (SELECT id FROM me) ORDER BY created_at DESC LIMIT 1),
            result AS (SELECT r.school_code, r.qualified, p.threshold FROM allocation_results r
                       JOIN allocation_rounds ro ON ro.id = r.round_id JOIN programs p ON p.id = ro.program_id
                       WHERE r.application_id = (SELECT id FROM newest) ORDER BY ro.run_at DESC LIMIT 1)
            SELECT (SELECT id FROM me) AS resident,
                   (SELECT from_date FROM current WHERE status = \(bind: ResidenceRegistration.Status.verified.rawValue) ORDER BY created_at DESC LIMIT 1) AS verified_since,
                   (SELECT count(*) FROM current WHERE status = \(bind: ResidenceRegistration.Status.verified.rawValue)) AS verified,
                   (SELECT due_date FROM current WHERE status = \(bind: ResidenceRegistration.Status.pending.rawValue) ORDER BY created_at DESC LIMIT 1) AS pending_due,
                   (SELECT count(*) FROM current WHERE status = \(bind: ResidenceRegistration.Status.pending.rawValue)) AS pending,
                   (SELECT count(*) FROM current WHERE status = \(bind: ResidenceRegistration.Status.rejected.rawValue)) AS rejected,
                   (SELECT status FROM permit) AS permit_status, (SELECT valid_until FROM permit) AS permit_until,
                   (SELECT status FROM archive) AS archive_status, (SELECT "year" FROM archive) AS archive_year,
                   (SELECT total FROM archive) AS archive_total, (SELECT barred_until FROM archive) AS barred_until,
                   (SELECT status FROM points_applications WHERE resident_id = (SELECT id FROM me) AND "year" = \(bind: today.year) LIMIT 1) AS application_status,
                   (SELECT count(*) FROM newest) AS applied,
                   (SELECT count(*) FROM result) AS resulted,
                   (SELECT school_code FROM result) AS school_code,
                   (SELECT name FROM schools WHERE code = (SELECT school_code FROM result) LIMIT 1) AS school_name,
                   (SELECT qualified FROM result) AS qualified, (SELECT threshold FROM result) AS threshold,
                   (SELECT count(*) FROM service_applications a WHERE a.resident_id = (SELECT id FROM me)
                      AND NOT EXISTS (SELECT 1 FROM allocation_results r WHERE r.application_id = a.id)) AS waiting
            """
    }

    private static func glance(_ row: PlainRow, today: CivilDate) throws -> CitizenGlance {
        // Residence: the current registration, the verified one first (the newest of each kind).
        let residence: Residence = if try row.int("verified") > 0, let since = try row.optionalDate("verified_since") { .verified(since: since) }
            else if try row.int("pending") > 0, let due = try row.optionalDate("pending_due") { .pending(due: due) }
            else if try row.int("rejected") > 0 { .rejected }
            else { .none }
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
        if try row.int("applied") > 0 {
            if try row.int("resulted") > 0 {
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
