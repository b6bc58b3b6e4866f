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

    static func query(resident: Resident?, today: CivilDate, on db: any Database) async throws -> CitizenGlance {
        guard let resident, let id = resident.id else { return CitizenGlance(residence: .none, permit: .none, points: .none, services: .none) }
        // Residence: the current registration, the verified one first.
        let current = try await ResidenceRegistration.query(on: db).filter(\.$resident.$id == id).filter(\.$toDate == nil).sort(\.$createdAt, .descending).all()
        let residence: Residence = if let verified = current.first(where: { $0.status == .verified }) { .verified(since: verified.fromDate) }
            else if let pending = current.first(where: { $0.status == .pending }) { .pending(due: pending.dueDate) }
            else if current.contains(where: { $0.status == .rejected }) { .rejected }
            else { .none }
        // Permit: the latest.
        let permit: Permit = switch try await ResidencePermit.query(on: db).filter(\.$resident.$id == id).sort(\.$createdAt, .descending).first() {
        case .none: .none
        case .some(let p) where p.status == .issued:
            if let until = p.validUntil, until < today { .expired(on: until) } else { .issued(validUntil: p.validUntil) }
        case .some(let p) where p.status == .rejected: .rejected
        case .some(let p): .inProgress(p.status)
        }
        // Points: an ended archive or a bar after fraud first, then this year's archive, else the
        // application on its way.
        let points: Points
        let archive = try await PointsArchive.query(on: db).filter(\.$resident.$id == id).first()
        if let archive, archive.status == .ended {
            points = .ended
        } else if let archive, archive.status == .cleared, let until = archive.barredUntil, today < until {
            points = .barred(until: until)
        } else if let archive, archive.status == .active, archive.year == today.year {
            points = .archive(total: archive.total)
        } else if let application = try await PointsApplication.query(on: db).filter(\.$resident.$id == id).filter(\.$year == today.year).first(),
                  application.status != .void {
            points = .application(application.status)
        } else {
            points = .none
        }
        // Services: his newest application — placed (or over the line) in the latest round it
        // took part in, not placed, or still waiting for its first result.
        let applications = try await ServiceApplication.query(on: db).filter(\.$resident.$id == id).sort(\.$createdAt, .descending).all()
        var services: Services = .none
        if let newest = applications.first {
            let result = try await AllocationResult.query(on: db).filter(\.$application.$id == newest.requireID())
                .join(AllocationRound.self, on: \AllocationResult.$round.$id == \AllocationRound.$id).sort(AllocationRound.self, \.$runAt, .descending).first()
            let withResults = Set(try await AllocationResult.query(on: db).filter(\.$application.$id ~~ applications.compactMap(\.id)).all().map(\.$application.id))
            switch result {
            case .none: services = .waiting(count: applications.filter { !withResults.contains($0.id!) }.count)
            case .some(let r) where r.schoolCode != nil:
                services = .admitted(school: try await School.query(on: db).filter(\.$code == r.schoolCode!).first()?.name ?? r.schoolCode!)
            case .some(let r) where r.qualified: services = .qualified
            case .some(let r) where try await r.$round.get(on: db).$program.get(on: db).threshold != nil: services = .notQualified
            case .some: services = .notAdmitted
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
