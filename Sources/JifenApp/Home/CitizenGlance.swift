import Fluent
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

    /// Read with a few plain queries of a few columns each: every citizen's home asks this.
    static func query(resident: Resident?, today: CivilDate, on db: any Database) async throws -> CitizenGlance {
        guard let resident, let id = resident.id else { return CitizenGlance(residence: .none, permit: .none, points: .none, services: .none) }
        // Residence: the current registration, the verified one first.
        let current = try await PlainRow.all("""
            SELECT status, from_date, due_date FROM residence_registrations WHERE resident_id = \(bind: id) AND to_date IS NULL ORDER BY created_at DESC
            """, on: db)
        let statuses = try current.map { try ResidenceRegistration.Status(rawValue: $0.string("status")) }
        let residence: Residence = if let k = statuses.firstIndex(of: .verified), let since = try current[k].optionalDate("from_date") { .verified(since: since) }
            else if let k = statuses.firstIndex(of: .pending), let due = try current[k].optionalDate("due_date") { .pending(due: due) }
            else if statuses.contains(.rejected) { .rejected }
            else { .none }
        // Permit: the latest.
        let permit: Permit
        if let latest = try await PlainRow.all("SELECT status, valid_until FROM residence_permits WHERE resident_id = \(bind: id) ORDER BY created_at DESC LIMIT 1", on: db).first,
           let status = ResidencePermit.Status(rawValue: try latest.string("status")) {
            let until = try latest.optionalDate("valid_until")
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
        let archive = try await PlainRow.all("SELECT status, \"year\", total, barred_until FROM points_archives WHERE resident_id = \(bind: id) LIMIT 1", on: db).first
        let archiveStatus = try archive.flatMap { try PointsArchive.Status(rawValue: $0.string("status")) }
        if archiveStatus == .ended {
            points = .ended
        } else if archiveStatus == .cleared, let until = try archive?.optionalDate("barred_until"), today < until {
            points = .barred(until: until)
        } else if archiveStatus == .active, let archive, try archive.int("year") == today.year {
            points = .archive(total: try archive.int("total"))
        } else if let application = try await PlainRow.all("""
                SELECT status FROM points_applications WHERE resident_id = \(bind: id) AND \"year\" = \(bind: today.year) LIMIT 1
                """, on: db).first,
                  let status = PointsApplication.Status(rawValue: try application.string("status")), status != .void {
            points = .application(status)
        } else {
            points = .none
        }
        // Services: his newest application — placed (or over the line) in the latest round it
        // took part in, not placed, or still waiting for its first result.
        let applications = try await PlainRow.all("SELECT id FROM service_applications WHERE resident_id = \(bind: id) ORDER BY created_at DESC", on: db).map { try $0.uuid("id") }
        var services: Services = .none
        if let newest = applications.first {
            let result = try await PlainRow.all("""
                SELECT r.school_code, r.qualified, p.threshold FROM allocation_results r
                JOIN allocation_rounds ro ON ro.id = r.round_id JOIN programs p ON p.id = ro.program_id
                WHERE r.application_id = \(bind: newest) ORDER BY ro.run_at DESC LIMIT 1
                """, on: db).first
            if let result {
                if let school = try result.optionalString("school_code") {
                    let name = try await PlainRow.all("SELECT name FROM schools WHERE code = \(bind: school) LIMIT 1", on: db).first
                    services = .admitted(school: try name?.string("name") ?? school)
                } else if try result.bool("qualified") {
                    services = .qualified
                } else {
                    services = try result.optionalInt("threshold") != nil ? .notQualified : .notAdmitted
                }
            } else {
                let withResults = Set(try await PlainRow.all("""
                    SELECT DISTINCT application_id FROM allocation_results WHERE application_id IN (\(binds: applications))
                    """, on: db).map { try $0.uuid("application_id") })
                services = .waiting(count: applications.filter { !withResults.contains($0) }.count)
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
