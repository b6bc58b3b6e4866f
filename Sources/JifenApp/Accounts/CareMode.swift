import Fluent
import Vapor

/// Care mode (关怀模式, the elder-friendly pages of the 2021 适老化 norms): larger type, larger
/// targets, more contrast, the common tasks first, introductions and hints he has read before out
/// of the way. The page is the same page: the layout marks `<html class="care">` and the
/// stylesheet does the rest; what it sets aside (`.care-hide`) is explanation, never a figure or
/// a step of his own.
///
/// The choice is kept per browser (a cookie) and per account (`users.care_mode`): switching it
/// while signed in sets both, and a browser that never switched follows the account.
enum CareMode {
    static func cookieName(_ request: Request) -> String { request.application.cookieName("jifen_care") }

    static func register(_ routes: any RoutesBuilder) {
        routes.post(.care, access: .anyone, use: toggle)
    }

    struct Form: Decodable { var care: String?; var back: String? }

    /// `POST /care` with `care=on|off` and `back` (the page to return to).
    static func toggle(_ req: Request) async throws -> Response {
        let input = try req.content.decode(Form.self)
        let on = input.care == "on"
        let response = req.redirect(to: safeLocalPath(input.back) ?? SiteRoute.root.path)
        response.cookies[cookieName(req)] = HTTPCookies.Value(string: on ? "1" : "0", maxAge: 365 * 24 * 3600, path: "/",
                                                              isSecure: req.application.jifenConfig.secureCookies, isHTTPOnly: true, sameSite: .lax)
        if let user = req.currentUser {
            try await User.query(on: req.db).filter(\.$id == user.id).set(\.$careMode, to: on).update()
        }
        return response
    }
}

extension Request {
    /// This reader's pages are in care mode: his browser's choice, else his account's.
    var careMode: Bool {
        switch sentCookies[CareMode.cookieName(self)]?.string {
        case "1": true
        case "0": false
        default: currentUser?.careMode ?? false
        }
    }
}

/// The switch in every page's header: a form, so it works without JavaScript; one name
/// (关怀模式) whose pressed state says whether it is on.
struct CareSwitch: Encodable {
    let action, back, value, label: String
    let on: Bool

    init(_ req: Request) {
        on = req.careMode
        action = SiteRoute.care.path
        // A page answering a form goes back to where the reader was, not to the form's address.
        back = req.method == .GET ? req.url.string : (safeLocalPath(req.headers.first(name: .referer).flatMap { URLComponents(string: $0) }.map { ($0.percentEncodedPath) + ($0.percentEncodedQuery.map { "?" + $0 } ?? "") }) ?? SiteRoute.root.path)
        value = on ? "off" : "on"
        label = req.text("care_on")
    }
}
