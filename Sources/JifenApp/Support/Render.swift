import JifenCore
import Leaf
import Vapor

/// What every page's template receives besides its own content (`page`).
struct PageContext<Content: Encodable>: Encodable {
    let t: [String: String]
    let lang: String
    let title: String
    let csrf: String
    let user: UserBadge?
    let nav: [NavItem]
    let switchLanguage: NavItem
    let logout: String
    let passwordLink: String
    let page: Content
}

struct UserBadge: Encodable {
    let displayName: String
    let role: String
    let roleName: String
    let place: String?
}

struct NavItem: Encodable {
    let label: String
    let href: String
    let current: Bool
}

/// Each role's navigation, declared once.
enum Navigation {
    static func items(for user: CurrentUser?, on request: Request) -> [NavItem] {
        var items: [(String, String)] = []
        guard let user else {
            return [(request.text("nav_login"), Paths.login), (request.text("nav_register"), Paths.register), (request.text("nav_estimate"), Paths.estimate),
                    (request.text("nav_programs"), "/programs"), (request.text("consultations_title"), "/consultations")]
                .map { NavItem(label: $0.0, href: $0.1, current: request.url.path == $0.1) }
        }
        items.append((request.text("nav_home"), Paths.home))
        if user.role == .citizen {
            items.append((request.text("nav_residence"), Paths.myResidence))
            items.append((request.text("nav_points"), "/me/points"))
            items.append((request.text("nav_my_programs"), "/me/programs"))
            items.append((request.text("nav_estimate"), Paths.estimate))
        } else {
            if [.gridWorker, .windowClerk, .centerAdmin].contains(user.role) {
                items.append((request.text("nav_registrations"), Paths.registrations))
                items.append((request.text("nav_houses"), Paths.houses))
            }
            if [.windowClerk, .centerAdmin].contains(user.role) {
                items.append((request.text("nav_permits"), Paths.permits))
                items.append((request.text("nav_point_applications"), "/points/applications"))
            }
            if user.role == .departmentReviewer || user.role == .centerAdmin { items.append((request.text("nav_point_review"), "/points/review")) }
            if user.role == .departmentReviewer || user.role == .centerAdmin { items.append((request.text("nav_feeds"), "/feeds")) }
            items.append((request.text("nav_standards"), Paths.standards))
            if [.centerAdmin, .educationOfficer].contains(user.role) {
                items.append((request.text("nav_programs"), "/programs"))
                items.append((request.text("nav_dashboard"), "/dashboard"))
            }
        }
        if user.role.isStaff, let scope = user.scope {
            items.append((request.text("nav_org"), Paths.org(scope.rawValue)))
        }
        if user.role == .centerAdmin {
            items.append((request.text("nav_users"), Paths.adminUsers))
            items.append((request.text("nav_calendar"), Paths.calendar))
        }
        if user.role == .centerAdmin {
            items.append((request.text("nav_insight"), "/surveys"))
        }
        if user.role == .centerAdmin || user.role == .auditor {
            items.append((request.text("nav_audit"), Paths.audit))
        }
        return items.map { NavItem(label: $0.0, href: $0.1, current: request.url.path == $0.1 || request.url.path.hasPrefix($0.1 + "/")) }
    }
}

extension Request {
    /// Renders `template` inside the base layout. `title` is a catalog key.
    func render<Content: Encodable>(_ template: String, title: String, _ content: Content, status: HTTPStatus = .ok) async throws -> Response {
        let language = self.language
        let other: Catalog.Language = language == .zh ? .en : .zh
        let user = currentUser
        let context = PageContext(
            t: application.catalogTables[language] ?? [:],
            lang: language.htmlTag,
            title: text(title),
            csrf: csrfToken,
            user: user.map {
                UserBadge(displayName: $0.displayName, role: $0.role.rawValue, roleName: text("role_" + $0.role.rawValue),
                          place: $0.departmentName ?? $0.jurisdictionName)
            },
            nav: Navigation.items(for: user, on: self),
            switchLanguage: NavItem(label: application.catalog.text("language_name", other), href: Paths.language(other.rawValue) + "?back=" + (url.string.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "/"), current: false),
            logout: Paths.logout,
            passwordLink: Paths.password,
            page: content
        )
        let view = try await self.view.render(template, context)
        return try await view.encodeResponse(status: status, for: self)
    }
}

/// A form's fields as typed and its errors by field, so a refused form comes back with what was
/// typed and each message beside its field. Every field has an entry (possibly empty), so
/// templates never meet a missing key.
struct FormState: Encodable {
    var values: [String: String]
    var errors: [String: String] = [:]

    init(fields: [String], values given: [String: String] = [:]) {
        values = Dictionary(uniqueKeysWithValues: fields.map { ($0, given[$0] ?? "") })
    }

    var isValid: Bool { errors.isEmpty }

    mutating func fail(_ field: String, _ message: String) {
        if errors[field] == nil { errors[field] = message }
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(values, forKey: .values)
        try container.encode(errors, forKey: .errors)
        try container.encode(!errors.isEmpty, forKey: .hasErrors)
    }

    enum CodingKeys: String, CodingKey { case values, errors, hasErrors }
}

/// A local path to go back to after sign-in or a language switch; anything else goes home.
func safeLocalPath(_ raw: String?) -> String? {
    guard let raw, raw.hasPrefix("/"), !raw.hasPrefix("//"), !raw.contains("\\"), raw.utf8.count < 512 else { return nil }
    return raw
}

/// The pager under a list: built from `Paging` and a function that makes the link to a page.
struct Pager: Encodable {
    let total: Int
    let page: Int
    let pageCount: Int
    let previous: String?
    let next: String?

    init(_ paging: Paging, link: (Int) -> String) {
        total = paging.total
        page = paging.page
        pageCount = paging.pageCount
        previous = paging.hasPrevious ? link(paging.page - 1) : nil
        next = paging.hasNext ? link(paging.page + 1) : nil
    }
}

/// One choice of a `<select>`: every form's options have this shape.
struct SelectOption: Encodable {
    let value: String
    let label: String
    let selected: Bool
}

import Fluent

extension Array where Element: Model {
    /// Creates the models a batch at a time, keeping each statement below the databases'
    /// parameter limits.
    func create(on db: any Database, batch size: Int) async throws {
        for start in stride(from: 0, to: count, by: size) { try await Array(self[start..<Swift.min(start + size, count)]).create(on: db) }
    }
}

/// Codes people type for records (programs, questionnaires, consultations): letters, digits and
/// hyphens, at most 40 characters.
func isValidRecordCode(_ code: String) -> Bool {
    !code.isEmpty && code.count <= 40 && code.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-") }
}
