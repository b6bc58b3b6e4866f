/// Every path of the site, named once. Templates receive links built from these, so no
/// template hard-codes a URL.
enum Paths {
    static let root = "/"
    static let login = "/login"
    static let logout = "/logout"
    static let register = "/register"
    static let verify = "/register/verify"
    static let home = "/home"
    static let password = "/account/password"
    static let adminUsers = "/admin/users"
    static let adminUserNew = "/admin/users/new"
    static let audit = "/audit"
    static func org(_ code: String) -> String { "/org/" + code }
    static func language(_ code: String) -> String { "/lang/" + code }
    static let healthz = "/healthz"
    static let readyz = "/readyz"
    static let metrics = "/metrics"
}

extension Paths {
    static let standards = "/standards"
    static let standardNew = "/standards/new"
    static let standardsDiffBase = "/standards/diff"
    static let estimate = "/estimate"
    static func standard(_ code: String) -> String { "/standards/" + code }
    static func standardPublish(_ code: String) -> String { "/standards/" + code + "/publish" }
    static func standardDiff(from: String, to: String) -> String { "/standards/diff?from=" + from + "&to=" + to }
}

extension Paths {
    static let myResidence = "/me/residence"
    static let myIdentity = "/me/identity"
    static let myPermit = "/me/permit"
    static func moveOut(_ id: String) -> String { "/me/residence/" + id + "/move-out" }
    static let registrations = "/registrations"
    static func registrationDecision(_ id: String) -> String { "/registrations/" + id + "/decision" }
    static let permits = "/permits"
    static func permitAdvance(_ id: String) -> String { "/permits/" + id + "/advance" }
    static func permitReject(_ id: String) -> String { "/permits/" + id + "/reject" }
    static func resident(_ id: String) -> String { "/residents/" + id }
}

extension Paths {
    static let programs = "/programs"
    static let myPrograms = "/me/programs"
    static let myPoints = "/me/points"
    static func program(_ code: String) -> String { "/programs/" + code }
    static let pointApplications = "/points/applications"
    static let dashboard = "/dashboard"
    static let simulate = "/simulate"
    static let surveys = "/surveys"
    static let consultations = "/consultations"
}

/// The site-wide links every template may use (`#(links.programs)`), all from `Paths`: no
/// template writes a path of its own.
struct SiteLinks: Encodable {
    let root = Paths.root
    let myResidence = Paths.myResidence
    let programs = Paths.programs
    let pointApplications = Paths.pointApplications
    let dashboard = Paths.dashboard
    let simulate = Paths.simulate
    let surveys = Paths.surveys
    let consultations = Paths.consultations
}

extension Paths {
    static let houses = "/houses"
    static let houseNew = "/houses/new"
    static func house(_ id: String) -> String { "/houses/" + id }
}

extension Paths {
    static let myHousehold = "/me/household"
}

extension Paths {
    static let calendar = "/admin/calendar"
}
