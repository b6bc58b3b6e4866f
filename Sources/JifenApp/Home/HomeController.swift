import Fluent
import JifenCore
import Vapor

/// `/home`: the landing page of each role after sign-in.
enum HomeController {
    static func register(_ routes: any RoutesBuilder) {
        routes.get(.home, access: .signedIn, use: home)
    }

    struct Card: Encodable {
        let label, value: String
        let href: String?
    }

    struct Link: Encodable {
        let label, href: String
    }

    struct Content: Encodable {
        let role, roleName, greeting, intro: String
        let place: String?
        let cards: [Card]
        let links, children: [Link]
        let childrenHeading: String?
        /// A citizen's four affairs with the next step of each.
        let glance: [CitizenGlance.Card]
        /// What needs the user's attention before it becomes a problem (e.g. next year's calendar).
        let warnings: [Link]
    }

    /// The figures and links of one user's home page: its own function so a test can call it
    /// without HTTP.
    static func content(for user: CurrentUser, on req: Request) async throws -> Content {
        let db = req.db
        var cards: [Card] = []
        var links: [Link] = []
        var children: [Link] = []
        var childrenHeading: String?
        var glance: [CitizenGlance.Card] = []
        var warnings: [Link] = []

        if let scope = user.scope {
            let here = try await Jurisdiction.find(code: scope.rawValue, on: db)
            if let here {
                let kids = try await Jurisdiction.query(on: db).filter(\.$parent.$id == here.requireID()).sort(\.$code).all()
                children = kids.map { Link(label: $0.name, href: SiteRoute.org($0.code).path) }
                if let level = scope.level.child { childrenHeading = req.text("home_children_" + level.rawValue) }
            }
            let inScope = try await Jurisdiction.within(scope, on: db).count()
            cards.append(Card(label: req.text("home_card_jurisdictions"), value: String(inScope), href: SiteRoute.org(scope.rawValue).path))
            let staffInScope = try await User.query(on: db)
                .join(Jurisdiction.self, on: \User.$jurisdiction.$id == \Jurisdiction.$id)
                .group(.or) { $0.filter(Jurisdiction.self, \.$code == scope.rawValue).filter(Jurisdiction.self, \.$code, .custom("LIKE"), scope.rawValue + "-%") }
                .count()
            cards.append(Card(label: req.text("home_card_staff"), value: String(staffInScope), href: user.role == .centerAdmin ? SiteRoute.adminUsers.path : nil))
        }

        switch user.role {
        case .centerAdmin:
            let citizens = try await User.query(on: db).filter(\.$role == .citizen).filter(\.$status == .active).count()
            let departments = try await Department.query(on: db).count()
            cards.append(Card(label: req.text("home_card_citizens"), value: String(citizens), href: SiteRoute.adminUsers.path + "?role=citizen"))
            cards.append(Card(label: req.text("home_card_departments"), value: String(departments), href: nil))
            links.append(Link(label: req.text("home_link_new_user"), href: SiteRoute.adminUserNew.path))
            links.append(Link(label: req.text("nav_audit"), href: SiteRoute.audit.path))
            links.append(Link(label: req.text("access_title"), href: SiteRoute.accessLog.path))
            let overdue = try await waitingClaims(db, department: nil).filter(\.$dueDate < ShanghaiDate.today(req.now)).count()
            cards.append(Card(label: req.text("home_card_points_overdue"), value: String(overdue), href: SiteRoute.pointsReview.path + "?show=overdue"))
            if let year = try await missingCalendarYear(req) {
                warnings.append(Link(label: req.text("home_warning_calendar", ["year": String(year)]), href: SiteRoute.calendar.path))
            }
        case .auditor:
            let since = req.now.addingTimeInterval(-24 * 3600)
            let changes = try await AuditEntry.query(on: db).filter(\.$at > since).count()
            cards.append(Card(label: req.text("home_card_changes_24h"), value: String(changes), href: SiteRoute.audit.path))
            links.append(Link(label: req.text("nav_audit"), href: SiteRoute.audit.path))
            let views = try await AccessLogEntry.query(on: db).filter(\.$at > since).count()
            cards.append(Card(label: req.text("home_card_access_24h"), value: String(views), href: SiteRoute.accessLog.path))
            links.append(Link(label: req.text("access_title"), href: SiteRoute.accessLog.path))
        case .departmentReviewer:
            if let name = user.departmentName {
                cards.append(Card(label: req.text("home_card_department"), value: name, href: nil))
            }
            let today = ShanghaiDate.today(req.now)
            let waiting = try await waitingClaims(db, department: user.departmentCode ?? "-").count()
            let overdue = try await waitingClaims(db, department: user.departmentCode ?? "-").filter(\.$dueDate < today).count()
            cards.append(Card(label: req.text("home_card_points_waiting"), value: String(waiting), href: SiteRoute.pointsReview.path))
            cards.append(Card(label: req.text("home_card_points_overdue"), value: String(overdue), href: SiteRoute.pointsReview.path + "?show=overdue"))
            let claims = try await PriorityClaim.query(on: db).join(PriorityGroup.self, on: \PriorityClaim.$group.$id == \PriorityGroup.$id)
                .filter(PriorityGroup.self, \.$department == (user.departmentCode ?? "-")).filter(\.$state == .claimed).count()
            cards.append(Card(label: req.text("priority_claims_title"), value: String(claims), href: SiteRoute.priorityClaims.path))
        case .citizen:
            glance = try await CitizenGlance.query(user: user.id, today: ShanghaiDate.today(req.now), on: db).cards(req)
            links.append(Link(label: req.text("nav_my_data"), href: SiteRoute.myData.path))
            links.append(Link(label: req.text("appointments_mine_title"), href: SiteRoute.myAppointments.path))
            links.append(Link(label: req.text("complaints_mine_title"), href: SiteRoute.myComplaints.path))
            links.append(Link(label: req.text("landlord_title"), href: SiteRoute.myHouses.path))
        case .windowClerk:
            let scope = try await StaffResidenceController.scopeIDs(req)
            let waiting = try await PointsApplication.query(on: db).filter(\.$jurisdiction.$id ~~ scope).filter(\.$status == .submitted).count()
            cards.append(Card(label: req.text("home_card_points_first_review"), value: String(waiting), href: SiteRoute.pointApplications.path))
            let booked = try await Appointment.query(on: db).filter(\.$jurisdiction.$id ~~ scope).filter(\.$day == ShanghaiDate.today(req.now)).filter(\.$status == .booked).count()
            cards.append(Card(label: req.text("home_card_appointments_today"), value: String(booked), href: SiteRoute.appointments.path))
        case .gridWorker, .educationOfficer:
            break
        }

        return Content(
            role: user.role.rawValue,
            roleName: req.text("role_" + user.role.rawValue),
            greeting: req.text("home_greeting", ["name": user.displayName]),
            intro: req.text("home_intro_" + user.role.rawValue),
            place: user.jurisdictionName,
            cards: cards, links: links, children: children, childrenHeading: childrenHeading, glance: glance,
            warnings: warnings
        )
    }

    /// Next year, when it is November or December in Shanghai and the working calendar (shipped or
    /// entered) has no entry for next year: every working-day deadline then would count weekends only.
    static func missingCalendarYear(_ req: Request) async throws -> Int? {
        let today = ShanghaiDate.today(req.now)
        guard today.month >= 11 else { return nil }
        let calendar = try await req.workingCalendar()
        return calendar.years[today.year + 1] == nil ? today.year + 1 : nil
    }

    /// Claimed items waiting for a department (all departments when nil).
    static func waitingClaims(_ db: any Database, department: String?) -> QueryBuilder<PointsClaim> {
        let q = PointsClaim.query(on: db).join(PointsApplication.self, on: \PointsClaim.$application.$id == \PointsApplication.$id)
            .filter(\.$state == .claimed).filter(PointsApplication.self, \.$status == .inReview)
        if let department { q.filter(\.$department == department) }
        return q
    }

    static func home(_ req: Request) async throws -> Response {
        let user = try req.requireUser()
        return try await req.render("home/home", title: "home_title", try await content(for: user, on: req))
    }
}
