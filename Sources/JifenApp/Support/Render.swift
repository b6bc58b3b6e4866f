import JifenCore
import Leaf
import Vapor

/// What every page's template receives besides its own content (`page`).
/// Texts of the catalog are not in it: templates write `#t("key")` (`CatalogTag`).
struct PageContext<Content: Encodable>: Encodable {
    let lang, title, csrf: String
    let user: UserBadge?
    /// Whether `user` is there: templates test booleans (Leaf converts anything else to test it).
    let signedIn: Bool
    let nav: [NavGroup]
    let switchLanguage: NavItem
    let logout, passwordLink: String
    let links: SiteLinks
    /// Care mode (关怀模式) for this reader, and the switch in the header.
    let care: CareSwitch
    /// What a printed page says at its foot: its address and when it was printed.
    let printedURL, printedAt: String
    let page: Content
}

struct UserBadge: Encodable {
    let displayName, role, roleName: String
    let place: String?
}

struct NavItem: Encodable {
    let label, href: String
    let current: Bool
}

/// A task's entries, shown as one menu (staff with many entries), or entries shown as they are.
struct NavGroup: Encodable {
    let label: String?
    let items: [NavItem]
    let current: Bool
}

/// Each role's navigation, declared once, grouped by task when a role has many entries.
enum Navigation {
    /// The tasks staff work by: 居住 (registrations, houses, permits), 积分 (applications,
    /// review, feeds, the standard), 项目, 评估, 管理.
    enum Task: String, CaseIterable { case residence, points, programs, insight, admin }

    /// More entries than this and they are grouped by task.
    static let flatLimit = 6

    static func groups(for user: CurrentUser?, on request: Request) -> [NavGroup] {
        let entries = self.entries(for: user, on: request)
        let path = request.url.path
        func item(_ e: (String, String, Task?)) -> NavItem {
            NavItem(label: e.0, href: e.1, current: path == e.1 || (e.1 != SiteRoute.home.path && path.hasPrefix(e.1 + "/")))
        }
        guard entries.count > flatLimit else { return [NavGroup(label: nil, items: entries.map(item), current: false)] }
        var groups = [NavGroup(label: nil, items: entries.filter { $0.2 == nil }.map(item), current: false)]
        for task in Task.allCases {
            let items = entries.filter { $0.2 == task }.map(item)
            guard !items.isEmpty else { continue }
            groups.append(items.count == 1 ? NavGroup(label: nil, items: items, current: false)
                                           : NavGroup(label: request.text("nav_group_" + task.rawValue), items: items, current: items.contains { $0.current }))
        }
        return groups
    }

    /// (label, path, task) of every entry the user may open, in order.
    static func entries(for user: CurrentUser?, on request: Request) -> [(String, String, Task?)] {
        guard let user else {
            return [(request.text("nav_login"), SiteRoute.login.path, nil), (request.text("nav_register"), SiteRoute.register.path, nil), (request.text("nav_estimate"), SiteRoute.estimate.path, nil),
                    (request.text("nav_programs"), SiteRoute.programs.path, nil), (request.text("portal_title"), SiteRoute.policy.path, nil),
                    (request.text("consultations_title"), SiteRoute.consultations.path, nil)]
        }
        var items: [(String, String, Task?)] = [(request.text("nav_home"), SiteRoute.home.path, nil)]
        if user.role == .citizen {
            items.append((request.text("nav_residence"), SiteRoute.myResidence.path, nil))
            items.append((request.text("nav_points"), SiteRoute.myPoints.path, nil))
            items.append((request.text("nav_my_programs"), SiteRoute.myPrograms.path, nil))
            items.append((request.text("nav_estimate"), SiteRoute.estimate.path, nil))
            items.append((request.text("portal_title"), SiteRoute.policy.path, nil))
            return items
        }
        if [.gridWorker, .windowClerk, .centerAdmin].contains(user.role) {
            items.append((request.text("nav_registrations"), SiteRoute.registrations.path, .residence))
            items.append((request.text("nav_houses"), SiteRoute.houses.path, .residence))
        }
        if [.gridWorker, .windowClerk, .departmentReviewer, .centerAdmin].contains(user.role) {
            items.append((request.text("nav_hazards"), SiteRoute.hazards.path, .residence))
        }
        if [.windowClerk, .centerAdmin].contains(user.role) {
            items.append((request.text("nav_permits"), SiteRoute.permits.path, .residence))
            items.append((request.text("appointments_title"), SiteRoute.appointments.path, .residence))
            items.append((request.text("nav_performance"), SiteRoute.performance.path, .residence))
            items.append((request.text("nav_point_applications"), SiteRoute.pointApplications.path, .points))
        }
        if user.role == .departmentReviewer || user.role == .centerAdmin {
            items.append((request.text("nav_point_review"), SiteRoute.pointsReview.path, .points))
            items.append((request.text("nav_feeds"), SiteRoute.feeds.path, .points))
        }
        items.append((request.text("nav_standards"), SiteRoute.standards.path, .points))
        if [.centerAdmin, .educationOfficer].contains(user.role) {
            items.append((request.text("nav_programs"), SiteRoute.programs.path, .programs))
            items.append((request.text("forecast_title"), SiteRoute.forecast.path, .programs))
            items.append((request.text("nav_services"), SiteRoute.tieredServices.path, .programs))
            items.append((request.text("nav_dashboard"), SiteRoute.dashboard.path, .insight))
        }
        if user.role == .centerAdmin { items.append((request.text("nav_insight"), SiteRoute.surveys.path, .insight)) }
        if user.role.isStaff, let scope = user.scope { items.append((request.text("nav_org"), SiteRoute.org(scope.rawValue).path, .admin)) }
        if user.role == .centerAdmin {
            items.append((request.text("nav_users"), SiteRoute.adminUsers.path, .admin))
            items.append((request.text("nav_calendar"), SiteRoute.calendar.path, .admin))
            items.append((request.text("nav_permit_benefits"), SiteRoute.adminPermitBenefits.path, .admin))
            items.append((request.text("nav_materials"), SiteRoute.adminMaterials.path, .admin))
            items.append((request.text("portal_admin_title"), SiteRoute.adminPolicy.path, .admin))
            items.append((request.text("nav_complaints"), SiteRoute.complaints.path, .insight))
            items.append((request.text("nav_api_tokens"), SiteRoute.apiTokens.path, .admin))
            items.append((request.text("nav_outbox"), SiteRoute.outbox.path, .admin))
        }
        if user.role == .centerAdmin || user.role == .auditor {
            items.append((request.text("nav_audit"), SiteRoute.audit.path, .admin))
            items.append((request.text("nav_access"), SiteRoute.accessLog.path, .admin))
        }
        return items
    }
}

/// A page tag used the wrong way in a template (its parameters, or no request to render for).
struct TagProblem: Error, CustomStringConvertible { let description: String }

/// `#t("key")`: the catalog's text for `key` in the reader's language, escaped like any other
/// value. A tag rather than a table in every page's context: encoding the whole catalog (more
/// than a thousand texts) for each page cost more than most pages' own content.
struct CatalogTag: LeafTag {
    func render(_ ctx: LeafContext) throws -> LeafData {
        guard ctx.parameters.count == 1, let key = ctx.parameters[0].string else { throw TagProblem(description: "#t takes one catalog key") }
        guard let request = ctx.request else { throw TagProblem(description: "#t needs the request") }
        return .string(request.application.catalogTables[request.language]?[key] ?? key)
    }
}

/// `#if(any(list))`: whether a list (or a dictionary, such as a form's errors) has an element;
/// false when there is none at all. Leaf's own `count(list) > 0` turns both numbers into text to
/// compare them, and each conversion builds Leaf's table of conversions afresh: on a page with a
/// few such tests that was a measurable share of its rendering.
struct AnyTag: LeafTag {
    func render(_ ctx: LeafContext) throws -> LeafData {
        guard ctx.parameters.count == 1 else { throw TagProblem(description: "#any takes one list") }
        let value = ctx.parameters[0]
        if value.isNil { return .bool(false) }
        switch value.celf {
        case .array: return .bool(!(value.array ?? []).isEmpty)
        case .dictionary: return .bool(!(value.dictionary ?? [:]).isEmpty)
        default: throw TagProblem(description: "#any takes a list or a dictionary, not \(value.celf)")
        }
    }
}

extension Application {
    private struct BakedTemplatesKey: StorageKey { typealias Value = Bool }
    /// Pages render the copy of their template with the catalog's texts written in
    /// (`CatalogTemplates`); off, the template itself with `#t` tags (a test compares the two).
    var bakedTemplates: Bool {
        get { storage[BakedTemplatesKey.self] ?? true }
        set { storage[BakedTemplatesKey.self] = newValue }
    }
}

extension Request {
    /// Renders `template` inside the base layout. `title` is a catalog key.
    func render<Content: Encodable>(_ template: String, title: String, _ content: Content, status: HTTPStatus = .ok) async throws -> Response {
        let language = self.language
        let other: Catalog.Language = language == .zh ? .en : .zh
        let user = currentUser
        let context = PageContext(
            lang: language.htmlTag,
            title: text(title),
            csrf: isRenderingForCache ? PageCache.tokenPlaceholder : csrfToken,
            user: user.map {
                UserBadge(displayName: $0.displayName, role: $0.role.rawValue, roleName: text("role_" + $0.role.rawValue),
                          place: $0.departmentName ?? $0.jurisdictionName)
            },
            signedIn: user != nil,
            nav: Navigation.groups(for: user, on: self),
            switchLanguage: NavItem(label: application.catalog.text("language_name", other), href: SiteRoute.language(other.rawValue).path + "?back=" + (url.string.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "/"), current: false),
            logout: SiteRoute.logout.path,
            passwordLink: SiteRoute.password.path,
            links: SiteLinks(),
            care: CareSwitch(self),
            printedURL: application.jifenConfig.publicURL + url.path,
            printedAt: ShanghaiTime.dateTime(now),
            page: content
        )
        let path = application.bakedTemplates ? language.rawValue + "/" + template : template
        let buffer = try await leaf.render(path: path, context: try PageValues.encode(context)).get()
        return try await View(data: buffer).encodeResponse(status: status, for: self)
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
/// Browsers drop tabs and line breaks inside an address (`/<TAB>/evil.example` becomes
/// `//evil.example`, another site) and read `\` as `/`, so white space, control characters, a
/// leading `//` and any `\` refuse it.
func safeLocalPath(_ raw: String?) -> String? {
    guard let raw, raw.hasPrefix("/"), !raw.hasPrefix("//"), !raw.contains("\\"), raw.utf8.count < 512,
          !raw.unicodeScalars.contains(where: { $0.properties.generalCategory == .control || $0.properties.isWhitespace })
    else { return nil }
    return raw
}

/// The pager under a list: built from `Paging` and a function that makes the link to a page.
struct Pager: Encodable {
    let total, page, pageCount: Int
    let previous, next: String?

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
    let value, label: String
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
