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
